//! An SQLite file under stress: locked by another process past the busy
//! timeout (a clear `DATABASE_UNAVAILABLE`, not a hang), opened read-only
//! (a clear start-up error), and served by two gateway processes at once
//! (a user mistake that works: the limits hold across them).

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use sea_orm::{Database, SqliteTransactionMode, TransactionOptions, TransactionTrait};
use serde_json::{Value, json};

use crate::helpers::{Engine, TestApp, run};
use crate::process::Process;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_sqlite_file_is_a_clear_error_within_the_db_timeout() {
    run(Engine::Sqlite, |app| async move {
        let ty = app.type_id("kanka", "relation").await;
        let a = app.entity("kanka", "1", "character", "1").await;
        let b = app.entity("kanka", "1", "character", "2").await;
        let process = Process::start(&app.database_url, &["--db-timeout", "1s"]);
        let gw = TestApp {
            addr: process.addr,
            ..app.clone()
        };
        // Another process's connection holds the write lock.
        let db = Database::connect(&app.database_url).await.unwrap();
        let lock = db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
            .unwrap();
        let started = Instant::now();
        let res = gw
            .post(
                "mutation($i: RelateInput!) { relate(input: $i) { created } }",
                json!({"i": {"typeId": ty, "fromId": a, "toId": b, "label": "locked"}}),
            )
            .await;
        let took = started.elapsed();
        let status = res.status().as_u16();
        let retry = res.headers().get("retry-after").cloned();
        let body: Value = res.json().await.unwrap();
        // Reads go on meanwhile (WAL).
        let read = gw.data("{ relationTypes { totalCount } }", json!({})).await;
        lock.rollback().await.unwrap();
        eprintln!(
            "chaos: a locked SQLite file: the write failed in {:.1} s (--db-timeout 1s) with HTTP {status} {}",
            took.as_secs_f64(),
            body["errors"][0]["extensions"]["code"]
        );
        assert_eq!(status, 503, "{body}");
        assert!(retry.is_some());
        assert_eq!(body["errors"][0]["extensions"]["code"], "DATABASE_UNAVAILABLE", "{body}");
        assert!(took < Duration::from_secs(4), "took {took:?}");
        assert!(read["relationTypes"]["totalCount"].as_u64().unwrap() > 0);
        // Once the lock is gone, the write goes through.
        let ok = gw
            .gql(
                "mutation($i: RelateInput!) { relate(input: $i) { created } }",
                json!({"i": {"typeId": ty, "fromId": a, "toId": b, "label": "locked"}}),
            )
            .await;
        assert_eq!(ok["data"]["relate"]["created"], true, "{ok}");
        db.close().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_sqlite_file_is_refused_at_start_with_a_clear_message() {
    let path = std::env::temp_dir().join(format!("relgate_ro_{}.db", std::process::id()));
    // A store that exists, opened read-only.
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_relgate"))
        .arg("migrate")
        .env("DATABASE_URL", format!("sqlite://{}", path.display()))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(made.status.success());
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relgate"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=ro", path.display()),
        )
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    eprintln!(
        "chaos: a read-only SQLite file: refused at start in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        stderr.lines().last().unwrap_or_default()
    );
    assert!(!out.status.success());
    assert!(stderr.contains("read-only"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_sqlite_file_keep_the_limits() {
    run(Engine::Sqlite, |app| async move {
        let ty = app.type_id("copper", "related").await;
        let person = app.entity("copper", "default", "person", "1").await;
        let mut companies = Vec::new();
        for i in 0..40 {
            companies.push(app.entity("copper", "default", "company", &(100 + i).to_string()).await);
        }
        let one = Process::start(&app.database_url, &[]);
        let two = Process::start(&app.database_url, &[]);
        let gws = [
            TestApp { addr: one.addr, ..app.clone() },
            TestApp { addr: two.addr, ..app.clone() },
        ];
        let answers = join_all(companies.iter().enumerate().map(|(i, c)| {
            let gw = gws[i % 2].clone();
            let input = json!({"typeId": ty, "fromId": person, "toId": c});
            async move { gw.relate(input).await }
        }))
        .await;
        let ok = answers.iter().filter(|r| r.get("errors").is_none()).count();
        for r in &answers {
            if r.get("errors").is_some() {
                assert_eq!(r["errors"][0]["extensions"]["rule"], "LIMIT_EXCEEDED", "{r}");
            }
        }
        let seen: Vec<u64> = join_all(gws.iter().map(|g| g.relation_count())).await;
        eprintln!(
            "chaos: two processes on one SQLite file: 40 racing Copper relates of one person, {ok} acknowledged, {} refused; each process sees {seen:?}",
            answers.len() - ok
        );
        assert_eq!(ok, 1, "the one-company limit holds across processes");
        assert_eq!(seen, vec![1, 1]);
    })
    .await;
}
