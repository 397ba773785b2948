//! Relay pagination on every kind of list: first and last pages,
//! `after`/`before` cursors, `totalCount`, bad arguments.

use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{TestApp, code};

engine_tests!(
    entities_page_forwards_and_backwards,
    an_entitys_relations_page_with_cursors,
    related_entities_page_with_cursors,
    relation_types_and_relations_page_too,
    bad_page_arguments_are_bad_user_input,
);

const ENTITIES: &str = "query($first: Int, $after: String, $last: Int, $before: String) { entities(first: $first, after: $after, last: $last, before: $before) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { externalId } } } }";

fn ids(conn: &Value) -> Vec<String> {
    conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["externalId"].as_str().unwrap().to_owned())
        .collect()
}

async fn entities_page_forwards_and_backwards(app: TestApp) {
    for i in 1..=5 {
        app.entity("kanka", "1", "character", &i.to_string()).await;
    }
    let page = |vars: Value| {
        let app = app.clone();
        async move { app.data(ENTITIES, vars).await["entities"].clone() }
    };
    let first = page(json!({"first": 2})).await;
    assert_eq!(first["totalCount"], 5);
    assert_eq!(ids(&first), ["1", "2"]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(first["pageInfo"]["endCursor"], first["edges"][1]["cursor"]);

    let second = page(json!({"first": 2, "after": first["pageInfo"]["endCursor"]})).await;
    assert_eq!(ids(&second), ["3", "4"]);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);
    let third = page(json!({"first": 2, "after": second["pageInfo"]["endCursor"]})).await;
    assert_eq!(ids(&third), ["5"]);
    assert_eq!(third["pageInfo"]["hasNextPage"], false);
    assert_eq!(third["totalCount"], 5, "totalCount ignores paging");

    let last = page(json!({"last": 2})).await;
    assert_eq!(ids(&last), ["4", "5"]);
    assert_eq!(last["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(last["pageInfo"]["hasNextPage"], false);
    let before = page(json!({"last": 2, "before": last["pageInfo"]["startCursor"]})).await;
    assert_eq!(ids(&before), ["2", "3"]);
    assert_eq!(before["pageInfo"]["hasNextPage"], true);
    let start = page(json!({"last": 5, "before": before["pageInfo"]["startCursor"]})).await;
    assert_eq!(ids(&start), ["1"]);
    assert_eq!(start["pageInfo"]["hasPreviousPage"], false);

    let empty = page(json!({"first": 0})).await;
    assert_eq!(ids(&empty), Vec::<String>::new());
    assert_eq!(empty["pageInfo"]["startCursor"], Value::Null);
    let window = page(json!({"first": 10, "after": first["pageInfo"]["endCursor"], "before": third["edges"][0]["cursor"]})).await;
    assert_eq!(ids(&window), ["3", "4"], "after and before bound a range");
}

const RELATIONS: &str = "query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { node(id: $id) { ... on Entity { relations(first: $first, after: $after, last: $last, before: $before) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { label } } } } } }";

fn labels(conn: &Value) -> Vec<String> {
    conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["label"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_entitys_relations_page_with_cursors(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let hub = app.entity("kanka", "1", "character", "1").await;
    for i in 2..=6 {
        let other = app.entity("kanka", "1", "character", &i.to_string()).await;
        // Alternate directions: the list holds both.
        if i % 2 == 0 {
            app.relate_ok(&ty, &hub, &other, json!({"label": format!("r{i}")}))
                .await;
        } else {
            app.relate_ok(&ty, &other, &hub, json!({"label": format!("r{i}")}))
                .await;
        }
    }
    let page = |vars: Value| {
        let app = app.clone();
        let hub = hub.clone();
        async move {
            let mut v = json!({"id": hub});
            v.as_object_mut()
                .unwrap()
                .extend(vars.as_object().unwrap().clone());
            app.data(RELATIONS, v).await["node"]["relations"].clone()
        }
    };
    let p1 = page(json!({"first": 2})).await;
    assert_eq!(labels(&p1), ["r2", "r3"]);
    assert_eq!(p1["totalCount"], 5);
    assert_eq!(p1["pageInfo"]["hasNextPage"], true);
    let p2 = page(json!({"first": 3, "after": p1["pageInfo"]["endCursor"]})).await;
    assert_eq!(labels(&p2), ["r4", "r5", "r6"]);
    assert_eq!(p2["pageInfo"]["hasNextPage"], false);
    let back = page(json!({"last": 2, "before": p2["pageInfo"]["endCursor"]})).await;
    assert_eq!(labels(&back), ["r4", "r5"]);
    assert_eq!(back["pageInfo"]["hasPreviousPage"], true);
    let tail = page(json!({"last": 10})).await;
    assert_eq!(labels(&tail), ["r2", "r3", "r4", "r5", "r6"]);
    assert_eq!(tail["pageInfo"]["hasPreviousPage"], false);
    let empty = page(json!({"first": 0})).await;
    assert_eq!(labels(&empty), Vec::<String>::new());
    // The count comes with the page without a cursor, on its own with one:
    // the same either way.
    for p in [&p1, &p2, &back, &tail, &empty] {
        assert_eq!(p["totalCount"], 5, "{p}");
    }
}

async fn related_entities_page_with_cursors(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let hub = app.entity("kanka", "1", "character", "1").await;
    for i in 2..=4 {
        let other = app.entity("kanka", "1", "character", &i.to_string()).await;
        app.relate_ok(&ty, &hub, &other, json!({"label": "a"}))
            .await;
        app.relate_ok(&ty, &other, &hub, json!({"label": "b"}))
            .await;
    }
    let q = "query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on Entity { related(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { externalId } } } } } }";
    let p1 = app.data(q, json!({"id": hub, "first": 2})).await["node"]["related"].clone();
    assert_eq!(ids(&p1), ["2", "3"]);
    assert_eq!(p1["totalCount"], 3);
    assert_eq!(p1["pageInfo"]["hasNextPage"], true);
    let p2 = app
        .data(
            q,
            json!({"id": hub, "first": 2, "after": p1["pageInfo"]["endCursor"]}),
        )
        .await["node"]["related"]
        .clone();
    assert_eq!(ids(&p2), ["4"]);
    assert_eq!(p2["pageInfo"]["hasNextPage"], false);
    assert_eq!(p2["totalCount"], 3, "counted on its own after a cursor");
    let alone = "query($id: ID!) { node(id: $id) { ... on Entity { related { totalCount } } } }";
    let alone = app.data(alone, json!({"id": hub})).await;
    assert_eq!(alone["node"]["related"]["totalCount"], 3);
}

async fn relation_types_and_relations_page_too(app: TestApp) {
    let q = "query($after: String) { relationTypes(first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { alias } } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.data(q, json!({"after": after})).await["relationTypes"].clone();
        assert_eq!(page["totalCount"], 8, "the built-in types");
        for e in page["edges"].as_array().unwrap() {
            seen.push(e["node"]["alias"].as_str().unwrap().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), 8);
    assert!(seen.contains(&"relateParentMediaFolderOnDelete".to_owned()));

    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    for i in 0..3 {
        app.relate_ok(&ty, &a, &b, json!({"label": format!("l{i}")}))
            .await;
    }
    let q = "query($before: String) { relations(last: 2, before: $before) { pageInfo { hasPreviousPage startCursor } edges { node { label } } } }";
    let last = app.data(q, json!({})).await["relations"].clone();
    assert_eq!(labels(&last), ["l1", "l2"]);
    let rest = app
        .data(q, json!({"before": last["pageInfo"]["startCursor"]}))
        .await["relations"]
        .clone();
    assert_eq!(labels(&rest), ["l0"]);
    assert_eq!(rest["pageInfo"]["hasPreviousPage"], false);
}

async fn bad_page_arguments_are_bad_user_input(app: TestApp) {
    for vars in [
        json!({"first": 1, "last": 1}),
        json!({"first": -1}),
        json!({"last": 101}),
        json!({"first": 1, "after": "not-a-cursor"}),
    ] {
        let err = app.error(ENTITIES, vars.clone()).await;
        assert_eq!(code(&err), "BAD_USER_INPUT", "{vars}");
    }
}
