//! PostgreSQL going away under a running gateway, through [`Proxy`]: dead
//! pooled connections cost no request; while the database refuses
//! connections every request fails fast with `DATABASE_UNAVAILABLE` (HTTP
//! 503, `Retry-After`) on GraphQL and on a dialect, `/readyz` says not
//! ready; once it is back, service returns by itself with no 5xx after.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use relgate::config::ServeArgs;
use serde_json::{Value, json};

use super::{Proxy, server_of, via};
use crate::helpers::{Engine, TestApp};

const READ: &str = "query($id: ID!) { node(id: $id) { ... on Entity { id name relations(first: 5) { totalCount edges { node { id label } } } } } relationTypes { totalCount } }";
const RELATE: &str = "mutation($i: RelateInput!) { relate(input: $i) { created relation { id } } }";

/// What one request got: HTTP status, `Retry-After`, the first error's code.
#[derive(Debug)]
struct Outcome {
    status: u16,
    retry_after: Option<String>,
    code: Option<String>,
    took: Duration,
}

async fn graphql(app: &TestApp, query: &str, variables: Value) -> Outcome {
    let started = Instant::now();
    let res = app.post(query, variables).await;
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = res.json().await.unwrap_or(Value::Null);
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_owned);
    Outcome {
        status,
        retry_after,
        code,
        took: started.elapsed(),
    }
}

async fn get(app: &TestApp, path: &str) -> Outcome {
    let started = Instant::now();
    let res = app.client.get(app.url(path)).send().await.unwrap();
    Outcome {
        status: res.status().as_u16(),
        retry_after: res
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned()),
        code: res
            .headers()
            .get("x-relgate-error-code")
            .map(|v| v.to_str().unwrap().to_owned()),
        took: started.elapsed(),
    }
}

/// A figure of `/metrics`.
async fn metric(app: &TestApp, name: &str) -> u64 {
    crate::helpers::metric_value(&app.metrics().await, name) as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_fails_fast_and_service_returns_by_itself() {
    let Some((app, running)) = TestApp::spawn(Engine::Postgres).await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (PostgreSQL outages)");
        return;
    };
    tokio::time::timeout(Duration::from_secs(120), scenario(&app))
        .await
        .expect("the outage scenario finishes within two minutes");
    running.teardown().await;
}

