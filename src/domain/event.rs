//! The journal's events: every committed change to the relation graph.
//!
//! Writes append [`NewEvent`]s in the same transaction as the change (see
//! `service`); readers follow them by [`EventCursor`], in the order their
//! transactions became visible (see `store::events` for how a follower never
//! skips one).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::{Entity, Relation, RelationAttributes, RelationType};
use crate::error::{AppError, AppResult};

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A relation was written.
    RelationCreated,
    /// A relation's attributes changed.
    RelationUpdated,
    /// A relation was removed (also with its entity or its type).
    RelationDeleted,
    /// A relation's mirror was removed, and its `mirror` pointer cleared.
    MirrorCleared,
    /// An entity was created.
    EntityCreated,
    /// An entity's name changed.
    EntityRenamed,
    /// An entity was deleted.
    EntityDeleted,
    /// A custom relation type was created.
    TypeCreated,
    /// A custom relation type changed.
    TypeUpdated,
    /// A custom relation type was deleted.
    TypeDeleted,
}

impl EventKind {
    /// Every kind, in a stable order.
    pub const ALL: [EventKind; 10] = [
        EventKind::RelationCreated,
        EventKind::RelationUpdated,
        EventKind::RelationDeleted,
        EventKind::MirrorCleared,
        EventKind::EntityCreated,
        EventKind::EntityRenamed,
        EventKind::EntityDeleted,
        EventKind::TypeCreated,
        EventKind::TypeUpdated,
        EventKind::TypeDeleted,
    ];

    /// The stored (and GraphQL) name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::RelationCreated => "RELATION_CREATED",
            EventKind::RelationUpdated => "RELATION_UPDATED",
            EventKind::RelationDeleted => "RELATION_DELETED",
            EventKind::MirrorCleared => "MIRROR_CLEARED",
            EventKind::EntityCreated => "ENTITY_CREATED",
            EventKind::EntityRenamed => "ENTITY_RENAMED",
            EventKind::EntityDeleted => "ENTITY_DELETED",
            EventKind::TypeCreated => "TYPE_CREATED",
            EventKind::TypeUpdated => "TYPE_UPDATED",
            EventKind::TypeDeleted => "TYPE_DELETED",
        }
    }

    /// The kind stored as `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the event is about a relation (and has its ends).
    pub fn is_relation(self) -> bool {
        matches!(
            self,
            EventKind::RelationCreated
                | EventKind::RelationUpdated
                | EventKind::RelationDeleted
                | EventKind::MirrorCleared
        )
    }
}

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Origin {
    /// The GraphQL API.
    #[default]
    Graphql,
    /// The Copper dialect.
    Copper,
    /// The Umbraco dialect.
    Umbraco,
    /// The Kanka dialect.
    Kanka,
    /// `relgate demo seed`.
    Seed,
    /// The store's contents when the journal began, or an import.
    Import,
}

impl Origin {
    /// Every origin, in a stable order.
    pub const ALL: [Origin; 6] = [
        Origin::Graphql,
        Origin::Copper,
        Origin::Umbraco,
        Origin::Kanka,
        Origin::Seed,
        Origin::Import,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Graphql => "graphql",
            Origin::Copper => "copper",
            Origin::Umbraco => "umbraco",
            Origin::Kanka => "kanka",
            Origin::Seed => "seed",
            Origin::Import => "import",
        }
    }

    /// The origin stored as `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// An entity's natural key and name, as an event keeps it (the entity may be
/// gone by the time the event is read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndKey {
    /// Row id.
    pub id: i64,
    /// The entity's source, as it was.
    pub source: String,
    /// The entity's space, as it was.
    pub space: String,
    /// The entity's kind, as it was.
    pub kind: String,
    /// The source's own id.
    pub external_id: String,
    /// Name at the time of the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl From<&Entity> for EndKey {
    fn from(e: &Entity) -> Self {
        Self {
            id: e.id,
            source: e.source.clone(),
            space: e.space.clone(),
            kind: e.kind.clone(),
            external_id: e.external_id.clone(),
            name: e.name.clone(),
        }
    }
}

/// A relation's attributes at one moment (before or after a change).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelationState {
    /// Its attributes.
    #[serde(flatten)]
    pub attributes: RelationAttributes,
    /// The mirror's row id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror_id: Option<i64>,
}

impl From<&Relation> for RelationState {
    fn from(r: &Relation) -> Self {
        Self {
            attributes: r.attributes.clone(),
            mirror_id: r.mirror_id,
        }
    }
}

/// Who made a change, and through what: what each event records of it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Actor {
    /// The token's name, or `open-mode`.
    pub name: String,
    /// The HTTP request, if the change came through one.
    pub request_id: Option<String>,
    /// The API it came through.
    pub origin: Origin,
}

