//! The journal, `relation_events`: appended in each write's transaction,
//! read in order by followers.
//!
//! **Never skipping an event.** An event's id comes from a sequence, taken
//! before its transaction commits: on PostgreSQL a slow transaction can
//! commit an event with a lower id after a reader has passed a higher one.
//! So every event also carries its transaction's id (`txid`,
//! `pg_current_xact_id()`), the journal is ordered by `(txid, id)`, and a
//! reader is handed only events whose transaction is older than the oldest
//! transaction still running in its snapshot ([`HORIZON`]): those have all
//! committed or rolled back, and every later commit has a larger `txid`, so
//! it sorts after anything already read. A long write
//! transaction holds later events back until it ends; it never lets a
//! follower skip it. On SQLite writers commit one at a time (`BEGIN
//! IMMEDIATE`), ids grow in commit order, and `txid` is 0.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult};
use serde::{Deserialize, Serialize};

use super::sql::Sql;
use crate::domain::{Actor, EventFilter, Visibility};
use crate::domain::{
    EndKey, Event, EventCursor, EventKind, NewEvent, Origin, RelationState, Subject,
};
use crate::error::{AppError, AppResult};

/// The ends of a relation event, or the entity of an entity event.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Ends {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<EndKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to: Option<EndKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    entity: Option<EndKey>,
}

/// A name before or after an entity or type event.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Named {
    #[serde(default)]
    name: Option<String>,
}

fn json(value: &impl Serialize) -> AppResult<String> {
    serde_json::to_string(value).map_err(AppError::internal)
}

/// The columns of one event row, as bound values.
struct Row {
    kind: &'static str,
    relation_id: Option<i64>,
    type_id: Option<i64>,
    type_source: Option<String>,
    type_alias: Option<String>,
    from_id: Option<i64>,
    to_id: Option<i64>,
    entity_id: Option<i64>,
    is_private: bool,
    ends: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

fn row_of(event: &NewEvent) -> AppResult<Row> {
    let mut row = Row {
        kind: event.kind.as_str(),
        relation_id: None,
        type_id: None,
        type_source: None,
        type_alias: None,
        from_id: None,
        to_id: None,
        entity_id: None,
        is_private: event.is_private(),
        ends: None,
        before: None,
        after: None,
    };
    match &event.subject {
        Subject::Relation {
            id,
            type_id,
            type_source,
            type_alias,
            from,
            to,
            before,
            after,
        } => {
            row.relation_id = Some(*id);
            row.type_id = Some(*type_id);
            row.type_source = Some(type_source.clone());
            row.type_alias = Some(type_alias.clone());
            row.from_id = Some(from.id);
            row.to_id = Some(to.id);
            row.ends = Some(json(&Ends {
                from: Some(from.clone()),
                to: Some(to.clone()),
                entity: None,
            })?);
            row.before = before.as_ref().map(json).transpose()?;
            row.after = after.as_ref().map(json).transpose()?;
        }
        Subject::Entity {
            entity,
            before_name,
        } => {
            row.entity_id = Some(entity.id);
            row.ends = Some(json(&Ends {
                entity: Some(entity.clone()),
                ..Ends::default()
            })?);
            if matches!(
                event.kind,
                EventKind::EntityRenamed | EventKind::EntityDeleted
            ) {
                row.before = Some(json(&Named {
                    name: before_name.clone(),
                })?);
            }
            if event.kind != EventKind::EntityDeleted {
                row.after = Some(json(&Named {
                    name: entity.name.clone(),
                })?);
            }
        }
        Subject::Type {
            id,
            source,
            alias,
            before_name,
            after_name,
        } => {
            row.type_id = Some(*id);
            row.type_source = Some(source.clone());
            row.type_alias = Some(alias.clone());
            row.before = before_name
                .as_ref()
                .map(|n| {
                    json(&Named {
                        name: Some(n.clone()),
                    })
                })
                .transpose()?;
            row.after = after_name
                .as_ref()
                .map(|n| {
                    json(&Named {
                        name: Some(n.clone()),
                    })
                })
                .transpose()?;
        }
    }
    Ok(row)
}

/// The SQL of the writing transaction's id.
fn txid_expr(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "pg_current_xact_id()::text::bigint",
        _ => "0",
    }
}

/// Rows per INSERT statement (17 values each, well within both engines'
/// limit on bound values).
const CHUNK: usize = 500;

