//! Per-request dataloaders: every nested field resolves through these, so a
//! request runs one statement per level of its query, whatever the fan-out.
//!
//! They are built for each request ([`Loaders::new`]) and dropped with it:
//! their caches never cross callers or roles, and the private-relation
//! visibility of the caller is baked in.

use std::time::Duration;

use async_graphql::dataloader::DataLoader;

use crate::store::{Store, Visibility};

mod batch;
mod entity_by_id;
mod related_count_by_entity;
mod related_page_by_entity;
mod relation_by_id;
mod relation_count_by_entity;
mod relation_page_by_entity;
mod relation_type_by_id;

pub use batch::{BatchQueue, Driven};
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
    /// Where the loaders queue their batches; the request must be run with
    /// [`BatchQueue::drive`], or loads never complete.
    pub queue: BatchQueue,
}

impl Loaders {
    /// Fresh loaders for one request by a caller who sees `visibility`.
    pub fn new(store: &Store, visibility: Visibility) -> Self {
        Self::with_queue(store, visibility, BatchQueue::default())
    }

    /// Fresh loaders whose batches go to `queue` (shared by the operations
    /// of one batched HTTP request, which run together).
    pub fn with_queue(store: &Store, visibility: Visibility, queue: BatchQueue) -> Self {
        let s = || store.clone();
        // No delay: the queue starts a batch only once the request's
        // resolvers are all waiting (see `batch`).
        macro_rules! loader {
            ($l:expr) => {
                DataLoader::new($l, queue.spawner()).delay(Duration::ZERO)
            };
        }
        Self {
            entity: loader!(EntityByIdLoader(s())),
            relation: loader!(RelationByIdLoader(s(), visibility)),
            relation_type: loader!(RelationTypeByIdLoader(s())),
            relation_page: loader!(RelationPageByEntityLoader(s())),
            relation_count: loader!(RelationCountByEntityLoader(s())),
            related_page: loader!(RelatedPageByEntityLoader(s())),
            related_count: loader!(RelatedCountByEntityLoader(s())),
            queue,
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
