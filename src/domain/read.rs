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

/// An entity related to the anchor, keyed by the first relation between them.
#[derive(Debug, Clone, Copy)]
pub struct RelatedRow {
    /// The related entity.
    pub other_id: i64,
    /// The lowest relation id linking the two: the sort key and cursor.
    pub key: i64,
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
    /// How many entities `Query.entities` lists.
    EntityCount {
        /// Which entities.
        filter: EntityFilter,
    },
}
