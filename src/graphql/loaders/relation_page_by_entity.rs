use std::collections::HashMap;

use super::by_query;
use super::{DataLoader, Loader, RelationTypeByIdLoader};
use crate::domain::PageWindow;
use crate::domain::page::Page;
use crate::error::AppError;
use crate::store::pages::{Edge, EdgeFilter};
use crate::store::{self, Reader};

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
    /// Whether the edges' `type` is asked for: then the page statement reads
    /// the types too, and hands them to the type loader.
    pub with_types: bool,
}

/// Loads a page of `Entity.relations` for many entities: one statement per
/// distinct set of arguments (so one per query level). The relation types
/// that come with a page go to the type loader.
pub struct RelationPageByEntityLoader(pub Reader, pub DataLoader<i64, RelationTypeByIdLoader>);

impl Loader<(i64, EdgeQuery)> for RelationPageByEntityLoader {
    type Value = Page<Edge>;

    async fn load(
        &self,
        keys: &[(i64, EdgeQuery)],
    ) -> Result<HashMap<(i64, EdgeQuery), Page<Edge>>, AppError> {
        by_query(keys, |query, anchors| async move {
            let (filter, window) = (&query.filter, &query.window);
            let (pages, types) = store::pages::relation_pages(
                &self.0,
                &anchors,
                filter,
                window,
                query.with_total,
                query.with_types,
            )
            .await?;
            for ty in types {
                self.1.prime(ty.id, ty);
            }
            Ok(pages)
        })
        .await
    }
}
