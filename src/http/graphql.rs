//! `/graphql` over HTTP, as the GraphQL-over-HTTP specification asks.
//!
//! - **Requests.** POST with `Content-Type: application/json` (415
//!   otherwise: a form or a "simple" cross-site request cannot reach a
//!   resolver) and a body `{query, operationName, variables, extensions,
//!   documentId}`, or an array of those (a batch); GET with the same
//!   parameters in the query string (`variables` and `extensions` as JSON),
//!   for queries only (405 for a mutation). A parameter of the wrong type,
//!   or a body that is not JSON, is 400 `BAD_REQUEST`. A document may be
//!   named by `documentId` or an APQ hash instead of its text
//!   ([`super::persisted`]).
//! - **Answers.** `application/graphql-response+json` to clients that accept
//!   it (at least as much as `application/json`), `application/json` to
//!   everyone else. With `application/graphql-response+json`, a request that
//!   fails before execution (a document that does not parse or validate,
//!   variables that do not coerce, a limit, no query) is HTTP 400 with no
//!   `data` key; with `application/json` it is 200 with `data: null`, as
//!   before. Errors relgate refuses a request with (401, 403, 405, 413, 415,
//!   400, 404, 503) are GraphQL-shaped bodies with `extensions.code`, in the
//!   negotiated media type.
//! - **WebSocket upgrades** serve subscriptions ([`super::subscriptions`])
//!   once the `Origin` passes the CORS policy (403 `ORIGIN_NOT_ALLOWED`
//!   otherwise).
//! - A GET without a query is 400 `BAD_REQUEST` saying what to send.

use std::collections::HashMap;

use async_graphql::{ServerError, Variables};
use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{RawQuery, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::persisted::{DocumentRef, Refusal};
use super::{AppState, EXECUTOR, SQL_STATEMENTS};
use crate::auth::{Principal, Role, bearer};
use crate::domain::Origin;
use crate::error::AppError;
use crate::graphql::errors::with_code;
use crate::graphql::loaders::{BatchQueue, Loaders};
use crate::graphql::{RelgateSchema, RequestData};
use crate::read::Reader;
use crate::service::visibility;

/// The media type of a GraphQL answer, from the request's `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`: request errors are HTTP 4xx.
    GraphqlResponse,
    /// `application/json`: every GraphQL answer is HTTP 200.
    Json,
}

impl MediaType {
    /// The type `headers` ask for: `application/graphql-response+json` when
    /// accepted with at least the weight of `application/json` (or of
    /// `*/*`), else `application/json` (also with no `Accept`, or one that
    /// lists neither).
    pub fn of(headers: &HeaderMap) -> Self {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Self::Json;
        };
        let (mut graphql, mut json) = (0.0f32, 0.0f32);
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let ty = parts.next().unwrap_or_default().trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse().ok())
                .unwrap_or(1.0f32);
            if ty.eq_ignore_ascii_case("application/graphql-response+json") {
                graphql = graphql.max(q);
            } else if ["application/json", "application/*", "*/*"]
                .iter()
                .any(|t| ty.eq_ignore_ascii_case(t))
            {
                json = json.max(q);
            }
        }
        if graphql > 0.0 && graphql >= json {
            Self::GraphqlResponse
        } else {
            Self::Json
        }
    }

    /// The `Content-Type` of answers in this media type.
    pub fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponse => "application/graphql-response+json",
            Self::Json => "application/json",
        })
    }
}

/// A GraphQL-shaped error body: `{"errors": [{message, extensions: {code}}]}`.
pub fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
        .to_string()
}

/// A GraphQL-shaped error response in `media`.
pub fn error_response(media: MediaType, status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        error_body(code, message),
    )
        .into_response()
}

/// The response of an [`AppError`] met before execution (authentication).
fn app_error_response(media: MediaType, err: &AppError) -> Response {
    match err {
        AppError::Unauthenticated(m) => {
            let mut res = error_response(media, StatusCode::UNAUTHORIZED, err.code(), m);
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"relgate\""),
            );
            res
        }
        AppError::Forbidden(m) => error_response(media, StatusCode::FORBIDDEN, err.code(), m),
        AppError::Unavailable(m) | AppError::ReadOnly(m) | AppError::Overloaded(m) => {
            let mut res = error_response(media, StatusCode::SERVICE_UNAVAILABLE, err.code(), m);
            super::mark_retry_later(res.headers_mut(), err.code());
            res
        }
        AppError::Internal(cause) => {
            tracing::error!(error = %cause, "internal error");
            error_response(
                media,
                StatusCode::INTERNAL_SERVER_ERROR,
                err.code(),
                &err.public_message(),
            )
        }
        other => error_response(
            media,
            StatusCode::BAD_REQUEST,
            other.code(),
            &other.public_message(),
        ),
    }
}

