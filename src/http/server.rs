//! The server loop: accepting TCP connections, serving HTTP/1 on each
//! (WebSocket upgrades included), with the timeouts and the bound that keep
//! slow or idle clients from holding the process, and the drain at shutdown.
//!
//! A connection is always in one of three states, and each but the busy one
//! has a deadline after which relgate closes it:
//!
//! - *reading headers*, from its accept, or from the first byte of a request
//!   after a keep-alive pause, until the headers are complete:
//!   `--header-read-timeout`;
//! - *idle* (keep-alive), from the end of its last response until the first
//!   byte of the next request: `--idle-timeout`;
//! - *busy*, while a request is being answered. Its body must arrive within
//!   `--body-read-timeout` of its headers ([`body_deadline`], a 408 with
//!   code `BODY_READ_TIMEOUT` beyond), and the request as a whole is bounded
//!   by `--request-timeout`. It ends when the handler has its answer; the
//!   write of the answer counts as idle, so a client that does not read its
//!   answer holds the connection no longer than `--idle-timeout`.
//!
//! hyper's own `header_read_timeout` is not used: it starts its clock as
//! soon as a keep-alive connection waits for its next request, so idleness
//! and slowness could not be told apart (and a keep-alive connection would
//! be cut after the header timeout).
//!
//! At most `--max-connections` connections are open at once (a WebSocket
//! keeps its slot until it closes). At the bound relgate stops accepting:
//! new connections wait in the kernel's listen backlog and are served in
//! order as slots free up, rather than being accepted only to be closed.
//!
//! At shutdown ([`serve`]'s `shutdown` future), the listener is closed at
//! once (new connections are refused), idle connections are closed,
//! requests already received are answered (with `Connection: close`), and
//! subscriptions are closed with [`GOING_AWAY`]. Whatever is still open
//! after `--shutdown-timeout` is dropped, so no client can stretch the
//! drain.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

/// The WebSocket close code subscriptions get at shutdown: 1001, "going
/// away" (RFC 6455: "a server going down"). graphql-ws clients reconnect on
/// it, to another process or to this one's successor.
pub const GOING_AWAY: (u16, &str) = (1001, "the server is shutting down");

/// The connection settings (`--header-read-timeout`, `--idle-timeout`,
/// `--max-connections`, `--shutdown-timeout`); a zero timeout is none.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Longest a client may take to send a request's headers, from the
    /// connection's accept or from the first byte of the request.
    pub header_read_timeout: Duration,
    /// Longest a keep-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: u32,
    /// Longest the drain at shutdown may take.
    pub shutdown_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// Tells long-lived tasks (subscriptions) that the server shuts down.
#[derive(Clone)]
pub struct Shutdown(Arc<watch::Sender<bool>>);

impl Default for Shutdown {
    fn default() -> Self {
        Self(Arc::new(watch::channel(false).0))
    }
}

impl Shutdown {
    /// Starts the shutdown: every [`Shutdown::started`] resolves.
    pub fn start(&self) {
        self.0.send_replace(true);
    }

    /// Resolves once the shutdown has started (at once if it has).
    pub async fn started(&self) {
        let mut rx = self.0.subscribe();
        // The sender lives as long as `self`: the wait ends only with a
        // shutdown.
        let _ = rx.wait_for(|started| *started).await;
    }
}

/// Where a connection is, for its deadlines.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request's headers, since the instant.
    Headers(Instant),
    /// Between requests, since the instant.
    Idle(Instant),
    /// This many requests are being answered.
    Busy(usize),
}

