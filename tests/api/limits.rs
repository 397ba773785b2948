//! Every request limit, tripped, with its code.

use relgate::config::ServeArgs;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{Engine, TestApp, code};
use sea_orm::{ConnectionTrait, Database, TransactionTrait};

engine_tests!(
    an_oversized_body_is_413,
    a_text_plain_post_is_refused,
    depth_complexity_aliases_and_directives_each_have_a_code,
    batches_run_up_to_the_cap,
);

async fn an_oversized_body_is_413(app: TestApp) {
    let padding = "#".repeat(1024 * 1024 + 1);
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(
            json!({"query": format!("{{ relationTypes {{ totalCount }} }} {padding}")}).to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

async fn a_text_plain_post_is_refused(app: TestApp) {
    let mutation = r#"{"query": "mutation { upsertEntity(input: {source: \"kanka\", space: \"1\", kind: \"character\", externalId: \"1\"}) { created } }"}"#;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let res = app
            .client
            .post(app.url("/graphql"))
            .header("content-type", content_type)
            .body(mutation)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(code(&body["errors"][0]), "UNSUPPORTED_MEDIA_TYPE");
    }
    let data = app.data("{ entities { totalCount } }", json!({})).await;
    assert_eq!(data["entities"]["totalCount"], 0, "nothing was written");
}

async fn depth_complexity_aliases_and_directives_each_have_a_code(app: TestApp) {
    let nest = |levels: usize| {
        let mut q = String::from("name");
        for _ in 0..levels {
            q = format!("related(first: 1) {{ edges {{ node {{ {q} }} }} }}");
        }
        format!("{{ entities(first: 1) {{ edges {{ node {{ {q} }} }} }} }}")
    };
    let err = app.error(&nest(6), json!({})).await;
    assert_eq!(code(&err), "DEPTH_LIMIT_EXCEEDED");
    app.data(&nest(3), json!({})).await;

    let complex = "{ entities(first: 100) { edges { node { relations(first: 100) { edges { node { from { related(first: 100) { edges { node { name kind } } } } } } } } } } }";
    let err = app.error(complex, json!({})).await;
    assert_eq!(code(&err), "COMPLEXITY_LIMIT_EXCEEDED");

    let aliases: String = (0..31)
        .map(|i| format!("a{i}: relationTypes {{ totalCount }} "))
        .collect();
    // Twice: the second time the parsed document comes from the cache.
    for _ in 0..2 {
        let err = app.error(&format!("{{ {aliases} }}"), json!({})).await;
        assert_eq!(code(&err), "ALIAS_LIMIT_EXCEEDED");
    }
    let fewer: String = (0..30)
        .map(|i| format!("a{i}: relationTypes {{ totalCount }} "))
        .collect();
    app.data(&format!("{{ {fewer} }}"), json!({})).await;

    let directives = "{ relationTypes @include(if: true) @include(if: true) @include(if: true) @include(if: true) @include(if: true) @include(if: true) { totalCount } }";
    let err = app.error(directives, json!({})).await;
    assert_eq!(code(&err), "DIRECTIVE_LIMIT_EXCEEDED");
}

async fn batches_run_up_to_the_cap(app: TestApp) {
    let op = json!({"query": "{ relationTypes { totalCount } }"});
    let batch = |n: usize| Value::Array(vec![op.clone(); n]);
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&batch(10))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body.as_array().unwrap().len(), 10);
    assert_eq!(body[9]["data"]["relationTypes"]["totalCount"], 8);
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&batch(11))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body["errors"][0]), "BATCH_LIMIT_EXCEEDED");
}

