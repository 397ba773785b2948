//! Per-request dataloaders: every nested field resolves through these, so a
//! request runs one statement per level of its query, whatever the fan-out.
//!
//! They are built for each request ([`Loaders::with_reader`]) and dropped with it:
//! their caches never cross callers or roles, and the private-relation
//! visibility of the caller is baked in.

use std::collections::HashMap;

use crate::domain::{EntityKey, EntityShape, ListKey, Visibility};
use crate::error::AppResult;
use crate::read::Reader;
use crate::service::Service;

mod batch;
mod entity_by_id;
mod entity_by_key;
mod list_by_key;
mod relation_by_id;
mod relation_type_by_id;
mod relations_as_of_by_entity;

pub use batch::{BatchQueue, DataLoader, Driven, Loader};
pub use entity_by_id::EntityByIdLoader;
pub use entity_by_key::EntityByKeyLoader;
pub use list_by_key::ListByKeyLoader;
pub use relation_by_id::RelationByIdLoader;
pub use relation_type_by_id::RelationTypeByIdLoader;
pub use relations_as_of_by_entity::RelationsAsOfByEntityLoader;

/// The loaders of one request.
pub struct Loaders {
    /// Entities by row id, each read as its field shows it.
    pub entity: DataLoader<(i64, EntityShape), EntityByIdLoader>,
    /// Entities by natural key (`Query.entity`).
    pub entity_by_key: DataLoader<EntityKey, EntityByKeyLoader>,
    /// Relations by row id (visible ones only).
    pub relation: DataLoader<i64, RelationByIdLoader>,
    /// Relation types by row id.
    pub relation_type: DataLoader<i64, RelationTypeByIdLoader>,
    /// The pages and counts of `Entity.relations`, `Entity.related` and
    /// `Query.entities`.
    pub lists: DataLoader<ListKey, ListByKeyLoader>,
    /// Entities' relations as they stood at a moment (`asOf`).
    pub relations_as_of:
        DataLoader<(i64, chrono::DateTime<chrono::Utc>), RelationsAsOfByEntityLoader>,
    /// Where the loaders queue their batches; the request must be run with
    /// [`BatchQueue::drive`], or loads never complete.
    pub queue: BatchQueue,
    /// The request's reads, which the loaders run through: the request's
    /// other reads should too (see [`Reader`]).
    pub reader: Reader,
}

impl Loaders {
    /// Fresh loaders for one request by a caller who sees `visibility`,
    /// reading through `reader` (and `service`'s cache of built-in types),
    /// whose batches go to `queue` (shared by the operations of one batched
    /// HTTP request, which run together).
    pub fn with_reader(
        reader: Reader,
        service: &Service,
        visibility: Visibility,
        queue: BatchQueue,
    ) -> Self {
        let s = || reader.clone();
        // The queue starts a batch once the request's resolvers are all
        // waiting (see `batch`).
        macro_rules! loader {
            ($l:expr) => {
                DataLoader::new($l, &queue)
            };
        }
        // The lists and entities of a level are read as the compiled
        // executor reads them: lists per level (see
        // `DataLoader::per_level`), entities through the loader's own
        // cache, which holds each with the widest shape it was read with.
        Self {
            entity: DataLoader::per_level(EntityByIdLoader::new(s()), &queue),
            entity_by_key: DataLoader::per_level(EntityByKeyLoader(s()), &queue),
            relation: loader!(RelationByIdLoader(s(), visibility)),
            relation_type: loader!(RelationTypeByIdLoader(s(), service.clone())),
            lists: DataLoader::per_level(ListByKeyLoader(s()), &queue),
            relations_as_of: loader!(RelationsAsOfByEntityLoader(s())),
            queue,
            reader,
        }
    }
}

/// Loads `(anchor, query)` keys with one call of `load` per distinct query
/// (so one statement per query level): `load` gets the query and its
/// anchors, and returns a value per anchor.
async fn by_query<Q, V, Fut>(
    keys: &[(i64, Q)],
    load: impl Fn(Q, Vec<i64>) -> Fut,
) -> AppResult<HashMap<(i64, Q), V>>
where
    Q: Clone + Eq + std::hash::Hash,
    Fut: std::future::Future<Output = AppResult<HashMap<i64, V>>>,
{
    let mut groups: Vec<(Q, Vec<i64>)> = Vec::new();
    for (anchor, query) in keys {
        match groups.iter_mut().find(|(q, _)| q == query) {
            Some((_, anchors)) => anchors.push(*anchor),
            None => groups.push((query.clone(), vec![*anchor])),
        }
    }
    let mut out = HashMap::with_capacity(keys.len());
    for (query, anchors) in groups {
        let values = load(query.clone(), anchors).await?;
        out.extend(values.into_iter().map(|(a, v)| ((a, query.clone()), v)));
    }
    Ok(out)
}
