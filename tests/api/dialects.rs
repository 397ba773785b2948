//! The REST dialects answer the seeds' requests with the seeds' shapes,
//! statuses and error envelopes, over the same store as GraphQL.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::TestApp;

engine_tests!(
    copper_lists_relates_and_removes_related_items_as_the_seed_shows,
    copper_errors_use_coppers_envelope,
    umbraco_serves_the_seeds_relation_endpoints,
    umbraco_errors_are_the_seeds_table,
    kanka_serves_the_seeds_relation_endpoints,
    kanka_errors_use_kankas_envelope,
    a_kanka_two_way_relation_is_seen_from_both_sides_in_graphql,
    a_copper_relation_is_a_related_item_in_graphql,
    a_graphql_relation_is_served_by_umbraco_by_parent_and_child,
);

/// Sends `method path` with `headers` and an optional JSON body; returns the
/// status and the body (JSON, or Null when empty).
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

// --- Copper ---------------------------------------------------------------

const COPPER: &str = "/copper/developer_api/v1";

fn copper_headers<'a>(token: &'a str, email: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("X-PW-AccessToken", token),
        ("X-PW-Application", "developer_api"),
        ("X-PW-UserEmail", email),
    ]
}

/// Person 1 related, in the seed's order, to the seed's four records.
async fn copper_seed(app: &TestApp) {
    let ty = app.type_id("copper", "related").await;
    let person = app.entity("copper", "default", "person", "1").await;
    for (kind, id) in [
        ("project", "208105"),
        ("opportunity", "4417020"),
        ("opportunity", "4418567"),
        ("company", "13358412"),
    ] {
        let other = app.entity("copper", "default", kind, id).await;
        app.relate_ok(&ty, &person, &other, json!({})).await;
    }
    app.entity("copper", "default", "opportunity", "2827700")
        .await;
}

async fn copper_lists_relates_and_removes_related_items_as_the_seed_shows(app: TestApp) {
    copper_seed(&app).await;
    let token = app.create_token("write", "copper-client", &["--email", "dev@example.com"]);
    let h = copper_headers(&token, "dev@example.com");
    let (status, body) = call(
        &app,
        Method::GET,
        &format!("{COPPER}/people/1/related"),
        &h,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!([{"id":208105,"type":"project"},{"id":4417020,"type":"opportunity"},{"id":4418567,"type":"opportunity"},{"id":13358412,"type":"company"}])
    );
    let (status, body) = call(
        &app,
        Method::GET,
        &format!("{COPPER}/people/1/related/opportunities"),
        &h,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!([{"id":4417020,"type":"opportunity"},{"id":4418567,"type":"opportunity"}])
    );

    let resource = json!({"resource": {"id": 2827700, "type": "opportunity"}});
    let (status, body) = call(
        &app,
        Method::POST,
        &format!("{COPPER}/people/1/related"),
        &h,
        Some(resource.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"added":true,"resource":{"id":2827700,"type":"opportunity"}})
    );
    let (_, body) = call(
        &app,
        Method::GET,
        &format!("{COPPER}/opportunities/2827700/related"),
        &h,
        None,
    )
    .await;
    assert_eq!(
        body,
        json!([{"id":1,"type":"person"}]),
        "relating A to B relates B to A"
    );

    let (status, body) = call(
        &app,
        Method::DELETE,
        &format!("{COPPER}/people/1/related"),
        &h,
        Some(resource),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"removed":true,"resource":{"id":2827700,"type":"opportunity"}})
    );
    let (_, body) = call(
        &app,
        Method::GET,
        &format!("{COPPER}/people/1/related/opportunities"),
        &h,
        None,
    )
    .await;
    assert_eq!(body.as_array().unwrap().len(), 2);
}

#[track_caller]
fn copper_error(status: StatusCode, body: &Value, expected: StatusCode) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(body["status"], expected.as_u16());
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

