//! The subscription benchmark (`benches/README.md`, run by `benches/run.sh`):
//! commit-to-delivery latency of `Subscription.relationEvents` with many live
//! subscribers, on the process that took the write and on another one over
//! the same PostgreSQL database, and the resident memory of a process
//! holding many idle subscriptions.
//!
//! It is a client only: the servers are started by `run.sh`. Configuration
//! comes from the environment:
//!
//! | variable | |
//! |---|---|
//! | `SUB_WRITE_URL` | GraphQL URL of the process that takes the writes |
//! | `SUB_READ` | `name=url=pid` of each process whose subscribers are measured, comma-separated |
//! | `SUB_COUNTS` | subscriber counts, comma-separated (default `1,100,1000`) |
//! | `SUB_WRITES` | writes per measurement (default 50; each a relate and an unrelate, two events) |
//! | `SUB_IDLE` | idle subscriptions for the memory figure (default 10000; 0: skip) |
//! | `SUB_IDLE_AT` | `url=pid` of the process they are opened on (default: the last of `SUB_READ`) |
//! | `M1_TYPE`, `M1_FROM`, `M1_TO` | the relation written, as in M1 (global ids) |
//!
//! Each write is timed from the moment its `relate` (or `unrelate`) request
//! is sent until each subscriber's socket has delivered the event: an upper
//! bound of commit-to-delivery, as it includes the write's own time (which
//! is printed beside it). Writes go one at a time, each after the previous
//! event reached every subscriber. Every subscriber filters on the written
//! relation's `from` entity, so it receives exactly the measured events.
//! Results are printed as tab-separated lines starting with `SUB` and
//! `IDLE`.
//!
//! With `SUB_SOAK=1` it is instead the subscriber side of `benches/soak.sh`:
//! `SUB_SOAK_SUBSCRIBERS` (default 200) subscribers on `SUB_SOAK_URL`, all
//! filtering on `M1_FROM`, proved live with one write of its own (`READY`
//! is printed then), counting every event until SIGTERM: a `SOAKSUB` line
//! each second (seconds since ready, deliveries, distinct events, open
//! subscribers) and a `SOAKEND` line at the end (deliveries, distinct
//! events, events every subscriber received, events some did not, missing
//! deliveries, open subscribers).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What each subscriber asks for: the journal's fields only (no entity or
/// relation is loaded for them).
const SUBSCRIPTION: &str = "subscription($e: ID!) { relationEvents(filter: { entityId: $e }) { cursor kind at relationId typeAlias from { name } to { name } after { label } } }";

/// How long a write waits for its event to reach every subscriber.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Sockets opened at once while subscribers connect.
const CONNECTING: usize = 64;

struct Config {
    write_url: String,
    reads: Vec<(String, String, u32)>,
    counts: Vec<usize>,
    writes: usize,
    idle: usize,
    idle_at: Option<(String, u32)>,
    type_id: String,
    from: String,
    to: String,
}

fn env(name: &str) -> Result<String, BoxError> {
    std::env::var(name)
        .map_err(|_| format!("{name} is not set (see benches/subscriptions.rs)").into())
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

impl Config {
    fn from_env() -> Result<Self, BoxError> {
        let reads = env("SUB_READ")?
            .split(',')
            .map(|r| {
                let mut parts = r.splitn(3, '=');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(n), Some(u), Some(p)) => Ok((n.to_owned(), u.to_owned(), p.parse()?)),
                    _ => Err(format!("SUB_READ: {r:?} is not name=url=pid").into()),
                }
            })
            .collect::<Result<Vec<_>, BoxError>>()?;
        let counts = env_or("SUB_COUNTS", "1,100,1000")
            .split(',')
            .filter(|c| !c.trim().is_empty())
            .map(|c| c.trim().parse())
            .collect::<Result<Vec<usize>, _>>()?;
        let idle_at = match std::env::var("SUB_IDLE_AT") {
            Ok(at) => match at.rsplit_once('=') {
                Some((url, pid)) => Some((url.to_owned(), pid.parse()?)),
                None => return Err(format!("SUB_IDLE_AT: {at:?} is not url=pid").into()),
            },
            Err(_) => reads.last().map(|r| (r.1.clone(), r.2)),
        };
        Ok(Self {
            write_url: env("SUB_WRITE_URL")?,
            reads,
            counts,
            writes: env_or("SUB_WRITES", "50").parse()?,
            idle: env_or("SUB_IDLE", "10000").parse()?,
            idle_at,
            type_id: env("M1_TYPE")?,
            from: env("M1_FROM")?,
            to: env("M1_TO")?,
        })
    }
}

