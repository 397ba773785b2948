//! Bad input never costs a 5xx: huge bodies (with a length or chunked),
//! invalid UTF-8, deeply nested variables, thousands of fields or aliases,
//! out-of-range integers, NUL characters (refused alike on both engines),
//! over-long ids and cursors, on GraphQL and every dialect. Each gets a 4xx
//! with its code, nothing is written, and the server keeps answering.

use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::TestApp;

engine_tests!(
    every_kind_of_bad_graphql_input_is_a_4xx_with_a_code,
    every_dialect_refuses_bad_bodies_with_a_4xx,
    a_nul_character_is_refused_alike_on_both_engines,
);

const COPPER: &str = "/copper/developer_api/v1/people/1/related";
const UMBRACO: &str = "/umbraco/relation";
const KANKA: &str = "/kanka/api/1.0/campaigns/1/entities/168/relations";

/// Status, `extensions.code` (or the dialect's `error.code`), the body.
async fn send(
    app: &TestApp,
    path: &str,
    body: reqwest::Body,
    json_type: bool,
) -> (u16, String, Value) {
    let mut req = app
        .client
        .post(app.url(path))
        .header("Accept", "application/graphql-response+json")
        .header("Api-Version", "2")
        .header("Umb-Project-Alias", "my-project")
        .header("X-PW-Application", "developer_api")
        .header("X-PW-UserEmail", "dev@example.com")
        .body(body);
    if json_type {
        req = req.header("content-type", "application/json");
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .or(body["error"]["code"].as_str())
        .unwrap_or_default()
        .to_owned();
    (status, code, body)
}

/// POSTs a body of `len` spaces over a raw socket, in 64 KiB chunks
/// (`Transfer-Encoding: chunked`, no length) or with a `Content-Length`;
/// returns the status and the body of the answer (the server may answer, and
/// close, before it read everything, which a client library reports as a
/// broken pipe).
async fn huge(app: &TestApp, path: &str, len: usize, chunked: bool) -> (u16, String, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Accept: application/graphql-response+json\r\nApi-Version: 2\r\n\
         Umb-Project-Alias: my-project\r\nX-PW-Application: developer_api\r\n\
         X-PW-UserEmail: dev@example.com\r\n{}Connection: close\r\n\r\n",
        app.addr,
        if chunked {
            "Transfer-Encoding: chunked\r\n".to_owned()
        } else {
            format!("Content-Length: {len}\r\n")
        }
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let spaces = " ".repeat(64 * 1024);
    let chunk = if chunked {
        format!("{:x}\r\n{spaces}\r\n", spaces.len())
    } else {
        spaces
    };
    for _ in 0..len.div_ceil(64 * 1024) {
        if socket.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    if chunked {
        let _ = socket.write_all(b"0\r\n\r\n").await;
    }
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an HTTP answer, got {text:?}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    // A chunked answer: the JSON is between the first size line and the end.
    let json = body
        .find('{')
        .and_then(|start| body.rfind('}').map(|end| &body[start..=end]))
        .unwrap_or("");
    let body: Value = serde_json::from_str(json).unwrap_or(Value::Null);
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .or(body["error"]["code"].as_str())
        .unwrap_or_default()
        .to_owned();
    (status, code, body)
}

fn gql(query: &str, variables: Value) -> reqwest::Body {
    json!({"query": query, "variables": variables})
        .to_string()
        .into()
}

async fn still_answers(app: &TestApp) {
    let data = app
        .data("{ relationTypes { totalCount } }", json!({}))
        .await;
    assert!(data["relationTypes"]["totalCount"].as_u64().unwrap() > 0);
}

async fn every_kind_of_bad_graphql_input_is_a_4xx_with_a_code(app: TestApp) {
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let deep = format!(
        "{{ __schema {{ types {{ {} name {} }} }} }}",
        "ofType { ".repeat(3000),
        "}".repeat(3000)
    );
    let aliases = format!(
        "{{ {} }}",
        (0..3000)
            .map(|i| format!("a{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let cases: Vec<(&str, reqwest::Body, &[&str])> = vec![
        (
            "invalid UTF-8",
            vec![b'{', 0xff, 0xfe, b'}'].into(),
            &["BAD_REQUEST"],
        ),
        (
            "variables nested 5000 deep",
            format!(
                r#"{{"query": "query($v: [ID]) {{ __typename }}", "variables": {{"v": {nested}}}}}"#
            )
            .into(),
            &["BAD_REQUEST"],
        ),
        (
            "fields nested 3000 deep",
            gql(&deep, json!({})),
            &["DEPTH_LIMIT_EXCEEDED", "GRAPHQL_PARSE_FAILED"],
        ),
        (
            "3000 aliases",
            gql(&aliases, json!({})),
            &["ALIAS_LIMIT_EXCEEDED"],
        ),
        (
            "an integer out of range",
            gql(
                "query($n: Int) { relations(first: $n) { totalCount } }",
                json!({"n": 99_999_999_999_i64}),
            ),
            &["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"],
        ),
        (
            "an inline integer out of range",
            gql(
                "{ relations(first: 99999999999999999999) { totalCount } }",
                json!({}),
            ),
            &["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"],
        ),
        (
            "a negative page size",
            gql("{ relations(first: -1) { totalCount } }", json!({})),
            &["BAD_USER_INPUT"],
        ),
        (
            "an id of 500 kB",
            gql(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({"id": "x".repeat(500_000)}),
            ),
            &["BAD_USER_INPUT"],
        ),
        (
            "a cursor of 500 kB",
            gql(
                "query($c: String) { relations(after: $c) { totalCount } }",
                json!({"c": "y".repeat(500_000)}),
            ),
            &["BAD_USER_INPUT"],
        ),
        (
            "a base64 cursor of garbage",
            gql(
                "query($c: String) { relations(after: $c) { totalCount } }",
                json!({"c": "b3JkZXI6W1siY3JlYXRlZCJd"}),
            ),
            &["BAD_USER_INPUT"],
        ),
        (
            "a NUL in the document",
            gql(r#"{ node(id: "a\u0000b") { id } }"#, json!({})),
            &["BAD_USER_INPUT"],
        ),
    ];
    let mut seen = Vec::new();
    for chunked in [false, true] {
        let (status, code, body) = huge(&app, "/graphql", 5 << 20, chunked).await;
        assert_eq!(
            (status, code.as_str()),
            (413, "PAYLOAD_TOO_LARGE"),
            "chunked {chunked}: {body}"
        );
        seen.push(format!("5 MB, chunked {chunked}: {status} {code}"));
    }
    for (what, body, codes) in cases {
        let (status, code, body) = send(&app, "/graphql", body, true).await;
        // A request error is HTTP 4xx; a field error (the document ran, and
        // an argument was refused) is HTTP 200 with its code, as the
        // GraphQL-over-HTTP specification has it. Never a 5xx.
        let field_error = status == 200 && body["errors"][0]["path"].is_array();
        assert!(
            (400..500).contains(&status) || field_error,
            "{what}: HTTP {status} {body}"
        );
        assert!(codes.contains(&code.as_str()), "{what}: {code} {body}");
        seen.push(format!("{what}: {status} {code}"));
    }
    eprintln!(
        "chaos: bad GraphQL input ({:?}): {}",
        app.engine,
        seen.join("; ")
    );
    still_answers(&app).await;
}

async fn every_dialect_refuses_bad_bodies_with_a_4xx(app: TestApp) {
    app.entity("kanka", "1", "character", "168").await;
    app.entity("kanka", "1", "character", "72").await;
    let before = app.relation_count().await;
    let mut seen = Vec::new();
    for path in [COPPER, UMBRACO, KANKA] {
        for chunked in [false, true] {
            let (status, _, body) = huge(&app, path, 5 << 20, chunked).await;
            assert_eq!(status, 413, "{path} chunked {chunked}: {body}");
            assert!(
                body.is_object(),
                "{path} chunked {chunked}: an error envelope, got {body}"
            );
            seen.push(format!("{path} 5 MB, chunked {chunked}: {status}"));
        }
        let cases: Vec<(&str, reqwest::Body, Vec<u16>)> = vec![
            ("invalid UTF-8", vec![b'{', 0xff, b'}'].into(), vec![400, 422]),
            (
                "nested 5000 deep",
                format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into(),
                vec![400, 422],
            ),
            (
                "an id out of range",
                r#"{"resource": {"id": 99999999999999999999999, "type": "company"}, "parentId": "x", "owner_id": 99999999999999999999, "target_id": 72, "relation": "x"}"#.into(),
                vec![400, 404, 422],
            ),
            (
                "a NUL in a text",
                r#"{"relation": "a\u0000b", "owner_id": 168, "target_id": 72, "parentId": "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31", "childId": "e0c5f0e5-c1f0-4422-9ac0-6dbb536e8eb5", "relationTypeAlias": "relateDocumentOnCopy", "comment": "a\u0000b", "resource": {"id": 1, "type": "company"}}"#.into(),
                vec![400, 422],
            ),
        ];
        for (what, body, statuses) in cases {
            let (status, _, body) = send(&app, path, body, true).await;
            assert!(
                statuses.contains(&status),
                "{path} {what}: HTTP {status} {body}"
            );
            assert!(
                body.is_object(),
                "{path} {what}: an error envelope, got {body}"
            );
            seen.push(format!("{path} {what}: {status}"));
        }
    }
    // A path segment that is no id, or too long for one.
    for path in [
        "/copper/developer_api/v1/people/99999999999999999999999/related".to_owned(),
        format!("/umbraco/relation/{}", "z".repeat(4000)),
        format!(
            "/kanka/api/1.0/campaigns/1/entities/{}/relations",
            "9".repeat(4000)
        ),
        "/kanka/api/1.0/campaigns/1/entities/1%002/relations".to_owned(),
        "/umbraco/relation/a%00b".to_owned(),
    ] {
        let res = app
            .client
            .get(app.url(&path))
            .header("Api-Version", "2")
            .header("Umb-Project-Alias", "my-project")
            .header("X-PW-Application", "developer_api")
            .header("X-PW-UserEmail", "dev@example.com")
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "GET {}...: HTTP {status}",
            &path[..path.len().min(60)]
        );
        seen.push(format!("GET a bad id: {status}"));
    }
    eprintln!(
        "chaos: bad dialect input ({:?}): {}",
        app.engine,
        seen.join("; ")
    );
    assert_eq!(app.relation_count().await, before, "nothing was written");
    still_answers(&app).await;
}

async fn a_nul_character_is_refused_alike_on_both_engines(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let upsert = "mutation($i: UpsertEntityInput!) { upsertEntity(input: $i) { entity { id } } }";
    let relate = "mutation($i: RelateInput!) { relate(input: $i) { created } }";
    let cases = [
        (
            upsert,
            json!({"i": {"source": "kanka", "space": "1", "kind": "character", "externalId": "9", "name": "a\u{0}b"}}),
        ),
        (
            upsert,
            json!({"i": {"source": "kanka", "space": "1", "kind": "character", "externalId": "9\u{0}", "name": "n"}}),
        ),
        (
            relate,
            json!({"i": {"typeId": ty, "fromId": a, "toId": b, "label": "x\u{0}"}}),
        ),
        (
            "query($l: String!) { relations(filter: {label: {contains: $l}}) { totalCount } }",
            json!({"l": "\u{0}"}),
        ),
    ];
    for (query, variables) in cases {
        let (status, code, body) =
            send(&app, "/graphql", gql(query, variables.clone()), true).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "BAD_USER_INPUT"),
            "{variables}: {body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("NUL"),
            "{body}"
        );
    }
    let entities = app.data("{ entities { totalCount } }", json!({})).await;
    assert_eq!(entities["entities"]["totalCount"], 2, "nothing was stored");
    assert_eq!(app.relation_count().await, 0, "nothing was stored");
    eprintln!(
        "chaos: a NUL in a name, an id, a label or a filter: 400 BAD_USER_INPUT on {:?}",
        app.engine
    );
}
