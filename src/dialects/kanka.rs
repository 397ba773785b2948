//! Kanka's Relations API under `/kanka/api/1.0/campaigns/{campaign}`
//! (`../shared/seeds/kanka-relations.md`).
//!
//! `GET|HEAD entities/{entity}/relations` lists the relations the entity owns;
//! `GET|HEAD .../relations/{relation}` reads one; `POST` creates (the body's
//! `owner_id` must be the entity of the URL), `PUT|PATCH` updates, `DELETE`
//! deletes. Fields: `relation` (the label), `owner_id`, `target_id`,
//! `two_way`, `is_private`, `attitude`, `colour`, `is_pinned`, and `mirror_id`
//! in results. On update, `two_way: true` applies the change to the mirror
//! too. The campaign is the space; entity ids are Kanka's. Results are wrapped
//! in `{"data": ...}` with timestamps as `{date, timezone_type, timezone}`;
//! errors are `{"code", "error", "fields"}`. Credentials: `Authorization:
//! Bearer <token>`.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{authenticate, entity, header_value, log_internal};
use crate::auth::{Principal, bearer};
use crate::domain::{Entity, PageWindow, Relation};
use crate::error::{AppError, AppResult, Rule};
use crate::http::AppState;
use crate::service::{Relate, UpdateRelation, visibility};
use crate::sources::kanka::SOURCE;
use crate::store;
use crate::store::relations::{RelationChanges, RelationFilter};

/// The most relations one list returns.
const MAX_LIST: u64 = 1000;

/// The routes, relative to `/kanka/api/1.0/campaigns/{campaign}`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/entities/{entity}/relations", get(list).post(create))
        .route(
            "/entities/{entity}/relations/{relation}",
            get(read).put(update).patch(update).delete(remove),
        )
}

/// An error in Kanka's envelope.
enum KankaError {
    /// 422 with messages per field.
    Invalid(BTreeMap<&'static str, Vec<String>>),
    /// Any other status.
    Status(StatusCode, String),
}

impl IntoResponse for KankaError {
    fn into_response(self) -> Response {
        match self {
            KankaError::Invalid(fields) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(
                    json!({"code": 422, "error": "The given data was invalid.", "fields": fields}),
                ),
            )
                .into_response(),
            KankaError::Status(status, message) => (
                status,
                axum::Json(json!({"code": status.as_u16(), "error": message})),
            )
                .into_response(),
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> KankaError {
    KankaError::Invalid(BTreeMap::from([(field, vec![message.into()])]))
}

/// The body field a broken rule is about.
fn field_of(rule: Rule) -> &'static str {
    match rule {
        Rule::OutOfRange => "attitude",
        Rule::InvalidFormat => "colour",
        Rule::SelfRelation | Rule::CrossSpace | Rule::PairNotAllowed => "target_id",
        _ => "relation",
    }
}

fn from_app(err: AppError) -> KankaError {
    log_internal(&err);
    match err {
        AppError::Constraint(violations) => {
            let mut fields: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
            for v in violations {
                let message = match v.rule {
                    Rule::LabelRequired => "The relation field is required.".to_owned(),
                    Rule::FieldTooLong => {
                        "The relation may not be greater than 255 characters.".to_owned()
                    }
                    _ => v.message,
                };
                fields.entry(field_of(v.rule)).or_default().push(message);
            }
            KankaError::Invalid(fields)
        }
        AppError::BadInput(m) => invalid("relation", m),
        AppError::NotFound(_) => KankaError::Status(StatusCode::NOT_FOUND, "Not found.".to_owned()),
        AppError::Unauthenticated(_) => {
            KankaError::Status(StatusCode::UNAUTHORIZED, "Unauthenticated.".to_owned())
        }
        AppError::Forbidden(m) => KankaError::Status(StatusCode::FORBIDDEN, m),
        AppError::Internal(_) => KankaError::Status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error.".to_owned(),
        ),
    }
}

fn timestamp(t: DateTime<Utc>) -> Value {
    json!({"date": t.format("%Y-%m-%d %H:%M:%S%.6f").to_string(), "timezone_type": 3, "timezone": "UTC"})
}

fn render(r: &Relation, owner: &Entity, target: &Entity) -> Value {
    let id = |e: &Entity| {
        e.external_id
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(e.external_id.clone()))
    };
    json!({
        "id": r.id,
        "owner_id": id(owner),
        "target_id": id(target),
        "relation": r.label,
        "attitude": r.attitude,
        "colour": r.colour,
        "is_pinned": r.pinned,
        "is_private": r.is_private,
        "mirror_id": r.mirror_id,
        "created_at": timestamp(r.created_at),
        "updated_at": timestamp(r.updated_at),
    })
}

