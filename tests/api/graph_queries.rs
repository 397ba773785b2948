//! Queries over the graph: `filter:` and `orderBy:` on `Entity.relations`,
//! `Entity.related` and `Query.relations`, with cursors that hold the sort
//! key (paging through an ordered, filtered list while it changes).

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{TestApp, code};

engine_tests!(
    entity_relations_filters_keep_what_they_say,
    orders_page_forwards_and_backwards_without_repeats_or_gaps,
    ordered_pages_hold_while_rows_come_and_go,
    related_and_query_relations_take_filter_and_order_by,
    bad_filters_orders_and_foreign_cursors_are_refused,
    private_relations_need_an_admin_in_filters,
    relation_counts_by_type_kind_and_direction,
    paging_while_a_writer_inserts_and_deletes_never_repeats_or_skips,
);

/// One seeded relation: (label, attitude, pinned, private, far-end kind).
type Spec = (&'static str, Option<i32>, bool, bool, &'static str);

/// A Kanka character with relations to characters and locations, as
/// `specs` say; returns the anchor's id and each relation's id (in `specs`
/// order).
async fn seed(app: &TestApp, specs: &[Spec]) -> (String, Vec<String>) {
    let ty = app.type_id("kanka", "relation").await;
    let anchor = app.entity("kanka", "1", "character", "999").await;
    let mut ids = Vec::new();
    for (i, (label, attitude, pinned, private, kind)) in specs.iter().enumerate() {
        let other = app.entity("kanka", "1", kind, &(i + 1).to_string()).await;
        let mut extra = json!({ "label": label, "pinned": pinned, "isPrivate": private });
        if let Some(a) = attitude {
            extra["attitude"] = json!(a);
        }
        ids.push(app.relate_ok(&ty, &anchor, &other, extra).await);
    }
    (anchor, ids)
}

const SPECS: &[Spec] = &[
    ("Rival", Some(-50), false, false, "character"),
    ("river guide", Some(20), true, false, "location"),
    ("Mentor", Some(80), false, false, "character"),
    ("rival of old", None, false, false, "character"),
    ("Secret ally", Some(90), true, true, "character"),
    ("Birthplace", Some(20), true, false, "location"),
    ("friend", None, true, false, "character"),
];

const RELATIONS: &str = "query($id: ID!, $filter: EdgeFilterInput, $order: [RelationOrder!], $first: Int, $after: String, $last: Int, $before: String) {
  node(id: $id) { ... on Entity {
    relations(filter: $filter, orderBy: $order, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id label attitude pinned isPrivate } other { kind } }
    }
  } }
}";

