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

/// How many GraphQL requests execute at once. Past the limit, requests wait
/// for a turn in arrival order. The server is CPU-bound under load, so more
/// concurrent executions add no throughput, only memory (each holds its
/// resolvers and its response) and tail latency.
#[derive(Clone)]
pub struct Executions(Option<Arc<tokio::sync::Semaphore>>);

impl Executions {
    /// At most `limit` at once; 0 means no limit.
    pub fn new(limit: usize) -> Self {
        Self((limit > 0).then(|| Arc::new(tokio::sync::Semaphore::new(limit))))
    }

    async fn turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        match &self.0 {
            // The semaphore is never closed, so acquiring only fails if it
            // were: run without a turn rather than refuse.
            Some(s) => s.acquire().await.ok(),
            None => None,
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
        .route("/metrics", get(metrics))
        .merge(playground::routes())
        .merge(crate::dialects::routes(dialects))
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
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
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

async fn metrics(State(state): State<AppState>) -> Response {
    let body = format!(
        "# HELP relgate_sql_statements_total SQL statements run since start.\n\
         # TYPE relgate_sql_statements_total counter\n\
         relgate_sql_statements_total {}\n",
        state.service.store().statements_executed()
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