/// The caller and the entity of the URL.
async fn context(
    state: &AppState,
    headers: &HeaderMap,
    campaign: &str,
    entity_id: &str,
) -> Result<(Principal, Entity), KankaError> {
    let token = bearer(header_value(headers, header::AUTHORIZATION.as_str()));
    let principal = authenticate(state, token).await.map_err(from_app)?;
    let owner = entity(state, SOURCE, campaign, None, entity_id)
        .await
        .map_err(from_app)?;
    Ok((principal, owner))
}

async fn kanka_type_id(state: &AppState) -> AppResult<i64> {
    Ok(
        store::relation_types::by_alias(state.service.store().db(), SOURCE, "relation")
            .await?
            .ok_or_else(|| AppError::not_found("the kanka relation type is missing"))?
            .id,
    )
}

/// Renders relations with their ends' Kanka ids.
async fn render_all(state: &AppState, relations: &[Relation]) -> AppResult<Vec<Value>> {
    let mut ids: Vec<i64> = relations
        .iter()
        .flat_map(|r| [r.from_id, r.to_id])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let entities = store::entities::by_ids(state.service.store().db(), &ids).await?;
    Ok(relations
        .iter()
        .filter_map(|r| {
            let owner = entities.iter().find(|e| e.id == r.from_id)?;
            let target = entities.iter().find(|e| e.id == r.to_id)?;
            Some(render(r, owner, target))
        })
        .collect())
}

/// Relation `id`, if the caller can see it and the URL's entity owns it.
async fn owned(
    state: &AppState,
    principal: &Principal,
    owner: &Entity,
    id: &str,
) -> Result<Relation, KankaError> {
    let missing = || KankaError::Status(StatusCode::NOT_FOUND, "Not found.".to_owned());
    let id: i64 = id.parse().map_err(|_| missing())?;
    let relation =
        store::relations::by_ids(state.service.store().db(), &[id], visibility(principal))
            .await
            .map_err(from_app)?
            .pop()
            .filter(|r| r.from_id == owner.id)
            .ok_or_else(missing)?;
    let ty = kanka_type_id(state).await.map_err(from_app)?;
    if relation.type_id != ty {
        return Err(missing());
    }
    Ok(relation)
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((campaign, entity_id)): Path<(String, String)>,
) -> Result<Response, KankaError> {
    let (principal, owner) = context(&state, &headers, &campaign, &entity_id).await?;
    let type_id = kanka_type_id(&state).await.map_err(from_app)?;
    let window = PageWindow {
        after: None,
        before: None,
        limit: MAX_LIST,
        from_end: false,
    };
    let page = store::relations::page(
        state.service.store().db(),
        &RelationFilter {
            type_id: Some(type_id),
            from_id: Some(owner.id),
            ..Default::default()
        },
        visibility(&principal),
        &window,
    )
    .await
    .map_err(from_app)?;
    let data = render_all(&state, &page.items).await.map_err(from_app)?;
    Ok(axum::Json(json!({"data": data})).into_response())
}

async fn read(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((campaign, entity_id, relation)): Path<(String, String, String)>,
) -> Result<Response, KankaError> {
    let (principal, owner) = context(&state, &headers, &campaign, &entity_id).await?;
    let r = owned(&state, &principal, &owner, &relation).await?;
    let data = render_all(&state, &[r]).await.map_err(from_app)?;
    Ok(axum::Json(json!({"data": data.into_iter().next()})).into_response())
}

