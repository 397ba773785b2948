//! Pages of other origins: allowed when listed, with credentials; `*` without
//! credentials; same-origin only by default. (`tests/clients/browser/cors.mjs`
//! checks the same in a real browser.)

use relgate::config::ServeArgs;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{TestApp, code};

const APP: &str = "http://localhost:5173";
const OTHER: &str = "https://elsewhere.example";

fn listed() -> ServeArgs {
    ServeArgs {
        cors_origins: vec![APP.to_owned(), "https://admin.example.com".to_owned()],
        ..ServeArgs::default()
    }
}

fn public() -> ServeArgs {
    ServeArgs {
        cors_origins: vec!["*".to_owned()],
        ..ServeArgs::default()
    }
}

fn public_and_listed() -> ServeArgs {
    ServeArgs {
        cors_origins: vec!["*".to_owned(), APP.to_owned()],
        ..ServeArgs::default()
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).map(|v| v.to_str().unwrap())
}

/// A browser's preflight for `method` on `path` from `origin`.
async fn preflight(app: &TestApp, path: &str, origin: &str, method: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        )
        .send()
        .await
        .unwrap()
}

/// A cross-origin POST of a query from `origin`.
async fn query_from(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .post(app.url("/graphql"))
        .header("origin", origin)
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .unwrap()
}

engine_tests!(serve = listed;
    a_listed_origin_passes_preflight_with_credentials,
    an_unlisted_origin_gets_no_cors_headers,
    the_dialects_and_error_answers_carry_cors_headers_too,
    websocket_upgrades_follow_the_origin_list,
);

async fn a_listed_origin_passes_preflight_with_credentials(app: TestApp) {
    let res = preflight(&app, "/graphql", APP, "POST").await;
    assert!(res.status().is_success(), "{}", res.status());
    let h = res.headers();
    assert_eq!(header(h, "access-control-allow-origin"), Some(APP));
    assert_eq!(header(h, "access-control-allow-credentials"), Some("true"));
    assert_eq!(header(h, "access-control-max-age"), Some("600"));
    let methods = header(h, "access-control-allow-methods")
        .unwrap()
        .to_ascii_uppercase();
    for m in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(m), "{methods}");
    }
    let headers = header(h, "access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in [
        "content-type",
        "authorization",
        "x-pw-accesstoken",
        "x-pw-application",
        "x-pw-useremail",
        "umb-project-alias",
        "api-key",
    ] {
        assert!(headers.contains(name), "{name} in {headers}");
    }
    let vary: Vec<&str> = h
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        vary.join(",").to_ascii_lowercase().contains("origin"),
        "{vary:?}"
    );

    // The request itself: the answer is readable, with relgate's headers.
    let res = query_from(&app, APP).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers();
    assert_eq!(header(h, "access-control-allow-origin"), Some(APP));
    assert_eq!(header(h, "access-control-allow-credentials"), Some("true"));
    let exposed = header(h, "access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");
    // Origins compare exactly, whatever the case a client sends.
    let res = query_from(&app, "HTTP://LOCALHOST:5173").await;
    assert!(res.headers().get("access-control-allow-origin").is_some());
}

async fn an_unlisted_origin_gets_no_cors_headers(app: TestApp) {
    for origin in [OTHER, "http://localhost:5174", "http://localhost"] {
        let res = preflight(&app, "/graphql", origin, "POST").await;
        assert!(
            res.headers().get("access-control-allow-origin").is_none(),
            "{origin}"
        );
        assert!(
            res.headers()
                .get("access-control-allow-credentials")
                .is_none()
        );
        let res = query_from(&app, origin).await;
        assert!(
            res.headers().get("access-control-allow-origin").is_none(),
            "{origin}"
        );
    }
}

