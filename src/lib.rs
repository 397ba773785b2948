//! relgate: a GraphQL gateway over one unified relation model.
//!
//! A tour, from the edge inwards:
//! - [`http`] serves `/graphql`, the playground and health checks;
//! - [`dialects`] speak the Copper, Umbraco and Kanka REST APIs over the same service;
//! - [`graphql`] is the schema: types, resolvers, per-request dataloaders;
//! - [`service`] is the one place where writes happen, checking each source's rules
//!   and appending every change to the journal, whose tail [`feed`] serves live;
//! - [`store`] is the only code that talks SQL (SQLite or PostgreSQL, via SeaORM);
//! - [`domain`] holds the pure model and rules; [`sources`] the three source profiles as data.
//!
//! [`Application`] builds the whole server; [`cli`] (the binary) and the
//! tests start it the same way (tests on port 0).

/// Who is calling and what they may do.
pub mod auth;
/// The commands of the `relgate` binary, run.
pub mod cli;
/// The command line's arguments and the server's settings.
pub mod config;
/// A small demo data set of all three sources.
pub mod demo;
/// The Copper, Umbraco and Kanka REST dialects.
pub mod dialects;
/// Pure types and rules, no IO.
pub mod domain;
/// The one error type and its stable codes.
pub mod error;
/// The journal's live feed: its tail, shared by this process's subscribers.
pub mod feed;
/// The fuzz targets' entry points (`tests/fuzz/targets`); not an API.
#[doc(hidden)]
pub mod fuzzing;
/// The GraphQL schema.
pub mod graphql;
/// The axum router and tower layers.
pub mod http;
/// The figures `/metrics` shows.
pub mod metrics;
/// The reads of every layer, over a request's reader.
pub mod read;
/// The writes, each one transaction with the rules applied.
pub mod service;
/// The built-in source profiles, as data.
pub mod sources;
/// SeaORM models and queries.
pub mod store;
#[cfg(feature = "otel")]
pub mod telemetry;

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::config::{DatabaseArgs, ServeArgs};
use crate::graphql::{PageLimits, SchemaOptions};
use crate::http::{AppState, HttpOptions};
use crate::service::Service;
use crate::store::{Store, StoreOptions};

/// A start-up failure, with what was being done.
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

fn startup(what: &str, err: error::AppError) -> StartError {
    match err {
        error::AppError::Internal(cause) => format!("{what}: {cause}").into(),
        other => format!("{what}: {}", other.public_message()).into(),
    }
}

/// Opens the store, migrates it and writes the built-in relation types.
pub async fn open_service(db: &DatabaseArgs) -> Result<Service, StartError> {
    let store = Store::connect(&StoreOptions {
        url: db.database_url.clone(),
        pool_size: db.db_pool_size,
        timeout: db.db_timeout,
        sqlite_sync: db.sqlite_synchronous,
    })
    .await
    .map_err(|e| startup("connecting to the database", e))?;
    store
        .migrate()
        .await
        .map_err(|e| startup("migrating the database", e))?;
    let service = Service::new(store);
    service
        .install_built_in_types()
        .await
        .map_err(|e| startup("writing the built-in relation types", e))?;
    Ok(service)
}

/// The server, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    app: http::App,
    service: Service,
    /// How long the journal keeps events (`--event-retention`).
    event_retention: Option<std::time::Duration>,
    /// The connections' timeouts and bound, and the drain's deadline.
    connections: http::server::ConnectionLimits,
    /// Tells the subscriptions that the server shuts down.
    subscriptions_shutdown: http::server::Shutdown,
    /// `--metrics-bind`: its listener, and the app serving `/metrics` alone.
    metrics: Option<(TcpListener, http::App)>,
}

