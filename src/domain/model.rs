//! Entities, relations and relation types: the unified model.

use chrono::{DateTime, Utc};

use super::contract::Contract;

/// Which way a relation points, seen from one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// The entity is the relation's `from` end (or the type is bidirectional).
    Outgoing,
    /// The entity is the relation's `to` end (or the type is bidirectional).
    Incoming,
    /// Either.
    #[default]
    Both,
}

/// A record in a source system that relations connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// Row id.
    pub id: i64,
    /// `copper`, `umbraco`, `kanka` or a custom source.
    pub source: String,
    /// Tenant within the source (`default` when the source has none).
    pub space: String,
    /// The source's record kind: `person`, `document`, `character`...
    pub kind: String,
    /// The source's own id for the record.
    pub external_id: String,
    /// A display name, if known.
    pub name: Option<String>,
    /// When relgate first saw it.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The natural key of an entity, already validated against its source's
/// profile (see [`crate::domain::SourceProfile::entity_key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityKey {
    /// Source name.
    pub source: String,
    /// Space (tenant).
    pub space: String,
    /// Kind; `None` only for lookups in sources whose ids are unique per space.
    pub kind: Option<String>,
    /// `kind` for per-kind id scopes, `""` for per-space ones: the value of
    /// the store's `kind_scope` column.
    pub kind_scope: String,
    /// The source's own id, normalised (Umbraco GUIDs lower-case).
    pub external_id: String,
}

/// A named contract for relations.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationType {
    /// Row id.
    pub id: i64,
    /// The source whose rules it encodes (or a custom source).
    pub source: String,
    /// Unique per source: `related`, `relateDocumentOnCopy`, `relation`...
    pub alias: String,
    /// Human-readable name, unique per source.
    pub name: String,
    /// A relation of this type reads the same from both ends.
    pub bidirectional: bool,
    /// Relations of this type may be updated in place.
    pub updatable: bool,
    /// Relations of this type are written by the source system, not the API.
    pub system_managed: bool,
    /// Defined in `src/sources/` and written at start-up; read-only.
    pub built_in: bool,
    /// The rules every relation of this type obeys.
    pub contract: Contract,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// A typed link from one entity to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// Row id; also the integer id the REST dialects use (`legacyId`).
    pub id: i64,
    /// Relation type row id.
    pub type_id: i64,
    /// The `from` (owner, parent) entity.
    pub from_id: i64,
    /// The `to` (target, child) entity.
    pub to_id: i64,
    /// Kanka's `relation` text.
    pub label: Option<String>,
    /// Umbraco's comment.
    pub comment: Option<String>,
    /// Kanka's attitude, -100..100.
    pub attitude: Option<i32>,
    /// `#rrggbb`.
    pub colour: Option<String>,
    /// Pinned on the owner's profile (Kanka).
    pub pinned: bool,
    /// Visible to admins only.
    pub is_private: bool,
    /// The paired relation of a two-way relation.
    pub mirror_id: Option<i64>,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

impl Relation {
    /// Relation `id` of type `type_id` from `from_id` to `to_id`, with no
    /// attributes, created and updated at `at`.
    pub fn bare(id: i64, type_id: i64, from_id: i64, to_id: i64, at: DateTime<Utc>) -> Self {
        Self {
            id,
            type_id,
            from_id,
            to_id,
            label: None,
            comment: None,
            attitude: None,
            colour: None,
            pinned: false,
            is_private: false,
            mirror_id: None,
            created_at: at,
            updated_at: at,
        }
    }

    /// The far end as seen from `entity_id`.
    pub fn other_end(&self, entity_id: i64) -> i64 {
        if self.from_id == entity_id {
            self.to_id
        } else {
            self.from_id
        }
    }

    /// The direction of this relation seen from `entity_id`: `Both` for a
    /// bidirectional type, else by which end the entity is.
    pub fn direction_from(&self, entity_id: i64, bidirectional: bool) -> Direction {
        if bidirectional {
            Direction::Both
        } else if self.from_id == entity_id {
            Direction::Outgoing
        } else {
            Direction::Incoming
        }
    }
}
