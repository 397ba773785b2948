//! Queries on `entities`.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};

use super::models::entity::{self, Column};
use crate::domain::page::Page;
use crate::domain::{Entity, EntityFilter, EntityKey, PageWindow};
use crate::error::{AppError, AppResult};

fn filtered(filter: &EntityFilter) -> Select<entity::Entity> {
    let mut q = entity::Entity::find();
    if let Some(s) = &filter.source {
        q = q.filter(Column::Source.eq(s.as_str()));
    }
    if let Some(s) = &filter.space {
        q = q.filter(Column::Space.eq(s.as_str()));
    }
    if let Some(k) = &filter.kind {
        q = q.filter(Column::Kind.eq(k.as_str()));
    }
    if let Some(text) = &filter.name_contains {
        let escaped = text
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        q = q.filter(
            Expr::expr(Func::lower(Expr::col(Column::Name)))
                .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    q
}

/// Entities by row id, in no particular order; missing ids are left out.
pub async fn by_ids<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<Vec<Entity>> {
    let rows = entity::Entity::find()
        .filter(super::sql::id_in(db, Column::Id, ids))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Entity::from).collect())
}

/// The names of entities by row id, in no particular order; missing ids are
/// left out. For reads that need no more of them (two columns instead of
/// nine, no timestamps to decode).
pub async fn names_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<Vec<(i64, Option<String>)>> {
    let mut sql = super::sql::Sql::new(db);
    let cond = sql.bind_ids("id", ids);
    sql.push(&format!("SELECT id, name FROM entities WHERE {cond}"));
    let rows = db.query_all_raw(sql.statement()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

/// The entity with this natural key. A key without a kind (per-space
/// sources) matches any kind.
pub async fn by_key<C: ConnectionTrait>(db: &C, key: &EntityKey) -> AppResult<Option<Entity>> {
    let mut q = entity::Entity::find()
        .filter(Column::Source.eq(key.source.as_str()))
        .filter(Column::Space.eq(key.space.as_str()))
        .filter(Column::KindScope.eq(key.kind_scope.as_str()))
        .filter(Column::ExternalId.eq(key.external_id.as_str()));
    if let Some(kind) = &key.kind {
        q = q.filter(Column::Kind.eq(kind.as_str()));
    }
    Ok(q.one(db).await?.map(Entity::from))
}

/// The rows of one page of `entities(filter:)` (one more than the page, to
/// tell whether another follows), ordered by id.
fn windowed(filter: &EntityFilter, window: &PageWindow) -> Select<entity::Entity> {
    let mut q = filtered(filter);
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
    q.limit(window.limit + 1)
}

/// One page of `entities(filter:)`, ordered by id.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &EntityFilter,
    window: &PageWindow,
) -> AppResult<Page<Entity>> {
    let rows = windowed(filter, window).all(db).await?;
    Ok(Page::from_window(
        rows.into_iter().map(Entity::from).collect(),
        window,
    ))
}

/// As [`page`], with only each entity's id and name: for reads that need no
/// more of them.
pub async fn page_of_names<C: ConnectionTrait>(
    db: &C,
    filter: &EntityFilter,
    window: &PageWindow,
) -> AppResult<Page<(i64, Option<String>)>> {
    let rows = windowed(filter, window)
        .select_only()
        .column(Column::Id)
        .column(Column::Name)
        .into_tuple::<(i64, Option<String>)>()
        .all(db)
        .await?;
    Ok(Page::from_window(rows, window))
}

/// How many entities match `filter`.
pub async fn count<C: ConnectionTrait>(db: &C, filter: &EntityFilter) -> AppResult<u64> {
    Ok(filtered(filter).count(db).await?)
}

/// Finds the entity with `key` whatever its kind, or inserts it as a
/// `kind` named `name`; whether it was inserted. Whether the found one may
/// be used as a `kind` is the rules' to say (`rules::check_kind`).
pub async fn find_or_insert<C: ConnectionTrait>(
    db: &C,
    key: &EntityKey,
    kind: &str,
    name: Option<&str>,
) -> AppResult<(Entity, bool)> {
    let any_kind = EntityKey {
        kind: None,
        ..key.clone()
    };
    let mut created = false;
    if by_key(db, &any_kind).await?.is_none() {
        let now = Utc::now();
        let row = entity::ActiveModel {
            source: Set(key.source.clone()),
            space: Set(key.space.clone()),
            kind: Set(kind.to_owned()),
            kind_scope: Set(key.kind_scope.clone()),
            external_id: Set(key.external_id.clone()),
            name: Set(name.map(str::to_owned)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        // A concurrent writer may insert the same key first: then this
        // finds that row.
        let inserted = entity::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    Column::Source,
                    Column::Space,
                    Column::KindScope,
                    Column::ExternalId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        created = inserted > 0;
    }
    let existing = by_key(db, &any_kind)
        .await?
        .ok_or_else(|| AppError::internal(std::io::Error::other("upserted entity vanished")))?;
    Ok((existing, created))
}

/// Renames entity `id`; the entity as it is now.
pub async fn rename<C: ConnectionTrait>(db: &C, id: i64, name: &str) -> AppResult<Entity> {
    let row = entity::ActiveModel {
        id: Set(id),
        name: Set(Some(name.to_owned())),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    Ok(Entity::from(entity::Entity::update(row).exec(db).await?))
}

/// Deletes an entity (its relations go with it through the foreign keys).
pub async fn delete<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<bool> {
    let res = entity::Entity::delete_by_id(id).exec(db).await?;
    Ok(res.rows_affected > 0)
}

/// Reads the rows of `ids` and locks them until the transaction ends, in id
/// order so that two writers never wait on each other in a cycle (one
/// statement: a write reads the ends it locks anyway). On SQLite the write
/// transaction (`BEGIN IMMEDIATE`) already excludes other writers, and the
/// rows are only read. Missing ids are left out.
pub async fn lock<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<Vec<Entity>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut find = entity::Entity::find().filter(super::sql::id_in(db, Column::Id, ids));
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        find = find.order_by_asc(Column::Id).lock_exclusive();
    }
    let rows = find.all(db).await?;
    Ok(rows.into_iter().map(Entity::from).collect())
}
