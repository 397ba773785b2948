//! The HTTP surface: the axum router and its tower layers.
//!
//! `/graphql` (POST with `application/json`; GET for queries only; see
//! [`graphql`]), `/playground`, `/healthz`, `/readyz`, `/metrics`, and the
//! REST dialects. Every response carries an `x-request-id` (taken from the
//! request or made up), which is also on every log line of the request and in
//! `extensions.requestId` of internal errors. GraphQL responses also carry
//! `x-relgate-sql-statements`: the SQL statements the request ran, and
//! `x-relgate-executor`: `compiled` when the compiled executor answered (see
//! `graphql::compiled`), `async-graphql` otherwise. URLs answer with or
//! without a trailing slash. Pages of other origins may call relgate as
//! [`cors`] allows; error responses the handlers did not write get their
//! API's envelope ([`envelope`]).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, Request, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower::Layer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Authenticator;
use crate::error::AppError;
use crate::graphql::RelgateSchema;
use crate::service::Service;

pub mod cors;
pub mod envelope;
pub mod graphql;
pub mod metrics;
pub mod persisted;
pub mod playground;
pub mod server;
pub mod subscriptions;

pub use cors::CorsPolicy;
pub use persisted::PersistedDocuments;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const SQL_STATEMENTS: HeaderName = HeaderName::from_static("x-relgate-sql-statements");
const EXECUTOR: HeaderName = HeaderName::from_static("x-relgate-executor");

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schema.
    pub schema: RelgateSchema,
    /// The service (and through it the store).
    pub service: Service,
    /// Checks API tokens.
    pub auth: Arc<Authenticator>,
    /// Limits.
    pub options: HttpOptions,
    /// Turns for executing GraphQL requests.
    pub executions: Executions,
    /// The origins whose pages may call relgate (also checked on WebSocket
    /// upgrades).
    pub cors: CorsPolicy,
    /// Documents requests may name by id or hash.
    pub persisted: Arc<PersistedDocuments>,
    /// How many subscription connections, and subscriptions per connection.
    pub subscriptions: subscriptions::SubscriptionLimits,
}

/// The request's id (`x-request-id`, set for every request before any
/// handler runs).
pub fn request_id(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

const ERROR_CODE: HeaderName = HeaderName::from_static("x-relgate-error-code");

/// Marks an answer to an error the client should retry later (the codes of
/// `error::retry_after_of_code`: HTTP 503): `Retry-After`, and the code in
/// `x-relgate-error-code` (the REST dialects' envelopes have no field for
/// relgate's codes). Does nothing for other codes.
pub fn mark_retry_later(headers: &mut axum::http::HeaderMap, code: &'static str) {
    if let Some(secs) = crate::error::retry_after_of_code(code) {
        headers.insert(header::RETRY_AFTER, secs.into());
        headers.insert(ERROR_CODE, axum::http::HeaderValue::from_static(code));
    }
}

/// How many GraphQL requests execute at once, and how many may wait. Past
/// the limit, requests wait for a turn in arrival order, but only so many
/// (`--max-queued-requests`) and only so long (`--queue-timeout`): beyond
/// either, a request is refused at once with `OVERLOADED` (HTTP 503,
/// `Retry-After`), before it read anything. The server is CPU-bound under
/// load, so more concurrent executions add no throughput, only memory (each
/// holds its resolvers and its response) and tail latency; and a queue
/// that grows without bound only turns overload into time-outs for all.
#[derive(Clone)]
pub struct Executions(Option<Arc<Turns>>);

/// The slots and the queue of [`Executions`].
pub struct Turns {
    slots: tokio::sync::Semaphore,
    limit: usize,
    max_queued: usize,
    queue_timeout: Duration,
    waiting: std::sync::atomic::AtomicUsize,
    refused: std::sync::atomic::AtomicU64,
}

/// A waiting request, counted while it waits.
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

impl Executions {
    /// At most `limit` at once (0: no limit), with at most `max_queued`
    /// waiting (0: none wait) and none waiting longer than `queue_timeout`.
    pub fn new(limit: usize, max_queued: usize, queue_timeout: Duration) -> Self {
        Self((limit > 0).then(|| {
            Arc::new(Turns {
                slots: tokio::sync::Semaphore::new(limit),
                limit,
                max_queued,
                queue_timeout,
                waiting: Default::default(),
                refused: Default::default(),
            })
        }))
    }

    /// A turn to execute, or `OVERLOADED`.
    async fn turn(&self) -> Result<Option<tokio::sync::SemaphorePermit<'_>>, AppError> {
        use std::sync::atomic::Ordering;
        let Some(turns) = &self.0 else {
            return Ok(None);
        };
        if let Ok(permit) = turns.slots.try_acquire() {
            return Ok(Some(permit));
        }
        let ahead = turns.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&turns.waiting);
        if ahead >= turns.max_queued {
            turns.refused.fetch_add(1, Ordering::Relaxed);
            return Err(AppError::Overloaded(format!(
                "the server is at capacity: {} requests run and {ahead} wait for a turn; retry later",
                turns.limit
            )));
        }
        match tokio::time::timeout(turns.queue_timeout, turns.slots.acquire()).await {
            Ok(permit) => Ok(permit.ok()),
            Err(_) => {
                turns.refused.fetch_add(1, Ordering::Relaxed);
                Err(AppError::Overloaded(format!(
                    "the server is at capacity: no turn to run within {} ms; retry later",
                    turns.queue_timeout.as_millis()
                )))
            }
        }
    }

    /// Requests executing, waiting, and refused since start (for
    /// `/metrics`); zeros without a limit.
    pub fn figures(&self) -> (usize, usize, u64) {
        use std::sync::atomic::Ordering;
        match &self.0 {
            Some(t) => (
                t.limit - t.slots.available_permits(),
                t.waiting.load(Ordering::Acquire),
                t.refused.load(Ordering::Relaxed),
            ),
            None => (0, 0, 0),
        }
    }
}

