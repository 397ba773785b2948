//! `node` and `nodes`: every node type by global id.

use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{TestApp, code};

engine_tests!(
    node_fetches_each_type_by_global_id,
    an_unknown_node_is_null_with_not_found,
    nodes_keeps_order_and_reports_each_missing_id,
);

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id ... on Entity { externalId } ... on Relation { label } ... on RelationType { alias } } }";

async fn node_fetches_each_type_by_global_id(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let r = app.relate_ok(&ty, &a, &b, json!({"label": "Allies"})).await;
    for (id, typename, field, value) in [
        (&a, "Entity", "externalId", "1"),
        (&r, "Relation", "label", "Allies"),
        (&ty, "RelationType", "alias", "relation"),
    ] {
        let data = app.data(NODE, json!({"id": id})).await;
        assert_eq!(data["node"]["__typename"], typename);
        assert_eq!(data["node"]["id"], id.as_str());
        assert_eq!(data["node"][field], value);
    }
}

async fn an_unknown_node_is_null_with_not_found(app: TestApp) {
    let id = relgate::domain::GlobalId::new(relgate::domain::NodeType::Relation, 12345).encode();
    let res = app.gql(NODE, json!({"id": id})).await;
    assert_eq!(res["data"]["node"], Value::Null);
    assert_eq!(code(&res["errors"][0]), "NOT_FOUND");
}

async fn nodes_keeps_order_and_reports_each_missing_id(app: TestApp) {
    let a = app.entity("kanka", "1", "character", "1").await;
    let ty = app.type_id("copper", "related").await;
    let missing = relgate::domain::GlobalId::new(relgate::domain::NodeType::Entity, 777).encode();
    let q = "query($ids: [ID!]!) { found: nodes(ids: $ids) { id } }";
    let res = app.gql(q, json!({"ids": [ty, missing, a]})).await;
    assert_eq!(res["data"]["found"], json!([{"id": ty}, null, {"id": a}]));
    let errors = res["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(code(&errors[0]), "NOT_FOUND");
    assert_eq!(errors[0]["path"], json!(["found", 1]));
    let err = app.error(q, json!({"ids": [a, "garbage"]})).await;
    assert_eq!(code(&err), "BAD_USER_INPUT");
}
