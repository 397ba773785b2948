//! Property test: random sequences of relate, unrelate and update over a few
//! Copper and Kanka entities, through HTTP, each step checked against a small
//! in-memory model of the rules (outcome, rule, and the whole store).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::helpers::{Engine, TestApp, code};

/// The entities every case uses: (source, space, kind, external id).
const ENTITIES: &[(&str, &str, &str, &str)] = &[
    ("copper", "default", "person", "1"),
    ("copper", "default", "person", "2"),
    ("copper", "default", "company", "3"),
    ("copper", "default", "company", "4"),
    ("copper", "default", "task", "5"),
    ("copper", "default", "opportunity", "6"),
    ("kanka", "1", "character", "7"),
    ("kanka", "1", "character", "8"),
    ("kanka", "1", "location", "9"),
    ("kanka", "2", "character", "10"),
];
const COPPER: std::ops::Range<usize> = 0..6;
const KANKA: std::ops::Range<usize> = 6..10;

#[derive(Debug, Clone)]
enum Op {
    Copper(usize, usize),
    Kanka {
        from: usize,
        to: usize,
        label: Option<String>,
        two_way: bool,
    },
    Unrelate {
        pick: usize,
        include_mirror: bool,
    },
    Update {
        pick: usize,
        label: Option<String>,
        sync: bool,
    },
}

fn label() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        Just(Some("friends".to_owned())),
        Just(Some("x".repeat(256))),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (COPPER, COPPER).prop_map(|(a, b)| Op::Copper(a, b)),
        (KANKA, KANKA, label(), any::<bool>()).prop_map(|(from, to, label, two_way)| Op::Kanka {
            from,
            to,
            label,
            two_way
        }),
        (0..8usize, any::<bool>()).prop_map(|(pick, include_mirror)| Op::Unrelate {
            pick,
            include_mirror
        }),
        (0..8usize, label(), any::<bool>()).prop_map(|(pick, label, sync)| Op::Update {
            pick,
            label,
            sync
        }),
    ]
}

/// A relation in the model: type alias, from and to (indexes into
/// `ENTITIES`), label, the API id, and its mirror's API id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rel {
    id: String,
    alias: &'static str,
    from: usize,
    to: usize,
    label: Option<String>,
    mirror: Option<String>,
}

fn kind(i: usize) -> &'static str {
    ENTITIES[i].2
}

/// The rules a relate would break, per the model; `Ok(existing)` when a
/// Copper pair is already related.
fn copper_outcome(
    model: &[Rel],
    a: usize,
    b: usize,
) -> Result<Option<String>, BTreeSet<&'static str>> {
    let pairs = copper_pairs();
    let mut broken = BTreeSet::new();
    if a == b {
        broken.insert("SELF_RELATION");
    }
    if !pairs.contains(&(kind(a), kind(b))) && !pairs.contains(&(kind(b), kind(a))) {
        broken.insert("PAIR_NOT_ALLOWED");
    }
    if !broken.is_empty() {
        return Err(broken);
    }
    let copper: Vec<&Rel> = model.iter().filter(|r| r.alias == "related").collect();
    if let Some(r) = copper
        .iter()
        .find(|r| (r.from == a && r.to == b) || (r.from == b && r.to == a))
    {
        return Ok(Some(r.id.clone()));
    }
    let at = |x: usize| copper.iter().filter(move |r| r.from == x || r.to == x);
    let other = |r: &Rel, x: usize| if r.from == x { r.to } else { r.from };
    for (x, y) in [(a, b), (b, a)] {
        let full = match (kind(x), kind(y)) {
            ("person", "company") => at(x).any(|r| kind(other(r, x)) == "company"),
            ("task", _) => at(x).count() >= 1,
            _ => false,
        };
        if full {
            broken.insert("LIMIT_EXCEEDED");
        }
    }
    if broken.is_empty() {
        Ok(None)
    } else {
        Err(broken)
    }
}

fn copper_pairs() -> Vec<(&'static str, &'static str)> {
    relgate::sources::copper::PAIRS.to_vec()
}

