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
    let ops: Value = app.get_json("/playground/operations.json").await;
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

engine_tests!(
    response_fields_come_in_query_order,
    the_content_type_follows_the_accept_header,
);

async fn response_fields_come_in_query_order(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    app.relate_ok(&ty, &a, &b, json!({"label": "x"})).await;
    // Siblings that resolve through different loaders finish at different
    // times; the response must still follow the query.
    let query = "query($id: ID!) { relationTypes { totalCount pageInfo { endCursor } edges { node { alias } } }
        z: node(id: $id) { ... on Entity { related { totalCount edges { node { name } } } relations { totalCount edges { other { name } } } ...Names } }
        a: entities { totalCount edges { cursor } } }
        fragment Names on Entity { name kind }";
    let expected = [
        "\"relationTypes\"",
        "\"totalCount\"",
        "\"pageInfo\"",
        "\"edges\"",
        "\"z\"",
        "\"related\":{",
        "\"relations\":{",
        "\"name\":\"character 1\"",
        "\"kind\"",
        "\"a\"",
    ];
    for _ in 0..30 {
        let text = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({"query": query, "variables": {"id": a}}))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let positions: Vec<usize> = expected
            .iter()
            .map(|k| text.find(k).unwrap_or_else(|| panic!("{k} in {text}")))
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "out of order: {text}"
        );
    }
}

async fn the_content_type_follows_the_accept_header(app: TestApp) {
    let send = |accept: &'static str| {
        let app = app.clone();
        async move {
            app.client
                .post(app.url("/graphql"))
                .header("accept", accept)
                .json(&json!({"query": "{ relationTypes { totalCount } }"}))
                .send()
                .await
                .unwrap()
                .headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    assert!(
        send("application/json, multipart/mixed")
            .await
            .starts_with("application/json")
    );
    assert!(
        send("application/graphql-response+json, application/json")
            .await
            .starts_with("application/graphql-response+json")
    );
}
