//! The relation-type contract as GraphQL types, so clients can read the rules
//! (and admins write them for custom types).

use async_graphql::{Enum, InputObject, SimpleObject};

use super::entity::DirectionGql;
use crate::domain;

/// What relating an already related pair does.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "DuplicatePolicy", remote = "crate::domain::DuplicatePolicy")]
pub enum DuplicatePolicyGql {
    /// A second relation between the same ends is created (Kanka).
    Allow,
    /// A second relation is refused with rule `DUPLICATE` (Umbraco).
    Reject,
    /// The existing relation is returned with `created: false` (Copper).
    Idempotent,
}

/// One end of an allowed pair: a kind of a source.
#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "EndpointKindInput")]
pub struct EndpointKind {
    /// Source name.
    pub source: String,
    /// Kind within the source.
    pub kind: String,
}

/// A pair of kinds a relation may connect, `from` -> `to`. For bidirectional
/// types the reverse orientation is allowed too.
#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "KindPairInput")]
pub struct KindPair {
    /// The `from` end.
    pub from: EndpointKind,
    /// The `to` end.
    pub to: EndpointKind,
}

/// A cardinality limit: an entity of `kind` may have at most `max` relations
/// of this type whose other end is one of `otherKinds` (empty: any kind).
#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "CardinalityLimitInput")]
pub struct CardinalityLimit {
    /// The kind whose relations are counted.
    pub kind: EndpointKind,
    /// The largest number allowed.
    pub max: u32,
    /// The other ends that count; empty counts every relation of the type.
    #[graphql(default)]
    pub other_kinds: Vec<EndpointKind>,
    /// Which relations of the entity count (bidirectional types count all).
    #[graphql(default_with = "DirectionGql::Both")]
    pub direction: DirectionGql,
}

/// Rules for a text attribute.
#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "TextRuleInput")]
pub struct TextRule {
    /// The attribute may be given.
    #[graphql(default)]
    pub allowed: bool,
    /// The attribute must be given and not be empty.
    #[graphql(default)]
    pub required: bool,
    /// At most this many characters (none: no limit).
    pub max_length: Option<u32>,
}

/// An inclusive range of integers.
#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "IntRangeInput")]
pub struct IntRange {
    /// Smallest allowed value.
    pub min: i32,
    /// Largest allowed value.
    pub max: i32,
}

/// Which attributes a relation of the type may carry, and their bounds.
#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "AttributeRulesInput")]
pub struct AttributeRules {
    /// The label (Kanka's `relation` text).
    pub label: TextRule,
    /// The comment (Umbraco).
    pub comment: TextRule,
    /// The accepted attitude range; null: no attitude accepted.
    pub attitude: Option<IntRange>,
    /// A `#rrggbb` colour is accepted.
    #[graphql(default)]
    pub colour_allowed: bool,
    /// `pinned` is accepted.
    #[graphql(default)]
    pub pinned_allowed: bool,
    /// `isPrivate` is accepted.
    #[graphql(default)]
    pub private_allowed: bool,
    /// `twoWay` (a mirrored pair) is accepted.
    #[graphql(default)]
    pub mirror_allowed: bool,
}

impl From<&domain::EndpointKind> for EndpointKind {
    fn from(e: &domain::EndpointKind) -> Self {
        Self {
            source: e.source.clone(),
            kind: e.kind.clone(),
        }
    }
}

impl From<EndpointKind> for domain::EndpointKind {
    fn from(e: EndpointKind) -> Self {
        Self {
            source: e.source,
            kind: e.kind,
        }
    }
}

impl From<&domain::KindPair> for KindPair {
    fn from(p: &domain::KindPair) -> Self {
        Self {
            from: (&p.from).into(),
            to: (&p.to).into(),
        }
    }
}

impl From<KindPair> for domain::KindPair {
    fn from(p: KindPair) -> Self {
        Self {
            from: p.from.into(),
            to: p.to.into(),
        }
    }
}

impl From<&domain::CardinalityLimit> for CardinalityLimit {
    fn from(l: &domain::CardinalityLimit) -> Self {
        Self {
            kind: (&l.kind).into(),
            max: l.max,
            other_kinds: l.other_kinds.iter().map(Into::into).collect(),
            direction: l.direction.into(),
        }
    }
}

impl From<CardinalityLimit> for domain::CardinalityLimit {
    fn from(l: CardinalityLimit) -> Self {
        Self {
            kind: l.kind.into(),
            max: l.max,
            other_kinds: l.other_kinds.into_iter().map(Into::into).collect(),
            direction: l.direction.into(),
        }
    }
}

impl From<domain::TextRule> for TextRule {
    fn from(t: domain::TextRule) -> Self {
        Self {
            allowed: t.allowed,
            required: t.required,
            max_length: t.max_length,
        }
    }
}

impl From<TextRule> for domain::TextRule {
    fn from(t: TextRule) -> Self {
        Self {
            allowed: t.allowed,
            required: t.required,
            max_length: t.max_length,
        }
    }
}

impl From<&domain::AttributeRules> for AttributeRules {
    fn from(a: &domain::AttributeRules) -> Self {
        Self {
            label: a.label.into(),
            comment: a.comment.into(),
            attitude: a.attitude.map(|r| IntRange {
                min: r.min,
                max: r.max,
            }),
            colour_allowed: a.colour_allowed,
            pinned_allowed: a.pinned_allowed,
            private_allowed: a.private_allowed,
            mirror_allowed: a.mirror_allowed,
        }
    }
}

impl From<AttributeRules> for domain::AttributeRules {
    fn from(a: AttributeRules) -> Self {
        Self {
            label: a.label.into(),
            comment: a.comment.into(),
            attitude: a.attitude.map(|r| domain::IntRange {
                min: r.min,
                max: r.max,
            }),
            colour_allowed: a.colour_allowed,
            pinned_allowed: a.pinned_allowed,
            private_allowed: a.private_allowed,
            mirror_allowed: a.mirror_allowed,
        }
    }
}