/// The channel PostgreSQL notifies at each commit that appended events.
pub const CHANNEL: &str = "relgate_journal";

/// Appends `events`, made by `actor`, in the caller's transaction. On
/// PostgreSQL the same statement notifies [`CHANNEL`] (delivered when the
/// transaction commits, and only then).
pub async fn append<C: ConnectionTrait>(
    db: &C,
    events: &[NewEvent],
    actor: &Actor,
) -> AppResult<()> {
    let at = Utc::now();
    let backend = db.get_database_backend();
    let txid = txid_expr(backend);
    let chunks = events.chunks(CHUNK).count();
    for (n, chunk) in events.chunks(CHUNK).enumerate() {
        let notify = backend == DatabaseBackend::Postgres && n + 1 == chunks;
        let mut sql = Sql::new(db);
        if notify {
            sql.push("WITH appended AS (");
        }
        sql.push(
            "INSERT INTO relation_events (txid, at, kind, relation_id, type_id, type_source, \
             type_alias, from_id, to_id, entity_id, is_private, ends, before, after, actor, \
             request_id, origin) VALUES ",
        );
        for (i, event) in chunk.iter().enumerate() {
            let r = row_of(event)?;
            if i > 0 {
                sql.push(", ");
            }
            let values = [
                sql.bind(at),
                sql.bind(r.kind),
                sql.bind(r.relation_id),
                sql.bind(r.type_id),
                sql.bind(r.type_source),
                sql.bind(r.type_alias),
                sql.bind(r.from_id),
                sql.bind(r.to_id),
                sql.bind(r.entity_id),
                sql.bind(r.is_private),
                sql.bind(r.ends),
                sql.bind(r.before),
                sql.bind(r.after),
                sql.bind(actor.name.clone()),
                sql.bind(actor.request_id.clone()),
                sql.bind(actor.origin.as_str()),
            ];
            sql.push(&format!("({txid}, {})", values.join(", ")));
        }
        if notify {
            sql.push(&format!(
                " RETURNING 1) SELECT pg_notify('{CHANNEL}', ''), (SELECT COUNT(*) FROM appended)"
            ));
            db.query_all_raw(sql.statement()).await?;
        } else {
            db.execute_raw(sql.statement()).await?;
        }
    }
    Ok(())
}

/// PostgreSQL: a connection of its own that listens on [`CHANNEL`].
pub async fn listen(store: &super::Store) -> AppResult<sea_orm::sqlx::postgres::PgListener> {
    let pool = store.db().get_postgres_connection_pool();
    let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool)
        .await
        .map_err(AppError::internal)?;
    listener.listen(CHANNEL).await.map_err(AppError::internal)?;
    Ok(listener)
}

/// The oldest transaction whose events may not be read yet (PostgreSQL): the
/// statement's snapshot's lowest in-progress transaction id, or its `xmax`
/// when none runs. In-progress transactions of other databases of the
/// cluster (as `pg_stat_activity` shows them, compared on their low 32
/// bits) are left out, so that a long transaction elsewhere does not hold
/// the journal back; one that is not shown, or that ended meanwhile, counts,
/// which can only delay an event, never skip it.
const HORIZON: &str = "WITH snap AS (SELECT pg_current_snapshot() AS s) \
    SELECT LEAST((SELECT pg_snapshot_xmax(s)::text::bigint FROM snap), \
      COALESCE((SELECT MIN(x::text::bigint) FROM snap, pg_snapshot_xip(s) AS x \
        WHERE x::text::bigint % 4294967296 NOT IN (SELECT backend_xid::text::bigint \
          FROM pg_stat_activity WHERE backend_xid IS NOT NULL \
          AND datname IS DISTINCT FROM current_database())), 9223372036854775807))";