fn labels(conn: &Value) -> Vec<String> {
    conn["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["label"].as_str().expect("a label").to_owned())
        .collect()
}

async fn relations(app: &TestApp, anchor: &str, vars: Value) -> Value {
    let mut vars = vars;
    vars["id"] = json!(anchor);
    app.data(RELATIONS, vars).await["node"]["relations"].clone()
}

async fn entity_relations_filters_keep_what_they_say(app: TestApp) {
    let (anchor, _) = seed(&app, SPECS).await;
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            json!({}),
            vec![
                "Rival",
                "river guide",
                "Mentor",
                "rival of old",
                "Secret ally",
                "Birthplace",
                "friend",
            ],
        ),
        (
            json!({"otherKinds": ["location"]}),
            vec!["river guide", "Birthplace"],
        ),
        (
            json!({"types": ["relation"], "source": "kanka"}),
            vec![
                "Rival",
                "river guide",
                "Mentor",
                "rival of old",
                "Secret ally",
                "Birthplace",
                "friend",
            ],
        ),
        (json!({"types": ["mother"]}), vec![]),
        (json!({"source": "copper"}), vec![]),
        (json!({"label": {"equals": "Rival"}}), vec!["Rival"]),
        (
            json!({"label": {"prefix": "riv"}}),
            vec!["river guide", "rival of old"],
        ),
        (
            json!({"label": {"prefix": "RIV", "caseInsensitive": true}}),
            vec!["Rival", "river guide", "rival of old"],
        ),
        (
            json!({"label": {"contains": "al"}}),
            vec!["Rival", "rival of old", "Secret ally"],
        ),
        (
            json!({"label": {"contains": "AL", "caseInsensitive": true}}),
            vec!["Rival", "rival of old", "Secret ally"],
        ),
        (
            json!({"attitude": {"min": 20}}),
            vec!["river guide", "Mentor", "Secret ally", "Birthplace"],
        ),
        (
            json!({"attitude": {"min": 0, "max": 20}}),
            vec!["river guide", "Birthplace"],
        ),
        (
            json!({"pinned": true}),
            vec!["river guide", "Secret ally", "Birthplace", "friend"],
        ),
        (
            json!({"pinned": true, "isPrivate": false}),
            vec!["river guide", "Birthplace", "friend"],
        ),
        (json!({"isPrivate": true}), vec!["Secret ally"]),
        (
            json!({"otherSpace": "1", "otherKinds": ["character"], "pinned": false}),
            vec!["Rival", "Mentor", "rival of old"],
        ),
        (json!({"otherSpace": "2"}), vec![]),
    ];
    for (filter, want) in cases {
        let conn = relations(&app, &anchor, json!({ "filter": filter })).await;
        assert_eq!(labels(&conn), want, "filter {filter}");
        assert_eq!(
            conn["totalCount"],
            want.len(),
            "totalCount of filter {filter}"
        );
    }
    // Time ranges: everything was created before now and after an hour ago.
    let now = chrono::Utc::now();
    let hour_ago = now - chrono::Duration::hours(1);
    let all = relations(&app, &anchor, json!({ "filter": { "created": { "from": hour_ago.to_rfc3339(), "until": (now + chrono::Duration::minutes(1)).to_rfc3339() } } })).await;
    assert_eq!(all["totalCount"], SPECS.len());
    let none = relations(
        &app,
        &anchor,
        json!({ "filter": { "updated": { "until": hour_ago.to_rfc3339() } } }),
    )
    .await;
    assert_eq!(none["totalCount"], 0);
    // A time between two creations splits the list there.
    let conn = relations(&app, &anchor, json!({ "order": [{"field": "CREATED"}] })).await;
    assert_eq!(labels(&conn)[0], "Rival");
    let first_id = conn["edges"][0]["node"]["id"].clone();
    let created = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Relation { createdAt } } }",
            json!({ "id": first_id }),
        )
        .await["node"]["createdAt"]
        .as_str()
        .expect("createdAt")
        .to_owned();
    let from_first = relations(
        &app,
        &anchor,
        json!({ "filter": { "created": { "from": created } } }),
    )
    .await;
    assert_eq!(from_first["totalCount"], SPECS.len(), "from is inclusive");
    let before_first = relations(
        &app,
        &anchor,
        json!({ "filter": { "created": { "until": created } } }),
    )
    .await;
    assert_eq!(before_first["totalCount"], 0, "until is exclusive");
}

