//! `relgate demo seed`: a small data set of all three sources, written
//! through the service (so it obeys every rule), safe to run again.

use crate::auth::Principal;
use crate::domain::{Attributes, RelationFilter, Visibility};
use crate::error::{AppError, AppResult};
use crate::read::{self, Reader};
use crate::service::{Relate, Service, UpsertEntity};

type Key = (&'static str, &'static str, &'static str, &'static str);

/// An entity of the demo: (source, space, kind, external id) and a name.
const ENTITIES: &[(Key, &str)] = &[
    (("copper", "default", "person", "1"), "Ada Lovelace"),
    (
        ("copper", "default", "company", "10"),
        "Analytical Engines Ltd",
    ),
    (
        ("copper", "default", "opportunity", "100"),
        "Difference engine upgrade",
    ),
    (("copper", "default", "project", "200"), "Engine rollout"),
    (("copper", "default", "task", "300"), "Order brass gears"),
    (
        (
            "umbraco",
            "demo-site",
            "document",
            "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31",
        ),
        "About us",
    ),
    (
        (
            "umbraco",
            "demo-site",
            "document",
            "e0c5f0e5-c1f0-4422-9ac0-6dbb536e8eb5",
        ),
        "About us (copy)",
    ),
    (
        (
            "umbraco",
            "demo-site",
            "media",
            "5b7a1c3e-0d2f-4e6a-9b8c-1d2e3f4a5b6c",
        ),
        "Team photo",
    ),
    (("kanka", "1", "character", "168"), "Ilsa the Navigator"),
    (("kanka", "1", "character", "72"), "Brom"),
    (("kanka", "1", "location", "5"), "Harbour Town"),
];

/// A relation of the demo: type (source, alias), from, to, label, comment,
/// two-way, private.
type DemoRelation = (
    (&'static str, &'static str),
    Key,
    Key,
    Option<&'static str>,
    Option<&'static str>,
    bool,
    bool,
);

const RELATIONS: &[DemoRelation] = &[
    (
        ("copper", "related"),
        ("copper", "default", "person", "1"),
        ("copper", "default", "company", "10"),
        None,
        None,
        false,
        false,
    ),
    (
        ("copper", "related"),
        ("copper", "default", "person", "1"),
        ("copper", "default", "opportunity", "100"),
        None,
        None,
        false,
        false,
    ),
    (
        ("copper", "related"),
        ("copper", "default", "company", "10"),
        ("copper", "default", "opportunity", "100"),
        None,
        None,
        false,
        false,
    ),
    (
        ("copper", "related"),
        ("copper", "default", "opportunity", "100"),
        ("copper", "default", "project", "200"),
        None,
        None,
        false,
        false,
    ),
    (
        ("copper", "related"),
        ("copper", "default", "task", "300"),
        ("copper", "default", "project", "200"),
        None,
        None,
        false,
        false,
    ),
    (
        ("umbraco", "relateDocumentOnCopy"),
        (
            "umbraco",
            "demo-site",
            "document",
            "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31",
        ),
        (
            "umbraco",
            "demo-site",
            "document",
            "e0c5f0e5-c1f0-4422-9ac0-6dbb536e8eb5",
        ),
        None,
        Some("Copied for the autumn campaign"),
        false,
        false,
    ),
    (
        ("kanka", "relation"),
        ("kanka", "1", "character", "168"),
        ("kanka", "1", "character", "72"),
        Some("Just Friends"),
        None,
        true,
        false,
    ),
    (
        ("kanka", "relation"),
        ("kanka", "1", "character", "168"),
        ("kanka", "1", "location", "5"),
        Some("Was born in"),
        None,
        false,
        false,
    ),
    (
        ("kanka", "relation"),
        ("kanka", "1", "character", "72"),
        ("kanka", "1", "location", "5"),
        Some("Owes a debt in"),
        None,
        false,
        true,
    ),
];

async fn entity_id(service: &Service, key: Key) -> AppResult<i64> {
    let (source, space, kind, id) = key;
    let k = service.entity_key(source, Some(space), Some(kind), id)?;
    read::entities::by_key(&Reader::new(service.store()), &k)
        .await?
        .map(|e| e.id)
        .ok_or_else(|| AppError::not_found(format!("demo entity {source} {kind} {id}")))
}

