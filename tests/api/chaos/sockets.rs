//! Slow and idle sockets (issue 17, point 3): headers or a body that
//! trickle or stall, idle keep-alive connections, the bound on open
//! connections, and a slow-socket attack while normal requests go on. Raw
//! TCP, so that the client sends exactly what a slow or malicious one would.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use relgate::config::ServeArgs;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::engine_tests;
use crate::helpers::TestApp;

/// How a read from the server ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    /// The server closed the connection (FIN).
    Eof,
    /// The server reset it.
    Reset,
    /// Still open when the test stopped waiting.
    Open,
}

/// Reads until the server closes the connection or `limit` passes; what
/// came, how it ended, and when.
pub(super) async fn read_until_closed(
    tcp: &mut TcpStream,
    limit: Duration,
) -> (Vec<u8>, End, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, tcp.read(&mut buf)).await {
            Err(_) => return (got, End::Open, started.elapsed()),
            Ok(Ok(0)) => return (got, End::Eof, started.elapsed()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(_)) => return (got, End::Reset, started.elapsed()),
        }
    }
}

/// One HTTP/1.1 response read off a keep-alive connection: its status
/// and body (`Content-Length` framing only, which is all relgate sends to
/// these requests). `None` when the connection closed first.
pub(super) async fn read_response(tcp: &mut TcpStream) -> Option<(u16, String)> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while got.len() < head_end + length {
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    let body = String::from_utf8_lossy(&got[head_end..head_end + length]).into_owned();
    Some((status, body))
}

/// A complete `GET /healthz` on a keep-alive connection.
pub(super) const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: relgate\r\n\r\n";

fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 100.0).round() / 100.0
}

fn short_header_timeout() -> ServeArgs {
    ServeArgs {
        header_read_timeout: Duration::from_millis(2500),
        ..ServeArgs::default()
    }
}

fn short_body_timeout() -> ServeArgs {
    ServeArgs {
        body_read_timeout: Duration::from_secs(1),
        ..ServeArgs::default()
    }
}

/// The header timeout shorter than the idle timeout, to show that
/// idleness is not slowness.
fn short_idle_timeout() -> ServeArgs {
    ServeArgs {
        header_read_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_millis(2500),
        ..ServeArgs::default()
    }
}

fn two_connections() -> ServeArgs {
    ServeArgs {
        max_connections: 2,
        ..ServeArgs::default()
    }
}

fn under_attack() -> ServeArgs {
    ServeArgs {
        header_read_timeout: Duration::from_secs(2),
        ..ServeArgs::default()
    }
}

engine_tests!(serve = short_header_timeout; trickled_headers_are_cut_at_the_header_read_timeout);
engine_tests!(serve = short_body_timeout; a_stalled_body_is_answered_408_at_the_body_read_timeout);
engine_tests!(serve = short_idle_timeout; an_idle_keep_alive_connection_closes_at_the_idle_timeout);
engine_tests!(serve = two_connections; beyond_max_connections_new_ones_wait_until_one_closes);
engine_tests!(serve = under_attack; requests_are_answered_during_a_slow_socket_attack);