/// The body as a JSON object (Kanka clients send JSON).
fn object(body: &str) -> Result<Map<String, Value>, KankaError> {
    if body.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(invalid(
            "relation",
            "The request body must be a JSON object.",
        )),
    }
}

fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    m.get(k).and_then(|v| v.as_str()).map(str::to_owned)
}

fn flag(m: &Map<String, Value>, k: &str) -> Option<bool> {
    m.get(k)
        .and_then(|v| v.as_bool().or_else(|| v.as_i64().map(|n| n != 0)))
}

fn id_text(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k)? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn attitude(m: &Map<String, Value>) -> Result<Option<i32>, KankaError> {
    match m.get("attitude") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| invalid("attitude", "The attitude must be an integer.")),
    }
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((campaign, entity_id)): Path<(String, String)>,
    body: String,
) -> Result<Response, KankaError> {
    let (principal, owner) = context(&state, &headers, &campaign, &entity_id).await?;
    let m = object(&body)?;
    match id_text(&m, "owner_id") {
        None => return Err(invalid("owner_id", "The owner id field is required.")),
        Some(o) if o != owner.external_id => {
            return Err(invalid(
                "owner_id",
                "The owner id must be the entity of the URL.",
            ));
        }
        Some(_) => {}
    }
    let target_id = id_text(&m, "target_id")
        .ok_or_else(|| invalid("target_id", "The target id field is required."))?;
    let target = entity(&state, SOURCE, &campaign, None, &target_id)
        .await
        .map_err(|_| invalid("target_id", "The selected target id is invalid."))?;
    let type_id = kanka_type_id(&state).await.map_err(from_app)?;
    let out = state
        .service
        .relate(
            &principal,
            Relate {
                type_id,
                from_id: owner.id,
                to_id: target.id,
                label: text(&m, "relation"),
                attitude: attitude(&m)?,
                colour: text(&m, "colour"),
                pinned: flag(&m, "is_pinned"),
                is_private: flag(&m, "is_private"),
                two_way: flag(&m, "two_way").unwrap_or(false),
                ..Default::default()
            },
        )
        .await
        .map_err(from_app)?;
    Ok(axum::Json(json!({"data": render(&out.relation, &owner, &target)})).into_response())
}

async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((campaign, entity_id, relation)): Path<(String, String, String)>,
    body: String,
) -> Result<Response, KankaError> {
    let (principal, owner) = context(&state, &headers, &campaign, &entity_id).await?;
    let current = owned(&state, &principal, &owner, &relation).await?;
    let m = object(&body)?;
    if id_text(&m, "owner_id").is_some_and(|o| o != owner.external_id) {
        return Err(invalid(
            "owner_id",
            "The owner of a relation cannot change.",
        ));
    }
    if let Some(t) = id_text(&m, "target_id") {
        let target = store::entities::by_ids(state.service.store().db(), &[current.to_id])
            .await
            .map_err(from_app)?;
        if target.first().is_none_or(|e| e.external_id != t) {
            return Err(invalid(
                "target_id",
                "The target of a relation cannot change; delete it and create another.",
            ));
        }
    }
    let (updated, _) = state
        .service
        .update_relation(
            &principal,
            UpdateRelation {
                id: current.id,
                changes: RelationChanges {
                    label: text(&m, "relation"),
                    attitude: attitude(&m)?,
                    colour: text(&m, "colour"),
                    pinned: flag(&m, "is_pinned"),
                    is_private: flag(&m, "is_private"),
                    ..Default::default()
                },
                sync_mirror: flag(&m, "two_way").unwrap_or(false),
            },
        )
        .await
        .map_err(from_app)?;
    let data = render_all(&state, &[updated]).await.map_err(from_app)?;
    Ok(axum::Json(json!({"data": data.into_iter().next()})).into_response())
}

async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((campaign, entity_id, relation)): Path<(String, String, String)>,
) -> Result<Response, KankaError> {
    let (principal, owner) = context(&state, &headers, &campaign, &entity_id).await?;
    let current = owned(&state, &principal, &owner, &relation).await?;
    state
        .service
        .unrelate(&principal, current.id, false)
        .await
        .map_err(from_app)?;
    Ok(axum::Json(json!({"deleted": true})).into_response())
}