/// The condition of `filter` and `vis` (and of what may be read yet), with
/// its values bound.
fn condition(
    sql: &mut Sql,
    backend: DatabaseBackend,
    filter: &EventFilter,
    vis: Visibility,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    if backend == DatabaseBackend::Postgres {
        parts.push(format!("txid < ({HORIZON})"));
    }
    if !vis.include_private {
        parts.push("NOT is_private".to_owned());
    }
    if let Some(id) = filter.entity_id {
        let p = sql.bind(id);
        parts.push(format!("(from_id = {p} OR to_id = {p} OR entity_id = {p})"));
    }
    if let Some(id) = filter.relation_id {
        parts.push(format!("relation_id = {}", sql.bind(id)));
    }
    if let Some(id) = filter.type_id {
        parts.push(format!("type_id = {}", sql.bind(id)));
    }
    if !filter.kinds.is_empty() {
        let list: Vec<String> = filter.kinds.iter().map(|k| sql.bind(k.as_str())).collect();
        parts.push(format!("kind IN ({})", list.join(", ")));
    }
    if !filter.origins.is_empty() {
        let list: Vec<String> = filter
            .origins
            .iter()
            .map(|o| sql.bind(o.as_str()))
            .collect();
        parts.push(format!("origin IN ({})", list.join(", ")));
    }
    if let Some(t) = filter.since {
        parts.push(format!("at >= {}", sql.bind(t)));
    }
    if let Some(t) = filter.until {
        parts.push(format!("at < {}", sql.bind(t)));
    }
    if parts.is_empty() {
        "TRUE".to_owned()
    } else {
        parts.join(" AND ")
    }
}

const COLUMNS: &str = "txid, id, at, kind, relation_id, type_id, type_source, type_alias, \
                       from_id, to_id, entity_id, ends, before, after, actor, request_id, origin";

/// How far the journal has been pruned: the greatest cursor of a pruned
/// event, and the time before which events were pruned.
pub async fn pruned<C: ConnectionTrait>(db: &C) -> AppResult<(EventCursor, Option<DateTime<Utc>>)> {
    let mut sql = Sql::new(db);
    sql.push("SELECT pruned_txid, pruned_id, pruned_before FROM journal_state WHERE id = 1");
    let Some(row) = db.query_one_raw(sql.statement()).await? else {
        return Ok((EventCursor::default(), None));
    };
    Ok((
        EventCursor {
            txid: row.try_get_by_index(0)?,
            id: row.try_get_by_index(1)?,
        },
        row.try_get_by_index(2)?,
    ))
}

/// `EXPIRED` if `after` names events the journal no longer holds.
async fn check_cursor<C: ConnectionTrait>(db: &C, after: EventCursor) -> AppResult<()> {
    let (watermark, before) = pruned(db).await?;
    if after < watermark {
        return Err(AppError::Expired(format!(
            "this cursor is older than the journal's retention: events before {} are pruned; \
             read again from the start (no `after`)",
            before.map_or_else(|| "now".to_owned(), |t| t.to_rfc3339())
        )));
    }
    Ok(())
}

/// Prunes the events before `cutoff`, but for each relation that still
/// existed then, its latest state (so reads of later moments keep working).
/// Returns how many went. One transaction; writers go on meanwhile.
pub async fn prune<C: ConnectionTrait>(db: &C, cutoff: DateTime<Utc>) -> AppResult<u64> {
    // Each relation's latest event before the cutoff, if it is not its
    // deletion: the state the journal keeps.
    const KEPT: &str = "SELECT id FROM (SELECT id, kind, ROW_NUMBER() OVER \
        (PARTITION BY relation_id ORDER BY txid DESC, id DESC) AS rn FROM relation_events \
        WHERE at < $1 AND relation_id IS NOT NULL) latest \
        WHERE rn = 1 AND kind <> 'RELATION_DELETED'";
    let mut sql = Sql::new(db);
    sql.bind(cutoff);
    sql.push(&format!(
        "SELECT txid, id FROM relation_events WHERE at < $1 AND id NOT IN ({KEPT}) \
         ORDER BY txid DESC, id DESC LIMIT 1"
    ));
    let Some(last) = db.query_one_raw(sql.statement()).await? else {
        return Ok(0);
    };
    let (txid, id): (i64, i64) = (last.try_get_by_index(0)?, last.try_get_by_index(1)?);
    let mut sql = Sql::new(db);
    let (t, i, c) = (sql.bind(txid), sql.bind(id), sql.bind(cutoff));
    sql.push(&format!(
        "UPDATE journal_state SET pruned_before = {c}, \
         pruned_id = CASE WHEN pruned_txid < {t} OR (pruned_txid = {t} AND pruned_id < {i}) THEN {i} ELSE pruned_id END, \
         pruned_txid = CASE WHEN pruned_txid < {t} THEN {t} ELSE pruned_txid END WHERE id = 1"
    ));
    db.execute_raw(sql.statement()).await?;
    let mut sql = Sql::new(db);
    sql.bind(cutoff);
    sql.push(&format!(
        "DELETE FROM relation_events WHERE at < $1 AND id NOT IN ({KEPT})"
    ));
    Ok(db.execute_raw(sql.statement()).await?.rows_affected())
}

