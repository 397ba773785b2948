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
//! round trips). So pinned readers have connections of their own
//! ([`ReadConnections`]): at most the pool's size less two, taken in turn
//! (first come, first served), each kept for the next reader when its
//! request is done instead of going back to the pool: no checkout, no ping.
//! Writes always find the other two in the pool. Kept connections idle for
//! 30 s go back to the pool (which tests them) at the next read rather than
//! being used, and so does one whose statement failed or was cut short.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{self, PgPool, Postgres};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement, Values,
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};

use super::Store;
use super::health::Outage;

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
    /// Its turn among the readers that keep connections (none when the pool
    /// is too small to keep any).
    turn: Option<OwnedSemaphorePermit>,
    /// A statement on it was cut short (its future dropped): the connection
    /// may be in any state, and goes back through the pool.
    dirty: bool,
}

/// The connections pinned readers keep between requests (see the module
/// docs): at most `limit` of them, taken in turn, first come first served.
pub(crate) struct ReadConnections {
    /// Oldest first.
    idle: std::sync::Mutex<Vec<(PoolConnection<Postgres>, Instant)>>,
    /// Set when the pool closes: connections come back to it, not here.
    closed: AtomicBool,
    /// One permit per connection readers may hold at once; `None` when the
    /// pool is too small to keep any.
    turns: Option<Arc<Semaphore>>,
    /// Readers waiting for a turn now.
    waiting: std::sync::atomic::AtomicUsize,
}

impl ReadConnections {
    /// Longest a kept connection may sit idle and still be used.
    const MAX_IDLE: Duration = Duration::from_secs(30);

    /// Readers hold at most `pool_size - 2` connections (and keep none with
    /// a pool of 2 or fewer): writes always find connections in the pool.
    pub(crate) fn new(pool_size: u32) -> Self {
        let limit = (pool_size as usize).saturating_sub(2);
        Self {
            idle: std::sync::Mutex::default(),
            closed: AtomicBool::new(false),
            turns: (limit > 0).then(|| Arc::new(Semaphore::new(limit))),
            waiting: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<(PoolConnection<Postgres>, Instant)>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A connection for a reader, once it is the reader's turn: a kept one
    /// used recently, else a new one from the pool (stale ones go back).
    async fn acquire(&self, pool: &PgPool) -> Result<Held, DbErr> {
        let conn_err = |e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)));
        let turn = match &self.turns {
            // The semaphore is never closed.
            Some(turns) => Some(match turns.clone().try_acquire_owned() {
                Ok(turn) => turn,
                Err(_) => {
                    self.waiting.fetch_add(1, Ordering::Relaxed);
                    let turn = turns.clone().acquire_owned().await;
                    self.waiting.fetch_sub(1, Ordering::Relaxed);
                    turn.map_err(|_| {
                        DbErr::Custom("the readers' connections are closed".to_owned())
                    })?
                }
            }),
            None => None,
        };
        let kept = turn.as_ref().and_then(|_| {
            let mut idle = self.idle();
            // Those idle too long go back to the pool (oldest first).
            let stale = idle
                .iter()
                .take_while(|(_, since)| since.elapsed() >= Self::MAX_IDLE)
                .count();
            drop(idle.drain(..stale));
            idle.pop().map(|(conn, _)| conn)
        });
        let conn = match kept {
            Some(conn) => conn,
            None => pool.acquire().await.map_err(conn_err)?,
        };
        Ok(Held {
            conn,
            turn,
            dirty: false,
        })
    }

    /// Takes a reader's connection back when its request is done: kept for
    /// the next reader unless a statement on it was cut short (then, as
    /// without a turn, it goes back to the pool).
    fn put(&self, held: Held) {
        let Held { conn, turn, dirty } = held;
        if turn.is_some() && !dirty && !self.closed.load(Ordering::Acquire) {
            self.idle().push((conn, Instant::now()));
        }
        // The turn passes on once the connection is back.
        drop(turn);
    }

    /// Readers waiting for a turn, and turns free (zeros when readers keep
    /// no connections).
    pub(crate) fn turns(&self) -> (usize, usize) {
        match &self.turns {
            Some(t) => (self.waiting.load(Ordering::Relaxed), t.available_permits()),
            None => (0, 0),
        }
    }

    /// Lets every idle connection go back to the pool (which tests it),
    /// after a connection broke: those kept may have broken with it.
    pub(crate) fn drop_idle(&self) {
        drop(std::mem::take(&mut *self.idle()));
    }

    /// Gives every idle connection back to the pool (before it closes).
    pub(crate) fn clear(&self) {
        self.closed.store(true, Ordering::Release);
        drop(std::mem::take(&mut *self.idle()));
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
        // Back to the pool, and the turn with it.
        drop(conn.take());
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
        stmt: &Statement,
    ) -> Result<Vec<QueryResult>, DbErr> {
        let mut slot = self.0.conn.lock().await;
        let held = match slot.as_mut() {
            Some(held) => held,
            None => slot.insert(self.0.store.read_connections().acquire(pool).await?),
        };
        let started = Instant::now();
        let values = stmt.values.clone().unwrap_or(Values(Vec::new()));
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
                drop(slot.take());
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
        Ok(self.query_all_raw(stmt).await?.into_iter().next())
    }

    /// On PostgreSQL, a statement that failed on a broken connection runs
    /// again, once, on a tested or new one (see `store::health`).
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let store = &self.0.store;
        store.gate()?;
        if self.0.pg.is_none() {
            return store.db().query_all_raw(stmt).await;
        }
        let first = self.fetch(&stmt).await;
        let rows = match first {
            Err(err) if store.observe(&err) == Some(Outage::Lost) => {
                tracing::debug!("a read failed on a broken connection; running it again");
                store.retried();
                self.fetch(&stmt).await
            }
            other => return other,
        };
        if let Err(err) = &rows {
            store.observe(err);
        }
        rows
    }
}

