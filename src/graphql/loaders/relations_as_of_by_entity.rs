use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Loader, by_query};
use crate::error::AppError;
use crate::read::Reader;
use crate::read::events::{self, PastRelation};

/// Loads entities' relations as they stood at a moment (`asOf`), from the
/// journal: two statements per distinct moment in a batch.
pub struct RelationsAsOfByEntityLoader(pub Reader);

impl Loader<(i64, DateTime<Utc>)> for RelationsAsOfByEntityLoader {
    type Value = Vec<PastRelation>;

    async fn load(
        &self,
        keys: &[(i64, DateTime<Utc>)],
    ) -> Result<HashMap<(i64, DateTime<Utc>), Vec<PastRelation>>, AppError> {
        by_query(keys, |at, anchors| async move {
            events::relations_as_of(&self.0, &anchors, at).await
        })
        .await
    }
}
