//! The example operations of `schema/operations/` (the playground's tabs):
//! each is valid against the schema and works, in order, on a fresh store.

use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::TestApp;

engine_tests!(the_example_operations_run_in_order_on_an_empty_store);

async fn the_example_operations_run_in_order_on_an_empty_store(app: TestApp) {
    let ops = relgate::http::playground::operations();
    let names: Vec<&str> = ops.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "RelateCopperRecords",
            "EntityWithRelatedItems",
            "RelateKankaCharacters",
            "UpdateRelation",
            "Unrelate",
            "ListRelationTypes",
            "RecentChanges",
            "WatchChanges",
            "RelateKankaParty",
            "FilteredRelations",
            "RelationCounts",
            "Neighbourhood",
            "Paths"
        ]
    );
    // The relation the Kanka example creates, threaded into the two that
    // need an id (as a person in the playground pastes it).
    let mut kanka_relation: Option<String> = None;
    // The ends of the paths, from RelateKankaParty.
    let mut path_ends: Option<(Value, Value)> = None;
    for (name, query, variables) in ops {
        let mut vars: Value = if variables.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&variables).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        if vars.get("id").is_some() {
            vars["id"] = json!(kanka_relation.clone().expect("RelateKankaCharacters ran"));
        }
        if vars.get("fromId").is_some() {
            let (from, to) = path_ends.clone().expect("RelateKankaParty ran");
            (vars["fromId"], vars["toId"]) = (from, to);
        }
        if name == "WatchChanges" {
            // A subscription: over the WebSocket, then a write to watch.
            let mut ws = crate::subscriptions::Ws::connect(&app).await;
            ws.send(json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": vars } }))
                .await;
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            app.entity("kanka", "1", "character", "900").await;
            match ws.said(std::time::Duration::from_secs(5)).await {
                crate::subscriptions::Said::Next(v) => {
                    assert_eq!(
                        v["data"]["relationEvents"]["kind"], "ENTITY_CREATED",
                        "{v:#}"
                    );
                }
                other => panic!("WatchChanges: {other:?}"),
            }
            continue;
        }
        let data = app.data(&query, vars).await;
        match name.as_str() {
            "RelateCopperRecords" => {
                assert_eq!(data["relateByKey"]["created"], true);
                assert_eq!(data["relateByKey"]["relation"]["to"]["kind"], "company");
            }
            "EntityWithRelatedItems" => {
                assert_eq!(data["entity"]["related"]["totalCount"], 1);
                assert_eq!(
                    data["entity"]["related"]["edges"][0]["node"]["name"],
                    "Analytical Engines Ltd"
                );
            }
            "RelateKankaCharacters" => {
                assert!(data["relateByKey"]["mirror"]["id"].is_string());
                kanka_relation = data["relateByKey"]["relation"]["id"]
                    .as_str()
                    .map(str::to_owned);
            }
            "UpdateRelation" => {
                assert_eq!(data["updateRelation"]["relation"]["label"], "Old friends");
                assert_eq!(data["updateRelation"]["mirror"]["attitude"], 60);
            }
            "Unrelate" => {
                assert_eq!(data["unrelate"]["removedIds"].as_array().unwrap().len(), 2);
            }
            "ListRelationTypes" => {
                assert_eq!(data["relationTypes"]["totalCount"], 1);
                assert_eq!(
                    data["relationTypes"]["edges"][0]["node"]["allowedPairs"]
                        .as_array()
                        .unwrap()
                        .len(),
                    11
                );
            }
            "RecentChanges" => {
                // Everything the operations before did, in order.
                let kinds: Vec<&str> = data["relationEvents"]["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"]["kind"].as_str().unwrap())
                    .collect();
                assert_eq!(
                    kinds,
                    [
                        "ENTITY_CREATED",
                        "ENTITY_CREATED",
                        "RELATION_CREATED",
                        "ENTITY_CREATED",
                        "ENTITY_CREATED",
                        "RELATION_CREATED",
                        "RELATION_CREATED",
                        "RELATION_UPDATED",
                        "RELATION_UPDATED",
                        "RELATION_DELETED",
                        "RELATION_DELETED",
                    ]
                );
                assert_eq!(data["relationEvents"]["totalCount"], 11);
            }
            "RelateKankaParty" => {
                let mentor = &data["mentor"]["relation"]["from"];
                let home = &data["tamHome"]["relation"]["to"];
                assert_eq!(
                    (&mentor["name"], &home["name"]),
                    (&json!("Oda"), &json!("Harbour Town"))
                );
                path_ends = Some((mentor["id"].clone(), home["id"].clone()));
            }
            "FilteredRelations" => {
                let conn = &data["entity"]["relations"];
                assert_eq!(conn["totalCount"], 2);
                let seen: Vec<(&str, i64, bool)> = conn["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        let n = &e["node"];
                        (
                            n["label"].as_str().unwrap(),
                            n["attitude"].as_i64().unwrap(),
                            n["pinned"].as_bool().unwrap(),
                        )
                    })
                    .collect();
                assert_eq!(seen, [("Lives in", 30, true), ("Rival", -40, false)]);
            }
            "RelationCounts" => {
                assert_eq!(
                    data["entity"]["relationCounts"],
                    json!({
                        "total": 3,
                        "byType": [{"relationType": {"source": "kanka", "alias": "relation"}, "count": 3}],
                        "byKind": [{"kind": "character", "count": 2}, {"kind": "location", "count": 1}],
                        "byDirection": [{"direction": "OUTGOING", "count": 2}, {"direction": "INCOMING", "count": 1}],
                    })
                );
            }
            "Neighbourhood" => {
                let n = &data["entity"]["neighbourhood"];
                assert_eq!(n["totalCount"], 3);
                let seen: Vec<(i64, &str, &str)> = n["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        (
                            e["distance"].as_i64().unwrap(),
                            e["node"]["name"].as_str().unwrap(),
                            e["via"]["label"].as_str().unwrap(),
                        )
                    })
                    .collect();
                assert_eq!(
                    seen,
                    [
                        (1, "Vex", "Mentor"),
                        (2, "Tam", "Rival"),
                        (2, "Harbour Town", "Lives in")
                    ]
                );
            }
            "Paths" => {
                let routes: Vec<Vec<&str>> = data["paths"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        p["steps"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|s| s["relation"]["label"].as_str().unwrap())
                            .collect()
                    })
                    .collect();
                assert_eq!(
                    routes,
                    [
                        vec!["Mentor", "Lives in"],
                        vec!["Mentor", "Rival", "Lives in"]
                    ]
                );
            }
            other => panic!("no expectations for {other}"),
        }
    }
}
