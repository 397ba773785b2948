//! Traversals: `Entity.neighbourhood` and `Query.paths` (the statements are
//! `store::traversal`'s; a level's neighbourhoods are one statement, read
//! through the request's list loader like every other list).

use std::sync::Arc;

use async_graphql::{Context, ID, Object};

use super::connection::PageInfo;
use super::entity::{DirectionGql, EntityObject, load_entity};
use super::relation::RelationObject;
use crate::domain::page::Page;
use crate::domain::{
    Cursor, GlobalId, ListKey, NodeType, PageWindow, PathRow, Reached, WalkFilter,
};
use crate::error::AppError;
use crate::graphql::context::{self, PageLimits, loaders};
use crate::graphql::errors::GqlResult;
use crate::read::level::Listed;

/// Deepest `Entity.neighbourhood`.
pub const MAX_NEIGHBOURHOOD_DEPTH: i32 = 4;
/// Longest path `Query.paths` looks for.
pub const MAX_PATH_DEPTH: i32 = 6;
/// Most paths `Query.paths` returns.
pub const MAX_PATHS: i32 = 20;

/// What a traversal costs in the complexity limit: its rows' children, as
/// any list's (`page_cost`), plus 4 to the power of its hops (a walk's
/// fan-out grows with each hop; its rows are bounded by
/// `--max-traversal-rows` on top).
pub fn traversal_cost(first: Option<i32>, depth: Option<i32>, child_complexity: usize) -> usize {
    let hops = depth.unwrap_or(1).clamp(1, MAX_PATH_DEPTH) as u32;
    context::page_cost(first, None, child_complexity).saturating_add(4usize.saturating_pow(hops))
}

/// The relations a walk takes, from a traversal's arguments.
pub fn walk(
    ctx: &Context<'_>,
    depth: i32,
    (types, kinds, direction): (
        Option<Vec<String>>,
        Option<Vec<String>>,
        Option<DirectionGql>,
    ),
) -> WalkFilter {
    WalkFilter {
        types: types.unwrap_or_default(),
        kinds: kinds.unwrap_or_default(),
        direction: direction.unwrap_or(DirectionGql::Both).into(),
        visibility: context::visibility(ctx),
        depth: depth.max(0) as u32,
        max_rows: ctx.data_unchecked::<PageLimits>().max_traversal_rows,
    }
}

/// A `depth` within `1..=max`, or `BAD_USER_INPUT` naming `argument`.
pub fn hops(depth: i32, max: i32, argument: &str) -> Result<i32, AppError> {
    if (1..=max).contains(&depth) {
        Ok(depth)
    } else {
        Err(AppError::bad_input(format!(
            "{argument} must be between 1 and {max}"
        )))
    }
}

/// The entities within some hops of an entity.
pub struct NeighbourhoodConnection {
    /// The entity.
    pub anchor: i64,
    /// The walk.
    pub walk: WalkFilter,
    /// The page.
    pub window: PageWindow,
}

impl NeighbourhoodConnection {
    async fn page(&self, ctx: &Context<'_>) -> GqlResult<Arc<Page<Reached>>> {
        let key = ListKey::Neighbourhood {
            anchor: self.anchor,
            walk: self.walk.clone(),
            window: self.window.clone(),
        };
        let listed = loaders(ctx).lists.load_one(key).await?;
        match listed.as_deref() {
            Some(Listed::Neighbourhood(page)) => Ok(page.clone()),
            _ => Err(AppError::internal(std::io::Error::other(
                "a neighbourhood read to another list",
            ))
            .into()),
        }
    }
}

/// The entities within some hops of an entity, nearest first.
#[Object]
impl NeighbourhoodConnection {
    /// The entities of this page, each once.
    async fn edges(&self, ctx: &Context<'_>) -> GqlResult<Vec<NeighbourEdge>> {
        Ok(self
            .page(ctx)
            .await?
            .items
            .iter()
            .map(|r| NeighbourEdge(*r))
            .collect())
    }

    /// Where this page sits in the list.
    async fn page_info(&self, ctx: &Context<'_>) -> GqlResult<PageInfo> {
        Ok(PageInfo::of(&*self.page(ctx).await?, |r| {
            Reached::key(r.distance, r.entity_id)
        }))
    }

    /// How many entities the walk reaches, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> GqlResult<u64> {
        Ok(self.page(ctx).await?.total.unwrap_or(0))
    }
}

/// An entity a neighbourhood reaches.
pub struct NeighbourEdge(Reached);

/// An entity a neighbourhood reaches.
#[Object]
impl NeighbourEdge {
    /// Cursor of this edge, for `after` and `before`.
    async fn cursor(&self) -> String {
        Cursor(Reached::key(self.0.distance, self.0.entity_id)).encode()
    }

    /// The entity.
    async fn node(&self, ctx: &Context<'_>) -> GqlResult<EntityObject> {
        load_entity(ctx, self.0.entity_id).await
    }

    /// How many hops it is from the entity the walk started at.
    async fn distance(&self) -> u32 {
        self.0.distance
    }

    /// The relation it was first reached by (on a shortest walk): its
    /// other end is one hop nearer.
    async fn via(&self, ctx: &Context<'_>) -> GqlResult<RelationObject> {
        load_relation(ctx, self.0.via).await
    }
}

/// Relation `id` through the request's loader; `NOT_FOUND` if it is gone.
async fn load_relation(ctx: &Context<'_>, id: i64) -> GqlResult<RelationObject> {
    loaders(ctx)
        .relation
        .load_one(id)
        .await?
        .map(RelationObject)
        .ok_or_else(|| AppError::not_found(format!("no relation with id {id}")).into())
}

/// A path between two entities.
pub struct PathObject(pub PathRow);

/// A path between two entities: the relations taken, one step each.
#[Object(name = "Path")]
impl PathObject {
    /// How many relations it takes.
    async fn length(&self) -> usize {
        self.0.relations.len()
    }

    /// Its steps, from the start.
    async fn steps(&self) -> Vec<PathStep> {
        self.0
            .relations
            .iter()
            .zip(&self.0.entities)
            .map(|(r, e)| PathStep {
                relation: *r,
                entity: *e,
            })
            .collect()
    }
}

/// One step of a path.
pub struct PathStep {
    relation: i64,
    entity: i64,
}

/// One step of a path: a relation, and the entity it leads to.
#[Object]
impl PathStep {
    /// The relation taken (either way round, as the walk's direction allows).
    async fn relation(&self, ctx: &Context<'_>) -> GqlResult<RelationObject> {
        load_relation(ctx, self.relation).await
    }

    /// The entity it leads to.
    async fn entity(&self, ctx: &Context<'_>) -> GqlResult<EntityObject> {
        load_entity(ctx, self.entity).await
    }
}

/// `Query.paths`: the paths from `from_id` to `to_id` (global ids).
pub async fn paths(
    ctx: &Context<'_>,
    (from_id, to_id): (ID, ID),
    walk: WalkFilter,
    first: i32,
) -> GqlResult<Vec<PathObject>> {
    let from = GlobalId::decode_as(&from_id, NodeType::Entity, "fromId")?;
    let to = GlobalId::decode_as(&to_id, NodeType::Entity, "toId")?;
    let rows = crate::read::traversal::paths(context::reader(ctx), from, to, &walk, first as usize)
        .await?;
    Ok(rows.into_iter().map(PathObject).collect())
}
