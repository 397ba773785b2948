//! The contract engine: which rules a proposed write breaks.
//!
//! Pure functions over the relation type, the two ends, the attributes and
//! the facts the store gathered inside the write transaction (relations
//! between the same ends, the holders of each applicable limit). They return
//! every violation, not just the first, so `validateRelation` can list them
//! all and `relate` can report them all.

use super::contract::{CardinalityLimit, DuplicatePolicy, EndpointKind, TextRule};
use super::model::{Direction, Entity, Relation, RelationAttributes, RelationType};
use crate::error::{Rule, Violation};

/// A proposed new relation.
#[derive(Debug, Clone, Copy)]
pub struct Proposal<'a> {
    /// Its type.
    pub ty: &'a RelationType,
    /// The `from` end.
    pub from: &'a Entity,
    /// The `to` end.
    pub to: &'a Entity,
    /// Its attributes.
    pub attributes: &'a RelationAttributes,
    /// A mirror is asked for too.
    pub two_way: bool,
}

/// A limit that applies to one end of a proposal.
#[derive(Debug, Clone, Copy)]
pub struct LimitAt<'a> {
    /// The limit.
    pub limit: &'a CardinalityLimit,
    /// The end it counts relations of.
    pub at: &'a Entity,
    /// Which of that end's relations count (for bidirectional types: all).
    pub direction: Direction,
}

/// A relation that already fills (part of) a limit, as the caller may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A relation the caller can see: the far end's kind and id.
    Visible {
        /// The far end's kind.
        kind: String,
        /// The far end's id in its source.
        external_id: String,
    },
    /// A private relation the caller cannot see: counted, never named.
    Hidden,
}

/// What the store found, inside the write transaction, for a proposal.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Existing relations of the type between the same ends (in either
    /// orientation for symmetric types).
    pub same_ends: Vec<Relation>,
    /// For each entry of [`applicable_limits`], in order: the relations that
    /// already count against it (at most `max` of them are needed).
    pub limit_holders: Vec<Vec<Holder>>,
}

/// What to do with a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Write it.
    Write,
    /// Write nothing: this existing relation is the answer (idempotent types).
    Existing(Relation),
    /// Refuse it.
    Refuse(Vec<Violation>),
}

fn system_managed(ty: &RelationType) -> Option<Violation> {
    ty.system_managed.then(|| {
        Violation::new(
            Rule::SystemManaged,
            format!(
                "relations of type {} are managed by {}, not through the API",
                ty.alias, ty.source
            ),
        )
    })
}

fn describe(e: &Entity) -> String {
    format!("{} {}", e.kind, e.external_id)
}

fn matches(kinds: &[EndpointKind], e: &Entity) -> bool {
    kinds.is_empty() || kinds.iter().any(|k| k.matches(&e.source, &e.kind))
}

/// Checks `value` against a text rule; `what` names the attribute.
fn check_text(
    rule: &TextRule,
    value: Option<&str>,
    what: &str,
    required: Rule,
    out: &mut Vec<Violation>,
) {
    match value {
        Some(v) if !rule.allowed => out.push(Violation::new(
            Rule::AttributeNotAllowed,
            format!("this relation type takes no {what}; got {v:?}"),
        )),
        Some(v) if rule.required && v.trim().is_empty() => out.push(Violation::new(
            required,
            format!("a {what} is required and must not be blank"),
        )),
        None if rule.required => {
            out.push(Violation::new(required, format!("a {what} is required")))
        }
        Some(v) => {
            if let Some(max) = rule.max_length {
                let n = v.chars().count();
                if n > max as usize {
                    out.push(Violation::new(
                        Rule::FieldTooLong,
                        format!("the {what} may be at most {max} characters; it has {n}"),
                    ));
                }
            }
        }
        None => {}
    }
}

fn is_hex_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit())
}

