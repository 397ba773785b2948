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
//! errors are `{"code", "error", "fields"}` plus Laravel's `{"message",
//! "errors"}`. Bodies are JSON or forms. Credentials: `Authorization:
//! Bearer <token>`.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{DialectState, authenticate, entity, header_value, log_internal};
use crate::auth::{Principal, bearer};
use crate::domain::{Attributes, DEFAULT_SPACE, RelationFilter};
use crate::domain::{Entity, Origin, PageWindow, Relation};
use crate::error::{AppError, AppResult, Rule};
use crate::read;
use crate::service::{Relate, UpdateRelation, visibility};
use crate::sources::kanka::SOURCE;

/// The most relations one list returns.
const MAX_LIST: u64 = 1000;

/// URLs under this path get this dialect's error envelope, also when
/// they match no route.
pub const PREFIX: &str = "/kanka";

/// The OpenAPI description of this dialect.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, read, create, update, remove),
    components(schemas(
        KankaRelation,
        RelationData,
        RelationListData,
        Deleted,
        RelationBody,
        EntityId,
        KankaErrorBody,
        Timestamp
    ))
)]
pub struct Api;

/// The routes, relative to `/kanka/api/1.0/campaigns/{campaign}`.
pub fn routes() -> Router<DialectState> {
    Router::new()
        .route("/entities/{entity}/relations", get(list).post(create))
        .route(
            "/entities/{entity}/relations/{relation}",
            get(read).put(update).patch(update).delete(remove),
        )
}

/// Kanka's error envelope. `code`, `error` and `fields` are the seed's;
/// `message` and `errors` are what Kanka's framework (Laravel) sends, so
/// clients written for either read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct KankaErrorBody {
    /// The HTTP status again.
    code: u16,
    /// What went wrong.
    error: String,
    /// What went wrong: for 422, the first field's message (and how many
    /// more there are), as Laravel words it.
    message: String,
    /// For 422: the messages per body field.
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<BTreeMap<&'static str, Vec<String>>>,
    /// For 422: the same messages per field, under Laravel's key.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<BTreeMap<&'static str, Vec<String>>>,
}

/// An error in Kanka's envelope with this status and message.
pub fn envelope(status: StatusCode, message: &str) -> Response {
    KankaError::Status(status, message.to_owned()).into_response()
}

/// Laravel's summary of validation messages: the first, and how many more.
fn summary(fields: &BTreeMap<&'static str, Vec<String>>) -> String {
    let mut all = fields.values().flatten();
    let first = all
        .next()
        .cloned()
        .unwrap_or_else(|| "The given data was invalid.".to_owned());
    match all.count() {
        0 => first,
        1 => format!("{first} (and 1 more error)"),
        n => format!("{first} (and {n} more errors)"),
    }
}

/// An error in Kanka's envelope.
enum KankaError {
    /// 422 with messages per field.
    Invalid(BTreeMap<&'static str, Vec<String>>),
    /// Any other status.
    Status(StatusCode, String),
    /// 503: retry later; relgate's code is sent in a header.
    Later(&'static str, String),
}

impl IntoResponse for KankaError {
    fn into_response(self) -> Response {
        let (status, message, later) = match self {
            KankaError::Invalid(fields) => {
                let body = KankaErrorBody {
                    code: 422,
                    error: "The given data was invalid.".to_owned(),
                    message: summary(&fields),
                    errors: Some(fields.clone()),
                    fields: Some(fields),
                };
                return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response();
            }
            KankaError::Status(status, message) => (status, message, None),
            KankaError::Later(code, message) => {
                (StatusCode::SERVICE_UNAVAILABLE, message, Some(code))
            }
        };
        let body = KankaErrorBody {
            code: status.as_u16(),
            message: message.clone(),
            error: message,
            fields: None,
            errors: None,
        };
        let mut res = (status, axum::Json(body)).into_response();
        if let Some(code) = later {
            crate::http::mark_retry_later(res.headers_mut(), code);
        }
        res
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
        AppError::Expired(m) => KankaError::Status(StatusCode::GONE, m),
        AppError::TooLarge(m) => invalid("relation", m),
        AppError::Unavailable(ref m) | AppError::ReadOnly(ref m) | AppError::Overloaded(ref m) => {
            KankaError::Later(err.code(), m.clone())
        }
        AppError::Internal(_) => KankaError::Status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error.".to_owned(),
        ),
    }
}

/// Kanka's timestamp object.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Timestamp {
    /// `2018-04-18 12:49:16.000000`, in UTC.
    date: String,
    /// Always 3 (a named time zone).
    timezone_type: u8,
    /// Always `UTC`.
    timezone: String,
}