/// An event as a subscriber saw it: (relation id, kind), and when.
type Seen = ((String, String), Instant);

/// Opens a graphql-transport-ws connection to `url` (the HTTP GraphQL URL)
/// and subscribes with `variables`; then forwards every event to `seen`
/// (if any) until the socket closes.
async fn subscriber(
    url: String,
    variables: Value,
    seen: Option<mpsc::UnboundedSender<Seen>>,
    ready: mpsc::Sender<Result<(), String>>,
) {
    let ws_url = url.replacen("http://", "ws://", 1);
    let opened = async {
        let mut req = ws_url.into_client_request()?;
        req.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (mut ws, _) = connect_async(req).await?;
        ws.send(Message::text(
            json!({ "type": "connection_init" }).to_string(),
        ))
        .await?;
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.contains("connection_ack") => {}
            other => return Err(format!("no connection_ack: {other:?}").into()),
        }
        let subscribe = json!({
            "id": "1",
            "type": "subscribe",
            "payload": { "query": SUBSCRIPTION, "variables": variables },
        });
        ws.send(Message::text(subscribe.to_string())).await?;
        Ok::<_, BoxError>(ws)
    };
    let mut ws = match opened.await {
        Ok(ws) => {
            let _ = ready.send(Ok(())).await;
            ws
        }
        Err(e) => {
            let _ = ready.send(Err(e.to_string())).await;
            return;
        }
    };
    drop(ready);
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(text) = msg else { continue };
        let at = Instant::now();
        let Some(seen) = &seen else { continue };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if v["type"] != "next" {
            eprintln!("subscriber: {text}");
            continue;
        }
        let event = &v["payload"]["data"]["relationEvents"];
        let key = (
            event["relationId"].as_str().unwrap_or_default().to_owned(),
            event["kind"].as_str().unwrap_or_default().to_owned(),
        );
        if seen.send((key, at)).is_err() {
            break;
        }
    }
}

/// Opens `n` subscribers on `url`; fails if any does not connect.
async fn open(
    url: &str,
    n: usize,
    variables: &Value,
    seen: Option<&mpsc::UnboundedSender<Seen>>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, BoxError> {
    let gate = std::sync::Arc::new(Semaphore::new(CONNECTING));
    let (ready_tx, mut ready_rx) = mpsc::channel(n.max(1));
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let permit = gate.clone().acquire_owned().await?;
        let ready = ready_tx.clone();
        let (url, variables, seen) = (url.to_owned(), variables.clone(), seen.cloned());
        let (tx, mut rx) = mpsc::channel(1);
        tasks.push(tokio::spawn(subscriber(url, variables, seen, tx)));
        tokio::spawn(async move {
            let r = rx
                .recv()
                .await
                .unwrap_or_else(|| Err("subscriber ended".into()));
            drop(permit);
            let _ = ready.send(r).await;
        });
    }
    drop(ready_tx);
    let mut failed = Vec::new();
    for _ in 0..n {
        match ready_rx.recv().await {
            Some(Ok(())) => {}
            Some(Err(e)) => failed.push(e),
            None => failed.push("lost".into()),
        }
    }
    if !failed.is_empty() {
        for t in &tasks {
            t.abort();
        }
        return Err(format!("{} of {n} subscribers failed: {}", failed.len(), failed[0]).into());
    }
    Ok(tasks)
}

/// POSTs a GraphQL request; the `data`, or an error with the body.
async fn post(
    http: &reqwest::Client,
    url: &str,
    query: &str,
    variables: Value,
) -> Result<Value, BoxError> {
    let body: Value = http
        .post(url)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?
        .json()
        .await?;
    if body.get("errors").is_some() {
        return Err(format!("{url}: {body}").into());
    }
    Ok(body["data"].clone())
}

