//! `Subscription.relationEvents` over a real WebSocket (graphql-transport-ws):
//! replay then live with no gap or duplicate, reconnects, privacy, tokens,
//! limits, slow readers, and delivery across two gateway processes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use relgate::config::ServeArgs;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{WebSocketStream, client_async};

use crate::engine_tests;
use crate::helpers::{Engine, TestApp, code};

const EVENT: &str = "cursor kind relationId after { label isPrivate } entity { externalId }";

/// A graphql-transport-ws client.
pub(crate) struct Ws(WebSocketStream<TcpStream>);

/// What the server said next.
#[derive(Debug)]
pub(crate) enum Said {
    /// A `next` message's payload.
    Next(Value),
    /// An `error` message's payload.
    Error(Value),
    /// The socket was closed, with this code.
    Closed(Option<u16>),
    /// Nothing within the time allowed.
    Silent,
}

impl Ws {
    /// Opens a socket to `app` (with `header` as the upgrade's
    /// Authorization, and a receive buffer of `buffer` bytes if given).
    async fn open(app: &TestApp, header: Option<&str>, buffer: Option<u32>) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        if let Some(b) = buffer {
            socket.set_recv_buffer_size(b).unwrap();
        }
        let tcp = socket.connect(app.addr).await.unwrap();
        let mut req = format!("ws://{}/graphql", app.addr)
            .into_client_request()
            .unwrap();
        req.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        if let Some(h) = header {
            req.headers_mut()
                .insert("authorization", HeaderValue::from_str(h).unwrap());
        }
        let (ws, res) = client_async(req, tcp).await.expect("the upgrade");
        assert_eq!(
            res.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
        Self(ws)
    }

    pub(crate) async fn send(&mut self, v: Value) {
        self.0.send(Message::text(v.to_string())).await.unwrap();
    }

    /// `connection_init` with `payload`; the server's answer.
    async fn init(&mut self, payload: Value) -> Said {
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        self.said(Duration::from_secs(5)).await
    }

    /// An acknowledged connection of `app` as the client's token.
    pub(crate) async fn connect(app: &TestApp) -> Self {
        let mut ws = Self::open(app, None, None).await;
        let payload = match &app.token {
            Some(t) => json!({ "Authorization": format!("Bearer {t}") }),
            None => json!({}),
        };
        match ws.init(payload).await {
            Said::Next(v) if v["type"] == "connection_ack" => ws,
            other => panic!("no connection_ack: {other:?}"),
        }
    }

    async fn subscribe(&mut self, id: &str, after: Option<&str>, filter: Value) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": {
                "query": format!("subscription($after: String, $filter: RelationEventFilterInput) {{ relationEvents(after: $after, filter: $filter) {{ {EVENT} }} }}"),
                "variables": { "after": after, "filter": filter },
            }
        }))
        .await;
    }

    /// The next message (answering pings), within `wait`.
    pub(crate) async fn said(&mut self, wait: Duration) -> Said {
        loop {
            let msg = match tokio::time::timeout(wait, self.0.next()).await {
                Err(_) => return Said::Silent,
                Ok(None) | Ok(Some(Err(_))) => return Said::Closed(None),
                Ok(Some(Ok(m))) => m,
            };
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    match v["type"].as_str() {
                        Some("next") => return Said::Next(v["payload"].clone()),
                        Some("error") => return Said::Error(v["payload"].clone()),
                        Some("ping") => self.send(json!({ "type": "pong" })).await,
                        // A subscription that ended (after its error).
                        Some("complete") => {}
                        _ => return Said::Next(v),
                    }
                }
                Message::Close(frame) => return Said::Closed(frame.map(|f| u16::from(f.code))),
                _ => {}
            }
        }
    }

    /// The next `n` events, or a panic.
    async fn events(&mut self, n: usize) -> Vec<Value> {
        let mut out = Vec::new();
        while out.len() < n {
            match self.said(Duration::from_secs(10)).await {
                Said::Next(v) => {
                    assert!(v.get("errors").is_none(), "{v:#}");
                    out.push(v["data"]["relationEvents"].clone());
                }
                other => panic!("expected {n} events, got {} then {other:?}", out.len()),
            }
        }
        out
    }
}

