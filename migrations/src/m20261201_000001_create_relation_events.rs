//! The journal: `relation_events`, one row per change, appended in the
//! change's own transaction. Relations that exist when the journal begins
//! get a `RELATION_CREATED` event each (origin `import`, at their creation
//! time), so the journal can answer what the graph held at any later moment.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RelationEvents {
    Table,
    Id,
    /// The writing transaction (PostgreSQL's `pg_current_xact_id()`; 0 on
    /// SQLite): followers read in (txid, id) order, below the oldest
    /// running writer's id.
    Txid,
    At,
    Kind,
    RelationId,
    TypeId,
    TypeSource,
    TypeAlias,
    FromId,
    ToId,
    EntityId,
    /// Whether the relation was private before or after: admins only.
    IsPrivate,
    /// JSON: the ends' (or the entity's) natural keys and names.
    Ends,
    /// JSON: the relation's attributes (or the name) before the change.
    Before,
    /// JSON: the relation's attributes (or the name) after the change.
    After,
    Actor,
    RequestId,
    Origin,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RelationEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(RelationEvents::Id))
                    .col(big_integer(RelationEvents::Txid).default(0))
                    .col(timestamp_with_time_zone(RelationEvents::At))
                    .col(string(RelationEvents::Kind))
                    .col(big_integer_null(RelationEvents::RelationId))
                    .col(big_integer_null(RelationEvents::TypeId))
                    .col(string_null(RelationEvents::TypeSource))
                    .col(string_null(RelationEvents::TypeAlias))
                    .col(big_integer_null(RelationEvents::FromId))
                    .col(big_integer_null(RelationEvents::ToId))
                    .col(big_integer_null(RelationEvents::EntityId))
                    .col(boolean(RelationEvents::IsPrivate).default(false))
                    .col(text_null(RelationEvents::Ends))
                    .col(text_null(RelationEvents::Before))
                    .col(text_null(RelationEvents::After))
                    .col(string(RelationEvents::Actor))
                    .col(string_null(RelationEvents::RequestId))
                    .col(string(RelationEvents::Origin))
                    .to_owned(),
            )
            .await?;
        // Following the journal; one object's history; one entity's events
        // (either end, or the entity itself); time ranges and pruning.
        let indexes: [(&str, Vec<RelationEvents>); 6] = [
            (
                "ix_relation_events_order",
                vec![RelationEvents::Txid, RelationEvents::Id],
            ),
            (
                "ix_relation_events_relation",
                vec![RelationEvents::RelationId, RelationEvents::Id],
            ),
            (
                "ix_relation_events_from",
                vec![RelationEvents::FromId, RelationEvents::Id],
            ),
            (
                "ix_relation_events_to",
                vec![RelationEvents::ToId, RelationEvents::Id],
            ),
            (
                "ix_relation_events_entity",
                vec![RelationEvents::EntityId, RelationEvents::Id],
            ),
            ("ix_relation_events_at", vec![RelationEvents::At]),
        ];
        for (name, cols) in indexes {
            let mut index = Index::create();
            index.name(name).table(RelationEvents::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }

        // What the store holds now, as the journal's first events.
        let db = manager.get_connection();
        db.execute_unprepared(&created_events_sql(
            db.get_database_backend(),
            "TRUE",
            "import",
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RelationEvents::Table).to_owned())
            .await
    }
}

/// An `INSERT ... SELECT` of one `RELATION_CREATED` event (actor `relgate`,
/// the given origin, at the relation's creation time) for each relation
/// that `condition` (on `r`, the relation) keeps: the journal's start, and
/// the events of relations written in bulk (`relgate demo seed`).
pub fn created_events_sql(backend: DatabaseBackend, condition: &str, origin: &str) -> String {
    let postgres = backend == DatabaseBackend::Postgres;
    let object = if postgres {
        "json_build_object"
    } else {
        "json_object"
    };
    let key = |alias: &str| {
        format!(
            "{object}('id', {alias}.id, 'source', {alias}.source, 'space', {alias}.space, \
             'kind', {alias}.kind, 'externalId', {alias}.external_id, 'name', {alias}.name)"
        )
    };
    // SQLite keeps booleans as 0/1: JSON wants true/false.
    let boolean = |col: &str| {
        if postgres {
            col.to_owned()
        } else {
            format!("CASE WHEN {col} THEN json('true') ELSE json('false') END")
        }
    };
    let state = format!(
        "{object}('label', r.label, 'comment', r.comment, 'attitude', r.attitude, 'colour', r.colour, \
         'pinned', {}, 'isPrivate', {}, 'mirrorId', r.mirror_id)",
        boolean("r.pinned"),
        boolean("r.is_private"),
    );
    let cast = if postgres { "::text" } else { "" };
    format!(
        "INSERT INTO relation_events (txid, at, kind, relation_id, type_id, type_source, type_alias, \
         from_id, to_id, is_private, ends, after, actor, origin) \
         SELECT 0, r.created_at, 'RELATION_CREATED', r.id, r.type_id, t.source, t.alias, r.from_id, r.to_id, \
         r.is_private, ({object}('from', {from}, 'to', {to})){cast}, ({state}){cast}, 'relgate', '{origin}' \
         FROM relations r JOIN relation_types t ON t.id = r.type_id \
         JOIN entities f ON f.id = r.from_id JOIN entities o ON o.id = r.to_id \
         WHERE {condition} ORDER BY r.id",
        from = key("f"),
        to = key("o"),
    )
}
