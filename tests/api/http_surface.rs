//! Health checks, metrics, the playground, GET and POST.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::TestApp;

engine_tests!(
    health_and_readiness_answer,
    the_playground_is_served_with_every_asset_embedded,
    get_runs_queries_but_refuses_mutations,
    every_response_carries_a_request_id,
);

async fn health_and_readiness_answer(app: TestApp) {
    for path in ["/healthz", "/readyz"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    let before = app.statements().await;
    app.data("{ relationTypes { totalCount } }", json!({}))
        .await;
    assert!(app.statements().await > before, "the counter moves");
}

async fn the_playground_is_served_with_every_asset_embedded(app: TestApp) {
    for path in ["/playground", "/playground/"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = res.text().await.unwrap();
        assert!(html.contains("relgate playground"));
        // Every script and stylesheet the page loads is served by relgate
        // itself: nothing comes from another origin.
        let refs: Vec<&str> = html
            .split(['"', '\''])
            .filter(|s| s.starts_with("/playground/assets/"))
            .collect();
        assert!(!refs.is_empty(), "the page loads its bundle");
        assert!(!html.contains("https://") && !html.contains("http://"));
        for asset in refs {
            let res = app.client.get(app.url(asset)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{asset}");
        }
    }
    let ops: Value = app
        .client
        .get(app.url("/playground/operations.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        ops["defaultQuery"]
            .as_str()
            .unwrap()
            .contains("relationTypes")
    );
    let names: Vec<&str> = ops["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"RelateCopperRecords"));
    assert!(names.contains(&"ListRelationTypes"));
    let missing = app
        .client
        .get(app.url("/playground/assets/nothing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

async fn get_runs_queries_but_refuses_mutations(app: TestApp) {
    let res = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ relationTypes { totalCount } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["data"]["relationTypes"]["totalCount"]
            .as_u64()
            .unwrap()
            >= 8
    );

    let mutation = r#"mutation { upsertEntity(input: {source: "kanka", space: "1", kind: "character", externalId: "5"}) { created } }"#;
    let res = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", mutation)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let data = app.data("{ entities { totalCount } }", json!({})).await;
    assert_eq!(data["entities"]["totalCount"], 0, "nothing was written");
}

async fn every_response_carries_a_request_id(app: TestApp) {
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("x-request-id", "test-123")
        .json(&json!({"query": "{ relationTypes { totalCount } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "test-123");
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert!(!res.headers()["x-request-id"].is_empty());
}
