//! `journal_state`: how far the journal has been pruned (`--event-retention`).
//! One row; a cursor at or below `pruned_txid`/`pruned_id` names events that
//! are gone, and is refused.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JournalState {
    Table,
    Id,
    /// The greatest (txid, id) of a pruned event.
    PrunedTxid,
    PrunedId,
    /// Events before this time were pruned (but for each live relation's
    /// latest state).
    PrunedBefore,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JournalState::Table)
                    .if_not_exists()
                    .col(integer(JournalState::Id).primary_key())
                    .col(big_integer(JournalState::PrunedTxid).default(0))
                    .col(big_integer(JournalState::PrunedId).default(0))
                    .col(timestamp_with_time_zone_null(JournalState::PrunedBefore))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(JournalState::Table)
                    .columns([JournalState::Id])
                    .values_panic([1.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JournalState::Table).to_owned())
            .await
    }
}
