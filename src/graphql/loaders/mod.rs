//! Per-request dataloaders: every nested field resolves through these, so a
//! request runs one statement per level of its query, whatever the fan-out.
//!
//! They are built for each request ([`Loaders::new`]) and dropped with it:
//! their caches never cross callers or roles, and the private-relation
//! visibility of the caller is baked in.

use async_graphql::dataloader::DataLoader;

use crate::store::{Store, Visibility};

mod entity_by_id;
mod related_count_by_entity;
mod related_page_by_entity;
mod relation_by_id;
mod relation_count_by_entity;
mod relation_page_by_entity;
mod relation_type_by_id;

pub use entity_by_id::EntityByIdLoader;
pub use related_count_by_entity::RelatedCountByEntityLoader;
pub use related_page_by_entity::RelatedPageByEntityLoader;
pub use relation_by_id::RelationByIdLoader;
pub use relation_count_by_entity::RelationCountByEntityLoader;
pub use relation_page_by_entity::{EdgeQuery, RelationPageByEntityLoader};
pub use relation_type_by_id::RelationTypeByIdLoader;

/// The loaders of one request.
pub struct Loaders {
    /// Entities by row id.
    pub entity: DataLoader<EntityByIdLoader>,
    /// Relations by row id (visible ones only).
    pub relation: DataLoader<RelationByIdLoader>,
    /// Relation types by row id.
    pub relation_type: DataLoader<RelationTypeByIdLoader>,
    /// Pages of `Entity.relations`.
    pub relation_page: DataLoader<RelationPageByEntityLoader>,
    /// `Entity.relations.totalCount`.
    pub relation_count: DataLoader<RelationCountByEntityLoader>,
    /// Pages of `Entity.related`.
    pub related_page: DataLoader<RelatedPageByEntityLoader>,
    /// `Entity.related.totalCount`.
    pub related_count: DataLoader<RelatedCountByEntityLoader>,
}

impl Loaders {
    /// Fresh loaders for one request by a caller who sees `visibility`.
    pub fn new(store: &Store, visibility: Visibility) -> Self {
        let s = || store.clone();
        Self {
            entity: DataLoader::new(EntityByIdLoader(s()), tokio::spawn),
            relation: DataLoader::new(RelationByIdLoader(s(), visibility), tokio::spawn),
            relation_type: DataLoader::new(RelationTypeByIdLoader(s()), tokio::spawn),
            relation_page: DataLoader::new(RelationPageByEntityLoader(s()), tokio::spawn),
            relation_count: DataLoader::new(RelationCountByEntityLoader(s()), tokio::spawn),
            related_page: DataLoader::new(RelatedPageByEntityLoader(s()), tokio::spawn),
            related_count: DataLoader::new(RelatedCountByEntityLoader(s()), tokio::spawn),
        }
    }
}

/// Groups `(anchor, query)` keys by query, keeping the anchors of each.
fn group_by_query<Q: Clone + Eq + std::hash::Hash>(keys: &[(i64, Q)]) -> Vec<(Q, Vec<i64>)> {
    let mut groups: Vec<(Q, Vec<i64>)> = Vec::new();
    for (anchor, query) in keys {
        match groups.iter_mut().find(|(q, _)| q == query) {
            Some((_, anchors)) => anchors.push(*anchor),
            None => groups.push((query.clone(), vec![*anchor])),
        }
    }
    groups
}
