//! The GraphQL schema: types, resolvers, per-request loaders, and the one
//! place errors get their codes.

use async_graphql::{EmptySubscription, Schema, SchemaBuilder};

use crate::service::Service;

pub mod context;
pub mod errors;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod types;

pub use context::{PageLimits, RequestData};

/// The schema type.
pub type RelgateSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// How the schema limits requests.
#[derive(Debug, Clone)]
pub struct SchemaOptions {
    /// Page sizes of every connection.
    pub page: PageLimits,
    /// Deepest selection accepted.
    pub max_depth: usize,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        Self {
            page: PageLimits::default(),
            max_depth: 16,
        }
    }
}

fn builder() -> SchemaBuilder<query::Query, mutation::Mutation, EmptySubscription> {
    Schema::build(query::Query, mutation::Mutation, EmptySubscription).extension(errors::ErrorCodes)
}

/// The schema served at `/graphql`.
pub fn build(service: Service, options: &SchemaOptions) -> RelgateSchema {
    builder()
        .data(service)
        .data(options.page)
        .limit_depth(options.max_depth)
        .finish()
}

/// The schema's SDL, as checked in at `schema/schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
