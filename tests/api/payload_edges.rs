//! Mutation payloads carry the edges each end lists, so a client inserts a
//! new relation into a visible list without refetching (Relay's
//! `@appendEdge`, Apollo cache updates).

use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::TestApp;

const EDGE: &str = "cursor direction other { id name } node { id label attitude }";

/// Every edge of `entity`'s relations, as a list query answers them.
async fn listed(app: &TestApp, entity: &str) -> Vec<Value> {
    let data = app
        .data(
            &format!(
                "query($id: ID!) {{ node(id: $id) {{ ... on Entity {{ relations(first: 50) {{ edges {{ {EDGE} }} }} }} }} }}"
            ),
            json!({ "id": entity }),
        )
        .await;
    data["node"]["relations"]["edges"]
        .as_array()
        .unwrap()
        .clone()
}

engine_tests!(
    relate_returns_the_edge_each_end_lists,
    a_two_way_relate_returns_both_edges_of_each_end,
    relate_by_key_and_update_return_edges_too,
    unrelate_returns_the_ids_of_the_edges_to_drop,
);

async fn relate_returns_the_edge_each_end_lists(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let data = app
        .data(
            &format!(
                "mutation($i: RelateInput!) {{ relate(input: $i) {{ fromEdge {{ {EDGE} }} toEdge {{ {EDGE} }} fromEdges {{ cursor }} }} }}"
            ),
            json!({ "i": { "typeId": ty, "fromId": a, "toId": b, "label": "ally", "attitude": 40 } }),
        )
        .await;
    let p = &data["relate"];
    assert_eq!(p["fromEdge"]["direction"], "OUTGOING");
    assert_eq!(p["fromEdge"]["other"]["id"], b.as_str());
    assert_eq!(p["toEdge"]["direction"], "INCOMING");
    assert_eq!(p["toEdge"]["other"]["id"], a.as_str());
    assert_eq!(p["fromEdges"].as_array().unwrap().len(), 1);
    // Exactly what each end's list shows, cursor included.
    assert_eq!(listed(&app, &a).await, vec![p["fromEdge"].clone()]);
    assert_eq!(listed(&app, &b).await, vec![p["toEdge"].clone()]);

    // A bidirectional type: both ends see BOTH.
    let copper = app.type_id("copper", "related").await;
    let person = app.entity("copper", "default", "person", "1").await;
    let company = app.entity("copper", "default", "company", "2").await;
    let data = app
        .data(
            "mutation($i: RelateInput!) { relate(input: $i) { fromEdge { direction other { id } } toEdge { direction other { id } } } }",
            json!({ "i": { "typeId": copper, "fromId": person, "toId": company } }),
        )
        .await;
    assert_eq!(data["relate"]["fromEdge"]["direction"], "BOTH");
    assert_eq!(data["relate"]["toEdge"]["direction"], "BOTH");
    assert_eq!(data["relate"]["toEdge"]["other"]["id"], person.as_str());
}

async fn a_two_way_relate_returns_both_edges_of_each_end(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let data = app
        .data(
            &format!(
                "mutation($i: RelateInput!) {{ relate(input: $i) {{ fromEdges {{ {EDGE} }} toEdges {{ {EDGE} }} }} }}"
            ),
            json!({ "i": { "typeId": ty, "fromId": a, "toId": b, "label": "sibling", "twoWay": true } }),
        )
        .await;
    let from: Vec<Value> = data["relate"]["fromEdges"].as_array().unwrap().clone();
    let to: Vec<Value> = data["relate"]["toEdges"].as_array().unwrap().clone();
    assert_eq!(from.len(), 2);
    assert_eq!(
        from.iter()
            .map(|e| e["direction"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["OUTGOING", "INCOMING"]
    );
    assert_eq!(listed(&app, &a).await, from);
    assert_eq!(listed(&app, &b).await, to);
}

async fn relate_by_key_and_update_return_edges_too(app: TestApp) {
    let data = app
        .data(
            &format!(
                "mutation {{ relateByKey(input: {{ type: {{source: \"kanka\", alias: \"relation\"}},
                    from: {{source: \"kanka\", space: \"3\", kind: \"character\", externalId: \"10\", name: \"Ann\"}},
                    to: {{source: \"kanka\", space: \"3\", kind: \"location\", externalId: \"11\", name: \"Town\"}},
                    label: \"lives in\" }}) {{ relation {{ id from {{ id }} to {{ id }} }} fromEdge {{ {EDGE} }} }} }}"
            ),
            json!({}),
        )
        .await;
    let relation = data["relateByKey"]["relation"].clone();
    let from = relation["from"]["id"].as_str().unwrap().to_owned();
    assert_eq!(data["relateByKey"]["fromEdge"]["other"]["name"], "Town");
    assert_eq!(
        listed(&app, &from).await,
        vec![data["relateByKey"]["fromEdge"].clone()]
    );

    let data = app
        .data(
            &format!(
                "mutation($i: UpdateRelationInput!) {{ updateRelation(input: $i) {{ fromEdge {{ {EDGE} }} toEdge {{ {EDGE} }} toEdges {{ cursor }} }} }}"
            ),
            json!({ "i": { "id": relation["id"], "label": "moved to", "attitude": -5 } }),
        )
        .await;
    let p = &data["updateRelation"];
    assert_eq!(p["fromEdge"]["node"]["label"], "moved to");
    assert_eq!(p["toEdge"]["direction"], "INCOMING");
    assert_eq!(p["toEdges"].as_array().unwrap().len(), 1);
    assert_eq!(listed(&app, &from).await, vec![p["fromEdge"].clone()]);
    let to = relation["to"]["id"].as_str().unwrap();
    assert_eq!(listed(&app, to).await, vec![p["toEdge"].clone()]);
}

async fn unrelate_returns_the_ids_of_the_edges_to_drop(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let data = app
        .data(
            "mutation($i: RelateInput!) { relate(input: $i) { fromEdges { node { id } } } }",
            json!({ "i": { "typeId": ty, "fromId": a, "toId": b, "label": "x", "twoWay": true } }),
        )
        .await;
    let ids: Vec<Value> = data["relate"]["fromEdges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    let data = app
        .data(
            "mutation($i: UnrelateInput!) { unrelate(input: $i) { removedIds } }",
            json!({ "i": { "id": ids[0], "includeMirror": true } }),
        )
        .await;
    let mut removed = data["unrelate"]["removedIds"].as_array().unwrap().clone();
    removed.sort_by_key(|v| v.as_str().unwrap().to_owned());
    let mut expected = ids.clone();
    expected.sort_by_key(|v| v.as_str().unwrap().to_owned());
    assert_eq!(removed, expected);
    assert!(listed(&app, &a).await.is_empty());
    assert!(listed(&app, &b).await.is_empty());
}
