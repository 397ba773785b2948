//! The store: SeaORM models and the only code that talks SQL.
//!
//! [`Store`] owns the connection pool. It configures SQLite for concurrent
//! use (WAL, a pool of several connections, `BEGIN IMMEDIATE` for writes so a
//! read-then-write transaction never fails with "database is locked"), runs
//! the migrations under a lock so several gateway processes can start against
//! one PostgreSQL database, and counts every SQL statement it runs (exposed at
//! `/metrics`, and used by the tests that guard against N+1 queries).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};

use crate::error::{AppError, AppResult};
use health::{Health, Outage};

pub use crate::config::SqliteSync;

pub mod bulk;
pub mod entities;
pub mod events;
mod health;
pub mod models;
mod order;
pub mod pages;
#[cfg(test)]
mod plans;
mod reader;
pub mod relation_types;
pub mod relations;
mod sql;
pub mod tokens;
pub mod traversal;

pub use reader::Reader;

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        // PostgreSQL's refusal of a NUL character in text that slipped past
        // the requests' checks (see `domain::text`).
        if database_error(&err).and_then(|db| db.code()).as_deref() == Some("22021") {
            return AppError::bad_input(crate::domain::text::NUL_REFUSED);
        }
        let Some(outage) = health::outage(&err) else {
            return AppError::internal(err);
        };
        health::warn_outage(&err, outage);
        match outage {
            Outage::Lost | Outage::Unreachable => AppError::Unavailable(
                "the database is not reachable; nothing was done, retry later".to_owned(),
            ),
            Outage::Locked => AppError::Unavailable(
                "the database file is locked by another process; nothing was done, retry later"
                    .to_owned(),
            ),
            Outage::ReadOnly => AppError::ReadOnly(
                "the database refuses writes (it is read-only); nothing was written".to_owned(),
            ),
        }
    }
}

/// Did this error come from a write that lost a race and may succeed if the
/// transaction is run again (PostgreSQL serialization failure or deadlock,
/// SQLite busy)?
pub fn is_retryable(err: &AppError) -> bool {
    let AppError::Internal(cause) = err else {
        return false;
    };
    let Some(db) = cause.downcast_ref::<DbErr>().and_then(database_error) else {
        return false;
    };
    let code = db.code().unwrap_or_default();
    // 40001 serialization_failure, 40P01 deadlock_detected;
    // SQLite 6 SQLITE_LOCKED, 517 SQLITE_BUSY_SNAPSHOT. SQLITE_BUSY comes
    // only after the busy timeout (`--db-timeout`) was waited out: that is
    // `DATABASE_UNAVAILABLE`, not a race to run again.
    matches!(code.as_ref(), "40001" | "40P01" | "6" | "517")
}

/// The database's own error inside `err`, if it is one.
fn database_error(err: &DbErr) -> Option<&dyn sea_orm::sqlx::error::DatabaseError> {
    let runtime = match err {
        DbErr::Exec(e) | DbErr::Query(e) | DbErr::Conn(e) => e,
        _ => return None,
    };
    let sea_orm::RuntimeErr::SqlxError(sqlx_err) = runtime else {
        return None;
    };
    match &**sqlx_err {
        sea_orm::sqlx::Error::Database(db) => Some(&**db),
        _ => None,
    }
}

/// When `err` is a unique index's violation: what names the index (on
/// PostgreSQL the constraint's name, on SQLite the message, which lists the
/// index's columns). A statement that may race another writer's (both
/// checked first, both inserted) turns this into its rule's code.
pub(crate) fn unique_violation(err: &DbErr) -> Option<String> {
    let db = database_error(err).filter(|db| db.is_unique_violation())?;
    Some(
        db.constraint()
            .map_or_else(|| db.message().to_owned(), str::to_owned),
    )
}

tokio::task_local! {
    /// Statements run by the task of one request (see [`count_statements`]).
    static REQUEST_STATEMENTS: std::cell::Cell<u64>;
}

/// Runs `work` and counts the SQL statements it runs on its own task (the
/// request's resolvers and, since they are driven on the same task, its
/// dataloader batches). Statements of other requests or background tasks are
/// not counted, so the figure is exact under load.
pub async fn count_statements<F: std::future::Future>(work: F) -> (F::Output, u64) {
    REQUEST_STATEMENTS
        .scope(std::cell::Cell::new(0), async {
            let out = work.await;
            (out, REQUEST_STATEMENTS.with(|n| n.get()))
        })
        .await
}

