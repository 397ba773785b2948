use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::{EdgeQuery, group_by_query};
use crate::domain::page::Page;
use crate::error::AppError;
use crate::store::pages::RelatedRow;
use crate::store::{self, Store};

/// Loads a page of `Entity.related` for many entities, one statement per
/// distinct set of arguments.
pub struct RelatedPageByEntityLoader(pub Store);

impl Loader<(i64, EdgeQuery)> for RelatedPageByEntityLoader {
    type Value = Page<RelatedRow>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[(i64, EdgeQuery)],
    ) -> Result<HashMap<(i64, EdgeQuery), Page<RelatedRow>>, AppError> {
        let mut out = HashMap::with_capacity(keys.len());
        for (query, anchors) in group_by_query(keys) {
            let pages =
                store::pages::related_pages(self.0.db(), &anchors, &query.filter, &query.window)
                    .await?;
            out.extend(pages.into_iter().map(|(a, p)| ((a, query.clone()), p)));
        }
        Ok(out)
    }
}
