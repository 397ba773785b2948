use std::collections::HashMap;

use super::Loader;
use crate::domain::Relation;
use crate::domain::Visibility;
use crate::error::AppError;
use crate::read::{self, Reader};

/// Loads the relations the caller may see by row id, one statement per batch.
pub struct RelationByIdLoader(pub Reader, pub Visibility);

impl Loader<i64> for RelationByIdLoader {
    type Value = Relation;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Relation>, AppError> {
        let rows = read::relations::by_ids(&self.0, keys, self.1).await?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}
