use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::group_by_query;
use crate::error::AppError;
use crate::store::pages::EdgeFilter;
use crate::store::{self, Store};

/// Loads `Entity.relations.totalCount` for many entities, one statement per
/// distinct filter.
pub struct RelationCountByEntityLoader(pub Store);

impl Loader<(i64, EdgeFilter)> for RelationCountByEntityLoader {
    type Value = u64;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[(i64, EdgeFilter)],
    ) -> Result<HashMap<(i64, EdgeFilter), u64>, AppError> {
        let mut out = HashMap::with_capacity(keys.len());
        for (filter, anchors) in group_by_query(keys) {
            let counts = store::pages::relation_counts(self.0.db(), &anchors, &filter).await?;
            out.extend(counts.into_iter().map(|(a, n)| ((a, filter.clone()), n)));
        }
        Ok(out)
    }
}
