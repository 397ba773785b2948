//! Umbraco Heartcore's Relations API under `/umbraco`
//! (`../shared/seeds/umbraco-relations.md`).
//!
//! `GET /relation/{id}`, `GET /relation/{alias}`, `GET /relation/parent/{guid}`,
//! `GET /relation/child/{guid}`, `POST /relation/` (201), `DELETE
//! /relation/{id}` (200, the deleted relation), and, beyond the seed,
//! `GET /relation/type` and `GET /relation/type/{alias}` in the same HAL
//! style. `Umb-Project-Alias` selects the space (`default` without it);
//! `Api-Version` is accepted and ignored. Credentials: `Authorization: Bearer
//! <token>`, or the token as an API key in `Authorization` or `Api-Key`.
//! Only relations of Umbraco's relation types are shown. Errors are
//! `{"error": {"code", "message"}}` with the seed's codes and messages.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{DialectState, authenticate, base_url, entity, header_value, log_internal};
use crate::auth::Principal;
use crate::domain::RelationFilter;
use crate::domain::{
    Attributes, DEFAULT_SPACE, Entity, Origin, PageWindow, Relation, RelationType,
};
use crate::error::{AppError, AppResult};
use crate::read;
use crate::service::{Relate, visibility};
use crate::sources::umbraco::SOURCE;

/// The most relations one list returns (Umbraco's API does not page).
const MAX_LIST: u64 = 1000;

/// URLs under this path get this dialect's error envelope, also when
/// they match no route.
pub const PREFIX: &str = "/umbraco";

/// The OpenAPI description of this dialect.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        by_id_or_alias,
        by_parent,
        by_child,
        create,
        delete,
        types,
        type_by_alias
    ),
    components(schemas(
        UmbracoRelation,
        UmbracoRelationList,
        RelationOrList,
        UmbracoRelationType,
        UmbracoRelationTypeList,
        NewRelation,
        UmbracoErrorBody
    ))
)]
pub struct Api;

/// The routes, relative to `/umbraco`.
pub fn routes() -> Router<DialectState> {
    Router::new()
        .route("/relation/type", get(types))
        .route("/relation/type/{alias}", get(type_by_alias))
        .route("/relation/parent/{guid}", get(by_parent))
        .route("/relation/child/{guid}", get(by_child))
        .route("/relation", axum::routing::post(create))
        .route("/relation/{key}", get(by_id_or_alias).delete(delete))
}

/// Umbraco's error details.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetails {
    /// `BadRequest`, `Unauthorized`, `Forbidden`, `NotFound`,
    /// `ValidationFailed` or `InternalServerError`.
    code: String,
    /// The seed's message for the code.
    message: String,
}

/// Umbraco's error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct UmbracoErrorBody {
    /// The error.
    error: ErrorDetails,
}

/// An error in Umbraco's envelope, with the seed's code and message.
enum UmbracoError {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound(String),
    ValidationFailed,
    /// 503: retry later; relgate's code is sent in a header.
    Later(&'static str, String),
    Internal,
}

impl IntoResponse for UmbracoError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            UmbracoError::Later(code, message) => {
                let mut res = coded(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    message,
                );
                crate::http::mark_retry_later(res.headers_mut(), code);
                return res;
            }
            UmbracoError::BadRequest => (
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Body cannot be empty.".to_owned(),
            ),
            UmbracoError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "Authorization has been denied for this request.".to_owned(),
            ),
            UmbracoError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Forbidden",
                "You are not authorized to access the given resource.".to_owned(),
            ),
            UmbracoError::NotFound(m) => (StatusCode::NOT_FOUND, "NotFound", m),
            UmbracoError::ValidationFailed => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "ValidationFailed",
                "Validation error occured when trying to save or update the relation.".to_owned(),
            ),
            UmbracoError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "Internal server error.".to_owned(),
            ),
        };
        coded(status, code, message)
    }
}

