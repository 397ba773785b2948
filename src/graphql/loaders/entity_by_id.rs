use std::collections::HashMap;

use super::Loader;
use crate::domain::Entity;
use crate::error::AppError;
use crate::read::{self, Reader};

/// Loads entities by row id, one statement per batch.
pub struct EntityByIdLoader(pub Reader);

impl Loader<i64> for EntityByIdLoader {
    type Value = Entity;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Entity>, AppError> {
        let rows = read::entities::by_ids(&self.0, keys).await?;
        Ok(rows.into_iter().map(|e| (e.id, e)).collect())
    }
}