/// Counts a statement (in all, and for the request it ran for) and traces
/// it (`RUST_LOG=relgate::sql=trace`).
fn record(
    counter: &AtomicU64,
    metrics: &crate::metrics::Metrics,
    sql: &str,
    elapsed: Duration,
    failed: bool,
) {
    counter.fetch_add(1, Ordering::Relaxed);
    metrics.statement(elapsed, failed);
    let _ = REQUEST_STATEMENTS.try_with(|n| n.set(n.get() + 1));
    tracing::trace!(target: "relgate::sql", ?elapsed, failed, sql = %sql);
}

/// A handle on the database: cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// Connections pinned readers keep between requests.
    read_connections: Arc<reader::ReadConnections>,
    /// Statements run since start, counted by SeaORM's metric callback.
    statements: Arc<AtomicU64>,
    /// Whether the database is down (see [`health`]).
    health: Arc<Health>,
    /// The server's figures (`/metrics`).
    metrics: Arc<crate::metrics::Metrics>,
}

/// How to open the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://file.db` or `postgres://...`.
    pub url: String,
    /// Largest number of pooled connections.
    pub pool_size: u32,
    /// Longest wait for a connection or, on SQLite, for another writer's
    /// lock, before a statement fails with `DATABASE_UNAVAILABLE`.
    pub timeout: Duration,
    /// SQLite's durability (ignored on PostgreSQL).
    pub sqlite_sync: SqliteSync,
}

impl StoreOptions {
    /// `url` with the defaults of `relgate serve`.
    pub fn new(url: impl Into<String>, pool_size: u32) -> Self {
        Self {
            url: url.into(),
            pool_size,
            timeout: Duration::from_secs(5),
            sqlite_sync: SqliteSync::Full,
        }
    }
}

