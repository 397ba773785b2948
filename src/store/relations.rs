//! Queries on `relations` (except the per-entity pages, in [`super::pages`]).

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use super::models::relation::{self, Column};
use super::sql::Sql;
use crate::domain::SortKey;
use crate::domain::page::Page;
use crate::domain::read::sort_parts;
use crate::domain::{PageWindow, Relation};
use crate::domain::{RelationAttributes, RelationFilter, Visibility};
use crate::error::AppResult;

fn visible(q: Select<relation::Entity>, vis: Visibility) -> Select<relation::Entity> {
    if vis.include_private {
        q
    } else {
        q.filter(Column::IsPrivate.eq(false))
    }
}

/// `FROM` and `WHERE` of `relations(filter:)`: the relations (`r`) that
/// `filter` keeps and `vis` may see.
fn push_filtered(sql: &mut Sql, filter: &RelationFilter, vis: Visibility) {
    let mut cond = String::new();
    if !vis.include_private {
        cond.push_str(" AND r.is_private = FALSE");
    }
    if let Some(id) = filter.type_id {
        cond.push_str(&format!(" AND r.type_id = {}", sql.bind(id)));
    }
    if let Some(s) = &filter.type_source {
        cond.push_str(&format!(" AND t.source = {}", sql.bind(s.clone())));
    }
    if let Some(a) = &filter.type_alias {
        cond.push_str(&format!(" AND t.alias = {}", sql.bind(a.clone())));
    }
    if let Some(id) = filter.from_id {
        cond.push_str(&format!(" AND r.from_id = {}", sql.bind(id)));
    }
    if let Some(id) = filter.to_id {
        cond.push_str(&format!(" AND r.to_id = {}", sql.bind(id)));
    }
    if let Some(space) = &filter.space {
        cond.push_str(&format!(
            " AND r.from_id IN (SELECT e.id FROM entities e WHERE e.space = {})",
            sql.bind(space.clone())
        ));
    }
    cond.push_str(&super::order::conditions(sql, &filter.conditions));
    sql.push(" FROM relations r");
    if cond.contains("t.") {
        sql.push(" JOIN relation_types t ON t.id = r.type_id");
    }
    sql.push(" WHERE TRUE");
    sql.push(&cond);
}

/// Relations by row id that `vis` may see; others are left out.
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    vis: Visibility,
) -> AppResult<Vec<Relation>> {
    let rows = visible(relation::Entity::find(), vis)
        .filter(super::sql::id_in(db, Column::Id, ids))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Relation::from).collect())
}

/// One page of `relations(filter:)`, in the filter's order (by id when it
/// has none).
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &RelationFilter,
    vis: Visibility,
    window: &PageWindow,
) -> AppResult<Page<Relation>> {
    let page = page_keyed(db, filter, vis, window).await?;
    Ok(Page {
        items: page.items.into_iter().map(|(r, _)| r).collect(),
        has_next: page.has_next,
        has_previous: page.has_previous,
        total: page.total,
    })
}

