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
use serde_json::{Value, json};

use super::{authenticate, entity, header_value, log_internal};
use crate::auth::Principal;
use crate::domain::{Direction, Entity, PageWindow};
use crate::error::{AppError, AppResult};
use crate::http::AppState;
use crate::service::{Relate, visibility};
use crate::sources::copper::SOURCE;
use crate::store;
use crate::store::pages::EdgeFilter;

/// The most related records one list returns (Copper's API does not page).
const MAX_RELATED: u64 = 1000;

/// The routes, relative to `/copper/developer_api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/{entity}/{id}/related",
            get(list_all).post(relate).delete(unrelate),
        )
        .route("/{entity}/{id}/related/", get(list_all))
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

fn error(err: AppError) -> Response {
    log_internal(&err);
    let status = match &err {
        AppError::BadInput(_) => StatusCode::BAD_REQUEST,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Constraint(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let body =
        json!({"success": false, "status": status.as_u16(), "message": err.public_message()});
    (status, axum::Json(body)).into_response()
}

/// Checks Copper's three headers.
async fn caller(state: &AppState, headers: &HeaderMap) -> AppResult<Principal> {
    if header_value(headers, "x-pw-application") != Some("developer_api") {
        return Err(AppError::Unauthenticated(
            "X-PW-Application must be developer_api".to_owned(),
        ));
    }
    let principal = authenticate(state, header_value(headers, "x-pw-accesstoken")).await?;
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

/// A record reference in Copper's bodies.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Resource {
    id: i64,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Debug, Deserialize)]
struct ResourceBody {
    resource: Resource,
}

async fn copper_entity(state: &AppState, kind: &str, id: &str) -> AppResult<Entity> {
    entity(state, SOURCE, "default", Some(kind), id).await
}

async fn list(
    state: &AppState,
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
    };
    let window = PageWindow {
        after: None,
        before: None,
        limit: MAX_RELATED,
        from_end: false,
    };
    let db = state.service.store().db();
    let mut pages = store::pages::related_pages(db, &[me.id], &filter, &window).await?;
    let rows = pages.remove(&me.id).map(|p| p.items).unwrap_or_default();
    let ids: Vec<i64> = rows.iter().map(|r| r.other_id).collect();
    let others = store::entities::by_ids(db, &ids).await?;
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

async fn list_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
) -> Response {
    match list(&state, &headers, &plural, &id, None).await {
        Ok(items) => axum::Json(items).into_response(),
        Err(e) => error(e),
    }
}

async fn list_of_kind(
    State(state): State<AppState>,
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

/// The two records of a relate or remove request, and the caller.
async fn ends(
    state: &AppState,
    headers: &HeaderMap,
    plural: &str,
    id: &str,
    body: &str,
) -> AppResult<(Principal, Entity, Entity, Resource, i64)> {
    let principal = caller(state, headers).await?;
    let resource = parse_body(body)?;
    let me = copper_entity(state, kind_of(plural)?, id).await?;
    let other = copper_entity(state, &resource.kind, &resource.id.to_string()).await?;
    let ty = store::relation_types::by_alias(state.service.store().db(), SOURCE, "related")
        .await?
        .ok_or_else(|| AppError::not_found("the copper related type is missing"))?;
    Ok((principal, me, other, resource, ty.id))
}

async fn relate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    body: String,
) -> Response {
    let run = async {
        let (principal, me, other, resource, type_id) =
            ends(&state, &headers, &plural, &id, &body).await?;
        state
            .service
            .relate(
                &principal,
                Relate {
                    type_id,
                    from_id: me.id,
                    to_id: other.id,
                    ..Default::default()
                },
            )
            .await?;
        Ok::<Value, AppError>(json!({"added": true, "resource": resource}))
    };
    match run.await {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => error(e),
    }
}

async fn unrelate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((plural, id)): Path<(String, String)>,
    body: String,
) -> Response {
    let run = async {
        let (principal, me, other, resource, type_id) =
            ends(&state, &headers, &plural, &id, &body).await?;
        let existing =
            store::relations::between(state.service.store().db(), type_id, me.id, other.id, true)
                .await?;
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
        Ok::<Value, AppError>(json!({"removed": true, "resource": resource}))
    };
    match run.await {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => error(e),
    }
}
