//! Promises of the README that had no test of their own: `COMMENT_REQUIRED`,
//! Umbraco's `CROSS_SPACE`, limits other than the defaults, the generated
//! `x-request-id` in errors and the journal, tokens never in the logs (at
//! `trace`), and `/readyz` while PostgreSQL refuses connections.

use std::time::{Duration, Instant};

use relgate::config::ServeArgs;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{Engine, TestApp, code, postgres_url};
use crate::process::Process;

engine_tests!(
    a_type_that_requires_a_comment_refuses_a_relation_without_one,
    umbraco_documents_of_two_projects_are_cross_space,
    a_generated_request_id_is_the_one_in_errors_and_the_journal,
    tokens_never_appear_in_the_logs_even_at_trace,
    json_logs_are_one_object_a_line,
    token_list_shows_when_a_token_was_last_used,
);

engine_tests!(serve = small_limits; every_limit_follows_its_setting);
engine_tests!(serve = no_apq_cache; without_an_apq_cache_a_hash_is_persisted_query_not_supported);

fn no_apq_cache() -> ServeArgs {
    ServeArgs {
        persisted_query_cache_size: 0,
        ..ServeArgs::default()
    }
}

async fn without_an_apq_cache_a_hash_is_persisted_query_not_supported(app: TestApp) {
    let query = "{ relationTypes { totalCount } }";
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(query.as_bytes()))
    };
    let apq = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
    let send = |body: Value| {
        let app = app.clone();
        async move {
            let res = app
                .client
                .post(app.url("/graphql"))
                .json(&body)
                .send()
                .await
                .unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        }
    };
    // With its text the query runs; nothing is kept, so the hash alone is
    // refused before and after.
    for body in [
        json!({"extensions": apq}),
        json!({"query": query, "extensions": apq}),
        json!({"extensions": apq}),
    ] {
        let with_text = body.get("query").is_some();
        let (status, answer) = send(body).await;
        if with_text {
            continue;
        }
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(code(&answer["errors"][0]), "PERSISTED_QUERY_NOT_SUPPORTED");
        assert_eq!(answer["errors"][0]["message"], "PersistedQueryNotSupported");
    }
    let (status, answer) = send(json!({"query": query})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["data"]["relationTypes"]["totalCount"], 8);
}

const RELATE: &str = "mutation($i: RelateInput!) { relate(input: $i) { created } }";

#[track_caller]
fn refused_for(res: &Value, rule: &str) {
    let err = &res["errors"][0];
    assert_eq!(code(err), "CONSTRAINT_VIOLATION", "{res:#}");
    assert_eq!(err["extensions"]["rule"], rule, "{res:#}");
}

