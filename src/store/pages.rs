//! Per-entity pages of relations and related entities, for many entities in
//! one statement.
//!
//! `Entity.relations` and `Entity.related` are resolved through dataloaders
//! that hand this module every parent entity of one level at once. Each page
//! is cut per parent in SQL with `ROW_NUMBER() OVER (PARTITION BY anchor ...)`,
//! so a level costs one statement however many parents it has, and no parent's
//! page is assembled in memory from a larger result.
//!
//! The relations of an entity E are the union of two index range scans:
//! those with `from_id = E` and those with `to_id = E` (`anchor` is E, `other`
//! the far end). Direction decides which half a relation may come from: a
//! relation of a bidirectional type counts as outgoing and incoming for both
//! of its ends. The SQL is written once with `$n` placeholders, which both
//! PostgreSQL and SQLite accept.
//!
//! When a query asks for a page and its `totalCount`, the count comes with
//! the page: a `COUNT(*) OVER (PARTITION BY anchor)` column, so the level
//! still costs one statement. That needs the whole list in the window, so it
//! is only done for pages without a cursor; with one, the count is its own
//! statement ([`relation_counts`], [`related_counts`]).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult};

use super::order;
use super::sql::Sql;
use crate::domain::page::Page;
use crate::domain::read::{counts_with_page, sort_parts};
use crate::domain::{Direction, PageWindow, Relation, RelationAttributes};
use crate::domain::{Edge, EdgeColumns, EdgeFilter, GroupCounts, RelatedRow, SortPart};
use crate::error::AppResult;

/// The columns, in the order they are decoded: each half of the union
/// selects them from `r` (and `t`), the page reads them by name.
fn column_names(columns: EdgeColumns) -> Vec<&'static str> {
    let mut names = vec!["id", "type_id", "from_id", "to_id"];
    if columns.attributes {
        names.extend(RelationAttributes::COLUMNS);
        names.push("mirror_id");
    }
    if columns.times {
        names.extend(["created_at", "updated_at"]);
    }
    if columns.bidirectional {
        names.push("bidirectional");
    }
    names
}

/// What an entity list's filter asks of a relation (`r`), its type (`t`)
/// and its far end (`o`): one reading for the lists' unions
/// ([`push_union`]) and the traversals' steps (`store::traversal`).
pub(crate) struct EdgeTerms {
    /// ` AND ...` conditions on `r`, `t` and `o`.
    pub common: String,
    /// Which relations may be followed from their `from` end.
    pub out_pred: &'static str,
    /// Which relations may be followed from their `to` end.
    pub in_pred: &'static str,
    /// `t` is read (by `columns`, the filter or the direction).
    pub join_types: bool,
    /// `t` is read by `columns` or the filter (not only by the direction).
    pub types_read: bool,
    /// `o` is read.
    pub join_other: bool,
}

impl EdgeTerms {
    /// The terms of `filter`, for a statement selecting `columns`.
    pub(crate) fn of(sql: &mut Sql, filter: &EdgeFilter, columns: &str) -> Self {
        let mut common = String::new();
        if let Some(alias) = &filter.type_alias {
            common.push_str(&format!(" AND t.alias = {}", sql.bind(alias.clone())));
        }
        if let Some(kind) = &filter.other_kind {
            common.push_str(&format!(" AND o.kind = {}", sql.bind(kind.clone())));
        }
        if !filter.visibility.include_private {
            common.push_str(" AND r.is_private = FALSE");
        }
        common.push_str(&order::conditions(sql, &filter.conditions));
        let joins = order::Joins::of(&filter.conditions);
        // Which relations each end may follow, by direction.
        let (out_pred, in_pred) = match filter.direction {
            Direction::Outgoing => ("TRUE", "t.bidirectional"),
            Direction::Incoming => ("t.bidirectional", "TRUE"),
            Direction::Both => ("TRUE", "TRUE"),
        };
        let types_read = joins.types || columns.contains("t.") || filter.type_alias.is_some();
        Self {
            common,
            out_pred,
            in_pred,
            join_types: types_read || filter.direction != Direction::Both,
            types_read,
            join_other: joins.other || filter.other_kind.is_some(),
        }
    }
}

