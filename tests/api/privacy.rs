//! Private relations over every API: the REST dialects' lists, single reads
//! and HEADs, GraphQL's counts, and `is_private` from a write token.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{TestApp, code};

engine_tests!(
    kanka_hides_private_relations_from_all_but_admins,
    umbraco_hides_private_relations_from_all_but_admins,
    copper_relations_cannot_be_private,
    relation_counts_leave_private_relations_to_admins,
);

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, String)],
) -> (StatusCode, Value) {
    call_with(app, method, path, headers, None).await
}

async fn call_with(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, String)],
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, app.url(path));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn bearer(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", format!("Bearer {token}")),
        ("Accept", "application/json".to_owned()),
    ]
}

/// `legacyId` of relation `id` and of its mirror.
async fn legacy_ids(app: &TestApp, id: &str) -> (i64, Option<i64>, Option<String>) {
    let data = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Relation { legacyId mirror { id legacyId } } } }",
            json!({"id": id}),
        )
        .await;
    let n = &data["node"];
    (
        n["legacyId"].as_i64().unwrap(),
        n["mirror"]["legacyId"].as_i64(),
        n["mirror"]["id"].as_str().map(str::to_owned),
    )
}

const PRIVATE: &str =
    "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { isPrivate } } }";

async fn kanka_hides_private_relations_from_all_but_admins(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let owner = app.entity("kanka", "1", "character", "168").await;
    let target = app.entity("kanka", "1", "character", "72").await;
    // A public two-way relation whose mirror is private, and a private one.
    let public = app
        .relate_ok(
            &ty,
            &owner,
            &target,
            json!({"label": "known", "twoWay": true}),
        )
        .await;
    let secret = app
        .relate_ok(
            &ty,
            &owner,
            &target,
            json!({"label": "secret", "isPrivate": true}),
        )
        .await;
    let (public_legacy, mirror_legacy, mirror) = legacy_ids(&app, &public).await;
    let mirror_legacy = mirror_legacy.unwrap();
    app.data(
        PRIVATE,
        json!({"i": {"id": mirror.unwrap(), "isPrivate": true}}),
    )
    .await;
    let (secret_legacy, _, _) = legacy_ids(&app, &secret).await;
    let admin_token = app.create_token("admin", "kanka-admin", &[]);
    let admin = bearer(&admin_token);
    let writer = bearer(&app.create_token("write", "kanka-writer", &[]));

    let base = "/kanka/api/1.0/campaigns/1/entities";
    let owner_list = format!("{base}/168/relations");
    let target_list = format!("{base}/72/relations");
    let labels = |body: &Value| -> Vec<String> {
        let mut l: Vec<String> = body["data"]
            .as_array()
            .unwrap_or_else(|| panic!("a list: {body}"))
            .iter()
            .map(|r| r["relation"].as_str().unwrap().to_owned())
            .collect();
        l.sort();
        l
    };
    let (status, body) = call(&app, Method::GET, &owner_list, &admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(labels(&body), ["known", "secret"]);
    let (_, body) = call(&app, Method::GET, &target_list, &admin).await;
    assert_eq!(
        labels(&body),
        ["known"],
        "the private mirror, for the admin"
    );
    let (status, body) = call(&app, Method::GET, &owner_list, &writer).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(labels(&body), ["known"]);
    let (_, body) = call(&app, Method::GET, &target_list, &writer).await;
    assert_eq!(labels(&body), Vec::<String>::new(), "{body}");

    // Single reads and HEADs: the private ones are 404 exactly as an id
    // that does not exist, and the public one's mirror is not named.
    let one = |entity: u32, id: i64| format!("{base}/{entity}/relations/{id}");
    let (status, body) = call(&app, Method::GET, &one(168, public_legacy), &writer).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["relation"], "known", "{body}");
    let (_, body) = call(&app, Method::GET, &one(168, public_legacy), &admin).await;
    assert_eq!(body["data"]["mirror_id"], mirror_legacy, "{body}");
    let (_, missing) = call(&app, Method::GET, &one(168, 999_999), &writer).await;
    for (entity, id) in [(168, secret_legacy), (72, mirror_legacy)] {
        let (status, body) = call(&app, Method::GET, &one(entity, id), &writer).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["code"], missing["code"]);
        let (status, _) = call(&app, Method::HEAD, &one(entity, id), &writer).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, body) = call(&app, Method::GET, &one(entity, id), &admin).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["data"]["is_private"], true);
        let (status, _) = call(&app, Method::HEAD, &one(entity, id), &admin).await;
        assert_eq!(status, StatusCode::OK);
        // Writes to it are 404 too.
        let (status, _) = call(&app, Method::DELETE, &one(entity, id), &writer).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    // A write token may not make a relation private, on create or update.
    let admin_app = app.with_token(&admin_token);
    let before = admin_app.relation_count().await;
    let (status, body) = call_with(
        &app,
        Method::POST,
        &owner_list,
        &writer,
        Some(json!({"relation": "mine", "owner_id": 168, "target_id": 72, "is_private": true})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = call_with(
        &app,
        Method::PATCH,
        &one(168, public_legacy),
        &writer,
        Some(json!({"is_private": true})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(admin_app.relation_count().await, before, "nothing written");
    let data = admin_app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Relation { isPrivate } } }",
            json!({"id": public}),
        )
        .await;
    assert_eq!(data["node"]["isPrivate"], false);
}

