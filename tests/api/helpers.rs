//! Starting a real relgate on port 0 over a fresh database, and talking to it
//! over HTTP.
//!
//! Every scenario runs on SQLite (a new file) and, when `TEST_DATABASE_URL`
//! names a PostgreSQL server, on PostgreSQL too (a new database, dropped
//! afterwards). `engine_tests!` turns each scenario `async fn name(app: TestApp)`
//! into two tests, `name::sqlite` and `name::postgres`. Logs are printed only
//! when `TEST_LOG` is set.

use std::net::SocketAddr;
use std::sync::Once;

use relgate::config::{DatabaseArgs, ServeArgs};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A client for a running server (cheap to clone).
#[derive(Clone)]
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub engine: Engine,
    /// The database the server uses.
    pub database_url: String,
    /// The API token sent with every request, if any.
    pub token: Option<String>,
}

/// The running server: stopped, and its database removed, by `teardown`.
pub struct Running {
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

static TRACING: Once = Once::new();
static POSTGRES_SKIPPED: Once = Once::new();

/// Says once per test binary run, past libtest's output capture, that the
/// PostgreSQL variants pass without running: `cargo test` would otherwise
/// count them as passed in silence.
fn note_postgres_skipped() {
    POSTGRES_SKIPPED.call_once(|| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "note: TEST_DATABASE_URL is not set: every PostgreSQL variant of this run \
             (the `::postgres` tests) passes without running; set it to a PostgreSQL \
             server to run them"
        );
    });
}

fn init_tracing() {
    TRACING.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(
                    std::env::var("TEST_LOG").unwrap_or_else(|_| "info".into()),
                ))
                .with_test_writer()
                .try_init();
        }
    });
}

fn unique_name() -> String {
    format!("relgate_t_{}", uuid::Uuid::new_v4().simple())
}

/// The PostgreSQL server tests may use, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let (server, _) = base
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL needs a path");
    format!("{server}/{name}{query}")
}

impl TestApp {
    /// Starts a server over a fresh database of `engine`; `None` when that
    /// engine is not configured (PostgreSQL without `TEST_DATABASE_URL`).
    pub async fn spawn(engine: Engine) -> Option<(Self, Running)> {
        Self::spawn_with(engine, ServeArgs::default()).await
    }

    /// As [`TestApp::spawn`], with serve options (the bind address is
    /// always port 0 on loopback).
    pub async fn spawn_with(engine: Engine, serve: ServeArgs) -> Option<(Self, Running)> {
        Self::spawn_with_pool(engine, serve, 8).await
    }

    /// As [`TestApp::spawn_with`], with at most `pool_size` database
    /// connections.
    pub async fn spawn_with_pool(
        engine: Engine,
        serve: ServeArgs,
        pool_size: u32,
    ) -> Option<(Self, Running)> {
        init_tracing();
        let name = unique_name();
        let (database_url, cleanup) = match engine {
            Engine::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                (
                    format!("sqlite://{}", path.display()),
                    Cleanup::SqliteFile(path),
                )
            }
            Engine::Postgres => {
                let Some(admin_url) = postgres_url() else {
                    note_postgres_skipped();
                    return None;
                };
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.expect("close admin connection");
                (
                    with_database(&admin_url, &name),
                    Cleanup::PostgresDatabase { admin_url, name },
                )
            }
        };
        let (addr, _, tx, server) = start_server(&database_url, pool_size, serve).await;
        Some((
            Self {
                addr,
                client: reqwest::Client::new(),
                engine,
                database_url,
                token: None,
            },
            Running {
                shutdown: Some(tx),
                server: Some(server),
                cleanup,
            },
        ))
    }
}

/// Starts a server over `database_url` on a free port of loopback; it runs
/// until the sender is used or dropped.
async fn start_server(
    database_url: &str,
    pool_size: u32,
    mut serve: ServeArgs,
) -> (
    SocketAddr,
    Option<SocketAddr>,
    oneshot::Sender<()>,
    JoinHandle<()>,
) {
    serve.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    let db = DatabaseArgs {
        database_url: database_url.to_owned(),
        db_pool_size: pool_size,
        ..Default::default()
    };
    let app = relgate::Application::build(&db, &serve)
        .await
        .expect("build the application");
    let addr = app.local_addr().expect("local address");
    let metrics = app.metrics_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until(async {
            let _ = rx.await;
        })
        .await
        .expect("server runs");
    });
    (addr, metrics, tx, server)
}

/// A second server over another's database (see [`TestApp::twin`]).
pub struct Twin {
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<()>,
    /// Its `--metrics-bind` address, when it was given one.
    metrics: Option<SocketAddr>,
}

