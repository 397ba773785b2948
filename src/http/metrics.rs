//! `/metrics`, and the middleware that counts every routed request.
//!
//! Requests are counted by API (the URL's prefix), operation, kind and code
//! (`relgate_requests_seconds`): for GraphQL the operation's name
//! (`anonymous` without one; `batch` for a batch), `query`, `mutation` or
//! `batch`, and the first error's code (`OK` without one), which the handler
//! leaves in the response's extensions ([`GraphqlLabels`]); for the REST
//! dialects and the rest the route's path pattern, the HTTP method and the
//! HTTP status. The page also shows the figures the store, the service and
//! the subscriptions keep (`metrics::Metrics`), the execution queue, and the
//! database pool.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::graphql::MediaType;
use crate::metrics::{Metrics, RequestLabels};

/// What a GraphQL request is counted under, left by the handler.
#[derive(Debug, Clone)]
pub struct GraphqlLabels {
    /// The operation's name, `anonymous`, or `batch`.
    pub operation: String,
    /// `query`, `mutation` or `batch`.
    pub kind: &'static str,
    /// The first error's code, or `OK`.
    pub code: String,
}

fn api_of(path: &str) -> &'static str {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if path == "/graphql" {
        "graphql"
    } else if under(crate::dialects::copper::PREFIX) {
        "copper"
    } else if under(crate::dialects::umbraco::PREFIX) {
        "umbraco"
    } else if under(crate::dialects::kanka::PREFIX) {
        "kanka"
    } else {
        "other"
    }
}

/// The middleware (a route layer: every request that matched a route). Its
/// state is the figures alone: a clone of the whole `AppState` at every
/// request showed in profiles.
pub async fn count(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let mut res = next.run(req).await;
    let api = api_of(&route);
    let labels = match res.extensions_mut().remove::<GraphqlLabels>() {
        Some(g) => RequestLabels {
            api,
            operation: g.operation,
            kind: g.kind.to_owned(),
            code: g.code,
        },
        None => RequestLabels {
            api,
            operation: route,
            kind: method,
            code: res.status().as_str().to_owned(),
        },
    };
    metrics.request(labels, started.elapsed());
    res
}

/// `GET /metrics` on the main listener: once API tokens exist, a valid
/// token (any role) is needed, checked and refused as on `/graphql`.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refused) = super::graphql::principal(&state, &headers, MediaType::Json).await {
        return refused;
    }
    open_metrics(State(state)).await
}

/// `GET /metrics` without a token (`--metrics-bind`'s listener).
pub async fn open_metrics(State(state): State<AppState>) -> Response {
    let store = state.service.store();
    let (executing, queued, refused) = state.executions.figures();
    let mut out = String::with_capacity(8 * 1024);
    let mut gauge = |name: &str, ty: &str, help: &str, value: String| {
        crate::metrics::single(&mut out, name, ty, help, value);
    };
    gauge(
        "relgate_sql_statements_total",
        "counter",
        "SQL statements run since start.",
        store.statements_executed().to_string(),
    );
    gauge(
        "relgate_db_up",
        "gauge",
        "Whether the database is reachable (0 while the probe cannot connect).",
        u8::from(!store.is_down()).to_string(),
    );
    gauge(
        "relgate_db_outages_total",
        "counter",
        "Times the database was found unreachable.",
        store.outages().to_string(),
    );
    gauge(
        "relgate_db_retries_total",
        "counter",
        "Reads and BEGINs run again after a broken database connection.",
        store.retries().to_string(),
    );
    if let Some((open, idle)) = store.pool_connections() {
        gauge(
            "relgate_db_connections_in_use",
            "gauge",
            "Pooled PostgreSQL connections in use (those readers keep count as in use).",
            (open as usize).saturating_sub(idle).to_string(),
        );
        gauge(
            "relgate_db_connections_idle",
            "gauge",
            "Pooled PostgreSQL connections idle in the pool.",
            idle.to_string(),
        );
    }
    let (waiting, free) = store.reader_turns();
    gauge(
        "relgate_db_reader_turns_waiting",
        "gauge",
        "Readers waiting for a turn on the connections readers keep.",
        waiting.to_string(),
    );
    gauge(
        "relgate_db_reader_turns_free",
        "gauge",
        "Turns free on the connections readers keep.",
        free.to_string(),
    );
    gauge(
        "relgate_requests_executing",
        "gauge",
        "GraphQL requests executing now.",
        executing.to_string(),
    );
    gauge(
        "relgate_requests_queued",
        "gauge",
        "GraphQL requests waiting for a turn to execute.",
        queued.to_string(),
    );
    gauge(
        "relgate_requests_refused_total",
        "counter",
        "GraphQL requests refused with OVERLOADED.",
        refused.to_string(),
    );
    gauge(
        "relgate_subscription_connections",
        "gauge",
        "WebSocket connections for subscriptions open now.",
        state.subscriptions.open_connections().to_string(),
    );
    state.service.metrics().render(&mut out);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