/// Appends the union of an entity's two halves, each row with `columns`,
/// `anchor` and `other`; `extra` is a condition (on `r`) added to both
/// halves. The relation types (`t`) are joined only when `columns`, the
/// filter or the direction read them, the far end (`o`) only when the
/// filter does.
pub(crate) fn push_union(
    sql: &mut Sql,
    anchors: &[i64],
    filter: &EdgeFilter,
    extra: &str,
    columns: &str,
) {
    let terms = EdgeTerms::of(sql, filter, columns);
    let EdgeTerms {
        out_pred, in_pred, ..
    } = terms;
    for (anchor, other, pred, self_guard) in [
        ("from_id", "to_id", out_pred, String::new()),
        (
            "to_id",
            "from_id",
            in_pred,
            // A self-relation is in both halves; keep it once.
            format!(" AND NOT (r.from_id = r.to_id AND {out_pred})"),
        ),
    ] {
        if anchor == "to_id" {
            sql.push(" UNION ALL ");
        }
        sql.push(&format!(
            "SELECT {columns}, r.{anchor} AS anchor, r.{other} AS other FROM relations r"
        ));
        // A half whose direction test is TRUE reads no type unless the
        // columns or the filter do (Q4's outgoing half).
        if terms.join_types
            && (terms.types_read || pred.contains("t.") || self_guard.contains("t."))
        {
            sql.push(" JOIN relation_types t ON t.id = r.type_id");
        }
        if terms.join_other {
            sql.push(&format!(" JOIN entities o ON o.id = r.{other}"));
        }
        let anchored = sql.bind_ids(&format!("r.{anchor}"), anchors);
        sql.push(&format!(
            " WHERE {anchored} AND {pred}{self_guard}{}{extra}",
            terms.common
        ));
    }
}

/// The bounds of a window on the rows of one half (`r`): past its cursors
/// in the list's order.
fn cursor_bounds(sql: &mut Sql, filter: &EdgeFilter, window: &PageWindow) -> String {
    let parts = sort_parts(&filter.order);
    let backend = sql.backend();
    let column = |i: usize| order::sort_expr(backend, parts[i].0).to_owned();
    order::window_bounds(sql, &parts, column, "r.id", window)
}

/// The `total` column of a page statement: the size of the anchor's list, or
/// NULL when it is not counted here.
fn total_column(partition: &str, counted: bool) -> String {
    if counted {
        format!("COUNT(*) OVER (PARTITION BY {partition})")
    } else {
        "CAST(NULL AS BIGINT)".to_owned()
    }
}

/// Groups page rows (in anchor, then window order) by anchor and cuts each
/// anchor's page; anchors with no rows get an empty page, counted as 0 when
/// the statement counted.
fn pages_by_anchor<T>(
    anchors: &[i64],
    rows: impl IntoIterator<Item = (i64, Option<i64>, T)>,
    window: &PageWindow,
    counted: bool,
) -> HashMap<i64, Page<T>> {
    let mut grouped: HashMap<i64, (Vec<T>, Option<i64>)> = HashMap::new();
    for (anchor, total, item) in rows {
        let entry = grouped.entry(anchor).or_default();
        entry.0.push(item);
        entry.1 = total;
    }
    anchors
        .iter()
        .map(|a| {
            let (rows, total) = grouped.remove(a).unwrap_or_default();
            let mut page = Page::from_window(rows, window);
            if counted {
                page.total = Some(total.unwrap_or(0).max(0) as u64);
            }
            (*a, page)
        })
        .collect()
}

/// One page of relations for each of `anchors`, in one statement, with the
/// columns `columns` names; with `with_total`, each page's `total` too when
/// the window allows (see the module docs).
pub async fn relation_pages<C: ConnectionTrait>(
    db: &C,
    anchors: &[i64],
    filter: &EdgeFilter,
    window: &PageWindow,
    with_total: bool,
    columns: EdgeColumns,
) -> AppResult<HashMap<i64, Page<Edge>>> {
    let counted = counts_with_page(window, with_total);
    let sql = relation_pages_statement(db, anchors, filter, window, counted, columns);
    let parts = sort_parts(&filter.order);
    let rows = db.query_all_raw(sql.statement()).await?;
    let rows = rows
        .iter()
        .map(|row| decode_edge(row, columns, &parts))
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(pages_by_anchor(anchors, rows, window, counted))
}

