//! OpenTelemetry export of traces (cargo feature `otel`): each request's
//! span, with what happens inside it, sent to an OTLP collector over HTTP.
//!
//! Configured the OpenTelemetry way, by the SDK's own environment
//! variables, so that a deployment that already sets them for its other
//! services needs nothing new: export is on when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
//! is set; `OTEL_EXPORTER_OTLP_PROTOCOL` is `http/protobuf` (the default)
//! or `http/json`; `OTEL_SERVICE_NAME` (default `relgate`),
//! `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_HEADERS` and the batch
//! settings `OTEL_BSP_*` are read as the SDK documents them. The endpoint
//! is plain `http://` (a collector beside the gateway); gRPC is not built.
//!
//! A request whose `traceparent` header is a valid W3C trace context
//! continues that trace: its span's parent is the client's span.
//!
//! The SDK's batch processor exports from a thread of its own, outside the
//! async runtime; [`OnRuntime`] hands each export to the runtime, whose
//! reactor hyper's client needs. Spans are dropped, never waited for, when
//! the collector is slow or away (the queue is bounded by
//! `OTEL_BSP_MAX_QUEUE_SIZE`): tracing never slows a request down.

use std::time::Duration;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing_opentelemetry::{OpenTelemetryLayer, OpenTelemetrySpanExt};
use tracing_subscriber::Registry;

/// The layer that turns tracing's spans into OpenTelemetry spans.
pub type Layer = OpenTelemetryLayer<Registry, SdkTracer>;

/// How long one export may take (the SDK's default for
/// `OTEL_EXPORTER_OTLP_TIMEOUT`).
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether the environment asks for export.
pub fn configured() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|var| std::env::var(var).is_ok_and(|v| !v.trim().is_empty()))
}

/// How long the exit may wait for the spans still queued to be sent.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// The running export: shut it down at exit, which sends what is queued.
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// Sends the spans still queued (for at most [`SHUTDOWN_TIMEOUT`]: a
    /// collector that does not answer cannot hold the exit) and stops the
    /// exporter.
    pub fn shutdown(self) {
        if let Err(err) = self.provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT) {
            eprintln!("relgate: OpenTelemetry export did not shut down cleanly: {err}");
        }
    }
}

/// The tracing layer and its exporter, when the environment asks for
/// export (see the module's documentation); `runtime` runs the exports.
pub fn layer(runtime: tokio::runtime::Handle) -> Result<Option<(Layer, Telemetry)>, String> {
    if !configured() {
        return Ok(None);
    }
    let client = OnRuntime {
        inner: opentelemetry_http::hyper::HyperClient::with_default_connector(EXPORT_TIMEOUT, None),
        runtime,
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_protocol(protocol()?)
        .build()
        .map_err(|e| format!("OpenTelemetry export (OTEL_EXPORTER_OTLP_*): {e}"))?;
    let resource = match std::env::var("OTEL_SERVICE_NAME") {
        Ok(name) if !name.trim().is_empty() => Resource::builder().build(),
        _ => Resource::builder().with_service_name("relgate").build(),
    };
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    let tracer = provider.tracer("relgate");
    Ok(Some((
        tracing_opentelemetry::layer().with_tracer(tracer),
        Telemetry { provider },
    )))
}

/// The encoding asked for by `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or
/// `OTEL_EXPORTER_OTLP_PROTOCOL`: protobuf when neither is set (the OTLP
/// default; the SDK, with both encodings built, would pick JSON), and a
/// start-up error for `grpc` or anything else (the SDK would fall back to
/// JSON with a warning few would see).
fn protocol() -> Result<opentelemetry_otlp::Protocol, String> {
    use opentelemetry_otlp::Protocol;
    for var in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        let Ok(value) = std::env::var(var) else {
            continue;
        };
        return match value.trim().to_ascii_lowercase().as_str() {
            "" => continue,
            "http/protobuf" => Ok(Protocol::HttpBinary),
            "http/json" => Ok(Protocol::HttpJson),
            _ => Err(format!(
                "{var}={value}: relgate exports traces over HTTP only; use http/protobuf (the default) or http/json"
            )),
        };
    }
    Ok(Protocol::HttpBinary)
}

/// Makes `span` a child of the trace context in `headers`' `traceparent`
/// (and `tracestate`), when there is a valid one.
pub fn continue_trace(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    let context =
        TraceContextPropagator::new().extract(&opentelemetry_http::HeaderExtractor(headers));
    // A span that is not recorded (filtered out) has nothing to link.
    let _ = span.set_parent(context);
}

/// hyper's client, run on the async runtime (the SDK calls it from the
/// batch processor's own thread, which has no reactor).
#[derive(Debug)]
struct OnRuntime {
    inner: opentelemetry_http::hyper::HyperClient,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl HttpClient for OnRuntime {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let inner = self.inner.clone();
        self.runtime
            .spawn(async move { inner.send_bytes(request).await })
            .await
            .map_err(|e| Box::new(e) as HttpError)?
    }
}
