use std::collections::HashMap;

use super::Loader;
use super::by_query;
use crate::domain::PageWindow;
use crate::domain::page::Page;
use crate::domain::{Edge, EdgeColumns, EdgeFilter};
use crate::error::AppError;
use crate::read::{self, Reader};

/// The arguments of one `Entity.relations` field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EdgeQuery {
    /// Type, direction, far-end kind, visibility.
    pub filter: EdgeFilter,
    /// Which page.
    pub window: PageWindow,
    /// Whether `totalCount` is asked for too: then the page statement counts
    /// the list (when the window has no cursor), and `totalCount` reads the
    /// page's `total` instead of running its own statement.
    pub with_total: bool,
}

/// Loads a page of `Entity.relations` for many entities: one statement per
/// distinct set of arguments (so one per query level).
pub struct RelationPageByEntityLoader(pub Reader);

impl Loader<(i64, EdgeQuery)> for RelationPageByEntityLoader {
    type Value = Page<Edge>;

    async fn load(
        &self,
        keys: &[(i64, EdgeQuery)],
    ) -> Result<HashMap<(i64, EdgeQuery), Page<Edge>>, AppError> {
        by_query(keys, |query, anchors| async move {
            let (filter, window) = (&query.filter, &query.window);
            let columns = EdgeColumns::ALL;
            read::pages::relation_pages(
                &self.0,
                &anchors,
                filter,
                window,
                query.with_total,
                columns,
            )
            .await
        })
        .await
    }
}
