//! Traversals: the neighbourhood of entities and the paths between two, each
//! one recursive statement (`WITH RECURSIVE`, the same text on both engines).
//!
//! A walk starts at its anchors and takes, at each hop, the relations an
//! entity list with the walk's filter would show ([`WalkFilter::steps`],
//! read by `pages::EdgeTerms` as the lists read it), so privacy, types,
//! kinds and direction hold at every hop. A walk never enters an entity it has already passed (the entities
//! it passed are a `,id,` list it carries), so cycles end it. Walks are
//! expanded breadth first, and the statement reads at most
//! `max_rows + 1` of them: both engines stop the recursion there (a `LIMIT`
//! on a materialized CTE that reads the recursive one), and a walk that
//! reached the limit is refused with `TRAVERSAL_TOO_LARGE` rather than cut
//! short in silence.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;

use super::pages::EdgeTerms;
use super::sql::Sql;
use crate::domain::page::Page;
use crate::domain::{PageWindow, PathRow, Reached, WalkFilter};
use crate::error::{AppError, AppResult};

/// The refusal of a walk that would visit more than `max_rows` rows.
fn too_large(max_rows: u64) -> AppError {
    AppError::TooLarge(format!(
        "the traversal would visit more than {max_rows} rows (--max-traversal-rows): \
         ask for fewer hops, or for fewer relation types or kinds"
    ))
}

/// Appends `WITH RECURSIVE walk(...) AS (...), visited AS (...)`: the walks
/// from `start` (a `SELECT` of entity rows `e`), each row (`root`, `node`,
/// `depth`, `via`, `rels`, `seen`), at most `max_rows + 1` of them;
/// `stop`, when given, is an entity no walk goes on from.
fn push_walk(sql: &mut Sql, start: &str, walk: &WalkFilter, stop: Option<i64>) {
    let terms = EdgeTerms::of(sql, &walk.steps(), "r.id");
    let (out_pred, in_pred) = (terms.out_pred, terms.in_pred);
    // One scan of `relations` per step, through the from- and to-indexes
    // (an OR of the two): a union of the two halves joined on the walk
    // made PostgreSQL hash all relations at each hop.
    let other = "CASE WHEN r.from_id = w.node THEN r.to_id ELSE r.from_id END";
    sql.push(&format!(
        "WITH RECURSIVE walk(root, node, depth, via, rels, seen) AS (\
         SELECT e.id, e.id, 0, CAST(NULL AS BIGINT), CAST(',' AS TEXT), CAST(',' || e.id || ',' AS TEXT) FROM entities e WHERE {start} \
         UNION ALL SELECT w.root, {other}, w.depth + 1, r.id, w.rels || r.id || ',', w.seen || ({other}) || ',' \
         FROM walk w JOIN relations r ON (r.from_id = w.node OR r.to_id = w.node)"
    ));
    if terms.join_types {
        sql.push(" JOIN relation_types t ON t.id = r.type_id");
    }
    if terms.join_other {
        sql.push(&format!(" JOIN entities o ON o.id = {other}"));
    }
    let depth = sql.bind(i64::from(walk.depth));
    let stop = match stop {
        Some(id) => format!(" AND w.node <> {}", sql.bind(id)),
        None => String::new(),
    };
    let limit = sql.bind(walk.max_rows.saturating_add(1) as i64);
    sql.push(&format!(
        " WHERE w.depth < {depth}{stop} AND ((r.from_id = w.node AND {out_pred}) OR (r.to_id = w.node AND {in_pred})){common} \
         AND w.seen NOT LIKE ('%,' || ({other}) || ',%')), \
         visited AS MATERIALIZED (SELECT root, node, depth, via, rels, seen FROM walk LIMIT {limit}) ",
        common = terms.common
    ));
}

/// The neighbourhood of each of `anchors` within `walk.depth` hops: every
/// entity reached (not the anchor itself), once, at its shortest distance,
/// with the lowest relation id it is reached by at that distance, ordered
/// by distance and then entity id ([`Reached::key`], the cursor); each
/// page with its list's size. One statement for all anchors.
pub async fn neighbourhoods<C: ConnectionTrait>(
    db: &C,
    anchors: &[i64],
    walk: &WalkFilter,
    window: &PageWindow,
) -> AppResult<HashMap<i64, Page<Reached>>> {
    let sql = neighbourhood_statement(db, anchors, walk, window);
    let rows = db.query_all_raw(sql.statement()).await?;
    neighbourhood_rows(&rows, anchors, walk, window)
}

