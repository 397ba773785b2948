//! What a read asks for: the filters, the windows' companions and the
//! shapes of what comes back, spoken by GraphQL, the dialects, the service
//! and the store alike (the reads themselves are `crate::read`).

use chrono::{DateTime, Utc};

use super::event::{Event, EventKind, Origin, Subject};
use super::model::{Direction, Relation};

/// Which rows a read may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Visibility {
    /// Private relations are included (admins only).
    pub include_private: bool,
}

impl Visibility {
    /// Whether a row (a relation, or an event of one) that is private or
    /// not may be shown.
    pub fn shows(self, is_private: bool) -> bool {
        self.include_private || !is_private
    }
}

/// What an entity's relation list is filtered by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EdgeFilter {
    /// Only relations whose type has this alias (in any source).
    pub type_alias: Option<String>,
    /// Which way the relations point.
    pub direction: Direction,
    /// Only relations whose far end has this kind.
    pub other_kind: Option<String>,
    /// Whether private relations are included.
    pub visibility: Visibility,
    /// The `filter:` argument's conditions.
    pub conditions: RelationConditions,
    /// The order the list is in (by id when empty): part of a list's
    /// identity, so it lives beside the conditions.
    pub order: Vec<OrderTerm>,
}

/// The conditions of a `filter:` argument on relation lists
/// (`Entity.relations`, `Entity.related`, `Query.relations`), on top of
/// the lists' own arguments. `Default` keeps every relation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RelationConditions {
    /// Only relations whose type has one of these aliases (any when empty).
    pub types: Vec<String>,
    /// Only relations whose far end has one of these kinds (any when
    /// empty; entity lists only).
    pub other_kinds: Vec<String>,
    /// Only relations whose type belongs to this source.
    pub source: Option<String>,
    /// Only relations whose far end is in this space (entity lists only).
    pub other_space: Option<String>,
    /// Only relations whose label matches.
    pub label: Option<TextMatch>,
    /// Only relations with an attitude of at least this.
    pub attitude_min: Option<i32>,
    /// Only relations with an attitude of at most this.
    pub attitude_max: Option<i32>,
    /// Only pinned (true) or unpinned (false) relations.
    pub pinned: Option<bool>,
    /// Only private (true, admins only) or public (false) relations.
    pub private: Option<bool>,
    /// Only relations created in this range.
    pub created: TimeRange,
    /// Only relations last updated in this range.
    pub updated: TimeRange,
}

impl RelationConditions {
    /// The conditions, if a caller with `visibility` may ask for them:
    /// private relations are asked for by admins only (`FORBIDDEN`).
    pub fn allowed_for(self, visibility: Visibility) -> crate::error::AppResult<Self> {
        if self.private == Some(true) && !visibility.include_private {
            return Err(crate::error::AppError::Forbidden(
                "only admins may list private relations (isPrivate: true)".to_owned(),
            ));
        }
        Ok(self)
    }
}

/// How a text is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextOp {
    /// The whole text.
    Equals,
    /// Its start.
    Prefix,
    /// Anywhere in it.
    Contains,
}

/// A condition on a text column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TextMatch {
    /// How.
    pub op: TextOp,
    /// What to look for.
    pub value: String,
    /// Ignoring case (ASCII letters on SQLite, all letters on PostgreSQL).
    pub case_insensitive: bool,
}

/// A time range: `from` included, `until` excluded; open where missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TimeRange {
    /// At or after this.
    pub from: Option<DateTime<Utc>>,
    /// Before this.
    pub until: Option<DateTime<Utc>>,
}

/// What a relation list can be ordered by (`RelationOrder.field`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderField {
    /// `created_at`.
    Created,
    /// `updated_at`.
    Updated,
    /// `attitude`; relations without one come last either way.
    Attitude,
    /// `label`, by code point; relations without one come last either way.
    Label,
    /// Pinned relations first (ascending) or last (descending).
    PinnedFirst,
}

/// One term of a list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrderTerm {
    /// By what.
    pub field: OrderField,
    /// Descending instead of ascending.
    pub descending: bool,
}

