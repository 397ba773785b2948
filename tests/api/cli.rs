//! The `relgate` command line: `schema`, `migrate`, `demo seed`.

use std::process::Command;

use crate::helpers::{Engine, TestApp};

fn relgate(args: &[&str], database_url: &str) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_relgate"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run relgate");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn relgate_schema_prints_the_checked_in_sdl() {
    let (ok, sdl, err) = relgate(&["schema"], "sqlite://unused.db");
    assert!(ok, "{err}");
    assert_eq!(sdl, relgate::graphql::sdl());
    assert!(
        !std::path::Path::new("unused.db").exists(),
        "schema opens no database"
    );
}

/// A build without the `otel` feature says so when the environment asks
/// for OpenTelemetry export, rather than ignoring it in silence.
#[cfg(not(feature = "otel"))]
#[test]
fn a_build_without_otel_says_so_when_export_is_asked_for() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relgate"))
        .arg("schema")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
        .output()
        .expect("run relgate");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("OTEL_EXPORTER_OTLP_ENDPOINT is set") && stderr.contains("--features otel"),
        "{stderr}"
    );
}

/// `RUST_LOG` filters by target and level: `relgate::sql=trace` logs every
/// statement (the benchmark captures Q1's SQL that way), and nothing else;
/// a span directive still works (through `EnvFilter`).
#[test]
fn rust_log_selects_what_is_logged() {
    let db = std::env::temp_dir().join(format!("relgate_log_{}.db", std::process::id()));
    let url = format!("sqlite://{}", db.display());
    let run = |filter: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_relgate"))
            .args(["migrate"])
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", filter)
            .env("NO_COLOR", "1")
            .output()
            .expect("run relgate");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    let sql = run("relgate::sql=trace");
    assert!(
        sql.contains("relgate::sql") && sql.contains("CREATE TABLE"),
        "{sql}"
    );
    assert!(!sql.contains(" INFO "), "{sql}");
    let quiet = run("warn");
    assert!(!quiet.contains("relgate::sql"), "{quiet}");
    let spans = run("[request]=debug,relgate::sql=trace");
    assert!(spans.contains("relgate::sql"), "{spans}");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

async fn migrate_and_seed_on(engine: Engine) {
    // A server gives us a fresh database (and removes it afterwards); the
    // commands then run against that database as separate processes.
    let Some((app, running)) = TestApp::spawn(engine).await else {
        return;
    };
    let url = app.database_url.clone();
    let (ok, _, err) = relgate(&["migrate"], &url);
    assert!(ok, "migrate: {err}");
    let (ok, first, err) = relgate(&["demo", "seed"], &url);
    assert!(ok, "demo seed: {err}");
    assert!(
        first.contains("11 entities and 9 relations created"),
        "{first}"
    );
    let (ok, second, err) = relgate(&["demo", "seed"], &url);
    assert!(ok, "demo seed again: {err}");
    assert!(
        second.contains("0 entities and 0 relations created"),
        "{second}"
    );
    let data = app
        .data(
            "{ entities { totalCount } relations { totalCount } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(data["entities"]["totalCount"], 11);
    // Two of the nine are a two-way pair.
    assert_eq!(data["relations"]["totalCount"], 10);
    let (ok, _, err) = relgate(&["migrate"], "sqlite:///no/such/dir/relgate.db");
    assert!(!ok, "an unreachable database fails the command");
    assert!(err.contains("connecting to the database"), "{err}");
    running.teardown().await;
}

mod migrate_and_demo_seed_are_idempotent {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::migrate_and_seed_on(super::Engine::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::migrate_and_seed_on(super::Engine::Postgres).await
    }
}
