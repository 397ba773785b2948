//! The HTTP surface: the axum router and its tower layers.
//!
//! `/graphql` (POST with `application/json`; GET for queries only),
//! `/playground`, `/healthz`, `/readyz`, `/metrics`. Every response carries an
//! `x-request-id` (taken from the request or made up), which is also on every
//! log line of the request and in `extensions.requestId` of internal errors.
//! GraphQL responses also carry `x-relgate-sql-statements`: the SQL
//! statements the request ran, and `x-relgate-executor`: `compiled` when the
//! compiled executor answered (see `graphql::compiled`), `async-graphql`
//! otherwise.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_axum::{
    GraphQLBatchRequest, GraphQLRequest, GraphQLResponse, rejection::GraphQLRejection,
};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::{Authenticator, Principal, bearer};
use crate::error::AppError;
use crate::graphql::loaders::{BatchQueue, Loaders};
use crate::graphql::{RelgateSchema, RequestData};
use crate::service::{Service, visibility};
use crate::store::Reader;

pub mod playground;

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
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_batch: 10,
        }
    }
}

/// The router with every route and layer.
pub fn router(state: AppState) -> Router {
    let options = state.options.clone();
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/playground") }))
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(playground::routes())
        .merge(crate::dialects::routes())
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(options.max_body_bytes))
        // A backstop: GraphQL requests time out inside the handler first,
        // with a JSON error.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            options.request_timeout + Duration::from_secs(5),
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

/// A GraphQL-shaped error response outside execution.
fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({
            "errors": [{ "message": message, "extensions": { "code": code } }]
        })),
    )
        .into_response()
}

fn app_error_response(err: &AppError) -> Response {
    match err {
        AppError::Unauthenticated(m) => {
            let mut res = error_response(StatusCode::UNAUTHORIZED, err.code(), m);
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"relgate\""),
            );
            res
        }
        AppError::Internal(cause) => {
            tracing::error!(error = %cause, "internal error");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                err.code(),
                &err.public_message(),
            )
        }
        other => error_response(
            StatusCode::BAD_REQUEST,
            other.code(),
            &other.public_message(),
        ),
    }
}

/// The caller of a request, from its `Authorization` header.
async fn principal(state: &AppState, headers: &HeaderMap) -> Result<Principal, Response> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if header.is_some() && bearer(header).is_none() {
        return Err(app_error_response(&AppError::Unauthenticated(
            "use Authorization: Bearer <token>".to_owned(),
        )));
    }
    state
        .auth
        .authenticate(bearer(header))
        .await
        .map_err(|e| app_error_response(&e))
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn with_request_id(mut response: async_graphql::Response, id: &str) -> async_graphql::Response {
    for err in &mut response.errors {
        let ext = err.extensions.get_or_insert_with(Default::default);
        let internal = matches!(ext.get("code"), Some(async_graphql::Value::String(c)) if c == "INTERNAL_SERVER_ERROR");
        if internal {
            ext.set("requestId", id.to_owned());
        }
    }
    response
}