/// One column of a sort key, in the order a statement sorts by them (the
/// row id follows them all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortPart {
    /// 1 when the attitude is missing, else 0; always ascending.
    AttitudeMissing,
    /// The attitude (0 when missing).
    Attitude,
    /// 1 when the label is missing, else 0; always ascending.
    LabelMissing,
    /// The label ('' when missing).
    Label,
    /// 0 when pinned, else 1.
    Unpinned,
    /// `created_at`.
    Created,
    /// `updated_at`.
    Updated,
}

impl SortPart {
    /// The type of its values.
    pub fn kind(self) -> SortKind {
        match self {
            Self::Label => SortKind::Text,
            Self::Created | Self::Updated => SortKind::Time,
            _ => SortKind::Int,
        }
    }

    /// Whether it sorts descending under `term`.
    pub fn descending(self, term: OrderTerm) -> bool {
        match self {
            Self::AttitudeMissing | Self::LabelMissing => false,
            _ => term.descending,
        }
    }
}

/// The type of a sort key column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKind {
    /// An integer.
    Int,
    /// A text.
    Text,
    /// A time.
    Time,
}

impl OrderField {
    /// The columns it sorts by.
    pub fn parts(self) -> &'static [SortPart] {
        match self {
            Self::Created => &[SortPart::Created],
            Self::Updated => &[SortPart::Updated],
            Self::Attitude => &[SortPart::AttitudeMissing, SortPart::Attitude],
            Self::Label => &[SortPart::LabelMissing, SortPart::Label],
            Self::PinnedFirst => &[SortPart::Unpinned],
        }
    }

    /// Its name in cursors and in GraphQL.
    pub fn name(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Updated => "UPDATED",
            Self::Attitude => "ATTITUDE",
            Self::Label => "LABEL",
            Self::PinnedFirst => "PINNED_FIRST",
        }
    }
}

/// The sort key columns of `order`, each with whether it descends.
pub fn sort_parts(order: &[OrderTerm]) -> Vec<(SortPart, bool)> {
    order
        .iter()
        .flat_map(|t| t.field.parts().iter().map(move |p| (*p, p.descending(*t))))
        .collect()
}

/// A list's order as cursors name it: `ATTITUDE-,LABEL+`.
pub fn order_signature(order: &[OrderTerm]) -> String {
    order
        .iter()
        .map(|t| format!("{}{}", t.field.name(), if t.descending { '-' } else { '+' }))
        .collect::<Vec<_>>()
        .join(",")
}

/// A relation as seen from one entity.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The relation (shared with the `Relation` objects that show it). Only
    /// the columns the page statement read are set (see [`EdgeColumns`]);
    /// the others hold their type's default.
    pub relation: std::sync::Arc<Relation>,
    /// Whether its type is bidirectional (when read).
    pub bidirectional: bool,
    /// Its sort key in an ordered list (empty in a list by id).
    pub sort: super::page::SortKey,
}

/// Which columns a page of relations reads, besides each relation's id,
/// type, ends and (when counted) the list's size. Reading fewer costs
/// PostgreSQL less to send and relgate less to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EdgeColumns {
    /// `label`, `comment`, `attitude`, `colour`, `pinned`, `is_private`,
    /// `mirror_id`.
    pub attributes: bool,
    /// `created_at`, `updated_at`.
    pub times: bool,
    /// The type's `bidirectional` flag.
    pub bidirectional: bool,
}

impl EdgeColumns {
    /// No column beyond the id, type and ends.
    pub const NONE: Self = Self {
        attributes: false,
        times: false,
        bidirectional: false,
    };
    /// The attributes (and the mirror).
    pub const ATTRIBUTES: Self = Self {
        attributes: true,
        ..Self::NONE
    };
    /// The times.
    pub const TIMES: Self = Self {
        times: true,
        ..Self::NONE
    };
    /// The type's `bidirectional` flag.
    pub const BIDIRECTIONAL: Self = Self {
        bidirectional: true,
        ..Self::NONE
    };

    /// Every column of the relation, and the type's `bidirectional` flag.
    pub const ALL: Self = Self {
        attributes: true,
        times: true,
        bidirectional: true,
    };

    /// Both sets' columns.
    pub fn union(self, other: Self) -> Self {
        Self {
            attributes: self.attributes || other.attributes,
            times: self.times || other.times,
            bidirectional: self.bidirectional || other.bidirectional,
        }
    }
}