/// What an event is about, besides its kind.
// A write makes a handful of these; boxing the large variant would only add
// an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    /// A relation: its id, type and ends, and its attributes before and
    /// after the change (`None` where it did not exist).
    Relation {
        /// Row id.
        id: i64,
        /// Type row id, source and alias.
        type_id: i64,
        /// The type's source.
        type_source: String,
        /// The type's alias.
        type_alias: String,
        /// The `from` end.
        from: EndKey,
        /// The `to` end.
        to: EndKey,
        /// Attributes before.
        before: Option<RelationState>,
        /// Attributes after.
        after: Option<RelationState>,
    },
    /// An entity, with its name before and after.
    Entity {
        /// The entity.
        entity: EndKey,
        /// Name before (renames and deletions).
        before_name: Option<String>,
    },
    /// A relation type.
    Type {
        /// Row id.
        id: i64,
        /// The type's source, as it was.
        source: String,
        /// The type's alias, as it was.
        alias: String,
        /// Name before (updates and deletions).
        before_name: Option<String>,
        /// Name after (creations and updates).
        after_name: Option<String>,
    },
}

/// An event to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// What changed.
    pub kind: EventKind,
    /// What it changed.
    pub subject: Subject,
}

impl NewEvent {
    /// A relation event: `before` and `after` are its states around the
    /// change.
    pub fn relation(
        kind: EventKind,
        ty: &RelationType,
        (from, to): (&Entity, &Entity),
        id: i64,
        before: Option<&Relation>,
        after: Option<&Relation>,
    ) -> Self {
        Self {
            kind,
            subject: Subject::Relation {
                id,
                type_id: ty.id,
                type_source: ty.source.clone(),
                type_alias: ty.alias.clone(),
                from: from.into(),
                to: to.into(),
                before: before.map(RelationState::from),
                after: after.map(RelationState::from),
            },
        }
    }

    /// Whether only admins may see the event: it is about a relation that
    /// was private before or after the change.
    pub fn is_private(&self) -> bool {
        match &self.subject {
            Subject::Relation { before, after, .. } => [before, after]
                .into_iter()
                .flatten()
                .any(|s| s.attributes.is_private),
            _ => false,
        }
    }
}

/// A position in the journal: after which event a reader goes on.
///
/// Events are ordered by the transaction that wrote them (`txid`; 0 on
/// SQLite, whose writers commit one at a time) and then by id, which is the
/// order in which they become visible to followers (see `store::events`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EventCursor {
    /// The writing transaction's id (PostgreSQL), or 0.
    pub txid: i64,
    /// The event's id.
    pub id: i64,
}

const CURSOR_PREFIX: &str = "event:";

impl EventCursor {
    /// The opaque string form.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{}:{}", self.txid, self.id))
    }

    /// Parses an opaque cursor of the journal.
    pub fn decode(raw: &str, arg: &str) -> AppResult<Self> {
        let bad = || AppError::bad_input(format!("`{arg}` is not a cursor of the journal"));
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let rest = text.strip_prefix(CURSOR_PREFIX).ok_or_else(bad)?;
        let (txid, id) = rest.split_once(':').ok_or_else(bad)?;
        Ok(Self {
            txid: txid.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

/// An event as the journal holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Where it sits in the journal.
    pub cursor: EventCursor,
    /// When its transaction wrote it.
    pub at: DateTime<Utc>,
    /// What changed.
    pub kind: EventKind,
    /// What it changed.
    pub subject: Subject,
    /// Who did it: the token's name, or `open-mode`.
    pub actor: String,
    /// The request that did it, if it came through HTTP.
    pub request_id: Option<String>,
    /// Where it came from.
    pub origin: Origin,
}

impl Event {
    /// Whether only admins may see it (see [`NewEvent::is_private`]).
    pub fn is_private(&self) -> bool {
        NewEvent {
            kind: self.kind,
            subject: self.subject.clone(),
        }
        .is_private()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_other_text() {
        let c = EventCursor { txid: 812, id: 9 };
        assert_eq!(EventCursor::decode(&c.encode(), "after").unwrap(), c);
        for bad in [
            "",
            "abc",
            &URL_SAFE_NO_PAD.encode("cursor:5"),
            &URL_SAFE_NO_PAD.encode("event:x:1"),
        ] {
            assert!(EventCursor::decode(bad, "after").is_err(), "{bad}");
        }
        assert!(EventCursor { txid: 1, id: 1 } > EventCursor { txid: 0, id: 9 });
    }

    #[test]
    fn kinds_and_origins_have_stable_names() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        for o in Origin::ALL {
            assert_eq!(Origin::parse(o.as_str()), Some(o));
        }
    }
}