fn timestamp(t: DateTime<Utc>) -> Timestamp {
    Timestamp {
        date: t.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        timezone_type: 3,
        timezone: "UTC".to_owned(),
    }
}

/// A relation, as Kanka shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KankaRelation {
    /// The relation's id.
    id: i64,
    /// The owner entity's Kanka id.
    owner_id: i64,
    /// The target entity's Kanka id.
    target_id: i64,
    /// The relation's text.
    relation: Option<String>,
    /// How the owner feels about the target, -100..100.
    attitude: Option<i32>,
    /// `#rrggbb`.
    colour: Option<String>,
    /// Pinned on the owner's profile.
    is_pinned: bool,
    /// Visible to admins only.
    is_private: bool,
    /// The other half of a two-way relation.
    mirror_id: Option<i64>,
    /// When relgate stored the relation, as Kanka formats times.
    created_at: Timestamp,
    /// When its attributes last changed, as Kanka formats times.
    updated_at: Timestamp,
}

/// One relation, wrapped.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RelationData {
    /// The relation.
    data: KankaRelation,
}

/// Relations, wrapped.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RelationListData {
    /// The relations.
    data: Vec<KankaRelation>,
}

/// The answer to a delete.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deleted {
    /// Always true.
    deleted: bool,
}

fn render(r: &Relation, owner: &Entity, target: &Entity) -> KankaRelation {
    let id = |e: &Entity| e.external_id.parse::<i64>().unwrap_or_default();
    KankaRelation {
        id: r.id,
        owner_id: id(owner),
        target_id: id(target),
        relation: r.attributes.label.clone(),
        attitude: r.attributes.attitude,
        colour: r.attributes.colour.clone(),
        is_pinned: r.attributes.pinned,
        is_private: r.attributes.is_private,
        mirror_id: r.mirror_id,
        created_at: timestamp(r.created_at),
        updated_at: timestamp(r.updated_at),
    }
}

/// The caller and the entity of the URL.
async fn context(
    state: &DialectState,
    headers: &HeaderMap,
    campaign: &str,
    entity_id: &str,
) -> Result<(Principal, Entity), KankaError> {
    let token = bearer(header_value(headers, header::AUTHORIZATION.as_str()));
    let principal = authenticate(state, token, headers, Origin::Kanka)
        .await
        .map_err(from_app)?;
    let owner = entity(state, SOURCE, campaign, None, entity_id)
        .await
        .map_err(from_app)?;
    Ok((principal, owner))
}

async fn kanka_type_id(state: &DialectState) -> AppResult<i64> {
    Ok(
        read::relation_types::by_alias(&state.reader(), SOURCE, "relation")
            .await?
            .ok_or_else(|| AppError::not_found("the kanka relation type is missing"))?
            .id,
    )
}

/// Renders relations with their ends' Kanka ids, as `principal` may see
/// them: a mirror the caller may not see (a private one, for a non-admin)
/// is not named (`mirror_id: null`), as GraphQL's `mirror` is null.
async fn render_all(
    state: &DialectState,
    principal: &Principal,
    relations: &[Relation],
) -> AppResult<Vec<KankaRelation>> {
    let entities = super::ends_of(state, relations).await?;
    let vis = visibility(principal);
    let mirrors: Vec<i64> = relations.iter().filter_map(|r| r.mirror_id).collect();
    let visible: std::collections::HashSet<i64> = if vis.include_private || mirrors.is_empty() {
        mirrors.into_iter().collect()
    } else {
        read::relations::by_ids(&state.reader(), &mirrors, vis)
            .await?
            .into_iter()
            .map(|m| m.id)
            .collect()
    };
    Ok(relations
        .iter()
        .filter_map(|r| {
            let owner = entities.iter().find(|e| e.id == r.from_id)?;
            let target = entities.iter().find(|e| e.id == r.to_id)?;
            let mut rendered = render(r, owner, target);
            rendered.mirror_id = r.mirror_id.filter(|m| visible.contains(m));
            Some(rendered)
        })
        .collect())
}

