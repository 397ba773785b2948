//! The command line. Every flag also reads an environment variable.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// relgate: a GraphQL gateway over Copper, Umbraco and Kanka relations.
#[derive(Debug, Parser)]
#[command(name = "relgate", version, about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The store.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// How `serve` (the default command) serves.
    #[command(flatten)]
    pub serve: ServeArgs,
    /// How to log.
    #[arg(long, env = "RELGATE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve GraphQL, the playground and the REST dialects (the default).
    Serve,
    /// Apply pending migrations and write the built-in relation types, then exit.
    Migrate,
    /// Print the GraphQL schema (SDL), as checked in at schema/schema.graphql.
    Schema,
    /// Print the OpenAPI description of the REST dialects, as checked in at schema/openapi.json.
    Openapi,
    /// API tokens: create (printed once), list, revoke.
    Token {
        /// What to do with tokens.
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Demo data.
    Demo {
        /// What to do with demo data.
        #[command(subcommand)]
        command: DemoCommand,
    },
}

/// `relgate demo ...`
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Write a small demo data set of all three sources (idempotent), or,
    /// with --entities/--relations, add a large one for benchmarks.
    Seed {
        /// Add this many entities (at scale; see --relations).
        #[arg(long, requires = "relations")]
        entities: Option<u64>,
        /// Add this many relations (a two-way pair counts as two).
        #[arg(long, requires = "entities")]
        relations: Option<u64>,
    },
}

/// `relgate token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (it is shown only this once).
    Create {
        /// What the token may do.
        #[arg(long, value_parser = ["read", "write", "admin"])]
        role: String,
        /// A unique name for the token.
        #[arg(long)]
        name: String,
        /// Lifetime, e.g. `90d`, `12h`, `30m`; no expiry when omitted.
        #[arg(long, value_parser = crate::auth::parse_duration)]
        expires_in: Option<Duration>,
        /// An email bound to the token (checked against Copper's `X-PW-UserEmail`).
        #[arg(long)]
        email: Option<String>,
    },
    /// List tokens: name, role, created, last used, expiry (never the secret).
    List,
    /// Revoke the token with this name.
    Revoke {
        /// The token's name.
        name: String,
    },
}

/// Where the store is.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://FILE` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://relgate.db",
        global = true
    )]
    pub database_url: String,
    /// Largest number of pooled database connections.
    #[arg(
        long,
        env = "RELGATE_DB_POOL_SIZE",
        default_value_t = 10,
        global = true
    )]
    pub db_pool_size: u32,
    /// Longest wait for a database connection or, on SQLite, for another
    /// writer's lock: past it the request fails with `DATABASE_UNAVAILABLE`
    /// (HTTP 503). `5s`, `500ms`.
    #[arg(long, env = "RELGATE_DB_TIMEOUT", default_value = "5s", value_parser = crate::auth::parse_duration, global = true)]
    pub db_timeout: Duration,
    /// SQLite's durability: `full` (every acknowledged write survives a
    /// power loss) or `normal` (it survives the process being killed; the
    /// last writes may be lost with the power; faster writes). See the
    /// README's failure behaviour.
    #[arg(
        long,
        env = "RELGATE_SQLITE_SYNCHRONOUS",
        value_enum,
        default_value_t = SqliteSync::Full,
        global = true
    )]
    pub sqlite_synchronous: SqliteSync,
}

impl Default for DatabaseArgs {
    fn default() -> Self {
        Self {
            database_url: "sqlite://relgate.db".to_owned(),
            db_pool_size: 10,
            db_timeout: Duration::from_secs(5),
            sqlite_synchronous: SqliteSync::Full,
        }
    }
}

/// SQLite's `synchronous` setting (`--sqlite-synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum SqliteSync {
    /// Every commit is on disk before it is acknowledged: a write survives
    /// a power loss or an OS crash (WAL `synchronous = FULL`).
    #[default]
    Full,
    /// Commits are on disk at the next checkpoint: a write survives the
    /// process being killed, but the last commits may be lost with the
    /// machine's power (WAL `synchronous = NORMAL`); faster writes.
    Normal,
}