/// The response of a persisted-document refusal.
fn refusal_response(media: MediaType, refusal: &Refusal) -> Response {
    let (status, code, message) = refusal.parts();
    let mut res = error_response(media, status, code, &message);
    if *refusal == Refusal::NotFound {
        // A hash-only GET must not be cached as "not found" by a CDN: the
        // client sends the text next.
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache, must-revalidate"),
        );
    }
    res
}

/// The caller of a request, from its `Authorization` header. In open
/// development mode any header is ignored: there is no token to check it
/// against.
pub(super) async fn principal(
    state: &AppState,
    headers: &HeaderMap,
    media: MediaType,
) -> Result<Principal, Response> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if header.is_some() && bearer(header).is_none() {
        return match state.auth.ignores_credentials().await {
            Ok(true) => Ok(Principal::open_mode().via(Origin::Graphql, super::request_id(headers))),
            Ok(false) => Err(app_error_response(
                media,
                &AppError::Unauthenticated("use Authorization: Bearer <token>".to_owned()),
            )),
            Err(e) => Err(app_error_response(media, &e)),
        };
    }
    state
        .auth
        .authenticate(bearer(header))
        .await
        .map(|p| p.via(Origin::Graphql, super::request_id(headers)))
        .map_err(|e| app_error_response(media, &e))
}

/// The parameters of one GraphQL request, as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Variables>,
    extensions: Option<HashMap<String, serde_json::Value>>,
    document_id: Option<String>,
}

/// `extensions.persistedQuery.sha256Hash` of `params`, if it has one.
fn persisted_hash(params: &Params) -> Result<Option<String>, Refusal> {
    sha256_hash(
        params
            .extensions
            .as_ref()
            .and_then(|e| e.get("persistedQuery")),
    )
}

/// The `sha256Hash` of a `persistedQuery` extension, if there is one.
pub(super) fn sha256_hash(pq: Option<&serde_json::Value>) -> Result<Option<String>, Refusal> {
    let Some(pq) = pq else {
        return Ok(None);
    };
    let invalid = |m: &str| Refusal::Invalid(m.to_owned());
    let pq = pq
        .as_object()
        .ok_or_else(|| invalid("extensions.persistedQuery must be an object"))?;
    if pq.get("version").is_some_and(|v| v.as_i64() != Some(1)) {
        return Err(invalid("only version 1 of persisted queries is supported"));
    }
    let hash = pq
        .get("sha256Hash")
        .and_then(|h| h.as_str())
        .ok_or_else(|| invalid("extensions.persistedQuery needs a sha256Hash string"))?;
    // Clients that send trusted-document ids as APQ hashes (urql's
    // persistedExchange with codegen's ids) keep the `sha256:` prefix.
    let hash = hash.strip_prefix("sha256:").unwrap_or(hash);
    Ok(Some(hash.to_ascii_lowercase()))
}

/// The async-graphql request of `params`, its document found by text, id or
/// hash; `Ok(None)` when it names no document at all.
fn request_of(
    state: &AppState,
    params: Params,
    principal: &Principal,
) -> Result<Option<async_graphql::Request>, Refusal> {
    let sha256_hash = persisted_hash(&params)?;
    let doc = DocumentRef {
        query: params.query.filter(|q| !q.trim().is_empty()),
        document_id: params.document_id,
        sha256_hash,
    };
    let Some(text) = state
        .persisted
        .resolve(doc, principal.role >= Role::Admin)?
    else {
        return Ok(None);
    };
    let variables = params.variables.unwrap_or_default();
    if crate::domain::text::escapes_nul(&text) || holds_nul(&variables) {
        return Err(Refusal::BadInput(crate::domain::text::NUL_REFUSED));
    }
    let mut request = async_graphql::Request::new(text);
    request.operation_name = params.operation_name;
    request.variables = variables;
    Ok(Some(request))
}