const PARENT: &str = "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31";
const CHILD: &str = "e0c5f0e5-c1f0-4422-9ac0-6dbb536e8eb5";

async fn umbraco_hides_private_relations_from_all_but_admins(app: TestApp) {
    let created = app
        .data(
            "mutation($i: CreateRelationTypeInput!) { createRelationType(input: $i) { relationType { id } } }",
            json!({"i": {"source": "umbraco", "alias": "secretCopy", "name": "Secret copy",
                "attributes": {"label": {"allowed": false}, "comment": {"allowed": true}, "privateAllowed": true}}}),
        )
        .await;
    let secret_type = created["createRelationType"]["relationType"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let copy = app.type_id("umbraco", "relateDocumentOnCopy").await;
    let parent = app
        .entity("umbraco", "my-project", "document", PARENT)
        .await;
    let child = app.entity("umbraco", "my-project", "document", CHILD).await;
    let public = app.relate_ok(&copy, &parent, &child, json!({})).await;
    let secret = app
        .relate_ok(
            &secret_type,
            &parent,
            &child,
            json!({"isPrivate": true, "comment": "hush"}),
        )
        .await;
    let (public_legacy, _, _) = legacy_ids(&app, &public).await;
    let (secret_legacy, _, _) = legacy_ids(&app, &secret).await;
    let headers = |token: &str| {
        vec![
            ("Api-Version", "2".to_owned()),
            ("Umb-Project-Alias", "my-project".to_owned()),
            ("Authorization", format!("Bearer {token}")),
        ]
    };
    let admin = headers(&app.create_token("admin", "umbraco-admin", &[]));
    let writer = headers(&app.create_token("write", "umbraco-writer", &[]));
    let ids = |body: &Value| -> Vec<i64> {
        let mut ids: Vec<i64> = body["_embedded"]["relations"]
            .as_array()
            .unwrap_or_else(|| panic!("a list: {body}"))
            .iter()
            .map(|r| r["_id"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    for path in [
        format!("/umbraco/relation/parent/{PARENT}"),
        format!("/umbraco/relation/child/{CHILD}"),
    ] {
        let (status, body) = call(&app, Method::GET, &path, &admin).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(ids(&body), [public_legacy, secret_legacy], "{path}");
        let (status, body) = call(&app, Method::GET, &path, &writer).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&body), [public_legacy], "{path}");
    }
    let by_alias = "/umbraco/relation/secretCopy";
    let (_, body) = call(&app, Method::GET, by_alias, &admin).await;
    assert_eq!(ids(&body), [secret_legacy], "{body}");
    let (_, body) = call(&app, Method::GET, by_alias, &writer).await;
    assert_eq!(ids(&body), Vec::<i64>::new(), "{body}");
    let one = format!("/umbraco/relation/{secret_legacy}");
    let (_, missing) = call(&app, Method::GET, "/umbraco/relation/999999", &writer).await;
    let (status, body) = call(&app, Method::GET, &one, &writer).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body.to_string()
            .replace(&format!("'{secret_legacy}'"), "'999999'"),
        missing.to_string(),
        "the same as an id that does not exist"
    );
    let (status, _) = call(&app, Method::HEAD, &one, &writer).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = call(&app, Method::GET, &one, &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["comment"], "hush");
    let (status, _) = call(&app, Method::HEAD, &one, &admin).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&app, Method::DELETE, &one, &writer).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, Method::GET, &one, &admin).await;
    assert_eq!(status, StatusCode::OK, "the writer's delete did nothing");
}

