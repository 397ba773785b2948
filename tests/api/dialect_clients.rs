//! What the sources' own clients send beyond the seeds' examples: trailing
//! slashes, URLs that match nothing, Laravel's error keys, forms, and a
//! token presented to a server that has none. (`tests/clients/vendors`
//! runs the vendors' client libraries themselves.)

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{TestApp, code};

const COPPER: &str = "/copper/developer_api/v1";
const KANKA: &str = "/kanka/api/1.0/campaigns/1";
const PARENT: &str = "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31";
const CHILD: &str = "e0c5f0e5-c1f0-4422-9ac0-6dbb536e8eb5";

/// `method path` with `headers` and a raw body of `content_type`; status and
/// JSON body (`Null` when there is none).
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, String)>,
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some((content_type, b)) = body {
        req = req.header("content-type", content_type).body(b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let is_json = res
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap().starts_with("application/json"));
    let text = res.text().await.unwrap();
    assert!(
        text.is_empty() || is_json,
        "{status}: a JSON body, got {text:?}"
    );
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn json_body(v: Value) -> Option<(&'static str, String)> {
    Some(("application/json", v.to_string()))
}

const COPPER_OPEN: &[(&str, &str)] = &[("X-PW-Application", "developer_api")];

engine_tests!(
    every_dialect_route_answers_with_a_trailing_slash,
    urls_and_methods_that_match_nothing_get_the_dialects_envelope,
    kanka_validation_errors_carry_laravels_keys_too,
    kanka_takes_form_bodies_as_its_framework_does,
    open_mode_ignores_any_presented_credential,
);

async fn every_dialect_route_answers_with_a_trailing_slash(app: TestApp) {
    // Copper: a person related to an opportunity, then listed and removed.
    app.entity("copper", "default", "person", "1").await;
    app.entity("copper", "default", "opportunity", "2").await;
    let related = format!("{COPPER}/people/1/related/");
    let (status, body) = call(
        &app,
        Method::POST,
        &related,
        COPPER_OPEN,
        json_body(json!({"resource": {"id": 2, "type": "opportunity"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for path in [
        related.clone(),
        format!("{COPPER}/people/1/related/opportunities/"),
    ] {
        let (status, body) = call(&app, Method::GET, &path, COPPER_OPEN, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body.as_array().unwrap().len(), 1, "{path}: {body}");
    }
    let (status, _) = call(
        &app,
        Method::DELETE,
        &related,
        COPPER_OPEN,
        json_body(json!({"resource": {"id": 2, "type": "opportunity"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Umbraco.
    app.entity("umbraco", "default", "document", PARENT).await;
    app.entity("umbraco", "default", "document", CHILD).await;
    let (status, created) = call(
        &app,
        Method::POST,
        "/umbraco/relation/",
        &[],
        json_body(json!({"parentId": PARENT, "childId": CHILD, "relationTypeAlias": "relateDocumentOnCopy"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["_id"].as_i64().unwrap();
    for path in [
        format!("/umbraco/relation/{id}/"),
        "/umbraco/relation/relateDocumentOnCopy/".to_owned(),
        format!("/umbraco/relation/parent/{PARENT}/"),
        format!("/umbraco/relation/child/{CHILD}/"),
        "/umbraco/relation/type/".to_owned(),
        "/umbraco/relation/type/relateDocumentOnCopy/".to_owned(),
    ] {
        let (status, body) = call(&app, Method::GET, &path, &[], None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let (status, _) = call(
        &app,
        Method::DELETE,
        &format!("/umbraco/relation/{id}/"),
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Kanka.
    app.entity("kanka", "1", "character", "168").await;
    app.entity("kanka", "1", "character", "72").await;
    let list = format!("{KANKA}/entities/168/relations/");
    let (status, body) = call(
        &app,
        Method::POST,
        &list,
        &[],
        json_body(json!({"relation": "Friends", "owner_id": 168, "target_id": 72})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let one = format!("{KANKA}/entities/168/relations/{}/", body["data"]["id"]);
    let (status, body) = call(&app, Method::GET, &list, &[], None).await;
    assert_eq!(
        (status, body["data"].as_array().unwrap().len()),
        (StatusCode::OK, 1)
    );
    let (status, body) = call(
        &app,
        Method::PATCH,
        &one,
        &[],
        json_body(json!({"attitude": 3})),
    )
    .await;
    assert_eq!(
        (status, body["data"]["attitude"].clone()),
        (StatusCode::OK, json!(3))
    );
    let (status, _) = call(&app, Method::DELETE, &one, &[], None).await;
    assert_eq!(status, StatusCode::OK);
}

async fn urls_and_methods_that_match_nothing_get_the_dialects_envelope(app: TestApp) {
    // Copper: {"success": false, "status", "message"}.
    for (method, path, status) in [
        (
            Method::GET,
            format!("{COPPER}/people/1/unrelated"),
            StatusCode::NOT_FOUND,
        ),
        (
            Method::GET,
            format!("{COPPER}/nothing"),
            StatusCode::NOT_FOUND,
        ),
        (
            Method::GET,
            "/copper/developer_api/v2/people/1/related".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            Method::PUT,
            format!("{COPPER}/people/1/related"),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ] {
        let (got, body) = call(&app, method, &path, COPPER_OPEN, None).await;
        assert_eq!(got, status, "{path}");
        assert_eq!(body["success"], false, "{path}: {body}");
        assert_eq!(body["status"], status.as_u16(), "{path}");
        assert!(body["message"].is_string(), "{path}");
    }
    // Umbraco: {"error": {"code", "message"}}.
    for (method, path, status, error) in [
        (
            Method::GET,
            "/umbraco/relations",
            StatusCode::NOT_FOUND,
            "NotFound",
        ),
        (
            Method::GET,
            "/umbraco/relation/parent",
            StatusCode::NOT_FOUND,
            "NotFound",
        ),
        (
            Method::PUT,
            "/umbraco/relation/1",
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
        ),
    ] {
        let (got, body) = call(&app, method, path, &[], None).await;
        assert_eq!(got, status, "{path}");
        assert_eq!(body["error"]["code"], error, "{path}: {body}");
        assert!(body["error"]["message"].is_string(), "{path}");
    }
    // Kanka: {"code", "error", "message"}.
    for (method, path, status) in [
        (
            Method::GET,
            format!("{KANKA}/entities/1/relationships"),
            StatusCode::NOT_FOUND,
        ),
        (
            Method::GET,
            "/kanka/api/1.0/campaigns".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            format!("{KANKA}/entities/1/relations"),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ] {
        let (got, body) = call(&app, method, &path, &[], None).await;
        assert_eq!(got, status, "{path}");
        assert_eq!(body["code"], status.as_u16(), "{path}: {body}");
        assert!(
            body["error"].is_string() && body["message"].is_string(),
            "{path}"
        );
    }
    // A body over the limit, in the dialect's envelope too.
    let big = Some((
        "application/json",
        format!("{{\"relation\": \"{}\"}}", "x".repeat(1024 * 1024)),
    ));
    let (status, body) = call(
        &app,
        Method::POST,
        &format!("{KANKA}/entities/1/relations"),
        &[],
        big,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], 413, "{body}");
}

async fn kanka_validation_errors_carry_laravels_keys_too(app: TestApp) {
    app.entity("kanka", "1", "character", "168").await;
    app.entity("kanka", "1", "character", "72").await;
    let url = format!("{KANKA}/entities/168/relations");
    // One message: Laravel's `message` is that message.
    let (status, body) = call(
        &app,
        Method::POST,
        &url,
        &[],
        json_body(json!({"owner_id": 168, "target_id": 72})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], 422);
    assert_eq!(body["error"], "The given data was invalid.");
    assert_eq!(
        body["fields"]["relation"][0],
        "The relation field is required."
    );
    assert_eq!(body["errors"], body["fields"]);
    assert_eq!(body["message"], "The relation field is required.");
    // Several: the first, and how many more.
    let (status, body) = call(
        &app,
        Method::POST,
        &url,
        &[],
        json_body(json!({"owner_id": 168, "target_id": 72, "relation": "x", "attitude": 500, "colour": "red"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"], body["fields"]);
    let message = body["message"].as_str().unwrap();
    assert!(message.ends_with("(and 1 more error)"), "{message}");
}

async fn kanka_takes_form_bodies_as_its_framework_does(app: TestApp) {
    app.entity("kanka", "1", "character", "168").await;
    app.entity("kanka", "1", "character", "72").await;
    let url = format!("{KANKA}/entities/168/relations");
    let form = |s: &str| Some(("application/x-www-form-urlencoded", s.to_owned()));
    let (status, body) = call(
        &app,
        Method::POST,
        &url,
        &[],
        form(
            "relation=Just+Friends&owner_id=168&target_id=72&attitude=-20&is_pinned=1&two_way=true",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created = &body["data"];
    assert_eq!(created["relation"], "Just Friends");
    assert_eq!(created["attitude"], -20);
    assert_eq!(created["is_pinned"], true);
    assert!(created["mirror_id"].is_i64());
    let one = format!("{url}/{}", created["id"]);
    let (status, body) = call(
        &app,
        Method::PUT,
        &one,
        &[],
        form("relation=Rivals&is_pinned=0"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["relation"], "Rivals");
    assert_eq!(body["data"]["is_pinned"], false);
    // A boolean that is not one is a field error, as Laravel's.
    let (status, body) = call(&app, Method::PATCH, &one, &[], form("is_private=maybe")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["is_private"][0].is_string(), "{body}");
}

async fn open_mode_ignores_any_presented_credential(app: TestApp) {
    app.entity("kanka", "1", "character", "168").await;
    app.entity("copper", "default", "person", "1").await;
    let bogus =
        "rg_0000000000000000.0000000000000000000000000000000000000000000000000000000000000000";
    let graphql = |auth: &'static str| {
        let req = app
            .client
            .post(app.url("/graphql"))
            .header("authorization", auth)
            .json(&json!({"query": "{ entities { totalCount } }"}));
        async move {
            let res = req.send().await.unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        }
    };
    let dialects = |token: String| {
        let app = app.clone();
        async move {
            let bearer = format!("Bearer {token}");
            let copper = [
                ("X-PW-AccessToken", token.as_str()),
                ("X-PW-Application", "developer_api"),
                ("X-PW-UserEmail", "someone@example.com"),
            ];
            let kanka = format!("{KANKA}/entities/168/relations");
            let copper_path = format!("{COPPER}/people/1/related");
            let calls: [(&str, &[(&str, &str)]); 4] = [
                (&copper_path, &copper),
                (
                    "/umbraco/relation/type",
                    &[("Authorization", bearer.as_str())],
                ),
                ("/umbraco/relation/type", &[("Api-Key", token.as_str())]),
                (&kanka, &[("Authorization", bearer.as_str())]),
            ];
            let mut statuses = Vec::new();
            for (path, headers) in calls {
                statuses.push(call(&app, Method::GET, path, headers, None).await.0);
            }
            statuses
        }
    };
    // No token exists: every credential is ignored, every call answered.
    for auth in [
        "Bearer rg_nope",
        "Bearer sk-live-123",
        "Basic YTpi",
        "Token abc",
    ] {
        let (status, body) = graphql(auth).await;
        assert_eq!(status, StatusCode::OK, "{auth}: {body}");
        assert_eq!(body["data"]["entities"]["totalCount"], 2);
    }
    for status in dialects(bogus.to_owned()).await {
        assert_ne!(status, StatusCode::UNAUTHORIZED);
        assert!(status.is_success(), "{status}");
    }
    // Once one exists, the same credentials are refused.
    app.create_token("admin", "first", &[]);
    for auth in ["Bearer rg_nope", "Basic YTpi"] {
        let (status, body) = graphql(auth).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth}");
        assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED");
    }
    for status in dialects(bogus.to_owned()).await {
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}