/// Whether a string (or a name) in `variables` holds a NUL character.
fn holds_nul(variables: &Variables) -> bool {
    fn walk(value: &async_graphql::Value) -> bool {
        use async_graphql::Value;
        match value {
            Value::String(s) => s.contains('\0'),
            Value::Enum(n) => n.contains('\0'),
            Value::List(items) => items.iter().any(walk),
            Value::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || walk(v)),
            _ => false,
        }
    }
    variables.iter().any(|(k, v)| k.contains('\0') || walk(v))
}

/// The answer to a request that named no document.
fn no_query() -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![with_code(
        ServerError::new(
            "the request has no query: send `query` (the document's text) or a `documentId`",
            None,
        ),
        "GRAPHQL_PARSE_FAILED",
    )])
}

/// A refusal as the answer of one request of a batch.
fn refused(refusal: &Refusal) -> async_graphql::Response {
    let (_, code, message) = refusal.parts();
    async_graphql::Response::from_errors(vec![with_code(ServerError::new(message, None), code)])
}

/// One operation of a request: runnable, or answered already.
enum Operation {
    Run(async_graphql::Request),
    Answered(async_graphql::Response),
}

fn request_id(headers: &HeaderMap) -> String {
    super::request_id(headers).unwrap_or_default()
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

/// Whether `response` is a request error: it failed before execution (no
/// field ran, so no error has a path, and there is no data).
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// What a GraphQL request was answered with.
enum Answer {
    /// A body the compiled executor wrote.
    Compiled(String),
    /// async-graphql's response to one operation.
    Single(async_graphql::Response),
    /// The responses to a batch, in order.
    Batch(Vec<async_graphql::Response>),
    /// No turn to run (`OVERLOADED`).
    Refused(AppError),
}

/// The first code in `errors` a client should retry later on
/// (`DATABASE_UNAVAILABLE`, `DATABASE_READ_ONLY`): such an answer is HTTP
/// 503 with `Retry-After`, whatever data came with it.
fn retry_later_code<'a>(errors: impl IntoIterator<Item = &'a ServerError>) -> Option<&'static str> {
    errors.into_iter().find_map(|e| {
        let code = match e.extensions.as_ref()?.get("code")? {
            async_graphql::Value::String(c) => c.as_str(),
            _ => return None,
        };
        ["DATABASE_UNAVAILABLE", "DATABASE_READ_ONLY", "OVERLOADED"]
            .into_iter()
            .find(|known| *known == code)
    })
}

/// The status and body of the answer to one (unbatched) operation: a
/// request error is 400 without a `data` key in
/// `application/graphql-response+json`, anything else 200.
fn single(media: MediaType, r: &async_graphql::Response) -> (StatusCode, String) {
    if media == MediaType::GraphqlResponse && is_request_error(r) {
        let body = serde_json::json!({ "errors": r.errors }).to_string();
        (StatusCode::BAD_REQUEST, body)
    } else {
        (StatusCode::OK, serialize(r))
    }
}

