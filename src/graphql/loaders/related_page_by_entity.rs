use std::collections::HashMap;

use super::Loader;
use super::{EdgeQuery, by_query};
use crate::domain::RelatedRow;
use crate::domain::page::Page;
use crate::error::AppError;
use crate::read::{self, Reader};

/// Loads a page of `Entity.related` for many entities, one statement per
/// distinct set of arguments.
pub struct RelatedPageByEntityLoader(pub Reader);

impl Loader<(i64, EdgeQuery)> for RelatedPageByEntityLoader {
    type Value = Page<RelatedRow>;

    async fn load(
        &self,
        keys: &[(i64, EdgeQuery)],
    ) -> Result<HashMap<(i64, EdgeQuery), Page<RelatedRow>>, AppError> {
        by_query(keys, |query, anchors| async move {
            let (filter, window) = (&query.filter, &query.window);
            read::pages::related_pages(&self.0, &anchors, filter, window, query.with_total).await
        })
        .await
    }
}
