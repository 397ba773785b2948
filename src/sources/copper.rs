//! Copper CRM "Related Items" (`../shared/seeds/copper-related-items.md`).
//!
//! One relation type, `related`: bidirectional, never updated, no attributes,
//! only the documented kind pairs, a person relates to at most one company and
//! a task to at most one record in total; relating a related pair again is
//! idempotent.

use crate::domain::{
    AttributeRules, CardinalityLimit, Contract, Direction, DuplicatePolicy, EndpointKind, IdFormat,
    IdScope, KindPair, RelationTypeDef, SourceProfile,
};

/// Copper's name in the API.
pub const SOURCE: &str = "copper";

/// The symmetric pairs of the seed's "allowed relationships" list.
pub const PAIRS: &[(&str, &str)] = &[
    ("lead", "task"),
    ("person", "company"),
    ("person", "opportunity"),
    ("person", "task"),
    ("person", "project"),
    ("company", "opportunity"),
    ("company", "task"),
    ("company", "project"),
    ("opportunity", "task"),
    ("opportunity", "project"),
    ("project", "task"),
];

/// The Copper profile.
pub const PROFILE: SourceProfile = SourceProfile {
    name: SOURCE,
    id_scope: IdScope::PerKind,
    id_format: IdFormat::Integer,
    kinds: &[
        "lead",
        "person",
        "company",
        "opportunity",
        "project",
        "task",
    ],
    open_kinds: false,
    relation_types,
};

fn kind(k: &str) -> EndpointKind {
    EndpointKind::new(SOURCE, k)
}

fn relation_types() -> Vec<RelationTypeDef> {
    vec![RelationTypeDef {
        alias: "related",
        name: "Related item",
        bidirectional: true,
        updatable: false,
        system_managed: false,
        contract: Contract {
            allowed_pairs: PAIRS
                .iter()
                .map(|(a, b)| KindPair {
                    from: kind(a),
                    to: kind(b),
                })
                .collect(),
            limits: vec![
                CardinalityLimit {
                    kind: kind("person"),
                    max: 1,
                    other_kinds: vec![kind("company")],
                    direction: Direction::Both,
                },
                CardinalityLimit {
                    kind: kind("task"),
                    max: 1,
                    other_kinds: vec![],
                    direction: Direction::Both,
                },
            ],
            duplicates: DuplicatePolicy::Idempotent,
            same_space: true,
            allow_self: false,
            symmetric: true,
            attributes: AttributeRules::default(),
        },
    }]
}
