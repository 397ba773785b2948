use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::Loader;
use crate::domain::{Entity, EntityShape};
use crate::error::AppError;
use crate::read::Reader;
use crate::read::level::{self, EntityCache, Held};

/// Loads entities by row id, each as its field shows it: per batch, one
/// statement for those the request does not hold as asked
/// ([`EntityCache`], as the compiled executor keeps them).
pub struct EntityByIdLoader(pub Reader, pub Mutex<EntityCache>);

impl EntityByIdLoader {
    /// A loader reading through `reader`, holding nothing yet.
    pub fn new(reader: Reader) -> Self {
        Self(reader, Mutex::new(EntityCache::default()))
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, EntityCache> {
        // Nothing panics while it is held: a poisoned lock is still usable.
        self.1.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Loader<(i64, EntityShape)> for EntityByIdLoader {
    type Value = Entity;

    async fn load(
        &self,
        keys: &[(i64, EntityShape)],
    ) -> Result<HashMap<(i64, EntityShape), Entity>, AppError> {
        let (ids, shape) = self.cache().missing(keys);
        let rows = level::entities_by_id(&self.0, &ids, shape).await?;
        let mut cache = self.cache();
        cache.keep(rows);
        Ok(keys
            .iter()
            .filter_map(|k| {
                let entity = match cache.get(k.0, k.1)? {
                    Held::Row(e) => Entity::clone(e),
                    Held::Named(name) => Entity::named(k.0, name.clone()),
                };
                Some((*k, entity))
            })
            .collect())
    }
}
