//! Multi-row inserts with ids chosen by the caller, for seeding at scale.
//!
//! Choosing ids lets a two-way pair reference its mirror within one
//! statement (foreign keys are checked at the end of each statement on both
//! engines). Afterwards PostgreSQL's sequences are moved past the ids used;
//! SQLite's AUTOINCREMENT follows explicit ids by itself.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QuerySelect,
};

use super::models::{entity, relation};
use crate::domain::RelationAttributes;
use crate::error::AppResult;

/// An entity row to insert.
#[derive(Debug, Clone)]
pub struct NewEntityRow {
    /// Row id.
    pub id: i64,
    /// Its source, one of the built-in profiles.
    pub source: &'static str,
    /// Its space within the source.
    pub space: String,
    /// Its kind, one the profile allows.
    pub kind: &'static str,
    /// The source's own id, unique per (source, space, kind).
    pub external_id: String,
    /// Its display name.
    pub name: String,
}

/// A relation row to insert.
#[derive(Debug, Clone)]
pub struct NewRelationRow {
    /// Row id.
    pub id: i64,
    /// The relation type's row id.
    pub type_id: i64,
    /// The `from` end's row id.
    pub from_id: i64,
    /// The `to` end's row id.
    pub to_id: i64,
    /// Its attributes.
    pub attributes: RelationAttributes,
    /// The mirror's row id (in the same statement).
    pub mirror_id: Option<i64>,
}

impl NewRelationRow {
    /// A relation without comment or mirror.
    pub fn new(
        id: i64,
        type_id: i64,
        from_id: i64,
        to_id: i64,
        label: Option<String>,
        is_private: bool,
    ) -> Self {
        Self {
            id,
            type_id,
            from_id,
            to_id,
            attributes: RelationAttributes {
                label,
                is_private,
                ..Default::default()
            },
            mirror_id: None,
        }
    }
}

/// The first free entity and relation ids.
pub async fn next_ids<C: ConnectionTrait>(db: &C) -> AppResult<(i64, i64)> {
    let max_entity: Option<i64> = entity::Entity::find()
        .select_only()
        .column_as(entity::Column::Id.max(), "m")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    let max_relation: Option<i64> = relation::Entity::find()
        .select_only()
        .column_as(relation::Column::Id.max(), "m")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    Ok((max_entity.unwrap_or(0) + 1, max_relation.unwrap_or(0) + 1))
}

/// Inserts entities in one statement.
pub async fn insert_entities<C: ConnectionTrait>(db: &C, rows: &[NewEntityRow]) -> AppResult<()> {
    let now = Utc::now();
    let models = rows.iter().map(|r| entity::ActiveModel {
        id: Set(r.id),
        source: Set(r.source.to_owned()),
        space: Set(r.space.clone()),
        kind: Set(r.kind.to_owned()),
        // The seeded sources are Copper (ids per kind) and Umbraco and Kanka
        // (ids per space).
        kind_scope: Set(if r.source == "copper" {
            r.kind.to_owned()
        } else {
            String::new()
        }),
        external_id: Set(r.external_id.clone()),
        name: Set(Some(r.name.clone())),
        created_at: Set(now),
        updated_at: Set(now),
    });
    entity::Entity::insert_many(models)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Inserts relations in one statement.
pub async fn insert_relations<C: ConnectionTrait>(
    db: &C,
    rows: &[NewRelationRow],
) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let models = rows.iter().map(|r| {
        let mut row = relation::ActiveModel {
            id: Set(r.id),
            type_id: Set(r.type_id),
            from_id: Set(r.from_id),
            to_id: Set(r.to_id),
            mirror_id: Set(r.mirror_id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        row.set_attributes(&r.attributes);
        row
    });
    relation::Entity::insert_many(models)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Moves PostgreSQL's id sequences past the ids written explicitly.
pub async fn after_explicit_ids<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        for table in ["entities", "relations"] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
            ))
            .await?;
        }
    }
    Ok(())
}

/// Appends a `RELATION_CREATED` event (origin `seed`) for every relation
/// with an id from `first_id` on: the journal of a bulk seed, in one
/// statement.
pub async fn record_created<C: ConnectionTrait>(db: &C, first_id: i64) -> AppResult<()> {
    let sql = migration::created_events_sql(
        db.get_database_backend(),
        &format!("r.id >= {first_id}"),
        crate::domain::Origin::Seed.as_str(),
    );
    db.execute_unprepared(&sql).await?;
    Ok(())
}
