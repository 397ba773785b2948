//! Copper's Related Items API under `/copper/developer_api/v1`
//! (`../shared/seeds/copper-related-items.md`).
//!
//! `GET /{entity}/{id}/related[/{related_entity_name}]` lists related records
//! as `[{"id", "type"}]`; `POST` and `DELETE /{entity}/{id}/related` with
//! `{"resource": {"id", "type"}}` relate and remove. Entity names in URLs are
//! plural (`people`), types in bodies singular (`person`). Credentials:
//! `X-PW-AccessToken` (a relgate token), `X-PW-UserEmail` (the token's email,
//! or its name when it has none) and `X-PW-Application: developer_api`.
//! Copper records live in the `default` space. Errors are
//! `{"success": false, "status": N, "message": "..."}`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{DialectState, authenticate, entity, header_value, log_internal};
use crate::auth::Principal;
use crate::domain::EdgeFilter;
use crate::domain::{Direction, Entity, Origin, PageWindow, RelationType};
use crate::error::{AppError, AppResult};
use crate::read;
use crate::service::{Relate, visibility};
use crate::sources::copper::SOURCE;

/// The most related records one list returns (Copper's API does not page).
const MAX_RELATED: u64 = 1000;

/// URLs under this path get this dialect's error envelope, also when
/// they match no route.
pub const PREFIX: &str = "/copper";

/// The OpenAPI description of this dialect.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_all, list_of_kind, relate, unrelate),
    components(schemas(Resource, ResourceBody, Added, Removed, CopperError))
)]
pub struct Api;

/// The routes, relative to `/copper/developer_api/v1`.
pub fn routes() -> Router<DialectState> {
    Router::new()
        .route(
            "/{entity}/{id}/related",
            get(list_all).post(relate).delete(unrelate),
        )
        .route("/{entity}/{id}/related/{related}", get(list_of_kind))
}

/// The plural URL names of Copper's record kinds.
const NAMES: &[(&str, &str)] = &[
    ("leads", "lead"),
    ("people", "person"),
    ("companies", "company"),
    ("opportunities", "opportunity"),
    ("projects", "project"),
    ("tasks", "task"),
];

fn kind_of(plural: &str) -> AppResult<&'static str> {
    NAMES
        .iter()
        .find(|(p, _)| *p == plural)
        .map(|(_, k)| *k)
        .ok_or_else(|| AppError::not_found(format!("Unknown entity type: {plural}")))
}

/// Copper's error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct CopperError {
    /// Always false.
    success: bool,
    /// The HTTP status again.
    status: u16,
    /// What went wrong.
    message: String,
}

fn error(err: AppError) -> Response {
    log_internal(&err);
    let status = match &err {
        AppError::BadInput(_) | AppError::TooLarge(_) => StatusCode::BAD_REQUEST,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Constraint(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Expired(_) => StatusCode::GONE,
        AppError::Unavailable(_) | AppError::ReadOnly(_) | AppError::Overloaded(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut res = envelope(status, &err.public_message());
    crate::http::mark_retry_later(res.headers_mut(), err.code());
    res
}

/// An error in Copper's envelope: `{"success": false, "status", "message"}`.
pub fn envelope(status: StatusCode, message: &str) -> Response {
    let body = CopperError {
        success: false,
        status: status.as_u16(),
        message: message.to_owned(),
    };
    (status, axum::Json(body)).into_response()
}

/// Checks Copper's three headers.
async fn caller(state: &DialectState, headers: &HeaderMap) -> AppResult<Principal> {
    if header_value(headers, "x-pw-application") != Some("developer_api") {
        return Err(AppError::Unauthenticated(
            "X-PW-Application must be developer_api".to_owned(),
        ));
    }
    let principal = authenticate(
        state,
        header_value(headers, "x-pw-accesstoken"),
        headers,
        Origin::Copper,
    )
    .await?;
    if state.auth.open_mode().await? {
        return Ok(principal);
    }
    let user = header_value(headers, "x-pw-useremail").unwrap_or_default();
    let bound = principal.email.as_deref().unwrap_or(&principal.name);
    if !user.eq_ignore_ascii_case(bound) {
        return Err(AppError::Unauthenticated(
            "X-PW-UserEmail does not match the access token".to_owned(),
        ));
    }
    Ok(principal)
}

/// A record reference in Copper's bodies and lists.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Resource {
    /// The record's Copper id.
    id: i64,
    /// The record's kind, singular: `lead`, `person`, `company`,
    /// `opportunity`, `project`, `task`.
    #[serde(rename = "type")]
    kind: String,
}

/// The body of a relate or remove request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResourceBody {
    /// The other record.
    resource: Resource,
}

/// The answer to a relate request.
#[derive(Debug, Serialize, ToSchema)]
pub struct Added {
    /// Always true (relating a related pair again is not an error).
    added: bool,
    /// The record related.
    resource: Resource,
}

/// The answer to a remove request.
#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    /// Always true.
    removed: bool,
    /// The record no longer related.
    resource: Resource,
}

