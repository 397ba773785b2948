use std::collections::HashMap;

use super::Loader;
use crate::domain::{Entity, EntityShape};
use crate::error::AppError;
use crate::read::{Reader, level};

/// Loads entities by row id, each as its field shows it
/// ([`level::entities`]): one statement per batch.
pub struct EntityByIdLoader(pub Reader);

impl Loader<(i64, EntityShape)> for EntityByIdLoader {
    type Value = Entity;

    async fn load(
        &self,
        keys: &[(i64, EntityShape)],
    ) -> Result<HashMap<(i64, EntityShape), Entity>, AppError> {
        let rows = level::entities(&self.0, keys).await?;
        Ok(rows
            .into_iter()
            .map(|(k, e)| (k, std::sync::Arc::unwrap_or_clone(e)))
            .collect())
    }
}
