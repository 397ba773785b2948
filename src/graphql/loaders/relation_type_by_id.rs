use std::collections::HashMap;

use super::Loader;
use crate::domain::RelationType;
use crate::error::AppError;
use crate::store::{self, Reader};

/// Loads relation types by row id, one statement per batch.
pub struct RelationTypeByIdLoader(pub Reader);

impl Loader<i64> for RelationTypeByIdLoader {
    type Value = RelationType;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, RelationType>, AppError> {
        let rows = store::relation_types::by_ids(&self.0, keys).await?;
        Ok(rows.into_iter().map(|t| (t.id, t)).collect())
    }
}
