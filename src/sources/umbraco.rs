//! Umbraco Heartcore "Relations" (`../shared/seeds/umbraco-relations.md`).
//!
//! Directed parent -> child relation types by alias; one relation per
//! (parent, child, type); a comment of at most 1000 characters; never updated.
//! `bidirectional` is metadata that lets a child-side query see the relation.

use crate::domain::{
    AttributeRules, Contract, DuplicatePolicy, EndpointKind, IdFormat, IdScope, KindPair,
    RelationTypeDef, SourceProfile, TextRule,
};

/// Umbraco's name in the API.
pub const SOURCE: &str = "umbraco";

/// The Umbraco profile.
pub const PROFILE: SourceProfile = SourceProfile {
    name: SOURCE,
    id_scope: IdScope::PerSpace,
    id_format: IdFormat::Guid,
    kinds: &["document", "media", "member"],
    open_kinds: false,
    relation_types,
};

/// The contract shared by Umbraco's types: `pairs` (empty: any), one relation
/// per (parent, child), a comment of at most 1000 characters.
pub fn contract(pairs: &[(&str, &str)]) -> Contract {
    Contract {
        allowed_pairs: pairs
            .iter()
            .map(|(a, b)| KindPair {
                from: EndpointKind::new(SOURCE, a),
                to: EndpointKind::new(SOURCE, b),
            })
            .collect(),
        limits: vec![],
        duplicates: DuplicatePolicy::Reject,
        same_space: true,
        allow_self: true,
        symmetric: false,
        attributes: AttributeRules {
            comment: TextRule {
                allowed: true,
                required: false,
                max_length: Some(1000),
            },
            ..AttributeRules::default()
        },
    }
}

fn def(
    alias: &'static str,
    name: &'static str,
    bidirectional: bool,
    system_managed: bool,
    pairs: &[(&str, &str)],
) -> RelationTypeDef {
    RelationTypeDef {
        alias,
        name,
        bidirectional,
        updatable: false,
        system_managed,
        contract: contract(pairs),
    }
}

fn relation_types() -> Vec<RelationTypeDef> {
    vec![
        def(
            "relateDocumentOnCopy",
            "Relate Document On Copy",
            true,
            false,
            &[("document", "document")],
        ),
        def(
            "relateParentDocumentOnDelete",
            "Relate Parent Document On Delete",
            false,
            false,
            &[("document", "document")],
        ),
        def(
            "relateParentMediaFolderOnDelete",
            "Relate Parent Media Folder On Delete",
            false,
            false,
            &[("media", "media")],
        ),
        def("umbDocument", "Related Document", false, true, &[]),
        def("umbMedia", "Related Media", false, true, &[]),
        def("umbMember", "Related Member", false, true, &[]),
    ]
}
