//! `relgate demo seed`: a small data set of all three sources, written
//! through the service (so it obeys every rule), safe to run again.

use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::service::{Relate, Service, UpsertEntity};
use crate::store::{self, Visibility};

type Key = (&'static str, &'static str, &'static str, &'static str);

/// An entity of the demo: (source, space, kind, external id) and a name.
const ENTITIES: &[(Key, &str)] = &[
    (("copper", "default", "person", "1"), "Ada Lovelace"),
    (
        ("copper", "default", "company", "10"),
        "Analytical Engines Ltd",
    ),
    (
        ("copper", "default", "opportunity", "100"),
        "Difference engine upgrade",
    ),
    (("copper", "default", "project", "200"), "Engine rollout"),
    (("copper", "default", "task", "300"), "Order brass gears"),
    (
        (
            "umbraco",
            "demo-site",
            "document",
            "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31",
        ),
        "About us",
    ),
    (
        (
            "umbraco",
            "demo-site",
            "document",
            "e0c5f0e5-c1f0-4422-9ac0-6dbb536e8eb5",
        ),
        "About us (copy)",
    ),
    (
        (
            "umbraco",
            "demo-site",
            "media",
            "5b7a1c3e-0d2f-4e6a-9b8c-1d2e3f4a5b6c",
        ),
        "Team photo",
    ),
    (("kanka", "1", "character", "168"), "Ilsa the Navigator"),
    (("kanka", "1", "character", "72"), "Brom"),
    (("kanka", "1", "location", "5"), "Harbour Town"),
];

/// A relation of the demo: type (source, alias), from, to, label, comment,
/// two-way, private.
type DemoRelation = (
    (&'static str, &'static str),
    Key,
    Key,
    Option<&'static str>,
    Option<&'static str>,
    bool,
    bool,
);

const RELATIONS: &[DemoRelation] = &[
    (
        ("copper", "related"),
        ("copper", "default", "person", "1"),
        ("copper", "default", "company", "10"),
        None,
        None,
        false,
        false,
    ),
    (
        ("copper", "related"),
        ("copper", "default", "person", "1"),
        ("copper", "default", "opportunity", "100"),
        None,
        None,
        false,
        false,
    ),
    (
        ("copper", "related"),
        ("copper", "default", "company", "10"),
        ("copper", "default", "opportunity", "100"),
        None,
        None,
        false,
        false,
    ),
    (
        ("copper", "related"),
        ("copper", "default", "opportunity", "100"),
        ("copper", "default", "project", "200"),
        None,
        None,
        false,
        false,
    ),
    (
        ("copper", "related"),
        ("copper", "default", "task", "300"),
        ("copper", "default", "project", "200"),
        None,
        None,
        false,
        false,
    ),
    (
        ("umbraco", "relateDocumentOnCopy"),
        (
            "umbraco",
            "demo-site",
            "document",
            "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31",
        ),
        (
            "umbraco",
            "demo-site",
            "document",
            "e0c5f0e5-c1f0-4422-9ac0-6dbb536e8eb5",
        ),
        None,
        Some("Copied for the autumn campaign"),
        false,
        false,
    ),
    (
        ("kanka", "relation"),
        ("kanka", "1", "character", "168"),
        ("kanka", "1", "character", "72"),
        Some("Just Friends"),
        None,
        true,
        false,
    ),
    (
        ("kanka", "relation"),
        ("kanka", "1", "character", "168"),
        ("kanka", "1", "location", "5"),
        Some("Was born in"),
        None,
        false,
        false,
    ),
    (
        ("kanka", "relation"),
        ("kanka", "1", "character", "72"),
        ("kanka", "1", "location", "5"),
        Some("Owes a debt in"),
        None,
        false,
        true,
    ),
];

async fn entity_id(service: &Service, key: Key) -> AppResult<i64> {
    let (source, space, kind, id) = key;
    let k = service.entity_key(source, Some(space), Some(kind), id)?;
    store::entities::by_key(service.store().db(), &k)
        .await?
        .map(|e| e.id)
        .ok_or_else(|| AppError::not_found(format!("demo entity {source} {kind} {id}")))
}

/// Writes the demo data; returns a one-line summary.
pub async fn seed(service: &Service) -> AppResult<String> {
    let admin = Principal::open_mode();
    let mut created_entities = 0;
    for ((source, space, kind, external_id), name) in ENTITIES {
        let (_, created) = service
            .upsert_entity(
                &admin,
                UpsertEntity {
                    source: (*source).to_owned(),
                    space: Some((*space).to_owned()),
                    kind: (*kind).to_owned(),
                    external_id: (*external_id).to_owned(),
                    name: Some((*name).to_owned()),
                },
            )
            .await?;
        created_entities += usize::from(created);
    }
    let mut created_relations = 0;
    let all = Visibility {
        include_private: true,
    };
    for ((source, alias), from, to, label, comment, two_way, private) in RELATIONS {
        let db = service.store().db();
        let ty = store::relation_types::by_alias(db, source, alias)
            .await?
            .ok_or_else(|| AppError::not_found(format!("relation type {source} {alias}")))?;
        let from_id = entity_id(service, *from).await?;
        let to_id = entity_id(service, *to).await?;
        let filter = store::relations::RelationFilter {
            type_id: Some(ty.id),
            from_id: Some(from_id),
            to_id: Some(to_id),
            ..Default::default()
        };
        if store::relations::count(db, &filter, all).await? > 0 {
            continue;
        }
        service
            .relate(
                &admin,
                Relate {
                    type_id: ty.id,
                    from_id,
                    to_id,
                    label: label.map(str::to_owned),
                    comment: comment.map(str::to_owned),
                    is_private: Some(*private),
                    two_way: *two_way,
                    ..Default::default()
                },
            )
            .await?;
        created_relations += 1;
    }
    Ok(format!(
        "demo data: {created_entities} entities and {created_relations} relations created ({} entities, {} relations in the demo)",
        ENTITIES.len(),
        RELATIONS.len()
    ))
}