async fn a_type_that_requires_a_comment_refuses_a_relation_without_one(app: TestApp) {
    let created = app
        .data(
            "mutation($i: CreateRelationTypeInput!) { createRelationType(input: $i) { relationType { id } } }",
            json!({"i": {"source": "umbraco", "alias": "reviewed", "name": "Reviewed",
                "attributes": {"label": {"allowed": false}, "comment": {"allowed": true, "required": true, "maxLength": 50}}}}),
        )
        .await;
    let ty = created["createRelationType"]["relationType"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = app
        .entity(
            "umbraco",
            "p",
            "document",
            "0e2f3a4b-0000-4000-8000-00000000000a",
        )
        .await;
    let b = app
        .entity(
            "umbraco",
            "p",
            "document",
            "0e2f3a4b-0000-4000-8000-00000000000b",
        )
        .await;
    for extra in [json!({}), json!({"comment": ""}), json!({"comment": "   "})] {
        let mut input = json!({"typeId": ty, "fromId": a, "toId": b});
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        refused_for(
            &app.gql(RELATE, json!({"i": input})).await,
            "COMMENT_REQUIRED",
        );
    }
    let v = app
        .data(
            "query($i: RelateInput!) { validateRelation(input: $i) { ok violations { rule } } }",
            json!({"i": {"typeId": ty, "fromId": a, "toId": b}}),
        )
        .await;
    assert_eq!(
        v["validateRelation"],
        json!({"ok": false, "violations": [{"rule": "COMMENT_REQUIRED"}]})
    );
    assert_eq!(app.relation_count().await, 0);
    app.relate_ok(&ty, &a, &b, json!({"comment": "looked at"}))
        .await;
    assert_eq!(app.relation_count().await, 1);
}

async fn umbraco_documents_of_two_projects_are_cross_space(app: TestApp) {
    let ty = app.type_id("umbraco", "relateDocumentOnCopy").await;
    let here = app
        .entity(
            "umbraco",
            "project-a",
            "document",
            "0e2f3a4b-0000-4000-8000-00000000000a",
        )
        .await;
    let there = app
        .entity(
            "umbraco",
            "project-b",
            "document",
            "0e2f3a4b-0000-4000-8000-00000000000b",
        )
        .await;
    let beside = app
        .entity(
            "umbraco",
            "project-a",
            "document",
            "0e2f3a4b-0000-4000-8000-00000000000c",
        )
        .await;
    refused_for(
        &app.gql(
            RELATE,
            json!({"i": {"typeId": ty, "fromId": here, "toId": there}}),
        )
        .await,
        "CROSS_SPACE",
    );
    assert_eq!(app.relation_count().await, 0);
    app.relate_ok(&ty, &here, &beside, json!({})).await;
}

async fn a_generated_request_id_is_the_one_in_errors_and_the_journal(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    // No x-request-id sent: the server makes one.
    let res = app
        .post(
            RELATE,
            json!({"i": {"typeId": ty, "fromId": a, "toId": b, "label": "x"}}),
        )
        .await;
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(generated.len() >= 16, "{generated}");
    let events = app
        .data(
            "{ relationEvents(first: 10, filter: {kinds: [RELATION_CREATED]}) { edges { node { requestId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        events["relationEvents"]["edges"],
        json!([{"node": {"requestId": generated}}])
    );
    // Two requests get two ids.
    let other = app.post("{ __typename }", json!({})).await;
    assert_ne!(other.headers()["x-request-id"], generated.as_str());
    // An internal error names the generated id as its requestId.
    let db = Database::connect(&app.database_url).await.unwrap();
    db.execute_unprepared("DROP TABLE relation_events")
        .await
        .unwrap();
    db.close().await.unwrap();
    let res = app
        .post(
            "{ relationEvents(first: 1) { edges { node { cursor } } } }",
            json!({}),
        )
        .await;
    let header = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body["errors"][0]), "INTERNAL_SERVER_ERROR", "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["requestId"],
        header.as_str()
    );
}

/// Every limit set away from its default.
fn small_limits() -> ServeArgs {
    ServeArgs {
        default_page_size: 3,
        max_page_size: 5,
        max_depth: 10,
        max_complexity: 60,
        max_aliases: 2,
        max_directives: 1,
        max_batch: 2,
        max_body_bytes: 2048,
        ..ServeArgs::default()
    }
}

async fn every_limit_follows_its_setting(app: TestApp) {
    for i in 1..=6 {
        app.entity("kanka", "1", "character", &i.to_string()).await;
    }
    // Page sizes: 3 when none is asked for, at most 5.
    let page = app
        .data("{ entities { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(page["entities"]["edges"].as_array().unwrap().len(), 3);
    let page = app
        .data("{ entities(first: 5) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(page["entities"]["edges"].as_array().unwrap().len(), 5);
    let err = app
        .error("{ entities(first: 6) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(code(&err), "BAD_USER_INPUT", "{err}");
    // Depth 10: 7 levels pass, 13 do not (both pass the default 16).
    let nest = |levels: usize| {
        let mut q = String::from("name");
        for _ in 0..levels {
            q = format!("related(first: 1) {{ edges {{ node {{ {q} }} }} }}");
        }
        format!("{{ entities(first: 1) {{ edges {{ node {{ {q} }} }} }} }}")
    };
    app.data(&nest(1), json!({})).await;
    assert_eq!(
        code(&app.error(&nest(3), json!({})).await),
        "DEPTH_LIMIT_EXCEEDED"
    );
    // Complexity 60.
    app.data("{ relationTypes { totalCount } }", json!({}))
        .await;
    let complex = "{ entities(first: 5) { edges { node { relations(first: 5) { edges { node { label } } } } } } }";
    assert_eq!(
        code(&app.error(complex, json!({})).await),
        "COMPLEXITY_LIMIT_EXCEEDED"
    );
    // Two aliases, one directive.
    app.data(
        "{ a: relationTypes { totalCount } b: relationTypes { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(
        code(
            &app.error(
                "{ a: relationTypes { totalCount } b: relationTypes { totalCount } c: relationTypes { totalCount } }",
                json!({})
            )
            .await
        ),
        "ALIAS_LIMIT_EXCEEDED"
    );
    app.data(
        "{ relationTypes @include(if: true) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(
        code(
            &app.error(
                "{ relationTypes @include(if: true) @skip(if: false) { totalCount } }",
                json!({})
            )
            .await
        ),
        "DIRECTIVE_LIMIT_EXCEEDED"
    );
    // Batches of two.
    let op = json!({"query": "{ relationTypes { totalCount } }"});
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&json!([op, op]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&json!([op, op, op]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body["errors"][0]), "BATCH_LIMIT_EXCEEDED");
    // Bodies of 2 KiB.
    let padded = |n: usize| json!({"query": format!("{{ __typename }} #{}", "x".repeat(n))});
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&padded(1500))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&padded(2100))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body["errors"][0]), "PAYLOAD_TOO_LARGE");
}

