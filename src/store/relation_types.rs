//! Queries on `relation_types`.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};

use super::models::relation_type::{self, Column};
use crate::domain::page::Page;
use crate::domain::{Contract, PageWindow, RelationType, RelationTypeDef};
use crate::error::{AppError, AppResult, Rule};

fn convert(rows: Vec<relation_type::Model>) -> AppResult<Vec<RelationType>> {
    rows.into_iter().map(RelationType::try_from).collect()
}

fn contract_json(contract: &Contract) -> AppResult<String> {
    serde_json::to_string(contract).map_err(AppError::internal)
}

fn of_source(source: Option<&str>) -> Select<relation_type::Entity> {
    let q = relation_type::Entity::find();
    match source {
        Some(s) => q.filter(Column::Source.eq(s)),
        None => q,
    }
}

/// Relation types by row id; missing ids are left out.
pub async fn by_ids<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<Vec<RelationType>> {
    convert(
        relation_type::Entity::find()
            .filter(super::sql::id_in(db, Column::Id, ids))
            .all(db)
            .await?,
    )
}

/// Every built-in relation type.
pub async fn built_in<C: ConnectionTrait>(db: &C) -> AppResult<Vec<RelationType>> {
    convert(
        relation_type::Entity::find()
            .filter(Column::BuiltIn.eq(true))
            .all(db)
            .await?,
    )
}

/// The relation type `alias` of `source`.
pub async fn by_alias<C: ConnectionTrait>(
    db: &C,
    source: &str,
    alias: &str,
) -> AppResult<Option<RelationType>> {
    let row = relation_type::Entity::find()
        .filter(Column::Source.eq(source))
        .filter(Column::Alias.eq(alias))
        .one(db)
        .await?;
    row.map(RelationType::try_from).transpose()
}

/// Relation types with `name` in `source` (for the uniqueness check).
pub async fn by_name<C: ConnectionTrait>(
    db: &C,
    source: &str,
    name: &str,
) -> AppResult<Option<RelationType>> {
    let row = relation_type::Entity::find()
        .filter(Column::Source.eq(source))
        .filter(Column::Name.eq(name))
        .one(db)
        .await?;
    row.map(RelationType::try_from).transpose()
}

/// One page of relation types, optionally of one source, ordered by id.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    source: Option<&str>,
    window: &PageWindow,
) -> AppResult<Page<RelationType>> {
    let mut q = of_source(source);
    if let Some(a) = window.after {
        q = q.filter(Column::Id.gt(a));
    }
    if let Some(b) = window.before {
        q = q.filter(Column::Id.lt(b));
    }
    q = if window.from_end {
        q.order_by_desc(Column::Id)
    } else {
        q.order_by_asc(Column::Id)
    };
    let rows = q.limit(window.limit + 1).all(db).await?;
    Ok(Page::from_window(convert(rows)?, window))
}

/// How many relation types (of one source).
pub async fn count<C: ConnectionTrait>(db: &C, source: Option<&str>) -> AppResult<u64> {
    Ok(of_source(source).count(db).await?)
}

/// Writes a built-in relation type: inserted when missing, otherwise brought
/// up to date with its definition in code. Safe to run from several
/// processes at once.
pub async fn put_built_in<C: ConnectionTrait>(
    db: &C,
    source: &str,
    def: &RelationTypeDef,
) -> AppResult<()> {
    let now = Utc::now();
    let row = relation_type::ActiveModel {
        source: Set(source.to_owned()),
        alias: Set(def.alias.to_owned()),
        name: Set(def.name.to_owned()),
        bidirectional: Set(def.bidirectional),
        updatable: Set(def.updatable),
        system_managed: Set(def.system_managed),
        built_in: Set(true),
        contract: Set(contract_json(&def.contract)?),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    relation_type::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([Column::Source, Column::Alias])
                .update_columns([
                    Column::Name,
                    Column::Bidirectional,
                    Column::Updatable,
                    Column::SystemManaged,
                    Column::BuiltIn,
                    Column::Contract,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The fields of a relation type an admin sets.
#[derive(Debug, Clone)]
pub struct RelationTypeFields {
    /// Human-readable name.
    pub name: String,
    /// See [`RelationType::bidirectional`].
    pub bidirectional: bool,
    /// See [`RelationType::updatable`].
    pub updatable: bool,
    /// The rules.
    pub contract: Contract,
}

/// Inserts a custom relation type.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    source: &str,
    alias: &str,
    fields: &RelationTypeFields,
) -> AppResult<RelationType> {
    let now = Utc::now();
    let row = relation_type::ActiveModel {
        source: Set(source.to_owned()),
        alias: Set(alias.to_owned()),
        name: Set(fields.name.clone()),
        bidirectional: Set(fields.bidirectional),
        updatable: Set(fields.updatable),
        system_managed: Set(false),
        built_in: Set(false),
        contract: Set(contract_json(&fields.contract)?),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let inserted = relation_type::Entity::insert(row)
        .exec_with_returning(db)
        .await
        .map_err(|e| name_taken(e, source, alias, &fields.name))?;
    RelationType::try_from(inserted)
}

/// A unique index's violation as `NAME_TAKEN` (a writer that checked the
/// alias and name while another one, not yet committed, took them), other
/// errors as they are.
fn name_taken(err: sea_orm::DbErr, source: &str, alias: &str, name: &str) -> AppError {
    match super::unique_violation(&err) {
        Some(index) if index.contains("alias") => AppError::constraint(
            Rule::NameTaken,
            format!("{source} already has a relation type with alias {alias}"),
        ),
        Some(index) if index.contains("name") => AppError::constraint(
            Rule::NameTaken,
            format!("{source} already has a relation type named {name:?}"),
        ),
        _ => err.into(),
    }
}

/// Replaces the admin-set fields of relation type `id` (of `source`).
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: i64,
    source: &str,
    fields: &RelationTypeFields,
) -> AppResult<RelationType> {
    let row = relation_type::ActiveModel {
        id: Set(id),
        name: Set(fields.name.clone()),
        bidirectional: Set(fields.bidirectional),
        updatable: Set(fields.updatable),
        contract: Set(contract_json(&fields.contract)?),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    let updated = relation_type::Entity::update(row).exec(db).await;
    RelationType::try_from(updated.map_err(|e| name_taken(e, source, "", &fields.name))?)
}

/// Deletes relation type `id` (which must have no relations left).
pub async fn delete<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<bool> {
    Ok(relation_type::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}