/// Waits until `n` subscribers saw `key`; their arrival times. Events for
/// other keys (a straggler of an earlier write) are kept for their own wait.
async fn deliveries(
    rx: &mut mpsc::UnboundedReceiver<Seen>,
    pending: &mut HashMap<(String, String), Vec<Instant>>,
    key: &(String, String),
    n: usize,
) -> Vec<Instant> {
    let deadline = tokio::time::Instant::now() + DELIVERY_TIMEOUT;
    while pending.get(key).map_or(0, Vec::len) < n {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some((k, at))) => pending.entry(k).or_default().push(at),
            Ok(None) | Err(_) => break,
        }
    }
    pending.remove(key).unwrap_or_default()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One measurement: `n` subscribers on `read_url`, `writes` writes on the
/// write URL. Prints a `SUB` line.
async fn measure(
    cfg: &Config,
    http: &reqwest::Client,
    name: &str,
    read_url: &str,
    n: usize,
) -> Result<(), BoxError> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let variables = json!({ "e": cfg.from });
    let tasks = open(read_url, n, &variables, Some(&tx)).await?;
    drop(tx);
    let relate = "mutation($i: RelateInput!) { relate(input: $i) { relation { id } } }";
    let unrelate = "mutation($i: UnrelateInput!) { unrelate(input: $i) { removedIds } }";
    let relate_vars = json!({ "i": { "typeId": cfg.type_id, "fromId": cfg.from, "toId": cfg.to, "label": "bench" } });
    let mut pending = HashMap::new();

    // Warm-up: until every subscriber is live (a subscription's first event
    // is the proof it is registered with the feed).
    let mut live = false;
    for _ in 0..50 {
        let data = post(http, &cfg.write_url, relate, relate_vars.clone()).await?;
        let id = data["relate"]["relation"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        post(http, &cfg.write_url, unrelate, json!({ "i": { "id": id } })).await?;
        let got = deliveries(
            &mut rx,
            &mut pending,
            &(id.clone(), "RELATION_DELETED".into()),
            n,
        )
        .await;
        pending.remove(&(id, "RELATION_CREATED".into()));
        if got.len() == n {
            live = true;
            break;
        }
    }
    if !live {
        return Err(format!("{name}: {n} subscribers never all received an event").into());
    }
    pending.clear();

    let mut latencies = Vec::with_capacity(cfg.writes * 2 * n);
    let mut write_times = Vec::with_capacity(cfg.writes * 2);
    let mut missing = 0usize;
    for _ in 0..cfg.writes {
        let t0 = Instant::now();
        let data = post(http, &cfg.write_url, relate, relate_vars.clone()).await?;
        write_times.push(ms(t0.elapsed()));
        let id = data["relate"]["relation"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let got = deliveries(
            &mut rx,
            &mut pending,
            &(id.clone(), "RELATION_CREATED".into()),
            n,
        )
        .await;
        missing += n - got.len();
        latencies.extend(got.iter().map(|at| ms(at.duration_since(t0))));

        let t1 = Instant::now();
        post(http, &cfg.write_url, unrelate, json!({ "i": { "id": id } })).await?;
        write_times.push(ms(t1.elapsed()));
        let got = deliveries(&mut rx, &mut pending, &(id, "RELATION_DELETED".into()), n).await;
        missing += n - got.len();
        latencies.extend(got.iter().map(|at| ms(at.duration_since(t1))));
    }
    for t in tasks {
        t.abort();
    }
    latencies.sort_by(f64::total_cmp);
    write_times.sort_by(f64::total_cmp);
    println!(
        "SUB\t{name}\t{n}\t{}\t{:.2}\t{:.2}\t{:.2}\t{:.2}\t{missing}",
        cfg.writes * 2,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN),
        percentile(&write_times, 0.50),
    );
    Ok(())
}

