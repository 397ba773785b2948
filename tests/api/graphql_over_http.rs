//! `/graphql` as the GraphQL-over-HTTP specification asks, and an error body
//! with a code for every refusal relgate makes itself.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{TestApp, code};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// What a response said: status, content type and JSON body.
struct Answer {
    status: StatusCode,
    content_type: String,
    body: Value,
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("a JSON body, got {status} {content_type:?}: {text:?}"));
    Answer {
        status,
        content_type,
        body,
    }
}

/// POSTs `body` (raw) to `/graphql` with `accept`.
async fn post_raw(app: &TestApp, accept: &str, body: &str) -> Answer {
    answer(
        app.client
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .header("accept", accept)
            .body(body.to_owned())
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Asserts `a` is a GraphQL-shaped error with `code`, in `media`.
#[track_caller]
fn assert_error(a: &Answer, status: StatusCode, error_code: &str, media: &str) {
    assert_eq!(a.status, status, "{:#}", a.body);
    assert!(
        a.content_type.starts_with(media),
        "{} for {error_code}",
        a.content_type
    );
    assert_eq!(code(&a.body["errors"][0]), error_code, "{:#}", a.body);
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

engine_tests!(
    request_errors_are_400_without_data_for_graphql_response_json,
    request_errors_stay_200_with_null_data_for_application_json,
    a_field_error_keeps_data_and_status_200,
    every_refusal_is_a_graphql_shaped_body_with_a_code,
    a_chunked_body_over_the_limit_is_413,
    a_body_over_the_limit_ends_its_connection,
    a_get_without_a_query_says_what_to_send,
    websocket_upgrades_are_refused_with_a_reason,
    urls_answer_with_a_trailing_slash,
);

/// The requests that fail before execution, each with its code.
fn request_errors() -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "unparsable document",
            json!({"query": "{ relationTypes { "}).to_string(),
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            "validation failure",
            json!({"query": "{ relationTypez { totalCount } }"}).to_string(),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "variables that do not coerce",
            json!({"query": "query($n: Int!) { relationTypes(first: $n) { totalCount } }",
                   "variables": {"n": "many"}})
            .to_string(),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "a missing variable",
            json!({"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": null}})
                .to_string(),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "a missing query",
            json!({"variables": {}}).to_string(),
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            "an empty query",
            json!({"query": "  "}).to_string(),
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            "a depth limit",
            json!({"query": format!("{{ __type(name: \"Query\") {{ {} name {} }} }}", "ofType { ".repeat(20), "}".repeat(20))}).to_string(),
            "DEPTH_LIMIT_EXCEEDED",
        ),
        (
            "an unknown operation name",
            json!({"query": "query A { __typename }", "operationName": "B"}).to_string(),
            "BAD_USER_INPUT",
        ),
    ]
}