fn coded(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        axum::Json(UmbracoErrorBody {
            error: ErrorDetails {
                code: code.to_owned(),
                message,
            },
        }),
    )
        .into_response()
}

/// An error in Umbraco's envelope, `{"error": {"code", "message"}}`, its
/// code named after the status as Heartcore names them.
pub fn envelope(status: StatusCode, message: &str) -> Response {
    let code = match status {
        StatusCode::BAD_REQUEST => "BadRequest",
        StatusCode::UNAUTHORIZED => "Unauthorized",
        StatusCode::FORBIDDEN => "Forbidden",
        StatusCode::NOT_FOUND => "NotFound",
        StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowed",
        StatusCode::PAYLOAD_TOO_LARGE => "RequestEntityTooLarge",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaType",
        StatusCode::UNPROCESSABLE_ENTITY => "ValidationFailed",
        StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailable",
        s if s.is_client_error() => "BadRequest",
        _ => "InternalServerError",
    };
    coded(status, code, message.to_owned())
}

/// Maps a service error; `not_found` is the 404 message for this request.
fn from_app(err: AppError, not_found: &str) -> UmbracoError {
    log_internal(&err);
    match err {
        AppError::BadInput(_) | AppError::Constraint(_) | AppError::TooLarge(_) => {
            UmbracoError::ValidationFailed
        }
        AppError::NotFound(_) => UmbracoError::NotFound(not_found.to_owned()),
        AppError::Unauthenticated(_) => UmbracoError::Unauthorized,
        AppError::Forbidden(_) => UmbracoError::Forbidden,
        AppError::Expired(_) => UmbracoError::NotFound(not_found.to_owned()),
        AppError::Unavailable(ref m) | AppError::ReadOnly(ref m) | AppError::Overloaded(ref m) => {
            UmbracoError::Later(err.code(), m.clone())
        }
        AppError::Internal(_) => UmbracoError::Internal,
    }
}

fn relation_not_found(id: &str) -> String {
    format!("Relation with id '{id}' could not be found.")
}

struct Request {
    principal: Principal,
    space: String,
    base: String,
}

/// Credentials, project and base URL of a request.
async fn request(state: &DialectState, headers: &HeaderMap) -> Result<Request, UmbracoError> {
    let auth = header_value(headers, header::AUTHORIZATION.as_str());
    let token = match auth {
        Some(v) => Some(crate::auth::bearer(Some(v)).unwrap_or(v)),
        None => header_value(headers, "api-key"),
    };
    let principal = authenticate(state, token, headers, Origin::Umbraco)
        .await
        .map_err(|e| from_app(e, ""))?;
    let space = header_value(headers, "umb-project-alias")
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_SPACE)
        .to_owned();
    Ok(Request {
        principal,
        space,
        base: format!("{}/umbraco", base_url(headers)),
    })
}

/// A HAL link.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Link {
    /// An absolute URL on this server.
    href: String,
}

fn link(href: String) -> Link {
    Link { href }
}

/// The links of one resource.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SelfLinks {
    /// The resource itself.
    #[serde(rename = "self")]
    self_: Link,
}

/// A relation, as Umbraco shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UmbracoRelation {
    /// The relation's integer id.
    #[serde(rename = "_id")]
    id: i64,
    /// The parent node's GUID.
    parent_id: String,
    /// The child node's GUID.
    child_id: String,
    /// The relation type's alias.
    relation_type_alias: String,
    /// The comment (empty when none).
    comment: String,
    /// When the relation was created (UTC, ISO 8601).
    #[serde(rename = "_createDate")]
    create_date: String,
    /// When the relation last changed (UTC, ISO 8601).
    #[serde(rename = "_updateDate")]
    update_date: String,
    /// Links.
    #[serde(rename = "_links")]
    links: SelfLinks,
}

