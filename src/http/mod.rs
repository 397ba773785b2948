//! The HTTP surface: the axum router and its tower layers.
//!
//! `/graphql` (POST, and GET for queries), `/playground`, `/healthz`,
//! `/readyz`, `/metrics`. Every response carries an `x-request-id` (taken
//! from the request or made up), which is also on every log line of the
//! request and in `extensions.requestId` of internal errors.

use std::time::Duration;

use async_graphql::parser::types::OperationType;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, Method, Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Principal;
use crate::graphql::loaders::Loaders;
use crate::graphql::{RelgateSchema, RequestData};
use crate::service::{Service, visibility};

pub mod playground;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schema.
    pub schema: RelgateSchema,
    /// The service (and through it the store).
    pub service: Service,
}

/// HTTP limits.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// Longest a request may take.
    pub request_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The router with every route and layer.
pub fn router(state: AppState, options: &HttpOptions) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/playground") }))
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(playground::routes())
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(options.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            options.request_timeout,
        ))
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

async fn execute(state: &AppState, headers: &HeaderMap, req: async_graphql::Request) -> Response {
    let principal = Principal::open_mode();
    let loaders = Loaders::new(state.service.store(), visibility(&principal));
    let queue = loaders.queue.clone();
    let data = RequestData { loaders, principal };
    let mut response = queue.drive(state.schema.execute(req.data(data))).await;
    let request_id = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    for err in &mut response.errors {
        let ext = err.extensions.get_or_insert_with(Default::default);
        let internal = matches!(ext.get("code"), Some(async_graphql::Value::String(c)) if c == "INTERNAL_SERVER_ERROR");
        if internal {
            ext.set("requestId", request_id.clone());
        }
    }
    GraphQLResponse::from(response).into_response()
}

async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> Response {
    execute(&state, &headers, req.into_inner()).await
}

/// GET runs queries only: a mutation over GET would let a link or an image
/// tag write (405, as the GraphQL-over-HTTP specification says).
async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> Response {
    let req = req.into_inner();
    if let Ok(doc) = async_graphql::parser::parse_query(&req.query) {
        let is_mutation = doc.operations.iter().any(|(name, op)| {
            let selected = match (&req.operation_name, name) {
                (Some(wanted), Some(name)) => wanted == name.as_str(),
                _ => true,
            };
            selected && op.node.ty != OperationType::Query
        });
        if is_mutation {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                [(axum::http::header::ALLOW, Method::POST.as_str())],
                axum::Json(serde_json::json!({
                    "errors": [{
                        "message": "mutations are only accepted over POST",
                        "extensions": {"code": "METHOD_NOT_ALLOWED"}
                    }]
                })),
            )
                .into_response();
        }
    }
    execute(&state, &headers, req).await
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.service.store().ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(err) => {
            if let crate::error::AppError::Internal(cause) = &err {
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
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        body,
    )
        .into_response()
}