async fn tokens_never_appear_in_the_logs_even_at_trace(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "168").await;
    let b = app.entity("kanka", "1", "character", "72").await;
    // Made with the CLI logging at trace too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relgate"))
        .args(["token", "create", "--role", "write", "--name", "logged"])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(out.status.success());
    // The token is the last line; logs may come before it.
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap()
        .trim()
        .to_owned();
    let cli_log = format!(
        "{}{}",
        stdout.trim_end().strip_suffix(token.as_str()).unwrap(),
        String::from_utf8_lossy(&out.stderr)
    );
    let (key_id, secret) = token
        .strip_prefix("rg_")
        .and_then(|t| t.split_once('.'))
        .unwrap();
    let (key_id, secret) = (key_id.to_owned(), secret.to_owned());
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(secret.as_bytes()))
    };
    // A wrong secret for the same key id, and one of another shape.
    let wrong = format!("rg_{key_id}.{}", "0".repeat(64));
    for filter in ["info,relgate::sql=trace", "trace"] {
        let process = Process::start_with(&app.database_url, &[], &[("RUST_LOG", filter)]);
        let server = TestApp {
            addr: process.addr,
            ..app.clone()
        };
        let me = server.with_token(&token);
        me.data(
            RELATE,
            json!({"i": {"typeId": ty, "fromId": a, "toId": b, "label": "logged"}}),
        )
        .await;
        let res = me.gql("{ nope }", json!({})).await;
        assert!(res.get("errors").is_some());
        let res = server
            .with_token(&wrong)
            .post("{ __typename }", json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let kanka = server.url("/kanka/api/1.0/campaigns/1/entities/168/relations");
        for (name, value) in [
            ("authorization", format!("Bearer {token}")),
            ("authorization", format!("Bearer {wrong}")),
            ("x-pw-accesstoken", token.clone()),
            ("api-key", token.clone()),
        ] {
            let _ = server
                .client
                .get(&kanka)
                .header(name, &value)
                .send()
                .await
                .unwrap();
        }
        let _ = server
            .client
            .get(server.url("/copper/developer_api/v1/people/168/related"))
            .header("X-PW-AccessToken", &token)
            .header("X-PW-Application", "developer_api")
            .header("X-PW-UserEmail", "logged")
            .send()
            .await
            .unwrap();
        // Let the last lines reach the file.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let text = process.log();
        drop(process);
        eprintln!(
            "logs ({:?}): {filter}: {} lines, {} bytes checked",
            app.engine,
            text.lines().count(),
            text.len()
        );
        // The log did record the requests and their SQL.
        assert!(
            text.contains("relgate::sql") && text.contains("INSERT INTO"),
            "{filter} logs SQL: {text:.2000}"
        );
        for (what, leak) in [
            ("the secret", secret.as_str()),
            ("the wrong secret", &"0".repeat(64)),
            ("the secret's digest", digest.as_str()),
        ] {
            assert!(!text.contains(leak), "{what} is in the {filter} log");
        }
    }
    // `token create` at trace: SeaORM's own statement log shows the stored
    // digest (the INSERT's values), never the token or its secret.
    assert!(cli_log.contains("INSERT"), "the CLI logged at trace");
    assert!(!cli_log.contains(&secret), "the secret is in the CLI's log");
    assert!(!cli_log.contains(&token), "the token is in the CLI's log");
}