impl Store {
    /// Connects (creating a SQLite file if missing); does not migrate.
    pub async fn connect(options: &StoreOptions) -> AppResult<Self> {
        let options_timeout = options.timeout;
        let health = Arc::new(Health::new());
        let suspect = health.clone();
        let synchronous = match options.sqlite_sync {
            SqliteSync::Full => SqliteSynchronous::Full,
            SqliteSync::Normal => SqliteSynchronous::Normal,
        };
        let mut opts = ConnectOptions::new(options.url.clone());
        opts.max_connections(options.pool_size.max(1))
            .min_connections(1)
            .connect_timeout(options.timeout)
            .acquire_timeout(options.timeout)
            .sqlx_logging(false)
            // sqlx pings a connection on every checkout by default: a round
            // trip before each statement. Only connections idle long enough
            // to have been dropped by a server or a proxy are tested.
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            // And those opened before a connection broke (see `health`).
            .map_sqlx_postgres_before_acquire(move |conn, meta| {
                let suspect = suspect.predates_loss(meta.age);
                Box::pin(async move {
                    if suspect {
                        use sea_orm::sqlx::Connection;
                        return Ok(conn.ping().await.is_ok());
                    }
                    Ok(true)
                })
            })
            .map_sqlx_sqlite_opts(move |o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(synchronous)
                    .foreign_keys(true)
                    .busy_timeout(options_timeout)
            })
            // relgate's statements are short index reads; a parallel plan's
            // worker start-up costs more than it saves (a 1 ms page query
            // took 6 ms with two workers). They are prepared once per
            // connection, and their best plan hardly depends on the values
            // (ids, one array of them): a generic plan is made once, where
            // PostgreSQL's default kept planning each execution anew (Q1's
            // throughput at 32 connections rose by 40 to 58% without that).
            .map_sqlx_postgres_opts(|o| {
                o.options([
                    ("max_parallel_workers_per_gather", "0"),
                    ("plan_cache_mode", "force_generic_plan"),
                ])
            });
        let mut db = Database::connect(opts).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let (counter, figures) = (statements.clone(), metrics.clone());
        db.set_metric_callback(move |info| {
            record(
                &counter,
                &figures,
                &info.statement.sql,
                info.elapsed,
                info.failed,
            );
        });
        Ok(Self {
            db,
            statements,
            read_connections: Arc::new(reader::ReadConnections::new(options.pool_size)),
            health,
            metrics,
        })
    }

    /// Counts and traces a statement run outside SeaORM's pool (see
    /// [`reader`]).
    fn record(&self, sql: &str, elapsed: Duration, failed: bool) {
        record(&self.statements, &self.metrics, sql, elapsed, failed);
    }

    /// The server's figures (`/metrics`).
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        &self.metrics
    }

    /// The PostgreSQL pool's connections: (open, idle); `None` on SQLite.
    pub fn pool_connections(&self) -> Option<(u32, usize)> {
        (self.backend() == DatabaseBackend::Postgres).then(|| {
            let pool = self.db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        })
    }

    /// Readers waiting for a turn on the kept connections, and the turns
    /// free (see [`reader`]).
    pub fn reader_turns(&self) -> (usize, usize) {
        self.read_connections.turns()
    }

    /// Applies pending migrations. On PostgreSQL an advisory lock makes
    /// processes starting together migrate one after the other.
    pub async fn migrate(&self) -> AppResult<()> {
        let txn = self.begin_write().await?;
        if self.backend() == DatabaseBackend::Postgres {
            txn.execute_raw(Statement::from_string(
                DatabaseBackend::Postgres,
                "SELECT pg_advisory_xact_lock(7261736172)",
            ))
            .await?;
        }
        Migrator::up(&txn, None).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The pool, for queries in this module's children.
    fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The database engine.
    pub fn backend(&self) -> DatabaseBackend {
        self.db.get_database_backend()
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite, so the write
    /// lock is taken before the first read the decision depends on).
    /// A `BEGIN` that failed on a broken connection is tried once more, on
    /// a tested one (see [`health`]).
    pub async fn begin_write(&self) -> AppResult<DatabaseTransaction> {
        let options = TransactionOptions {
            sqlite_transaction_mode: (self.backend() == DatabaseBackend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        self.gate()?;
        let begun = self.db.begin_with_options(options).await;
        let begun = match begun {
            Err(err) if self.observe(&err) == Some(Outage::Lost) => {
                self.health.retried();
                self.db.begin_with_options(options).await
            }
            other => other,
        };
        begun.map_err(|err| {
            self.observe(&err);
            err.into()
        })
    }

    /// Is the database reachable? Answers within about a second: at once
    /// while the database is known to be down.
    pub async fn ping(&self) -> AppResult<()> {
        self.gate()?;
        let pinged = tokio::time::timeout(Duration::from_secs(1), self.db.ping()).await;
        match pinged {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => {
                self.observe(&err);
                Err(err.into())
            }
            Err(_) => {
                self.suspect();
                Err(AppError::Unavailable(
                    "the database did not answer within a second".to_owned(),
                ))
            }
        }
    }

    /// Fails at once while the database is known to be down (see
    /// [`health`]).
    pub(crate) fn gate(&self) -> Result<(), DbErr> {
        if self.health.is_down() {
            return Err(DbErr::ConnectionAcquire(
                sea_orm::ConnAcquireErr::ConnectionClosed,
            ));
        }
        Ok(())
    }

    /// Reads `err` for an outage, and acts on it: a broken connection makes
    /// the pooled ones suspect and the kept ones go; a broken or missing
    /// connection starts the probe. Returns the outage.
    pub(crate) fn observe(&self, err: &DbErr) -> Option<Outage> {
        let outage = health::outage(err)?;
        if outage == Outage::Lost {
            self.health.connection_lost();
            self.read_connections.drop_idle();
        }
        if matches!(outage, Outage::Lost | Outage::Unreachable) {
            self.suspect();
        }
        Some(outage)
    }

    /// Starts the probe (on PostgreSQL: SQLite's file does not go away).
    fn suspect(&self) {
        if self.backend() != DatabaseBackend::Postgres {
            return;
        }
        let options = self.db.get_postgres_connection_pool().connect_options();
        self.health.probe(move || {
            let options = options.clone();
            async move {
                use sea_orm::sqlx::{ConnectOptions as _, Connection as _};
                match options.connect().await {
                    Ok(conn) => {
                        let _ = conn.close().await;
                        true
                    }
                    Err(_) => false,
                }
            }
        });
    }

    /// How many times the database went down since start (the probe found
    /// it unreachable).
    pub fn outages(&self) -> u64 {
        self.health.outages()
    }

    /// How many reads and `BEGIN`s were run again after a broken
    /// connection, since start.
    pub fn retries(&self) -> u64 {
        self.health.retries()
    }

    /// Whether the database is known to be down (the probe cannot connect).
    pub fn is_down(&self) -> bool {
        self.health.is_down()
    }

    /// Counts a statement run again after a broken connection.
    pub(crate) fn retried(&self) {
        self.health.retried();
    }

    /// SQL statements run since start.
    pub fn statements_executed(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Connections pinned readers keep between requests.
    pub(crate) fn read_connections(&self) -> &reader::ReadConnections {
        &self.read_connections
    }

    /// Closes the pool (after giving back the connections readers keep).
    pub async fn close(self) -> AppResult<()> {
        self.read_connections.clear();
        Ok(self.db.close().await?)
    }
}
