//! What relgate does when the database goes away.
//!
//! - **Telling an outage from a failed statement.** [`outage`] reads a
//!   [`DbErr`]: a connection that broke (an I/O error, PostgreSQL ending the
//!   session: SQLSTATE class 08, 57P01-57P03), a pool that found no
//!   connection within `--db-timeout` (the server refuses or does not
//!   answer), a database that refuses connections (53300 too many
//!   connections, 55000 a database not accepting them), an SQLite file
//!   locked by another process past the busy timeout (SQLITE_BUSY), a
//!   read-only file or a standby (SQLITE_READONLY, 25006). Each becomes
//!   `DATABASE_UNAVAILABLE` or `DATABASE_READ_ONLY`, HTTP 503 with
//!   `Retry-After`, never `INTERNAL_SERVER_ERROR`.
//! - **Failing fast.** Once a connection breaks, a probe connects to
//!   PostgreSQL outside the pool (one attempt at a time, each bounded by a
//!   second). While the probe cannot connect the database is *down*: every
//!   statement fails at once with `DATABASE_UNAVAILABLE` instead of waiting
//!   out the pool's acquire timeout, and `/readyz` says not ready. The probe
//!   tries again every quarter second and lifts the state as soon as it
//!   connects.
//! - **Dead pooled connections.** A restarted or failed-over database leaves
//!   the pool full of connections that look idle and are dead. The time of
//!   the last broken connection is kept: a pooled connection opened before
//!   it is tested (a round trip) before it is handed out, and dropped when
//!   the test fails; the connections readers keep are let go. A read that
//!   failed on a broken connection is run again, once, on a tested or new
//!   one ([`super::Reader`]), and so is the `BEGIN` of a write; a write
//!   whose connection broke after it began is not retried (its outcome is
//!   unknown to relgate only until the database answers again: it
//!   committed or it did not, and the client got an error either way, so
//!   nothing acknowledged is lost).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnAcquireErr, DbErr};

/// How the database failed a statement, when it is the database's state
/// rather than the statement that is at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outage {
    /// The connection broke under the statement (the statement may be run
    /// again on another).
    Lost,
    /// No connection could be had: the database refuses, does not answer,
    /// or is down (see the module docs).
    Unreachable,
    /// An SQLite file locked by another process for longer than the busy
    /// timeout.
    Locked,
    /// The database refuses writes.
    ReadOnly,
}

/// The outage `err` shows, if any (see the module docs).
pub(crate) fn outage(err: &DbErr) -> Option<Outage> {
    let runtime = match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) => {
            return Some(Outage::Unreachable);
        }
        DbErr::Exec(e) | DbErr::Query(e) | DbErr::Conn(e) => e,
        _ => return None,
    };
    let sea_orm::RuntimeErr::SqlxError(sqlx_err) = runtime else {
        return None;
    };
    use sea_orm::sqlx::Error;
    match &**sqlx_err {
        Error::Io(_) | Error::Tls(_) | Error::Protocol(_) | Error::WorkerCrashed => {
            Some(Outage::Lost)
        }
        Error::PoolTimedOut | Error::PoolClosed => Some(Outage::Unreachable),
        Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            let code = code.as_ref();
            match code {
                // PostgreSQL: admin_shutdown, crash_shutdown (the session
                // ended), cannot_connect_now, too_many_connections, a
                // database that does not accept connections.
                "57P01" | "57P02" => Some(Outage::Lost),
                "57P03" | "53300" | "55000" => Some(Outage::Unreachable),
                "25006" => Some(Outage::ReadOnly),
                _ if code.starts_with("08") => Some(Outage::Lost),
                // SQLite's primary codes are the low byte of the extended
                // ones: 5 SQLITE_BUSY (with its extended codes, but for
                // 517 BUSY_SNAPSHOT, a lost race the writer retries),
                // 8 SQLITE_READONLY.
                _ => match code.parse::<u32>().ok() {
                    Some(517) => None,
                    Some(c) if c & 0xff == 5 => Some(Outage::Locked),
                    Some(c) if c & 0xff == 8 => Some(Outage::ReadOnly),
                    _ => None,
                },
            }
        }
        _ => None,
    }
}

/// Logs a statement the database failed because of an outage: at most one
/// line a second (a storm of requests during an outage would otherwise
/// write one each), naming how many were left out since the last.
pub(crate) fn warn_outage(err: &DbErr, outage: Outage) {
    static ORIGIN: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);
    static LINES: Throttle = Throttle::new(1_000);
    let now = u64::try_from(ORIGIN.elapsed().as_millis()).unwrap_or(u64::MAX);
    if let Some(left_out) = LINES.admit(now) {
        tracing::warn!(
            error = %err,
            ?outage,
            left_out,
            "the database failed a statement ({left_out} more since the last line were not logged)"
        );
    }
}

