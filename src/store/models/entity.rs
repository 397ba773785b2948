//! `entities`: records of the source systems.

use sea_orm::entity::prelude::*;

/// A row of `entities`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "entities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source: String,
    pub space: String,
    pub kind: String,
    /// See the migration: enforces each source's id scope in the unique key.
    pub kind_scope: String,
    pub external_id: String,
    pub name: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for crate::domain::Entity {
    fn from(m: Model) -> Self {
        Self {
            id: m.id,
            source: m.source,
            space: m.space,
            kind: m.kind,
            external_id: m.external_id,
            name: m.name,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}
