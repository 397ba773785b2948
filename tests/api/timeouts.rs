//! `REQUEST_TIMEOUT` fires in the middle of a write, after some of its
//! statements ran, and nothing of them is committed: over GraphQL, in a
//! batch and (on PostgreSQL, where a lock can stop a write half-way) on a
//! REST route.
//!
//! The slow write is real: deleting an entity with thousands of relations
//! reads, deletes and journals each of them, which takes far longer than the
//! limit of a second server over the same database. On PostgreSQL a lock
//! the test holds on the journal stops a write after it inserted its
//! relation, and `pg_stat_activity` shows that it had written (it has a
//! transaction id) before the limit fired.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement, TransactionTrait};
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{Engine, TestApp, Twin, code};

engine_tests!(
    a_timed_out_write_commits_none_of_the_statements_it_ran,
    a_timed_out_batch_commits_none_of_the_statements_it_ran,
);

/// Relations of the hub entity the slow write deletes.
const HUB_RELATIONS: i64 = 5_000;

/// A Kanka character with [`HUB_RELATIONS`] relations to another one (the
/// first made through GraphQL, the others copied from it with one statement
/// of the test's own connection); returns the hub's id.
async fn hub(app: &TestApp, n: u32) -> String {
    let ty = app.type_id("kanka", "relation").await;
    let hub = app.entity("kanka", "1", "character", &n.to_string()).await;
    let other = app
        .entity("kanka", "1", "character", &(n + 1).to_string())
        .await;
    app.relate_ok(&ty, &hub, &other, json!({"label": "x"}))
        .await;
    let db = Database::connect(&app.database_url).await.unwrap();
    db.execute_unprepared(&format!(
        "INSERT INTO relations (type_id, from_id, to_id, label, comment, attitude, colour, \
         pinned, is_private, mirror_id, created_at, updated_at) \
         WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < {HUB_RELATIONS}) \
         SELECT r.type_id, r.from_id, r.to_id, r.label, r.comment, r.attitude, r.colour, \
         r.pinned, r.is_private, r.mirror_id, r.created_at, r.updated_at FROM relations r, n \
         WHERE r.from_id = (SELECT from_id FROM relations ORDER BY id DESC LIMIT 1)"
    ))
    .await
    .unwrap();
    db.close().await.unwrap();
    hub
}

/// Two hubs; the first is deleted with no limit, to measure how long the
/// write takes on this machine. Returns the second hub and half that time:
/// a limit that fires in the middle of the same write. Every request sends
/// an admin token (made first), so that each runs exactly one statement
/// outside the write (the token's lookup), and open mode is never checked.
async fn measured_hub(app: &TestApp) -> (TestApp, String, Duration) {
    let app = app.with_token(&app.create_token("admin", "timeouts", &[]));
    let first = hub(&app, 1).await;
    let second = hub(&app, 3).await;
    assert_eq!(app.relation_count().await, 2 * HUB_RELATIONS as u64);
    let started = Instant::now();
    let (_, statements) = app
        .data_and_statements(DELETE, json!({"i": {"id": first}}))
        .await;
    let took = started.elapsed();
    eprintln!(
        "timeouts ({:?}): deleting a hub of {HUB_RELATIONS} relations with no limit took {took:?} and {statements} statements",
        app.engine
    );
    assert_eq!(app.relation_count().await, HUB_RELATIONS as u64);
    (app, second, took / 2)
}

const DELETE: &str = "mutation($i: DeleteEntityInput!) { deleteEntity(input: $i) { deletedId } }";

/// Waits until `server`'s statement counter stops moving (the dropped
/// write's last statement done, its transaction rolled back); returns it.
async fn settled(server: &Twin) -> u64 {
    let mut last = server.statements().await;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = server.statements().await;
        if now == last {
            return now;
        }
        last = now;
    }
}