/// Writes the demo data; returns a one-line summary.
pub async fn seed(service: &Service) -> AppResult<String> {
    let admin = Principal::open_mode().via(crate::domain::Origin::Seed, None);
    let mut created_entities = 0;
    for ((source, space, kind, external_id), name) in ENTITIES {
        let (_, created) = service
            .upsert_entity(
                &admin,
                UpsertEntity {
                    source: (*source).to_owned(),
                    space: Some((*space).to_owned()),
                    kind: (*kind).to_owned(),
                    external_id: (*external_id).to_owned(),
                    name: Some((*name).to_owned()),
                },
            )
            .await?;
        created_entities += usize::from(created);
    }
    let mut created_relations = 0;
    let all = Visibility {
        include_private: true,
    };
    for ((source, alias), from, to, label, comment, two_way, private) in RELATIONS {
        let db = Reader::new(service.store());
        let ty = read::relation_types::by_alias(&db, source, alias)
            .await?
            .ok_or_else(|| AppError::not_found(format!("relation type {source} {alias}")))?;
        let from_id = entity_id(service, *from).await?;
        let to_id = entity_id(service, *to).await?;
        let filter = RelationFilter {
            type_id: Some(ty.id),
            from_id: Some(from_id),
            to_id: Some(to_id),
            ..Default::default()
        };
        if read::relations::count(&db, &filter, all).await? > 0 {
            continue;
        }
        service
            .relate(
                &admin,
                Relate {
                    type_id: ty.id,
                    from_id,
                    to_id,
                    attributes: Attributes {
                        label: label.map(str::to_owned),
                        comment: comment.map(str::to_owned),
                        is_private: Some(*private),
                        ..Default::default()
                    },
                    two_way: *two_way,
                },
            )
            .await?;
        created_relations += 1;
    }
    Ok(format!(
        "demo data: {created_entities} entities and {created_relations} relations created ({} entities, {} relations in the demo)",
        ENTITIES.len(),
        RELATIONS.len()
    ))
}

/// How much data `relgate demo seed --entities N --relations M` writes.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Entities to add.
    pub entities: u64,
    /// Relations to add (a two-way pair counts as two).
    pub relations: u64,
}

/// Rows per multi-row INSERT: 2,000 rows of 13 columns stay under SQLite's
/// 32,766 bound variables (and PostgreSQL's 65,535).
const BATCH: usize = 2000;

