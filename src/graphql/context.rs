//! What every resolver reads from the request: the caller, the service, the
//! per-request loaders and the paging limits.

use async_graphql::Context;

use super::loaders::Loaders;
use crate::auth::Principal;
use crate::domain::Visibility;
use crate::domain::{PageArgs, PageWindow};
use crate::error::AppResult;
use crate::read::Reader;
use crate::service::Service;

/// Page sizes for every connection.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    /// Rows in a page when the client gives neither `first` nor `last`.
    pub default_size: u64,
    /// The largest `first` or `last` accepted.
    pub max_size: u64,
    /// Most rows a traversal may visit (`--max-traversal-rows`).
    pub max_traversal_rows: u64,
}

impl Default for PageLimits {
    fn default() -> Self {
        Self {
            default_size: 20,
            max_size: 100,
            max_traversal_rows: 100_000,
        }
    }
}

/// The per-request data a GraphQL request carries.
pub struct RequestData {
    /// Who is calling.
    pub principal: Principal,
    /// The loaders, built for this request only.
    pub loaders: Loaders,
}

/// The request's loaders.
pub fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    &ctx.data_unchecked::<RequestData>().loaders
}

/// Where the request's reads run (see [`Reader`]): resolvers read through
/// it, never through the store's pool.
pub fn reader<'a>(ctx: &Context<'a>) -> &'a Reader {
    &loaders(ctx).reader
}

/// The request's caller.
pub fn principal<'a>(ctx: &Context<'a>) -> &'a Principal {
    &ctx.data_unchecked::<RequestData>().principal
}

/// What the caller may see.
pub fn visibility(ctx: &Context<'_>) -> Visibility {
    crate::service::visibility(principal(ctx))
}

/// The service.
pub fn service<'a>(ctx: &Context<'a>) -> &'a Service {
    ctx.data_unchecked::<Service>()
}

/// Validates a connection's paging arguments against the configured limits.
pub fn window(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> AppResult<PageWindow> {
    window_in(ctx, first, after, last, before, &[])
}

/// As [`window`], for a list ordered by `order` (its cursors hold the sort
/// key).
pub fn window_in(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
    order: &[crate::domain::OrderTerm],
) -> AppResult<PageWindow> {
    let limits = ctx.data_unchecked::<PageLimits>();
    PageArgs {
        first,
        after,
        last,
        before,
    }
    .window_in(limits.default_size, limits.max_size, order)
}

/// What a connection field costs in the complexity limit: its children once
/// per row it may return (`first` or `last`, else the default page size).
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let rows = first.or(last).unwrap_or(20).max(1) as usize;
    rows.saturating_mul(child_complexity).saturating_add(1)
}