/// `VmRSS` of `pid`, in MiB.
fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Opens `cfg.idle` subscriptions (one per connection) on the process
/// `pid` serves at `url` and prints its RSS before and with them.
async fn idle(cfg: &Config, url: &str, pid: u32) -> Result<(), BoxError> {
    let before = rss_mib(pid);
    let t0 = Instant::now();
    let tasks = open(url, cfg.idle, &json!({ "e": cfg.from }), None).await?;
    let opened = t0.elapsed();
    // Let the server settle (every subscription registered, buffers sized).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let with = rss_mib(pid);
    for t in tasks {
        t.abort();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_mib(pid);
    println!(
        "IDLE\t{}\t{before:.1}\t{with:.1}\t{after:.1}\t{:.1}\t{:.2}",
        cfg.idle,
        (with - before) * 1024.0 / cfg.idle as f64,
        opened.as_secs_f64(),
    );
    Ok(())
}

/// One write's event (relation id, kind) and how many subscribers saw it.
type Tally = HashMap<(String, String), usize>;

/// The subscriber side of `benches/soak.sh` (see the module's comment).
async fn soak() -> Result<(), BoxError> {
    let url = env("SUB_SOAK_URL")?;
    let n: usize = env_or("SUB_SOAK_SUBSCRIBERS", "200").parse()?;
    let (type_id, from, to) = (env("M1_TYPE")?, env("M1_FROM")?, env("M1_TO")?);
    let http = reqwest::Client::new();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let tasks = open(&url, n, &json!({ "e": from }), Some(&tx)).await?;
    drop(tx);

    // Live: every subscriber saw the delete of a relation written here.
    let relate = "mutation($i: RelateInput!) { relate(input: $i) { relation { id } } }";
    let unrelate = "mutation($i: UnrelateInput!) { unrelate(input: $i) { removedIds } }";
    let mut pending = HashMap::new();
    let mut live = false;
    for _ in 0..50 {
        let vars = json!({ "i": { "typeId": type_id, "fromId": from, "toId": to, "label": "soak probe" } });
        let data = post(&http, &url, relate, vars).await?;
        let id = data["relate"]["relation"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        post(&http, &url, unrelate, json!({ "i": { "id": id } })).await?;
        let key = (id, "RELATION_DELETED".to_owned());
        if deliveries(&mut rx, &mut pending, &key, n).await.len() == n {
            live = true;
            break;
        }
    }
    if !live {
        return Err(format!("soak: {n} subscribers never all received an event").into());
    }
    // The probe's own events (and stragglers) are not counted.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while rx.try_recv().is_ok() {}
    println!("READY\t{n}");

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let t0 = Instant::now();
    // Events not yet seen by every subscriber; those that were are only counted.
    let mut partial: Tally = HashMap::new();
    let (mut delivered, mut complete) = (0u64, 0u64);
    let open_now =
        |tasks: &[tokio::task::JoinHandle<()>]| tasks.iter().filter(|t| !t.is_finished()).count();
    loop {
        tokio::select! {
            got = rx.recv() => {
                let Some((key, _)) = got else { break };
                delivered += 1;
                let seen = partial.entry(key.clone()).or_default();
                *seen += 1;
                if *seen >= n {
                    partial.remove(&key);
                    complete += 1;
                }
            }
            _ = tick.tick() => {
                println!(
                    "SOAKSUB\t{:.1}\t{delivered}\t{}\t{}",
                    t0.elapsed().as_secs_f64(),
                    complete + partial.len() as u64,
                    open_now(&tasks),
                );
            }
            _ = term.recv() => break,
        }
    }
    let missing: usize = partial.values().map(|seen| n - seen.min(&n)).sum();
    println!(
        "SOAKEND\t{delivered}\t{}\t{complete}\t{}\t{missing}\t{}",
        complete + partial.len() as u64,
        partial.len(),
        open_now(&tasks),
    );
    for t in tasks {
        t.abort();
    }
    Ok(())
}

async fn run() -> Result<(), BoxError> {
    if std::env::var("SUB_SOAK").is_ok_and(|v| v == "1") {
        return soak().await;
    }
    let cfg = Config::from_env()?;
    let http = reqwest::Client::new();
    for (name, url, _) in &cfg.reads {
        for &n in &cfg.counts {
            eprintln!("subscriptions: {name}, {n} subscribers");
            measure(&cfg, &http, name, url, n).await?;
        }
    }
    if cfg.idle > 0 {
        let (url, pid) = cfg.idle_at.clone().ok_or("SUB_IDLE_AT: no process")?;
        eprintln!("subscriptions: {} idle", cfg.idle);
        idle(&cfg, &url, pid).await?;
    }
    Ok(())
}

fn main() {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("subscriptions: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(run()) {
        eprintln!("subscriptions: {e}");
        std::process::exit(1);
    }
}
