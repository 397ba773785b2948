//! Error bodies for the error responses that relgate's handlers did not
//! write: a URL that matches no route (404), a method a route does not take
//! (405), a body over the limit (413, from the body limit), a body that did
//! not arrive in time (408, `--body-read-timeout`), a request that outlived
//! the backstop timeout (503), and the extractors' own rejections (400, 415,
//! 422 as plain text).
//!
//! Each gets the error envelope of the API its URL belongs to, so a client
//! never sees an empty or plain-text error: GraphQL-shaped
//! (`{"errors": [{message, extensions: {code}}]}`, in the media type the
//! request accepts) for `/graphql` and any other path, and each dialect's own
//! envelope under its prefix. Only responses without a JSON body are
//! touched; the operator endpoints (`/healthz`, `/readyz`, `/metrics`) keep
//! their plain text.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::Response;

use super::graphql::{MediaType, error_response};
use crate::dialects::{copper, kanka, umbraco};

/// The API a URL belongs to, for its error envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Graphql(MediaType),
    Copper,
    Umbraco,
    Kanka,
}

impl Api {
    /// `None` for the operator endpoints, which answer in plain text.
    fn of(path: &str, headers: &HeaderMap) -> Option<Self> {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if matches!(path, "/healthz" | "/readyz" | "/metrics") {
            None
        } else if under(copper::PREFIX) {
            Some(Self::Copper)
        } else if under(umbraco::PREFIX) {
            Some(Self::Umbraco)
        } else if under(kanka::PREFIX) {
            Some(Self::Kanka)
        } else {
            Some(Self::Graphql(MediaType::of(headers)))
        }
    }
}

fn has_json_body(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .is_some_and(|t| t == "application/json" || t.ends_with("+json"))
}

/// The message for a bodiless or plain-text error of `status`; `text` is
/// the plain-text body, if any (an extractor's rejection says what was wrong).
fn message(status: StatusCode, method: &Method, uri: &Uri, text: &str, max_body: usize) -> String {
    match status {
        StatusCode::NOT_FOUND => format!("nothing is served at {}", uri.path()),
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("{} does not take {method}", uri.path())
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the request body is larger than the {max_body} bytes this server accepts")
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            "the request took longer than the server allows".to_owned()
        }
        StatusCode::REQUEST_TIMEOUT => {
            "the request body did not arrive in full within --body-read-timeout".to_owned()
        }
        _ if !text.trim().is_empty() => text.trim().to_owned(),
        s => s.canonical_reason().unwrap_or("error").to_owned(),
    }
}

/// The stable code of a GraphQL-shaped error of `status`.
fn code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
        StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
        StatusCode::SERVICE_UNAVAILABLE => "REQUEST_TIMEOUT",
        StatusCode::REQUEST_TIMEOUT => "BODY_READ_TIMEOUT",
        s if s.is_client_error() => "BAD_REQUEST",
        _ => "INTERNAL_SERVER_ERROR",
    }
}

/// The middleware: gives every error response without a JSON body the
/// envelope of its API. `max_body` is the body limit, for the 413 message.
pub async fn shape(State(max_body): State<usize>, req: Request, next: Next) -> Response {
    let api = Api::of(req.uri().path(), req.headers());
    let (method, uri) = (req.method().clone(), req.uri().clone());
    let res = next.run(req).await;
    let status = res.status();
    let Some(api) = api else { return res };
    if !(status.is_client_error() || status.is_server_error()) || has_json_body(res.headers()) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let message = message(status, &method, &uri, &text, max_body);
    let mut shaped = match api {
        Api::Graphql(media) => error_response(media, status, code(status), &message),
        Api::Copper => copper::envelope(status, &message),
        Api::Umbraco => umbraco::envelope(status, &message),
        Api::Kanka => kanka::envelope(status, &message),
    };
    // Keep what the original said beyond its body (Allow, WWW-Authenticate,
    // Retry-After...).
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            shaped.headers_mut().append(name, value.clone());
        }
    }
    shaped
}