/// Every page of `order` (forwards with `first: 2`, backwards with `last:
/// 2`), joined: the whole list, each row once.
async fn walk(
    app: &TestApp,
    anchor: &str,
    filter: &Value,
    order: &Value,
) -> (Vec<String>, Vec<String>) {
    let mut forwards = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = relations(
            app,
            anchor,
            json!({ "filter": filter, "order": order, "first": 2, "after": after }),
        )
        .await;
        forwards.extend(labels(&page));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let mut backwards: Vec<String> = Vec::new();
    let mut before = Value::Null;
    loop {
        let page = relations(
            app,
            anchor,
            json!({ "filter": filter, "order": order, "last": 2, "before": before }),
        )
        .await;
        let mut labels = labels(&page);
        labels.extend(backwards);
        backwards = labels;
        if page["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = page["pageInfo"]["startCursor"].clone();
    }
    (forwards, backwards)
}

async fn orders_page_forwards_and_backwards_without_repeats_or_gaps(app: TestApp) {
    let (anchor, _) = seed(&app, SPECS).await;
    let cases: Vec<(Value, Value, Vec<&str>)> = vec![
        // Missing attitudes last either way; ties by id.
        (
            json!({}),
            json!([{"field": "ATTITUDE", "direction": "DESC"}]),
            vec![
                "Secret ally",
                "Mentor",
                "river guide",
                "Birthplace",
                "Rival",
                "rival of old",
                "friend",
            ],
        ),
        (
            json!({}),
            json!([{"field": "ATTITUDE"}]),
            vec![
                "Rival",
                "river guide",
                "Birthplace",
                "Mentor",
                "Secret ally",
                "rival of old",
                "friend",
            ],
        ),
        // Pinned first, then by label (code points: upper case first).
        (
            json!({}),
            json!([{"field": "PINNED_FIRST"}, {"field": "LABEL"}]),
            vec![
                "Birthplace",
                "Secret ally",
                "friend",
                "river guide",
                "Mentor",
                "Rival",
                "rival of old",
            ],
        ),
        (
            json!({}),
            json!([{"field": "PINNED_FIRST", "direction": "DESC"}, {"field": "LABEL", "direction": "DESC"}]),
            vec![
                "rival of old",
                "Rival",
                "Mentor",
                "river guide",
                "friend",
                "Secret ally",
                "Birthplace",
            ],
        ),
        (
            json!({}),
            json!([{"field": "CREATED", "direction": "DESC"}]),
            vec![
                "friend",
                "Birthplace",
                "Secret ally",
                "rival of old",
                "Mentor",
                "river guide",
                "Rival",
            ],
        ),
        (
            json!({"attitude": {"min": 0}}),
            json!([{"field": "UPDATED"}, {"field": "ATTITUDE", "direction": "DESC"}]),
            vec!["river guide", "Mentor", "Secret ally", "Birthplace"],
        ),
        (
            json!({"pinned": true}),
            json!([{"field": "ATTITUDE", "direction": "DESC"}, {"field": "LABEL"}]),
            vec!["Secret ally", "Birthplace", "river guide", "friend"],
        ),
    ];
    for (filter, order, want) in cases {
        let whole = relations(
            &app,
            &anchor,
            json!({ "filter": filter, "order": order, "first": 20 }),
        )
        .await;
        assert_eq!(labels(&whole), want, "order {order} filter {filter}");
        let (forwards, backwards) = walk(&app, &anchor, &filter, &order).await;
        assert_eq!(forwards, want, "forward pages of {order} {filter}");
        assert_eq!(backwards, want, "backward pages of {order} {filter}");
    }
}

async fn ordered_pages_hold_while_rows_come_and_go(app: TestApp) {
    let (anchor, ids) = seed(&app, SPECS).await;
    let ty = app.type_id("kanka", "relation").await;
    let order = json!([{"field": "ATTITUDE", "direction": "DESC"}]);
    let filter = json!({"isPrivate": false});
    let first = relations(
        &app,
        &anchor,
        json!({ "filter": filter, "order": order, "first": 3 }),
    )
    .await;
    assert_eq!(labels(&first), ["Mentor", "river guide", "Birthplace"]);
    let cursor = first["pageInfo"]["endCursor"].clone();
    // Between the pages: the cursor's own row goes, a row before it and
    // one after it come, one after it goes.
    app.data(
        "mutation($id: ID!) { unrelate(input: { id: $id }) { removedIds } }",
        json!({ "id": ids[5] }),
    )
    .await;
    app.data(
        "mutation($id: ID!) { unrelate(input: { id: $id }) { removedIds } }",
        json!({ "id": ids[3] }),
    )
    .await;
    for (i, (label, attitude)) in [
        ("newcomer high", 95),
        ("newcomer low", -90),
        ("newcomer tie", 20),
    ]
    .into_iter()
    .enumerate()
    {
        let other = app
            .entity("kanka", "1", "character", &(100 + i).to_string())
            .await;
        app.relate_ok(
            &ty,
            &anchor,
            &other,
            json!({ "label": label, "attitude": attitude }),
        )
        .await;
    }
    let second = relations(
        &app,
        &anchor,
        json!({ "filter": filter, "order": order, "first": 10, "after": cursor }),
    )
    .await;
    // After (20, Birthplace's id) in the new list: the tie with a higher id,
    // then the lower attitudes; nothing of the first page again.
    assert_eq!(
        labels(&second),
        ["newcomer tie", "Rival", "newcomer low", "friend"]
    );
    let seen: HashSet<String> = labels(&first).into_iter().collect();
    assert!(
        labels(&second).iter().all(|l| !seen.contains(l)),
        "no repeats"
    );
    // Backwards from the same cursor: the rows before it, now.
    let back = relations(
        &app,
        &anchor,
        json!({ "filter": filter, "order": order, "last": 10, "before": cursor }),
    )
    .await;
    assert_eq!(labels(&back), ["newcomer high", "Mentor", "river guide"]);
}

async fn related_and_query_relations_take_filter_and_order_by(app: TestApp) {
    let (anchor, _) = seed(&app, SPECS).await;
    let related = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Entity {
                related(filter: { otherKinds: [\"character\"], isPrivate: false }, orderBy: [{ field: ATTITUDE, direction: DESC }], first: 2) {
                  totalCount pageInfo { endCursor hasNextPage } edges { node { externalId } } } } } }",
            json!({ "id": anchor }),
        )
        .await["node"]["related"]
        .clone();
    assert_eq!(related["totalCount"], 4);
    let ext = |conn: &Value| -> Vec<String> {
        conn["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["externalId"].as_str().unwrap().to_owned())
            .collect()
    };
    // Mentor (80, entity 3), Rival (-50, entity 1), then the two without one.
    assert_eq!(ext(&related), ["3", "1"]);
    let rest = app
        .data(
            "query($id: ID!, $after: String) { node(id: $id) { ... on Entity {
                related(filter: { otherKinds: [\"character\"], isPrivate: false }, orderBy: [{ field: ATTITUDE, direction: DESC }], first: 5, after: $after) {
                  edges { node { externalId } } } } } }",
            json!({ "id": anchor, "after": related["pageInfo"]["endCursor"] }),
        )
        .await["node"]["related"]
        .clone();
    assert_eq!(ext(&rest), ["4", "7"]);

    let q = "query($after: String) { relations(filter: { type: \"relation\", label: { prefix: \"r\", caseInsensitive: true } }, orderBy: [{ field: LABEL, direction: DESC }], first: 2, after: $after) {
        totalCount pageInfo { endCursor hasNextPage } edges { cursor node { label } } } }";
    let page = app.data(q, json!({})).await["relations"].clone();
    assert_eq!(page["totalCount"], 3);
    assert_eq!(labels(&page), ["river guide", "rival of old"]);
    let next = app
        .data(q, json!({ "after": page["pageInfo"]["endCursor"] }))
        .await["relations"]
        .clone();
    assert_eq!(labels(&next), ["Rival"]);
    assert_eq!(next["pageInfo"]["hasNextPage"], false);
}