/// The statement of [`relation_pages`].
pub(crate) fn relation_pages_statement<C: ConnectionTrait>(
    db: &C,
    anchors: &[i64],
    filter: &EdgeFilter,
    window: &PageWindow,
    counted: bool,
    columns: EdgeColumns,
) -> Sql {
    let names = column_names(columns);
    let inner = names
        .iter()
        .map(|n| match *n {
            "bidirectional" => "t.bidirectional AS bidirectional".to_owned(),
            n => format!("r.{n}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let outer = names
        .iter()
        .map(|n| format!("p.{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let outer = format!("p.anchor, p.total, {outer}");
    windowed_relations(db, anchors, filter, window, counted, &outer, &inner)
}

/// The sort columns of `parts` as selected by a union's halves (`, expr AS
/// s0, ...`) and as read from `alias` (`, p.s0, ...`).
fn sort_columns(
    backend: DatabaseBackend,
    parts: &[(SortPart, bool)],
    alias: &str,
) -> (String, String) {
    let mut inner = String::new();
    let mut outer = String::new();
    for (i, (part, _)) in parts.iter().enumerate() {
        inner.push_str(&format!(", {} AS s{i}", order::sort_expr(backend, *part)));
        outer.push_str(&format!(", {alias}.s{i}"));
    }
    (inner, outer)
}

/// The statement of a page of relations per anchor: `outer` read from each
/// anchor's first `window.limit + 1` relations in the list's order
/// (numbered `rn`, counted in `total` when `counted`), each half of the
/// union selecting `inner`; the sort columns follow `outer`.
fn windowed_relations<C: ConnectionTrait>(
    db: &C,
    anchors: &[i64],
    filter: &EdgeFilter,
    window: &PageWindow,
    counted: bool,
    outer: &str,
    inner: &str,
) -> Sql {
    let mut sql = Sql::new(db);
    let parts = sort_parts(&filter.order);
    let (sort_inner, sort_outer) = sort_columns(sql.backend(), &parts, "p");
    let bounds = cursor_bounds(&mut sql, filter, window);
    let order = order::order_by(&parts, |i| format!("u.s{i}"), "u.id", window.from_end);
    let total = total_column("u.anchor", counted);
    sql.push(&format!(
        "SELECT {outer}{sort_outer} FROM (SELECT u.*, ROW_NUMBER() OVER (PARTITION BY u.anchor ORDER BY {order}) AS rn, {total} AS total FROM ("
    ));
    push_union(
        &mut sql,
        anchors,
        filter,
        &bounds,
        &format!("{inner}{sort_inner}"),
    );
    let limit = sql.bind(window.limit as i64 + 1);
    sql.push(&format!(
        ") u) p WHERE p.rn <= {limit} ORDER BY p.anchor, p.rn"
    ));
    sql
}

/// One row of [`relation_pages`], read by position: (anchor, total, edge).
fn decode_edge(
    row: &sea_orm::QueryResult,
    columns: EdgeColumns,
    parts: &[(SortPart, bool)],
) -> Result<(i64, Option<i64>, Edge), sea_orm::DbErr> {
    let mut i = 0;
    let mut next = || {
        i += 1;
        i - 1
    };
    let anchor: i64 = row.try_get_by_index(next())?;
    let total: Option<i64> = row.try_get_by_index(next())?;
    let mut r = Relation::bare(
        row.try_get_by_index(next())?,
        row.try_get_by_index(next())?,
        row.try_get_by_index(next())?,
        row.try_get_by_index(next())?,
        chrono::DateTime::UNIX_EPOCH,
    );
    if columns.attributes {
        // In the order of `RelationAttributes::COLUMNS`.
        r.attributes = RelationAttributes {
            label: row.try_get_by_index(next())?,
            comment: row.try_get_by_index(next())?,
            attitude: row.try_get_by_index(next())?,
            colour: row.try_get_by_index(next())?,
            pinned: row.try_get_by_index(next())?,
            is_private: row.try_get_by_index(next())?,
        };
        r.mirror_id = row.try_get_by_index(next())?;
    }
    if columns.times {
        r.created_at = row.try_get_by_index(next())?;
        r.updated_at = row.try_get_by_index(next())?;
    }
    let bidirectional = if columns.bidirectional {
        row.try_get_by_index(next())?
    } else {
        false
    };
    let sort = order::read_sort_key(row, next(), parts)?;
    let edge = Edge {
        relation: std::sync::Arc::new(r),
        bidirectional,
        sort,
    };
    Ok((anchor, total, edge))
}

/// As [`relation_pages`], with only each relation's id (`key`) and far end
/// (`other_id`): for queries that read no more of the relations. It reads
/// three columns of `relations` and no relation type (unless the filter
/// needs it), where [`relation_pages`] reads every column of both.
pub async fn relation_keys<C: ConnectionTrait>(
    db: &C,
    anchors: &[i64],
    filter: &EdgeFilter,
    window: &PageWindow,
    with_total: bool,
) -> AppResult<HashMap<i64, Page<RelatedRow>>> {
    let counted = counts_with_page(window, with_total);
    let outer = "p.anchor, p.other, p.id AS k, p.total";
    let sql = windowed_relations(db, anchors, filter, window, counted, outer, "r.id");
    keyed_pages(db, sql, anchors, filter, window, counted).await
}

#[derive(FromQueryResult)]
struct CountRow {
    anchor: i64,
    n: i64,
}

async fn counts<C: ConnectionTrait>(
    db: &C,
    anchors: &[i64],
    filter: &EdgeFilter,
    count_expr: &str,
) -> AppResult<HashMap<i64, u64>> {
    let mut sql = Sql::new(db);
    sql.push(&format!("SELECT u.anchor, {count_expr} AS n FROM ("));
    push_union(&mut sql, anchors, filter, "", "r.id");
    sql.push(") u GROUP BY u.anchor");
    let rows = CountRow::find_by_statement(sql.statement()).all(db).await?;
    let mut out: HashMap<i64, u64> = anchors.iter().map(|a| (*a, 0)).collect();
    for row in rows {
        out.insert(row.anchor, row.n.max(0) as u64);
    }
    Ok(out)
}

/// How many relations each of `anchors` has, in one statement.
pub async fn relation_counts<C: ConnectionTrait>(
    db: &C,
    anchors: &[i64],
    filter: &EdgeFilter,
) -> AppResult<HashMap<i64, u64>> {
    counts(db, anchors, filter, "COUNT(*)").await
}

/// Each of `anchors`' relations counted by type, far-end kind and
/// direction, in one statement: three groupings of one union.
pub async fn group_counts<C: ConnectionTrait>(
    db: &C,
    anchors: &[i64],
    filter: &EdgeFilter,
) -> AppResult<HashMap<i64, GroupCounts>> {
    let mut sql = Sql::new(db);
    sql.push("WITH u AS (");
    push_union(
        &mut sql,
        anchors,
        filter,
        "",
        "r.id, r.type_id, r.from_id, t.bidirectional AS bidirectional",
    );
    sql.push(
        "), d AS (SELECT u.anchor, u.type_id, o.kind,          CASE WHEN u.bidirectional THEN 2 WHEN u.from_id = u.anchor THEN 0 ELSE 1 END AS dir          FROM u JOIN entities o ON o.id = u.other)          SELECT anchor, 0 AS dim, type_id AS n_key, CAST(NULL AS TEXT) AS t_key, COUNT(*) AS n FROM d GROUP BY anchor, type_id          UNION ALL SELECT anchor, 1, CAST(NULL AS BIGINT), kind, COUNT(*) FROM d GROUP BY anchor, kind          UNION ALL SELECT anchor, 2, CAST(dir AS BIGINT), CAST(NULL AS TEXT), COUNT(*) FROM d GROUP BY anchor, dir",
    );
    let rows = db.query_all_raw(sql.statement()).await?;
    let mut out: HashMap<i64, GroupCounts> = anchors
        .iter()
        .map(|a| (*a, GroupCounts::default()))
        .collect();
    for row in &rows {
        let anchor: i64 = row.try_get_by_index(0)?;
        let dim: i32 = row.try_get_by_index(1)?;
        let n: i64 = row.try_get_by_index(4)?;
        let n = n.max(0) as u64;
        let counts = out.entry(anchor).or_default();
        match dim {
            0 => counts.by_type.push((row.try_get_by_index(2)?, n)),
            1 => counts.by_kind.push((row.try_get_by_index(3)?, n)),
            _ => {
                let dir: i64 = row.try_get_by_index(2)?;
                let dir = match dir {
                    0 => Direction::Outgoing,
                    1 => Direction::Incoming,
                    _ => Direction::Both,
                };
                counts.total += n;
                counts.by_direction.push((dir, n));
            }
        }
    }
    let rank = |d: &Direction| match d {
        Direction::Outgoing => 0,
        Direction::Incoming => 1,
        Direction::Both => 2,
    };
    for counts in out.values_mut() {
        counts
            .by_type
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        counts
            .by_kind
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts.by_direction.sort_by_key(|(d, _)| rank(d));
    }
    Ok(out)
}

/// How many distinct entities each of `anchors` is related to.
pub async fn related_counts<C: ConnectionTrait>(
    db: &C,
    anchors: &[i64],
    filter: &EdgeFilter,
) -> AppResult<HashMap<i64, u64>> {
    counts(db, anchors, filter, "COUNT(DISTINCT u.other)").await
}

/// One page of related entities (each once) for each of `anchors`, in one
/// statement, ordered by the first relation linking them (in the list's
/// order); with `with_total`, each page's `total` too when the window
/// allows (see the module docs).
pub async fn related_pages<C: ConnectionTrait>(
    db: &C,
    anchors: &[i64],
    filter: &EdgeFilter,
    window: &PageWindow,
    with_total: bool,
) -> AppResult<HashMap<i64, Page<RelatedRow>>> {
    let counted = counts_with_page(window, with_total);
    let mut sql = Sql::new(db);
    let parts = sort_parts(&filter.order);
    let order = order::order_by(&parts, |i| format!("g.s{i}"), "g.k", window.from_end);
    let total = total_column("g.anchor", counted);
    let (sort_inner, sort_g) = sort_columns(sql.backend(), &parts, "g");
    let (_, sort_p) = sort_columns(sql.backend(), &parts, "p");
    sql.push(&format!(
        "SELECT p.anchor, p.other, p.k, p.total{sort_p} FROM (SELECT g.anchor, g.other, g.k{sort_g}, ROW_NUMBER() OVER (PARTITION BY g.anchor ORDER BY {order}) AS rn, {total} AS total FROM ("
    ));
    if parts.is_empty() {
        // By id: the first relation to each entity is the lowest id.
        sql.push("SELECT u.anchor, u.other, MIN(u.id) AS k FROM (");
        push_union(&mut sql, anchors, filter, "", "r.id");
        sql.push(") u GROUP BY u.anchor, u.other) g WHERE 1 = 1");
    } else {
        // Ordered: each entity's first relation in the list's order.
        let pick = order::order_by(&parts, |i| format!("u.s{i}"), "u.id", false);
        let (_, sort_u) = sort_columns(sql.backend(), &parts, "u");
        sql.push(&format!(
            "SELECT u.anchor, u.other, u.id AS k{sort_u}, ROW_NUMBER() OVER (PARTITION BY u.anchor, u.other ORDER BY {pick}) AS pick FROM ("
        ));
        push_union(&mut sql, anchors, filter, "", &format!("r.id{sort_inner}"));
        sql.push(") u) g WHERE g.pick = 1");
    }
    let b = order::window_bounds(&mut sql, &parts, |i| format!("g.s{i}"), "g.k", window);
    sql.push(&b);
    let limit = sql.bind(window.limit as i64 + 1);
    sql.push(&format!(
        ") p WHERE p.rn <= {limit} ORDER BY p.anchor, p.rn"
    ));
    keyed_pages(db, sql, anchors, filter, window, counted).await
}

/// Runs a page statement whose columns are (anchor, other, k, total, sort
/// columns), in that order, and cuts each anchor's page of [`RelatedRow`]s.
/// Columns are read by position: by name, each cell costs a hashed look-up.
async fn keyed_pages<C: ConnectionTrait>(
    db: &C,
    sql: Sql,
    anchors: &[i64],
    filter: &EdgeFilter,
    window: &PageWindow,
    counted: bool,
) -> AppResult<HashMap<i64, Page<RelatedRow>>> {
    let parts = sort_parts(&filter.order);
    let rows = db.query_all_raw(sql.statement()).await?;
    let rows = rows
        .iter()
        .map(|r| {
            let related = RelatedRow {
                other_id: r.try_get_by_index(1)?,
                key: r.try_get_by_index(2)?,
                sort: order::read_sort_key(r, 4, &parts)?,
            };
            Ok((r.try_get_by_index(0)?, r.try_get_by_index(3)?, related))
        })
        .collect::<Result<Vec<(i64, Option<i64>, RelatedRow)>, sea_orm::DbErr>>()?;
    Ok(pages_by_anchor(anchors, rows, window, counted))
}
