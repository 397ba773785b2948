//! OpenTelemetry export (`--features otel`; CI runs these with
//! `cargo test --features otel --test api otel::`): the real binary, built
//! with the feature, exports over OTLP/HTTP to a receiver the test runs on
//! loopback, which keeps each export request as it came.
//!
//! - In JSON (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`), with a batch delay
//!   far longer than the test: every span arrives at SIGTERM, when the
//!   process sends what is queued before it exits 0. A request that sent a
//!   `traceparent` is a span of the client's trace, its child; one that
//!   sent none starts a trace of its own. The span carries the request id
//!   answered in `x-request-id`, its SQL statements as events (at
//!   `RUST_LOG=relgate::sql=trace`), and the resource names the service.
//! - In protobuf (the default), with a short delay: spans arrive while the
//!   process runs, as `application/x-protobuf` carrying the trace's id.
//! - With the collector away, requests are answered as ever and the
//!   process still exits 0 at once on SIGTERM.
//! - A protocol it does not speak (`grpc`) is refused at start, by name.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::TestApp;
use crate::process::Process;

engine_tests!(
    spans_continue_the_clients_trace_and_are_flushed_at_exit,
    protobuf_spans_arrive_while_the_process_runs,
    requests_are_answered_with_the_collector_away,
);

/// One export request: its content type and body.
type Export = (String, Bytes);

/// An OTLP/HTTP receiver on a free loopback port: `POST /v1/traces`,
/// answered 200 with an empty export response in the request's encoding.
struct Receiver {
    endpoint: String,
    exports: Arc<Mutex<Vec<Export>>>,
}

impl Receiver {
    async fn start() -> Self {
        let exports: Arc<Mutex<Vec<Export>>> = Arc::default();
        let kept = exports.clone();
        let app = axum::Router::new().route(
            "/v1/traces",
            post(move |headers: HeaderMap, body: Bytes| async move {
                let kind = headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                kept.lock().unwrap().push((kind.clone(), body));
                let answer = if kind.contains("json") { "{}" } else { "" };
                (StatusCode::OK, [(header::CONTENT_TYPE, kind)], answer)
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { endpoint, exports }
    }

    fn exports(&self) -> Vec<Export> {
        self.exports.lock().unwrap().clone()
    }

    /// Every span of every JSON export, with its resource's attributes.
    fn json_spans(&self) -> Vec<(Value, Value)> {
        let mut spans = Vec::new();
        for (kind, body) in self.exports() {
            assert!(kind.contains("application/json"), "{kind}");
            let export: Value = serde_json::from_slice(&body).expect("an OTLP JSON export");
            for resource in export["resourceSpans"].as_array().into_iter().flatten() {
                let scopes = resource["scopeSpans"].as_array().into_iter().flatten();
                for span in scopes.flat_map(|s| s["spans"].as_array().into_iter().flatten()) {
                    spans.push((span.clone(), resource["resource"]["attributes"].clone()));
                }
            }
        }
        spans
    }
}

/// The string value of the attribute `key` in an OTLP attribute list.
fn attribute(attributes: &Value, key: &str) -> Option<String> {
    attributes
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)?
        .get("value")?
        .get("stringValue")?
        .as_str()
        .map(str::to_owned)
}

/// Random lowercase hex of `bytes` bytes (never all zeros).
fn random_hex(bytes: usize) -> String {
    let mut id = uuid::Uuid::new_v4().simple().to_string();
    id.truncate(bytes * 2);
    id
}

/// A GraphQL query to `process`, with `headers`; returns the answered
/// `x-request-id`.
async fn query(process: &Process, headers: &[(&str, &str)]) -> String {
    let mut req = reqwest::Client::new()
        .post(format!("http://{}/graphql", process.addr))
        .json(&json!({"query": "{ relationTypes { totalCount } }"}));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert!(
        body["data"]["relationTypes"]["totalCount"].is_number(),
        "{body}"
    );
    id
}

/// SIGTERM, then the exit status within `limit`.
async fn terminated(mut process: Process, limit: Duration) {
    process.terminate();
    let status = process.exited(limit).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "relgate exited 0 within {limit:?} ({status:?}): {}",
        process.log()
    );
}

async fn spans_continue_the_clients_trace_and_are_flushed_at_exit(app: TestApp) {
    let receiver = Receiver::start().await;
    let process = Process::start_with(
        &app.database_url,
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            // Nothing is sent before the exit's flush.
            ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
            // Each statement an event of its request's span.
            ("RUST_LOG", "info,relgate::sql=trace"),
        ],
    );
    let (trace, parent) = (random_hex(16), random_hex(8));
    let traced = query(
        &process,
        &[("traceparent", &format!("00-{trace}-{parent}-01"))],
    )
    .await;
    let untraced = query(&process, &[("x-request-id", "otel-untraced")]).await;
    assert_eq!(untraced, "otel-untraced");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        receiver.exports().is_empty(),
        "nothing is sent before the batch delay"
    );
    let started = Instant::now();
    terminated(process, Duration::from_secs(10)).await;
    let spans = receiver.json_spans();
    eprintln!(
        "otel ({:?}): {} spans in {} exports, flushed at exit within {:?}",
        app.engine,
        spans.len(),
        receiver.exports().len(),
        started.elapsed()
    );
    let request = |id: &str| {
        spans
            .iter()
            .find(|(s, _)| {
                s["name"] == "request"
                    && attribute(&s["attributes"], "request_id").as_deref() == Some(id)
            })
            .unwrap_or_else(|| panic!("no request span with request_id {id} in {spans:#?}"))
    };
    let (span, resource) = request(&traced);
    assert_eq!(span["traceId"], trace, "the client's trace");
    assert_eq!(span["parentSpanId"], parent, "a child of the client's span");
    assert_eq!(
        attribute(&span["attributes"], "path").as_deref(),
        Some("/graphql")
    );
    assert_eq!(
        attribute(&span["attributes"], "method").as_deref(),
        Some("POST")
    );
    assert_eq!(
        attribute(resource, "service.name").as_deref(),
        Some("relgate")
    );
    let statements: Vec<String> = span["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| attribute(&e["attributes"], "sql"))
        .collect();
    assert!(
        statements.iter().any(|sql| sql.contains("relation_types")),
        "the request's statements are events of its span: {statements:?}"
    );
    let (span, _) = request("otel-untraced");
    let own = span["traceId"].as_str().unwrap();
    assert_eq!(own.len(), 32);
    assert!(
        own != trace && own.bytes().any(|b| b != b'0'),
        "a trace of its own: {own}"
    );
    assert!(
        span["parentSpanId"].as_str().unwrap_or_default().is_empty(),
        "a root span: {span}"
    );
}