async fn request_errors_are_400_without_data_for_graphql_response_json(app: TestApp) {
    for (what, body, expected) in request_errors() {
        let a = post_raw(&app, GRAPHQL_RESPONSE, &body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{what}: {:#}", a.body);
        assert!(a.content_type.starts_with(GRAPHQL_RESPONSE), "{what}");
        assert!(a.body.get("data").is_none(), "{what}: {:#}", a.body);
        assert_eq!(code(&a.body["errors"][0]), expected, "{what}: {:#}", a.body);
    }
    // A well-formed request is 200 with data in the same media type.
    let a = post_raw(&app, GRAPHQL_RESPONSE, r#"{"query": "{ __typename }"}"#).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.content_type.starts_with(GRAPHQL_RESPONSE));
    assert_eq!(a.body["data"]["__typename"], "Query");
}

async fn request_errors_stay_200_with_null_data_for_application_json(app: TestApp) {
    for accept in ["application/json", "*/*"] {
        for (what, body, expected) in request_errors() {
            let a = post_raw(&app, accept, &body).await;
            assert_eq!(a.status, StatusCode::OK, "{what}: {:#}", a.body);
            assert!(a.content_type.starts_with("application/json"), "{what}");
            assert_eq!(a.body["data"], Value::Null, "{what}: {:#}", a.body);
            assert_eq!(code(&a.body["errors"][0]), expected, "{what}");
        }
    }
    // No Accept at all is application/json.
    let a = answer(
        app.client
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .body(r#"{"query": "{ relationTypez }"}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.content_type.starts_with("application/json"));
}

async fn a_field_error_keeps_data_and_status_200(app: TestApp) {
    // `node` with an id of nothing: executed, so 200 with data and a path.
    let a = post_raw(
        &app,
        GRAPHQL_RESPONSE,
        &json!({"query": "{ a: __typename node(id: \"RW50aXR5Ojk5OTk5\") { id } }"}).to_string(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{:#}", a.body);
    assert_eq!(a.body["data"]["a"], "Query");
    assert_eq!(a.body["data"]["node"], Value::Null);
    assert_eq!(code(&a.body["errors"][0]), "NOT_FOUND");
    assert_eq!(a.body["errors"][0]["path"], json!(["node"]));
}

async fn every_refusal_is_a_graphql_shaped_body_with_a_code(app: TestApp) {
    for media in [GRAPHQL_RESPONSE, "application/json"] {
        let send = |req: reqwest::RequestBuilder| async move {
            answer(req.header("accept", media).send().await.unwrap()).await
        };
        let graphql = app.url("/graphql");
        // 415: not JSON.
        let a = send(
            app.client
                .post(&graphql)
                .header("content-type", "text/plain")
                .body("{}"),
        )
        .await;
        assert_error(
            &a,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            media,
        );
        // 400: a body that is not a GraphQL request.
        for body in [
            "{ not json",
            r#"{"query": 1}"#,
            r#"{"query": "{ __typename }", "variables": "x"}"#,
            r#"{"query": "{ __typename }", "operationName": []}"#,
            r#"{"query": "{ __typename }", "extensions": 3}"#,
            "",
        ] {
            let a = send(
                app.client
                    .post(&graphql)
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
            assert_error(&a, StatusCode::BAD_REQUEST, "BAD_REQUEST", media);
        }
        // 400: a batch over the cap.
        let batch: Vec<Value> = (0..11)
            .map(|_| json!({"query": "{ __typename }"}))
            .collect();
        let a = send(app.client.post(&graphql).json(&batch)).await;
        assert_error(&a, StatusCode::BAD_REQUEST, "BATCH_LIMIT_EXCEEDED", media);
        // 413: a body over the limit.
        let big = json!({"query": format!("{{ __typename }} #{}", "x".repeat(1024 * 1024))});
        let a = send(app.client.post(&graphql).json(&big)).await;
        assert_error(
            &a,
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            media,
        );
        // 405: a mutation over GET, and a method /graphql does not take.
        let a = send(app.client.get(&graphql).query(&[(
            "query",
            "mutation { deleteEntity(input: {id: \"x\"}) { deletedId } }",
        )]))
        .await;
        assert_error(
            &a,
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            media,
        );
        for req in [app.client.put(&graphql), app.client.delete(&graphql)] {
            let a = send(req).await;
            assert_error(
                &a,
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                media,
            );
        }
        // 404: a URL that serves nothing.
        let a = send(app.client.get(app.url("/graphiql"))).await;
        assert_error(&a, StatusCode::NOT_FOUND, "NOT_FOUND", media);
    }
    // 401 (once a token exists), in the media type asked for.
    let token = app.create_token("read", "reader", &[]);
    for media in [GRAPHQL_RESPONSE, "application/json"] {
        for auth in ["Bearer rg_nope", "Basic YTpi"] {
            let a = answer(
                app.client
                    .post(app.url("/graphql"))
                    .header("authorization", auth)
                    .header("accept", media)
                    .json(&json!({"query": "{ __typename }"}))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_error(&a, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", media);
        }
    }
    // A role that may not write: a field error, as before (the token is valid).
    let err = app
        .with_token(&token)
        .error(
            "mutation { upsertEntity(input: {source: \"kanka\", space: \"1\", kind: \"character\", externalId: \"1\"}) { created } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&err), "FORBIDDEN");
}

async fn a_chunked_body_over_the_limit_is_413(app: TestApp) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // No Content-Length: the limit trips while the body is read.
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.addr
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 256 * 1024];
    for _ in 0..6 {
        // The server may answer and stop reading before the last chunk.
        let sent = async {
            socket
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            socket.write_all(&chunk).await?;
            socket.write_all(b"\r\n").await
        };
        if sent.await.is_err() {
            break;
        }
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = socket.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{text}"
    );
    assert!(text.contains("\"PAYLOAD_TOO_LARGE\""), "{text}");
}

/// A body refused for its size is not read to its end: the answer says
/// `Connection: close`, so that a client does not send its next request on
/// a connection the server then closes (it saw that as an incomplete
/// message), and the next request on a new connection is answered.
async fn a_body_over_the_limit_ends_its_connection(app: TestApp) {
    let big = json!({"query": format!("{{ __typename }} #{}", "x".repeat(1024 * 1024))});
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        res.headers()
            .get("connection")
            .and_then(|v| v.to_str().ok()),
        Some("close")
    );
    app.data("{ __typename }", json!({})).await;
}

async fn a_get_without_a_query_says_what_to_send(app: TestApp) {
    for path in ["/graphql", "/graphql?operationName=A", "/graphql?query="] {
        let a = answer(app.client.get(app.url(path)).send().await.unwrap()).await;
        assert_error(
            &a,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "application/json",
        );
        assert!(
            a.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("query"),
            "{:#}",
            a.body
        );
    }
    // Variables and extensions that are not JSON objects.
    for (k, v) in [("variables", "[1]"), ("extensions", "{bad")] {
        let a = answer(
            app.client
                .get(app.url("/graphql"))
                .query(&[("query", "{ __typename }"), (k, v)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(
            &a,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "application/json",
        );
    }
    // With variables as JSON, a GET runs.
    let a = answer(
        app.client
            .get(app.url("/graphql"))
            .query(&[
                (
                    "query",
                    "query($n: Int) { relationTypes(first: $n) { edges { cursor } } }",
                ),
                ("variables", r#"{"n": 2}"#),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{:#}", a.body);
    assert_eq!(
        a.body["data"]["relationTypes"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

async fn websocket_upgrades_are_refused_with_a_reason(app: TestApp) {
    let upgrade = |origin: Option<&str>, protocol: Option<&str>| {
        let mut req = app
            .client
            .get(app.url("/graphql"))
            .header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
        if let Some(p) = protocol {
            req = req.header("sec-websocket-protocol", p);
        }
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        async move { req.send().await.unwrap() }
    };
    // A page of another origin (none is allowed by default).
    let a = answer(
        upgrade(
            Some("https://elsewhere.example"),
            Some("graphql-transport-ws"),
        )
        .await,
    )
    .await;
    assert_error(
        &a,
        StatusCode::FORBIDDEN,
        "ORIGIN_NOT_ALLOWED",
        "application/json",
    );
    // Another protocol (the legacy subscriptions-transport-ws), or none.
    for protocol in [Some("graphql-ws"), None] {
        let a = answer(upgrade(None, protocol).await).await;
        assert_error(
            &a,
            StatusCode::BAD_REQUEST,
            "WEBSOCKET_NOT_SUPPORTED",
            "application/json",
        );
    }
    // graphql-transport-ws, from a non-browser client or the server's own
    // origin: switched.
    let own = format!("http://{}", app.addr);
    for origin in [None, Some(own.as_str())] {
        let res = upgrade(origin, Some("graphql-transport-ws")).await;
        assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(
            res.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
    }
}

async fn urls_answer_with_a_trailing_slash(app: TestApp) {
    let res = app
        .client
        .post(app.url("/graphql/"))
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["__typename"], "Query");
}
