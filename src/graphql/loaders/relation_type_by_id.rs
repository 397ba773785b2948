use std::collections::HashMap;

use super::Loader;
use crate::domain::RelationType;
use crate::error::AppError;
use crate::read::Reader;
use crate::service::Service;

/// Loads relation types by row id as the compiled executor does
/// ([`Service::relation_types`]: built-in ones from the process's cache, the
/// others in one statement per batch).
pub struct RelationTypeByIdLoader(pub Reader, pub Service);

impl Loader<i64> for RelationTypeByIdLoader {
    type Value = RelationType;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, RelationType>, AppError> {
        let found = self.1.relation_types(&self.0, keys).await?;
        Ok(found
            .into_iter()
            .map(|(id, t)| (id, RelationType::clone(&t)))
            .collect())
    }
}