impl Reader {
    /// One attempt at `stmt` on PostgreSQL: on the pinned connection, or
    /// through the pool.
    async fn fetch(&self, stmt: &Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self.pool() {
            Some(pool) => self.fetch_pinned(pool, stmt).await,
            None => self.0.store.db().query_all_raw(stmt.clone()).await,
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

    /// Readers hold at most pool size - 2 connections, in turn; a done
    /// reader's connection goes to the next reader without a round trip
    /// through the pool, unless its statement was cut short.
    #[tokio::test]
    async fn readers_take_turns_on_kept_connections() {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("skipped: TEST_DATABASE_URL is not set");
            return;
        };
        let store = Store::connect(&StoreOptions::new(url, 4)).await.unwrap();
        let idle = || store.read_connections().idle().len();
        let pinned = || {
            let r = Reader::new(&store);
            r.pin();
            r
        };
        let (a, b) = (pinned(), pinned());
        let (pa, pb) = (backend_pid(&a).await, backend_pid(&b).await);
        // A third reader waits for a turn (two connections for readers)...
        let c = pinned();
        let waiting = tokio::time::timeout(Duration::from_millis(200), backend_pid(&c)).await;
        assert!(waiting.is_err(), "the third reader waits");
        // ...which a done reader gives it, with its connection.
        drop(a);
        assert_eq!(backend_pid(&c).await, pa);
        // Writes still find connections in the pool meanwhile.
        store.ping().await.unwrap();
        drop((b, c));
        assert_eq!(idle(), 2);
        // A statement cut short: its connection goes back to the pool.
        let d = pinned();
        let pd = backend_pid(&d).await;
        assert!(pd == pa || pd == pb);
        let sleep = Statement::from_string(DatabaseBackend::Postgres, "SELECT pg_sleep(1)");
        let cut = tokio::time::timeout(Duration::from_millis(100), d.query_all_raw(sleep)).await;
        assert!(cut.is_err(), "the statement was cut short");
        drop(d);
        assert_eq!(idle(), 1);
        // `unpinned` gives the connection back to the pool, and the turn.
        let e = pinned();
        backend_pid(&e).await;
        e.unpinned(async {}).await;
        drop(e);
        assert_eq!(idle(), 0);
        store.close().await.unwrap();
    }

    async fn pinned_on(url: String) {
        let store = Store::connect(&StoreOptions::new(url, 3)).await.unwrap();
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