async fn the_dialects_and_error_answers_carry_cors_headers_too(app: TestApp) {
    for (path, method) in [
        ("/kanka/api/1.0/campaigns/1/entities/5/relations/1", "PUT"),
        ("/umbraco/relation/", "POST"),
        ("/copper/developer_api/v1/people/1/related", "DELETE"),
    ] {
        let res = preflight(&app, path, APP, method).await;
        assert_eq!(
            header(res.headers(), "access-control-allow-origin"),
            Some(APP),
            "{path}"
        );
    }
    let res = app
        .client
        .get(app.url("/kanka/api/1.0/campaigns/1/entities/5/relations"))
        .header("origin", APP)
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(res.headers(), "access-control-allow-origin"),
        Some(APP)
    );
    // A page must be able to read why it was refused.
    app.create_token("read", "r", &[]);
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("origin", APP)
        .bearer_auth("rg_not-a-token")
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(res.headers(), "access-control-allow-origin"),
        Some(APP)
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED");
}

async fn websocket_upgrades_follow_the_origin_list(app: TestApp) {
    let upgrade = |origin: &'static str| {
        let req = app
            .client
            .get(app.url("/graphql"))
            .header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .header("origin", origin);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            (status, code(&body["errors"][0]).to_owned())
        }
    };
    assert_eq!(
        upgrade(OTHER).await,
        (StatusCode::FORBIDDEN, "ORIGIN_NOT_ALLOWED".to_owned())
    );
    assert_eq!(
        upgrade(APP).await,
        (
            StatusCode::BAD_REQUEST,
            "WEBSOCKET_NOT_SUPPORTED".to_owned()
        )
    );
}

engine_tests!(serve = public; a_wildcard_lets_every_origin_in_without_credentials);

async fn a_wildcard_lets_every_origin_in_without_credentials(app: TestApp) {
    for origin in [APP, OTHER] {
        let res = preflight(&app, "/graphql", origin, "POST").await;
        assert_eq!(
            header(res.headers(), "access-control-allow-origin"),
            Some("*")
        );
        assert!(
            res.headers()
                .get("access-control-allow-credentials")
                .is_none()
        );
        let res = query_from(&app, origin).await;
        assert_eq!(
            header(res.headers(), "access-control-allow-origin"),
            Some("*")
        );
        assert!(
            res.headers()
                .get("access-control-allow-credentials")
                .is_none()
        );
    }
}

engine_tests!(serve = public_and_listed; beside_a_wildcard_only_listed_origins_get_credentials);

async fn beside_a_wildcard_only_listed_origins_get_credentials(app: TestApp) {
    let res = query_from(&app, APP).await;
    assert_eq!(
        header(res.headers(), "access-control-allow-origin"),
        Some(APP)
    );
    assert_eq!(
        header(res.headers(), "access-control-allow-credentials"),
        Some("true")
    );
    let res = query_from(&app, OTHER).await;
    assert_eq!(
        header(res.headers(), "access-control-allow-origin"),
        Some(OTHER)
    );
    assert!(
        res.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
}

engine_tests!(without_a_list_only_the_same_origin_is_served);

async fn without_a_list_only_the_same_origin_is_served(app: TestApp) {
    let res = preflight(&app, "/graphql", APP, "POST").await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = query_from(&app, APP).await;
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn an_origin_that_is_not_one_stops_the_server_from_starting() {
    for bad in [
        "localhost:5173",
        "https://app.example.com/",
        "https://app.example.com/x",
    ] {
        let serve = ServeArgs {
            cors_origins: vec![bad.to_owned()],
            ..ServeArgs::default()
        };
        let dir = std::env::temp_dir().join(format!("relgate-cors-{}.db", uuid::Uuid::new_v4()));
        let db = relgate::config::DatabaseArgs {
            database_url: format!("sqlite://{}", dir.display()),
            db_pool_size: 2,
            ..Default::default()
        };
        let err = relgate::Application::build(&db, &serve)
            .await
            .err()
            .unwrap_or_else(|| panic!("{bad} was accepted"));
        assert!(err.to_string().contains("--cors-origin"), "{err}");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", dir.display()));
        }
    }
}