async fn copper_errors_use_coppers_envelope(app: TestApp) {
    copper_seed(&app).await;
    let token = app.create_token("write", "copper-client", &["--email", "dev@example.com"]);
    let reader = app.create_token("read", "copper-reader", &[]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let h = copper_headers(&token, "dev@example.com");
    let url = format!("{COPPER}/people/1/related");
    // A second company for person 1 breaks Copper's limit: 422.
    app.with_token(&token)
        .entity("copper", "default", "company", "77")
        .await;
    let (status, body) = call(
        &app,
        Method::POST,
        &url,
        &h,
        Some(json!({"resource": {"id": 77, "type": "company"}})),
    )
    .await;
    copper_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("at most one company")
    );
    // A pair Copper does not allow: 422.
    app.with_token(&token)
        .entity("copper", "default", "lead", "5")
        .await;
    let (status, body) = call(
        &app,
        Method::POST,
        &format!("{COPPER}/leads/5/related"),
        &h,
        Some(json!({"resource": {"id": 13358412, "type": "company"}})),
    )
    .await;
    copper_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    // Missing records: 404.
    let (status, body) = call(
        &app,
        Method::POST,
        &url,
        &h,
        Some(json!({"resource": {"id": 999, "type": "task"}})),
    )
    .await;
    copper_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = call(
        &app,
        Method::GET,
        &format!("{COPPER}/people/404/related"),
        &h,
        None,
    )
    .await;
    copper_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = call(
        &app,
        Method::GET,
        &format!("{COPPER}/widgets/1/related"),
        &h,
        None,
    )
    .await;
    copper_error(status, &body, StatusCode::NOT_FOUND);
    // Bad credentials: a wrong token, a wrong email, no application header.
    for headers in [
        copper_headers(
            "rg_0000000000000000.0000000000000000000000000000000000000000000000000000000000000000",
            "dev@example.com",
        ),
        copper_headers(&token, "someone@example.com"),
        vec![
            ("X-PW-AccessToken", token.as_str()),
            ("X-PW-UserEmail", "dev@example.com"),
        ],
    ] {
        let (status, body) = call(&app, Method::GET, &url, &headers, None).await;
        copper_error(status, &body, StatusCode::UNAUTHORIZED);
    }
    // A read token may list but not relate: 403. Its bound name is its email.
    let r = copper_headers(&reader, "copper-reader");
    let (status, _) = call(&app, Method::GET, &url, &r, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = call(
        &app,
        Method::POST,
        &url,
        &r,
        Some(json!({"resource": {"id": 2827700, "type": "opportunity"}})),
    )
    .await;
    copper_error(status, &body, StatusCode::FORBIDDEN);
    // A malformed body: 400. Removing what is not related: 404.
    let (status, body) = call(&app, Method::POST, &url, &h, Some(json!({"id": 1}))).await;
    copper_error(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = call(
        &app,
        Method::DELETE,
        &url,
        &h,
        Some(json!({"resource": {"id": 2827700, "type": "opportunity"}})),
    )
    .await;
    copper_error(status, &body, StatusCode::NOT_FOUND);
    assert_eq!(
        app.with_token(&token).relation_count().await,
        4,
        "nothing was written"
    );
}

// --- Umbraco --------------------------------------------------------------

const PARENT: &str = "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31";
const CHILD: &str = "e0c5f0e5-c1f0-4422-9ac0-6dbb536e8eb5";

fn seed_relation() -> Value {
    json!({
        "parentId": PARENT,
        "childId": CHILD,
        "relationTypeAlias": "relateDocumentOnCopy",
        "comment": "Testing relations for relateDocumentOnCopy"
    })
}

fn umbraco_headers(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Api-Version", "2".to_owned()),
        ("Umb-Project-Alias", "my-project".to_owned()),
        ("Authorization", format!("Bearer {token}")),
    ]
}

fn as_refs<'a>(h: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    h.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The seed's relation shape, for relation `id` on this server, with the
/// dates Heartcore's client library declares (those of `created`).
fn umbraco_relation(app: &TestApp, id: &Value, created: &Value) -> Value {
    json!({
        "_id": id,
        "parentId": PARENT,
        "childId": CHILD,
        "relationTypeAlias": "relateDocumentOnCopy",
        "comment": "Testing relations for relateDocumentOnCopy",
        "_createDate": created["_createDate"],
        "_updateDate": created["_updateDate"],
        "_links": {"self": {"href": app.url(&format!("/umbraco/relation/{id}"))}}
    })
}

/// A date as Heartcore writes it: `2026-12-01T08:40:12.520Z`.
#[track_caller]
fn assert_umbraco_date(v: &Value) {
    let d = v.as_str().unwrap_or_else(|| panic!("a date, got {v}"));
    assert!(
        d.len() == 24 && d.ends_with('Z') && &d[10..11] == "T" && &d[19..20] == ".",
        "{d}"
    );
    assert!(chrono::DateTime::parse_from_rfc3339(d).is_ok(), "{d}");
}

async fn umbraco_serves_the_seeds_relation_endpoints(app: TestApp) {
    app.entity("umbraco", "my-project", "document", PARENT)
        .await;
    app.entity("umbraco", "my-project", "document", CHILD).await;
    let token = app.create_token("write", "umbraco-client", &[]);
    let h = umbraco_headers(&token);
    let h = as_refs(&h);

    let (status, created) = call(
        &app,
        Method::POST,
        "/umbraco/relation/",
        &h,
        Some(seed_relation()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["_id"].clone();
    assert!(id.is_i64());
    assert_umbraco_date(&created["_createDate"]);
    assert_umbraco_date(&created["_updateDate"]);
    assert_eq!(created, umbraco_relation(&app, &id, &created));

    let (status, body) = call(
        &app,
        Method::GET,
        &format!("/umbraco/relation/{id}"),
        &h,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, umbraco_relation(&app, &id, &created));

    for (path, self_path) in [
        (
            "/umbraco/relation/relateDocumentOnCopy".to_owned(),
            "/umbraco/relation/relateDocumentOnCopy".to_owned(),
        ),
        (
            format!("/umbraco/relation/parent/{PARENT}"),
            format!("/umbraco/relation/parent/{PARENT}"),
        ),
        (
            format!("/umbraco/relation/child/{CHILD}"),
            format!("/umbraco/relation/child/{CHILD}"),
        ),
    ] {
        let (status, body) = call(&app, Method::GET, &path, &h, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(
            body,
            json!({
                "_links": {
                    "self": {"href": app.url(&self_path)},
                    "relations": {"href": app.url(&format!("/umbraco/relation/{id}"))}
                },
                "_embedded": {"relations": [umbraco_relation(&app, &id, &created)]}
            }),
            "{path}"
        );
    }
    // The child is nobody's parent; another project sees nothing.
    let (_, body) = call(
        &app,
        Method::GET,
        &format!("/umbraco/relation/parent/{CHILD}"),
        &h,
        None,
    )
    .await;
    assert_eq!(body["_embedded"]["relations"], json!([]));
    let mut other = umbraco_headers(&token);
    other[1].1 = "other-project".to_owned();
    let (status, _) = call(
        &app,
        Method::GET,
        &format!("/umbraco/relation/{id}"),
        &as_refs(&other),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The API key conventions work too.
    let (status, _) = call(
        &app,
        Method::GET,
        &format!("/umbraco/relation/{id}"),
        &[
            ("Api-Key", token.as_str()),
            ("Umb-Project-Alias", "my-project"),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &app,
        Method::GET,
        &format!("/umbraco/relation/{id}"),
        &[
            ("Authorization", token.as_str()),
            ("Umb-Project-Alias", "my-project"),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, types) = call(&app, Method::GET, "/umbraco/relation/type", &h, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        types["_embedded"]["relationTypes"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    let (_, copy) = call(
        &app,
        Method::GET,
        "/umbraco/relation/type/relateDocumentOnCopy",
        &h,
        None,
    )
    .await;
    assert_eq!(copy["isBidirectional"], true);
    assert_eq!(copy["parentObjectType"], "document");
    // The fields Heartcore's client library declares: a GUID, stable for the
    // type, and its dates.
    let guid = copy["_id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(guid).is_ok(), "{guid}");
    assert_eq!(types["_embedded"]["relationTypes"][0]["_id"], guid);
    assert_umbraco_date(&copy["_createDate"]);
    assert_umbraco_date(&copy["_updateDate"]);

    let (status, body) = call(
        &app,
        Method::DELETE,
        &format!("/umbraco/relation/{id}"),
        &h,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, umbraco_relation(&app, &id, &created));
    let (status, body) = call(
        &app,
        Method::GET,
        &format!("/umbraco/relation/{id}"),
        &h,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"error": {"code": "NotFound", "message": format!("Relation with id '{id}' could not be found.")}})
    );
}

#[track_caller]
fn umbraco_error(
    status: StatusCode,
    body: &Value,
    expected: StatusCode,
    code: &str,
    message: &str,
) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body, &json!({"error": {"code": code, "message": message}}));
}

async fn umbraco_errors_are_the_seeds_table(app: TestApp) {
    app.entity("umbraco", "my-project", "document", PARENT)
        .await;
    app.entity("umbraco", "my-project", "document", CHILD).await;
    let token = app.create_token("write", "umbraco-client", &[]);
    let reader = app.create_token("read", "umbraco-reader", &[]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let h = umbraco_headers(&token);
    let h = as_refs(&h);
    let res = app
        .client
        .post(app.url("/umbraco/relation/"))
        .bearer_auth(&token)
        .header("Umb-Project-Alias", "my-project")
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    umbraco_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Body cannot be empty.",
    );
    let (status, body) = call(
        &app,
        Method::GET,
        "/umbraco/relation/1",
        &[("Umb-Project-Alias", "my-project")],
        None,
    )
    .await;
    umbraco_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "Authorization has been denied for this request.",
    );
    let r = umbraco_headers(&reader);
    let (status, body) = call(
        &app,
        Method::POST,
        "/umbraco/relation/",
        &as_refs(&r),
        Some(seed_relation()),
    )
    .await;
    umbraco_error(
        status,
        &body,
        StatusCode::FORBIDDEN,
        "Forbidden",
        "You are not authorized to access the given resource.",
    );
    let (status, body) = call(&app, Method::GET, "/umbraco/relation/4", &h, None).await;
    umbraco_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "NotFound",
        "Relation with id '4' could not be found.",
    );
    let validation = "Validation error occured when trying to save or update the relation.";
    let mut unknown = seed_relation();
    unknown["relationTypeAlias"] = json!("noSuchAlias");
    let mut long = seed_relation();
    long["comment"] = json!("x".repeat(1001));
    let mut missing = seed_relation();
    missing["childId"] = json!("5b7a1c3e-0d2f-4e6a-9b8c-1d2e3f4a5b6c");
    let mut system = seed_relation();
    system["relationTypeAlias"] = json!("umbDocument");
    for bad in [unknown, long, missing, system, json!({"parentId": PARENT})] {
        let (status, body) = call(
            &app,
            Method::POST,
            "/umbraco/relation/",
            &h,
            Some(bad.clone()),
        )
        .await;
        umbraco_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "ValidationFailed",
            validation,
        );
    }
    let (status, _) = call(
        &app,
        Method::POST,
        "/umbraco/relation/",
        &h,
        Some(seed_relation()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = call(
        &app,
        Method::POST,
        "/umbraco/relation/",
        &h,
        Some(seed_relation()),
    )
    .await;
    umbraco_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ValidationFailed",
        validation,
    );
    assert_eq!(app.with_token(&token).relation_count().await, 1);
}

// --- Kanka ----------------------------------------------------------------

const KANKA: &str = "/kanka/api/1.0/campaigns/1";

fn kanka_headers(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", format!("Bearer {token}")),
        ("Accept", "application/json".to_owned()),
    ]
}

#[track_caller]
fn assert_timestamp(v: &Value) {
    assert_eq!(v["timezone_type"], 3);
    assert_eq!(v["timezone"], "UTC");
    let date = v["date"].as_str().unwrap();
    assert_eq!(date.len(), "2018-04-18 12:49:16.000000".len(), "{date}");
}

#[track_caller]
fn assert_seed_relation(v: &Value, label: &str) {
    assert_eq!(v["owner_id"], 168);
    assert_eq!(v["target_id"], 72);
    assert_eq!(v["relation"], label);
    assert_eq!(v["is_private"], false);
    assert_timestamp(&v["created_at"]);
    assert_timestamp(&v["updated_at"]);
}

async fn kanka_serves_the_seeds_relation_endpoints(app: TestApp) {
    app.entity("kanka", "1", "character", "168").await;
    app.entity("kanka", "1", "character", "72").await;
    let token = app.create_token("write", "kanka-client", &[]);
    let h = kanka_headers(&token);
    let h = as_refs(&h);
    let url = format!("{KANKA}/entities/168/relations");
    let (status, body) = call(&app, Method::POST, &url, &h, Some(json!({
        "relation": "Just Friends", "owner_id": 168, "target_id": 72, "two_way": true, "is_private": false,
        "attitude": 20, "colour": "#00ff00", "is_pinned": true
    }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created = body["data"].clone();
    assert_seed_relation(&created, "Just Friends");
    assert_eq!(created["attitude"], 20);
    assert_eq!(created["colour"], "#00ff00");
    assert_eq!(created["is_pinned"], true);
    assert!(created["mirror_id"].is_i64());
    let id = created["id"].as_i64().unwrap();

    let (status, list) = call(&app, Method::GET, &url, &h, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "the owner's relations"
    );
    assert_seed_relation(&list["data"][0], "Just Friends");
    let one = format!("{url}/{id}");
    let (status, body) = call(&app, Method::GET, &one, &h, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], created);
    let (status, body) = call(&app, Method::HEAD, &one, &h, None).await;
    assert_eq!((status, body), (StatusCode::OK, Value::Null));
    let (status, _) = call(&app, Method::HEAD, &url, &h, None).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = call(
        &app,
        Method::PUT,
        &one,
        &h,
        Some(json!({"relation": "Old Friends", "owner_id": 168, "target_id": 72})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_seed_relation(&body["data"], "Old Friends");
    let (status, body) = call(
        &app,
        Method::PATCH,
        &one,
        &h,
        Some(json!({"attitude": -5, "two_way": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["attitude"], -5);
    assert_eq!(body["data"]["relation"], "Old Friends");
    let mirror_url = format!("{KANKA}/entities/72/relations/{}", created["mirror_id"]);
    let (_, mirror) = call(&app, Method::GET, &mirror_url, &h, None).await;
    assert_eq!(
        mirror["data"]["attitude"], -5,
        "two_way on update syncs the mirror"
    );
    assert_eq!(mirror["data"]["relation"], "Just Friends");

    let (status, body) = call(&app, Method::DELETE, &one, &h, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_object());
    let (status, _) = call(&app, Method::GET, &one, &h, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, mirror) = call(&app, Method::GET, &mirror_url, &h, None).await;
    assert_eq!(mirror["data"]["mirror_id"], Value::Null);
}

#[track_caller]
fn kanka_invalid(status: StatusCode, body: &Value, field: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], 422);
    assert!(body["error"].is_string());
    assert!(body["fields"][field][0].is_string(), "{body}");
}

async fn kanka_errors_use_kankas_envelope(app: TestApp) {
    app.entity("kanka", "1", "character", "168").await;
    app.entity("kanka", "1", "character", "72").await;
    app.entity("kanka", "2", "character", "5").await;
    let token = app.create_token("write", "kanka-client", &[]);
    let reader = app.create_token("read", "kanka-reader", &[]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let h = kanka_headers(&token);
    let h = as_refs(&h);
    let url = format!("{KANKA}/entities/168/relations");
    for (body, field) in [
        (json!({"owner_id": 168, "target_id": 72}), "relation"),
        (
            json!({"relation": "x".repeat(256), "owner_id": 168, "target_id": 72}),
            "relation",
        ),
        (
            json!({"relation": "x", "owner_id": 72, "target_id": 72}),
            "owner_id",
        ),
        (json!({"relation": "x", "target_id": 72}), "owner_id"),
        (json!({"relation": "x", "owner_id": 168}), "target_id"),
        (
            json!({"relation": "x", "owner_id": 168, "target_id": 999}),
            "target_id",
        ),
        (
            json!({"relation": "x", "owner_id": 168, "target_id": 168}),
            "target_id",
        ),
        (
            json!({"relation": "x", "owner_id": 168, "target_id": 72, "attitude": 300}),
            "attitude",
        ),
        (
            json!({"relation": "x", "owner_id": 168, "target_id": 72, "colour": "green"}),
            "colour",
        ),
    ] {
        let (status, res) = call(&app, Method::POST, &url, &h, Some(body.clone())).await;
        kanka_invalid(status, &res, field);
    }
    let (status, res) = call(
        &app,
        Method::POST,
        &url,
        &h,
        Some(json!({"owner_id": 168, "target_id": 72})),
    )
    .await;
    kanka_invalid(status, &res, "relation");
    assert_eq!(
        res["fields"]["relation"][0],
        "The relation field is required."
    );
    for path in [
        format!("{KANKA}/entities/404/relations"),
        format!("{url}/999"),
    ] {
        let (status, res) = call(&app, Method::GET, &path, &h, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(res["code"], 404);
    }
    let r = kanka_headers(&reader);
    let (status, res) = call(
        &app,
        Method::POST,
        &url,
        &as_refs(&r),
        Some(json!({"relation": "x", "owner_id": 168, "target_id": 72})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(res["code"], 403);
    let (status, res) = call(&app, Method::GET, &url, &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(res["code"], 401);
    assert_eq!(app.with_token(&token).relation_count().await, 0);
}

// --- one store, one truth ---------------------------------------------------

async fn a_kanka_two_way_relation_is_seen_from_both_sides_in_graphql(app: TestApp) {
    let a = app.entity("kanka", "1", "character", "168").await;
    let b = app.entity("kanka", "1", "character", "72").await;
    let (status, body) = call(
        &app,
        Method::POST,
        &format!("{KANKA}/entities/168/relations"),
        &[],
        Some(json!({
            "relation": "Just Friends", "owner_id": 168, "target_id": 72, "two_way": true
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let q = "query($id: ID!) { node(id: $id) { ... on Entity { relations(direction: OUTGOING) { edges { node { legacyId label mirror { legacyId } } other { externalId } } } } } }";
    let from_a = app.data(q, json!({"id": a})).await;
    let from_b = app.data(q, json!({"id": b})).await;
    let ea = &from_a["node"]["relations"]["edges"][0];
    let eb = &from_b["node"]["relations"]["edges"][0];
    assert_eq!(ea["node"]["legacyId"], body["data"]["id"]);
    assert_eq!(ea["other"]["externalId"], "72");
    assert_eq!(eb["other"]["externalId"], "168");
    assert_eq!(eb["node"]["label"], "Just Friends");
    assert_eq!(ea["node"]["mirror"]["legacyId"], eb["node"]["legacyId"]);
}

async fn a_copper_relation_is_a_related_item_in_graphql(app: TestApp) {
    app.entity("copper", "default", "person", "1").await;
    let deal = app
        .entity("copper", "default", "opportunity", "2827700")
        .await;
    let h = [("X-PW-Application", "developer_api")];
    let (status, _) = call(
        &app,
        Method::POST,
        &format!("{COPPER}/people/1/related"),
        &h,
        Some(json!({"resource": {"id": 2827700, "type": "opportunity"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let q = "query($id: ID!) { node(id: $id) { ... on Entity { related { edges { node { kind externalId } } } } } }";
    let data = app.data(q, json!({"id": deal})).await;
    assert_eq!(
        data["node"]["related"]["edges"],
        json!([{"node": {"kind": "person", "externalId": "1"}}])
    );
}

async fn a_graphql_relation_is_served_by_umbraco_by_parent_and_child(app: TestApp) {
    let parent = app
        .entity("umbraco", "my-project", "document", PARENT)
        .await;
    let child = app.entity("umbraco", "my-project", "document", CHILD).await;
    let ty = app.type_id("umbraco", "relateParentDocumentOnDelete").await;
    let id = app
        .relate_ok(&ty, &parent, &child, json!({"comment": "from GraphQL"}))
        .await;
    let legacy = relgate::domain::GlobalId::decode(&id).unwrap().id;
    let h = [("Umb-Project-Alias", "my-project")];
    for path in [
        format!("/umbraco/relation/parent/{PARENT}"),
        format!("/umbraco/relation/child/{CHILD}"),
    ] {
        let (status, body) = call(&app, Method::GET, &path, &h, None).await;
        assert_eq!(status, StatusCode::OK);
        let r = &body["_embedded"]["relations"][0];
        assert_eq!(r["_id"], legacy);
        assert_eq!(r["relationTypeAlias"], "relateParentDocumentOnDelete");
        assert_eq!(r["comment"], "from GraphQL");
    }
}