/// The hub, its relations and its journal are as before the write.
async fn nothing_committed(app: &TestApp, hub: &str) {
    let data = app
        .data(
            "query($h: ID!) { node(id: $h) { id } relations { totalCount }
              relationEvents(first: 10, filter: {entityId: $h, kinds: [RELATION_DELETED, ENTITY_DELETED]}) { edges { node { kind } } } }",
            json!({"h": hub}),
        )
        .await;
    assert_eq!(data["node"]["id"], hub, "the hub is still there");
    assert_eq!(data["relations"]["totalCount"], HUB_RELATIONS);
    assert_eq!(data["relationEvents"]["edges"], json!([]), "no event");
}

/// A second server over `app`'s database whose requests may take `limit`,
/// with its metrics on a listener of their own.
async fn impatient(app: &TestApp, limit: Duration) -> (TestApp, Twin) {
    app.twin(relgate::config::ServeArgs {
        request_timeout: limit,
        metrics_bind: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
        ..relgate::config::ServeArgs::default()
    })
    .await
}

/// Sends `body` to `twin` and checks it is a 503 `REQUEST_TIMEOUT` that
/// came after at least three statements of its own (the token's lookup,
/// and two or more of the write's); returns how many ran.
async fn times_out_midway(twin: &TestApp, server: &Twin, body: &Value) -> u64 {
    // A first request, so that the check for open mode is behind us.
    twin.data("{ relationTypes { totalCount } }", json!({}))
        .await;
    let before = settled(server).await;
    let started = Instant::now();
    let mut req = twin.client.post(twin.url("/graphql")).json(body);
    if let Some(token) = &twin.token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(code(&answer["errors"][0]), "REQUEST_TIMEOUT", "{answer}");
    let ran = settled(server).await - before;
    eprintln!(
        "timeouts ({:?}): answered REQUEST_TIMEOUT after {elapsed:?}; the write had run {ran} statements",
        twin.engine
    );
    assert!(
        ran >= 3,
        "the limit fired after the write had begun ({ran} statements)"
    );
    ran
}

async fn a_timed_out_write_commits_none_of_the_statements_it_ran(app: TestApp) {
    let (app, hub, limit) = measured_hub(&app).await;
    let (twin, server) = impatient(&app, limit).await;
    times_out_midway(
        &twin,
        &server,
        &json!({"query": DELETE, "variables": {"i": {"id": hub}}}),
    )
    .await;
    server.stop().await;
    nothing_committed(&app, &hub).await;
    // Given the time, the same write goes through.
    app.data(DELETE, json!({"i": {"id": hub}})).await;
    assert_eq!(app.relation_count().await, 0);
}

async fn a_timed_out_batch_commits_none_of_the_statements_it_ran(app: TestApp) {
    let (app, hub, limit) = measured_hub(&app).await;
    let (twin, server) = impatient(&app, limit).await;
    let batch = json!([
        {"query": "{ entities { totalCount } }"},
        {"query": DELETE, "variables": {"i": {"id": hub}}},
    ]);
    times_out_midway(&twin, &server, &batch).await;
    server.stop().await;
    nothing_committed(&app, &hub).await;
}