/// The statement of [`neighbourhoods`].
pub(crate) fn neighbourhood_statement<C: ConnectionTrait>(
    db: &C,
    anchors: &[i64],
    walk: &WalkFilter,
    window: &PageWindow,
) -> Sql {
    let mut sql = Sql::new(db);
    let start = sql.bind_ids("e.id", anchors);
    push_walk(&mut sql, &start, walk, None);
    let order = if window.from_end { "DESC" } else { "ASC" };
    let mut bounds = String::new();
    if let Some(a) = window.after {
        bounds.push_str(&format!(" AND k > {}", sql.bind(a)));
    }
    if let Some(b) = window.before {
        bounds.push_str(&format!(" AND k < {}", sql.bind(b)));
    }
    let limit = sql.bind(window.limit as i64 + 1);
    sql.push(&format!(
        ", firsts AS (SELECT root, node, depth, via, ROW_NUMBER() OVER (PARTITION BY root, node ORDER BY depth, via) AS pick FROM visited WHERE node <> root), \
         ranked AS (SELECT root, node, depth, via, depth * 72057594037927936 + node AS k, COUNT(*) OVER (PARTITION BY root) AS total FROM firsts WHERE pick = 1) \
         SELECT v.n, p.root, p.node, p.depth, p.via, p.total FROM (SELECT COUNT(*) AS n FROM visited) v LEFT JOIN (\
         SELECT root, node, depth, via, total, ROW_NUMBER() OVER (PARTITION BY root ORDER BY k {order}) AS rn FROM ranked WHERE TRUE{bounds}\
         ) p ON p.rn <= {limit} ORDER BY p.root, p.rn"
    ));
    sql
}

/// Reads the rows of [`neighbourhood_statement`].
fn neighbourhood_rows(
    rows: &[sea_orm::QueryResult],
    anchors: &[i64],
    walk: &WalkFilter,
    window: &PageWindow,
) -> AppResult<HashMap<i64, Page<Reached>>> {
    let mut grouped: HashMap<i64, (Vec<Reached>, i64)> = HashMap::new();
    for row in rows {
        let visited: i64 = row.try_get_by_index(0)?;
        if visited as u64 > walk.max_rows {
            return Err(too_large(walk.max_rows));
        }
        let Some(root) = row.try_get_by_index::<Option<i64>>(1)? else {
            continue;
        };
        let distance: i32 = row.try_get_by_index(3)?;
        let reached = Reached {
            entity_id: row.try_get_by_index(2)?,
            distance: distance.max(0) as u32,
            via: row.try_get_by_index(4)?,
        };
        let entry = grouped.entry(root).or_default();
        entry.0.push(reached);
        entry.1 = row.try_get_by_index(5)?;
    }
    Ok(anchors
        .iter()
        .map(|a| {
            let (items, total) = grouped.remove(a).unwrap_or_default();
            let mut page = Page::from_window(items, window);
            page.total = Some(total.max(0) as u64);
            (*a, page)
        })
        .collect())
}

/// The paths from `from` to `to` of at most `walk.depth` relations that
/// never pass an entity twice: the shortest first (then by their
/// relations' ids), at most `first` of them. One statement.
pub async fn paths<C: ConnectionTrait>(
    db: &C,
    from: i64,
    to: i64,
    walk: &WalkFilter,
    first: usize,
) -> AppResult<Vec<PathRow>> {
    let mut sql = Sql::new(db);
    let start = format!("e.id = {}", sql.bind(from));
    push_walk(&mut sql, &start, walk, Some(to));
    let target = sql.bind(to);
    sql.push(&format!(
        "SELECT v.n, p.rels, p.seen FROM (SELECT COUNT(*) AS n FROM visited) v LEFT JOIN (\
         SELECT rels, seen FROM visited WHERE node = {target} AND depth > 0) p ON TRUE"
    ));
    let rows = db.query_all_raw(sql.statement()).await?;
    let ids = |list: &str| -> Vec<i64> {
        list.split(',')
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect()
    };
    let mut paths = Vec::new();
    for row in &rows {
        let visited: i64 = row.try_get_by_index(0)?;
        if visited as u64 > walk.max_rows {
            return Err(too_large(walk.max_rows));
        }
        let (Some(rels), Some(seen)) = (
            row.try_get_by_index::<Option<String>>(1)?,
            row.try_get_by_index::<Option<String>>(2)?,
        ) else {
            continue;
        };
        // `seen` starts with the start entity.
        let entities = ids(&seen).into_iter().skip(1).collect();
        paths.push(PathRow {
            relations: ids(&rels),
            entities,
        });
    }
    paths.sort_by(|a, b| {
        a.relations
            .len()
            .cmp(&b.relations.len())
            .then_with(|| a.relations.cmp(&b.relations))
    });
    paths.truncate(first);
    Ok(paths)
}