/// A time as Heartcore writes it: `2026-12-01T08:40:12.520Z`.
fn date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A stable GUID for a relation type, as Heartcore gives each one: derived
/// from its source and alias, so every gateway process and store agrees.
fn type_guid(t: &RelationType) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("relgate:relation-type:{}:{}", t.source, t.alias));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// One link, or several (HAL).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Links {
    /// Exactly one.
    One(Link),
    /// None, or more than one.
    Many(Vec<Link>),
}

/// The links of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListLinks {
    /// The list itself.
    #[serde(rename = "self")]
    self_: Link,
    /// Each relation in the list.
    relations: Links,
}

/// The relations of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EmbeddedRelations {
    /// The relations.
    relations: Vec<UmbracoRelation>,
}

/// A list of relations, HAL style.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UmbracoRelationList {
    /// Links.
    #[serde(rename = "_links")]
    links: ListLinks,
    /// The relations.
    #[serde(rename = "_embedded")]
    embedded: EmbeddedRelations,
}

/// `GET /relation/{key}` answers one relation (by id) or a list (by alias).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum RelationOrList {
    /// By id.
    Relation(UmbracoRelation),
    /// By relation type alias.
    List(UmbracoRelationList),
}

/// A relation in Umbraco's shape.
fn render(
    r: &Relation,
    parent: &Entity,
    child: &Entity,
    alias: &str,
    base: &str,
) -> UmbracoRelation {
    UmbracoRelation {
        id: r.id,
        parent_id: parent.external_id.clone(),
        child_id: child.external_id.clone(),
        relation_type_alias: alias.to_owned(),
        comment: r.attributes.comment.clone().unwrap_or_default(),
        create_date: date(r.created_at),
        update_date: date(r.updated_at),
        links: SelfLinks {
            self_: link(format!("{base}/relation/{}", r.id)),
        },
    }
}

/// Renders relations (of Umbraco types only) with their ends and aliases.
async fn render_all(
    state: &DialectState,
    relations: &[Relation],
    base: &str,
) -> AppResult<Vec<UmbracoRelation>> {
    let reader = state.reader();
    let db = &reader;
    let entities = super::ends_of(state, relations).await?;
    let type_ids: Vec<i64> = relations.iter().map(|r| r.type_id).collect();
    let types = state.service.relation_types(db, &type_ids).await?;
    Ok(relations
        .iter()
        .filter_map(|r| {
            let ty = types.get(&r.type_id).filter(|t| t.source == SOURCE)?;
            let parent = entities.iter().find(|e| e.id == r.from_id)?;
            let child = entities.iter().find(|e| e.id == r.to_id)?;
            Some(render(r, parent, child, &ty.alias, base))
        })
        .collect())
}

/// A HAL list of relations.
fn hal_list(self_href: String, items: Vec<UmbracoRelation>) -> UmbracoRelationList {
    let mut links: Vec<Link> = items.iter().map(|i| i.links.self_.clone()).collect();
    let relations = if links.len() == 1 {
        Links::One(links.remove(0))
    } else {
        Links::Many(links)
    };
    UmbracoRelationList {
        links: ListLinks {
            self_: link(self_href),
            relations,
        },
        embedded: EmbeddedRelations { relations: items },
    }
}

async fn list(
    state: &DialectState,
    req: &Request,
    filter: RelationFilter,
) -> AppResult<Vec<UmbracoRelation>> {
    let window = PageWindow::first(MAX_LIST);
    let filter = RelationFilter {
        type_source: Some(SOURCE.to_owned()),
        space: Some(req.space.clone()),
        ..filter
    };
    let page = read::relations::page(
        &state.reader(),
        &filter,
        visibility(&req.principal),
        &window,
    )
    .await?;
    render_all(state, &page.items, &req.base).await
}