/// One admission per `every` milliseconds, counting the others.
struct Throttle {
    every: u64,
    /// Milliseconds (on the caller's clock) before which none is admitted.
    next: AtomicU64,
    left_out: AtomicU64,
}

impl Throttle {
    const fn new(every: u64) -> Self {
        Self {
            every,
            next: AtomicU64::new(0),
            left_out: AtomicU64::new(0),
        }
    }

    /// At `now`: `Some(how many were refused since the last admission)`, or
    /// `None` (refused, and counted).
    fn admit(&self, now: u64) -> Option<u64> {
        let next = self.next.load(Ordering::Relaxed);
        let won = now >= next
            && self
                .next
                .compare_exchange(
                    next,
                    now.saturating_add(self.every),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok();
        if won {
            Some(self.left_out.swap(0, Ordering::Relaxed))
        } else {
            self.left_out.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

/// Whether the database is down, and since when pooled connections are
/// suspect (see the module docs). Shared by a store's clones.
pub(crate) struct Health {
    /// The origin of the instants kept as microseconds.
    origin: Instant,
    /// Set while the probe cannot connect.
    down: AtomicBool,
    /// Microseconds after `origin` of the last broken connection (0: none):
    /// pooled connections opened before it are tested before use.
    lost_at: AtomicU64,
    /// Set while a probe runs.
    probing: AtomicBool,
    /// How many times the database went down since start.
    outages: AtomicU64,
    /// Statements run again after a broken connection.
    retries: AtomicU64,
}

/// How often the probe tries to connect while the database is down.
const PROBE_EVERY: Duration = Duration::from_millis(250);
/// How long one probe waits for a connection.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

impl Health {
    pub(crate) fn new() -> Self {
        Self {
            origin: Instant::now(),
            down: AtomicBool::new(false),
            lost_at: AtomicU64::new(0),
            probing: AtomicBool::new(false),
            outages: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        }
    }

    fn micros(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_micros())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// Whether the probe last found the database down.
    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// How many times the database went down since start.
    pub(crate) fn outages(&self) -> u64 {
        self.outages.load(Ordering::Relaxed)
    }

    /// Counts a statement run again after a broken connection.
    pub(crate) fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Statements run again after a broken connection, since start.
    pub(crate) fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Records that a connection broke now: every pooled connection opened
    /// before now is suspect.
    pub(crate) fn connection_lost(&self) {
        self.lost_at
            .store(self.micros(Instant::now()), Ordering::Release);
    }

    /// Whether a pooled connection of age `age` was opened before the last
    /// broken connection (and must be tested before use).
    pub(crate) fn predates_loss(&self, age: Duration) -> bool {
        let lost_at = self.lost_at.load(Ordering::Acquire);
        if lost_at == 0 {
            return false;
        }
        let opened = Instant::now().checked_sub(age).unwrap_or(self.origin);
        self.micros(opened) <= lost_at
    }

    /// Starts a probe unless one runs: `connect` opens a connection outside
    /// the pool. The database is down while it fails; the probe ends at its
    /// first success.
    pub(crate) fn probe<F, Fut>(self: &Arc<Self>, connect: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = bool> + Send,
    {
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let health = self.clone();
        tokio::spawn(async move {
            loop {
                let up = tokio::time::timeout(PROBE_TIMEOUT, connect())
                    .await
                    .unwrap_or(false);
                if up {
                    if health.down.swap(false, Ordering::AcqRel) {
                        // What the pool holds predates the outage.
                        health.connection_lost();
                        tracing::info!("the database is reachable again");
                    }
                    break;
                }
                if !health.down.swap(true, Ordering::AcqRel) {
                    health.outages.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        "the database is not reachable: requests are refused with \
                         DATABASE_UNAVAILABLE until it is"
                    );
                }
                tokio::time::sleep(PROBE_EVERY).await;
            }
            health.probing.store(false, Ordering::Release);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::Throttle;

    #[test]
    fn a_throttle_admits_one_a_period_and_counts_the_rest() {
        let lines = Throttle::new(1_000);
        assert_eq!(lines.admit(0), Some(0));
        for now in [1, 500, 999] {
            assert_eq!(lines.admit(now), None);
        }
        assert_eq!(lines.admit(1_000), Some(3), "three left out");
        assert_eq!(lines.admit(1_001), None);
        assert_eq!(lines.admit(5_000), Some(1));
        assert_eq!(lines.admit(5_000), None);
    }
}
