//! Reads go through dataloaders: the statements a request runs are bounded by
//! its depth, not by how many parents a level has.

use chrono::Utc;
use relgate::store::models::{entity, relation};
use sea_orm::{ActiveValue::Set, Database, EntityTrait};
use serde_json::json;

use crate::engine_tests;
use crate::helpers::TestApp;

engine_tests!(
    a_nested_query_runs_the_same_statements_for_5_or_60_parents,
    two_levels_of_nesting_stay_constant_too,
    a_page_and_its_total_count_are_one_statement,
    branches_of_one_level_share_one_batch_per_loader,
);

/// Writes `entities` Kanka characters, each the owner of `per_entity`
/// relations to the next ones (bulk inserts: this is arrangement, not the
/// thing under test). Returns nothing; the ids are 1..=entities.
async fn seed_graph(app: &TestApp, entities: i64, per_entity: i64) {
    let type_id = relgate::domain::GlobalId::decode(&app.type_id("kanka", "relation").await)
        .unwrap()
        .id;
    let db = Database::connect(&app.database_url).await.unwrap();
    let now = Utc::now();
    let rows: Vec<entity::ActiveModel> = (1..=entities)
        .map(|i| entity::ActiveModel {
            source: Set("kanka".into()),
            space: Set("1".into()),
            kind: Set("character".into()),
            kind_scope: Set(String::new()),
            external_id: Set(i.to_string()),
            name: Set(Some(format!("character {i}"))),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    entity::Entity::insert_many(rows).exec(&db).await.unwrap();
    let mut rels = Vec::new();
    for from in 1..=entities {
        for k in 1..=per_entity {
            let to = (from + k - 1) % entities + 1;
            rels.push(relation::ActiveModel {
                type_id: Set(type_id),
                from_id: Set(from),
                to_id: Set(if to == from { to % entities + 1 } else { to }),
                label: Set(Some(format!("r{from}-{k}"))),
                pinned: Set(false),
                is_private: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
    }
    for chunk in rels.chunks(500) {
        relation::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .unwrap();
    }
    db.close().await.unwrap();
}

const FAN_OUT: &str = "{ entities(first: 50) { edges { node { relations(first: 20) { edges { node { to { name } type { alias } } } } } } } }";

/// Runs `query`; returns (statements it cost, its data).
async fn cost(app: &TestApp, query: &str) -> (u64, serde_json::Value) {
    let (data, statements) = app.data_and_statements(query, json!({})).await;
    (statements, data)
}

async fn a_nested_query_runs_the_same_statements_for_5_or_60_parents(app: TestApp) {
    seed_graph(&app, 5, 2).await;
    let (small, data) = cost(&app, FAN_OUT).await;
    let parents = data["entities"]["edges"].as_array().unwrap();
    assert_eq!(parents.len(), 5);
    assert_eq!(
        parents[0]["node"]["relations"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "2 outgoing and 2 incoming"
    );

    // Nine times the parents, ten times the relations each.
    let (app2, running) = TestApp::spawn(app.engine).await.unwrap();
    seed_graph(&app2, 60, 25).await;
    let (large, data) = cost(&app2, FAN_OUT).await;
    let parents = data["entities"]["edges"].as_array().unwrap();
    assert_eq!(parents.len(), 50);
    for p in parents {
        let edges = p["node"]["relations"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 20, "each parent gets its own page of 20");
        assert_eq!(edges[0]["node"]["type"]["alias"], "relation");
        assert!(edges[0]["node"]["to"]["name"].is_string());
    }
    running.teardown().await;

    // entities page + relation pages + far ends + types.
    assert_eq!(small, large, "statements must not grow with the fan-out");
    assert!(large <= 4, "{large} statements for a query of depth 4");
}

async fn two_levels_of_nesting_stay_constant_too(app: TestApp) {
    let deep = "{ entities(first: 50) { edges { node { relations(first: 5) { totalCount edges { other { related(first: 3) { totalCount edges { node { name } } } relations(first: 3) { edges { node { label } } } } } } } } } }";
    seed_graph(&app, 6, 3).await;
    let (small, _) = cost(&app, deep).await;
    let (app2, running) = TestApp::spawn(app.engine).await.unwrap();
    seed_graph(&app2, 60, 10).await;
    let (large, data) = cost(&app2, deep).await;
    let first = &data["entities"]["edges"][0]["node"]["relations"];
    assert_eq!(first["totalCount"], 20, "10 outgoing and 10 incoming");
    assert_eq!(
        first["edges"][0]["other"]["related"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    running.teardown().await;
    assert_eq!(small, large);
    // entities page; relations with their count; far ends; related with
    // their count and relations (two lists of one level); the related
    // entities are all far ends already, so the loader's cache has them.
    assert_eq!(large, 5, "{large} statements");
}

/// `totalCount` asked for beside the rows is counted by the rows' statement;
/// asked for alone, or after a cursor, it is a statement of its own.
async fn a_page_and_its_total_count_are_one_statement(app: TestApp) {
    seed_graph(&app, 30, 12).await;
    let one = |fields: &str| {
        format!(
            "{{ entity(source: \"kanka\", space: \"1\", externalId: \"1\") {{ relations(first: 5) {{ {fields} }} related(first: 5) {{ {fields} }} }} }}"
        )
    };
    let (rows, data) = cost(&app, &one("edges { cursor }")).await;
    let cursor = data["entity"]["relations"]["edges"][4]["cursor"].clone();
    let (both, data) = cost(&app, &one("totalCount edges { cursor }")).await;
    assert_eq!(both, rows, "the count rides on the page statement");
    // 12 outgoing, and 12 incoming from the 12 entities before it (wrapping).
    assert_eq!(data["entity"]["relations"]["totalCount"], 24);
    assert_eq!(data["entity"]["related"]["totalCount"], 24);
    let (count_only, data) = cost(&app, &one("totalCount")).await;
    assert_eq!(count_only, rows);
    assert_eq!(data["entity"]["relations"]["totalCount"], 24);
    let after = format!(
        "{{ entity(source: \"kanka\", space: \"1\", externalId: \"1\") {{ relations(first: 5, after: {cursor}) {{ totalCount edges {{ cursor }} }} }} }}"
    );
    let (with_cursor, data) = cost(&app, &after).await;
    assert_eq!(data["entity"]["relations"]["totalCount"], 24);
    assert_eq!(with_cursor, 3, "entity, page, count");
}

/// Two lists under one entity whose rows need their far ends: the far ends
/// of both are one statement, not one per list (a list's page that finished
/// first does not start the next level before the other's did).
async fn branches_of_one_level_share_one_batch_per_loader(app: TestApp) {
    seed_graph(&app, 30, 6).await;
    let query = "{ entity(source: \"kanka\", space: \"1\", externalId: \"1\") { out: relations(direction: OUTGOING, first: 5) { edges { other { name } } } in: relations(direction: INCOMING, first: 5) { edges { other { name } } } rel: related(first: 5) { edges { node { name } } } } }";
    let (statements, data) = cost(&app, query).await;
    let entity = &data["entity"];
    for list in ["out", "in", "rel"] {
        assert!(
            !entity[list]["edges"].as_array().unwrap().is_empty(),
            "{list}: {entity}"
        );
    }
    // The entity; two relation pages (two filters) and the related page;
    // the far ends of all three.
    assert_eq!(statements, 5, "{statements} statements");
}