/// A visible relation of an Umbraco type in the request's project.
async fn one(
    state: &DialectState,
    req: &Request,
    id: &str,
) -> Result<(Relation, UmbracoRelation), UmbracoError> {
    let missing = || UmbracoError::NotFound(relation_not_found(id));
    let row_id: i64 = id.parse().map_err(|_| missing())?;
    let reader = state.reader();
    let db = &reader;
    let relation = read::relations::by_ids(db, &[row_id], visibility(&req.principal))
        .await
        .map_err(|e| from_app(e, &relation_not_found(id)))?
        .pop()
        .ok_or_else(missing)?;
    let rendered = render_all(state, std::slice::from_ref(&relation), &req.base)
        .await
        .map_err(|e| from_app(e, &relation_not_found(id)))?
        .pop()
        .ok_or_else(missing)?;
    let parent = read::entities::by_ids(db, &[relation.from_id])
        .await
        .map_err(|e| from_app(e, &relation_not_found(id)))?;
    if parent.first().is_none_or(|p| p.space != req.space) {
        return Err(missing());
    }
    Ok((relation, rendered))
}

#[utoipa::path(get, path = "/umbraco/relation/{key}", tag = "umbraco",
    params(
        ("Umb-Project-Alias" = Option<String>, Header, description = "The project (space); default when omitted"),
        ("Api-Version" = Option<String>, Header, description = "Accepted and ignored (2)"),
        ("Authorization" = Option<String>, Header, description = "Bearer <token>, or the token as an API key (none in open mode)"),
        ("key" = String, Path, description = "A relation id, or a relation type alias")
    ),
    responses(
        (status = 200, description = "The relation (by id) or the relations of a type (by alias)", body = RelationOrList),
        (status = 401, description = "Unauthorized", body = UmbracoErrorBody),
        (status = 403, description = "Forbidden", body = UmbracoErrorBody),
        (status = 404, description = "NotFound", body = UmbracoErrorBody),
        (status = 422, description = "ValidationFailed", body = UmbracoErrorBody)
    ))]
async fn by_id_or_alias(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Response, UmbracoError> {
    let req = request(&state, &headers).await?;
    if key.parse::<i64>().is_ok() {
        let (_, rendered) = one(&state, &req, &key).await?;
        return Ok(axum::Json(rendered).into_response());
    }
    let reader = state.reader();
    let db = &reader;
    let not_found = format!("Relation type with alias '{key}' could not be found.");
    let ty = read::relation_types::by_alias(db, SOURCE, &key)
        .await
        .map_err(|e| from_app(e, &not_found))?
        .ok_or_else(|| UmbracoError::NotFound(not_found.clone()))?;
    let items = list(
        &state,
        &req,
        RelationFilter {
            type_id: Some(ty.id),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| from_app(e, &not_found))?;
    Ok(axum::Json(hal_list(format!("{}/relation/{key}", req.base), items)).into_response())
}

async fn by_end(
    state: &DialectState,
    headers: &HeaderMap,
    guid: &str,
    parent: bool,
) -> Result<Response, UmbracoError> {
    let req = request(state, headers).await?;
    let path = if parent { "parent" } else { "child" };
    let self_href = format!("{}/relation/{path}/{guid}", req.base);
    let node = match entity(state, SOURCE, &req.space, None, guid).await {
        Ok(e) => e,
        // An unknown or malformed GUID has no relations.
        Err(AppError::NotFound(_)) | Err(AppError::BadInput(_)) => {
            return Ok(axum::Json(hal_list(self_href, vec![])).into_response());
        }
        Err(e) => return Err(from_app(e, "")),
    };
    let filter = if parent {
        RelationFilter {
            from_id: Some(node.id),
            ..Default::default()
        }
    } else {
        RelationFilter {
            to_id: Some(node.id),
            ..Default::default()
        }
    };
    let items = list(state, &req, filter)
        .await
        .map_err(|e| from_app(e, ""))?;
    Ok(axum::Json(hal_list(self_href, items)).into_response())
}

#[utoipa::path(get, path = "/umbraco/relation/parent/{guid}", tag = "umbraco",
    params(
        ("Umb-Project-Alias" = Option<String>, Header, description = "The project (space); default when omitted"),
        ("Api-Version" = Option<String>, Header, description = "Accepted and ignored (2)"),
        ("Authorization" = Option<String>, Header, description = "Bearer <token>, or the token as an API key (none in open mode)"),
        ("guid" = String, Path, description = "The parent node")
    ),
    responses(
        (status = 200, description = "Its relations as parent", body = UmbracoRelationList),
        (status = 401, description = "Unauthorized", body = UmbracoErrorBody),
        (status = 403, description = "Forbidden", body = UmbracoErrorBody),
        (status = 404, description = "NotFound", body = UmbracoErrorBody),
        (status = 422, description = "ValidationFailed", body = UmbracoErrorBody)
    ))]
