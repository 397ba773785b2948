//! The SQL of relation lists' `filter:` conditions and `orderBy` sort keys,
//! written once for every list that takes them (`Entity.relations`,
//! `Entity.related`, `Query.relations`) and for the traversals.
//!
//! Conditions are on the relation (`r`), its type (`t`) and, for entity
//! lists, its far end (`o`); [`Joins`] says which of the last two a list
//! must join. A sort key is a list of columns that are never NULL (a
//! missing attitude or label sorts as a flag column first, so such rows
//! come last in both directions), followed by the row id: a keyset
//! condition over them ([`keyset`]) is then a plain comparison, the same on
//! both engines. Labels compare by code point (`COLLATE "C"` on
//! PostgreSQL, SQLite's default), so the two engines agree on the order.

use sea_orm::DatabaseBackend;

use super::sql::Sql;
use crate::domain::{
    PageWindow, RelationConditions, SortKey, SortPart, SortValue, TextMatch, TextOp,
};

/// Which tables a list's conditions read besides `relations r`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Joins {
    /// `relation_types t`.
    pub types: bool,
    /// The far end, `entities o`.
    pub other: bool,
}

impl Joins {
    /// What `c` reads.
    pub(crate) fn of(c: &RelationConditions) -> Self {
        Self {
            types: !c.types.is_empty() || c.source.is_some(),
            other: !c.other_kinds.is_empty() || c.other_space.is_some(),
        }
    }
}

/// `column IN (values)` with each value bound; TRUE for no values.
pub(crate) fn bind_in(sql: &mut Sql, column: &str, values: &[String]) -> String {
    if values.is_empty() {
        return "TRUE".to_owned();
    }
    let list = values
        .iter()
        .map(|v| sql.bind(v.clone()))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{column} IN ({list})")
}

/// The conditions of `c` as ` AND ...` clauses (empty when it keeps
/// everything), on `r`, `t` and `o` as [`Joins::of`] says.
pub(crate) fn conditions(sql: &mut Sql, c: &RelationConditions) -> String {
    let mut s = String::new();
    if !c.types.is_empty() {
        s.push_str(&format!(" AND {}", bind_in(sql, "t.alias", &c.types)));
    }
    if let Some(source) = &c.source {
        s.push_str(&format!(" AND t.source = {}", sql.bind(source.clone())));
    }
    if !c.other_kinds.is_empty() {
        s.push_str(&format!(" AND {}", bind_in(sql, "o.kind", &c.other_kinds)));
    }
    if let Some(space) = &c.other_space {
        s.push_str(&format!(" AND o.space = {}", sql.bind(space.clone())));
    }
    if let Some(m) = &c.label {
        s.push_str(&format!(" AND {}", text_match(sql, "r.label", m)));
    }
    if let Some(min) = c.attitude_min {
        s.push_str(&format!(" AND r.attitude >= {}", sql.bind(min)));
    }
    if let Some(max) = c.attitude_max {
        s.push_str(&format!(" AND r.attitude <= {}", sql.bind(max)));
    }
    if let Some(p) = c.pinned {
        s.push_str(&format!(" AND r.pinned = {}", bool_literal(p)));
    }
    if let Some(p) = c.private {
        s.push_str(&format!(" AND r.is_private = {}", bool_literal(p)));
    }
    for (column, range) in [("r.created_at", &c.created), ("r.updated_at", &c.updated)] {
        if let Some(from) = range.from {
            s.push_str(&format!(" AND {column} >= {}", sql.bind(from)));
        }
        if let Some(until) = range.until {
            s.push_str(&format!(" AND {column} < {}", sql.bind(until)));
        }
    }
    s
}

fn bool_literal(b: bool) -> &'static str {
    if b { "TRUE" } else { "FALSE" }
}

/// `column` matches `m`. Case-sensitive matches compare code points on
/// both engines (SQLite's `LIKE` ignores ASCII case, so it is not used for
/// them); case-insensitive ones compare `LOWER` of both sides.
fn text_match(sql: &mut Sql, column: &str, m: &TextMatch) -> String {
    let pg = sql.backend() == DatabaseBackend::Postgres;
    let (column, value) = if m.case_insensitive {
        let folded = if pg {
            m.value.to_lowercase()
        } else {
            m.value.to_ascii_lowercase()
        };
        (format!("LOWER({column})"), folded)
    } else {
        (column.to_owned(), m.value.clone())
    };
    let v = sql.bind(value);
    match (m.op, pg) {
        (TextOp::Equals, _) => format!("{column} = {v}"),
        (TextOp::Prefix, _) => format!("substr({column}, 1, length({v})) = {v}"),
        (TextOp::Contains, true) => format!("strpos({column}, {v}) > 0"),
        (TextOp::Contains, false) => format!("instr({column}, {v}) > 0"),
    }
}

