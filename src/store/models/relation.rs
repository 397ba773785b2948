//! `relations`: typed links between entities.

use sea_orm::entity::prelude::*;

/// A row of `relations`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "relations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub type_id: i64,
    pub from_id: i64,
    pub to_id: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub label: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub attitude: Option<i32>,
    pub colour: Option<String>,
    pub pinned: bool,
    pub is_private: bool,
    pub mirror_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for crate::domain::Relation {
    fn from(m: Model) -> Self {
        Self {
            id: m.id,
            type_id: m.type_id,
            from_id: m.from_id,
            to_id: m.to_id,
            attributes: crate::domain::RelationAttributes {
                label: m.label,
                comment: m.comment,
                attitude: m.attitude,
                colour: m.colour,
                pinned: m.pinned,
                is_private: m.is_private,
            },
            mirror_id: m.mirror_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl ActiveModel {
    /// Sets the attribute columns to `a`: the one place where the columns
    /// of `RelationAttributes::COLUMNS` are written.
    pub fn set_attributes(&mut self, a: &crate::domain::RelationAttributes) {
        use sea_orm::ActiveValue::Set;
        self.label = Set(a.label.clone());
        self.comment = Set(a.comment.clone());
        self.attitude = Set(a.attitude);
        self.colour = Set(a.colour.clone());
        self.pinned = Set(a.pinned);
        self.is_private = Set(a.is_private);
    }
}
