//! The relation-type contract: the rules a relation of a type obeys, as data.
//!
//! Built-in contracts are written in `src/sources/`; custom ones come from
//! `createRelationType`. The contract is stored as JSON in the relation type's
//! row, so adding a rule needs no migration.

use serde::{Deserialize, Serialize};

use super::model::Direction;

/// One end of an allowed pair: a kind of a source.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EndpointKind {
    /// Source name.
    pub source: String,
    /// Kind within the source.
    pub kind: String,
}

impl EndpointKind {
    /// `source`/`kind`.
    pub fn new(source: &str, kind: &str) -> Self {
        Self {
            source: source.to_owned(),
            kind: kind.to_owned(),
        }
    }

    /// Does this end describe an entity of `source` and `kind`?
    pub fn matches(&self, source: &str, kind: &str) -> bool {
        self.source == source && self.kind == kind
    }
}

/// A (from, to) pair of kinds a relation may connect. For symmetric types
/// the pair also allows the reverse orientation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KindPair {
    /// The `from` end.
    pub from: EndpointKind,
    /// The `to` end.
    pub to: EndpointKind,
}

/// "An entity of kind `kind` may have at most `max` relations of this type
/// whose other end is one of `other_kinds` (empty: any kind)."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardinalityLimit {
    /// The kind whose relations are counted.
    pub kind: EndpointKind,
    /// The largest number allowed.
    pub max: u32,
    /// The other ends that count; empty counts all.
    #[serde(default)]
    pub other_kinds: Vec<EndpointKind>,
    /// Which relations of the entity count: for directed types, `Outgoing`
    /// counts those it is the `from` end of. Bidirectional types count all.
    #[serde(default, with = "direction_serde")]
    pub direction: Direction,
}

/// What relating an already related pair does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DuplicatePolicy {
    /// A second relation is created (Kanka).
    #[default]
    Allow,
    /// The write is refused with `DUPLICATE` (Umbraco).
    Reject,
    /// The existing relation is returned with `created: false` (Copper).
    Idempotent,
}

/// Rules for a text attribute (label, comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TextRule {
    /// The attribute may be given.
    pub allowed: bool,
    /// The attribute must be given (and not be empty).
    pub required: bool,
    /// At most this many characters.
    pub max_length: Option<u32>,
}

/// An inclusive integer range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntRange {
    /// Smallest allowed value.
    pub min: i32,
    /// Largest allowed value.
    pub max: i32,
}

/// Which attributes a relation of the type may carry, and their bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AttributeRules {
    /// The label (Kanka's `relation` text).
    pub label: TextRule,
    /// The comment (Umbraco).
    pub comment: TextRule,
    /// Allowed attitude range; `None`: no attitude accepted.
    pub attitude: Option<IntRange>,
    /// A `#rrggbb` colour is accepted.
    pub colour_allowed: bool,
    /// `pinned` is accepted.
    pub pinned_allowed: bool,
    /// `isPrivate` is accepted.
    pub private_allowed: bool,
    /// `twoWay` (a mirrored pair) is accepted.
    pub mirror_allowed: bool,
}

/// The rules of a relation type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    /// The pairs of kinds a relation may connect; empty: any.
    pub allowed_pairs: Vec<KindPair>,
    /// Cardinality limits.
    pub limits: Vec<CardinalityLimit>,
    /// What a second relation between the same ends does.
    pub duplicates: DuplicatePolicy,
    /// Both ends must be in the same space.
    pub same_space: bool,
    /// An entity may relate to itself.
    pub allow_self: bool,
    /// A relation from A to B is the same as one from B to A (Copper): allowed
    /// pairs and duplicates are compared in either order. Not so for a
    /// directed type that is merely `bidirectional` for reading (Umbraco).
    #[serde(default)]
    pub symmetric: bool,
    /// Attribute rules.
    pub attributes: AttributeRules,
}

mod direction_serde {
    use super::Direction;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Direction, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match d {
            Direction::Outgoing => "OUTGOING",
            Direction::Incoming => "INCOMING",
            Direction::Both => "BOTH",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Direction, D::Error> {
        match String::deserialize(d)?.as_str() {
            "OUTGOING" => Ok(Direction::Outgoing),
            "INCOMING" => Ok(Direction::Incoming),
            "BOTH" => Ok(Direction::Both),
            other => Err(serde::de::Error::custom(format!(
                "unknown direction {other}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contract_survives_its_json_form() {
        let c = Contract {
            allowed_pairs: vec![KindPair {
                from: EndpointKind::new("copper", "person"),
                to: EndpointKind::new("copper", "company"),
            }],
            limits: vec![CardinalityLimit {
                kind: EndpointKind::new("copper", "person"),
                max: 1,
                other_kinds: vec![EndpointKind::new("copper", "company")],
                direction: Direction::Both,
            }],
            duplicates: DuplicatePolicy::Idempotent,
            same_space: true,
            allow_self: false,
            symmetric: true,
            attributes: AttributeRules::default(),
        };
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Contract>(&json).unwrap(), c);
    }
}