async fn protobuf_spans_arrive_while_the_process_runs(app: TestApp) {
    let receiver = Receiver::start().await;
    let process = Process::start_with(
        &app.database_url,
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let trace = random_hex(16);
    query(
        &process,
        &[("traceparent", &format!("00-{trace}-{}-01", random_hex(8)))],
    )
    .await;
    // Protobuf carries the id's 16 bytes as they are.
    let raw = hex::decode(&trace).unwrap();
    let started = Instant::now();
    let found = loop {
        let exports = receiver.exports();
        if let Some(found) = exports
            .iter()
            .find(|(_, body)| body.windows(raw.len()).any(|w| w == raw.as_slice()))
        {
            break found.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no export carried trace {trace} ({} exports): {}",
            exports.len(),
            process.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "otel ({:?}): a protobuf export of {} bytes carried the trace {:?} after the request",
        app.engine,
        found.1.len(),
        started.elapsed()
    );
    assert_eq!(found.0, "application/x-protobuf");
    terminated(process, Duration::from_secs(10)).await;
}

async fn requests_are_answered_with_the_collector_away(app: TestApp) {
    // A port nothing listens on.
    let away = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let process = Process::start_with(
        &app.database_url,
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &away),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ],
    );
    let started = Instant::now();
    for _ in 0..20 {
        query(&process, &[]).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!(
        "otel ({:?}): 20 requests answered with the collector away in {:?}",
        app.engine,
        started.elapsed()
    );
    let started = Instant::now();
    terminated(process, Duration::from_secs(10)).await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "the exit's flush is bounded: {:?}",
        started.elapsed()
    );
}

#[test]
fn a_protocol_it_does_not_speak_is_refused_at_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relgate"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", "sqlite::memory:")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .output()
        .expect("run relgate");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("OTEL_EXPORTER_OTLP_PROTOCOL=grpc") && stderr.contains("http/protobuf"),
        "{stderr}"
    );
}