async fn bad_filters_orders_and_foreign_cursors_are_refused(app: TestApp) {
    let (anchor, _) = seed(&app, &SPECS[..3]).await;
    let by_label = relations(
        &app,
        &anchor,
        json!({ "order": [{"field": "LABEL"}], "first": 1 }),
    )
    .await;
    let by_id = relations(&app, &anchor, json!({ "first": 1 })).await;
    let q = |vars: Value| {
        let mut vars = vars;
        vars["id"] = json!(anchor);
        let app = app.clone();
        async move { app.error(RELATIONS, vars).await }
    };
    for vars in [
        // A cursor of another order, either way round.
        json!({ "order": [{"field": "ATTITUDE"}], "after": by_label["pageInfo"]["endCursor"] }),
        json!({ "order": [{"field": "LABEL"}], "after": by_id["pageInfo"]["endCursor"] }),
        json!({ "after": by_label["pageInfo"]["endCursor"] }),
        json!({ "order": [{"field": "LABEL"}], "before": "bm90LWEtY3Vyc29y" }),
        json!({ "order": [{"field": "LABEL"}, {"field": "LABEL"}] }),
        json!({ "filter": { "label": {} } }),
        json!({ "filter": { "label": { "equals": "a", "contains": "b" } } }),
    ] {
        let err = q(vars.clone()).await;
        assert_eq!(code(&err), "BAD_USER_INPUT", "{vars}: {err}");
    }
    let err = app
        .error(
            "query($id: ID!) { node(id: $id) { ... on Entity { relations(asOf: \"2026-01-01T00:00:00Z\", filter: { pinned: true }) { totalCount } } } }",
            json!({ "id": anchor }),
        )
        .await;
    assert_eq!(code(&err), "BAD_USER_INPUT", "{err}");
}