/// A connection's phase, shared by its socket (which sees bytes arrive),
/// its service (which sees requests start and end) and its task (which
/// enforces the deadlines).
///
/// The task's timer is lazy: it is armed for the deadline of the phase it
/// last looked at, and a change of phase wakes the task only when it brings
/// the deadline *earlier* than that. A later deadline (the usual case: each
/// request on a keep-alive connection moves its deadlines on) just lets the
/// armed timer fire early, and the task then looks again and re-arms. So a
/// busy connection touches its timer about once per timeout period, not at
/// every request: registering a timer earlier than the runtime's next
/// wake-up makes tokio wake the thread parked in the I/O driver, and at
/// every phase change that was measured at a few per cent of the requests a
/// second one connection could be served.
struct Activity {
    state: Mutex<(Phase, Option<Instant>)>,
    limits: ConnectionLimits,
    changed: tokio::sync::Notify,
}

impl Activity {
    fn new(limits: ConnectionLimits) -> Self {
        Self {
            state: Mutex::new((Phase::Headers(Instant::now()), None)),
            limits,
            changed: tokio::sync::Notify::new(),
        }
    }

    fn update(&self, f: impl FnOnce(Phase) -> Phase) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0 = f(state.0);
        let earlier = match (deadline(state.0, &self.limits), state.1) {
            (Some((at, _)), Some(armed)) => at < armed,
            (Some(_), None) => true,
            (None, _) => false,
        };
        drop(state);
        if earlier {
            self.changed.notify_one();
        }
    }

    fn bytes_arrived(&self) {
        let idle = matches!(
            self.state.lock().unwrap_or_else(PoisonError::into_inner).0,
            Phase::Idle(_)
        );
        if idle {
            self.update(|p| match p {
                Phase::Idle(_) => Phase::Headers(Instant::now()),
                other => other,
            });
        }
    }

    fn request_started(&self) {
        self.update(|p| match p {
            Phase::Busy(n) => Phase::Busy(n + 1),
            _ => Phase::Busy(1),
        });
    }

    fn request_ended(&self) {
        self.update(|p| match p {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle(Instant::now()),
        });
    }

    /// The deadline of the phase now, which the task's timer is then armed
    /// for.
    fn arm(&self) -> Option<Instant> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.1 = deadline(state.0, &self.limits).map(|(at, _)| at);
        state.1
    }

    /// When the connection is to be closed and why, if nothing changes.
    fn deadline(&self) -> Option<(Instant, &'static str)> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        deadline(state.0, &self.limits)
    }
}

/// When a connection in `phase` is to be closed, if nothing changes; `None`
/// while it is busy (or its phase has no limit).
fn deadline(phase: Phase, limits: &ConnectionLimits) -> Option<(Instant, &'static str)> {
    let limit = |d: Duration| (!d.is_zero()).then_some(d);
    match phase {
        Phase::Headers(since) => {
            limit(limits.header_read_timeout).map(|d| (since + d, "header read timeout"))
        }
        Phase::Idle(since) => limit(limits.idle_timeout).map(|d| (since + d, "idle timeout")),
        Phase::Busy(_) => None,
    }
}

/// Ends a request's busy phase when dropped (also when its future is).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_ended();
    }
}

/// A client's socket, telling its [`Activity`] when bytes arrive, and
/// holding the connection's slot (`--max-connections`) for as long as it
/// lives: through a WebSocket upgrade too.
struct Socket {
    tcp: TcpStream,
    activity: Arc<Activity>,
    _slot: OwnedSemaphorePermit,
}