/// Adds `scale.entities` entities and `scale.relations` relations of all
/// three sources that obey every built-in rule, with multi-row inserts (the
/// contract is satisfied by construction rather than checked row by row):
///
/// - Copper (a fifth of the entities): every person related to one company,
///   every task to one project, and opportunities related to people,
///   companies and projects: only allowed pairs, within the limits, no pair
///   twice.
/// - Umbraco (a fifth): document copies (`relateDocumentOnCopy`), each
///   (parent, child) once, with a comment.
/// - Kanka (the rest, in 10 campaigns): labelled relations within a campaign,
///   never to themselves; a fifth of them two-way (with mirrors), one in
///   twenty private.
///
/// Row ids are assigned here (after the current maximum), so a relation and
/// its mirror can point at each other within one statement. `progress` is
/// called with (rows written, rows to write).
pub async fn seed_at_scale(
    service: &Service,
    scale: Scale,
    mut progress: impl FnMut(u64, u64),
) -> AppResult<String> {
    use crate::service::{NewEntityRow, NewRelationRow};

    let reader = Reader::new(service.store());
    let reader = &reader;
    let type_id = |source: &'static str, alias: &'static str| async move {
        read::relation_types::by_alias(reader, source, alias)
            .await?
            .map(|t| t.id)
            .ok_or_else(|| AppError::not_found(format!("relation type {source} {alias}")))
    };
    let copper_t = type_id("copper", "related").await?;
    let umbraco_t = type_id("umbraco", "relateDocumentOnCopy").await?;
    let kanka_t = type_id("kanka", "relation").await?;
    let (first_entity, first_relation) = service.bulk_next_ids().await?;
    let total = scale.entities + scale.relations;
    let mut done = 0u64;

    // --- entities -----------------------------------------------------------
    let n = scale.entities.max(30);
    let copper_n = n / 5;
    let umbraco_n = n / 5;
    let plan = CopperPlan::from_profile();
    let mut entities: Vec<NewEntityRow> = Vec::with_capacity(n as usize);
    let mut copper: Vec<Vec<i64>> = vec![Vec::new(); plan.kinds.len()];
    let mut documents: Vec<i64> = Vec::new();
    let mut campaigns: Vec<Vec<i64>> = vec![Vec::new(); 10];
    for i in 0..n {
        let id = first_entity + i as i64;
        let (source, space, kind, external_id) = if i < copper_n {
            let k = (i % plan.kinds.len() as u64) as usize;
            copper[k].push(id);
            (
                "copper",
                "default".to_owned(),
                plan.kinds[k],
                (1_000_000 + id).to_string(),
            )
        } else if i < copper_n + umbraco_n {
            documents.push(id);
            let guid = format!("{:08x}-0000-4000-8000-{:012x}", id, id);
            ("umbraco", "demo-scale".to_owned(), "document", guid)
        } else {
            let c = (i % 10) as usize;
            campaigns[c].push(id);
            let kind = if i % 7 == 0 { "location" } else { "character" };
            (
                "kanka",
                format!("scale-{c}"),
                kind,
                (1_000_000 + id).to_string(),
            )
        };
        entities.push(NewEntityRow {
            id,
            source,
            space,
            kind,
            external_id,
            name: format!("{kind} {id}"),
        });
    }
    for chunk in entities.chunks(BATCH) {
        service.bulk_insert_entities(chunk).await?;
        done += chunk.len() as u64;
        progress(done, total);
    }

    // --- relations ----------------------------------------------------------
    let mut next_id = first_relation;
    let mut rows: Vec<NewRelationRow> = Vec::with_capacity(BATCH + 1);
    let mut written = 0u64;
    let target = scale.relations;
    let flush = |rows: &mut Vec<NewRelationRow>| {
        let batch = std::mem::take(rows);
        async move {
            service
                .bulk_insert_relations(&batch)
                .await
                .map(|()| batch.len() as u64)
        }
    };
    let mut push =
        |rows: &mut Vec<NewRelationRow>, ty, from, to, label: Option<String>, private| {
            let id = next_id;
            next_id += 1;
            rows.push(NewRelationRow::new(id, ty, from, to, label, private));
            id
        };
    // Copper: the limited relations first (as the profile's limits say:
    // one company per person, one record per task), then the hub's
    // relations with each kind it may relate to.
    let mut copper_pairs: Vec<(i64, i64)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for &(kind, max, partner) in &plan.limited {
        let partners = &copper[partner];
        for (i, e) in copper[kind].iter().enumerate() {
            for j in 0..max as usize {
                copper_pairs.push((*e, partners[(i * max as usize + j) % partners.len()]));
            }
        }
    }
    'hub: for (k, others) in plan.hub_partners.iter().map(|p| &copper[*p]).enumerate() {
        for (i, o) in copper[plan.hub].iter().enumerate() {
            for j in 0..3 {
                let other = others[(i * 3 + j + k) % others.len()];
                if seen.insert((*o, other)) {
                    copper_pairs.push((*o, other));
                }
                if copper_pairs.len() as u64 >= target / 5 {
                    break 'hub;
                }
            }
        }
    }
    let umbraco_budget = target / 5;
    let mut budget_left = target;
    for (a, b) in copper_pairs {
        if budget_left == 0 {
            break;
        }
        push(&mut rows, copper_t, a, b, None, false);
        budget_left -= 1;
        if rows.len() >= BATCH {
            written += flush(&mut rows).await?;
            progress(done + written, total);
        }
    }
    // Umbraco: document i copied to the next `step` documents.
    let mut umbraco_written = 0u64;
    'docs: for step in 1..documents.len() {
        for (i, parent) in documents.iter().enumerate() {
            if umbraco_written >= umbraco_budget || budget_left == 0 {
                break 'docs;
            }
            let child = documents[(i + step) % documents.len()];
            let r = push(&mut rows, umbraco_t, *parent, child, None, false);
            if let Some(last) = rows.last_mut() {
                last.attributes.comment = Some(format!("copy {r}"));
            }
            umbraco_written += 1;
            budget_left -= 1;
            if rows.len() >= BATCH {
                written += flush(&mut rows).await?;
                progress(done + written, total);
            }
        }
    }
    // Kanka: fill the rest, within each campaign; every fifth one two-way.
    // Three in four have an attitude (spread over -100..=100), one in eight
    // is pinned: what the filters and orders of `Entity.relations` read.
    let attitude = |k: usize| (k % 4 != 3).then(|| ((k * 37) % 201) as i32 - 100);
    let pinned = |k: usize| k.is_multiple_of(8);
    let labels = [
        "Friend",
        "Rival",
        "Mentor",
        "Sibling",
        "Was born in",
        "Owes a debt to",
    ];
    let mut k = 0usize;
    if campaigns.iter().all(|c| c.len() < 2) {
        budget_left = 0;
    }
    while budget_left > 0 {
        let c = &campaigns[k % campaigns.len()];
        if c.len() < 2 {
            k += 1;
            continue;
        }
        let from = c[(k / campaigns.len()) % c.len()];
        let to = c[(k / campaigns.len() + 1 + k % (c.len() - 1)) % c.len()];
        let label = Some(labels[k % labels.len()].to_owned());
        let private = k % 20 == 19;
        let before = rows.len();
        if k.is_multiple_of(5) && budget_left >= 2 {
            let a = push(&mut rows, kanka_t, from, to, label.clone(), private);
            let b = push(&mut rows, kanka_t, to, from, label, private);
            let len = rows.len();
            rows[len - 2].mirror_id = Some(b);
            rows[len - 1].mirror_id = Some(a);
            budget_left -= 2;
        } else {
            push(&mut rows, kanka_t, from, to, label, private);
            budget_left -= 1;
        }
        // A pair's two sides alike, as a mirror's attributes are.
        for row in &mut rows[before..] {
            row.attributes.attitude = attitude(k);
            row.attributes.pinned = pinned(k);
        }
        k += 1;
        // Never split a pair: a mirror must be in the statement of its twin.
        if rows.len() >= BATCH {
            written += flush(&mut rows).await?;
            progress(done + written, total);
        }
    }
    if !rows.is_empty() {
        written += flush(&mut rows).await?;
    }
    service.bulk_finish(first_relation).await?;
    progress(done + written, total);
    Ok(format!(
        "demo data at scale: {} entities and {written} relations added",
        entities.len()
    ))
}