async fn private_relations_need_an_admin_in_filters(app: TestApp) {
    let (anchor, _) = seed(&app, SPECS).await;
    let admin = app.with_token(&app.create_token("admin", "ops", &[]));
    let reader = app.with_token(&app.create_token("read", "reader", &[]));
    let err = reader
        .error(
            RELATIONS,
            json!({ "id": anchor, "filter": { "isPrivate": true } }),
        )
        .await;
    assert_eq!(code(&err), "FORBIDDEN", "{err}");
    let err = reader
        .error(
            "{ relations(filter: { isPrivate: true }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&err), "FORBIDDEN", "{err}");
    // A reader's ordered and filtered lists never hold the private one.
    let order = json!([{"field": "ATTITUDE", "direction": "DESC"}]);
    let mine = relations(
        &reader,
        &anchor,
        json!({ "filter": { "pinned": true }, "order": order }),
    )
    .await;
    assert_eq!(labels(&mine), ["river guide", "Birthplace", "friend"]);
    assert_eq!(mine["totalCount"], 3);
    let all = relations(
        &admin,
        &anchor,
        json!({ "filter": { "pinned": true }, "order": order }),
    )
    .await;
    assert_eq!(
        labels(&all),
        ["Secret ally", "river guide", "Birthplace", "friend"]
    );
    let counted = reader
        .data(
            "{ relations(filter: { pinned: true }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(counted["relations"]["totalCount"], 3);
}

async fn relation_counts_by_type_kind_and_direction(app: TestApp) {
    let (anchor, _) = seed(&app, SPECS).await;
    // One incoming relation, and one of a bidirectional type.
    let ty = app.type_id("kanka", "relation").await;
    let fan = app.entity("kanka", "1", "character", "50").await;
    app.relate_ok(&ty, &fan, &anchor, json!({ "label": "admirer" }))
        .await;
    let ally = app
        .data(
            r#"mutation { createRelationType(input: {source: "kanka", alias: "ally", name: "Ally", bidirectional: true}) { relationType { id } } }"#,
            json!({}),
        )
        .await["createRelationType"]["relationType"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let friend = app.entity("kanka", "1", "location", "51").await;
    app.relate_ok(&ally, &friend, &anchor, json!({})).await;
    let q = "query($id: ID!, $filter: EdgeFilterInput) { node(id: $id) { ... on Entity { relationCounts(filter: $filter) {
        total byType { relationType { alias } count } byKind { kind count } byDirection { direction count } } } } }";
    let admin = app.with_token(&app.create_token("admin", "ops", &[]));
    let reader = app.with_token(&app.create_token("read", "reader", &[]));
    let counts = |who: &TestApp, filter: Value| {
        let (who, anchor) = (who.clone(), anchor.clone());
        async move {
            who.data(q, json!({ "id": anchor, "filter": filter })).await["node"]["relationCounts"]
                .clone()
        }
    };
    let all = counts(&admin, Value::Null).await;
    assert_eq!(
        all,
        json!({
            "total": 9,
            "byType": [{"relationType": {"alias": "relation"}, "count": 8}, {"relationType": {"alias": "ally"}, "count": 1}],
            "byKind": [{"kind": "character", "count": 6}, {"kind": "location", "count": 3}],
            "byDirection": [{"direction": "OUTGOING", "count": 7}, {"direction": "INCOMING", "count": 1}, {"direction": "BOTH", "count": 1}],
        })
    );
    // A reader's counts leave the private relation out.
    let mine = counts(&reader, Value::Null).await;
    assert_eq!(mine["total"], 8);
    assert_eq!(mine["byKind"][0], json!({"kind": "character", "count": 5}));
    assert_eq!(
        mine["byDirection"][0],
        json!({"direction": "OUTGOING", "count": 6})
    );
    // With a filter.
    let pinned = counts(&admin, json!({ "pinned": true })).await;
    assert_eq!(pinned["total"], 4);
    assert_eq!(
        pinned["byKind"],
        json!([{"kind": "character", "count": 2}, {"kind": "location", "count": 2}])
    );
    // For a level of entities: one statement for the counts, however many.
    let level = "query($n: Int) { entities(first: $n, filter: { source: \"kanka\" }) { edges { node { relationCounts { total byKind { kind count } } } } } }";
    let (_, few) = admin.data_and_statements(level, json!({ "n": 2 })).await;
    let (data, many) = admin.data_and_statements(level, json!({ "n": 10 })).await;
    assert_eq!(few, many);
    assert_eq!(
        data["entities"]["edges"][0]["node"]["relationCounts"]["total"],
        9
    );
}