impl AsyncRead for Socket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.tcp).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then drains (see
/// the module's documentation); `subscriptions` is told when the drain
/// starts.
pub async fn serve(
    listener: TcpListener,
    app: super::App,
    limits: ConnectionLimits,
    subscriptions: Shutdown,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    // `true` once the drain starts; connections still open when it ends
    // are dropped through `dropped`.
    let (draining, _) = watch::channel(false);
    let (dropped, _) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                // Never closed.
                Err(_) => break,
            },
        };
        let tcp = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before
                    // its accept: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // No Nagle delay: a subscription's events are small writes that
        // must not wait for the previous one's ACK (the client's delayed
        // ACK held them up to 40 ms).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
        tokio::spawn(connection(
            tcp,
            slot,
            app.clone(),
            limits,
            draining.subscribe(),
            dropped.subscribe(),
        ));
    }
    drop(listener);
    let open = limits.max_connections as usize - slots.available_permits();
    tracing::info!(
        connections = open,
        timeout = ?limits.shutdown_timeout,
        "draining: no new connections; answering the requests received"
    );
    draining.send_replace(true);
    subscriptions.start();
    let all_closed = slots.acquire_many(limits.max_connections);
    match tokio::time::timeout(limits.shutdown_timeout, all_closed).await {
        Ok(_) => tracing::info!("drained"),
        Err(_) => {
            let left = limits.max_connections as usize - slots.available_permits();
            tracing::warn!(
                connections = left,
                "the drain took longer than --shutdown-timeout; dropping what is left"
            );
            dropped.send_replace(true);
        }
    }
}

/// Serves one connection until it closes, times out, or is dropped.
async fn connection(
    tcp: TcpStream,
    slot: OwnedSemaphorePermit,
    app: super::App,
    limits: ConnectionLimits,
    mut draining: watch::Receiver<bool>,
    mut dropped: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new(limits));
    let socket = Socket {
        tcp,
        activity: activity.clone(),
        _slot: slot,
    };
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        requests.request_started();
        let in_flight = InFlight(requests.clone());
        let app = app.clone();
        async move {
            let mut res = tower::ServiceExt::oneshot(app, req.map(Body::new)).await;
            drop(in_flight);
            // A body refused for its size is not read to its end, so the
            // connection cannot carry another request: say so, or a client
            // that reuses it sees it closed under its next request.
            if let Ok(res) = &mut res
                && res.status() == StatusCode::PAYLOAD_TOO_LARGE
            {
                res.headers_mut().insert(
                    header::CONNECTION,
                    axum::http::HeaderValue::from_static("close"),
                );
            }
            res
        }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    // relgate's own deadlines apply instead (see the module's documentation).
    http.header_read_timeout(None);
    let conn = http
        .serve_connection(TokioIo::new(socket), service)
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let mut drain_started = false;
    loop {
        let changed = activity.changed.notified();
        let armed = activity.arm();
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(error = %e, "connection ended");
                }
                return;
            }
            () = changed => {}
            () = sleep_until(armed) => {
                // The phase may have changed since (see `Activity`): look
                // again; the loop re-arms for a later deadline.
                if let Some((at, why)) = activity.deadline()
                    && at <= Instant::now()
                {
                    tracing::debug!("closing a connection: {why}");
                    return;
                }
            }
            _ = draining.wait_for(|d| *d), if !drain_started => {
                drain_started = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = dropped.wait_for(|d| *d) => return,
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A request body that fails once its deadline has passed, and says so in
/// `expired`.
struct Deadline {
    body: Body,
    sleep: Pin<Box<tokio::time::Sleep>>,
    expired: Arc<AtomicBool>,
}

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(axum::Error::new(
                "the request body did not arrive within --body-read-timeout",
            ))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The middleware of `--body-read-timeout` (`timeout`; zero is none): a
/// request whose body has not arrived in full that long after its headers
/// is answered 408 (code `BODY_READ_TIMEOUT`, from the envelope) and its
/// connection closed, whatever its handler made of the failed read.
pub async fn body_deadline(State(timeout): State<Duration>, req: Request, next: Next) -> Response {
    if timeout.is_zero() || http_body::Body::is_end_stream(req.body()) {
        return next.run(req).await;
    }
    let expired = Arc::new(AtomicBool::new(false));
    let flag = expired.clone();
    let req = req.map(move |body| {
        Body::new(Deadline {
            body,
            sleep: Box::pin(tokio::time::sleep(timeout)),
            expired: flag,
        })
    });
    let res = next.run(req).await;
    if expired.load(Ordering::Relaxed) {
        return (StatusCode::REQUEST_TIMEOUT, [(header::CONNECTION, "close")]).into_response();
    }
    res
}