impl Twin {
    /// `relgate_sql_statements_total`, read from the `--metrics-bind`
    /// listener: without a token, so reading it runs no statement (on the
    /// main listener each read adds its token's lookup, and a counter
    /// polled there never stands still).
    pub async fn statements(&self) -> u64 {
        let addr = self
            .metrics
            .expect("the twin was started with metrics_bind");
        let text = reqwest::get(format!("http://{addr}/metrics"))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text");
        metric_value(&text, "relgate_sql_statements_total") as u64
    }

    /// Stops the server (the database stays).
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.server.await;
    }
}

impl TestApp {
    /// Starts a second server over this one's database, with `serve`
    /// options: to compare two configurations on the same data.
    pub async fn twin(&self, serve: ServeArgs) -> (TestApp, Twin) {
        self.twin_over(&self.database_url.clone(), serve, 4).await
    }

    /// As [`TestApp::twin`], over `database_url` (this one's database
    /// through a proxy, say), with at most `pool_size` connections.
    pub async fn twin_over(
        &self,
        database_url: &str,
        serve: ServeArgs,
        pool_size: u32,
    ) -> (TestApp, Twin) {
        let (addr, metrics, tx, server) = start_server(database_url, pool_size, serve).await;
        (
            TestApp {
                addr,
                ..self.clone()
            },
            Twin {
                shutdown: tx,
                server,
                metrics,
            },
        )
    }
}

impl Running {
    /// Stops the server and removes its database.
    pub async fn teardown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                if let Ok(admin) = Database::connect(admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            }
        }
    }
}

impl TestApp {
    /// `http://addr` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GETs `path` and parses the body as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The same client, sending `token` as its bearer token.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    /// Creates an API token with the real command line; returns it.
    pub fn create_token(&self, role: &str, name: &str, extra: &[&str]) -> String {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_relgate"))
            .args(["token", "create", "--role", role, "--name", name])
            .args(extra)
            .env("DATABASE_URL", &self.database_url)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run relgate token create");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// POSTs a GraphQL request; returns the HTTP response.
    pub async fn post(&self, query: &str, variables: Value) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("POST /graphql")
    }

    /// POSTs `body` (any JSON: a typed operation, a batch) to `/graphql`
    /// and parses the response as `R`.
    pub async fn post_body<R: serde::de::DeserializeOwned>(
        &self,
        body: &impl serde::Serialize,
    ) -> R {
        self.client
            .post(self.url("/graphql"))
            .json(body)
            .send()
            .await
            .expect("POST /graphql")
            .json()
            .await
            .expect("a JSON response")
    }