impl Application {
    /// Opens the store and binds the listener (port 0 picks a free port).
    pub async fn build(db: &DatabaseArgs, serve: &ServeArgs) -> Result<Self, StartError> {
        let service = open_service(db).await?;
        let auth = auth::Authenticator::new(service.store().clone());
        let open = auth
            .open_mode()
            .await
            .map_err(|e| startup("reading the API tokens", e))?;
        if open {
            if !serve.bind.ip().is_loopback() {
                return Err(format!(
                    "no API token exists, so relgate would serve everyone as admin; it refuses to \
                     listen on {} in that mode. Create a token first (relgate token create --role \
                     admin --name NAME), or bind to a loopback address.",
                    serve.bind
                )
                .into());
            }
            tracing::warn!(
                "open development mode: no API token exists, every caller is an admin. \
                 Create one with `relgate token create --role admin --name NAME`."
            );
        }
        let schema = graphql::build(
            service.clone(),
            &SchemaOptions {
                page: PageLimits {
                    default_size: serve.default_page_size,
                    max_size: serve.max_page_size,
                    max_traversal_rows: serve.max_traversal_rows,
                },
                max_depth: serve.max_depth,
                max_complexity: serve.max_complexity,
                max_aliases: serve.max_aliases,
                max_directives: serve.max_directives,
                introspection: !serve.disable_introspection,
                suggestions: !serve.disable_suggestions,
                compiled_reads: !serve.disable_compiled_reads,
            },
        );
        let cors = http::CorsPolicy::parse(&serve.cors_origins)?;
        let mut persisted = http::PersistedDocuments::new(serve.persisted_query_cache_size);
        if let Some(path) = &serve.trusted_documents {
            persisted = persisted.with_manifest(
                path,
                serve.only_trusted_documents,
                serve.exempt_admins_from_trusted_documents,
            )?;
            tracing::info!(
                documents = persisted.manifest_len(),
                only_trusted = serve.only_trusted_documents,
                "trusted documents loaded from {}",
                path.display()
            );
        } else if serve.only_trusted_documents {
            return Err("--only-trusted-documents needs --trusted-documents FILE".into());
        }
        let subscriptions = http::subscriptions::SubscriptionLimits::new(
            serve.max_subscription_connections,
            serve.max_subscriptions_per_connection,
        );
        let subscriptions_shutdown = subscriptions.shutdown.clone();
        let state = AppState {
            schema,
            service: service.clone(),
            auth: std::sync::Arc::new(auth),
            options: HttpOptions {
                max_body_bytes: serve.max_body_bytes,
                request_timeout: serve.request_timeout,
                max_batch: serve.max_batch,
                body_read_timeout: serve.body_read_timeout,
            },
            executions: http::Executions::new(
                serve.max_concurrent_requests,
                serve.max_queued_requests,
                serve.queue_timeout,
            ),
            cors,
            persisted: std::sync::Arc::new(persisted),
            subscriptions,
        };
        let metrics = match serve.metrics_bind {
            Some(addr) => Some((
                TcpListener::bind(addr)
                    .await
                    .map_err(|e| format!("binding {addr} (--metrics-bind): {e}"))?,
                http::metrics_app(state.clone()),
            )),
            None => None,
        };
        let app = http::app(state);
        let listener = TcpListener::bind(serve.bind)
            .await
            .map_err(|e| format!("binding {}: {e}", serve.bind))?;
        Ok(Self {
            listener,
            app,
            service,
            event_retention: serve.event_retention,
            connections: http::server::ConnectionLimits {
                header_read_timeout: serve.header_read_timeout,
                idle_timeout: serve.idle_timeout,
                max_connections: serve.max_connections,
                shutdown_timeout: serve.shutdown_timeout,
            },
            subscriptions_shutdown,
            metrics,
        })
    }

    /// The address `/metrics` alone is served on, with `--metrics-bind`.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then drains and closes the pool.
    ///
    /// Connections are served by [`http::server`]: slow headers, slow
    /// bodies and idle keep-alive connections time out, and at most
    /// `--max-connections` are open. When `shutdown` completes the
    /// listener closes (new connections are refused), idle connections
    /// close, the requests already received are answered, and subscriptions
    /// are closed with code 1001; after `--shutdown-timeout` whatever is
    /// left is dropped. It returns once that is done: a stalled client
    /// cannot hold it longer.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let pruner = self
            .event_retention
            .map(|keep| tokio::spawn(prune_journal(self.service.clone(), keep)));
        // The metrics listener stops when the main one is done.
        let metrics_done = std::sync::Arc::new(tokio::sync::Notify::new());
        let metrics = self.metrics.map(|(listener, app)| {
            let done = metrics_done.clone();
            tokio::spawn(http::server::serve(
                listener,
                app,
                self.connections,
                http::server::Shutdown::default(),
                async move { done.notified().await },
            ))
        });
        http::server::serve(
            self.listener,
            self.app,
            self.connections,
            self.subscriptions_shutdown,
            shutdown,
        )
        .await;
        metrics_done.notify_one();
        if let Some(m) = metrics {
            let _ = m.await;
        }
        if let Some(p) = pruner {
            p.abort();
        }
        if let Err(error::AppError::Internal(cause)) = self.service.store().clone().close().await {
            tracing::warn!(error = %cause, "closing the database pool");
        }
        Ok(())
    }
}

/// Prunes the journal's events older than `keep`, now and then: every tenth
/// of `keep`, at least every second and at most every hour.
async fn prune_journal(service: Service, keep: std::time::Duration) {
    let every = (keep / 10).clamp(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(3600),
    );
    let Ok(keep) = chrono::Duration::from_std(keep) else {
        tracing::error!("--event-retention is too long; nothing is pruned");
        return;
    };
    loop {
        match service.prune_journal(chrono::Utc::now() - keep).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "pruned the journal"),
            Err(error::AppError::Internal(cause)) => {
                tracing::warn!(error = %cause, "pruning the journal");
            }
            Err(_) => {}
        }
        tokio::time::sleep(every).await;
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