/// The attribute rules, for a new relation or for the values an update
/// would leave (`two_way` only for new ones).
pub fn check_attributes(
    ty: &RelationType,
    a: &RelationAttributes,
    two_way: bool,
) -> Vec<Violation> {
    let rules = &ty.contract.attributes;
    let mut out = Vec::new();
    check_text(
        &rules.label,
        a.label.as_deref(),
        "label",
        Rule::LabelRequired,
        &mut out,
    );
    check_text(
        &rules.comment,
        a.comment.as_deref(),
        "comment",
        Rule::CommentRequired,
        &mut out,
    );
    if let Some(att) = a.attitude {
        match rules.attitude {
            None => out.push(Violation::new(
                Rule::AttributeNotAllowed,
                "this relation type takes no attitude",
            )),
            Some(r) if att < r.min || att > r.max => out.push(Violation::new(
                Rule::OutOfRange,
                format!(
                    "attitude must be between {} and {}; got {att}",
                    r.min, r.max
                ),
            )),
            Some(_) => {}
        }
    }
    if let Some(c) = &a.colour {
        if !rules.colour_allowed {
            out.push(Violation::new(
                Rule::AttributeNotAllowed,
                "this relation type takes no colour",
            ));
        } else if !is_hex_colour(c) {
            out.push(Violation::new(
                Rule::InvalidFormat,
                format!("colour must look like #rrggbb; got {c:?}"),
            ));
        }
    }
    if a.pinned && !rules.pinned_allowed {
        out.push(Violation::new(
            Rule::AttributeNotAllowed,
            "relations of this type cannot be pinned",
        ));
    }
    if a.is_private && !rules.private_allowed {
        out.push(Violation::new(
            Rule::AttributeNotAllowed,
            "relations of this type cannot be private",
        ));
    }
    if two_way && !rules.mirror_allowed {
        out.push(Violation::new(
            Rule::AttributeNotAllowed,
            format!(
                "relations of type {} cannot be two-way{}",
                ty.alias,
                if ty.bidirectional {
                    ": they already read the same from both ends"
                } else {
                    ""
                }
            ),
        ));
    }
    out
}

/// The rules that need no facts from the store: system management, self
/// relations, spaces, allowed pairs, attributes.
pub fn check_shape(p: &Proposal<'_>) -> Vec<Violation> {
    let ty = p.ty;
    let c = &ty.contract;
    let mut out = Vec::new();
    out.extend(system_managed(ty));
    if p.from.id == p.to.id && !c.allow_self {
        out.push(Violation::new(
            Rule::SelfRelation,
            format!("{} cannot be related to itself", describe(p.from)),
        ));
    }
    if c.same_space && p.from.space != p.to.space {
        out.push(Violation::new(
            Rule::CrossSpace,
            format!(
                "both ends must be in one space; {} is in {} and {} in {}",
                describe(p.from),
                p.from.space,
                describe(p.to),
                p.to.space
            ),
        ));
    }
    if !c.allowed_pairs.is_empty() {
        let fits = |a: &Entity, b: &Entity| {
            c.allowed_pairs.iter().any(|pair| {
                pair.from.matches(&a.source, &a.kind) && pair.to.matches(&b.source, &b.kind)
            })
        };
        let ok = fits(p.from, p.to) || (c.symmetric && fits(p.to, p.from));
        if !ok {
            out.push(Violation::new(
                Rule::PairNotAllowed,
                format!(
                    "a {} {} cannot be related to a {} {} with type {}",
                    p.from.source, p.from.kind, p.to.source, p.to.kind, ty.alias
                ),
            ));
        }
    }
    out.extend(check_attributes(ty, p.attributes, p.two_way));
    out
}

/// The limits a proposal is subject to, at either end, in a fixed order.
pub fn applicable_limits<'a>(p: &Proposal<'a>) -> Vec<LimitAt<'a>> {
    let mut out = Vec::new();
    let ends: &[(&Entity, &Entity, Direction)] = if p.from.id == p.to.id {
        &[(p.from, p.to, Direction::Outgoing)]
    } else {
        &[
            (p.from, p.to, Direction::Outgoing),
            (p.to, p.from, Direction::Incoming),
        ]
    };
    for limit in &p.ty.contract.limits {
        for &(at, other, side) in ends {
            let direction = if p.ty.bidirectional {
                Direction::Both
            } else {
                limit.direction
            };
            let side_counts = direction == Direction::Both || direction == side;
            if side_counts
                && limit.kind.matches(&at.source, &at.kind)
                && matches(&limit.other_kinds, other)
            {
                out.push(LimitAt {
                    limit,
                    at,
                    direction,
                });
            }
        }
    }
    out
}

