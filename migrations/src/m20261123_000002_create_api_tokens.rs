//! API tokens: only a hash of each secret is stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    /// The public part of a token (`rg_<key_id>.<secret>`), to find its row.
    KeyId,
    Name,
    /// `read`, `write` or `admin`.
    Role,
    /// Bound to the token for dialects that name a user (Copper's
    /// `X-PW-UserEmail`).
    Email,
    /// SHA-256 of the secret, hex.
    SecretHash,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ApiTokens::Id))
                    .col(string_uniq(ApiTokens::KeyId))
                    .col(string_uniq(ApiTokens::Name))
                    .col(string(ApiTokens::Role))
                    .col(string_null(ApiTokens::Email))
                    .col(string(ApiTokens::SecretHash))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiTokens::Table).to_owned())
            .await
    }
}
