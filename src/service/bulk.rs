//! Writes at scale for `relgate demo seed --entities N --relations M`: rows
//! whose ids the caller chose, many to a statement, each call one
//! transaction of the service's runner. The caller guarantees the rules
//! (the seeder builds only allowed pairs within the limits); nothing here
//! checks them row by row.

use super::Service;
use crate::auth::Principal;
use crate::domain::Origin;
use crate::error::AppResult;
use crate::store::{self, bulk};

pub use crate::store::bulk::{NewEntityRow, NewRelationRow};

impl Service {
    /// The first free entity and relation row ids.
    pub async fn bulk_next_ids(&self) -> AppResult<(i64, i64)> {
        bulk::next_ids(&store::Reader::new(&self.store)).await
    }

    /// Inserts `rows`, in one statement.
    pub async fn bulk_insert_entities(&self, rows: &[NewEntityRow]) -> AppResult<()> {
        self.write(&seeder(), |txn| {
            let rows = rows.to_vec();
            Box::pin(async move {
                bulk::insert_entities(txn, &rows)
                    .await
                    .map(|()| ((), vec![]))
            })
        })
        .await
    }

    /// Inserts `rows`, in one statement (a two-way pair may be in it, each
    /// pointing at the other).
    pub async fn bulk_insert_relations(&self, rows: &[NewRelationRow]) -> AppResult<()> {
        self.write(&seeder(), |txn| {
            let rows = rows.to_vec();
            Box::pin(async move {
                bulk::insert_relations(txn, &rows)
                    .await
                    .map(|()| ((), vec![]))
            })
        })
        .await
    }

    /// Ends a bulk load whose relations start at row `first_relation`: the
    /// id sequences move past the ids used, and the new relations are
    /// journaled (origin `SEED`).
    pub async fn bulk_finish(&self, first_relation: i64) -> AppResult<()> {
        self.write(&seeder(), |txn| {
            Box::pin(async move {
                bulk::after_explicit_ids(txn).await?;
                bulk::record_created(txn, first_relation).await?;
                Ok(((), vec![]))
            })
        })
        .await
    }
}

fn seeder() -> Principal {
    Principal::open_mode().via(Origin::Seed, None)
}
