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

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

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
    conn: Mutex<Option<PoolConnection<Postgres>>>,
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
        stmt: Statement,
    ) -> Result<Vec<QueryResult>, DbErr> {
        let mut slot = self.0.conn.lock().await;
        let conn = match slot.as_mut() {
            Some(conn) => conn,
            None => slot.insert(
                pool.acquire()
                    .await
                    .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?,
            ),
        };
        let started = Instant::now();
        let values = stmt.values.unwrap_or(Values(Vec::new()));
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values))
            .fetch_all(&mut **conn)
            .await;
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
