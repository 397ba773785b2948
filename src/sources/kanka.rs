//! Kanka "Relations" (`../shared/seeds/kanka-relations.md`).
//!
//! One relation type, `relation`: directed owner -> target, updatable, a
//! required label of 1..255 characters, attitude -100..100, a `#rrggbb`
//! colour, pinned and private flags, optional two-way mirrors; both ends in
//! one campaign (space), no self-relation, duplicates allowed.

use crate::domain::{
    AttributeRules, Contract, DuplicatePolicy, IdFormat, IdScope, IntRange, RelationTypeDef,
    SourceProfile, TextRule,
};

/// Kanka's name in the API.
pub const SOURCE: &str = "kanka";

/// The Kanka profile. Kanka adds entity types over time, so kinds are open;
/// the list names the documented ones.
pub const PROFILE: SourceProfile = SourceProfile {
    name: SOURCE,
    id_scope: IdScope::PerSpace,
    id_format: IdFormat::Integer,
    kinds: &[
        "character",
        "family",
        "location",
        "organisation",
        "item",
        "note",
        "event",
        "calendar",
        "race",
        "quest",
        "journal",
        "tag",
        "ability",
        "map",
        "timeline",
        "creature",
        "dice_roll",
        "conversation",
        "attribute_template",
        "bookmark",
    ],
    open_kinds: true,
    relation_types,
};

fn relation_types() -> Vec<RelationTypeDef> {
    vec![RelationTypeDef {
        alias: "relation",
        name: "Relation",
        bidirectional: false,
        updatable: true,
        system_managed: false,
        contract: Contract {
            allowed_pairs: vec![],
            limits: vec![],
            duplicates: DuplicatePolicy::Allow,
            same_space: true,
            allow_self: false,
            symmetric: false,
            attributes: AttributeRules {
                label: TextRule {
                    allowed: true,
                    required: true,
                    max_length: Some(255),
                },
                comment: TextRule::default(),
                attitude: Some(IntRange {
                    min: -100,
                    max: 100,
                }),
                colour_allowed: true,
                pinned_allowed: true,
                private_allowed: true,
                mirror_allowed: true,
            },
        },
    }]
}
