//! Black-box tests: a real relgate on port 0, over HTTP, on SQLite and (with
//! `TEST_DATABASE_URL`) on PostgreSQL.

mod helpers;

mod auth;
mod chaos;
mod cli;
mod compiled;
mod concurrency;
mod cors;
mod dataloaders;
mod dialect_clients;
mod dialects;
mod entities;
mod errors;
mod explorer;
mod graph_queries;
mod graphql_over_http;
mod http_surface;
mod journal;
mod limits;
mod metrics;
mod model;
mod nodes;
mod operations;
#[cfg(feature = "otel")]
mod otel;
mod pagination;
mod payload_edges;
mod persisted;
mod privacy;
mod process;
mod promises;
mod relation_types;
mod relations;
mod rules;
mod scale_seed;
mod schema;
mod subscriptions;
mod timeouts;
mod traversal;
mod typed_client;