async fn by_parent(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Path(guid): Path<String>,
) -> Result<Response, UmbracoError> {
    by_end(&state, &headers, &guid, true).await
}

#[utoipa::path(get, path = "/umbraco/relation/child/{guid}", tag = "umbraco",
    params(
        ("Umb-Project-Alias" = Option<String>, Header, description = "The project (space); default when omitted"),
        ("Api-Version" = Option<String>, Header, description = "Accepted and ignored (2)"),
        ("Authorization" = Option<String>, Header, description = "Bearer <token>, or the token as an API key (none in open mode)"),
        ("guid" = String, Path, description = "The child node")
    ),
    responses(
        (status = 200, description = "Its relations as child", body = UmbracoRelationList),
        (status = 401, description = "Unauthorized", body = UmbracoErrorBody),
        (status = 403, description = "Forbidden", body = UmbracoErrorBody),
        (status = 404, description = "NotFound", body = UmbracoErrorBody),
        (status = 422, description = "ValidationFailed", body = UmbracoErrorBody)
    ))]
async fn by_child(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Path(guid): Path<String>,
) -> Result<Response, UmbracoError> {
    by_end(&state, &headers, &guid, false).await
}

/// A relation to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewRelation {
    /// The parent node's GUID.
    parent_id: String,
    /// The child node's GUID.
    child_id: String,
    /// The relation type's alias.
    relation_type_alias: String,
    /// A comment, at most 1000 characters.
    comment: Option<String>,
}

/// Parses a create request's body: `BadRequest` when it is empty,
/// `ValidationFailed` when it is not a relation.
fn parse_body(body: &[u8]) -> Result<NewRelation, UmbracoError> {
    let body = super::utf8(body).map_err(|_| UmbracoError::ValidationFailed)?;
    if body.trim().is_empty() {
        return Err(UmbracoError::BadRequest);
    }
    serde_json::from_str(body).map_err(|_| UmbracoError::ValidationFailed)
}

/// For the fuzz targets ([`crate::fuzzing`]): what a create request does
/// with its body before it asks the store (parse it, check the keys of the
/// two nodes it names), and the HTTP status of the answer when that fails.
#[doc(hidden)]
pub fn fuzz_body(body: &[u8]) -> Result<(), u16> {
    let status = |e: UmbracoError| e.into_response().status().as_u16();
    let input = parse_body(body).map_err(status)?;
    let profile = crate::sources::profile(SOURCE);
    for id in [&input.parent_id, &input.child_id] {
        profile
            .entity_key(SOURCE, Some(DEFAULT_SPACE), None, id)
            .map_err(|e| status(from_app(e, "")))?;
    }
    Ok(())
}

#[utoipa::path(post, path = "/umbraco/relation/", tag = "umbraco",
    params(
        ("Umb-Project-Alias" = Option<String>, Header, description = "The project (space); default when omitted"),
        ("Api-Version" = Option<String>, Header, description = "Accepted and ignored (2)"),
        ("Authorization" = Option<String>, Header, description = "Bearer <token>, or the token as an API key (none in open mode)")
    ),
    request_body = NewRelation,
    responses(
        (status = 201, description = "Created", body = UmbracoRelation),
        (status = 400, description = "BadRequest: empty body", body = UmbracoErrorBody),
        (status = 401, description = "Unauthorized", body = UmbracoErrorBody),
        (status = 403, description = "Forbidden", body = UmbracoErrorBody),
        (status = 404, description = "NotFound", body = UmbracoErrorBody),
        (status = 422, description = "ValidationFailed", body = UmbracoErrorBody)
    ))]
