//! Apollo's automatic persisted queries, and trusted documents from a
//! GraphQL Code Generator manifest (`tests/clients/` runs the real clients).

use relgate::config::ServeArgs;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::engine_tests;
use crate::helpers::{TestApp, code};

const TYPES: &str = "query Types { relationTypes(first: 3) { edges { node { alias } } } }";
const UPSERT: &str = "mutation Upsert { upsertEntity(input: {source: \"kanka\", space: \"1\", kind: \"character\", externalId: \"7\"}) { created } }";

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs `body` to `/graphql`; status, `Cache-Control` and JSON body.
async fn post(app: &TestApp, body: Value) -> (StatusCode, Option<String>, Value) {
    let mut req = app.client.post(app.url("/graphql")).json(&body);
    if let Some(t) = &app.token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let cache = res
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, cache, res.json().await.unwrap())
}

engine_tests!(
    automatic_persisted_queries_take_one_extra_round_trip,
    a_hash_only_get_runs_a_known_query_but_never_a_mutation,
);

async fn automatic_persisted_queries_take_one_extra_round_trip(app: TestApp) {
    let hash = sha256(TYPES);
    // Hash only, unknown: the client is told to send the text.
    let (status, cache, body) = post(&app, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(code(&body["errors"][0]), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert!(cache.unwrap().contains("no-cache"));
    // Text and hash: answered and kept.
    let (status, _, body) = post(
        &app,
        json!({ "query": TYPES, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    let expected = body["data"].clone();
    assert_eq!(
        expected["relationTypes"]["edges"].as_array().unwrap().len(),
        3
    );
    // Hash only again: the same answer.
    let (status, _, body) = post(&app, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_eq!(body["data"], expected);
    // A text that is not the hash's, and a malformed extension.
    let (status, _, body) = post(
        &app,
        json!({ "query": "{ __typename }", "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body["errors"][0]), "PERSISTED_QUERY_HASH_MISMATCH");
    for ext in [
        json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } }),
        json!({ "persistedQuery": { "version": 1 } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } }),
        json!({ "persistedQuery": "x" }),
    ] {
        let (status, _, body) = post(&app, json!({ "extensions": ext })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{ext}");
        assert_eq!(code(&body["errors"][0]), "BAD_REQUEST", "{ext}");
    }
    // In a batch, a refusal answers its own operation only.
    let (status, _, body) = post(
        &app,
        json!([{ "extensions": persisted(&sha256("{ a }")) }, { "query": "{ __typename }" }]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(code(&body[0]["errors"][0]), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(body[1]["data"]["__typename"], "Query");
}

async fn a_hash_only_get_runs_a_known_query_but_never_a_mutation(app: TestApp) {
    for text in [TYPES, UPSERT] {
        let (status, _, _) = post(
            &app,
            json!({ "query": text, "extensions": persisted(&sha256(text)) }),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let get = |text: &str| {
        let ext = persisted(&sha256(text)).to_string();
        let req = app
            .client
            .get(app.url("/graphql"))
            .query(&[("extensions", ext.as_str())]);
        async move {
            let res = req.send().await.unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = get(TYPES).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_eq!(
        body["data"]["relationTypes"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let (status, body) = get(UPSERT).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(code(&body["errors"][0]), "METHOD_NOT_ALLOWED");
}

/// A manifest as GraphQL Code Generator's client preset writes it.
fn manifest() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "relgate-persisted-{}.json",
        uuid::Uuid::new_v4().simple()
    ));
    let docs: serde_json::Map<String, Value> = [TYPES, UPSERT]
        .iter()
        .map(|d| (format!("sha256:{}", sha256(d)), Value::from(*d)))
        .collect();
    std::fs::write(&path, Value::Object(docs).to_string()).unwrap();
    path
}

fn with_manifest() -> ServeArgs {
    ServeArgs {
        trusted_documents: Some(manifest()),
        ..ServeArgs::default()
    }
}

fn only_trusted() -> ServeArgs {
    ServeArgs {
        trusted_documents: Some(manifest()),
        only_trusted_documents: true,
        exempt_admins_from_trusted_documents: true,
        ..ServeArgs::default()
    }
}

engine_tests!(serve = with_manifest; manifest_documents_run_by_id);

async fn manifest_documents_run_by_id(app: TestApp) {
    let id = format!("sha256:{}", sha256(TYPES));
    for document_id in [id.clone(), sha256(TYPES)] {
        let (status, _, body) = post(&app, json!({ "documentId": document_id })).await;
        assert_eq!(status, StatusCode::OK, "{body:#}");
        assert_eq!(
            body["data"]["relationTypes"]["edges"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
    }
    // APQ finds manifest documents too, by hash or by the manifest's id.
    for hash in [sha256(TYPES), id.clone()] {
        let (status, _, body) = post(&app, json!({ "extensions": persisted(&hash) })).await;
        assert_eq!(status, StatusCode::OK, "{hash}: {body:#}");
    }
    // A GET by id, with the operation's variables.
    let res = app
        .client
        .get(app.url("/graphql"))
        .query(&[("documentId", id.as_str()), ("operationName", "Types")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, _, body) = post(&app, json!({ "documentId": "sha256:00" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(code(&body["errors"][0]), "PERSISTED_QUERY_NOT_FOUND");
    let (status, _, body) = post(&app, json!({ "documentId": id, "query": TYPES })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body["errors"][0]), "BAD_REQUEST");
    // Without --only-trusted-documents, any other document still runs.
    let (status, _, _) = post(&app, json!({ "query": "{ __typename }" })).await;
    assert_eq!(status, StatusCode::OK);
}

engine_tests!(serve = only_trusted; only_manifest_documents_run_except_for_exempt_admins);

async fn only_manifest_documents_run_except_for_exempt_admins(app: TestApp) {
    let writer = app.with_token(&app.create_token("write", "w", &[]));
    let admin = app.with_token(&app.create_token("admin", "a", &[]));
    // By id, and by the exact text of a manifest document: runs.
    let (status, _, body) = post(
        &writer,
        json!({ "documentId": format!("sha256:{}", sha256(UPSERT)) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_eq!(body["data"]["upsertEntity"]["created"], true);
    let (status, _, _) = post(&writer, json!({ "query": TYPES })).await;
    assert_eq!(status, StatusCode::OK);
    // Anything else is refused, with nothing run or written.
    let other = "mutation { upsertEntity(input: {source: \"kanka\", space: \"1\", kind: \"character\", externalId: \"8\"}) { created } }";
    for body in [
        json!({ "query": other }),
        json!({ "query": other, "extensions": persisted(&sha256(other)) }),
        json!({ "query": format!("{TYPES} ") }),
    ] {
        let (status, _, answer) = post(&writer, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(code(&answer["errors"][0]), "TRUSTED_DOCUMENT_REQUIRED");
        assert!(answer.get("data").is_none());
    }
    // The refused APQ registration left nothing behind.
    let (status, _, _) = post(&writer, json!({ "extensions": persisted(&sha256(other)) })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An exempt admin runs anything, and sees that only one entity exists.
    let (status, _, body) = post(&admin, json!({ "query": "{ entities { totalCount } }" })).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_eq!(body["data"]["entities"]["totalCount"], 1);
}

#[tokio::test]
async fn a_manifest_that_does_not_match_its_ids_stops_the_server_from_starting() {
    let path = std::env::temp_dir().join(format!(
        "relgate-bad-{}.json",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&path, json!({ "sha256:00": TYPES }).to_string()).unwrap();
    let db_path = std::env::temp_dir().join(format!("relgate-bad-{}.db", uuid::Uuid::new_v4()));
    let db = relgate::config::DatabaseArgs {
        database_url: format!("sqlite://{}", db_path.display()),
        db_pool_size: 2,
        ..Default::default()
    };
    for (file, needle) in [
        (path.clone(), "SHA-256"),
        (path.with_extension("missing"), "reading"),
    ] {
        let serve = ServeArgs {
            trusted_documents: Some(file),
            ..ServeArgs::default()
        };
        let err = relgate::Application::build(&db, &serve)
            .await
            .err()
            .expect("refused");
        assert!(err.to_string().contains(needle), "{err}");
    }
    let _ = std::fs::remove_file(&path);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
    }
}