async fn copper_entity(state: &DialectState, kind: &str, id: &str) -> AppResult<Entity> {
    entity(state, SOURCE, "default", Some(kind), id).await
}

async fn list(
    state: &DialectState,
    headers: &HeaderMap,
    plural: &str,
    id: &str,
    related: Option<&str>,
) -> AppResult<Vec<Resource>> {
    let principal = caller(state, headers).await?;
    let me = copper_entity(state, kind_of(plural)?, id).await?;
    let other_kind = related.map(kind_of).transpose()?;
    let filter = EdgeFilter {
        type_alias: Some("related".to_owned()),
        direction: Direction::Both,
        other_kind: other_kind.map(str::to_owned),
        visibility: visibility(&principal),
        conditions: Default::default(),
        order: Vec::new(),
    };
    let window = PageWindow::first(MAX_RELATED);
    let reader = state.reader();
    let db = &reader;
    let mut pages = read::pages::related_pages(db, &[me.id], &filter, &window, false).await?;
    let rows = pages.remove(&me.id).map(|p| p.items).unwrap_or_default();
    let ids: Vec<i64> = rows.iter().map(|r| r.other_id).collect();
    let others = read::entities::by_ids(db, &ids).await?;
    Ok(rows
        .iter()
        .filter_map(|r| others.iter().find(|e| e.id == r.other_id))
        .filter(|e| e.source == SOURCE)
        .filter_map(|e| {
            Some(Resource {
                id: e.external_id.parse().ok()?,
                kind: e.kind.clone(),
            })
        })
        .collect())
}

/// Lists every record related to a record.
#[utoipa::path(get, path = "/copper/developer_api/v1/{entity}/{id}/related", tag = "copper",
    params(
        ("entity" = String, Path, description = "Plural kind: leads, people, companies, opportunities, projects, tasks"),
        ("id" = i64, Path, description = "The record's Copper id"),
        ("X-PW-AccessToken" = Option<String>, Header, description = "A relgate API token (none in open mode)"),
        ("X-PW-Application" = String, Header, description = "developer_api"),
        ("X-PW-UserEmail" = Option<String>, Header, description = "The token's email, or its name")
    ),
    responses(
        (status = 200, description = "The related records", body = [Resource]),
        (status = 400, description = "Malformed body", body = CopperError),
        (status = 401, description = "Bad credentials", body = CopperError),
        (status = 403, description = "The token's role may not do this", body = CopperError),
        (status = 404, description = "No such record", body = CopperError),
        (status = 422, description = "A Copper rule refuses it", body = CopperError),
    ))]
async fn list_all(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
) -> Response {
    match list(&state, &headers, &plural, &id, None).await {
        Ok(items) => axum::Json(items).into_response(),
        Err(e) => error(e),
    }
}

/// Lists the records of one kind related to a record.
#[utoipa::path(get, path = "/copper/developer_api/v1/{entity}/{id}/related/{related}", tag = "copper",
    params(
        ("entity" = String, Path, description = "Plural kind: leads, people, companies, opportunities, projects, tasks"),
        ("id" = i64, Path, description = "The record's Copper id"),
        ("X-PW-AccessToken" = Option<String>, Header, description = "A relgate API token (none in open mode)"),
        ("X-PW-Application" = String, Header, description = "developer_api"),
        ("X-PW-UserEmail" = Option<String>, Header, description = "The token's email, or its name"),
        ("related" = String, Path, description = "Plural kind of the related records")
    ),
    responses(
        (status = 200, description = "The related records of that kind", body = [Resource]),
        (status = 400, description = "Malformed body", body = CopperError),
        (status = 401, description = "Bad credentials", body = CopperError),
        (status = 403, description = "The token's role may not do this", body = CopperError),
        (status = 404, description = "No such record", body = CopperError),
        (status = 422, description = "A Copper rule refuses it", body = CopperError),
    ))]
async fn list_of_kind(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Path((plural, id, related)): Path<(String, String, String)>,
) -> Response {
    match list(&state, &headers, &plural, &id, Some(&related)).await {
        Ok(items) => axum::Json(items).into_response(),
        Err(e) => error(e),
    }
}

fn parse_body(body: &str) -> AppResult<Resource> {
    let parsed: ResourceBody = serde_json::from_str(body).map_err(|e| {
        AppError::bad_input(format!(
            "expected {{\"resource\": {{\"id\": 123, \"type\": \"person\"}}}}: {e}"
        ))
    })?;
    Ok(parsed.resource)
}

/// The record a relate or remove request's body names.
fn body_resource(body: &[u8]) -> AppResult<Resource> {
    let text = super::utf8(body).map_err(AppError::bad_input)?;
    parse_body(text)
}

