//! `relation_types`: named contracts.

use sea_orm::entity::prelude::*;

use crate::error::{AppError, AppResult};

/// A row of `relation_types`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "relation_types")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source: String,
    pub alias: String,
    pub name: String,
    pub bidirectional: bool,
    pub updatable: bool,
    pub system_managed: bool,
    pub built_in: bool,
    /// [`crate::domain::Contract`] as JSON.
    #[sea_orm(column_type = "Text")]
    pub contract: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for crate::domain::RelationType {
    type Error = AppError;

    fn try_from(m: Model) -> AppResult<Self> {
        let contract = serde_json::from_str(&m.contract).map_err(AppError::internal)?;
        Ok(Self {
            id: m.id,
            source: m.source,
            alias: m.alias,
            name: m.name,
            bidirectional: m.bidirectional,
            updatable: m.updatable,
            system_managed: m.system_managed,
            built_in: m.built_in,
            contract,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}