async fn with(args: ServeArgs, scenario: impl AsyncFnOnce(&TestApp)) {
    let Some((app, running)) = TestApp::spawn_with(Engine::Sqlite, args).await else {
        return;
    };
    scenario(&app).await;
    running.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_settings_hide_the_schema_and_turn_batching_off() {
    let args = ServeArgs {
        disable_introspection: true,
        disable_suggestions: true,
        max_batch: 0,
        ..ServeArgs::default()
    };
    with(args, async |app| {
        let res = app.gql("{ __schema { types { name } } }", json!({})).await;
        assert_eq!(res["data"]["__schema"], Value::Null, "{res}");
        let err = app
            .error("{ relationTyps { totalCount } }", json!({}))
            .await;
        assert!(
            !err["message"].as_str().unwrap().contains("Did you mean"),
            "{err}"
        );
        let res = app
            .client
            .post(app.url("/graphql"))
            .json(&json!([{"query": "{ relationTypes { totalCount } }"}]))
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(code(&body["errors"][0]), "BATCH_LIMIT_EXCEEDED");
    })
    .await;
    // And the defaults do the opposite.
    with(ServeArgs::default(), async |app| {
        let err = app
            .error("{ relationTyps { totalCount } }", json!({}))
            .await;
        assert!(
            err["message"].as_str().unwrap().contains("Did you mean"),
            "{err}"
        );
    })
    .await;
}

/// A request that waits on a lock the test holds outlives a 300 ms limit.
async fn timeout_on(engine: Engine) {
    let args = ServeArgs {
        request_timeout: std::time::Duration::from_millis(300),
        ..ServeArgs::default()
    };
    let Some((app, running)) = TestApp::spawn_with(engine, args).await else {
        return;
    };
    let db = Database::connect(&app.database_url).await.unwrap();
    let txn = lock_writes(engine, &db).await;
    let started = std::time::Instant::now();
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({"query": "mutation { upsertEntity(input: {source: \"kanka\", space: \"1\", kind: \"character\", externalId: \"1\"}) { created } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        res.headers()["content-type"],
        "application/graphql-response+json"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body["errors"][0]), "REQUEST_TIMEOUT");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    unlock_writes(&db, txn).await;
    db.close().await.unwrap();
    // The server is fine afterwards, and the timed-out write did not land.
    let data = app.data("{ entities { totalCount } }", json!({})).await;
    assert_eq!(data["entities"]["totalCount"], 0);
    running.teardown().await;
}

/// Holds the write lock of `db` (SQLite) or a lock on `entities`
/// (PostgreSQL), so that a write request blocks inside its execution.
async fn lock_writes(
    engine: Engine,
    db: &sea_orm::DatabaseConnection,
) -> Option<sea_orm::DatabaseTransaction> {
    match engine {
        Engine::Sqlite => {
            db.execute_unprepared("BEGIN IMMEDIATE").await.unwrap();
            None
        }
        Engine::Postgres => {
            let txn = db.begin().await.unwrap();
            txn.execute_unprepared("LOCK TABLE entities IN ACCESS EXCLUSIVE MODE")
                .await
                .unwrap();
            Some(txn)
        }
    }
}

async fn unlock_writes(
    db: &sea_orm::DatabaseConnection,
    txn: Option<sea_orm::DatabaseTransaction>,
) {
    match txn {
        Some(txn) => txn.rollback().await.unwrap(),
        None => {
            db.execute_unprepared("ROLLBACK").await.unwrap();
        }
    }
}

/// With one execution at a time, a read waits while a write blocked on a
/// lock holds the turn, and runs once it is done; with no limit it does not
/// wait.
async fn turns_on(engine: Engine) {
    for (limit, waits) in [(1, true), (0, false)] {
        let args = ServeArgs {
            max_concurrent_requests: limit,
            request_timeout: std::time::Duration::from_secs(20),
            ..ServeArgs::default()
        };
        let Some((app, running)) = TestApp::spawn_with(engine, args).await else {
            return;
        };
        let db = Database::connect(&app.database_url).await.unwrap();
        let txn = lock_writes(engine, &db).await;
        let write = tokio::spawn({
            let app = app.clone();
            async move {
                app.data(
                    "mutation { upsertEntity(input: {source: \"kanka\", space: \"1\", kind: \"character\", externalId: \"1\"}) { created } }",
                    json!({}),
                )
                .await
            }
        });
        // Let the write take its turn and block on the lock.
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let mut read = tokio::spawn({
            let app = app.clone();
            async move {
                app.data("{ relationTypes { totalCount } }", json!({}))
                    .await
            }
        });
        let early = tokio::time::timeout(std::time::Duration::from_millis(700), &mut read).await;
        assert_eq!(early.is_ok(), !waits, "limit {limit}");
        unlock_writes(&db, txn).await;
        assert_eq!(write.await.unwrap()["upsertEntity"]["created"], true);
        let read = match early {
            Ok(done) => done.unwrap(),
            Err(_) => read.await.unwrap(),
        };
        assert_eq!(read["relationTypes"]["totalCount"], 8);
        db.close().await.unwrap();
        running.teardown().await;
    }
}

mod requests_past_the_concurrency_limit_wait_their_turn {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::turns_on(super::Engine::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::turns_on(super::Engine::Postgres).await
    }
}

/// A query's reads share one pooled connection (on PostgreSQL), held until
/// the query is done. On a pool of one connection, nothing else a request
/// does may wait for a second: `validateRelation` (a write transaction,
/// rolled back) beside reads, and a batch whose query runs before a
/// mutation. A request that did would fail after the pool's 10 s acquire
/// timeout.
async fn one_connection_on(engine: Engine) {
    let args = ServeArgs {
        request_timeout: std::time::Duration::from_secs(30),
        ..ServeArgs::default()
    };
    let Some((app, running)) = TestApp::spawn_with_pool(engine, args, 1).await else {
        return;
    };
    let ty = app.type_id("copper", "related").await;
    let person = app.entity("copper", "default", "person", "1").await;
    let acme = app.entity("copper", "default", "company", "2").await;
    let input = json!({"typeId": ty, "fromId": person, "toId": acme});
    let started = std::time::Instant::now();
    let data = app
        .data(
            "query($i: RelateInput!, $p: ID!) { before: node(id: $p) { id } validateRelation(input: $i) { ok } relationTypes { totalCount } after: entities { edges { node { relations { totalCount } } } } }",
            json!({"i": input, "p": person}),
        )
        .await;
    assert_eq!(data["before"]["id"], person.as_str());
    assert_eq!(data["validateRelation"]["ok"], true);
    assert_eq!(data["relationTypes"]["totalCount"], 8);
    assert_eq!(data["after"]["edges"].as_array().unwrap().len(), 2);
    let batch = json!([
        {"query": "{ relationTypes { totalCount } entities { totalCount } }"},
        {"query": "mutation($i: RelateInput!) { relate(input: $i) { created } }", "variables": {"i": input}},
        {"query": "{ relations { totalCount edges { node { from { id } to { id } } } } }"},
    ]);
    let res: Vec<Value> = app.post_body(&batch).await;
    let data: Vec<Value> = res.into_iter().map(TestApp::data_of).collect();
    assert_eq!(data[0]["entities"]["totalCount"], 2);
    assert_eq!(data[1]["relate"]["created"], true);
    assert_eq!(data[2]["relations"]["totalCount"], 1);
    assert_eq!(
        data[2]["relations"]["edges"][0]["node"]["from"]["id"],
        person.as_str()
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "a request waited for a second connection ({:?})",
        started.elapsed()
    );
    running.teardown().await;
}

mod a_request_never_waits_for_a_second_connection {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::one_connection_on(super::Engine::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::one_connection_on(super::Engine::Postgres).await
    }
}

mod a_request_over_the_time_limit_is_request_timeout {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::timeout_on(super::Engine::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::timeout_on(super::Engine::Postgres).await
    }
}

#[tokio::test]
async fn open_mode_refuses_to_listen_beyond_loopback() {
    let path =
        std::env::temp_dir().join(format!("relgate-bind-{}.db", uuid::Uuid::new_v4().simple()));
    let db = relgate::config::DatabaseArgs {
        database_url: format!("sqlite://{}", path.display()),
        db_pool_size: 2,
        ..Default::default()
    };
    let serve = ServeArgs {
        bind: "0.0.0.0:0".parse().unwrap(),
        ..ServeArgs::default()
    };
    let err = relgate::Application::build(&db, &serve)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("refuses to listen"), "{err}");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
