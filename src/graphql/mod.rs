//! The GraphQL schema: types, resolvers, per-request loaders, and the one
//! place errors get their codes.

use async_graphql::{Schema, SchemaBuilder};

use crate::service::Service;

pub mod compiled;
pub mod context;
pub mod errors;
pub mod loaders;
pub mod mutation;
pub mod ordering;
pub mod query;
pub mod request;
pub mod shape;
pub mod subscription;
pub mod types;

pub use context::{PageLimits, RequestData};
pub use request::RelgateSchema;

/// How the schema limits requests.
#[derive(Debug, Clone)]
pub struct SchemaOptions {
    /// Page sizes of every connection.
    pub page: PageLimits,
    /// Deepest selection accepted.
    pub max_depth: usize,
    /// Largest complexity accepted (list fields count their page size).
    pub max_complexity: usize,
    /// Most aliased fields in one document.
    pub max_aliases: usize,
    /// Most directives on one field.
    pub max_directives: usize,
    /// Answer introspection queries.
    pub introspection: bool,
    /// Suggest field names in validation errors.
    pub suggestions: bool,
    /// Answer plain reads with the compiled executor ([`compiled`]).
    pub compiled_reads: bool,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        Self {
            page: PageLimits::default(),
            max_depth: 16,
            max_complexity: 50_000,
            max_aliases: 30,
            max_directives: 5,
            introspection: true,
            suggestions: true,
            compiled_reads: true,
        }
    }
}

/// The schema's types. No async-graphql extension is installed: see
/// [`errors`] for why, and [`request`] for what is done instead.
fn builder() -> SchemaBuilder<query::Query, mutation::Mutation, subscription::Subscription> {
    Schema::build(query::Query, mutation::Mutation, subscription::Subscription)
}

/// The schema served at `/graphql`.
pub fn build(service: Service, options: &SchemaOptions) -> RelgateSchema {
    let mut b = builder()
        .data(service)
        .data(options.page)
        .limit_depth(options.max_depth)
        .limit_complexity(options.max_complexity)
        .limit_directives(options.max_directives);
    if !options.introspection {
        b = b.disable_introspection();
    }
    if !options.suggestions {
        b = b.disable_suggestions();
    }
    RelgateSchema::new(b.finish(), options)
}

/// The schema's SDL, as checked in at `schema/schema.graphql`: what
/// introspection serves, `@specifiedBy` included. (Not the schema's own
/// description: async-graphql 7 answers `__schema { description }` with a
/// fixed text about schemas in general, and SDL parsers that typed clients
/// use, such as `graphql_client`'s, cannot read a described `schema` block.)
pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}