/// Runs one operation or a batch as `principal`: each operation gets its own
/// loaders, all of them feeding one batch queue that the request's task
/// drives; the whole thing is bounded by the request timeout and its SQL
/// statements are counted.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    media: MediaType,
    principal: Principal,
    operations: Vec<Operation>,
    batched: bool,
) -> Response {
    let schema: &RelgateSchema = &state.schema;
    // One parse (cached) tells a single operation's name and kind, for the
    // metrics and for its reader.
    let shape = match operations.as_slice() {
        [Operation::Run(r)] if !batched => Some(schema.shape(r)),
        _ => None,
    };
    let (operation, kind) = match &shape {
        Some(s) => (
            s.name.clone().unwrap_or_else(|| "anonymous".to_owned()),
            if s.writes { "mutation" } else { "query" },
        ),
        None => ("batch".to_owned(), "batch"),
    };
    let queue = BatchQueue::default();
    let reader_for = |writes: bool| {
        let reader = Reader::new(state.service.store());
        // A query's reads share one connection; a mutation's writes take
        // their own, so its reads go through the pool (see `read::Reader`).
        if !writes {
            reader.pin();
        }
        reader
    };
    let with_data = |r: async_graphql::Request, reader: Reader, p: Principal| {
        let loaders = Loaders::with_reader(reader, &state.service, visibility(&p), queue.clone());
        r.data(RequestData {
            loaders,
            principal: p,
        })
        .data(crate::graphql::shape::ShapeCache::default())
    };
    let work = crate::read::count_statements(async {
        let _turn = match state.executions.turn().await {
            Ok(turn) => turn,
            Err(refused) => return Answer::Refused(refused),
        };
        let mut operations = operations;
        let single = if !batched && matches!(operations.as_slice(), [Operation::Run(_)]) {
            operations.pop()
        } else {
            None
        };
        if let Some(Operation::Run(r)) = single {
            // Plain reads first go to the compiled executor; what it does
            // not answer, async-graphql does, on the same reader (the
            // loaders are built only then).
            let reader = reader_for(shape.as_ref().is_some_and(|s| s.writes));
            let compiled = schema
                .execute_compiled(&r, &reader, visibility(&principal), &state.service)
                .await;
            if let Some(body) = compiled {
                return Answer::Compiled(body);
            }
            let request = with_data(r, reader, principal);
            return Answer::Single(queue.drive(schema.execute(request)).await);
        }
        // A batch: one operation after the other, each with its own reader
        // and loaders.
        let mut out = Vec::with_capacity(operations.len());
        for op in operations {
            out.push(match op {
                Operation::Answered(response) => response,
                Operation::Run(r) => {
                    let reader = reader_for(schema.may_write(&r));
                    let request = with_data(r, reader, principal.clone());
                    queue.drive(schema.execute(request)).await
                }
            });
        }
        Answer::Batch(out)
    });
    let labelled = |mut res: Response, code: &str| {
        res.extensions_mut().insert(super::metrics::GraphqlLabels {
            operation: operation.clone(),
            kind,
            code: code.to_owned(),
        });
        res
    };
    let Ok((answer, statements)) = tokio::time::timeout(state.options.request_timeout, work).await
    else {
        let res = error_response(
            media,
            StatusCode::SERVICE_UNAVAILABLE,
            "REQUEST_TIMEOUT",
            "the request took longer than the server allows",
        );
        return labelled(res, "REQUEST_TIMEOUT");
    };
    let mut code = "OK".to_owned();
    let mut later = None;
    let (status, body, executor) = match answer {
        Answer::Refused(err) => return labelled(app_error_response(media, &err), err.code()),
        Answer::Compiled(body) => (StatusCode::OK, body, "compiled"),
        Answer::Single(r) => {
            later = retry_later_code(&r.errors);
            if let Some(first) = first_code(&r.errors) {
                code = first;
            }
            let (status, body) = single(media, &with_request_id(r, &request_id(headers)));
            (status, body, "async-graphql")
        }
        Answer::Batch(rs) => {
            later = retry_later_code(rs.iter().flat_map(|r| &r.errors));
            if let Some(first) = first_code(rs.iter().flat_map(|r| &r.errors)) {
                code = first;
            }
            let id = request_id(headers);
            let rs: Vec<_> = rs.into_iter().map(|r| with_request_id(r, &id)).collect();
            (StatusCode::OK, serialize(&rs), "async-graphql")
        }
    };
    let status = if later.is_some() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        status
    };
    let mut res = (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response();
    let h = res.headers_mut();
    if let Some(code) = later {
        super::mark_retry_later(h, code);
    }
    h.insert(SQL_STATEMENTS, HeaderValue::from(statements));
    h.insert(EXECUTOR, HeaderValue::from_static(executor));
    labelled(res, &code)
}

/// The code of the first of `errors` (for `/metrics`).
fn first_code<'a>(errors: impl IntoIterator<Item = &'a ServerError>) -> Option<String> {
    let first = errors.into_iter().next()?;
    match first.extensions.as_ref().and_then(|e| e.get("code")) {
        Some(async_graphql::Value::String(c)) => Some(c.clone()),
        _ => Some("INTERNAL_SERVER_ERROR".to_owned()),
    }
}