/// An entity related to the anchor, keyed by the first relation between
/// them (in the list's order).
#[derive(Debug, Clone)]
pub struct RelatedRow {
    /// The related entity.
    pub other_id: i64,
    /// The id of the first relation linking the two: the row's cursor (with
    /// `sort`).
    pub key: i64,
    /// That relation's sort key in an ordered list (empty in a list by id).
    pub sort: super::page::SortKey,
}

/// Which entities `entities(filter:)` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EntityFilter {
    /// Only this source.
    pub source: Option<String>,
    /// Only this space.
    pub space: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only names containing this text, ignoring case.
    pub name_contains: Option<String>,
}

/// Which relations `relations(filter:)` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RelationFilter {
    /// Only relations of this type.
    pub type_id: Option<i64>,
    /// Only relations whose type has this source.
    pub type_source: Option<String>,
    /// Only relations whose type has this alias.
    pub type_alias: Option<String>,
    /// Only relations from this entity.
    pub from_id: Option<i64>,
    /// Only relations to this entity.
    pub to_id: Option<i64>,
    /// Only relations whose `from` end is in this space.
    pub space: Option<String>,
    /// The `filter:` argument's other conditions.
    pub conditions: RelationConditions,
    /// The order the list is in (by id when empty).
    pub order: Vec<OrderTerm>,
}

/// Which events a read returns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EventFilter {
    /// Only events about this entity: as either end of a relation, or itself.
    pub entity_id: Option<i64>,
    /// Only events about this relation.
    pub relation_id: Option<i64>,
    /// Only events about relations (or the type) of this relation type.
    pub type_id: Option<i64>,
    /// Only these kinds (all when empty).
    pub kinds: Vec<EventKind>,
    /// Only these origins (all when empty).
    pub origins: Vec<Origin>,
    /// Only events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time.
    pub until: Option<DateTime<Utc>>,
}

impl EventFilter {
    /// Whether `event` is one this filter keeps (what the journal's page statement selects,
    /// for events already read).
    pub fn matches(&self, event: &Event) -> bool {
        let (relation, entity_ends, type_id) = match &event.subject {
            Subject::Relation {
                id,
                type_id,
                from,
                to,
                ..
            } => (Some(*id), vec![from.id, to.id], Some(*type_id)),
            Subject::Entity { entity, .. } => (None, vec![entity.id], None),
            Subject::Type { id, .. } => (None, Vec::new(), Some(*id)),
        };
        self.entity_id.is_none_or(|e| entity_ends.contains(&e))
            && self.relation_id.is_none_or(|r| relation == Some(r))
            && self.type_id.is_none_or(|t| type_id == Some(t))
            && (self.kinds.is_empty() || self.kinds.contains(&event.kind))
            && (self.origins.is_empty() || self.origins.contains(&event.origin))
            && self.since.is_none_or(|t| event.at >= t)
            && self.until.is_none_or(|t| event.at < t)
    }
}

/// Whether a page statement also counts the whole list (a `COUNT(*) OVER`
/// column): only when the count is asked for and the window has no cursor,
/// since the count needs the whole list in the window. Both executors ask
/// this before they count a list on its own.
pub fn counts_with_page(window: &super::PageWindow, with_total: bool) -> bool {
    with_total && window.after.is_none() && window.before.is_none()
}

/// What the edges of a relations page show, so what its statement reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeShape {
    /// Only cursors and far ends: relation ids and far-end ids.
    Lean,
    /// The relation, with these columns.
    Rows(EdgeColumns),
}

impl EdgeShape {
    /// A shape that shows what both show.
    pub fn union(self, other: Self) -> Self {
        match (self, other) {
            (Self::Lean, s) | (s, Self::Lean) => s,
            (Self::Rows(a), Self::Rows(b)) => Self::Rows(a.union(b)),
        }
    }
}

/// What is shown of an entity read by id, so what its statement reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityShape {
    /// Its id and name only (and lists, read on their own).
    Named,
    /// The whole row.
    Row,
}

impl EntityShape {
    /// A shape that shows what both show.
    pub fn union(self, other: Self) -> Self {
        if self == Self::Row || other == Self::Row {
            Self::Row
        } else {
            Self::Named
        }
    }
}