/// Up to `limit` events after `after` (from the start without it) that
/// `filter` and `vis` keep, oldest first, and whether more follow. A cursor
/// of pruned events is `EXPIRED`.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    after: Option<EventCursor>,
    limit: u64,
    filter: &EventFilter,
    vis: Visibility,
) -> AppResult<(Vec<Event>, bool)> {
    if let Some(c) = after {
        check_cursor(db, c).await?;
    }
    let backend = db.get_database_backend();
    let mut sql = Sql::new(db);
    let mut cond = condition(&mut sql, backend, filter, vis);
    // A range of the (txid, id) index, not a scan from the journal's start
    // (which an `OR` of the two columns made of it): on PostgreSQL a row
    // comparison; on SQLite, where `txid` is always 0, `id` alone.
    let order = if backend == DatabaseBackend::Postgres {
        if let Some(c) = after {
            let (t, i) = (sql.bind(c.txid), sql.bind(c.id));
            cond = format!("{cond} AND (txid, id) > ({t}, {i})");
        }
        "txid, id"
    } else {
        if let Some(c) = after {
            cond = format!("{cond} AND id > {}", sql.bind(c.id));
        }
        "id"
    };
    let n = sql.bind(i64::try_from(limit + 1).unwrap_or(i64::MAX));
    sql.push(&format!(
        "SELECT {COLUMNS} FROM relation_events WHERE {cond} ORDER BY {order} LIMIT {n}"
    ));
    let rows = db.query_all_raw(sql.statement()).await?;
    let mut events = rows.iter().map(decode).collect::<AppResult<Vec<_>>>()?;
    let more = events.len() as u64 > limit;
    events.truncate(limit as usize);
    Ok((events, more))
}