/// A request's headers sent one byte per second (the attack that held 100
/// sockets open for good before) are cut after `--header-read-timeout`
/// (2.5 s here) however steadily the bytes come, and so is a connection
/// that sends nothing at all.
async fn trickled_headers_are_cut_at_the_header_read_timeout(app: TestApp) {
    let mut tcp = TcpStream::connect(app.addr).await.unwrap();
    let (mut rx, mut tx) = tcp.split();
    let sent = std::sync::atomic::AtomicUsize::new(0);
    let trickle = async {
        for byte in HEALTHZ {
            if tx.write_all(&[*byte]).await.is_err() {
                break;
            }
            sent.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        // The whole request went out: the server never cut it.
        std::future::pending::<()>().await;
    };
    let read = async {
        let started = Instant::now();
        let mut buf = [0u8; 256];
        let n = tokio::time::timeout(Duration::from_secs(10), rx.read(&mut buf)).await;
        (n.map(|r| r.unwrap_or(0)), started.elapsed())
    };
    let (read, took) = tokio::select! {
        r = read => r,
        () = trickle => unreachable!(),
    };
    let sent = sent.load(Ordering::Relaxed);
    eprintln!(
        "trickled headers: closed by the server after {:.2} s (header read timeout 2.5 s, {} of {} bytes sent)",
        seconds(took),
        sent,
        HEALTHZ.len()
    );
    assert_eq!(
        read.ok(),
        Some(0),
        "the server closes the connection without an answer"
    );
    assert!(sent >= 2 && sent < HEALTHZ.len(), "{sent} bytes sent");
    assert!(
        took >= Duration::from_millis(2400) && took < Duration::from_secs(4),
        "closed after {took:?}"
    );

    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let (got, end, took) = read_until_closed(&mut silent, Duration::from_secs(10)).await;
    eprintln!(
        "a connection that sends nothing: closed after {:.2} s",
        seconds(took)
    );
    assert!(got.is_empty());
    assert_ne!(end, End::Open);
    assert!(
        took >= Duration::from_millis(2400) && took < Duration::from_secs(4),
        "closed after {took:?}"
    );
    // A prompt client is served as ever.
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

/// Headers in full, then only part of the announced body: after
/// `--body-read-timeout` (1 s) the answer is 408 with code
/// `BODY_READ_TIMEOUT` (GraphQL-shaped on /graphql, the dialect's envelope
/// under its prefix), and the connection is closed.
async fn a_stalled_body_is_answered_408_at_the_body_read_timeout(app: TestApp) {
    for (path, content_type) in [
        ("/graphql", "application/json"),
        (
            "/kanka/api/1.0/campaigns/1/entities/1/relations",
            "application/json",
        ),
    ] {
        let mut tcp = TcpStream::connect(app.addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: relgate\r\nContent-Type: {content_type}\r\nContent-Length: 100\r\n\r\n{{\"query\":"
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        let (got, end, took) = read_until_closed(&mut tcp, Duration::from_secs(10)).await;
        let text = String::from_utf8_lossy(&got).into_owned();
        eprintln!(
            "stalled body on {path}: answered and closed after {:.2} s (body read timeout 1 s): {}",
            seconds(took),
            text.lines().next().unwrap_or("")
        );
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(
            text.to_ascii_lowercase().contains("connection: close"),
            "{text}"
        );
        let body: Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap_or(""))
            .unwrap_or_else(|e| panic!("a JSON body ({e}): {text}"));
        if path == "/graphql" {
            assert_eq!(body["errors"][0]["extensions"]["code"], "BODY_READ_TIMEOUT");
        } else {
            assert!(text.contains("body-read-timeout"), "{text}");
        }
        assert_ne!(end, End::Open, "the connection is closed after the 408");
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(3),
            "answered after {took:?}"
        );
    }
    // A body that arrives in time, even in pieces, is read.
    let mut tcp = TcpStream::connect(app.addr).await.unwrap();
    let body = json!({ "query": "{ relations { totalCount } }" }).to_string();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: relgate\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    tcp.write_all(first.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    tcp.write_all(rest.as_bytes()).await.unwrap();
    let (status, answer) = read_response(&mut tcp).await.expect("an answer");
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("totalCount"), "{answer}");
}

/// A keep-alive connection lives past the header timeout (1 s) while idle,
/// takes another request, and is closed `--idle-timeout` (2.5 s) after its
/// last answer.
async fn an_idle_keep_alive_connection_closes_at_the_idle_timeout(app: TestApp) {
    let mut tcp = TcpStream::connect(app.addr).await.unwrap();
    tcp.write_all(HEALTHZ).await.unwrap();
    assert_eq!(read_response(&mut tcp).await.map(|r| r.0), Some(200));
    // Idle for longer than the header timeout: still open.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    tcp.write_all(HEALTHZ).await.unwrap();
    assert_eq!(
        read_response(&mut tcp).await.map(|r| r.0),
        Some(200),
        "an idle connection is not cut at the header timeout"
    );
    let (got, end, took) = read_until_closed(&mut tcp, Duration::from_secs(10)).await;
    eprintln!(
        "idle keep-alive connection: closed {:.2} s after its last answer (idle timeout 2.5 s, header read timeout 1 s)",
        seconds(took)
    );
    assert!(got.is_empty());
    assert_eq!(end, End::Eof, "an idle connection is closed cleanly");
    assert!(
        took >= Duration::from_millis(2300) && took < Duration::from_secs(4),
        "closed after {took:?}"
    );
}

/// With `--max-connections 2`, a third connection is not served while two
/// are open; once one closes it is, without the client doing anything.
async fn beyond_max_connections_new_ones_wait_until_one_closes(app: TestApp) {
    let mut a = TcpStream::connect(app.addr).await.unwrap();
    let mut b = TcpStream::connect(app.addr).await.unwrap();
    for tcp in [&mut a, &mut b] {
        tcp.write_all(HEALTHZ).await.unwrap();
        assert_eq!(read_response(tcp).await.map(|r| r.0), Some(200));
    }
    // The kernel completes the handshake (the listen backlog), but relgate
    // does not accept it yet.
    let mut c = TcpStream::connect(app.addr).await.unwrap();
    c.write_all(HEALTHZ).await.unwrap();
    let waited = tokio::time::timeout(Duration::from_millis(1500), read_response(&mut c)).await;
    assert!(
        waited.is_err(),
        "a third connection is not served: {waited:?}"
    );
    let closed = Instant::now();
    drop(a);
    let served = tokio::time::timeout(Duration::from_secs(5), read_response(&mut c))
        .await
        .expect("served once a slot is free");
    eprintln!(
        "max connections 2: the third waited 1.5 s unserved, then was answered {:.3} s after one closed",
        closed.elapsed().as_secs_f64()
    );
    assert_eq!(served.map(|r| r.0), Some(200));
    // The remaining connection still works.
    b.write_all(HEALTHZ).await.unwrap();
    assert_eq!(read_response(&mut b).await.map(|r| r.0), Some(200));
}

/// 200 sockets trickle their headers (one byte per second each, reconnecting
/// when cut) for 6 s while a client keeps sending GraphQL requests: every
/// request is answered, quickly, and the attackers' sockets are cut at the
/// header timeout (2 s).
async fn requests_are_answered_during_a_slow_socket_attack(app: TestApp) {
    const ATTACKERS: usize = 200;
    let attack = Duration::from_secs(6);
    let started = Instant::now();
    let cut = Arc::new(AtomicU64::new(0));
    let mut attackers = Vec::new();
    for _ in 0..ATTACKERS {
        let (addr, cut) = (app.addr, cut.clone());
        attackers.push(tokio::spawn(async move {
            while started.elapsed() < attack {
                let Ok(mut tcp) = TcpStream::connect(addr).await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                let mut buf = [0u8; 64];
                for byte in HEALTHZ.iter().cycle() {
                    if started.elapsed() >= attack {
                        return;
                    }
                    if tcp.write_all(&[*byte]).await.is_err() {
                        break;
                    }
                    // Closed by the server?
                    match tokio::time::timeout(Duration::from_secs(1), tcp.read(&mut buf)).await {
                        Ok(Ok(0)) | Ok(Err(_)) => break,
                        _ => {}
                    }
                }
                cut.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // Give the attack a moment to open its sockets.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (mut answered, mut failed) = (0u64, 0u64);
    let mut latencies = Vec::new();
    while started.elapsed() < attack {
        let t = Instant::now();
        let res = tokio::time::timeout(
            Duration::from_secs(5),
            app.client
                .post(app.url("/graphql"))
                .json(&json!({ "query": "{ relations(first: 5) { totalCount edges { node { id } } } }" }))
                .send(),
        )
        .await;
        let ok = match res {
            Ok(Ok(r)) if r.status() == 200 => r
                .json::<Value>()
                .await
                .is_ok_and(|v| v.get("errors").is_none()),
            _ => false,
        };
        latencies.push(t.elapsed());
        if ok {
            answered += 1;
        } else {
            failed += 1;
        }
    }
    for a in attackers {
        a.await.unwrap();
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    let (p50, p99) = (pct(0.50), pct(0.99));
    let cut = cut.load(Ordering::Relaxed);
    eprintln!(
        "slow-socket attack ({ATTACKERS} trickling sockets, {:.0} s, header read timeout 2 s, {:?}): \
         {answered} requests answered, {failed} failed, p50 {:.1} ms, p99 {:.1} ms; attacker sockets cut by the server: {cut}",
        attack.as_secs_f64(),
        app.engine,
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
    );
    assert_eq!(failed, 0, "every request is answered during the attack");
    assert!(answered >= 20, "only {answered} requests answered");
    assert!(p99 < Duration::from_secs(1), "p99 {p99:?}");
    assert!(
        cut >= ATTACKERS as u64,
        "the server cut every attacker's socket at least once: {cut}"
    );
}
