//! Entities, relations and relation types: the unified model.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

impl Entity {
    /// Entity `id` as read when only its id and name are shown
    /// ([`crate::domain::EntityShape::Named`]): the other fields are empty.
    pub fn named(id: i64, name: Option<String>) -> Self {
        Self {
            id,
            source: String::new(),
            space: String::new(),
            kind: String::new(),
            external_id: String::new(),
            name,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }
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
    /// When it was created (built-in types: when first installed).
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// A relation's own attributes: the same six for every source (its type's
/// contract says which of them it takes, and within what bounds). Declared
/// once: the store's columns, the journal's states and the write commands
/// are these.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelationAttributes {
    /// Free text describing the relation (Kanka's `relation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// A comment (Umbraco).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// How the owner feels about the target, -100..100 (Kanka).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attitude: Option<i32>,
    /// A `#rrggbb` colour (Kanka).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    /// Pinned on the owner's profile (Kanka).
    #[serde(default)]
    pub pinned: bool,
    /// Visible to admins only.
    #[serde(default)]
    pub is_private: bool,
}

impl RelationAttributes {
    /// The six as the store's columns name them, in the order it reads them.
    pub const COLUMNS: [&'static str; 6] = [
        "label",
        "comment",
        "attitude",
        "colour",
        "pinned",
        "is_private",
    ];

    /// These attributes with the ones `asked` gives instead: a new
    /// relation's are the defaults with the client's; an update's, the
    /// relation's with the changes.
    pub fn with(&self, asked: &Attributes) -> Self {
        Self {
            label: asked.label.clone().or_else(|| self.label.clone()),
            comment: asked.comment.clone().or_else(|| self.comment.clone()),
            attitude: asked.attitude.or(self.attitude),
            colour: asked.colour.clone().or_else(|| self.colour.clone()),
            pinned: asked.pinned.unwrap_or(self.pinned),
            is_private: asked.is_private.unwrap_or(self.is_private),
        }
    }
}

/// The attributes a write asks for: each one left out (`None`) keeps its
/// value (an update) or its default (a new relation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    /// A new label, or the label asked for.
    pub label: Option<String>,
    /// A new comment, or the comment asked for.
    pub comment: Option<String>,
    /// A new attitude, or the attitude asked for.
    pub attitude: Option<i32>,
    /// A new colour, or the colour asked for.
    pub colour: Option<String>,
    /// Pin it (or unpin it).
    pub pinned: Option<bool>,
    /// Make it visible to admins only (or to every reader).
    pub is_private: Option<bool>,
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
    /// Its label, comment, attitude, colour and flags.
    pub attributes: RelationAttributes,
    /// The paired relation of a two-way relation.
    pub mirror_id: Option<i64>,
    /// When relgate stored it.
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
            attributes: RelationAttributes::default(),
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
