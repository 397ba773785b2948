//! The relation store: entities, relation types and the relations between
//! entities, with the indexes the read paths use.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Entities {
    Table,
    Id,
    Source,
    Space,
    Kind,
    /// `kind` for sources whose ids are unique per kind (Copper), `''` for
    /// sources whose ids are unique per space (Umbraco, Kanka): the unique
    /// key below then enforces each source's own id scope.
    KindScope,
    ExternalId,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RelationTypes {
    Table,
    Id,
    Source,
    Alias,
    Name,
    Bidirectional,
    Updatable,
    SystemManaged,
    BuiltIn,
    /// The contract (allowed pairs, limits, attribute rules) as JSON text.
    Contract,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Relations {
    Table,
    Id,
    TypeId,
    FromId,
    ToId,
    Label,
    Comment,
    Attitude,
    Colour,
    Pinned,
    IsPrivate,
    MirrorId,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Entities::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Entities::Id))
                    .col(string(Entities::Source))
                    .col(string(Entities::Space))
                    .col(string(Entities::Kind))
                    .col(string(Entities::KindScope))
                    .col(string(Entities::ExternalId))
                    .col(string_null(Entities::Name))
                    .col(timestamp_with_time_zone(Entities::CreatedAt))
                    .col(timestamp_with_time_zone(Entities::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_entities_key")
                    .table(Entities::Table)
                    .col(Entities::Source)
                    .col(Entities::Space)
                    .col(Entities::KindScope)
                    .col(Entities::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_entities_source_space_kind")
                    .table(Entities::Table)
                    .col(Entities::Source)
                    .col(Entities::Space)
                    .col(Entities::Kind)
                    .col(Entities::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RelationTypes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(RelationTypes::Id))
                    .col(string(RelationTypes::Source))
                    .col(string(RelationTypes::Alias))
                    .col(string(RelationTypes::Name))
                    .col(boolean(RelationTypes::Bidirectional))
                    .col(boolean(RelationTypes::Updatable))
                    .col(boolean(RelationTypes::SystemManaged))
                    .col(boolean(RelationTypes::BuiltIn))
                    .col(text(RelationTypes::Contract))
                    .col(timestamp_with_time_zone(RelationTypes::CreatedAt))
                    .col(timestamp_with_time_zone(RelationTypes::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ux_relation_types_alias", RelationTypes::Alias),
            ("ux_relation_types_name", RelationTypes::Name),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(RelationTypes::Table)
                        .col(RelationTypes::Source)
                        .col(col)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Relations::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Relations::Id))
                    .col(big_integer(Relations::TypeId))
                    .col(big_integer(Relations::FromId))
                    .col(big_integer(Relations::ToId))
                    .col(text_null(Relations::Label))
                    .col(text_null(Relations::Comment))
                    .col(integer_null(Relations::Attitude))
                    .col(string_null(Relations::Colour))
                    .col(boolean(Relations::Pinned).default(false))
                    .col(boolean(Relations::IsPrivate).default(false))
                    .col(big_integer_null(Relations::MirrorId))
                    .col(timestamp_with_time_zone(Relations::CreatedAt))
                    .col(timestamp_with_time_zone(Relations::UpdatedAt))
                    // A type with relations is deleted only by the service,
                    // which decides what happens to them first.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_relations_type")
                            .from(Relations::Table, Relations::TypeId)
                            .to(RelationTypes::Table, RelationTypes::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_relations_from")
                            .from(Relations::Table, Relations::FromId)
                            .to(Entities::Table, Entities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_relations_to")
                            .from(Relations::Table, Relations::ToId)
                            .to(Entities::Table, Entities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // Deleting one side of a two-way pair leaves the other
                    // side without a mirror rather than dangling.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_relations_mirror")
                            .from(Relations::Table, Relations::MirrorId)
                            .to(Relations::Table, Relations::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The three read paths: an entity's outgoing relations, its incoming
        // ones, and all relations of one type; `id` last so that keyset
        // pagination reads the index in order.
        for (name, first) in [
            ("ix_relations_from", Relations::FromId),
            ("ix_relations_to", Relations::ToId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Relations::Table)
                        .col(first)
                        .col(Relations::TypeId)
                        .col(Relations::Id)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_relations_type")
                    .table(Relations::Table)
                    .col(Relations::TypeId)
                    .col(Relations::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_relations_mirror")
                    .table(Relations::Table)
                    .col(Relations::MirrorId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Relations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RelationTypes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Entities::Table).to_owned())
            .await
    }
}