/// For the fuzz targets ([`crate::fuzzing`]): what a relate or remove
/// request does with its body before it asks the store (parse it, check the
/// key of the record it names), and the HTTP status of the answer when that
/// fails.
#[doc(hidden)]
pub fn fuzz_body(body: &[u8]) -> Result<(), u16> {
    let checked = body_resource(body).and_then(|r| {
        crate::sources::profile(SOURCE).entity_key(
            SOURCE,
            Some("default"),
            Some(&r.kind),
            &r.id.to_string(),
        )
    });
    checked.map(drop).map_err(|e| error(e).status().as_u16())
}

/// The two records of a relate or remove request, and the caller.
async fn ends(
    state: &DialectState,
    headers: &HeaderMap,
    plural: &str,
    id: &str,
    body: &[u8],
) -> AppResult<(Principal, Entity, Entity, Resource, RelationType)> {
    let principal = caller(state, headers).await?;
    let resource = body_resource(body)?;
    let me = copper_entity(state, kind_of(plural)?, id).await?;
    let other = copper_entity(state, &resource.kind, &resource.id.to_string()).await?;
    let ty = read::relation_types::by_alias(&state.reader(), SOURCE, "related")
        .await?
        .ok_or_else(|| AppError::not_found("the copper related type is missing"))?;
    Ok((principal, me, other, resource, ty))
}

/// Relates an existing record to a record.
#[utoipa::path(post, path = "/copper/developer_api/v1/{entity}/{id}/related", tag = "copper",
    params(
        ("entity" = String, Path, description = "Plural kind: leads, people, companies, opportunities, projects, tasks"),
        ("id" = i64, Path, description = "The record's Copper id"),
        ("X-PW-AccessToken" = Option<String>, Header, description = "A relgate API token (none in open mode)"),
        ("X-PW-Application" = String, Header, description = "developer_api"),
        ("X-PW-UserEmail" = Option<String>, Header, description = "The token's email, or its name")
    ),
    request_body = ResourceBody,
    responses(
        (status = 200, description = "Related (or already related)", body = Added),
        (status = 400, description = "Malformed body", body = CopperError),
        (status = 401, description = "Bad credentials", body = CopperError),
        (status = 403, description = "The token's role may not do this", body = CopperError),
        (status = 404, description = "No such record", body = CopperError),
        (status = 422, description = "A Copper rule refuses it", body = CopperError),
    ))]
async fn relate(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let run = async {
        let (principal, me, other, resource, ty) =
            ends(&state, &headers, &plural, &id, &body).await?;
        state
            .service
            .relate(
                &principal,
                Relate {
                    type_id: ty.id,
                    from_id: me.id,
                    to_id: other.id,
                    ..Default::default()
                },
            )
            .await?;
        Ok::<Added, AppError>(Added {
            added: true,
            resource,
        })
    };
    match run.await {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => error(e),
    }
}

/// Removes the relationship between two records.
#[utoipa::path(delete, path = "/copper/developer_api/v1/{entity}/{id}/related", tag = "copper",
    params(
        ("entity" = String, Path, description = "Plural kind: leads, people, companies, opportunities, projects, tasks"),
        ("id" = i64, Path, description = "The record's Copper id"),
        ("X-PW-AccessToken" = Option<String>, Header, description = "A relgate API token (none in open mode)"),
        ("X-PW-Application" = String, Header, description = "developer_api"),
        ("X-PW-UserEmail" = Option<String>, Header, description = "The token's email, or its name")
    ),
    request_body = ResourceBody,
    responses(
        (status = 200, description = "No longer related", body = Removed),
        (status = 400, description = "Malformed body", body = CopperError),
        (status = 401, description = "Bad credentials", body = CopperError),
        (status = 403, description = "The token's role may not do this", body = CopperError),
        (status = 404, description = "No such record", body = CopperError),
        (status = 422, description = "A Copper rule refuses it", body = CopperError),
    ))]
async fn unrelate(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let run = async {
        let (principal, me, other, resource, ty) =
            ends(&state, &headers, &plural, &id, &body).await?;
        // Either way round when the type is symmetric (Copper's is: a
        // relationship has no direction).
        let either_way = ty.contract.symmetric;
        let existing =
            read::relations::between(&state.reader(), ty.id, me.id, other.id, either_way).await?;
        let relation = existing.first().ok_or_else(|| {
            AppError::not_found(format!(
                "{} {} is not related to {} {}",
                me.kind, me.external_id, other.kind, other.external_id
            ))
        })?;
        state
            .service
            .unrelate(&principal, relation.id, false)
            .await?;
        Ok::<Removed, AppError>(Removed {
            removed: true,
            resource,
        })
    };
    match run.await {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => error(e),
    }
}