/// Runs one request or a batch as `principal`: each operation gets its own
/// loaders, all of them feeding one batch queue that the request's task
/// drives; the whole thing is bounded by the request timeout and its SQL
/// statements are counted.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    principal: Principal,
    batch: BatchRequest,
) -> Response {
    let queue = BatchQueue::default();
    let reader_for = |r: &async_graphql::Request| {
        let reader = Reader::new(state.service.store());
        // A query's reads share one connection; a mutation's writes take
        // their own, so its reads go through the pool (see `store::Reader`).
        if !state.schema.may_write(r) {
            reader.pin();
        }
        reader
    };
    let with_data = |r: async_graphql::Request, reader: Reader, p: Principal| {
        let loaders = Loaders::with_reader(reader, visibility(&p), queue.clone());
        r.data(RequestData {
            loaders,
            principal: p,
        })
    };
    let work = crate::store::count_statements(async {
        let _turn = state.executions.turn().await;
        let batch = match batch {
            BatchRequest::Single(r) => {
                // Plain reads first go to the compiled executor; what it
                // does not answer, async-graphql does, on the same reader
                // (the loaders are built only then).
                let reader = reader_for(&r);
                let compiled = state
                    .schema
                    .execute_compiled(&r, &reader, visibility(&principal), &state.service)
                    .await;
                if let Some(body) = compiled {
                    return Answer::Compiled(body);
                }
                BatchRequest::Single(with_data(r, reader, principal))
            }
            BatchRequest::Batch(rs) => BatchRequest::Batch(
                rs.into_iter()
                    .map(|r| {
                        let reader = reader_for(&r);
                        with_data(r, reader, principal.clone())
                    })
                    .collect(),
            ),
        };
        Answer::Executed(queue.drive(state.schema.execute_batch(batch)).await)
    });
    let Ok((answer, statements)) = tokio::time::timeout(state.options.request_timeout, work).await
    else {
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "REQUEST_TIMEOUT",
            "the request took longer than the server allows",
        );
    };
    let response = match answer {
        Answer::Compiled(body) => {
            let mut res =
                ([(header::CONTENT_TYPE, json_content_type(headers))], body).into_response();
            let h = res.headers_mut();
            h.insert(SQL_STATEMENTS, HeaderValue::from(statements));
            h.insert(EXECUTOR, HeaderValue::from_static("compiled"));
            return res;
        }
        Answer::Executed(response) => response,
    };
    let id = request_id(headers);
    let response = match response {
        BatchResponse::Single(r) => BatchResponse::Single(with_request_id(r, &id)),
        BatchResponse::Batch(rs) => {
            BatchResponse::Batch(rs.into_iter().map(|r| with_request_id(r, &id)).collect())
        }
    };
    let mut res = GraphQLResponse::from(response).into_response();
    let h = res.headers_mut();
    h.insert(SQL_STATEMENTS, HeaderValue::from(statements));
    h.insert(EXECUTOR, HeaderValue::from_static("async-graphql"));
    h.insert(header::CONTENT_TYPE, json_content_type(headers));
    res
}

/// What a GraphQL request was answered with.
enum Answer {
    /// A body the compiled executor wrote.
    Compiled(String),
    /// async-graphql's response(s).
    Executed(BatchResponse),
}

/// GraphQL over HTTP: answer `application/graphql-response+json` only to
/// clients that ask for it, `application/json` to everyone else.
fn json_content_type(headers: &HeaderMap) -> HeaderValue {
    let wants_graphql_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/graphql-response+json"));
    HeaderValue::from_static(if wants_graphql_json {
        "application/graphql-response+json"
    } else {
        "application/json"
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| v == "application/json" || v == "application/graphql-response+json")
}

/// POST accepts `application/json` only: a browser form or a "simple" CORS
/// request (text/plain) cannot reach the resolvers (CSRF).
async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<GraphQLBatchRequest, GraphQLRejection>,
) -> Response {
    if !is_json(&headers) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "POST /graphql needs Content-Type: application/json",
        );
    }
    let principal = match principal(&state, &headers).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let batch = match body {
        Ok(b) => b.into_inner(),
        Err(rejection) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("not a GraphQL request: {}", rejection.0),
            );
        }
    };
    if let BatchRequest::Batch(rs) = &batch {
        let max = state.options.max_batch;
        if max == 0 || rs.len() > max {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BATCH_LIMIT_EXCEEDED",
                &if max == 0 {
                    "batched requests are turned off".to_owned()
                } else {
                    format!("at most {max} operations in one batch; got {}", rs.len())
                },
            );
        }
    }
    execute(&state, &headers, principal, batch).await
}

/// GET runs queries only: a mutation over GET would let a link or an image
/// tag write (405, as the GraphQL-over-HTTP specification says).
async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    let principal = match principal(&state, &headers).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let req = match req {
        Ok(r) => r.into_inner(),
        Err(rejection) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("not a GraphQL request: {}", rejection.0),
            );
        }
    };
    if state.schema.may_write(&req) {
        let mut res = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "mutations are only accepted over POST",
        );
        res.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static(Method::POST.as_str()),
        );
        return res;
    }
    execute(&state, &headers, principal, BatchRequest::Single(req)).await
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