/// `relgate serve`
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "RELGATE_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: SocketAddr,
    /// Page size when a client gives neither `first` nor `last`.
    #[arg(
        long,
        env = "RELGATE_DEFAULT_PAGE_SIZE",
        default_value_t = 20,
        global = true
    )]
    pub default_page_size: u64,
    /// Largest `first` / `last` accepted.
    #[arg(
        long,
        env = "RELGATE_MAX_PAGE_SIZE",
        default_value_t = 100,
        global = true
    )]
    pub max_page_size: u64,
    /// Most rows a traversal (`Entity.neighbourhood`, `Query.paths`) may
    /// visit; one that would visit more stops with `TRAVERSAL_TOO_LARGE`.
    #[arg(
        long,
        env = "RELGATE_MAX_TRAVERSAL_ROWS",
        default_value_t = 100_000,
        global = true
    )]
    pub max_traversal_rows: u64,
    /// Deepest query accepted.
    #[arg(long, env = "RELGATE_MAX_DEPTH", default_value_t = 16, global = true)]
    pub max_depth: usize,
    /// Largest request body, in bytes.
    #[arg(long, env = "RELGATE_MAX_BODY_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub max_body_bytes: usize,
    /// Longest a request may take: `30s`, `500ms`, `2m`.
    #[arg(long, env = "RELGATE_REQUEST_TIMEOUT", default_value = "30s", value_parser = crate::auth::parse_duration, global = true)]
    pub request_timeout: Duration,
    /// Largest query complexity: each field costs 1, and a list field costs
    /// its children times its `first`/`last` (20 when neither is given).
    #[arg(
        long,
        env = "RELGATE_MAX_COMPLEXITY",
        default_value_t = 50_000,
        global = true
    )]
    pub max_complexity: usize,
    /// Most aliased fields in one document.
    #[arg(long, env = "RELGATE_MAX_ALIASES", default_value_t = 30, global = true)]
    pub max_aliases: usize,
    /// Most directives on one field.
    #[arg(
        long,
        env = "RELGATE_MAX_DIRECTIVES",
        default_value_t = 5,
        global = true
    )]
    pub max_directives: usize,
    /// Most operations in one batched request; 0 turns batching off.
    #[arg(long, env = "RELGATE_MAX_BATCH", default_value_t = 10, global = true)]
    pub max_batch: usize,
    /// Most GraphQL requests executing at once; more wait their turn, first
    /// come first served (within the request timeout). Bounds memory under
    /// load; 0 means no limit.
    #[arg(
        long,
        env = "RELGATE_MAX_CONCURRENT_REQUESTS",
        default_value_t = 16,
        global = true
    )]
    pub max_concurrent_requests: usize,
    /// Most GraphQL requests waiting for a turn to execute (see
    /// `--max-concurrent-requests`); one more is refused at once with
    /// `OVERLOADED` (HTTP 503, `Retry-After`). 0: none wait.
    #[arg(
        long,
        env = "RELGATE_MAX_QUEUED_REQUESTS",
        default_value_t = 256,
        global = true
    )]
    pub max_queued_requests: usize,
    /// Longest a GraphQL request waits for a turn to execute before it is
    /// refused with `OVERLOADED`: `5s`, `500ms`.
    #[arg(long, env = "RELGATE_QUEUE_TIMEOUT", default_value = "5s", value_parser = crate::auth::parse_duration, global = true)]
    pub queue_timeout: Duration,
    /// Refuse introspection queries (for production).
    #[arg(long, env = "RELGATE_DISABLE_INTROSPECTION", global = true)]
    pub disable_introspection: bool,
    /// Do not suggest field names in validation errors (for production).
    #[arg(long, env = "RELGATE_DISABLE_SUGGESTIONS", global = true)]
    pub disable_suggestions: bool,
    /// Run every GraphQL request through async-graphql's executor: no
    /// compiled executor for plain reads (see the README's architecture).
    /// For comparison, or to rule it out when in doubt.
    #[arg(long, env = "RELGATE_DISABLE_COMPILED_READS", global = true)]
    pub disable_compiled_reads: bool,
    /// An origin whose pages may call relgate from a browser (CORS):
    /// `https://app.example.com`, or `*` for every origin without
    /// credentials. Repeatable; the environment variable takes a
    /// comma-separated list. None: same-origin only.
    #[arg(
        long = "cors-origin",
        env = "RELGATE_CORS_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_origins: Vec<String>,
    /// A persisted-documents manifest (GraphQL Code Generator's
    /// `persisted-documents.json`: document ids to document texts); requests
    /// may then send only a `documentId`.
    #[arg(long, env = "RELGATE_TRUSTED_DOCUMENTS", global = true)]
    pub trusted_documents: Option<std::path::PathBuf>,
    /// Run only the documents of the `--trusted-documents` manifest; any
    /// other document is refused (`TRUSTED_DOCUMENT_REQUIRED`).
    #[arg(
        long,
        env = "RELGATE_ONLY_TRUSTED_DOCUMENTS",
        requires = "trusted_documents",
        global = true
    )]
    pub only_trusted_documents: bool,
    /// With `--only-trusted-documents`, still let admins run any document
    /// (for the playground and operators' scripts).
    #[arg(
        long,
        env = "RELGATE_EXEMPT_ADMINS_FROM_TRUSTED_DOCUMENTS",
        global = true
    )]
    pub exempt_admins_from_trusted_documents: bool,
    /// Most WebSocket connections for subscriptions one process holds; more
    /// are refused (503) until one closes.
    #[arg(
        long,
        env = "RELGATE_MAX_SUBSCRIPTION_CONNECTIONS",
        default_value_t = 10_000,
        global = true
    )]
    pub max_subscription_connections: usize,
    /// Most subscriptions one WebSocket connection holds at once.
    #[arg(
        long,
        env = "RELGATE_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        default_value_t = 32,
        global = true
    )]
    pub max_subscriptions_per_connection: usize,
    /// How long the journal keeps events (`90d`, `12h`...): older ones are
    /// pruned in the background, but for each live relation's latest state.
    /// Everything is kept when omitted.
    #[arg(long, env = "RELGATE_EVENT_RETENTION", value_parser = crate::auth::parse_duration, global = true)]
    pub event_retention: Option<Duration>,
    /// Most documents kept for automatic persisted queries (Apollo's
    /// `extensions.persistedQuery`); 0 turns them off.
    #[arg(
        long,
        env = "RELGATE_PERSISTED_QUERY_CACHE_SIZE",
        default_value_t = 512,
        global = true
    )]
    pub persisted_query_cache_size: usize,
    /// Longest a client may take to send a request's headers, counted from
    /// the connection's accept or, on a keep-alive connection, from the
    /// request's first byte; the connection is closed beyond. `0s` is no
    /// limit.
    #[arg(long, env = "RELGATE_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = crate::auth::parse_duration, global = true)]
    pub header_read_timeout: Duration,
    /// Longest a request's body may take to arrive in full after its
    /// headers; beyond, the request is answered 408 (`BODY_READ_TIMEOUT`)
    /// and its connection closed. `0s` is no limit.
    #[arg(long, env = "RELGATE_BODY_READ_TIMEOUT", default_value = "30s", value_parser = crate::auth::parse_duration, global = true)]
    pub body_read_timeout: Duration,
    /// Longest a keep-alive connection may wait for its next request before
    /// relgate closes it. `0s` is no limit.
    #[arg(long, env = "RELGATE_IDLE_TIMEOUT", default_value = "60s", value_parser = crate::auth::parse_duration, global = true)]
    pub idle_timeout: Duration,
    /// Most client connections open at once (WebSockets included); at the
    /// bound relgate accepts no more until one closes (they wait in the
    /// kernel's listen backlog).
    #[arg(
        long,
        env = "RELGATE_MAX_CONNECTIONS",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u32).range(1..),
        global = true
    )]
    pub max_connections: u32,
    /// Longest the drain at shutdown (SIGTERM, Ctrl-C) may take: requests
    /// already received are answered within it; what is still open after
    /// it is dropped.
    #[arg(long, env = "RELGATE_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = crate::auth::parse_duration, global = true)]
    pub shutdown_timeout: Duration,
    /// Also serve `/metrics` on this address, without a token (for a
    /// Prometheus scraper on a private network). On the main listener
    /// `/metrics` needs a token once tokens exist.
    #[arg(long, env = "RELGATE_METRICS_BIND", global = true)]
    pub metrics_bind: Option<SocketAddr>,
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            default_page_size: 20,
            max_page_size: 100,
            max_traversal_rows: 100_000,
            max_depth: 16,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_complexity: 50_000,
            max_aliases: 30,
            max_directives: 5,
            max_batch: 10,
            max_concurrent_requests: 16,
            max_queued_requests: 256,
            queue_timeout: Duration::from_secs(5),
            disable_introspection: false,
            disable_suggestions: false,
            disable_compiled_reads: false,
            cors_origins: Vec::new(),
            trusted_documents: None,
            only_trusted_documents: false,
            exempt_admins_from_trusted_documents: false,
            persisted_query_cache_size: 512,
            event_retention: None,
            max_subscription_connections: 10_000,
            max_subscriptions_per_connection: 32,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            shutdown_timeout: Duration::from_secs(30),
            metrics_bind: None,
        }
    }
}