fn serialize(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        tracing::error!(error = %e, "serializing a GraphQL response");
        error_body("INTERNAL_SERVER_ERROR", "Internal server error")
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

/// `POST /graphql`.
pub(super) async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let media = MediaType::of(&headers);
    if !is_json(&headers) {
        return error_response(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "POST /graphql needs Content-Type: application/json",
        );
    }
    let principal = match principal(&state, &headers, media).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let bad_request = |e: serde_json::Error| {
        error_response(
            media,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            &format!("not a GraphQL request: {e}"),
        )
    };
    let batched = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let all: Vec<Params> = if batched {
        match serde_json::from_slice(&body) {
            Ok(all) => all,
            Err(e) => return bad_request(e),
        }
    } else {
        match serde_json::from_slice(&body) {
            Ok(one) => vec![one],
            Err(e) => return bad_request(e),
        }
    };
    if batched {
        let max = state.options.max_batch;
        if max == 0 || all.len() > max {
            return error_response(
                media,
                StatusCode::BAD_REQUEST,
                "BATCH_LIMIT_EXCEEDED",
                &if max == 0 {
                    "batched requests are turned off".to_owned()
                } else {
                    format!("at most {max} operations in one batch; got {}", all.len())
                },
            );
        }
    }
    let mut operations = Vec::with_capacity(all.len());
    for params in all {
        operations.push(match request_of(&state, params, &principal) {
            Ok(Some(r)) => Operation::Run(r),
            Ok(None) => Operation::Answered(no_query()),
            Err(refusal) if !batched => return refusal_response(media, &refusal),
            Err(refusal) => Operation::Answered(refused(&refusal)),
        });
    }
    if let [Operation::Answered(r)] = operations.as_slice()
        && !batched
    {
        let (status, body) = single(media, r);
        return (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response();
    }
    execute(&state, &headers, media, principal, operations, batched).await
}

/// Whether `headers` ask to upgrade the connection to a WebSocket.
fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"))
}

/// The query-string parameters of a GET request.
fn get_params(query: &str) -> Result<Params, String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|e| format!("a malformed query string: {e}"))?;
    let mut params = Params::default();
    for (key, value) in pairs {
        match key.as_str() {
            "query" => params.query = Some(value),
            "operationName" => params.operation_name = Some(value).filter(|v| !v.is_empty()),
            "documentId" => params.document_id = Some(value),
            "variables" if !value.is_empty() => {
                params.variables = Some(
                    serde_json::from_str(&value)
                        .map_err(|e| format!("`variables` must be a JSON object: {e}"))?,
                );
            }
            "extensions" if !value.is_empty() => {
                params.extensions = Some(
                    serde_json::from_str(&value)
                        .map_err(|e| format!("`extensions` must be a JSON object: {e}"))?,
                );
            }
            _ => {}
        }
    }
    Ok(params)
}

/// `GET /graphql`: queries only; a mutation over GET would let a link or an
/// image tag write (405, as the GraphQL-over-HTTP specification says).
pub(super) async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let media = MediaType::of(&headers);
    if is_websocket_upgrade(&headers) {
        if !state.cors.allows_upgrade(&headers) {
            return error_response(
                media,
                StatusCode::FORBIDDEN,
                "ORIGIN_NOT_ALLOWED",
                "WebSocket connections from this origin are not allowed (see --cors-origin)",
            );
        }
        return match ws {
            Ok(ws) => super::subscriptions::upgrade(state, headers, ws, media).await,
            Err(rejection) => error_response(
                media,
                StatusCode::BAD_REQUEST,
                "WEBSOCKET_NOT_SUPPORTED",
                &format!("not a WebSocket upgrade relgate can answer: {rejection}"),
            ),
        };
    }
    let params = match get_params(query.as_deref().unwrap_or_default()) {
        Ok(p) => p,
        Err(m) => return error_response(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", &m),
    };
    let principal = match principal(&state, &headers, media).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let req = match request_of(&state, params, &principal) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return error_response(
                media,
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "GET /graphql needs a `query` parameter (or a `documentId`): \
                 /graphql?query={relationTypes{totalCount}}. To explore the API, open /playground.",
            );
        }
        Err(refusal) => return refusal_response(media, &refusal),
    };
    if state.schema.may_write(&req) {
        let mut res = error_response(
            media,
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
    execute(
        &state,
        &headers,
        media,
        principal,
        vec![Operation::Run(req)],
        false,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> MediaType {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        MediaType::of(&h)
    }

    #[test]
    fn the_media_type_follows_the_accept_weights() {
        use MediaType::*;
        assert_eq!(MediaType::of(&HeaderMap::new()), Json);
        assert_eq!(accept("application/json"), Json);
        assert_eq!(accept("*/*"), Json);
        assert_eq!(accept("text/html"), Json);
        assert_eq!(accept("application/graphql-response+json"), GraphqlResponse);
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            GraphqlResponse
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json;q=0.5"),
            Json
        );
        assert_eq!(accept("application/graphql-response+json;q=0"), Json);
    }
}
