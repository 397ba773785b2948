//! Graceful shutdown (issue 17, point 4), on the real binary: SIGTERM
//! while a request is in flight, a subscription is open, a keep-alive
//! connection idles and two clients have stalled (one in its headers, one in
//! its body). The request in flight is answered and its write kept, the
//! subscription is closed with 1001, the idle connection at once, new
//! connections are refused, and the process exits 0 within
//! `--shutdown-timeout` and a small margin, however the stalled clients
//! behave.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::sockets::{End, HEALTHZ, read_response, read_until_closed};
use crate::engine_tests;
use crate::helpers::TestApp;
use crate::process::Process;
use crate::subscriptions::{Said, Ws};

engine_tests!(sigterm_drains_within_the_shutdown_timeout);

async fn sigterm_drains_within_the_shutdown_timeout(app: TestApp) {
    const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(3);
    // The stalled clients' own timeouts are longer than the drain: only
    // the drain's deadline can end them.
    let mut process = Process::start(
        &app.database_url,
        &[
            "--shutdown-timeout",
            "3s",
            "--header-read-timeout",
            "60s",
            "--body-read-timeout",
            "60s",
        ],
    );
    let served = TestApp {
        addr: process.addr,
        ..app.clone()
    };

    // A live subscription.
    let mut ws = Ws::connect(&served).await;
    ws.send(json!({ "id": "1", "type": "subscribe",
                    "payload": { "query": "subscription { relationEvents { cursor kind } }" } }))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    served.entity("kanka", "1", "character", "1").await;
    match ws.said(Duration::from_secs(5)).await {
        Said::Next(v) => assert_eq!(v["data"]["relationEvents"]["kind"], "ENTITY_CREATED"),
        other => panic!("the subscription is live: {other:?}"),
    }

    // A write in flight: headers and half its body sent.
    let body = json!({
        "query": "mutation($i: UpsertEntityInput!) { upsertEntity(input: $i) { entity { id } } }",
        "variables": { "i": { "source": "kanka", "space": "1", "kind": "character",
                              "externalId": "77", "name": "written during the drain" } },
    })
    .to_string();
    let mut in_flight = TcpStream::connect(process.addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: relgate\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (first, rest) = body.split_at(body.len() / 2);
    in_flight
        .write_all(format!("{head}{first}").as_bytes())
        .await
        .unwrap();
    // Stalled for good: in its headers, and in its body.
    let mut stalled_headers = TcpStream::connect(process.addr).await.unwrap();
    stalled_headers
        .write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .unwrap();
    let mut stalled_body = TcpStream::connect(process.addr).await.unwrap();
    stalled_body
        .write_all(format!("{head}{first}").as_bytes())
        .await
        .unwrap();
    // Idle in keep-alive.
    let mut idle = TcpStream::connect(process.addr).await.unwrap();
    idle.write_all(HEALTHZ).await.unwrap();
    assert_eq!(read_response(&mut idle).await.map(|r| r.0), Some(200));
    tokio::time::sleep(Duration::from_millis(300)).await;

    process.terminate();
    let signalled = Instant::now();
    while !process.log().contains("draining") {
        assert!(
            signalled.elapsed() < Duration::from_secs(2),
            "no drain started: {}",
            process.log()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let drain_started = signalled.elapsed();

    // The idle connection is closed at once, cleanly.
    let (got, end, idle_closed) = read_until_closed(&mut idle, Duration::from_secs(2)).await;
    assert!(got.is_empty());
    assert_eq!(end, End::Eof, "the idle connection is closed, not reset");
    // New connections are refused.
    let refused = TcpStream::connect(process.addr).await;
    assert!(
        refused.is_err(),
        "a connection after the drain started is refused"
    );
    // The subscription is told to go away.
    let closed = ws.said(Duration::from_secs(2)).await;
    let ws_closed = signalled.elapsed();
    assert!(
        matches!(closed, Said::Closed(Some(1001))),
        "the subscription is closed with 1001: {closed:?}"
    );

    // The request in flight finishes a second into the drain, and is answered.
    tokio::time::sleep(Duration::from_secs(1).saturating_sub(signalled.elapsed())).await;
    in_flight.write_all(rest.as_bytes()).await.unwrap();
    let (status, answer) = read_response(&mut in_flight)
        .await
        .expect("the request in flight is answered");
    let answered = signalled.elapsed();
    assert_eq!(status, 200, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let id = answer["data"]["upsertEntity"]["entity"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer:#}"))
        .to_owned();
    let (_, end, _) = read_until_closed(&mut in_flight, Duration::from_secs(5)).await;
    assert_eq!(end, End::Eof, "closed cleanly after its answer");

    // The stalled clients cannot stretch the drain.
    let status = process
        .exited(SHUTDOWN_TIMEOUT + Duration::from_secs(5))
        .await;
    let exited = signalled.elapsed();
    eprintln!(
        "SIGTERM ({:?}): drain started after {:.3} s; idle connection closed {:.3} s later; subscription closed (1001) at {:.3} s; \
         request in flight answered 200 at {:.3} s; process exited {:?} at {:.3} s (shutdown timeout {} s, two stalled clients)",
        app.engine,
        drain_started.as_secs_f64(),
        idle_closed.as_secs_f64(),
        ws_closed.as_secs_f64(),
        answered.as_secs_f64(),
        status.and_then(|s| s.code()),
        exited.as_secs_f64(),
        SHUTDOWN_TIMEOUT.as_secs(),
    );
    let status = status.unwrap_or_else(|| panic!("still running: {}", process.log()));
    assert!(
        status.success(),
        "exit status {status:?}: {}",
        process.log()
    );
    assert!(
        exited < SHUTDOWN_TIMEOUT + Duration::from_secs(2),
        "exited after {exited:?}"
    );
    assert!(
        exited >= SHUTDOWN_TIMEOUT - Duration::from_millis(200),
        "the stalled clients were kept until the deadline, not cut before: {exited:?}"
    );
    for tcp in [&mut stalled_headers, &mut stalled_body] {
        let (_, end, _) = read_until_closed(tcp, Duration::from_secs(2)).await;
        assert_ne!(end, End::Open, "a stalled client's connection is closed");
    }

    // The write answered during the drain is in the store.
    let found = app
        .data(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(found["node"]["id"], id.as_str());
}