/// Relation `id`, if the caller can see it and the URL's entity owns it.
async fn owned(
    state: &DialectState,
    principal: &Principal,
    owner: &Entity,
    id: &str,
) -> Result<Relation, KankaError> {
    let missing = || KankaError::Status(StatusCode::NOT_FOUND, "Not found.".to_owned());
    let id: i64 = id.parse().map_err(|_| missing())?;
    let relation = read::relations::by_ids(&state.reader(), &[id], visibility(principal))
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

#[utoipa::path(get, path = "/kanka/api/1.0/campaigns/{campaign}/entities/{entity}/relations", tag = "kanka",
    params(
        ("campaign" = String, Path, description = "The campaign (space)"),
        ("entity" = String, Path, description = "The owner entity's Kanka id"),
        ("Authorization" = Option<String>, Header, description = "Bearer <token> (none in open mode)")
    ),
    responses(
        (status = 200, description = "The relations the entity owns", body = RelationListData),
        (status = 401, description = "Unauthenticated", body = KankaErrorBody),
        (status = 403, description = "The token's role may not do this", body = KankaErrorBody),
        (status = 404, description = "No such entity or relation", body = KankaErrorBody),
        (status = 422, description = "Invalid fields", body = KankaErrorBody)
    ))]
async fn list(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Path((campaign, entity_id)): Path<(String, String)>,
) -> Result<Response, KankaError> {
    let (principal, owner) = context(&state, &headers, &campaign, &entity_id).await?;
    let type_id = kanka_type_id(&state).await.map_err(from_app)?;
    let window = PageWindow::first(MAX_LIST);
    let page = read::relations::page(
        &state.reader(),
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
    let data = render_all(&state, &principal, &page.items)
        .await
        .map_err(from_app)?;
    Ok(axum::Json(RelationListData { data }).into_response())
}

#[utoipa::path(get, path = "/kanka/api/1.0/campaigns/{campaign}/entities/{entity}/relations/{relation}", tag = "kanka",
    params(
        ("campaign" = String, Path, description = "The campaign (space)"),
        ("entity" = String, Path, description = "The owner entity's Kanka id"),
        ("Authorization" = Option<String>, Header, description = "Bearer <token> (none in open mode)"),
        ("relation" = i64, Path, description = "The relation's id")
    ),
    responses(
        (status = 200, description = "The relation", body = RelationData),
        (status = 401, description = "Unauthenticated", body = KankaErrorBody),
        (status = 403, description = "The token's role may not do this", body = KankaErrorBody),
        (status = 404, description = "No such entity or relation", body = KankaErrorBody),
        (status = 422, description = "Invalid fields", body = KankaErrorBody)
    ))]
async fn read(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Path((campaign, entity_id, relation)): Path<(String, String, String)>,
) -> Result<Response, KankaError> {
    let (principal, owner) = context(&state, &headers, &campaign, &entity_id).await?;
    let r = owned(&state, &principal, &owner, &relation).await?;
    let data = render_all(&state, &principal, &[r])
        .await
        .map_err(from_app)?;
    let data = data
        .into_iter()
        .next()
        .ok_or_else(|| KankaError::Status(StatusCode::NOT_FOUND, "Not found.".to_owned()))?;
    Ok(axum::Json(RelationData { data }).into_response())
}

/// An entity id in a body: Kanka clients send numbers, some send strings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum EntityId {
    /// A number.
    Number(i64),
    /// A string of digits.
    Text(String),
}

impl EntityId {
    fn text(&self) -> String {
        match self {
            EntityId::Number(n) => n.to_string(),
            EntityId::Text(s) => s.clone(),
        }
    }
}

