use std::collections::HashMap;

use super::Loader;
use super::by_query;
use crate::domain::EdgeFilter;
use crate::error::AppError;
use crate::read::{self, Reader};

/// Loads `Entity.related.totalCount` for many entities, one statement per
/// distinct filter.
pub struct RelatedCountByEntityLoader(pub Reader);

impl Loader<(i64, EdgeFilter)> for RelatedCountByEntityLoader {
    type Value = u64;

    async fn load(
        &self,
        keys: &[(i64, EdgeFilter)],
    ) -> Result<HashMap<(i64, EdgeFilter), u64>, AppError> {
        by_query(keys, |filter, anchors| async move {
            read::pages::related_counts(&self.0, &anchors, &filter).await
        })
        .await
    }
}