async fn paging_while_a_writer_inserts_and_deletes_never_repeats_or_skips(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let anchor = app.entity("kanka", "3", "character", "999").await;
    let mut others = Vec::new();
    for i in 0..8 {
        others.push(
            app.entity("kanka", "3", "character", &(i + 1).to_string())
                .await,
        );
    }
    // The rows that stay: attitudes with ties, and some missing.
    let mut stable = HashSet::new();
    for i in 0..30 {
        let mut extra = json!({ "label": format!("stable {i}") });
        if i % 5 != 4 {
            extra["attitude"] = json!(((i * 37) % 41) as i64 - 20);
        }
        stable.insert(app.relate_ok(&ty, &anchor, &others[i % 8], extra).await);
    }
    // A writer relating and unrelating meanwhile.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (app, stop, ty, anchor, others) = (
            app.clone(),
            stop.clone(),
            ty.clone(),
            anchor.clone(),
            others.clone(),
        );
        tokio::spawn(async move {
            let mut made: Vec<String> = Vec::new();
            let mut n = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let extra = json!({ "label": format!("churn {n}"), "attitude": ((n * 53) % 41) as i64 - 20 });
                made.push(app.relate_ok(&ty, &anchor, &others[n % 8], extra).await);
                if n % 2 == 1 {
                    let gone = made.remove(0);
                    app.data(
                        "mutation($id: ID!) { unrelate(input: { id: $id }) { removedIds } }",
                        json!({ "id": gone }),
                    )
                    .await;
                }
                n += 1;
            }
            n
        })
    };
    let order = json!([{"field": "ATTITUDE", "direction": "DESC"}]);
    let mut seen: Vec<(Option<i64>, i64, String)> = Vec::new();
    let mut after = Value::Null;
    loop {
        let q = "query($id: ID!, $order: [RelationOrder!], $after: String) { node(id: $id) { ... on Entity {
            relations(orderBy: $order, first: 4, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id legacyId attitude } } } } } }";
        let page = app
            .data(q, json!({ "id": anchor, "order": order, "after": after }))
            .await["node"]["relations"]
            .clone();
        for e in page["edges"].as_array().unwrap() {
            let n = &e["node"];
            seen.push((
                n["attitude"].as_i64(),
                n["legacyId"].as_i64().unwrap(),
                n["id"].as_str().unwrap().to_owned(),
            ));
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let writes = writer.await.unwrap();
    assert!(writes > 3, "the writer ran ({writes} relates)");
    // Strictly in list order (attitude high to low, missing last, then id):
    // each page starts after the last, so nothing repeats.
    let key =
        |(a, id, _): &(Option<i64>, i64, String)| (a.is_none(), a.map(|a| -a).unwrap_or(0), *id);
    for pair in seen.windows(2) {
        assert!(
            key(&pair[0]) < key(&pair[1]),
            "out of order or repeated: {:?} then {:?}",
            pair[0],
            pair[1]
        );
    }
    // Every row that was there all along was listed.
    let listed: HashSet<String> = seen.iter().map(|(_, _, id)| id.clone()).collect();
    assert!(stable.is_subset(&listed), "a stable row was skipped");
}
