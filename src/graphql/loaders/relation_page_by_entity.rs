use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::group_by_query;
use crate::domain::PageWindow;
use crate::domain::page::Page;
use crate::error::AppError;
use crate::store::pages::{Edge, EdgeFilter};
use crate::store::{self, Store};

/// The arguments of one `Entity.relations` field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EdgeQuery {
    /// Type, direction, far-end kind, visibility.
    pub filter: EdgeFilter,
    /// Which page.
    pub window: PageWindow,
}

/// Loads a page of `Entity.relations` for many entities: one statement per
/// distinct set of arguments (so one per query level).
pub struct RelationPageByEntityLoader(pub Store);

impl Loader<(i64, EdgeQuery)> for RelationPageByEntityLoader {
    type Value = Page<Edge>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[(i64, EdgeQuery)],
    ) -> Result<HashMap<(i64, EdgeQuery), Page<Edge>>, AppError> {
        let mut out = HashMap::with_capacity(keys.len());
        for (query, anchors) in group_by_query(keys) {
            let pages =
                store::pages::relation_pages(self.0.db(), &anchors, &query.filter, &query.window)
                    .await?;
            out.extend(pages.into_iter().map(|(a, p)| ((a, query.clone()), p)));
        }
        Ok(out)
    }
}