/// One list a query level asks for, or its size: what both executors hand
/// `crate::read::level::lists` for a level.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListKey {
    /// A page of `Entity.relations` of `anchor`.
    Relations {
        /// The entity.
        anchor: i64,
        /// Which relations.
        filter: EdgeFilter,
        /// Which page.
        window: super::PageWindow,
        /// What its edges show.
        shape: EdgeShape,
    },
    /// How many relations `Entity.relations` of `anchor` lists.
    RelationCount {
        /// The entity.
        anchor: i64,
        /// Which relations.
        filter: EdgeFilter,
    },
    /// A page of `Entity.related` of `anchor`.
    Related {
        /// The entity.
        anchor: i64,
        /// Through which relations.
        filter: EdgeFilter,
        /// Which page.
        window: super::PageWindow,
    },
    /// How many entities `Entity.related` of `anchor` lists.
    RelatedCount {
        /// The entity.
        anchor: i64,
        /// Through which relations.
        filter: EdgeFilter,
    },
    /// A page of `Query.entities`.
    Entities {
        /// Which entities.
        filter: EntityFilter,
        /// Which page.
        window: super::PageWindow,
        /// What its nodes show.
        shape: EntityShape,
    },
    /// `Entity.relationCounts` of `anchor`: its relations counted by type,
    /// far-end kind and direction.
    GroupCounts {
        /// The entity.
        anchor: i64,
        /// Which relations.
        filter: EdgeFilter,
    },
    /// A page of `Entity.neighbourhood` of `anchor` (with its size).
    Neighbourhood {
        /// The entity.
        anchor: i64,
        /// Which relations the walk takes, and how far.
        walk: WalkFilter,
        /// Which page.
        window: super::PageWindow,
    },
    /// How many entities `Query.entities` lists.
    EntityCount {
        /// Which entities.
        filter: EntityFilter,
    },
}

/// Which relations a traversal (`Entity.neighbourhood`, `Query.paths`)
/// walks, and so which entities it reaches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WalkFilter {
    /// Only relations whose type has one of these aliases (all when empty).
    pub types: Vec<String>,
    /// Only through entities of these kinds (all when empty): an entity of
    /// another kind is neither reached nor walked through.
    pub kinds: Vec<String>,
    /// Which way relations are followed (bidirectional types both ways).
    pub direction: Direction,
    /// Whether private relations are walked (admins only).
    pub visibility: Visibility,
    /// Most hops.
    pub depth: u32,
    /// Most rows the walk may visit before it stops with
    /// `TRAVERSAL_TOO_LARGE` (`--max-traversal-rows`).
    pub max_rows: u64,
}

impl WalkFilter {
    /// The relations one step may take, as an entity list's filter.
    pub fn steps(&self) -> EdgeFilter {
        EdgeFilter {
            type_alias: None,
            direction: self.direction,
            other_kind: None,
            visibility: self.visibility,
            conditions: RelationConditions {
                types: self.types.clone(),
                other_kinds: self.kinds.clone(),
                ..RelationConditions::default()
            },
            order: Vec::new(),
        }
    }
}

/// An entity's relations counted three ways (`Entity.relationCounts`),
/// each list largest first (then by type id, kind, direction).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupCounts {
    /// How many relations in all.
    pub total: u64,
    /// Per relation type id.
    pub by_type: Vec<(i64, u64)>,
    /// Per far-end kind.
    pub by_kind: Vec<(String, u64)>,
    /// Per direction as seen from the entity (`Both` for bidirectional
    /// types).
    pub by_direction: Vec<(Direction, u64)>,
}

/// An entity a neighbourhood reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reached {
    /// The entity.
    pub entity_id: i64,
    /// How many hops from the anchor (1 or more).
    pub distance: u32,
    /// The relation it was first reached by (on a shortest walk; the lowest
    /// id among those).
    pub via: i64,
}

impl Reached {
    /// Its place in the neighbourhood's order (by distance, then entity
    /// id), as one key: the distance in the top byte. Entity ids stay below
    /// 2^56.
    pub fn key(distance: u32, entity_id: i64) -> i64 {
        (i64::from(distance) << 56) | entity_id
    }
}

/// A path between two entities: the relations taken and the entities
/// arrived at, in order (`entities[i]` is reached by `relations[i]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRow {
    /// The relations, from the start.
    pub relations: Vec<i64>,
    /// The entities each relation leads to; the last is the path's end.
    pub entities: Vec<i64>,
}