async fn json_logs_are_one_object_a_line(app: TestApp) {
    let process = Process::start_with(
        &app.database_url,
        &[],
        &[
            ("RUST_LOG", "info,tower_http=debug,relgate::sql=trace"),
            ("RELGATE_LOG_FORMAT", "json"),
        ],
    );
    let server = TestApp {
        addr: process.addr,
        ..app.clone()
    };
    let res = server
        .client
        .post(server.url("/graphql"))
        .header("x-request-id", "json-log-request")
        .json(&json!({"query": "{ relationTypes { totalCount } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = process.log();
    drop(process);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    eprintln!("logs ({:?}): json: {} lines", app.engine, lines.len());
    assert!(lines.len() >= 3, "{text}");
    for line in &lines {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(v["level"].is_string() && v["target"].is_string(), "{line}");
    }
    assert!(
        lines.iter().any(|l| l.contains("relgate::sql")),
        "SQL is logged as JSON too: {text}"
    );
    assert!(
        lines.iter().any(|l| l.contains("json-log-request")),
        "a request's lines carry its id: {text}"
    );
}

async fn token_list_shows_when_a_token_was_last_used(app: TestApp) {
    let token = app.create_token("read", "used", &[]);
    app.create_token("read", "unused", &[]);
    let list = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_relgate"))
            .args(["token", "list"])
            .env("DATABASE_URL", &app.database_url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    // NAME ROLE CREATED(2 words) LAST USED(2 words, or "-") ...
    let last_used = |listing: &str, name: &str| -> String {
        let row = listing
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} in {listing}"));
        row.split_whitespace().nth(4).unwrap().to_owned()
    };
    assert_eq!(last_used(&list(), "used"), "-");
    app.with_token(&token).data(WHO_AM_I, json!({})).await;
    // Recorded in the background, at once after the first use.
    let started = Instant::now();
    let mut listing = list();
    while last_used(&listing, "used") == "-" && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        listing = list();
    }
    eprintln!("tokens: recorded a use after {:?}", started.elapsed());
    let used = last_used(&listing, "used");
    assert!(
        chrono::NaiveDate::parse_from_str(&used, "%Y-%m-%d").is_ok(),
        "a date: {listing}"
    );
    assert_eq!(last_used(&listing, "unused"), "-", "{listing}");
}

const WHO_AM_I: &str = "{ relationTypes { totalCount } }";

/// On PostgreSQL: `/readyz` answers 503 within two seconds once the
/// database refuses connections and its connections were terminated, and
/// 200 again once it accepts them.
async fn readyz_on(engine: Engine) {
    let Some((app, running)) = TestApp::spawn(engine).await else {
        return;
    };
    let admin_url = postgres_url().unwrap();
    let name = app
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let ready = |app: TestApp| async move {
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(ready(app.clone()).await, StatusCode::OK);
    let admin = Database::connect(&admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false"
        ))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();
    let down = Instant::now();
    let mut not_ready = None;
    while down.elapsed() < Duration::from_secs(15) {
        if ready(app.clone()).await == StatusCode::SERVICE_UNAVAILABLE {
            not_ready = Some(down.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true"
        ))
        .await
        .unwrap();
    let up = Instant::now();
    let mut ready_again = None;
    while up.elapsed() < Duration::from_secs(30) {
        if ready(app.clone()).await == StatusCode::OK {
            ready_again = Some(up.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    admin.close().await.unwrap();
    eprintln!("readyz: not ready after {not_ready:?}; ready again after {ready_again:?}");
    running.teardown().await;
    let not_ready = not_ready.expect("/readyz said 503 while the database refused connections");
    assert!(not_ready < Duration::from_secs(2), "{not_ready:?}");
    assert!(ready_again.is_some(), "/readyz said 200 again");
}

mod readyz_reports_a_database_that_refuses_connections {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::readyz_on(super::Engine::Postgres).await
    }
}
