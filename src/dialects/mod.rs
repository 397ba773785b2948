//! The REST dialects: Copper, Umbraco and Kanka clients point their base URL
//! at relgate and keep working.
//!
//! Each dialect is a thin translation: it authenticates with its source's
//! header convention, maps URLs and bodies onto the service (the same one
//! GraphQL uses, so the same rules apply), and renders results and errors in
//! its source's shapes. Ids in URLs are the source's own: entities by
//! `externalId`, relations by `legacyId`. Entities are not created by the
//! dialects (the sources' APIs relate existing records); they are synced
//! through GraphQL `upsertEntity` or `relateByKey`.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, header};

use crate::auth::{Authenticator, Principal};
use crate::domain::{Entity, Origin};
use crate::error::{AppError, AppResult};
use crate::read;
use crate::service::Service;

/// What the dialects' handlers work with: the service GraphQL uses too, and
/// the token checks (the HTTP module that mounts them has more state; the
/// dialects need none of it).
#[derive(Clone)]
pub struct DialectState {
    /// Every write and read goes through it.
    pub service: Service,
    /// Checks each dialect's credential header.
    pub auth: Arc<Authenticator>,
}

pub mod copper;
pub mod kanka;
pub mod umbraco;

/// The OpenAPI 3 description of the three dialects, generated from their
/// handlers and response types (checked in at `schema/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    let mut doc = copper::Api::openapi();
    doc.merge(umbraco::Api::openapi());
    doc.merge(kanka::Api::openapi());
    doc.info = utoipa::openapi::InfoBuilder::new()
        .title("relgate REST dialects")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Copper Related Items, Umbraco Heartcore Relations and Kanka Relations, served by relgate over one store.",
        ))
        .build();
    doc
}

/// `openapi()` as pretty JSON, as `relgate openapi` prints it.
pub fn openapi_json() -> String {
    let mut text = openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

impl DialectState {
    /// A reader for one request's reads (unpinned: a dialect request that
    /// writes takes its transaction's connection of its own).
    fn reader(&self) -> read::Reader {
        read::Reader::new(self.service.store())
    }
}

/// Every dialect's routes, and `/openapi.json`, over `state`.
pub fn routes<S: Clone + Send + Sync + 'static>(state: DialectState) -> Router<S> {
    Router::new()
        .route(
            "/openapi.json",
            axum::routing::get(|| async {
                ([(header::CONTENT_TYPE, "application/json")], openapi_json())
            }),
        )
        .nest("/copper/developer_api/v1", copper::routes())
        .nest("/umbraco", umbraco::routes())
        .nest("/kanka/api/1.0/campaigns/{campaign}", kanka::routes())
        .with_state(state)
}

/// The caller presenting `token` (or none, in open mode), calling through
/// dialect `origin` in the request of `headers`.
async fn authenticate(
    state: &DialectState,
    token: Option<&str>,
    headers: &HeaderMap,
    origin: Origin,
) -> AppResult<Principal> {
    let principal = state
        .auth
        .authenticate(token.filter(|t| !t.is_empty()))
        .await?;
    Ok(principal.via(origin, crate::http::request_id(headers)))
}

fn header_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// `scheme://host` of this server as the client reached it, for links.
fn base_url(headers: &HeaderMap) -> String {
    let host = header_value(headers, header::HOST.as_str()).unwrap_or("localhost");
    let scheme = header_value(headers, "x-forwarded-proto").unwrap_or("http");
    format!("{scheme}://{host}")
}

/// The entity of `source` with this key, or `NOT_FOUND`.
async fn entity(
    state: &DialectState,
    source: &str,
    space: &str,
    kind: Option<&str>,
    external_id: &str,
) -> AppResult<Entity> {
    let key = state
        .service
        .entity_key(source, Some(space), kind, external_id)?;
    read::entities::by_key(&state.reader(), &key)
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!(
                "no {source} {} {external_id}",
                kind.unwrap_or("record")
            ))
        })
}

/// Both ends of every relation in `relations`, in one query.
async fn ends_of(
    state: &DialectState,
    relations: &[crate::domain::Relation],
) -> AppResult<Vec<Entity>> {
    let mut ids: Vec<i64> = relations
        .iter()
        .flat_map(|r| [r.from_id, r.to_id])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    read::entities::by_ids(&state.reader(), &ids).await
}

/// A request body as text, or why it is refused (each dialect refuses in
/// its own envelope): it is not UTF-8, or it holds a NUL character.
fn utf8(body: &[u8]) -> Result<&str, &'static str> {
    let text = std::str::from_utf8(body).map_err(|_| "the request body is not UTF-8")?;
    if crate::domain::text::escapes_nul(text) {
        return Err(crate::domain::text::NUL_REFUSED);
    }
    Ok(text)
}

/// Logs an internal cause (the dialects' envelopes carry no request id field,
/// so the log line is where the cause goes).
fn log_internal(err: &AppError) {
    if let AppError::Internal(cause) = err {
        tracing::error!(error = %cause, "internal error");
    }
}
