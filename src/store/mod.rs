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

pub mod bulk;
pub mod entities;
pub mod events;
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
        AppError::internal(err)
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
    // SQLite 5 SQLITE_BUSY, 6 SQLITE_LOCKED, 517 SQLITE_BUSY_SNAPSHOT.
    matches!(code.as_ref(), "40001" | "40P01" | "5" | "6" | "517")
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
fn record(counter: &AtomicU64, sql: &str, elapsed: Duration, failed: bool) {
    counter.fetch_add(1, Ordering::Relaxed);
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
}

/// How to open the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://file.db` or `postgres://...`.
    pub url: String,
    /// Largest number of pooled connections.
    pub pool_size: u32,
}

impl Store {
    /// Connects (creating a SQLite file if missing); does not migrate.
    pub async fn connect(options: &StoreOptions) -> AppResult<Self> {
        let mut opts = ConnectOptions::new(options.url.clone());
        opts.max_connections(options.pool_size.max(1))
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false)
            // sqlx pings a connection on every checkout by default: a round
            // trip before each statement. Only connections idle long enough
            // to have been dropped by a server or a proxy are tested.
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            .map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
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
        let counter = statements.clone();
        db.set_metric_callback(move |info| {
            record(&counter, &info.statement.sql, info.elapsed, info.failed);
        });
        Ok(Self {
            db,
            statements,
            read_connections: Arc::new(reader::ReadConnections::new(options.pool_size)),
        })
    }

    /// Counts and traces a statement run outside SeaORM's pool (see
    /// [`reader`]).
    fn record(&self, sql: &str, elapsed: Duration, failed: bool) {
        record(&self.statements, sql, elapsed, failed);
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
    pub async fn begin_write(&self) -> AppResult<DatabaseTransaction> {
        let options = TransactionOptions {
            sqlite_transaction_mode: (self.backend() == DatabaseBackend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(self.db.begin_with_options(options).await?)
    }

    /// Is the database reachable?
    pub async fn ping(&self) -> AppResult<()> {
        Ok(self.db.ping().await?)
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