/// HTTP limits.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// Most operations in one batched request; 0 turns batching off.
    pub max_batch: usize,
    /// Longest a request's body may take to arrive after its headers (408
    /// beyond); zero is no limit.
    pub body_read_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_batch: 10,
            body_read_timeout: Duration::from_secs(30),
        }
    }
}

/// The service relgate serves: [`router`], with a trailing slash trimmed
/// from every URL before routing (so `/umbraco/relation/` is
/// `/umbraco/relation`, as clients of the sources expect).
pub type App = NormalizePath<Router>;

/// [`router`] behind the trailing-slash normalisation.
pub fn app(state: AppState) -> App {
    NormalizePathLayer::trim_trailing_slash().layer(router(state))
}

/// What `--metrics-bind` serves: `/metrics` alone, without a token (bind it
/// to an address only the scraper reaches).
pub fn metrics_app(state: AppState) -> App {
    let router = Router::new()
        .route("/metrics", get(metrics::open_metrics))
        .with_state(state);
    NormalizePathLayer::trim_trailing_slash().layer(router)
}

/// The router with every route and layer.
pub fn router(state: AppState) -> Router {
    let options = state.options.clone();
    let cors = state.cors.layer();
    let dialects = crate::dialects::DialectState {
        service: state.service.clone(),
        auth: state.auth.clone(),
    };
    let router = Router::new()
        .route("/", get(|| async { Redirect::temporary("/playground") }))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::metrics))
        .merge(playground::routes())
        .merge(crate::dialects::routes(dialects))
        .route_layer(axum::middleware::from_fn_with_state(
            state.service.metrics().clone(),
            metrics::count,
        ))
        // Given its API's envelope by `envelope::shape`.
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(options.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            options.body_read_timeout,
            server::body_deadline,
        ))
        // A backstop: GraphQL requests time out inside the handler first,
        // with a JSON error.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            options.request_timeout + Duration::from_secs(5),
        ))
        .layer(axum::middleware::from_fn_with_state(
            options.max_body_bytes,
            envelope::shape,
        ));
    // Outside the envelopes, so that error answers carry CORS headers too
    // (a page must be able to read a 401).
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            let trace = req
                .headers()
                .get("traceparent")
                .and_then(|v| v.to_str().ok())
                .filter(|v| is_traceparent(v))
                .unwrap_or("-");
            let span = tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id, traceparent = %trace);
            #[cfg(feature = "otel")]
            crate::telemetry::continue_trace(&span, req.headers());
            span
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.service.store().ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(err) => {
            if let AppError::Internal(cause) = &err {
                tracing::warn!(error = %cause, "database not reachable");
            }
            (StatusCode::SERVICE_UNAVAILABLE, "database not reachable").into_response()
        }
    }
}

/// Whether `value` is a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`,
/// trace and parent ids not all zeros): only such a header is logged, so a
/// client cannot write what it likes into the log lines.
fn is_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    matches!(parts.as_slice(), [version, trace, parent, flags]
        if hex(version, 2) && *version != "ff" && hex(trace, 32) && hex(parent, 16) && hex(flags, 2)
            && trace.bytes().any(|b| b != b'0') && parent.bytes().any(|b| b != b'0'))
}

#[cfg(test)]
mod tests {
    use super::is_traceparent;

    #[test]
    fn only_a_w3c_traceparent_is_logged() {
        assert!(is_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        ));
        assert!(!is_traceparent(
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01"
        ));
        assert!(!is_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"
        ));
        assert!(!is_traceparent(
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"
        ));
        assert!(!is_traceparent(
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        ));
        assert!(!is_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"
        ));
        assert!(!is_traceparent("00-x\n-injected"));
    }
}