async fn create(
    State(state): State<DialectState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, UmbracoError> {
    let req = request(&state, &headers).await?;
    let input = parse_body(&body)?;
    let invalid = |e: AppError| match e {
        AppError::NotFound(_) => UmbracoError::ValidationFailed,
        other => from_app(other, ""),
    };
    let reader = state.reader();
    let db = &reader;
    let ty = read::relation_types::by_alias(db, SOURCE, &input.relation_type_alias)
        .await
        .map_err(invalid)?
        .ok_or(UmbracoError::ValidationFailed)?;
    let parent = entity(&state, SOURCE, &req.space, None, &input.parent_id)
        .await
        .map_err(invalid)?;
    let child = entity(&state, SOURCE, &req.space, None, &input.child_id)
        .await
        .map_err(invalid)?;
    let related = state
        .service
        .relate(
            &req.principal,
            Relate {
                type_id: ty.id,
                from_id: parent.id,
                to_id: child.id,
                attributes: Attributes {
                    comment: input.comment,
                    ..Default::default()
                },
                two_way: false,
            },
        )
        .await
        .map_err(invalid)?;
    let body = render(&related.relation, &parent, &child, &ty.alias, &req.base);
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

#[utoipa::path(delete, path = "/umbraco/relation/{key}", tag = "umbraco",
    params(
        ("Umb-Project-Alias" = Option<String>, Header, description = "The project (space); default when omitted"),
        ("Api-Version" = Option<String>, Header, description = "Accepted and ignored (2)"),
        ("Authorization" = Option<String>, Header, description = "Bearer <token>, or the token as an API key (none in open mode)"),
        ("key" = i64, Path, description = "The relation id")
    ),
    responses(
        (status = 200, description = "The deleted relation", body = UmbracoRelation),
        (status = 401, description = "Unauthorized", body = UmbracoErrorBody),
        (status = 403, description = "Forbidden", body = UmbracoErrorBody),
        (status = 404, description = "NotFound", body = UmbracoErrorBody),
        (status = 422, description = "ValidationFailed", body = UmbracoErrorBody)
    ))]
async fn delete(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, UmbracoError> {
    let req = request(&state, &headers).await?;
    let (relation, rendered) = one(&state, &req, &id).await?;
    state
        .service
        .unrelate(&req.principal, relation.id, false)
        .await
        .map_err(|e| from_app(e, &relation_not_found(&id)))?;
    Ok(axum::Json(rendered).into_response())
}

/// A relation type, in the same HAL style.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UmbracoRelationType {
    /// A GUID, stable for the type's source and alias.
    #[serde(rename = "_id")]
    id: String,
    /// The alias Umbraco's clients address the type by (`relateDocumentOnCopy`).
    alias: String,
    /// Its display name.
    name: String,
    /// A child-side read sees the relation too.
    is_bidirectional: bool,
    /// Written by Umbraco itself; read-only through the API.
    is_system_relation_type: bool,
    /// The parent's kind (`document`, `media`, `member`); null: any.
    parent_object_type: Option<String>,
    /// The child's kind; null: any.
    child_object_type: Option<String>,
    /// When the type was created (UTC, ISO 8601).
    #[serde(rename = "_createDate")]
    create_date: String,
    /// When the type last changed (UTC, ISO 8601).
    #[serde(rename = "_updateDate")]
    update_date: String,
    /// Links.
    #[serde(rename = "_links")]
    links: SelfLinks,
}

/// The relation types of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddedTypes {
    /// The relation types.
    relation_types: Vec<UmbracoRelationType>,
}