async fn scenario(app: &TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let c = app.entity("kanka", "1", "location", "3").await;
    app.relate_ok(&ty, &a, &b, json!({"label": "before"})).await;
    let copper_person = app.entity("copper", "default", "person", "7").await;
    let _ = copper_person;

    let proxy = Proxy::start(server_of(&app.database_url)).await;
    let serve = ServeArgs {
        request_timeout: Duration::from_secs(10),
        ..Default::default()
    };
    let (gw, twin) = app
        .twin_over(&via(&app.database_url, proxy.addr), serve, 6)
        .await;
    let read = || graphql(&gw, READ, json!({"id": a}));

    // Warm: the pool and the readers' kept connections fill.
    let warm = join_all((0..12).map(|_| read())).await;
    assert!(warm.iter().all(|o| o.status == 200), "{warm:?}");

    // 1. Every connection dies, the database still accepts new ones: no
    // request fails (a read runs again on a tested connection, a write's
    // BEGIN too).
    proxy.cut();
    let mut failed = Vec::new();
    let (mut reads, mut writes) = (0, 0);
    for round in 0..3 {
        let outcomes = join_all((0..8).map(|_| read())).await;
        reads += outcomes.len();
        failed.extend(outcomes.into_iter().filter(|o| o.status != 200));
        let w = graphql(
            &gw,
            RELATE,
            json!({"i": {"typeId": ty, "fromId": a, "toId": c, "label": format!("cut {round}")}}),
        )
        .await;
        writes += 1;
        if w.status != 200 || w.code.is_some() {
            failed.push(w);
        }
        proxy.cut();
    }
    eprintln!(
        "chaos: dead pooled connections: {reads} reads and {writes} writes after the connections were cut, {} failed",
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "requests failed on dead connections: {failed:?}"
    );
    let retries = metric(&gw, "relgate_db_retries_total").await;
    eprintln!(
        "chaos: dead pooled connections: {retries} statements run again on a fresh connection"
    );
    assert!(retries > 0, "the reads met dead connections and ran again");

    // 2. The database refuses connections: requests fail fast, 503 with
    // Retry-After and DATABASE_UNAVAILABLE; /readyz says not ready.
    proxy.down();
    let outage = Instant::now();
    let mut not_ready_after = None;
    while not_ready_after.is_none() {
        let r = get(&gw, "/readyz").await;
        if r.status == 503 {
            not_ready_after = Some(outage.elapsed());
        }
        assert!(
            outage.elapsed() < Duration::from_secs(5),
            "/readyz still ready"
        );
    }
    let mut answers = Vec::new();
    while outage.elapsed() < Duration::from_secs(3) {
        answers.push(read().await);
        answers.push(
            graphql(
                &gw,
                RELATE,
                json!({"i": {"typeId": ty, "fromId": b, "toId": c, "label": "during"}}),
            )
            .await,
        );
        let dialect = get(&gw, "/kanka/api/1.0/campaigns/1/entities/1/relations").await;
        answers.push(dialect);
    }
    let slowest = answers.iter().map(|o| o.took).max().unwrap();
    eprintln!(
        "chaos: outage: /readyz not ready {:.0} ms after the database went away; {} requests during it, slowest answered in {:.0} ms",
        not_ready_after.unwrap().as_secs_f64() * 1e3,
        answers.len(),
        slowest.as_secs_f64() * 1e3
    );
    for o in &answers {
        assert_eq!(o.status, 503, "{o:?}");
        assert_eq!(o.retry_after.as_deref(), Some("1"), "{o:?}");
        assert_eq!(o.code.as_deref(), Some("DATABASE_UNAVAILABLE"), "{o:?}");
    }
    assert!(slowest < Duration::from_secs(2), "failing took {slowest:?}");

    // 3. The database is back: service returns by itself, and nothing fails
    // after.
    proxy.restore();
    let back = Instant::now();
    loop {
        let r = read().await;
        if r.status == 200 && r.code.is_none() {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(10),
            "no recovery: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered = back.elapsed();
    let mut after = Vec::new();
    for round in 0..4 {
        after.extend(join_all((0..8).map(|_| read())).await);
        after.push(
            graphql(
                &gw,
                RELATE,
                json!({"i": {"typeId": ty, "fromId": b, "toId": c, "label": format!("after {round}")}}),
            )
            .await,
        );
        after.push(get(&gw, "/readyz").await);
    }
    let bad: Vec<_> = after
        .iter()
        .filter(|o| o.status != 200 || o.code.is_some())
        .collect();
    eprintln!(
        "chaos: recovery: first success {:.0} ms after the database came back; {} requests after, {} failed",
        recovered.as_secs_f64() * 1e3,
        after.len(),
        bad.len()
    );
    assert!(bad.is_empty(), "{bad:?}");
    assert!(
        recovered < Duration::from_secs(3),
        "recovery took {recovered:?}"
    );
    assert_eq!(metric(&gw, "relgate_db_up").await, 1);
    assert!(metric(&gw, "relgate_db_outages_total").await >= 1);

    // Nothing written during the outage, everything acknowledged after.
    let labels = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Entity { relations(first: 50) { edges { node { label } } } } } }",
            json!({"id": b}),
        )
        .await;
    let labels: Vec<_> = labels["node"]["relations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["label"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(!labels.iter().any(|l| l == "during"), "{labels:?}");
    for round in 0..4 {
        assert!(labels.contains(&format!("after {round}")), "{labels:?}");
    }
    twin.stop().await;
}

/// PostgreSQL ends every session (`pg_terminate_backend`, as a restart or a
/// failover does) and comes back read-only (a standby): reads go on, each
/// run again on a new connection when its own was ended; writes fail with
/// `DATABASE_READ_ONLY` (HTTP 503), and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_postgres_refuses_writes_with_a_code_and_reads_go_on() {
    let Some((app, running)) = TestApp::spawn(Engine::Postgres).await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (a read-only PostgreSQL)");
        return;
    };
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let warm = join_all((0..8).map(|_| graphql(&app, READ, json!({"id": a})))).await;
    assert!(warm.iter().all(|o| o.status == 200), "{warm:?}");
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let admin = sea_orm::Database::connect(crate::helpers::postgres_url().unwrap())
        .await
        .unwrap();
    use sea_orm::ConnectionTrait;
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" SET default_transaction_read_only = on"
        ))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();
    let reads = join_all((0..8).map(|_| graphql(&app, READ, json!({"id": a})))).await;
    let write = graphql(
        &app,
        RELATE,
        json!({"i": {"typeId": ty, "fromId": a, "toId": b, "label": "read-only"}}),
    )
    .await;
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" SET default_transaction_read_only = off"
        ))
        .await
        .unwrap();
    admin.close().await.unwrap();
    eprintln!(
        "chaos: every session ended, read-only after: {} of {} reads answered; a write: HTTP {} {:?}",
        reads
            .iter()
            .filter(|o| o.status == 200 && o.code.is_none())
            .count(),
        reads.len(),
        write.status,
        write.code
    );
    assert!(
        reads.iter().all(|o| o.status == 200 && o.code.is_none()),
        "{reads:?}"
    );
    assert_eq!(write.status, 503, "{write:?}");
    assert_eq!(
        write.code.as_deref(),
        Some("DATABASE_READ_ONLY"),
        "{write:?}"
    );
    assert_eq!(write.retry_after.as_deref(), Some("30"));
    running.teardown().await;
}