/// The body of a create or update (every field optional on update).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct RelationBody {
    /// The relation's text, 1..255 characters (required on create).
    relation: Option<String>,
    /// The owner: must be the entity of the URL (required on create).
    owner_id: Option<EntityId>,
    /// The target entity (required on create).
    target_id: Option<EntityId>,
    /// Create the mirror too (on update: apply the change to the mirror too).
    two_way: Option<bool>,
    /// Visible to admins only.
    is_private: Option<bool>,
    /// -100..100.
    attitude: Option<i32>,
    /// `#rrggbb`.
    colour: Option<String>,
    /// Pinned on the owner's profile.
    is_pinned: Option<bool>,
}

impl RelationBody {
    /// The attributes it sets (Kanka's names: `relation` is the label).
    fn attributes(&self) -> Attributes {
        Attributes {
            label: self.relation.clone(),
            comment: None,
            attitude: self.attitude,
            colour: self.colour.clone(),
            pinned: self.is_pinned,
            is_private: self.is_private,
        }
    }
}

/// Parses a body (an empty one is an empty object): JSON, or, as Kanka's
/// framework also takes it, a form (`application/x-www-form-urlencoded`),
/// whose booleans are `1`/`0` or `true`/`false` and numbers are digits.
fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<RelationBody, KankaError> {
    let body = super::utf8(body).map_err(|why| invalid("relation", why))?;
    if body.trim().is_empty() {
        return Ok(RelationBody::default());
    }
    let not_valid = |e: &dyn std::fmt::Display| {
        invalid(
            "relation",
            format!("The request body is not a valid relation: {e}"),
        )
    };
    let form = header_value(headers, header::CONTENT_TYPE.as_str())
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return serde_json::from_str(body).map_err(|e| not_valid(&e));
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(body).map_err(|e| not_valid(&e))?;
    if pairs
        .iter()
        .any(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(invalid("relation", crate::domain::text::NUL_REFUSED));
    }
    let mut object = serde_json::Map::new();
    for (key, value) in pairs {
        let json = match key.as_str() {
            "two_way" | "is_private" | "is_pinned" => match value.to_ascii_lowercase().as_str() {
                "1" | "true" | "on" => serde_json::Value::Bool(true),
                "0" | "false" | "off" | "" => serde_json::Value::Bool(false),
                _ => {
                    return Err(invalid(
                        match key.as_str() {
                            "two_way" => "two_way",
                            "is_private" => "is_private",
                            _ => "is_pinned",
                        },
                        format!("The {} field must be true or false.", key.replace('_', " ")),
                    ));
                }
            },
            "attitude" => value
                .trim()
                .parse::<i64>()
                .map_or(serde_json::Value::String(value), serde_json::Value::from),
            _ => serde_json::Value::String(value),
        };
        object.insert(key, json);
    }
    serde_json::from_value(serde_json::Value::Object(object)).map_err(|e| not_valid(&e))
}

/// For the fuzz targets ([`crate::fuzzing`]): what a create request does
/// with its body (JSON, or a form when `form`) before it asks the store
/// (parse it, check the key of the target it names), and the HTTP status of
/// the answer when that fails.
#[doc(hidden)]
pub fn fuzz_body(form: bool, body: &[u8]) -> Result<(), u16> {
    let status = |e: KankaError| e.into_response().status().as_u16();
    let mut headers = HeaderMap::new();
    if form {
        headers.insert(
            header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
    }
    let m = parse_body(&headers, body).map_err(status)?;
    let _ = m.attributes();
    if let Some(target) = m.target_id.as_ref().map(EntityId::text) {
        crate::sources::profile(SOURCE)
            .entity_key(SOURCE, Some(DEFAULT_SPACE), None, &target)
            .map_err(|e| status(from_app(e)))?;
    }
    Ok(())
}

#[utoipa::path(post, path = "/kanka/api/1.0/campaigns/{campaign}/entities/{entity}/relations", tag = "kanka",
    params(
        ("campaign" = String, Path, description = "The campaign (space)"),
        ("entity" = String, Path, description = "The owner entity's Kanka id"),
        ("Authorization" = Option<String>, Header, description = "Bearer <token> (none in open mode)")
    ),
    request_body = RelationBody,
    responses(
        (status = 200, description = "The new relation", body = RelationData),
        (status = 401, description = "Unauthenticated", body = KankaErrorBody),
        (status = 403, description = "The token's role may not do this", body = KankaErrorBody),
        (status = 404, description = "No such entity or relation", body = KankaErrorBody),
        (status = 422, description = "Invalid fields", body = KankaErrorBody)
    ))]