/// The relation types, HAL style.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UmbracoRelationTypeList {
    /// Links.
    #[serde(rename = "_links")]
    links: SelfLinks,
    /// The relation types.
    #[serde(rename = "_embedded")]
    embedded: EmbeddedTypes,
}

fn render_type(t: &RelationType, base: &str) -> UmbracoRelationType {
    let pair = t.contract.allowed_pairs.first();
    UmbracoRelationType {
        id: type_guid(t),
        alias: t.alias.clone(),
        name: t.name.clone(),
        is_bidirectional: t.bidirectional,
        is_system_relation_type: t.system_managed,
        parent_object_type: pair.map(|p| p.from.kind.clone()),
        child_object_type: pair.map(|p| p.to.kind.clone()),
        create_date: date(t.created_at),
        update_date: date(t.updated_at),
        links: SelfLinks {
            self_: link(format!("{base}/relation/type/{}", t.alias)),
        },
    }
}

#[utoipa::path(get, path = "/umbraco/relation/type", tag = "umbraco",
    params(
        ("Umb-Project-Alias" = Option<String>, Header, description = "The project (space); default when omitted"),
        ("Api-Version" = Option<String>, Header, description = "Accepted and ignored (2)"),
        ("Authorization" = Option<String>, Header, description = "Bearer <token>, or the token as an API key (none in open mode)")
    ),
    responses(
        (status = 200, description = "The relation types", body = UmbracoRelationTypeList),
        (status = 401, description = "Unauthorized", body = UmbracoErrorBody),
        (status = 403, description = "Forbidden", body = UmbracoErrorBody),
        (status = 404, description = "NotFound", body = UmbracoErrorBody),
        (status = 422, description = "ValidationFailed", body = UmbracoErrorBody)
    ))]
async fn types(
    State(state): State<DialectState>,
    headers: HeaderMap,
) -> Result<Response, UmbracoError> {
    let req = request(&state, &headers).await?;
    let window = PageWindow::first(MAX_LIST);
    let page = read::relation_types::page(&state.reader(), Some(SOURCE), &window)
        .await
        .map_err(|e| from_app(e, ""))?;
    let body = UmbracoRelationTypeList {
        links: SelfLinks {
            self_: link(format!("{}/relation/type", req.base)),
        },
        embedded: EmbeddedTypes {
            relation_types: page
                .items
                .iter()
                .map(|t| render_type(t, &req.base))
                .collect(),
        },
    };
    Ok(axum::Json(body).into_response())
}

#[utoipa::path(get, path = "/umbraco/relation/type/{alias}", tag = "umbraco",
    params(
        ("Umb-Project-Alias" = Option<String>, Header, description = "The project (space); default when omitted"),
        ("Api-Version" = Option<String>, Header, description = "Accepted and ignored (2)"),
        ("Authorization" = Option<String>, Header, description = "Bearer <token>, or the token as an API key (none in open mode)"),
        ("alias" = String, Path, description = "The alias")
    ),
    responses(
        (status = 200, description = "The relation type", body = UmbracoRelationType),
        (status = 401, description = "Unauthorized", body = UmbracoErrorBody),
        (status = 403, description = "Forbidden", body = UmbracoErrorBody),
        (status = 404, description = "NotFound", body = UmbracoErrorBody),
        (status = 422, description = "ValidationFailed", body = UmbracoErrorBody)
    ))]
async fn type_by_alias(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Path(alias): Path<String>,
) -> Result<Response, UmbracoError> {
    let req = request(&state, &headers).await?;
    let not_found = format!("Relation type with alias '{alias}' could not be found.");
    let ty = read::relation_types::by_alias(&state.reader(), SOURCE, &alias)
        .await
        .map_err(|e| from_app(e, &not_found))?
        .ok_or(UmbracoError::NotFound(not_found))?;
    Ok(axum::Json(render_type(&ty, &req.base)).into_response())
}