/// What the Copper part of the scale seed relates, read from the profile's
/// `related` contract (its pairs and limits), so that it stays within them
/// when they change:
/// - the kinds seeded, in the profile's order: those with a partner that
///   is not limited to one relation in all (a lead's only partner is a
///   task, whose one relation goes to a project);
/// - for each limit, in the contract's order, each entity of its kind
///   related to `max` entities of a partner kind: the limit's first other
///   kind, or for a limit on all relations the last kind in the profile's
///   order that it may relate to and that is not limited itself;
/// - the hub, opportunities, related to each kind they may relate to that is
///   not limited to one relation in all.
struct CopperPlan {
    kinds: Vec<&'static str>,
    /// (kind, how many partners each gets, partner kind), as indexes into
    /// `kinds`.
    limited: Vec<(usize, u32, usize)>,
    hub: usize,
    hub_partners: Vec<usize>,
}

impl CopperPlan {
    fn from_profile() -> Self {
        use crate::sources::copper;
        let types = (copper::PROFILE.relation_types)();
        let contract = types
            .iter()
            .find(|t| t.alias == "related")
            .map(|t| t.contract.clone())
            .unwrap_or_default();
        let paired = |a: &str, b: &str| {
            contract.allowed_pairs.iter().any(|p| {
                (p.from.kind == a && p.to.kind == b) || (p.from.kind == b && p.to.kind == a)
            })
        };
        let one_in_all: Vec<&str> = contract
            .limits
            .iter()
            .filter(|l| l.other_kinds.is_empty())
            .map(|l| l.kind.kind.as_str())
            .collect();
        let limited_kinds: Vec<&str> = contract
            .limits
            .iter()
            .map(|l| l.kind.kind.as_str())
            .collect();
        let kinds: Vec<&'static str> = copper::PROFILE
            .kinds
            .iter()
            .copied()
            .filter(|k| {
                copper::PROFILE
                    .kinds
                    .iter()
                    .any(|p| paired(k, p) && !one_in_all.contains(p))
            })
            .collect();
        let index = |k: &str| kinds.iter().position(|x| *x == k);
        let limited = contract
            .limits
            .iter()
            .filter_map(|l| {
                let kind = index(&l.kind.kind)?;
                let partner = match l.other_kinds.first() {
                    Some(o) => index(&o.kind)?,
                    None => kinds
                        .iter()
                        .rposition(|p| paired(&l.kind.kind, p) && !limited_kinds.contains(p))?,
                };
                Some((kind, l.max, partner))
            })
            .collect();
        let hub = index("opportunity").unwrap_or(0);
        let hub_partners = (0..kinds.len())
            .filter(|p| paired(kinds[hub], kinds[*p]) && !one_in_all.contains(&kinds[*p]))
            .collect();
        Self {
            kinds,
            limited,
            hub,
            hub_partners,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CopperPlan;

    /// The plan read from today's profile is the one the seed has always
    /// written (so its data, and the benchmark's, stay the same).
    #[test]
    fn the_copper_plan_comes_from_the_profile() {
        let plan = CopperPlan::from_profile();
        assert_eq!(
            plan.kinds,
            ["person", "company", "opportunity", "project", "task"]
        );
        let name = |i: usize| plan.kinds[i];
        let limited: Vec<_> = plan
            .limited
            .iter()
            .map(|&(k, m, p)| (name(k), m, name(p)))
            .collect();
        assert_eq!(limited, [("person", 1, "company"), ("task", 1, "project")]);
        assert_eq!(name(plan.hub), "opportunity");
        let partners: Vec<_> = plan.hub_partners.iter().map(|p| name(*p)).collect();
        assert_eq!(partners, ["person", "company", "project"]);
    }
}
