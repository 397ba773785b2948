//! Indexes for the filters and orders of relation lists (`filter:`,
//! `orderBy:`): an entity's relations by pinned flag and attitude, from
//! either end (a filter on `pinned` reads only its rows, and an attitude
//! range within them is an index range), and all relations by their last
//! update (`Query.relations(orderBy: UPDATED)`). `id` last, as the lists'
//! tie-breaker.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Relations {
    Table,
    Id,
    FromId,
    ToId,
    Pinned,
    Attitude,
    UpdatedAt,
}

/// (name, columns) of each index.
fn indexes() -> [(&'static str, Vec<Relations>); 3] {
    [
        (
            "ix_relations_from_pinned_attitude",
            vec![
                Relations::FromId,
                Relations::Pinned,
                Relations::Attitude,
                Relations::Id,
            ],
        ),
        (
            "ix_relations_to_pinned_attitude",
            vec![
                Relations::ToId,
                Relations::Pinned,
                Relations::Attitude,
                Relations::Id,
            ],
        ),
        (
            "ix_relations_updated",
            vec![Relations::UpdatedAt, Relations::Id],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, cols) in indexes() {
            let mut index = Index::create();
            index.name(name).table(Relations::Table).if_not_exists();
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in indexes() {
            manager
                .drop_index(Index::drop().name(name).table(Relations::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