    /// POSTs a GraphQL request and returns the whole JSON response.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.post(query, variables)
            .await
            .json()
            .await
            .expect("a JSON response")
    }

    /// Runs a request that must succeed; returns its data and the SQL
    /// statements it ran (the `x-relgate-sql-statements` header).
    pub async fn data_and_statements(&self, query: &str, variables: Value) -> (Value, u64) {
        let res = self.post(query, variables).await;
        let statements = res.headers()["x-relgate-sql-statements"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let body: Value = res.json().await.expect("a JSON response");
        (Self::data_of(body), statements)
    }

    /// Runs a request that must succeed; returns its `data`.
    #[track_caller]
    pub fn data_of(response: Value) -> Value {
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// Runs a request that must succeed; returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        Self::data_of(self.gql(query, variables).await)
    }

    /// Runs a request that must fail; returns its first error.
    pub async fn error(&self, query: &str, variables: Value) -> Value {
        let res = self.gql(query, variables).await;
        let errors = res["errors"].as_array().cloned().unwrap_or_default();
        assert!(!errors.is_empty(), "expected an error, got {res:#}");
        errors[0].clone()
    }

    /// SQL statements the server has run so far (from `/metrics`).
    pub async fn statements(&self) -> u64 {
        metric_value(&self.metrics().await, "relgate_sql_statements_total") as u64
    }

    /// The text of `/metrics`.
    pub async fn metrics(&self) -> String {
        let mut req = self.client.get(self.url("/metrics"));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req.send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text")
    }

    /// Upserts an entity; returns its global id.
    pub async fn entity(&self, source: &str, space: &str, kind: &str, external_id: &str) -> String {
        let data = self
            .data(
                "mutation($i: UpsertEntityInput!) { upsertEntity(input: $i) { entity { id } } }",
                json!({ "i": { "source": source, "space": space, "kind": kind,
                               "externalId": external_id, "name": format!("{kind} {external_id}") } }),
            )
            .await;
        data["upsertEntity"]["entity"]["id"]
            .as_str()
            .expect("an entity id")
            .to_owned()
    }

    /// The global id of relation type `alias` of `source`.
    pub async fn type_id(&self, source: &str, alias: &str) -> String {
        let data = self
            .data(
                "query($s: String!, $a: String!) { relationType(source: $s, alias: $a) { id } }",
                json!({ "s": source, "a": alias }),
            )
            .await;
        data["relationType"]["id"]
            .as_str()
            .expect("a relation type id")
            .to_owned()
    }

    /// Sends `relate` with `input`; returns the whole response.
    pub async fn relate(&self, input: Value) -> Value {
        self.gql(
            "mutation($i: RelateInput!) { relate(input: $i) { created relation { id legacyId mirror { id } } mirror { id mirror { id } } } }",
            json!({ "i": input }),
        )
        .await
    }

    /// Relates `from` to `to` with type `type_id` (plus `extra` fields);
    /// returns the new relation's id.
    pub async fn relate_ok(&self, type_id: &str, from: &str, to: &str, extra: Value) -> String {
        let mut input = json!({ "typeId": type_id, "fromId": from, "toId": to });
        if let (Some(obj), Some(more)) = (input.as_object_mut(), extra.as_object()) {
            obj.extend(more.clone());
        }
        let data = Self::data_of(self.relate(input).await);
        data["relate"]["relation"]["id"]
            .as_str()
            .expect("a relation id")
            .to_owned()
    }

    /// Seeds rule-abiding data with the real command line (`relgate demo
    /// seed`); returns what it printed.
    pub fn demo_seed(&self, entities: u64, relations: u64) -> String {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_relgate"))
            .args(["demo", "seed", "--entities", &entities.to_string()])
            .args(["--relations", &relations.to_string()])
            .env("DATABASE_URL", &self.database_url)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run relgate demo seed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// How many relations the store holds (as an admin sees them).
    pub async fn relation_count(&self) -> u64 {
        let data = self.data("{ relations { totalCount } }", json!({})).await;
        data["relations"]["totalCount"].as_u64().expect("a count")
    }
}

/// One relation as [`TestApp::all_relations`] reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: Option<String>,
    pub from: String,
    pub to: String,
    pub mirror: Option<String>,
}

impl TestApp {
    /// Every relation the caller may see, by id, read page by page.
    pub async fn all_relations(&self) -> std::collections::HashMap<String, Row> {
        const ALL: &str = "query($after: String) { relations(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id label from { id } to { id } mirror { id } } } } }";
        let mut out = std::collections::HashMap::new();
        let mut after = Value::Null;
        loop {
            let page = self.data(ALL, json!({"after": after})).await["relations"].clone();
            for e in page["edges"].as_array().expect("edges") {
                let n = &e["node"];
                let id = |v: &Value| v["id"].as_str().map(str::to_owned);
                out.insert(
                    n["id"].as_str().expect("an id").to_owned(),
                    Row {
                        label: n["label"].as_str().map(str::to_owned),
                        from: id(&n["from"]).expect("a from end"),
                        to: id(&n["to"]).expect("a to end"),
                        mirror: id(&n["mirror"]),
                    },
                );
            }
            if page["pageInfo"]["hasNextPage"] != true {
                return out;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
    }
}

/// The value of the series `series` (its name and labels, as printed) in
/// the text of `/metrics`.
#[track_caller]
pub fn metric_value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{series} not in\n{text}"))
}

/// The `extensions.code` of an error.
pub fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or("<no code>")
}

/// Runs `scenario` against a fresh server on `engine`, then tears it down
/// (also when the scenario panics).
pub async fn run<F, Fut>(engine: Engine, scenario: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    run_with(engine, ServeArgs::default(), scenario).await
}

/// As [`run`], on a server started with `serve` options.
pub async fn run_with<F, Fut>(engine: Engine, serve: ServeArgs, scenario: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use futures_util::FutureExt;
    let Some((app, running)) = TestApp::spawn_with(engine, serve).await else {
        return;
    };
    let outcome = std::panic::AssertUnwindSafe(scenario(app))
        .catch_unwind()
        .await;
    running.teardown().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Declares each scenario as two tests, one per engine; with `serve = f;`
/// first, on servers started with the options `f()` returns.
#[macro_export]
macro_rules! engine_tests {
    (serve = $serve:ident; $($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::helpers::run_with($crate::helpers::Engine::Sqlite, super::$serve(), super::$name).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::helpers::run_with($crate::helpers::Engine::Postgres, super::$serve(), super::$name).await
                }
            }
        )*
    };
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::helpers::run($crate::helpers::Engine::Sqlite, super::$name).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::helpers::run($crate::helpers::Engine::Postgres, super::$name).await
                }
            }
        )*
    };
}
