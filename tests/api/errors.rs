//! Every error carries a stable `extensions.code`; internal ones are masked.

use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::engine_tests;
use crate::helpers::{TestApp, code};

engine_tests!(
    a_syntax_error_is_graphql_parse_failed,
    an_unknown_field_is_graphql_validation_failed,
    a_variable_of_the_wrong_shape_is_bad_user_input,
    malformed_global_ids_are_bad_user_input,
    a_database_failure_is_masked_and_carries_the_request_id,
);

async fn a_syntax_error_is_graphql_parse_failed(app: TestApp) {
    let err = app.error("{ relationTypes { ", json!({})).await;
    assert_eq!(code(&err), "GRAPHQL_PARSE_FAILED");
}

async fn an_unknown_field_is_graphql_validation_failed(app: TestApp) {
    let err = app.error("{ relationTypes { nope } }", json!({})).await;
    assert_eq!(code(&err), "GRAPHQL_VALIDATION_FAILED");
}

async fn a_variable_of_the_wrong_shape_is_bad_user_input(app: TestApp) {
    let res = app
        .gql(
            "mutation($i: UpsertEntityInput!) { upsertEntity(input: $i) { created } }",
            json!({ "i": { "source": 5 } }),
        )
        .await;
    let err = &res["errors"][0];
    assert!(
        ["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"].contains(&code(err)),
        "{res:#}"
    );
    let data = app.data("{ entities { totalCount } }", json!({})).await;
    assert_eq!(data["entities"]["totalCount"], 0);
}

async fn malformed_global_ids_are_bad_user_input(app: TestApp) {
    for id in ["", "not-an-id", "RW50aXR5Ong", "Rm9vOjE"] {
        let err = app
            .error(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(code(&err), "BAD_USER_INPUT", "{id:?}");
    }
    // A well-formed id of the wrong type where an entity is expected.
    let type_id = app.type_id("kanka", "relation").await;
    let err = app
        .error(
            "mutation($i: DeleteEntityInput!) { deleteEntity(input: $i) { deletedId } }",
            json!({ "i": { "id": type_id } }),
        )
        .await;
    assert_eq!(code(&err), "BAD_USER_INPUT");
}

async fn a_database_failure_is_masked_and_carries_the_request_id(app: TestApp) {
    // Break the store under the running server.
    let db = Database::connect(&app.database_url).await.unwrap();
    db.execute_unprepared("DROP TABLE relations").await.unwrap();
    db.close().await.unwrap();

    let res = app
        .client
        .post(app.url("/graphql"))
        .header("x-request-id", "req-42")
        .json(&json!({ "query": "{ relations { totalCount } }" }))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    let err = &body["errors"][0];
    assert_eq!(code(err), "INTERNAL_SERVER_ERROR", "{body:#}");
    assert_eq!(err["extensions"]["requestId"], "req-42");
    assert_eq!(err["message"], "Internal server error");
    // The path names the field; message and extensions must say nothing more.
    let text = format!("{} {}", err["message"], err["extensions"]).to_lowercase();
    for leak in ["relations", "table", "sql", "select", "exist"] {
        assert!(!text.contains(leak), "leaked {leak:?}: {body:#}");
    }
}
