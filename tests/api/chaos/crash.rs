//! A gateway killed with SIGKILL during a write storm (two-way relates,
//! unrelates, updates with `syncMirror`, Copper's one-company limit) loses
//! no write it acknowledged, leaves no half mirror pair and no limit
//! exceeded; a new process on the same store serves at once, with no repair
//! step.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::TestApp;
use crate::process::Process;

engine_tests!(a_gateway_killed_mid_storm_loses_no_acknowledged_write,);

const RELATE: &str =
    "mutation($i: RelateInput!) { relate(input: $i) { created relation { id mirror { id } } } }";
const UPDATE: &str =
    "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { id label } } }";
const UNRELATE: &str = "mutation($i: UnrelateInput!) { unrelate(input: $i) { removedIds } }";

/// What a worker's client was told, in order.
#[derive(Default)]
struct Acked {
    /// Relations it created: id -> mirror id.
    created: HashMap<String, String>,
    /// Relations it removed (with their mirrors).
    removed: Vec<String>,
    /// Per relation, the labels sent by updates: the last acknowledged, and
    /// those sent after it (which may have committed before the kill).
    labels: HashMap<String, (Option<String>, Vec<String>)>,
    /// The relation of an unrelate that was in flight when the process
    /// died: unacknowledged, it may or may not have been committed.
    unrelate_in_flight: Option<String>,
    /// Copper relates acknowledged.
    copper: usize,
    /// Writes acknowledged in all.
    writes: usize,
}

/// Sends one request; `None` when the connection failed (the process died).
async fn send(app: &TestApp, query: &str, variables: Value) -> Option<Value> {
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .ok()?;
    res.json().await.ok()
}