async fn copper_relations_cannot_be_private(app: TestApp) {
    // Copper's lists read only its `related` type, which takes no
    // attributes: not even an admin can make one private, so none can hide
    // in them.
    let ty = app.type_id("copper", "related").await;
    let person = app.entity("copper", "default", "person", "1").await;
    let company = app.entity("copper", "default", "company", "2").await;
    let res = app
        .relate(json!({"typeId": ty, "fromId": person, "toId": company, "isPrivate": true}))
        .await;
    assert_eq!(code(&res["errors"][0]), "CONSTRAINT_VIOLATION", "{res}");
    assert_eq!(
        res["errors"][0]["extensions"]["rule"],
        "ATTRIBUTE_NOT_ALLOWED"
    );
    let id = app.relate_ok(&ty, &person, &company, json!({})).await;
    let res = app
        .gql(PRIVATE, json!({"i": {"id": id, "isPrivate": true}}))
        .await;
    assert!(res.get("errors").is_some(), "{res}");
    let token = app.create_token("admin", "copper-admin", &[]);
    let headers = [
        ("X-PW-AccessToken", token.clone()),
        ("X-PW-Application", "developer_api".to_owned()),
        ("X-PW-UserEmail", "copper-admin".to_owned()),
    ];
    let (status, body) = call(
        &app,
        Method::GET,
        "/copper/developer_api/v1/people/1/related",
        &headers,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!([{"id": 2, "type": "company"}]));
}

async fn relation_counts_leave_private_relations_to_admins(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let c = app.entity("kanka", "1", "location", "3").await;
    app.relate_ok(&ty, &a, &b, json!({"label": "known"})).await;
    app.relate_ok(&ty, &a, &c, json!({"label": "hidden", "isPrivate": true}))
        .await;
    let admin = app.with_token(&app.create_token("admin", "admin", &[]));
    let reader = app.with_token(&app.create_token("read", "reader", &[]));
    let q = "query($a: ID!) { node(id: $a) { ... on Entity {
        relationCounts { total byKind { kind count } byType { count } byDirection { count } }
        relations { totalCount }
        related { totalCount }
    } } }";
    let all = admin.data(q, json!({"a": a})).await["node"].clone();
    let some = reader.data(q, json!({"a": a})).await["node"].clone();
    eprintln!("privacy: counts for an admin {all}; for a reader {some}");
    assert_eq!(all["relationCounts"]["total"], 2);
    assert_eq!(all["relations"]["totalCount"], 2);
    assert_eq!(all["related"]["totalCount"], 2);
    assert_eq!(some["relationCounts"]["total"], 1);
    assert_eq!(
        some["relationCounts"]["byKind"],
        json!([{"kind": "character", "count": 1}])
    );
    assert_eq!(some["relationCounts"]["byType"], json!([{"count": 1}]));
    assert_eq!(some["relations"]["totalCount"], 1);
    assert_eq!(some["related"]["totalCount"], 1);
    let filtered = reader
        .gql(
            "query($a: ID!) { node(id: $a) { ... on Entity { relations(filter: {isPrivate: true}) { totalCount } } } }",
            json!({"a": a}),
        )
        .await;
    assert_eq!(code(&filtered["errors"][0]), "FORBIDDEN", "{filtered}");
}

/// Kanka's `mirror_id` of a public relation whose mirror is private, as a
/// write token reads it: the README promises the mirror is absent for
/// anyone but admins (GraphQL's `mirror` is null), so it must be null.
async fn kanka_does_not_name_a_private_mirror(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let owner = app.entity("kanka", "1", "character", "168").await;
    let target = app.entity("kanka", "1", "character", "72").await;
    let public = app
        .relate_ok(
            &ty,
            &owner,
            &target,
            json!({"label": "known", "twoWay": true}),
        )
        .await;
    let (public_legacy, _, mirror) = legacy_ids(&app, &public).await;
    app.data(
        PRIVATE,
        json!({"i": {"id": mirror.unwrap(), "isPrivate": true}}),
    )
    .await;
    let writer = bearer(&app.create_token("write", "kanka-writer", &[]));
    let path = format!("/kanka/api/1.0/campaigns/1/entities/168/relations/{public_legacy}");
    let (status, body) = call(&app, Method::GET, &path, &writer).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["mirror_id"], Value::Null, "{body}");
    let (_, body) = call(
        &app,
        Method::GET,
        "/kanka/api/1.0/campaigns/1/entities/168/relations",
        &writer,
    )
    .await;
    assert_eq!(body["data"][0]["mirror_id"], Value::Null, "{body}");
}

mod kanka_does_not_name_a_private_mirror {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        crate::helpers::run(
            crate::helpers::Engine::Sqlite,
            super::kanka_does_not_name_a_private_mirror,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        crate::helpers::run(
            crate::helpers::Engine::Postgres,
            super::kanka_does_not_name_a_private_mirror,
        )
        .await
    }
}