async fn create(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Path((campaign, entity_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, KankaError> {
    let (principal, owner) = context(&state, &headers, &campaign, &entity_id).await?;
    let m = parse_body(&headers, &body)?;
    match m.owner_id.as_ref().map(EntityId::text) {
        None => return Err(invalid("owner_id", "The owner id field is required.")),
        Some(o) if o != owner.external_id => {
            return Err(invalid(
                "owner_id",
                "The owner id must be the entity of the URL.",
            ));
        }
        Some(_) => {}
    }
    let target_id = m
        .target_id
        .as_ref()
        .map(EntityId::text)
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
                attributes: m.attributes(),
                two_way: m.two_way.unwrap_or(false),
            },
        )
        .await
        .map_err(from_app)?;
    Ok(axum::Json(RelationData {
        data: render(&out.relation, &owner, &target),
    })
    .into_response())
}

#[utoipa::path(put, path = "/kanka/api/1.0/campaigns/{campaign}/entities/{entity}/relations/{relation}", tag = "kanka",
    params(
        ("campaign" = String, Path, description = "The campaign (space)"),
        ("entity" = String, Path, description = "The owner entity's Kanka id"),
        ("Authorization" = Option<String>, Header, description = "Bearer <token> (none in open mode)"),
        ("relation" = i64, Path, description = "The relation's id")
    ),
    request_body = RelationBody,
    responses(
        (status = 200, description = "The updated relation (PATCH works the same)", body = RelationData),
        (status = 401, description = "Unauthenticated", body = KankaErrorBody),
        (status = 403, description = "The token's role may not do this", body = KankaErrorBody),
        (status = 404, description = "No such entity or relation", body = KankaErrorBody),
        (status = 422, description = "Invalid fields", body = KankaErrorBody)
    ))]
async fn update(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Path((campaign, entity_id, relation)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, KankaError> {
    let (principal, owner) = context(&state, &headers, &campaign, &entity_id).await?;
    let current = owned(&state, &principal, &owner, &relation).await?;
    let m = parse_body(&headers, &body)?;
    if m.owner_id
        .as_ref()
        .map(EntityId::text)
        .is_some_and(|o| o != owner.external_id)
    {
        return Err(invalid(
            "owner_id",
            "The owner of a relation cannot change.",
        ));
    }
    if let Some(t) = m.target_id.as_ref().map(EntityId::text) {
        let target = read::entities::by_ids(&state.reader(), &[current.to_id])
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
                changes: m.attributes(),
                sync_mirror: m.two_way.unwrap_or(false),
            },
        )
        .await
        .map_err(from_app)?;
    let data = render_all(&state, &principal, &[updated])
        .await
        .map_err(from_app)?;
    let data = data
        .into_iter()
        .next()
        .ok_or_else(|| KankaError::Status(StatusCode::NOT_FOUND, "Not found.".to_owned()))?;
    Ok(axum::Json(RelationData { data }).into_response())
}

#[utoipa::path(delete, path = "/kanka/api/1.0/campaigns/{campaign}/entities/{entity}/relations/{relation}", tag = "kanka",
    params(
        ("campaign" = String, Path, description = "The campaign (space)"),
        ("entity" = String, Path, description = "The owner entity's Kanka id"),
        ("Authorization" = Option<String>, Header, description = "Bearer <token> (none in open mode)"),
        ("relation" = i64, Path, description = "The relation's id")
    ),
    responses(
        (status = 200, description = "Deleted", body = Deleted),
        (status = 401, description = "Unauthenticated", body = KankaErrorBody),
        (status = 403, description = "The token's role may not do this", body = KankaErrorBody),
        (status = 404, description = "No such entity or relation", body = KankaErrorBody),
        (status = 422, description = "Invalid fields", body = KankaErrorBody)
    ))]
async fn remove(
    State(state): State<DialectState>,
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
    Ok(axum::Json(Deleted { deleted: true }).into_response())
}
