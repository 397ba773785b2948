//! [`Reader`]: the reads of one GraphQL request, on one connection.
//!
//! A query runs one statement per level (see `graphql::loaders`), and each
//! statement through the pool takes a connection and gives it back. sqlx
//! tests every connection given back with a round trip (`return_to_pool` in
//! sqlx-core 0.9 pings it, on a task of its own, and this is not
//! configurable), so a four-statement query cost eight round trips, four
//! pool checkouts and four spawned tasks. A pinned reader takes one pooled
//! connection at its first statement and runs every later statement of the
//! request on it: one checkout, one test, one round trip per statement.
//!
//! Only PostgreSQL readers pin; SQLite's connections are in-process, and a
//! reader there is the pool. A reader pins only when told to
//! ([`Reader::pin`]): for query operations, whose resolvers only read. A
//! request that holds a connection must never wait for a second one (with
//! every pooled connection held by such requests, none could go on), so the
//! one query field that writes, `validateRelation`, gives the connection back
//! for as long as it runs ([`Reader::unpinned`]), and mutations do not pin.
//!
//! The ping on return is still a round trip per request (a quarter of Q1's
//! round trips). So a pinned reader's connection, when its request is done
//! and no statement on it was cut short, goes to [`ReadConnections`]
//! instead: the next pinned reader takes it from there, without a checkout
//! or a ping. At most the pool's size less two connections are kept there,
//! so writes, and readers that find none kept, always have connections going
//! through the pool. A kept connection idle for 30 s is given back (and so
//! tested by the pool) rather than used; a statement that fails drops its
//! connection.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{self, PgPool, Postgres};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement, Values,
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Mutex;

use super::Store;

/// The reads of one request: a pool, or one connection taken from it (see
/// the module docs). Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Reader(Arc<Inner>);

struct Inner {
    store: Store,
    /// The PostgreSQL pool (none on SQLite).
    pg: Option<PgPool>,
    /// Whether statements run on `conn` rather than through the pool.
    pinned: AtomicBool,
    /// The pinned connection, taken at the first statement after `pin`. The
    /// lock also orders the request's statements on it.
    conn: Mutex<Option<Held>>,
}

/// A pinned reader's connection.
struct Held {
    conn: PoolConnection<Postgres>,
    /// It counts against [`ReadConnections`]'s limit.
    kept: bool,
    /// A statement on it was cut short (its future dropped): the connection
    /// may be in any state, and goes back through the pool.
    dirty: bool,
}

/// Connections that pinned readers keep between requests (see the module
/// docs).
pub(crate) struct ReadConnections {
    idle: std::sync::Mutex<Vec<(PoolConnection<Postgres>, Instant)>>,
    /// Connections counted against `limit`: idle here, or held by a reader
    /// that took them from here.
    kept: AtomicUsize,
    limit: usize,
    /// Signalled when a connection is kept: a reader waiting on the pool
    /// takes it instead.
    returned: tokio::sync::Notify,
}

impl ReadConnections {
    /// Longest a kept connection may sit idle and still be used.
    const MAX_IDLE: Duration = Duration::from_secs(30);