/// How many events `filter` and `vis` keep (of those that may be read yet).
pub async fn count<C: ConnectionTrait>(
    db: &C,
    filter: &EventFilter,
    vis: Visibility,
) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let mut sql = Sql::new(db);
    let cond = condition(&mut sql, backend, filter, vis);
    sql.push(&format!(
        "SELECT COUNT(*) FROM relation_events WHERE {cond}"
    ));
    let row = db.query_one_raw(sql.statement()).await?;
    let n: i64 = match row {
        Some(r) => r.try_get_by_index(0)?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

fn parse<T: for<'de> Deserialize<'de>>(text: Option<String>) -> AppResult<Option<T>> {
    text.map(|t| serde_json::from_str(&t).map_err(AppError::internal))
        .transpose()
}

fn bad_row(what: &str) -> AppError {
    AppError::internal(std::io::Error::other(format!("journal row: {what}")))
}

/// An event row (columns in [`COLUMNS`] order).
fn decode(row: &QueryResult) -> AppResult<Event> {
    let get_i64 = |i: usize| -> AppResult<Option<i64>> { Ok(row.try_get_by_index(i)?) };
    let txid: i64 = row.try_get_by_index(0)?;
    let id: i64 = row.try_get_by_index(1)?;
    let at: DateTime<Utc> = row.try_get_by_index(2)?;
    let kind_text: String = row.try_get_by_index(3)?;
    let kind = EventKind::parse(&kind_text).ok_or_else(|| bad_row("unknown kind"))?;
    let relation_id = get_i64(4)?;
    let type_id = get_i64(5)?;
    let type_source: Option<String> = row.try_get_by_index(6)?;
    let type_alias: Option<String> = row.try_get_by_index(7)?;
    let ends: Ends = parse(row.try_get_by_index(11)?)?.unwrap_or_default();
    let before: Option<String> = row.try_get_by_index(12)?;
    let after: Option<String> = row.try_get_by_index(13)?;
    let actor: String = row.try_get_by_index(14)?;
    let request_id: Option<String> = row.try_get_by_index(15)?;
    let origin_text: String = row.try_get_by_index(16)?;
    let subject = if kind.is_relation() {
        Subject::Relation {
            id: relation_id.ok_or_else(|| bad_row("no relation id"))?,
            type_id: type_id.unwrap_or_default(),
            type_source: type_source.unwrap_or_default(),
            type_alias: type_alias.unwrap_or_default(),
            from: ends.from.ok_or_else(|| bad_row("no from end"))?,
            to: ends.to.ok_or_else(|| bad_row("no to end"))?,
            before: parse::<RelationState>(before)?,
            after: parse::<RelationState>(after)?,
        }
    } else if matches!(
        kind,
        EventKind::EntityCreated | EventKind::EntityRenamed | EventKind::EntityDeleted
    ) {
        Subject::Entity {
            entity: ends.entity.ok_or_else(|| bad_row("no entity"))?,
            before_name: parse::<Named>(before)?.and_then(|n| n.name),
        }
    } else {
        Subject::Type {
            id: type_id.unwrap_or_default(),
            source: type_source.unwrap_or_default(),
            alias: type_alias.unwrap_or_default(),
            before_name: parse::<Named>(before)?.and_then(|n| n.name),
            after_name: parse::<Named>(after)?.and_then(|n| n.name),
        }
    };
    Ok(Event {
        cursor: EventCursor { txid, id },
        at,
        kind,
        subject,
        actor,
        request_id,
        origin: Origin::parse(&origin_text).ok_or_else(|| bad_row("unknown origin"))?,
    })
}

/// A relation as the journal says it stood at some moment.
#[derive(Debug, Clone)]
pub struct PastRelation {
    /// The relation then (its times: its first and its latest event).
    pub relation: crate::domain::Relation,
    /// Its type's alias.
    pub type_alias: String,
    /// Whether its type is bidirectional (as the type is now; `false` for a
    /// type since deleted).
    pub bidirectional: bool,
    /// The kinds of its two ends (`from`, `to`).
    pub kinds: (String, String),
}

/// The relations with any of `anchors` at either end as they stood at
/// `at`, by anchor, oldest first: each relation's latest event up to then,
/// unless it is its deletion. Two statements (the events, the types)
/// whatever the number of anchors. `EXPIRED` when `at` is before what the
/// journal keeps.
pub async fn relations_as_of<C: ConnectionTrait>(
    db: &C,
    anchors: &[i64],
    at: DateTime<Utc>,
) -> AppResult<std::collections::HashMap<i64, Vec<PastRelation>>> {
    if let (_, Some(pruned)) = pruned(db).await?
        && at < pruned
    {
        return Err(AppError::Expired(format!(
            "the journal keeps what the graph held since {}; {} is before that",
            pruned.to_rfc3339(),
            at.to_rfc3339()
        )));
    }
    let backend = db.get_database_backend();
    let mut sql = Sql::new(db);
    let from = sql.bind_ids("from_id", anchors);
    let to = sql.bind_ids("to_id", anchors);
    let t = sql.bind(at);
    let horizon = if backend == DatabaseBackend::Postgres {
        format!(" AND txid < ({HORIZON})")
    } else {
        String::new()
    };
    sql.push(&format!(
        "SELECT relation_id, type_id, type_alias, from_id, to_id, ends, after, kind, first_at, at FROM ( \
           SELECT relation_id, type_id, type_alias, from_id, to_id, ends, after, kind, at, \
             MIN(at) OVER (PARTITION BY relation_id) AS first_at, \
             ROW_NUMBER() OVER (PARTITION BY relation_id ORDER BY txid DESC, id DESC) AS rn \
           FROM relation_events \
           WHERE ({from} OR {to}) AND relation_id IS NOT NULL AND at <= {t}{horizon} \
         ) latest WHERE rn = 1 AND kind <> 'RELATION_DELETED' ORDER BY relation_id"
    ));
    let rows = db.query_all_raw(sql.statement()).await?;
    let mut past = rows
        .iter()
        .map(|row| {
            let ends: Ends = parse(row.try_get_by_index(5)?)?.unwrap_or_default();
            let state: RelationState = parse(row.try_get_by_index(6)?)?.unwrap_or_default();
            let kind_of = |k: Option<EndKey>| k.map(|k| k.kind).unwrap_or_default();
            Ok(PastRelation {
                relation: crate::domain::Relation {
                    id: row.try_get_by_index(0)?,
                    type_id: row.try_get_by_index::<Option<i64>>(1)?.unwrap_or_default(),
                    from_id: row.try_get_by_index::<Option<i64>>(3)?.unwrap_or_default(),
                    to_id: row.try_get_by_index::<Option<i64>>(4)?.unwrap_or_default(),
                    attributes: state.attributes,
                    mirror_id: state.mirror_id,
                    created_at: row.try_get_by_index(8)?,
                    updated_at: row.try_get_by_index(9)?,
                },
                type_alias: row
                    .try_get_by_index::<Option<String>>(2)?
                    .unwrap_or_default(),
                bidirectional: false,
                kinds: (kind_of(ends.from), kind_of(ends.to)),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let mut type_ids: Vec<i64> = past.iter().map(|p| p.relation.type_id).collect();
    type_ids.sort_unstable();
    type_ids.dedup();
    let types = super::relation_types::by_ids(db, &type_ids).await?;
    let mut by_anchor: std::collections::HashMap<i64, Vec<PastRelation>> =
        anchors.iter().map(|a| (*a, Vec::new())).collect();
    for p in &mut past {
        p.bidirectional = types
            .iter()
            .any(|t| t.id == p.relation.type_id && t.bidirectional);
    }
    for p in past {
        let (f, t) = (p.relation.from_id, p.relation.to_id);
        if f != t
            && let Some(list) = by_anchor.get_mut(&t)
        {
            list.push(p.clone());
        }
        if let Some(list) = by_anchor.get_mut(&f) {
            list.push(p);
        }
    }
    Ok(by_anchor)
}

/// The edges of `anchor` among `past` (its relations then) that `filter`
/// keeps, oldest first.
fn edges_as_of(
    past: &[PastRelation],
    anchor: i64,
    filter: &crate::domain::EdgeFilter,
) -> Vec<crate::domain::Edge> {
    use crate::domain::Direction;
    past.iter()
        .filter(|p| filter.visibility.shows(p.relation.attributes.is_private))
        .filter(|p| {
            filter
                .type_alias
                .as_ref()
                .is_none_or(|a| *a == p.type_alias)
        })
        .filter(|p| {
            let r = &p.relation;
            match filter.direction {
                Direction::Both => true,
                Direction::Outgoing => p.bidirectional || r.from_id == anchor,
                Direction::Incoming => p.bidirectional || r.to_id == anchor,
            }
        })
        .filter(|p| {
            let other = if p.relation.from_id == anchor {
                &p.kinds.1
            } else {
                &p.kinds.0
            };
            filter.other_kind.as_ref().is_none_or(|k| k == other)
        })
        .map(|p| crate::domain::Edge {
            bidirectional: p.bidirectional,
            relation: std::sync::Arc::new(p.relation.clone()),
            sort: Default::default(),
        })
        .collect()
}

/// The page of `window` out of `rows` (sorted by `key`), with the whole
/// list's size as its total.
fn window_of<T>(
    rows: Vec<T>,
    key: impl Fn(&T) -> i64,
    window: &crate::domain::PageWindow,
) -> crate::domain::page::Page<T> {
    let total = rows.len() as u64;
    let in_range = rows.into_iter().filter(|r| {
        let k = key(r);
        window.after.is_none_or(|a| k > a) && window.before.is_none_or(|b| k < b)
    });
    let taken: Vec<T> = if window.from_end {
        let mut all: Vec<T> = in_range.collect();
        all.reverse();
        all.into_iter().take(window.limit as usize + 1).collect()
    } else {
        in_range.take(window.limit as usize + 1).collect()
    };
    let mut page = crate::domain::page::Page::from_window(taken, window);
    page.total = Some(total);
    page
}

/// `Entity.relations(asOf:)`: the page of `anchor`'s relations among `past`
/// (as [`relations_as_of`] read them), with the same filter, order, window
/// and total as today's.
pub fn relation_page_as_of(
    past: &[PastRelation],
    anchor: i64,
    filter: &crate::domain::EdgeFilter,
    window: &crate::domain::PageWindow,
) -> crate::domain::page::Page<crate::domain::Edge> {
    window_of(edges_as_of(past, anchor, filter), |e| e.relation.id, window)
}

/// `Entity.related(asOf:)`: the entities at the other end of `anchor`'s
/// relations among `past`, each once, in the order they were first related.
pub fn related_page_as_of(
    past: &[PastRelation],
    anchor: i64,
    filter: &crate::domain::EdgeFilter,
    window: &crate::domain::PageWindow,
) -> crate::domain::page::Page<crate::domain::RelatedRow> {
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<crate::domain::RelatedRow> = edges_as_of(past, anchor, filter)
        .into_iter()
        .filter_map(|e| {
            let other_id = e.relation.other_end(anchor);
            seen.insert(other_id).then_some(crate::domain::RelatedRow {
                other_id,
                key: e.relation.id,
                sort: Default::default(),
            })
        })
        .collect();
    window_of(rows, |r| r.key, window)
}