async fn worker(
    app: TestApp,
    w: usize,
    ty: String,
    copper_ty: String,
    ends: Vec<String>,
    people: Vec<String>,
    companies: Vec<String>,
) -> Acked {
    let mut acked = Acked::default();
    let mut mine: Vec<String> = Vec::new();
    for n in 0.. {
        let step = n % 5;
        let (query, vars, kind) = match step {
            0 | 1 => {
                let (a, b) = (
                    &ends[(w + n) % ends.len()],
                    &ends[(w + n + 1 + n / 5) % ends.len()],
                );
                let (a, b) = if a == b {
                    (a, &ends[(w + n + 2) % ends.len()])
                } else {
                    (a, b)
                };
                (
                    RELATE,
                    json!({"i": {"typeId": ty, "fromId": a, "toId": b, "label": format!("w{w} n{n}"), "twoWay": true}}),
                    "relate",
                )
            }
            2 if !mine.is_empty() => {
                let id = mine[n % mine.len()].clone();
                let label = format!("w{w} update {n}");
                acked
                    .labels
                    .entry(id.clone())
                    .or_default()
                    .1
                    .push(label.clone());
                (
                    UPDATE,
                    json!({"i": {"id": id, "label": label, "syncMirror": true}}),
                    "update",
                )
            }
            3 if mine.len() > 2 => {
                let id = mine.remove(0);
                (
                    UNRELATE,
                    json!({"i": {"id": id, "includeMirror": true}}),
                    "unrelate",
                )
            }
            _ => {
                let person = &people[(w + n) % people.len()];
                let company = &companies[(w * 7 + n) % companies.len()];
                (
                    RELATE,
                    json!({"i": {"typeId": copper_ty, "fromId": person, "toId": company}}),
                    "copper",
                )
            }
        };
        let Some(answer) = send(&app, query, vars.clone()).await else {
            if kind == "unrelate" {
                acked.unrelate_in_flight = vars["i"]["id"].as_str().map(str::to_owned);
            }
            return acked;
        };
        if answer.get("errors").is_some() {
            // Refusals (the limit, a removed relation) are answers too; a
            // server error is not.
            let code = answer["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or_default();
            assert!(
                matches!(code, "CONSTRAINT_VIOLATION" | "NOT_FOUND"),
                "{kind}: {answer}"
            );
            continue;
        }
        acked.writes += 1;
        match kind {
            "relate" => {
                let r = &answer["data"]["relate"]["relation"];
                let id = r["id"].as_str().unwrap().to_owned();
                let mirror = r["mirror"]["id"]
                    .as_str()
                    .expect("a two-way relate has a mirror")
                    .to_owned();
                acked.created.insert(id.clone(), mirror);
                mine.push(id);
            }
            "update" => {
                let id = vars["i"]["id"].as_str().unwrap().to_owned();
                let entry = acked.labels.get_mut(&id).unwrap();
                let label = entry.1.pop().unwrap();
                entry.0 = Some(label);
                entry.1.clear();
            }
            "unrelate" => acked
                .removed
                .push(vars["i"]["id"].as_str().unwrap().to_owned()),
            _ => acked.copper += 1,
        }
    }
    acked
}

async fn a_gateway_killed_mid_storm_loses_no_acknowledged_write(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let copper_ty = app.type_id("copper", "related").await;
    let mut ends = Vec::new();
    for i in 1..=10 {
        ends.push(app.entity("kanka", "1", "character", &i.to_string()).await);
    }
    let mut people = Vec::new();
    let mut companies = Vec::new();
    for i in 1..=4 {
        people.push(
            app.entity("copper", "default", "person", &i.to_string())
                .await,
        );
        companies.push(
            app.entity("copper", "default", "company", &(100 + i).to_string())
                .await,
        );
    }
    let process = Process::start(&app.database_url, &[]);
    let gw = TestApp {
        addr: process.addr,
        ..app.clone()
    };
    let workers: Vec<_> = (0..6)
        .map(|w| {
            tokio::spawn(worker(
                gw.clone(),
                w,
                ty.clone(),
                copper_ty.clone(),
                ends.clone(),
                people.clone(),
                companies.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    process.kill9();
    let mut acked = Vec::new();
    for w in workers {
        acked.push(w.await.unwrap());
    }
    let writes: usize = acked.iter().map(|a| a.writes).sum();
    assert!(writes > 20, "the storm wrote: {writes} acknowledged");

    // A new process on the same store: it serves at once.
    let restarted = Instant::now();
    let process = Process::start(&app.database_url, &[]);
    let started_in = restarted.elapsed();
    let gw = TestApp {
        addr: process.addr,
        ..app.clone()
    };
    let all = gw.all_relations().await;

    let mut lost = Vec::new();
    let mut checked = 0;
    for a in &acked {
        for (id, mirror) in &a.created {
            if a.removed.contains(id) || a.unrelate_in_flight.as_ref() == Some(id) {
                continue;
            }
            checked += 1;
            if !all.contains_key(id) || !all.contains_key(mirror) {
                lost.push(format!("relate {id} (mirror {mirror})"));
            }
        }
        for id in &a.removed {
            checked += 1;
            if all.contains_key(id) || all.contains_key(&a.created[id]) {
                lost.push(format!("unrelate {id}"));
            }
        }
        for (id, (last, later)) in &a.labels {
            let (Some(last), Some(row)) = (last, all.get(id)) else {
                continue;
            };
            checked += 1;
            let label = row.label.clone().unwrap_or_default();
            if &label != last && !later.contains(&label) {
                lost.push(format!("update {id}: {label:?}, acknowledged {last:?}"));
            }
        }
    }
    let mut half_pairs = Vec::new();
    for (id, row) in &all {
        if let Some(m) = &row.mirror {
            match all.get(m) {
                Some(back)
                    if back.mirror.as_ref() == Some(id)
                        && back.from == row.to
                        && back.to == row.from =>
                {
                    // An update with syncMirror wrote both labels in one
                    // transaction.
                    if row.label.as_deref().is_some_and(|l| l.contains("update")) {
                        assert_eq!(row.label, back.label, "{id} and its mirror have one label");
                    }
                }
                other => half_pairs.push(format!("{id} -> {m}: {other:?}")),
            }
        }
    }
    let mut per_person: HashMap<&str, usize> = HashMap::new();
    for row in all.values() {
        if people.contains(&row.from) && companies.contains(&row.to) {
            *per_person.entry(row.from.as_str()).or_default() += 1;
        }
    }
    let over_limit: Vec<_> = per_person.iter().filter(|(_, n)| **n > 1).collect();
    eprintln!(
        "chaos: SIGKILL mid-storm ({:?}): {writes} writes acknowledged, {checked} checked after the restart ({:.1} s to serve again): {} lost, {} half pairs, {} over the Copper limit",
        app.engine,
        started_in.as_secs_f64(),
        lost.len(),
        half_pairs.len(),
        over_limit.len()
    );
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert!(half_pairs.is_empty(), "half pairs: {half_pairs:?}");
    assert!(over_limit.is_empty(), "over the limit: {over_limit:?}");
    drop(process);
}
