//! Overload is refused early and cheaply: the wait for a turn to execute is
//! bounded in length (`--max-queued-requests`) and in time
//! (`--queue-timeout`); beyond either a request gets `OVERLOADED` (HTTP
//! 503, `Retry-After`) at once, and memory stays bounded under hundreds of
//! concurrent expensive queries.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use relgate::config::ServeArgs;
use sea_orm::{
    ConnectionTrait, Database, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{Engine, TestApp};

engine_tests!(
    serve = one_turn;
    a_full_queue_refuses_at_once_and_a_long_wait_is_refused_after_the_queue_timeout,
);
engine_tests!(
    serve = a_few_turns;
    hundreds_of_concurrent_expensive_queries_are_answered_or_refused_and_memory_stays_bounded,
);

fn one_turn() -> ServeArgs {
    ServeArgs {
        max_concurrent_requests: 1,
        max_queued_requests: 2,
        queue_timeout: Duration::from_millis(500),
        ..Default::default()
    }
}

fn a_few_turns() -> ServeArgs {
    ServeArgs {
        max_concurrent_requests: 4,
        max_queued_requests: 32,
        queue_timeout: Duration::from_secs(1),
        ..Default::default()
    }
}

/// HTTP status, `Retry-After`, first error code, time taken.
async fn answer(
    app: &TestApp,
    query: &str,
    variables: Value,
) -> (u16, Option<String>, String, Duration) {
    let started = Instant::now();
    let res = app.post(query, variables).await;
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = res.json().await.unwrap();
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    (status, retry, code, started.elapsed())
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

async fn a_full_queue_refuses_at_once_and_a_long_wait_is_refused_after_the_queue_timeout(
    app: TestApp,
) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    // The test's own connection holds the write lock, so a relate holds the
    // only turn while it waits for it.
    let db = Database::connect(&app.database_url).await.unwrap();
    let lock = match app.engine {
        Engine::Sqlite => db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
            .unwrap(),
        Engine::Postgres => {
            let txn = db.begin().await.unwrap();
            txn.execute_unprepared("LOCK TABLE relations IN ACCESS EXCLUSIVE MODE")
                .await
                .unwrap();
            txn
        }
    };
    let holder = {
        let app = app.clone();
        let (ty, a, b) = (ty.clone(), a.clone(), b.clone());
        tokio::spawn(async move {
            answer(
                &app,
                "mutation($i: RelateInput!) { relate(input: $i) { created } }",
                json!({"i": {"typeId": ty, "fromId": a, "toId": b, "label": "holder"}}),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let flood =
        join_all((0..20).map(|_| answer(&app, "{ relationTypes { totalCount } }", json!({}))))
            .await;
    lock.commit().await.unwrap();
    let held = holder.await.unwrap();
    assert_eq!(
        (held.0, held.2.as_str()),
        (200, ""),
        "the holder ran: {held:?}"
    );
    let mut at_once = 0;
    let mut after_wait = 0;
    for (status, retry, code, took) in &flood {
        assert_eq!(*status, 503, "{flood:?}");
        assert_eq!(code, "OVERLOADED", "{flood:?}");
        assert_eq!(retry.as_deref(), Some("1"), "{flood:?}");
        if *took < Duration::from_millis(400) {
            at_once += 1;
        } else {
            assert!(*took < Duration::from_millis(1500), "waited {took:?}");
            after_wait += 1;
        }
    }
    eprintln!(
        "chaos: overload ({:?}): 1 turn, 2 may wait: of 20 requests, {at_once} refused at once, {after_wait} after waiting the 500 ms queue timeout",
        app.engine
    );
    assert!(at_once >= 17, "{at_once} refused at once");
    assert!(after_wait <= 2, "{after_wait} waited");
    // Service goes on.
    let ok = answer(&app, "{ relationTypes { totalCount } }", json!({})).await;
    assert_eq!((ok.0, ok.2.as_str()), (200, ""));
    db.close().await.unwrap();
}

async fn hundreds_of_concurrent_expensive_queries_are_answered_or_refused_and_memory_stays_bounded(
    app: TestApp,
) {
    app.demo_seed(300, 3000);
    let some: Value = app
        .data(
            "{ entities(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let id = some["entities"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = "query($id: ID!) { node(id: $id) { ... on Entity { neighbourhood(depth: 3, first: 100) { totalCount edges { distance node { id name relations(first: 20) { totalCount edges { other { id name } } } } } } } } }";
    let before = rss_kib();
    let started = Instant::now();
    let all = join_all((0..300).map(|_| answer(&app, query, json!({"id": id})))).await;
    let took = started.elapsed();
    let after = rss_kib();
    let mut answered = 0;
    let mut refused = 0;
    for (status, retry, code, _) in &all {
        match (*status, code.as_str()) {
            (200, "") => answered += 1,
            (503, "OVERLOADED") => {
                assert_eq!(retry.as_deref(), Some("1"));
                refused += 1;
            }
            other => panic!("neither answered nor refused: {other:?}"),
        }
    }
    eprintln!(
        "chaos: 300 concurrent neighbourhood queries ({:?}, 4 turns, 32 may wait): {answered} answered, {refused} refused in {:.1} s; resident memory {} -> {} MiB",
        app.engine,
        took.as_secs_f64(),
        before / 1024,
        after / 1024
    );
    assert!(
        answered >= 4 && refused > 0,
        "{answered} answered, {refused} refused"
    );
    assert!(
        after.saturating_sub(before) < 256 * 1024,
        "memory grew by {} MiB",
        (after - before) / 1024
    );
}