/// As [`page`], with each relation's sort key (for its cursor).
pub async fn page_keyed<C: ConnectionTrait>(
    db: &C,
    filter: &RelationFilter,
    vis: Visibility,
    window: &PageWindow,
) -> AppResult<Page<(Relation, SortKey)>> {
    let parts = sort_parts(&filter.order);
    let mut sql = Sql::new(db);
    let backend = sql.backend();
    let expr = |i: usize| super::order::sort_expr(backend, parts[i].0).to_owned();
    let mut columns: Vec<String> = (0..parts.len())
        .map(|i| format!("{} AS s{i}", expr(i)))
        .collect();
    columns.push("r.*".to_owned());
    sql.push(&format!("SELECT {}", columns.join(", ")));
    push_filtered(&mut sql, filter, vis);
    let bounds = super::order::window_bounds(&mut sql, &parts, expr, "r.id", window);
    sql.push(&bounds);
    let order = super::order::order_by(&parts, expr, "r.id", window.from_end);
    let limit = sql.bind(window.limit as i64 + 1);
    sql.push(&format!(" ORDER BY {order} LIMIT {limit}"));
    let rows = db.query_all_raw(sql.statement()).await?;
    let rows = rows
        .iter()
        .map(|row| {
            let key = super::order::read_sort_key(row, 0, &parts)?;
            Ok((
                Relation::from(relation::Model::from_query_result(row, "")?),
                key,
            ))
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(Page::from_window(rows, window))
}

/// How many relations match `filter`.
pub async fn count<C: ConnectionTrait>(
    db: &C,
    filter: &RelationFilter,
    vis: Visibility,
) -> AppResult<u64> {
    let mut sql = Sql::new(db);
    sql.push("SELECT COUNT(*) AS n");
    push_filtered(&mut sql, filter, vis);
    let row = db.query_one_raw(sql.statement()).await?;
    let n: i64 = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

/// The ids of every relation with `entity_id` at either end.
pub async fn ids_touching<C: ConnectionTrait>(db: &C, entity_id: i64) -> AppResult<Vec<i64>> {
    Ok(relation::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(
            Condition::any()
                .add(Column::FromId.eq(entity_id))
                .add(Column::ToId.eq(entity_id)),
        )
        .order_by_asc(Column::Id)
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

/// Every relation of a relation type, private ones included, by id (for
/// the journal, before they are deleted with their type).
pub async fn of_type<C: ConnectionTrait>(db: &C, type_id: i64) -> AppResult<Vec<Relation>> {
    Ok(relation::Entity::find()
        .filter(Column::TypeId.eq(type_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Relation::from)
        .collect())
}

/// How many relations a relation type has.
pub async fn count_of_type<C: ConnectionTrait>(db: &C, type_id: i64) -> AppResult<u64> {
    Ok(relation::Entity::find()
        .filter(Column::TypeId.eq(type_id))
        .count(db)
        .await?)
}

/// A relation to insert.
#[derive(Debug, Clone, Default)]
pub struct NewRelation {
    /// The relation type's row id.
    pub type_id: i64,
    /// `from` end.
    pub from_id: i64,
    /// `to` end.
    pub to_id: i64,
    /// Its attributes.
    pub attributes: RelationAttributes,
}

/// Inserts a relation.
pub async fn insert<C: ConnectionTrait>(db: &C, new: &NewRelation) -> AppResult<Relation> {
    let now = Utc::now();
    let mut row = relation::ActiveModel {
        type_id: Set(new.type_id),
        from_id: Set(new.from_id),
        to_id: Set(new.to_id),
        mirror_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    row.set_attributes(&new.attributes);
    Ok(Relation::from(
        relation::Entity::insert(row)
            .exec_with_returning(db)
            .await?,
    ))
}

/// Points relation `id` at `mirror` (or at nothing).
pub async fn set_mirror<C: ConnectionTrait>(
    db: &C,
    id: i64,
    mirror: Option<i64>,
) -> AppResult<Relation> {
    let row = relation::ActiveModel {
        id: Set(id),
        mirror_id: Set(mirror),
        ..Default::default()
    };
    Ok(Relation::from(
        relation::Entity::update(row).exec(db).await?,
    ))
}

/// Sets the attributes of relation `id` to `attributes`.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: i64,
    attributes: &RelationAttributes,
) -> AppResult<Relation> {
    let mut row = relation::ActiveModel {
        id: Set(id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    row.set_attributes(attributes);
    Ok(Relation::from(
        relation::Entity::update(row).exec(db).await?,
    ))
}

/// Deletes relations by id; returns how many went.
pub async fn delete<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<u64> {
    Ok(relation::Entity::delete_many()
        .filter(super::sql::id_in(db, Column::Id, ids))
        .exec(db)
        .await?
        .rows_affected)
}

/// Deletes every relation of a relation type; returns how many went.
pub async fn delete_of_type<C: ConnectionTrait>(db: &C, type_id: i64) -> AppResult<u64> {
    // Clear mirror pointers first so no row references a row being deleted.
    relation::Entity::update_many()
        .col_expr(
            Column::MirrorId,
            sea_orm::sea_query::Expr::value(Option::<i64>::None),
        )
        .filter(Column::TypeId.eq(type_id))
        .exec(db)
        .await?;
    Ok(relation::Entity::delete_many()
        .filter(Column::TypeId.eq(type_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// Relations of `type_id` from `from` to `to` (and from `to` to `from` when
/// `either_way`), oldest first.
pub async fn between<C: ConnectionTrait>(
    db: &C,
    type_id: i64,
    from: i64,
    to: i64,
    either_way: bool,
) -> AppResult<Vec<Relation>> {
    let forward = Condition::all()
        .add(Column::FromId.eq(from))
        .add(Column::ToId.eq(to));
    let mut ends = Condition::any().add(forward);
    if either_way {
        ends = ends.add(
            Condition::all()
                .add(Column::FromId.eq(to))
                .add(Column::ToId.eq(from)),
        );
    }
    let rows = relation::Entity::find()
        .filter(Column::TypeId.eq(type_id))
        .filter(ends)
        .order_by_asc(Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Relation::from).collect())
}

/// A relation that counts against a limit: whether it is private, and the
/// far end's kind and id.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct LimitRow {
    /// The relation is private.
    pub is_private: bool,
    /// The far end's kind.
    pub kind: String,
    /// The far end's id in its source.
    pub external_id: String,
}

/// The first `max` relations of `type_id` at entity `at` that count against
/// a limit: those `at` is the `from` end of (`Outgoing`), the `to` end of
/// (`Incoming`) or either (`Both`), whose far end is of one of `other_kinds`
/// (empty: any).
pub async fn limit_holders<C: ConnectionTrait>(
    db: &C,
    type_id: i64,
    at: i64,
    direction: crate::domain::Direction,
    other_kinds: &[crate::domain::EndpointKind],
    max: u32,
) -> AppResult<Vec<LimitRow>> {
    use crate::domain::Direction;
    let mut sql = super::sql::Sql::new(db);
    let t = sql.bind(type_id);
    let a = sql.bind(at);
    sql.push(&format!(
        "SELECT r.is_private, o.kind, o.external_id FROM relations r \
         JOIN entities o ON o.id = CASE WHEN r.from_id = {a} THEN r.to_id ELSE r.from_id END \
         WHERE r.type_id = {t}"
    ));
    sql.push(&match direction {
        Direction::Outgoing => format!(" AND r.from_id = {a}"),
        Direction::Incoming => format!(" AND r.to_id = {a}"),
        Direction::Both => format!(" AND (r.from_id = {a} OR r.to_id = {a})"),
    });
    if !other_kinds.is_empty() {
        let alternatives = other_kinds
            .iter()
            .map(|k| {
                let s = sql.bind(k.source.clone());
                let kind = sql.bind(k.kind.clone());
                format!("(o.source = {s} AND o.kind = {kind})")
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        sql.push(&format!(" AND ({alternatives})"));
    }
    let limit = sql.bind(i64::from(max));
    sql.push(&format!(" ORDER BY r.id LIMIT {limit}"));
    Ok(LimitRow::find_by_statement(sql.statement()).all(db).await?)
}