/// Every event the caller may see, by query.
async fn journal(app: &TestApp) -> Vec<Value> {
    let data = app
        .data(
            &format!("{{ relationEvents(first: 100) {{ edges {{ node {{ {EVENT} }} }} }} }}"),
            json!({}),
        )
        .await;
    data["relationEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn cursors(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["cursor"].as_str().unwrap())
        .collect()
}

engine_tests!(
    replay_then_live_has_no_gap_and_no_duplicate,
    a_reconnect_with_the_last_cursor_misses_nothing,
    private_events_reach_admins_only,
    credentials_are_checked_at_connection_init,
    a_revoked_tokens_subscription_is_closed,
    a_cursor_that_is_not_one_is_an_error,
);

async fn replay_then_live_has_no_gap_and_no_duplicate(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    app.relate_ok(&ty, &a, &b, json!({"label": "one"})).await;
    let before = journal(&app).await;
    let mut ws = Ws::connect(&app).await;
    ws.subscribe("1", before[0]["cursor"].as_str(), json!(null))
        .await;
    // The replay: everything after the first event.
    let replayed = ws.events(2).await;
    assert_eq!(cursors(&replayed), cursors(&before[1..]));
    // Live: writes made now, in order, once each.
    for i in 0..3 {
        app.relate_ok(&ty, &a, &b, json!({ "label": format!("live {i}") }))
            .await;
    }
    let live = ws.events(3).await;
    let labels: Vec<&str> = live
        .iter()
        .map(|e| e["after"]["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["live 0", "live 1", "live 2"]);
    let all = journal(&app).await;
    assert_eq!(
        [cursors(&before[..1]), cursors(&replayed), cursors(&live)].concat(),
        cursors(&all)
    );
    assert!(
        matches!(ws.said(Duration::from_millis(500)).await, Said::Silent),
        "a duplicate"
    );
    // Without `after`: live only; with a filter: only what it keeps.
    let mut live_only = Ws::connect(&app).await;
    live_only
        .subscribe("2", None, json!({ "kinds": ["ENTITY_CREATED"] }))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.relate_ok(&ty, &a, &b, json!({"label": "not an entity"}))
        .await;
    app.entity("kanka", "1", "character", "3").await;
    let got = live_only.events(1).await;
    assert_eq!(
        (
            got[0]["kind"].as_str(),
            got[0]["entity"]["externalId"].as_str()
        ),
        (Some("ENTITY_CREATED"), Some("3"))
    );
}

async fn a_reconnect_with_the_last_cursor_misses_nothing(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let mut ws = Ws::connect(&app).await;
    ws.subscribe("1", None, json!(null)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.relate_ok(&ty, &a, &b, json!({"label": "seen"})).await;
    let seen = ws.events(1).await;
    let last = seen[0]["cursor"].as_str().unwrap().to_owned();
    drop(ws);
    // While away.
    for i in 0..4 {
        app.relate_ok(&ty, &a, &b, json!({ "label": format!("missed {i}") }))
            .await;
    }
    let mut again = Ws::connect(&app).await;
    again.subscribe("1", Some(&last), json!(null)).await;
    let caught_up = again.events(4).await;
    let labels: Vec<&str> = caught_up
        .iter()
        .map(|e| e["after"]["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["missed 0", "missed 1", "missed 2", "missed 3"]);
    app.relate_ok(&ty, &a, &b, json!({"label": "after"})).await;
    assert_eq!(again.events(1).await[0]["after"]["label"], "after");
}

async fn private_events_reach_admins_only(app: TestApp) {
    let admin = app.with_token(&app.create_token("admin", "a", &[]));
    let writer = app.with_token(&app.create_token("write", "w", &[]));
    let ty = admin.type_id("kanka", "relation").await;
    let a = admin.entity("kanka", "1", "character", "1").await;
    let b = admin.entity("kanka", "1", "character", "2").await;
    let mut for_admin = Ws::connect(&admin).await;
    let mut for_writer = Ws::connect(&writer).await;
    for_admin.subscribe("1", None, json!(null)).await;
    for_writer.subscribe("1", None, json!(null)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    admin
        .relate_ok(&ty, &a, &b, json!({"label": "secret", "isPrivate": true}))
        .await;
    admin.relate_ok(&ty, &a, &b, json!({"label": "open"})).await;
    let seen: Vec<Value> = for_admin.events(2).await;
    assert_eq!(
        seen.iter()
            .map(|e| e["after"]["label"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["secret", "open"]
    );
    let got = for_writer.events(1).await;
    assert_eq!(got[0]["after"]["label"], "open");
    assert!(matches!(
        for_writer.said(Duration::from_millis(500)).await,
        Said::Silent
    ));
}

async fn credentials_are_checked_at_connection_init(app: TestApp) {
    let reader = app.create_token("read", "r", &[]);
    // None, or a bad one: 4403.
    for payload in [json!({}), json!({ "Authorization": "Bearer rg_bad" })] {
        let mut ws = Ws::open(&app, None, None).await;
        match ws.init(payload.clone()).await {
            Said::Closed(Some(4403)) => {}
            other => panic!("{payload}: {other:?}"),
        }
    }
    // A subscribe before connection_init: 4401.
    let mut ws = Ws::open(&app, None, None).await;
    ws.subscribe("1", None, json!(null)).await;
    assert!(matches!(
        ws.said(Duration::from_secs(5)).await,
        Said::Closed(Some(4401))
    ));
    // A read token may subscribe, from the payload or the upgrade's header.
    let mut ws = Ws::connect(&app.with_token(&reader)).await;
    ws.subscribe("1", None, json!(null)).await;
    let mut by_header = Ws::open(&app, Some(&format!("Bearer {reader}")), None).await;
    assert!(
        matches!(by_header.init(json!({})).await, Said::Next(v) if v["type"] == "connection_ack")
    );
    // A bad header is refused before the upgrade.
    let res = app
        .client
        .get(app.url("/graphql"))
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-protocol", "graphql-transport-ws")
        .header("authorization", "Bearer rg_bad")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::UNAUTHORIZED);
}

async fn a_revoked_tokens_subscription_is_closed(app: TestApp) {
    let reader = app.with_token(&app.create_token("read", "doomed", &[]));
    let mut ws = Ws::connect(&reader).await;
    ws.subscribe("1", None, json!(null)).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relgate"))
        .args(["token", "revoke", "doomed"])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success());
    let started = std::time::Instant::now();
    loop {
        match ws.said(Duration::from_secs(5)).await {
            Said::Closed(Some(4403)) => break,
            Said::Next(_) => continue,
            other => panic!("not closed with 4403: {other:?}"),
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

async fn a_cursor_that_is_not_one_is_an_error(app: TestApp) {
    let mut ws = Ws::connect(&app).await;
    ws.subscribe("1", Some("nope"), json!(null)).await;
    match ws.said(Duration::from_secs(5)).await {
        Said::Error(e) => assert_eq!(code(&e[0]), "BAD_USER_INPUT"),
        Said::Next(v) => assert_eq!(code(&v["errors"][0]), "BAD_USER_INPUT"),
        other => panic!("{other:?}"),
    }
}

fn two_per_connection() -> ServeArgs {
    ServeArgs {
        max_subscriptions_per_connection: 2,
        max_subscription_connections: 2,
        ..ServeArgs::default()
    }
}

engine_tests!(serve = two_per_connection; subscriptions_and_connections_are_bounded);

async fn subscriptions_and_connections_are_bounded(app: TestApp) {
    let mut ws = Ws::connect(&app).await;
    for id in ["1", "2", "3"] {
        ws.subscribe(id, None, json!(null)).await;
    }
    match ws.said(Duration::from_secs(5)).await {
        Said::Next(v) | Said::Error(v) => {
            let errors = if v.is_array() { v } else { v["errors"].clone() };
            assert_eq!(code(&errors[0]), "SUBSCRIPTION_LIMIT_EXCEEDED");
        }
        other => panic!("{other:?}"),
    }
    // The first two still deliver.
    app.entity("kanka", "1", "character", "1").await;
    let got = ws.events(2).await;
    assert_eq!(got[0]["kind"], "ENTITY_CREATED");
    // A third connection is refused before the upgrade.
    let mut second = Ws::connect(&app).await;
    let res = app
        .client
        .get(app.url("/graphql"))
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-protocol", "graphql-transport-ws")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body["errors"][0]), "SUBSCRIPTION_LIMIT_EXCEEDED");
    // A message may be as large as a request body (1 MiB here), no larger.
    let padding = "x".repeat(1024 * 1024);
    second
        .send(json!({ "id": "big", "type": "subscribe", "payload": { "query": format!("subscription {{ relationEvents {{ cursor }} }} # {padding}") } }))
        .await;
    assert!(matches!(
        second.said(Duration::from_secs(5)).await,
        Said::Closed(Some(1009))
    ));
    // The first connection is unaffected.
    app.entity("kanka", "2", "character", "2").await;
    assert_eq!(ws.events(2).await[0]["kind"], "ENTITY_CREATED");
}

engine_tests!(a_slow_subscriber_is_closed_and_memory_stays_flat);

/// This process's resident memory, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn a_slow_subscriber_is_closed_and_memory_stays_flat(app: TestApp) {
    // Many events at once: a bulk seed journals one per relation.
    app.demo_seed(1000, 20_000);
    let rss_before = rss_kib();
    let mut ws = Ws::open(&app, None, Some(4096)).await;
    assert!(matches!(ws.init(json!({})).await, Said::Next(_)));
    ws.send(json!({
        "id": "slow", "type": "subscribe",
        "payload": { "query": "subscription { relationEvents(after: \"ZXZlbnQ6MDow\") { cursor kind relationId typeSource typeAlias from { id source space kind externalId name } to { id source space kind externalId name } after { label comment attitude colour pinned isPrivate mirrorId } actor origin at } }" }
    }))
    .await;
    // The client reads nothing; the server gives up on it.
    tokio::time::sleep(relgate::http::subscriptions::SEND_TIMEOUT + Duration::from_secs(3)).await;
    let rss_after = rss_kib();
    assert!(
        rss_after < rss_before + 100 * 1024,
        "memory grew from {rss_before} to {rss_after} KiB"
    );
    // The server is fine, and the slow socket is closed: reading now finds
    // its end (4008, or a reset once the buffered events are read).
    let data = app
        .data("{ relationTypes { totalCount } }", json!({}))
        .await;
    assert!(data["relationTypes"]["totalCount"].as_u64().unwrap() > 0);
    let mut read = 0;
    loop {
        match ws.said(Duration::from_secs(5)).await {
            Said::Next(_) => read += 1,
            Said::Closed(code) => {
                assert!(matches!(code, Some(4008) | None), "{code:?}");
                break;
            }
            other => panic!("after {read} events: {other:?}"),
        }
    }
    assert!(
        read < 20_000,
        "the socket was not closed early: {read} events"
    );
}

engine_tests!(a_change_on_one_process_reaches_a_subscriber_on_another);

async fn a_change_on_one_process_reaches_a_subscriber_on_another(app: TestApp) {
    if app.engine != Engine::Postgres {
        // One process per SQLite file: nothing to cross.
        return;
    }
    let (other, twin) = app.twin(ServeArgs::default()).await;
    let mut ws = Ws::connect(&other).await;
    ws.subscribe("1", None, json!(null)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    app.entity("kanka", "1", "character", "1").await;
    let got = ws.events(1).await;
    assert_eq!(got[0]["entity"]["externalId"], "1");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // The notification connection is killed: service resumes, nothing lost.
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(&app.database_url).await.unwrap();
    let killed = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        ))
        .await
        .unwrap();
    assert!(!killed.is_empty(), "no LISTEN connection to kill");
    app.entity("kanka", "1", "character", "2").await;
    app.entity("kanka", "1", "character", "3").await;
    let got = ws.events(2).await;
    assert_eq!(
        got.iter()
            .map(|e| e["entity"]["externalId"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["2", "3"]
    );
    db.close().await.unwrap();
    twin.stop().await;
}

const WATCH: &str = "subscription Watch { relationEvents { cursor kind } }";

fn trusted_watch() -> ServeArgs {
    use sha2::{Digest, Sha256};
    let path =
        std::env::temp_dir().join(format!("relgate-ws-{}.json", uuid::Uuid::new_v4().simple()));
    let id = format!("sha256:{}", hex::encode(Sha256::digest(WATCH.as_bytes())));
    std::fs::write(&path, json!({ id: WATCH }).to_string()).unwrap();
    ServeArgs {
        trusted_documents: Some(path),
        only_trusted_documents: true,
        exempt_admins_from_trusted_documents: true,
        ..ServeArgs::default()
    }
}

engine_tests!(serve = trusted_watch; subscriptions_run_trusted_documents_by_id_only);

async fn subscriptions_run_trusted_documents_by_id_only(app: TestApp) {
    use sha2::{Digest, Sha256};
    let id = format!("sha256:{}", hex::encode(Sha256::digest(WATCH.as_bytes())));
    // An exempt admin writes; a reader subscribes.
    let admin = app.with_token(&app.create_token("admin", "a", &[]));
    let reader = app.with_token(&app.create_token("read", "r", &[]));
    let mut ws = Ws::connect(&reader).await;
    // Free text, not in the manifest: refused, the connection goes on.
    ws.subscribe("free", None, json!(null)).await;
    match ws.said(Duration::from_secs(5)).await {
        Said::Error(e) => assert_eq!(code(&e[0]), "TRUSTED_DOCUMENT_REQUIRED"),
        other => panic!("{other:?}"),
    }
    ws.send(json!({ "id": "byid", "type": "subscribe", "payload": { "documentId": id } }))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    admin.entity("kanka", "1", "character", "1").await;
    match ws.said(Duration::from_secs(5)).await {
        Said::Next(v) => assert_eq!(
            v["data"]["relationEvents"]["kind"], "ENTITY_CREATED",
            "{v:#}"
        ),
        other => panic!("{other:?}"),
    }
}