/// Holds `LOCK TABLE relation_events IN ACCESS EXCLUSIVE MODE` while
/// `request` runs against a server of `limit`: the write inserts its
/// relation, then waits for the lock to append its event. Checks that the
/// waiting backend had written (a transaction id) before the answer came,
/// that the answer is `status`, and that nothing was committed.
async fn stopped_at_the_journal(
    app: &TestApp,
    limit: Duration,
    status: StatusCode,
    request: impl AsyncFnOnce(&TestApp) -> reqwest::Response,
) -> Value {
    let (twin, server) = impatient(app, limit).await;
    let before = app.relation_count().await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let txn = db.begin().await.unwrap();
    txn.execute_unprepared("LOCK TABLE relation_events IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let watcher = Database::connect(&app.database_url).await.unwrap();
    let started = Instant::now();
    let (res, seen) = tokio::join!(request(&twin), async {
        // The request's backend, waiting on the lock with a transaction id
        // (it wrote its relation already).
        let probe = Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL",
        );
        loop {
            if let Some(row) = watcher.query_one_raw(probe.clone()).await.unwrap() {
                return Some((
                    started.elapsed(),
                    row.try_get::<String>("", "query").unwrap(),
                ));
            }
            if started.elapsed() > limit + Duration::from_secs(10) {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    let elapsed = started.elapsed();
    let (waiting_at, statement) = seen.expect("the write waited on the lock after writing");
    eprintln!(
        "timeouts: the write waited on the journal's lock with its relation written after {waiting_at:?} ({statement:.60}...); answered {} after {elapsed:?}",
        res.status()
    );
    assert!(waiting_at < elapsed);
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.unwrap_or(Value::Null);
    txn.rollback().await.unwrap();
    db.close().await.unwrap();
    watcher.close().await.unwrap();
    server.stop().await;
    assert_eq!(app.relation_count().await, before, "nothing was committed");
    body
}

/// On PostgreSQL: GraphQL and a Kanka POST stopped after their first
/// insert are answered 503, and their insert is rolled back.
async fn journal_lock_on(engine: Engine) {
    let Some((app, running)) = TestApp::spawn(engine).await else {
        return;
    };
    assert_eq!(engine, Engine::Postgres);
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "168").await;
    let b = app.entity("kanka", "1", "character", "72").await;
    let limit = Duration::from_millis(500);
    let body = stopped_at_the_journal(&app, limit, StatusCode::SERVICE_UNAVAILABLE, async |twin| {
        twin.post(
            "mutation($i: RelateInput!) { relate(input: $i) { created } }",
            json!({"i": {"typeId": ty, "fromId": a, "toId": b, "label": "x", "twoWay": true}}),
        )
        .await
    })
    .await;
    assert_eq!(code(&body["errors"][0]), "REQUEST_TIMEOUT", "{body}");
    // A REST route has no timeout of its own: the server's backstop (the
    // limit and 5 s) answers, in Kanka's envelope.
    let body = stopped_at_the_journal(&app, limit, StatusCode::SERVICE_UNAVAILABLE, async |twin| {
        twin.client
            .post(twin.url("/kanka/api/1.0/campaigns/1/entities/168/relations"))
            .json(
                &json!({"relation": "Friends", "owner_id": 168, "target_id": 72, "two_way": true}),
            )
            .send()
            .await
            .unwrap()
    })
    .await;
    assert_eq!(body["code"], 503, "{body}");
    running.teardown().await;
}

mod a_write_stopped_at_a_lock_after_its_insert_times_out_and_commits_nothing {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::journal_lock_on(super::Engine::Postgres).await
    }
}

/// A batch whose first mutation finished before a later one timed out: the
/// operations of a batch are independent (each its own transaction, as
/// batching clients expect of separate requests), so the first stays
/// committed while nothing of the one cut short is; the README says so.
async fn a_timed_out_batch_keeps_what_finished_and_nothing_of_what_was_cut(app: TestApp) {
    let (app, hub, limit) = measured_hub(&app).await;
    let (twin, server) = impatient(&app, limit).await;
    let batch = json!([
        {"query": "mutation { upsertEntity(input: {source: \"kanka\", space: \"1\", kind: \"character\", externalId: \"99\"}) { created } }"},
        {"query": DELETE, "variables": {"i": {"id": hub}}},
    ]);
    times_out_midway(&twin, &server, &batch).await;
    server.stop().await;
    nothing_committed(&app, &hub).await;
    let found = app
        .gql(
            "{ entity(source: \"kanka\", space: \"1\", externalId: \"99\") { id } }",
            json!({}),
        )
        .await;
    assert!(found["data"]["entity"]["id"].is_string(), "{found}");
}

engine_tests!(a_timed_out_batch_keeps_what_finished_and_nothing_of_what_was_cut);
