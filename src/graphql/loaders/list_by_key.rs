use std::collections::HashMap;

use super::Loader;
use crate::domain::ListKey;
use crate::error::AppError;
use crate::read::Reader;
use crate::read::level::{self, Listed};

/// Loads the lists of a level (pages and counts of `Entity.relations`,
/// `Entity.related` and `Query.entities`) with [`level::lists`], which
/// decides the statements exactly as for the compiled executor.
pub struct ListByKeyLoader(pub Reader);

impl Loader<ListKey> for ListByKeyLoader {
    type Value = Listed;

    async fn load(&self, keys: &[ListKey]) -> Result<HashMap<ListKey, Listed>, AppError> {
        let listed = level::lists(&self.0, keys).await?;
        Ok(keys.iter().cloned().zip(listed).collect())
    }
}