/// The SQL of a sort column, on `r`.
pub(crate) fn sort_expr(backend: DatabaseBackend, part: SortPart) -> &'static str {
    match (part, backend) {
        (SortPart::AttitudeMissing, _) => {
            "CAST(CASE WHEN r.attitude IS NULL THEN 1 ELSE 0 END AS BIGINT)"
        }
        (SortPart::Attitude, _) => "CAST(COALESCE(r.attitude, 0) AS BIGINT)",
        (SortPart::LabelMissing, _) => {
            "CAST(CASE WHEN r.label IS NULL THEN 1 ELSE 0 END AS BIGINT)"
        }
        (SortPart::Label, DatabaseBackend::Postgres) => "COALESCE(r.label, '') COLLATE \"C\"",
        (SortPart::Label, _) => "COALESCE(r.label, '')",
        (SortPart::Unpinned, _) => "CAST(CASE WHEN r.pinned THEN 0 ELSE 1 END AS BIGINT)",
        (SortPart::Created, _) => "r.created_at",
        (SortPart::Updated, _) => "r.updated_at",
    }
}

/// `ORDER BY` terms for sort columns named by `column(i)` and the id
/// column `id`, in list order, or reversed (`reverse`, for `last`).
pub(crate) fn order_by(
    parts: &[(SortPart, bool)],
    column: impl Fn(usize) -> String,
    id: &str,
    reverse: bool,
) -> String {
    let dir = |desc: bool| if desc != reverse { "DESC" } else { "ASC" };
    let mut terms: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, (_, desc))| format!("{} {}", column(i), dir(*desc)))
        .collect();
    terms.push(format!("{id} {}", dir(false)));
    terms.join(", ")
}

/// ` AND (...)`: the rows strictly after (`after`) or before the row with
/// sort key `key` and id `id`, in list order, over sort columns named by
/// `column(i)` and the id column `id_column`. Empty parts: `id > $id`.
pub(crate) fn keyset(
    sql: &mut Sql,
    parts: &[(SortPart, bool)],
    column: impl Fn(usize) -> String,
    id_column: &str,
    (key, id): (&SortKey, i64),
    after: bool,
) -> String {
    let op = |desc: bool| if desc != after { ">" } else { "<" };
    let values: Vec<String> = key
        .0
        .iter()
        .map(|v| match v {
            SortValue::Int(n) => sql.bind(*n),
            SortValue::Text(t) => sql.bind(t.clone()),
            SortValue::Time(t) => sql.bind(*t),
        })
        .collect();
    let id = sql.bind(id);
    let mut alternatives = Vec::with_capacity(parts.len() + 1);
    for i in 0..=parts.len() {
        let mut terms: Vec<String> = (0..i)
            .map(|j| format!("{} = {}", column(j), values[j]))
            .collect();
        terms.push(match parts.get(i) {
            Some((_, desc)) => format!("{} {} {}", column(i), op(*desc), values[i]),
            None => format!("{id_column} {} {id}", op(false)),
        });
        alternatives.push(terms.join(" AND "));
    }
    format!(" AND (({}))", alternatives.join(") OR ("))
}

/// The bounds of `window` (` AND ...` for its `after` and `before`
/// cursors) over sort columns named by `column(i)` and the id column `id`.
pub(crate) fn window_bounds(
    sql: &mut Sql,
    parts: &[(SortPart, bool)],
    column: impl Fn(usize) -> String + Copy,
    id: &str,
    window: &PageWindow,
) -> String {
    let mut s = String::new();
    for (cursor, key, after) in [
        (window.after, &window.after_key, true),
        (window.before, &window.before_key, false),
    ] {
        if let Some(cursor) = cursor {
            s.push_str(&keyset(sql, parts, column, id, (key, cursor), after));
        }
    }
    s
}

/// Reads the sort key of a row from columns `first..` (by position), as
/// `parts` type them.
pub(crate) fn read_sort_key(
    row: &sea_orm::QueryResult,
    first: usize,
    parts: &[(SortPart, bool)],
) -> Result<SortKey, sea_orm::DbErr> {
    if parts.is_empty() {
        return Ok(SortKey::default());
    }
    let values = parts
        .iter()
        .enumerate()
        .map(|(i, (part, _))| {
            Ok(match part.kind() {
                crate::domain::SortKind::Int => SortValue::Int(row.try_get_by_index(first + i)?),
                crate::domain::SortKind::Text => SortValue::Text(row.try_get_by_index(first + i)?),
                crate::domain::SortKind::Time => SortValue::Time(row.try_get_by_index(first + i)?),
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(SortKey(values.into()))
}