fn limit_message(l: &LimitAt<'_>, holders: &[Holder]) -> String {
    let what = if l.limit.other_kinds.is_empty() {
        "record".to_owned()
    } else {
        l.limit
            .other_kinds
            .iter()
            .map(|k| k.kind.as_str())
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let count = if l.limit.max == 1 {
        format!("one {what}")
    } else {
        format!("{} {what}s", l.limit.max)
    };
    let named: Vec<String> = holders
        .iter()
        .filter_map(|h| match h {
            Holder::Visible { kind, external_id } => Some(format!("{kind} {external_id}")),
            Holder::Hidden => None,
        })
        .collect();
    let hidden = holders.iter().filter(|h| **h == Holder::Hidden).count();
    let who = match (named.is_empty(), hidden) {
        (true, n) => format!("has {n} such relation{}", if n == 1 { "" } else { "s" }),
        (false, 0) => format!("already is (to {})", named.join(", ")),
        (false, n) => format!(
            "already is (to {} and {n} other{})",
            named.join(", "),
            if n == 1 { "" } else { "s" }
        ),
    };
    format!(
        "a {} can be related to at most {count}; {} {who}",
        l.limit.kind.kind,
        describe(l.at),
    )
}

/// Decides a proposal: every rule, given what the store found.
pub fn evaluate(p: &Proposal<'_>, facts: &Facts) -> Verdict {
    let mut violations = check_shape(p);
    if !violations.is_empty() {
        return Verdict::Refuse(violations);
    }
    match (p.ty.contract.duplicates, facts.same_ends.first()) {
        (DuplicatePolicy::Idempotent, Some(existing)) => {
            return Verdict::Existing(existing.clone());
        }
        (DuplicatePolicy::Reject, Some(_)) => violations.push(Violation::new(
            Rule::Duplicate,
            format!(
                "{} is already related to {} with type {}",
                describe(p.from),
                describe(p.to),
                p.ty.alias
            ),
        )),
        _ => {}
    }
    for (l, holders) in applicable_limits(p).iter().zip(&facts.limit_holders) {
        if holders.len() as u64 >= u64::from(l.limit.max) {
            violations.push(Violation::new(
                Rule::LimitExceeded,
                limit_message(l, holders),
            ));
        }
    }
    if violations.is_empty() {
        Verdict::Write
    } else {
        Verdict::Refuse(violations)
    }
}

/// The rules an update of `relation` to `after` (its attributes once the
/// changes apply) must obey.
pub fn check_update(ty: &RelationType, after: &RelationAttributes) -> Vec<Violation> {
    if let Some(v) = system_managed(ty) {
        return vec![v];
    }
    if !ty.updatable {
        return vec![Violation::new(
            Rule::NotUpdatable,
            format!(
                "relations of type {} cannot be updated: remove the relation and relate again",
                ty.alias
            ),
        )];
    }
    check_attributes(ty, after, false)
}

/// The rule an entity named with a key and a kind obeys: an entity is of
/// one kind for good, so a key that names an existing entity of another kind
/// (the id scopes of per-space sources span kinds) is a `KIND_MISMATCH`.
pub fn check_kind(existing: &Entity, kind: &str) -> Vec<Violation> {
    if existing.kind == kind {
        return Vec::new();
    }
    vec![Violation::new(
        Rule::KindMismatch,
        format!(
            "{} {} in space {} is a {}, not a {kind}",
            existing.source, existing.external_id, existing.space, existing.kind
        ),
    )]
}

/// The rules removing a relation of `ty` must obey.
pub fn check_removal(ty: &RelationType) -> Vec<Violation> {
    system_managed(ty).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SourceProfile;
    use crate::sources;

    fn ty(profile: &SourceProfile, alias: &str) -> RelationType {
        let def = (profile.relation_types)()
            .into_iter()
            .find(|d| d.alias == alias)
            .expect("a built-in type");
        RelationType {
            id: 1,
            source: profile.name.to_owned(),
            alias: def.alias.to_owned(),
            name: def.name.to_owned(),
            bidirectional: def.bidirectional,
            updatable: def.updatable,
            system_managed: def.system_managed,
            built_in: true,
            contract: def.contract,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    fn entity(id: i64, source: &str, space: &str, kind: &str) -> Entity {
        Entity {
            id,
            source: source.to_owned(),
            space: space.to_owned(),
            kind: kind.to_owned(),
            external_id: (id * 10).to_string(),
            name: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    fn copper(id: i64, kind: &str) -> Entity {
        entity(id, "copper", "default", kind)
    }

    fn rules_of(v: &Verdict) -> Vec<Rule> {
        match v {
            Verdict::Refuse(vs) => vs.iter().map(|v| v.rule).collect(),
            _ => vec![],
        }
    }

    fn label(l: &str) -> RelationAttributes {
        RelationAttributes {
            label: Some(l.to_owned()),
            ..Default::default()
        }
    }

    #[test]
    fn copper_allows_exactly_the_documented_pairs_in_either_order() {
        let t = ty(&sources::copper::PROFILE, "related");
        let kinds = sources::copper::PROFILE.kinds;
        let a = RelationAttributes::default();
        for (i, x) in kinds.iter().enumerate() {
            for y in kinds {
                let (from, to) = (copper(1, x), copper(2, y));
                let p = Proposal {
                    ty: &t,
                    from: &from,
                    to: &to,
                    attributes: &a,
                    two_way: false,
                };
                let listed = sources::copper::PAIRS
                    .iter()
                    .any(|(m, n)| (m == x && n == y) || (m == y && n == x));
                let verdict = evaluate(&p, &Facts::default());
                assert_eq!(
                    verdict == Verdict::Write,
                    listed,
                    "{x} -> {y} ({i}): {verdict:?}"
                );
                if !listed {
                    assert_eq!(rules_of(&verdict), vec![Rule::PairNotAllowed]);
                }
            }
        }
    }

    /// Name, type, from, to, attributes, two-way, the rules broken.
    type Case<'a> = (
        &'a str,
        &'a RelationType,
        Entity,
        Entity,
        RelationAttributes,
        bool,
        Vec<Rule>,
    );

    #[test]
    fn shape_rules_table() {
        let copper_t = ty(&sources::copper::PROFILE, "related");
        let kanka_t = ty(&sources::kanka::PROFILE, "relation");
        let copy_t = ty(&sources::umbraco::PROFILE, "relateDocumentOnCopy");
        let dep_t = ty(&sources::umbraco::PROFILE, "umbDocument");
        let k = |id, space: &str| entity(id, "kanka", space, "character");
        let u = |id, kind: &str| entity(id, "umbraco", "site", kind);
        let long = |n: usize| "x".repeat(n);
        let cases: Vec<Case<'_>> = vec![
            (
                "copper takes no label",
                &copper_t,
                copper(1, "person"),
                copper(2, "company"),
                label("hi"),
                false,
                vec![Rule::AttributeNotAllowed],
            ),
            (
                "copper is never two-way",
                &copper_t,
                copper(1, "person"),
                copper(2, "company"),
                RelationAttributes::default(),
                true,
                vec![Rule::AttributeNotAllowed],
            ),
            (
                "copper stays in one account",
                &copper_t,
                copper(1, "person"),
                entity(2, "copper", "other", "company"),
                RelationAttributes::default(),
                false,
                vec![Rule::CrossSpace],
            ),
            (
                "kanka needs a label",
                &kanka_t,
                k(1, "1"),
                k(2, "1"),
                RelationAttributes::default(),
                false,
                vec![Rule::LabelRequired],
            ),
            (
                "a blank label is none",
                &kanka_t,
                k(1, "1"),
                k(2, "1"),
                label("  "),
                false,
                vec![Rule::LabelRequired],
            ),
            (
                "255 characters fit",
                &kanka_t,
                k(1, "1"),
                k(2, "1"),
                label(&long(255)),
                false,
                vec![],
            ),
            (
                "256 do not",
                &kanka_t,
                k(1, "1"),
                k(2, "1"),
                label(&long(256)),
                false,
                vec![Rule::FieldTooLong],
            ),
            (
                "attitude -100 fits",
                &kanka_t,
                k(1, "1"),
                k(2, "1"),
                RelationAttributes {
                    attitude: Some(-100),
                    ..label("x")
                },
                false,
                vec![],
            ),
            (
                "attitude 101 does not",
                &kanka_t,
                k(1, "1"),
                k(2, "1"),
                RelationAttributes {
                    attitude: Some(101),
                    ..label("x")
                },
                false,
                vec![Rule::OutOfRange],
            ),
            (
                "colour is #rrggbb",
                &kanka_t,
                k(1, "1"),
                k(2, "1"),
                RelationAttributes {
                    colour: Some("#A0b1C2".into()),
                    ..label("x")
                },
                false,
                vec![],
            ),
            (
                "not a colour",
                &kanka_t,
                k(1, "1"),
                k(2, "1"),
                RelationAttributes {
                    colour: Some("red".into()),
                    ..label("x")
                },
                false,
                vec![Rule::InvalidFormat],
            ),
            (
                "no self relation",
                &kanka_t,
                k(1, "1"),
                k(1, "1"),
                label("me"),
                false,
                vec![Rule::SelfRelation],
            ),
            (
                "one campaign",
                &kanka_t,
                k(1, "1"),
                k(2, "2"),
                label("x"),
                false,
                vec![Rule::CrossSpace],
            ),
            (
                "every violation at once",
                &kanka_t,
                k(1, "1"),
                k(1, "1"),
                RelationAttributes {
                    attitude: Some(500),
                    colour: Some("#12".into()),
                    ..Default::default()
                },
                true,
                vec![
                    Rule::SelfRelation,
                    Rule::LabelRequired,
                    Rule::OutOfRange,
                    Rule::InvalidFormat,
                ],
            ),
            (
                "kanka private and pinned",
                &kanka_t,
                k(1, "1"),
                k(2, "1"),
                RelationAttributes {
                    is_private: true,
                    pinned: true,
                    ..label("x")
                },
                true,
                vec![],
            ),
            (
                "umbraco copies documents",
                &copy_t,
                u(1, "document"),
                u(2, "document"),
                RelationAttributes::default(),
                false,
                vec![],
            ),
            (
                "not media",
                &copy_t,
                u(1, "media"),
                u(2, "document"),
                RelationAttributes::default(),
                false,
                vec![Rule::PairNotAllowed],
            ),
            (
                "comment up to 1000",
                &copy_t,
                u(1, "document"),
                u(2, "document"),
                RelationAttributes {
                    comment: Some(long(1000)),
                    ..Default::default()
                },
                false,
                vec![],
            ),
            (
                "comment 1001",
                &copy_t,
                u(1, "document"),
                u(2, "document"),
                RelationAttributes {
                    comment: Some(long(1001)),
                    ..Default::default()
                },
                false,
                vec![Rule::FieldTooLong],
            ),
            (
                "umbraco takes no label",
                &copy_t,
                u(1, "document"),
                u(2, "document"),
                label("x"),
                false,
                vec![Rule::AttributeNotAllowed],
            ),
            (
                "dependencies are system-managed",
                &dep_t,
                u(1, "document"),
                u(2, "media"),
                RelationAttributes::default(),
                false,
                vec![Rule::SystemManaged],
            ),
        ];
        for (name, t, from, to, attributes, two_way, expected) in cases {
            let p = Proposal {
                ty: t,
                from: &from,
                to: &to,
                attributes: &attributes,
                two_way,
            };
            assert_eq!(
                rules_of(&evaluate(&p, &Facts::default())),
                expected,
                "{name}"
            );
        }
    }

    fn relation(id: i64, from: i64, to: i64) -> Relation {
        Relation::bare(id, 1, from, to, chrono::Utc::now())
    }

    #[test]
    fn duplicates_follow_the_types_policy() {
        let same = Facts {
            same_ends: vec![relation(9, 2, 1)],
            ..Default::default()
        };
        let copper_t = ty(&sources::copper::PROFILE, "related");
        let (p1, c2) = (copper(1, "person"), copper(2, "company"));
        let none = RelationAttributes::default();
        let p = Proposal {
            ty: &copper_t,
            from: &p1,
            to: &c2,
            attributes: &none,
            two_way: false,
        };
        match evaluate(&p, &same) {
            Verdict::Existing(r) => assert_eq!(r.id, 9, "the pair in either order"),
            other => panic!("{other:?}"),
        }

        let copy_t = ty(&sources::umbraco::PROFILE, "relateDocumentOnCopy");
        let (d1, d2) = (
            entity(1, "umbraco", "s", "document"),
            entity(2, "umbraco", "s", "document"),
        );
        let p = Proposal {
            ty: &copy_t,
            from: &d1,
            to: &d2,
            attributes: &none,
            two_way: false,
        };
        assert_eq!(rules_of(&evaluate(&p, &same)), vec![Rule::Duplicate]);

        let kanka_t = ty(&sources::kanka::PROFILE, "relation");
        let (k1, k2) = (
            entity(1, "kanka", "1", "character"),
            entity(2, "kanka", "1", "family"),
        );
        let l = label("again");
        let p = Proposal {
            ty: &kanka_t,
            from: &k1,
            to: &k2,
            attributes: &l,
            two_way: false,
        };
        assert_eq!(evaluate(&p, &same), Verdict::Write);
    }

    #[test]
    fn copper_limits_apply_at_either_end_and_name_the_holder() {
        let t = ty(&sources::copper::PROFILE, "related");
        let none = RelationAttributes::default();
        let (person, company, opp, task) = (
            copper(1, "person"),
            copper(2, "company"),
            copper(3, "opportunity"),
            copper(4, "task"),
        );
        // person -> company: the person's company limit (the company has none).
        let p = Proposal {
            ty: &t,
            from: &company,
            to: &person,
            attributes: &none,
            two_way: false,
        };
        let limits = applicable_limits(&p);
        assert_eq!(limits.len(), 1);
        assert_eq!(limits[0].at.id, person.id);
        let held = Facts {
            limit_holders: vec![vec![Holder::Visible {
                kind: "company".into(),
                external_id: "70".into(),
            }]],
            ..Default::default()
        };
        match evaluate(&p, &held) {
            Verdict::Refuse(v) => {
                assert_eq!(v[0].rule, Rule::LimitExceeded);
                assert_eq!(
                    v[0].message,
                    "a person can be related to at most one company; person 10 already is (to company 70)"
                );
            }
            other => panic!("{other:?}"),
        }
        // A person's opportunities are not limited.
        let p = Proposal {
            ty: &t,
            from: &person,
            to: &opp,
            attributes: &none,
            two_way: false,
        };
        assert!(applicable_limits(&p).is_empty());
        // A task relates to one record in total, whatever its kind; a hidden
        // private holder is counted but not named.
        let p = Proposal {
            ty: &t,
            from: &opp,
            to: &task,
            attributes: &none,
            two_way: false,
        };
        let hidden = Facts {
            limit_holders: vec![vec![Holder::Hidden]],
            ..Default::default()
        };
        match evaluate(&p, &hidden) {
            Verdict::Refuse(v) => assert_eq!(
                v[0].message,
                "a task can be related to at most one record; task 40 has 1 such relation"
            ),
            other => panic!("{other:?}"),
        }
        let free = Facts {
            limit_holders: vec![vec![]],
            ..Default::default()
        };
        assert_eq!(evaluate(&p, &free), Verdict::Write);
    }

    #[test]
    fn updates_follow_updatable_and_the_attribute_rules() {
        let copper_t = ty(&sources::copper::PROFILE, "related");
        let kanka_t = ty(&sources::kanka::PROFILE, "relation");
        let copy_t = ty(&sources::umbraco::PROFILE, "relateDocumentOnCopy");
        let dep_t = ty(&sources::umbraco::PROFILE, "umbMember");
        let rules = |v: Vec<Violation>| v.into_iter().map(|v| v.rule).collect::<Vec<_>>();
        assert_eq!(
            rules(check_update(&copper_t, &RelationAttributes::default())),
            vec![Rule::NotUpdatable]
        );
        assert_eq!(
            rules(check_update(&copy_t, &RelationAttributes::default())),
            vec![Rule::NotUpdatable]
        );
        assert_eq!(
            rules(check_update(&dep_t, &RelationAttributes::default())),
            vec![Rule::SystemManaged]
        );
        assert_eq!(rules(check_update(&kanka_t, &label("ok"))), vec![]);
        assert_eq!(
            rules(check_update(&kanka_t, &label(""))),
            vec![Rule::LabelRequired]
        );
        assert_eq!(rules(check_removal(&dep_t)), vec![Rule::SystemManaged]);
        assert_eq!(rules(check_removal(&kanka_t)), vec![]);
    }

    #[test]
    fn an_entity_keeps_its_kind() {
        let ada = entity(1, "kanka", "7", "character");
        assert!(check_kind(&ada, "character").is_empty());
        let refused = check_kind(&ada, "location");
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].rule, Rule::KindMismatch);
        assert!(
            refused[0]
                .message
                .contains("is a character, not a location")
        );
    }
}
