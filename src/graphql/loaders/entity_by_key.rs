use std::collections::HashMap;

use super::Loader;
use crate::domain::{Entity, EntityKey};
use crate::error::AppError;
use crate::read::{Reader, level};

/// Loads entities by natural key (`Query.entity`): one statement per
/// distinct key of a batch ([`level::entities_by_key`]), as the compiled
/// executor reads its root fields.
pub struct EntityByKeyLoader(pub Reader);

impl Loader<EntityKey> for EntityByKeyLoader {
    type Value = Entity;

    async fn load(&self, keys: &[EntityKey]) -> Result<HashMap<EntityKey, Entity>, AppError> {
        let found = level::entities_by_key(&self.0, keys).await?;
        Ok(keys
            .iter()
            .cloned()
            .zip(found)
            .filter_map(|(k, e)| e.map(|e| (k, e)))
            .collect())
    }
}