    /// Keeps at most `pool_size - 2` connections (none for a pool of 2 or
    /// fewer).
    pub(crate) fn new(pool_size: u32) -> Self {
        Self {
            idle: std::sync::Mutex::default(),
            kept: AtomicUsize::new(0),
            limit: (pool_size as usize).saturating_sub(2),
            returned: tokio::sync::Notify::new(),
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<(PoolConnection<Postgres>, Instant)>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A kept connection used recently, if any; stale ones go back to the
    /// pool.
    fn take(&self) -> Option<PoolConnection<Postgres>> {
        let mut idle = self.idle();
        while let Some((conn, since)) = idle.pop() {
            if since.elapsed() < Self::MAX_IDLE {
                return Some(conn);
            }
            self.kept.fetch_sub(1, Ordering::AcqRel);
            drop(conn);
        }
        None
    }

    /// Takes a reader's connection back when its request is done: kept if it
    /// was or there is room, else given back to the pool (dropped).
    fn put(&self, held: Held) {
        if held.dirty {
            self.forget(&held);
            return;
        }
        let room = held.kept
            || self
                .kept
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < self.limit).then_some(n + 1)
                })
                .is_ok();
        if room {
            self.idle().push((held.conn, Instant::now()));
            self.returned.notify_one();
        }
    }

    /// A connection for a reader: a kept one (`true`), else one from the
    /// pool, whichever comes first: a reader waiting on the pool while
    /// other readers keep their connections here would wait for nothing.
    async fn acquire(&self, pool: &PgPool) -> Result<(PoolConnection<Postgres>, bool), DbErr> {
        loop {
            if let Some(conn) = self.take() {
                return Ok((conn, true));
            }
            tokio::select! {
                conn = pool.acquire() => {
                    let conn = conn.map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?;
                    return Ok((conn, false));
                }
                () = self.returned.notified() => {}
            }
        }
    }

    /// Stops counting a held connection that goes back to the pool.
    fn forget(&self, held: &Held) {
        if held.kept {
            self.kept.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Gives every idle connection back to the pool (before it closes).
    pub(crate) fn clear(&self) {
        let idle = std::mem::take(&mut *self.idle());
        self.kept.fetch_sub(idle.len(), Ordering::AcqRel);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(held) = self.conn.get_mut().take() {
            self.store.read_connections().put(held);
        }
    }
}

impl Reader {
    /// A reader over `store`'s pool; it does not pin until [`Reader::pin`].
    pub fn new(store: &Store) -> Self {
        let pg = (store.backend() == DatabaseBackend::Postgres)
            .then(|| store.db().get_postgres_connection_pool().clone());
        Self(Arc::new(Inner {
            store: store.clone(),
            pg,
            pinned: AtomicBool::new(false),
            conn: Mutex::new(None),
        }))
    }

    /// From now on, run statements on one connection of the pool (on
    /// PostgreSQL; elsewhere this changes nothing). Only for work that takes
    /// no other connection while it reads (see the module docs).
    pub fn pin(&self) {
        self.0.pinned.store(true, Ordering::Release);
    }

    /// Runs `work` (which may take connections of its own) with this
    /// reader's connection given back to the pool, and the reader's other
    /// statements waiting until `work` is done.
    pub async fn unpinned<F: Future>(&self, work: F) -> F::Output {
        let mut conn = self.0.conn.lock().await;
        if let Some(held) = conn.take() {
            self.0.store.read_connections().forget(&held);
        }
        work.await
    }

    fn pool(&self) -> Option<&PgPool> {
        self.0
            .pg
            .as_ref()
            .filter(|_| self.0.pinned.load(Ordering::Acquire))
    }

    async fn fetch_pinned(
        &self,
        pool: &PgPool,
        stmt: Statement,
    ) -> Result<Vec<QueryResult>, DbErr> {
        let mut slot = self.0.conn.lock().await;
        let held = match slot.as_mut() {
            Some(held) => held,
            None => {
                let (conn, kept) = self.0.store.read_connections().acquire(pool).await?;
                slot.insert(Held {
                    conn,
                    kept,
                    dirty: false,
                })
            }
        };
        let started = Instant::now();
        let values = stmt.values.unwrap_or(Values(Vec::new()));
        // Stays set if this future is dropped before the statement is done.
        held.dirty = true;
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values))
            .fetch_all(&mut *held.conn)
            .await;
        held.dirty = false;
        self.0
            .store
            .record(&stmt.sql, started.elapsed(), rows.is_err());
        match rows {
            Ok(rows) => Ok(rows.into_iter().map(QueryResult::from).collect()),
            Err(e) => {
                // A connection that failed mid-statement may be in any state:
                // the next statement takes a fresh one.
                if let Some(held) = slot.take() {
                    self.0.store.read_connections().forget(&held);
                }
                Err(DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))))
            }
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Reader {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.0.store.backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.0.store.db().execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.0.store.db().execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self.pool() {
            Some(pool) => Ok(self.fetch_pinned(pool, stmt).await?.into_iter().next()),
            None => self.0.store.db().query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self.pool() {
            Some(pool) => self.fetch_pinned(pool, stmt).await,
            None => self.0.store.db().query_all_raw(stmt).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreOptions;

    async fn backend_pid(reader: &Reader) -> i32 {
        let stmt =
            Statement::from_string(DatabaseBackend::Postgres, "SELECT pg_backend_pid() AS pid");
        let row = reader.query_one_raw(stmt).await.unwrap().unwrap();
        row.try_get::<i32>("", "pid").unwrap()
    }

    /// Pinned, a reader runs every statement on the connection it took, and
    /// gives it back while `unpinned` work runs: checked with every other
    /// connection of the pool held meanwhile (a reader that went to the pool
    /// would wait out the acquire timeout and fail).
    #[tokio::test]
    async fn a_pinned_reader_runs_on_one_connection() {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("skipped: TEST_DATABASE_URL is not set");
            return;
        };
        tokio::time::timeout(std::time::Duration::from_secs(60), pinned_on(url))
            .await
            .expect("the scenario finishes");
    }

    /// A reader's connection is kept for the next reader when its request
    /// is done, up to the limit; one whose statement was cut short is not.
    #[tokio::test]
    async fn done_readers_connections_are_kept_for_the_next() {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("skipped: TEST_DATABASE_URL is not set");
            return;
        };
        let store = Store::connect(&StoreOptions { url, pool_size: 4 })
            .await
            .unwrap();
        let kept = || store.read_connections().kept.load(Ordering::Acquire);
        let idle = || store.read_connections().idle().len();
        let pinned = || {
            let r = Reader::new(&store);
            r.pin();
            r
        };
        // Three readers at once: the limit (4 - 2) keeps two of them.
        let (a, b, c) = (pinned(), pinned(), pinned());
        let pids = [
            backend_pid(&a).await,
            backend_pid(&b).await,
            backend_pid(&c).await,
        ];
        drop((a, b, c));
        assert_eq!((kept(), idle()), (2, 2));
        // The next readers take the kept ones.
        let (d, e) = (pinned(), pinned());
        let (pd, pe) = (backend_pid(&d).await, backend_pid(&e).await);
        assert!(pids.contains(&pd) && pids.contains(&pe) && pd != pe);
        assert_eq!((kept(), idle()), (2, 0));
        // A statement cut short: its connection goes back to the pool.
        let sleep = Statement::from_string(DatabaseBackend::Postgres, "SELECT pg_sleep(1)");
        let cut = tokio::time::timeout(
            std::time::Duration::from_millis(100),
            d.query_all_raw(sleep),
        )
        .await;
        assert!(cut.is_err(), "the statement was cut short");
        drop(d);
        assert_eq!((kept(), idle()), (1, 0));
        // `unpinned` gives its connection back to the pool.
        e.unpinned(async {}).await;
        assert_eq!(kept(), 0);
        drop(e);
        assert_eq!((kept(), idle()), (0, 0));
        store.close().await.unwrap();
    }

    async fn pinned_on(url: String) {
        let store = Store::connect(&StoreOptions { url, pool_size: 3 })
            .await
            .unwrap();
        let pool = store.db().get_postgres_connection_pool().clone();
        let reader = Reader::new(&store);
        reader.pin();
        let pinned = backend_pid(&reader).await;
        let others = [pool.acquire().await.unwrap(), pool.acquire().await.unwrap()];
        assert_eq!(pool.num_idle(), 0);
        assert_eq!(backend_pid(&reader).await, pinned);
        let clone = reader.clone();
        assert_eq!(backend_pid(&clone).await, pinned);
        // `unpinned` gives the connection back: the pool's last one.
        let last = reader.unpinned(pool.acquire()).await.unwrap();
        drop((others, last));
        // The reader takes a connection again when it next reads.
        backend_pid(&reader).await;
        assert_eq!(store.statements_executed(), 4);
        // Closing the pool waits for the reader's connection.
        drop((reader, clone));
        store.close().await.unwrap();
    }
}