fn label_rules(label: &Option<String>) -> BTreeSet<&'static str> {
    match label.as_deref().map(str::trim) {
        None | Some("") => BTreeSet::from(["LABEL_REQUIRED"]),
        Some(l) if l.chars().count() > 255 => BTreeSet::from(["FIELD_TOO_LONG"]),
        _ => BTreeSet::new(),
    }
}

fn rules_of(response: &Value) -> BTreeSet<String> {
    response["errors"][0]["extensions"]["violations"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|v| v["rule"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

const RELATE: &str =
    "mutation($i: RelateInput!) { relate(input: $i) { created relation { id } mirror { id } } }";
const UNRELATE: &str = "mutation($i: UnrelateInput!) { unrelate(input: $i) { removedIds } }";
const UPDATE: &str =
    "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { id } } }";
const STATE: &str = "{ relations(first: 100) { edges { node { id type { alias } from { id } to { id } label mirror { id } } } } }";

struct Case<'a> {
    app: &'a TestApp,
    ids: Vec<String>,
    types: (String, String),
}

impl Case<'_> {
    async fn observed(&self) -> Vec<Rel> {
        let data = self.app.data(STATE, json!({})).await;
        let index = |id: &Value| {
            self.ids
                .iter()
                .position(|x| x == id.as_str().unwrap())
                .unwrap()
        };
        let mut out: Vec<Rel> = data["relations"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let n = &e["node"];
                Rel {
                    id: n["id"].as_str().unwrap().to_owned(),
                    alias: if n["type"]["alias"] == "related" {
                        "related"
                    } else {
                        "relation"
                    },
                    from: index(&n["from"]["id"]),
                    to: index(&n["to"]["id"]),
                    label: n["label"].as_str().map(str::to_owned),
                    mirror: n["mirror"]["id"].as_str().map(str::to_owned),
                }
            })
            .collect();
        out.sort();
        out
    }

    async fn step(&self, model: &mut Vec<Rel>, op: &Op) {
        match op {
            Op::Copper(a, b) => {
                let res = self
                    .app
                    .gql(RELATE, json!({"i": {"typeId": self.types.0, "fromId": self.ids[*a], "toId": self.ids[*b]}}))
                    .await;
                match copper_outcome(model, *a, *b) {
                    Err(expected) => {
                        assert_eq!(
                            code(&res["errors"][0]),
                            "CONSTRAINT_VIOLATION",
                            "{op:?} {res:#}"
                        );
                        let got = rules_of(&res);
                        let want: BTreeSet<String> =
                            expected.iter().map(|s| s.to_string()).collect();
                        assert_eq!(got, want, "{op:?}");
                    }
                    Ok(existing) => {
                        let data = TestApp::data_of(res);
                        let id = data["relate"]["relation"]["id"]
                            .as_str()
                            .unwrap()
                            .to_owned();
                        assert_eq!(data["relate"]["created"], existing.is_none(), "{op:?}");
                        match existing {
                            Some(e) => assert_eq!(e, id),
                            None => model.push(Rel {
                                id,
                                alias: "related",
                                from: *a,
                                to: *b,
                                label: None,
                                mirror: None,
                            }),
                        }
                    }
                }
            }
            Op::Kanka {
                from,
                to,
                label,
                two_way,
            } => {
                let res = self
                    .app
                    .gql(
                        RELATE,
                        json!({"i": {"typeId": self.types.1, "fromId": self.ids[*from],
                        "toId": self.ids[*to], "label": label, "twoWay": two_way}}),
                    )
                    .await;
                let mut expected = BTreeSet::new();
                if from == to {
                    expected.insert("SELF_RELATION");
                }
                if ENTITIES[*from].1 != ENTITIES[*to].1 {
                    expected.insert("CROSS_SPACE");
                }
                expected.extend(label_rules(label));
                if expected.is_empty() {
                    let data = TestApp::data_of(res);
                    let id = data["relate"]["relation"]["id"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                    let mirror = data["relate"]["mirror"]["id"].as_str().map(str::to_owned);
                    model.push(Rel {
                        id: id.clone(),
                        alias: "relation",
                        from: *from,
                        to: *to,
                        label: label.clone(),
                        mirror: mirror.clone(),
                    });
                    if let Some(m) = mirror {
                        model.push(Rel {
                            id: m,
                            alias: "relation",
                            from: *to,
                            to: *from,
                            label: label.clone(),
                            mirror: Some(id),
                        });
                    }
                } else {
                    let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
                    assert_eq!(rules_of(&res), want, "{op:?} {res:#}");
                }
            }
            Op::Unrelate {
                pick,
                include_mirror,
            } => {
                if model.is_empty() {
                    return;
                }
                let target = model[pick % model.len()].clone();
                let res = self
                    .app
                    .gql(
                        UNRELATE,
                        json!({"i": {"id": target.id, "includeMirror": include_mirror}}),
                    )
                    .await;
                TestApp::data_of(res);
                model.retain(|r| {
                    r.id != target.id && !(*include_mirror && Some(&r.id) == target.mirror.as_ref())
                });
                for r in model.iter_mut() {
                    if r.mirror.as_ref() == Some(&target.id) {
                        r.mirror = None;
                    }
                }
            }
            Op::Update { pick, label, sync } => {
                if model.is_empty() {
                    return;
                }
                let target = model[pick % model.len()].clone();
                let res = self
                    .app
                    .gql(
                        UPDATE,
                        json!({"i": {"id": target.id, "label": label, "syncMirror": sync}}),
                    )
                    .await;
                let new_label = label.clone().or(target.label.clone());
                let expected = if target.alias == "related" {
                    BTreeSet::from(["NOT_UPDATABLE"])
                } else {
                    label_rules(&new_label)
                };
                if expected.is_empty() {
                    TestApp::data_of(res);
                    for r in model.iter_mut() {
                        let is_target = r.id == target.id;
                        let is_synced_mirror = *sync && target.mirror.as_ref() == Some(&r.id);
                        if is_target || is_synced_mirror {
                            r.label = new_label.clone();
                        }
                    }
                } else {
                    let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
                    assert_eq!(rules_of(&res), want, "{op:?} {res:#}");
                }
            }
        }
    }
}

static CASES: AtomicUsize = AtomicUsize::new(0);

async fn run_case(app: &TestApp, ops: &[Op]) {
    // Start from an empty store: deleting the entities takes their relations.
    let all = app
        .data(
            "{ entities(first: 100) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    for e in all["entities"]["edges"].as_array().unwrap() {
        app.data(
            "mutation($i: DeleteEntityInput!) { deleteEntity(input: $i) { deletedId } }",
            json!({"i": {"id": e["node"]["id"]}}),
        )
        .await;
    }
    CASES.fetch_add(1, Ordering::Relaxed);
    let mut ids = Vec::new();
    for (source, space, kind, external_id) in ENTITIES {
        ids.push(app.entity(source, space, kind, external_id).await);
    }
    let case = Case {
        app,
        ids,
        types: (
            app.type_id("copper", "related").await,
            app.type_id("kanka", "relation").await,
        ),
    };
    let mut model: Vec<Rel> = Vec::new();
    for op in ops {
        case.step(&mut model, op).await;
        let mut expected = model.clone();
        expected.sort();
        assert_eq!(case.observed().await, expected, "after {op:?}");
    }
}

fn property_on(engine: Engine) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let Some((app, running)) = rt.block_on(TestApp::spawn(engine)) else {
        return;
    };
    let mut runner = TestRunner::new(Config {
        cases: 24,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&proptest::collection::vec(op(), 1..16), |ops| {
        rt.block_on(run_case(&app, &ops));
        Ok(())
    });
    rt.block_on(running.teardown());
    if let Err(e) = outcome {
        panic!("{e}");
    }
    assert!(CASES.load(Ordering::Relaxed) >= 24);
}

mod random_writes_follow_the_model {
    #[test]
    fn sqlite() {
        super::property_on(super::Engine::Sqlite)
    }

    #[test]
    fn postgres() {
        super::property_on(super::Engine::Postgres)
    }
}
