//! `Entity` and the connections that list entities or start from one.

use std::sync::Arc;

use super::scalars::DateTime;
use async_graphql::{Context, Enum, ID, InputObject, Object};

use super::connection::PageInfo;
use super::event::{EventConnection, EventWindow};
use super::filters::{self, EdgeFilterInput, RelationOrderInput};
use super::relation::RelationObject;
use super::traversal;
use crate::domain::page::Page;
use crate::domain::{Cursor, Entity, GlobalId, NodeType, OrderTerm, PageWindow};
use crate::error::AppError;
use crate::graphql::context::{self, loaders, page_cost};
use crate::graphql::errors::GqlResult;
use crate::graphql::shape;
use crate::read::level::Listed;

use crate::domain::{
    Edge, EdgeFilter, EdgeShape, EntityFilter, EntityShape, ListKey, RelatedRow, Relation,
};

/// Which way a relation points, seen from one entity.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "Direction", remote = "crate::domain::Direction")]
pub enum DirectionGql {
    /// Relations this entity is the `from` end of, plus every relation of a
    /// bidirectional type.
    Outgoing,
    /// Relations this entity is the `to` end of, plus every relation of a
    /// bidirectional type.
    Incoming,
    /// All relations of this entity. As an edge's `direction`: the relation's
    /// type is bidirectional, so it reads the same from both ends.
    Both,
}

/// A record in a source system (a Copper person, an Umbraco document, a Kanka
/// character...) that relations connect.
pub struct EntityObject(pub Arc<Entity>);

/// Loads entity `id` through the request's loader, as the current field
/// (whose value it is) shows it; `NOT_FOUND` if it is gone.
pub async fn load_entity(ctx: &Context<'_>, id: i64) -> GqlResult<EntityObject> {
    loaders(ctx)
        .entity
        .load_one((id, shape::entity(ctx)))
        .await?
        .map(EntityObject)
        .ok_or_else(|| AppError::not_found(format!("no entity with id {id}")).into())
}

/// A record in a source system (a Copper person, an Umbraco document, a Kanka
/// character...) that relations connect.
#[Object(name = "Entity")]
impl EntityObject {
    /// Opaque global id (see `Query.node`).
    pub async fn id(&self) -> ID {
        ID(GlobalId::new(NodeType::Entity, self.0.id).encode())
    }

    /// The source system: `copper`, `umbraco`, `kanka`, or a custom source.
    async fn source(&self) -> &str {
        &self.0.source
    }

    /// The tenant within the source: a Copper account, an Umbraco project
    /// alias, a Kanka campaign id; `default` when the source has none.
    async fn space(&self) -> &str {
        &self.0.space
    }

    /// The record's kind in its source: `person`, `document`, `character`...
    async fn kind(&self) -> &str {
        &self.0.kind
    }

    /// The source's own id: a Copper or Kanka integer, an Umbraco GUID.
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }

    /// Display name, if known.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    /// When relgate first stored this entity.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When this entity last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }

    /// This entity's events in the journal, oldest first: its creation and
    /// renames, and every change to a relation it is an end of (private
    /// ones for admins only).
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n events (after `after`).")] first: Option<i32>,
        #[graphql(desc = "Return events after this cursor.")] after: Option<String>,
    ) -> GqlResult<EventConnection> {
        let window = EventWindow::new(ctx, first, after)?;
        let filter = crate::domain::EventFilter {
            entity_id: Some(self.0.id),
            ..Default::default()
        };
        Ok(EventConnection::new(
            filter,
            context::visibility(ctx),
            window,
        ))
    }

    /// This entity's relations, oldest first. Each edge says which way the
    /// relation points from here and what is at the other end.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn relations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            name = "type",
            desc = "Only relations whose type has this alias (`related`, `relateDocumentOnCopy`, `relation`...)."
        )]
        type_alias: Option<String>,
        #[graphql(
            default_with = "Some(DirectionGql::Both)",
            desc = "Which relations, by the way they point (`BOTH` when null). Relations of bidirectional types count both ways."
        )]
        direction: Option<DirectionGql>,
        #[graphql(desc = "Only relations whose other end has this kind.")] other_kind: Option<
            String,
        >,
        #[graphql(desc = "Only relations these conditions keep (with the other arguments).")]
        filter: Option<EdgeFilterInput>,
        #[graphql(
            desc = "The order of the list (oldest first when omitted); the row id breaks ties. Cursors belong to the order they were taken in."
        )]
        order_by: Option<Vec<RelationOrderInput>>,
        #[graphql(desc = "Return the first n edges (after `after`).")] first: Option<i32>,
        #[graphql(desc = "Return edges after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n edges (before `before`).")] last: Option<i32>,
        #[graphql(desc = "Return edges before this cursor.")] before: Option<String>,
        #[graphql(
            desc = "The relations as they stood at this moment, from the journal (within its retention); now when omitted. Not with `filter` or `orderBy`."
        )]
        as_of: Option<DateTime>,
    ) -> GqlResult<EntityRelationConnection> {
        let direction = direction.unwrap_or(DirectionGql::Both).into();
        let (filter, window) = edge_list(
            ctx,
            (type_alias, direction, other_kind),
            (filter, order_by, as_of.is_some()),
            (first, after, last, before),
        )?;
        Ok(EntityRelationConnection {
            as_of: as_of.map(|t| t.0),
            anchor: self.0.id,
            filter,
            window,
        })
    }

    /// This entity's relations counted by type, by the other end's kind
    /// and by direction, in one statement per query level (for tabs with
    /// badges); private relations are counted for admins only.
    async fn relation_counts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only relations these conditions keep.")] filter: Option<EdgeFilterInput>,
    ) -> GqlResult<RelationCountsObject> {
        let (filter, _) = edge_list(
            ctx,
            (None, crate::domain::Direction::Both, None),
            (filter, None, false),
            (None, None, None, None),
        )?;
        let key = ListKey::GroupCounts {
            anchor: self.0.id,
            filter,
        };
        match &*listed(ctx, key).await? {
            Listed::GroupCounts(c) => Ok(RelationCountsObject(c.clone())),
            _ => Err(AppError::internal(std::io::Error::other(
                "group counts read to another list",
            ))
            .into()),
        }
    }

    /// The entities within `depth` hops of this one, each once, nearest
    /// first (then by id), with its distance and the relation it was first
    /// reached by. One recursive statement per query level; private
    /// relations are walked for admins only.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "traversal::traversal_cost(first, depth, child_complexity)")]
    async fn neighbourhood(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 1, desc = "Most hops, 1 to 4 (1 when null).")] depth: Option<i32>,
        #[graphql(desc = "Only through relations whose type has one of these aliases.")]
        types: Option<Vec<String>>,
        #[graphql(
            desc = "Only through entities of these kinds: others are neither reached nor walked through."
        )]
        kinds: Option<Vec<String>>,
        #[graphql(
            default_with = "Some(DirectionGql::Both)",
            desc = "Which way relations are followed (`BOTH` when null); bidirectional types both ways."
        )]
        direction: Option<DirectionGql>,
        #[graphql(desc = "Return the first n edges (after `after`).")] first: Option<i32>,
        #[graphql(desc = "Return edges after this cursor.")] after: Option<String>,
    ) -> GqlResult<traversal::NeighbourhoodConnection> {
        let depth = traversal::hops(
            depth.unwrap_or(1),
            traversal::MAX_NEIGHBOURHOOD_DEPTH,
            "depth",
        )?;
        let window = context::window(ctx, first, after, None, None)?;
        Ok(traversal::NeighbourhoodConnection {
            anchor: self.0.id,
            walk: traversal::walk(ctx, depth, (types, kinds, direction)),
            window,
        })
    }

    /// The entities at the other end of this entity's relations, each once,
    /// in the order they were first related (Copper's "related items").
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn related(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only entities of this kind.")] kind: Option<String>,
        #[graphql(
            name = "type",
            desc = "Only through relations whose type has this alias."
        )]
        type_alias: Option<String>,
        #[graphql(
            default_with = "Some(DirectionGql::Both)",
            desc = "Only through relations pointing this way (`BOTH` when null)."
        )]
        direction: Option<DirectionGql>,
        #[graphql(
            desc = "Only through relations these conditions keep (with the other arguments)."
        )]
        filter: Option<EdgeFilterInput>,
        #[graphql(
            desc = "The order of the list (by first relation when omitted): each entity sits where its first relation in this order does; the row id breaks ties."
        )]
        order_by: Option<Vec<RelationOrderInput>>,
        #[graphql(desc = "Return the first n edges (after `after`).")] first: Option<i32>,
        #[graphql(desc = "Return edges after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n edges (before `before`).")] last: Option<i32>,
        #[graphql(desc = "Return edges before this cursor.")] before: Option<String>,
        #[graphql(
            desc = "The related entities as they stood at this moment, from the journal (within its retention); now when omitted. Not with `filter` or `orderBy`."
        )]
        as_of: Option<DateTime>,
    ) -> GqlResult<RelatedEntityConnection> {
        let direction = direction.unwrap_or(DirectionGql::Both).into();
        let (filter, window) = edge_list(
            ctx,
            (type_alias, direction, kind),
            (filter, order_by, as_of.is_some()),
            (first, after, last, before),
        )?;
        Ok(RelatedEntityConnection {
            as_of: as_of.map(|t| t.0),
            anchor: self.0.id,
            filter,
            window,
        })
    }
}

/// The filter and window of `Entity.relations` or `Entity.related`, read
/// as the compiled planner reads them (`filters::edge_filter`).
#[allow(clippy::type_complexity)]
fn edge_list(
    ctx: &Context<'_>,
    plain: (Option<String>, crate::domain::Direction, Option<String>),
    (filter, order_by, as_of): (
        Option<EdgeFilterInput>,
        Option<Vec<RelationOrderInput>>,
        bool,
    ),
    (first, after, last, before): (Option<i32>, Option<String>, Option<i32>, Option<String>),
) -> GqlResult<(EdgeFilter, PageWindow)> {
    use async_graphql::InputType;
    if as_of && (filter.is_some() || order_by.is_some()) {
        return Err(
            AppError::bad_input("asOf reads the journal: it takes no filter or orderBy").into(),
        );
    }
    let filter = filters::edge_filter(
        plain,
        context::visibility(ctx),
        &filter.to_value(),
        &order_by.to_value(),
    )?;
    let window = context::window_in(ctx, first, after, last, before, &filter.order)?;
    Ok((filter, window))
}

/// `anchor`'s relations as they stood at `at`, through the request's loader.
async fn past(
    ctx: &Context<'_>,
    anchor: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> GqlResult<Arc<Vec<crate::read::events::PastRelation>>> {
    Ok(loaders(ctx)
        .relations_as_of
        .load_one((anchor, at))
        .await?
        .unwrap_or_default())
}

/// A page of an entity's relations.
pub struct EntityRelationConnection {
    anchor: i64,
    filter: EdgeFilter,
    window: PageWindow,
    /// Read from the journal as of this moment (`asOf`), not the store.
    as_of: Option<chrono::DateTime<chrono::Utc>>,
}

/// Loads `key` of the request's lists; what it reads to is for `pick` to
/// take apart (`NOT_FOUND`-free: every key reads to its kind).
async fn listed(ctx: &Context<'_>, key: ListKey) -> GqlResult<Arc<Listed>> {
    loaders(ctx).lists.load_one(key).await?.ok_or_else(|| {
        AppError::internal(std::io::Error::other("a list key read to nothing")).into()
    })
}

/// A list's size, through the request's lists.
async fn count(ctx: &Context<'_>, key: ListKey) -> GqlResult<u64> {
    match &*listed(ctx, key).await? {
        Listed::Count(n) => Ok(*n),
        _ => Err(AppError::internal(std::io::Error::other("a count read to a page")).into()),
    }
}

impl EntityRelationConnection {
    /// The page, as edges showing `shape` (lean pages as bare relations that
    /// hold their ids and ends only: their edges show no more).
    async fn page(&self, ctx: &Context<'_>, shape: EdgeShape) -> GqlResult<Arc<Page<Edge>>> {
        if let Some(at) = self.as_of {
            let past = past(ctx, self.anchor, at).await?;
            let page = crate::read::events::relation_page_as_of(
                &past,
                self.anchor,
                &self.filter,
                &self.window,
            );
            return Ok(Arc::new(page));
        }
        let key = ListKey::Relations {
            anchor: self.anchor,
            filter: self.filter.clone(),
            window: self.window.clone(),
            shape,
        };
        match &*listed(ctx, key).await? {
            Listed::Relations(page) => Ok(page.clone()),
            Listed::RelationKeys(keys) => {
                let anchor = self.anchor;
                let at = chrono::DateTime::UNIX_EPOCH;
                Ok(Arc::new(Page {
                    items: keys
                        .items
                        .iter()
                        .map(|r| Edge {
                            relation: Arc::new(Relation::bare(r.key, 0, anchor, r.other_id, at)),
                            bidirectional: false,
                            sort: r.sort.clone(),
                        })
                        .collect(),
                    has_next: keys.has_next,
                    has_previous: keys.has_previous,
                    total: keys.total,
                }))
            }
            _ => Err(AppError::internal(std::io::Error::other(
                "a relation page read to another list",
            ))
            .into()),
        }
    }
}

/// A page of an entity's relations.
#[Object]
impl EntityRelationConnection {
    /// The relations of this page, with how each is seen from the entity.
    async fn edges(&self, ctx: &Context<'_>) -> GqlResult<Vec<EntityRelationEdge>> {
        let anchor = self.anchor;
        let order: Arc<[OrderTerm]> = self.filter.order.clone().into();
        Ok(self
            .page(ctx, shape::relation_edges(ctx))
            .await?
            .items
            .iter()
            .map(|edge| EntityRelationEdge {
                anchor,
                edge: edge.clone(),
                order: order.clone(),
            })
            .collect())
    }

    /// Where this page sits in the list.
    async fn page_info(&self, ctx: &Context<'_>) -> GqlResult<PageInfo> {
        let order = &self.filter.order;
        Ok(PageInfo::with_cursors(
            &*self.page(ctx, EdgeShape::Lean).await?,
            |e| Cursor::keyed(order, &e.sort, e.relation.id),
        ))
    }

    /// How many relations match, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> GqlResult<u64> {
        if self.as_of.is_some() {
            // A page read as of a moment carries its list's size.
            return Ok(self.page(ctx, EdgeShape::Lean).await?.total.unwrap_or(0));
        }
        count(
            ctx,
            ListKey::RelationCount {
                anchor: self.anchor,
                filter: self.filter.clone(),
            },
        )
        .await
    }
}

/// One of an entity's relations.
pub struct EntityRelationEdge {
    anchor: i64,
    edge: Edge,
    /// The order of its list (its cursor's).
    order: Arc<[OrderTerm]>,
}

impl EntityRelationEdge {
    /// `edge` as entity `anchor` (one of its ends) lists it, in a list by id.
    pub fn new(anchor: i64, edge: Edge) -> Self {
        Self {
            anchor,
            edge,
            order: Arc::new([]),
        }
    }
}

/// One of an entity's relations.
#[Object]
impl EntityRelationEdge {
    /// Cursor of this edge, for `after` and `before`.
    async fn cursor(&self) -> String {
        Cursor::keyed(&self.order, &self.edge.sort, self.edge.relation.id)
    }

    /// The relation.
    async fn node(&self) -> RelationObject {
        RelationObject(self.edge.relation.clone())
    }

    /// Which way the relation points from this entity: `OUTGOING` if it is
    /// the `from` end, `INCOMING` if the `to` end, `BOTH` if the relation's
    /// type is bidirectional.
    async fn direction(&self) -> DirectionGql {
        self.edge
            .relation
            .direction_from(self.anchor, self.edge.bidirectional)
            .into()
    }

    /// The entity at the other end, seen from this entity.
    async fn other(&self, ctx: &Context<'_>) -> GqlResult<EntityObject> {
        load_entity(ctx, self.edge.relation.other_end(self.anchor)).await
    }
}

/// A page of the entities related to an entity.
pub struct RelatedEntityConnection {
    anchor: i64,
    filter: EdgeFilter,
    window: PageWindow,
    /// Read from the journal as of this moment (`asOf`), not the store.
    as_of: Option<chrono::DateTime<chrono::Utc>>,
}

impl RelatedEntityConnection {
    async fn page(&self, ctx: &Context<'_>) -> GqlResult<Arc<Page<RelatedRow>>> {
        if let Some(at) = self.as_of {
            let past = past(ctx, self.anchor, at).await?;
            let page = crate::read::events::related_page_as_of(
                &past,
                self.anchor,
                &self.filter,
                &self.window,
            );
            return Ok(Arc::new(page));
        }
        let key = ListKey::Related {
            anchor: self.anchor,
            filter: self.filter.clone(),
            window: self.window.clone(),
        };
        match &*listed(ctx, key).await? {
            Listed::Related(page) => Ok(page.clone()),
            _ => Err(AppError::internal(std::io::Error::other(
                "a related page read to another list",
            ))
            .into()),
        }
    }
}

/// A page of the entities related to an entity.
#[Object]
impl RelatedEntityConnection {
    /// The related entities of this page.
    async fn edges(&self, ctx: &Context<'_>) -> GqlResult<Vec<RelatedEntityEdge>> {
        let order: Arc<[OrderTerm]> = self.filter.order.clone().into();
        Ok(self
            .page(ctx)
            .await?
            .items
            .iter()
            .map(|row| RelatedEntityEdge(row.clone(), order.clone()))
            .collect())
    }

    /// Where this page sits in the list.
    async fn page_info(&self, ctx: &Context<'_>) -> GqlResult<PageInfo> {
        let order = &self.filter.order;
        Ok(PageInfo::with_cursors(&*self.page(ctx).await?, |r| {
            Cursor::keyed(order, &r.sort, r.key)
        }))
    }

    /// How many distinct entities are related, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> GqlResult<u64> {
        if self.as_of.is_some() {
            // A page read as of a moment carries its list's size.
            return Ok(self.page(ctx).await?.total.unwrap_or(0));
        }
        count(
            ctx,
            ListKey::RelatedCount {
                anchor: self.anchor,
                filter: self.filter.clone(),
            },
        )
        .await
    }
}

/// An entity's relations counted three ways.
pub struct RelationCountsObject(Arc<crate::domain::GroupCounts>);

/// An entity's relations counted three ways, each list largest first.
#[Object(name = "RelationCounts")]
impl RelationCountsObject {
    /// How many relations in all.
    async fn total(&self) -> u64 {
        self.0.total
    }

    /// Per relation type.
    async fn by_type(&self) -> Vec<TypeCount> {
        self.0
            .by_type
            .iter()
            .map(|(t, n)| TypeCount(*t, *n))
            .collect()
    }

    /// Per kind of the entity at the other end.
    async fn by_kind(&self) -> Vec<KindCount> {
        self.0
            .by_kind
            .iter()
            .map(|(kind, n)| KindCount {
                kind: kind.clone(),
                count: *n,
            })
            .collect()
    }

    /// Per direction, as seen from this entity (`BOTH` for bidirectional
    /// types).
    async fn by_direction(&self) -> Vec<DirectionCount> {
        self.0
            .by_direction
            .iter()
            .map(|(d, n)| DirectionCount {
                direction: (*d).into(),
                count: *n,
            })
            .collect()
    }
}

/// How many of an entity's relations have one type.
pub struct TypeCount(i64, u64);

/// How many of an entity's relations have one type.
#[Object]
impl TypeCount {
    /// The type.
    async fn relation_type(
        &self,
        ctx: &Context<'_>,
    ) -> GqlResult<super::relation_type::RelationTypeObject> {
        super::relation_type::load_relation_type(ctx, self.0).await
    }

    /// How many.
    async fn count(&self) -> u64 {
        self.1
    }
}

/// How many of an entity's relations lead to one kind.
#[derive(async_graphql::SimpleObject)]
pub struct KindCount {
    /// The kind of the entity at the other end.
    kind: String,
    /// How many.
    count: u64,
}

/// How many of an entity's relations point one way.
#[derive(async_graphql::SimpleObject)]
pub struct DirectionCount {
    /// The way, as seen from the entity.
    direction: DirectionGql,
    /// How many.
    count: u64,
}

/// An entity related to another.
pub struct RelatedEntityEdge(RelatedRow, Arc<[OrderTerm]>);

/// An entity related to another.
#[Object]
impl RelatedEntityEdge {
    /// Cursor of this edge, for `after` and `before`.
    async fn cursor(&self) -> String {
        Cursor::keyed(&self.1, &self.0.sort, self.0.key)
    }

    /// The related entity.
    async fn node(&self, ctx: &Context<'_>) -> GqlResult<EntityObject> {
        load_entity(ctx, self.0.other_id).await
    }
}

/// Which entities `Query.entities` lists.
#[derive(InputObject, Default, Debug)]
pub struct EntityFilterInput {
    /// Only entities of this source.
    pub source: Option<String>,
    /// Only entities in this space.
    pub space: Option<String>,
    /// Only entities of this kind.
    pub kind: Option<String>,
    /// Only entities whose name contains this text, ignoring case.
    pub name_contains: Option<String>,
}

impl From<EntityFilterInput> for EntityFilter {
    fn from(f: EntityFilterInput) -> Self {
        Self {
            source: f.source,
            space: f.space,
            kind: f.kind,
            name_contains: f.name_contains,
        }
    }
}

/// A page of entities.
pub struct EntityConnection {
    filter: EntityFilter,
    window: PageWindow,
    /// What the page's nodes show (in every `edges` of the field).
    shape: EntityShape,
}

impl EntityConnection {
    /// The connection of the entities matching `filter`, paged by `window`,
    /// whose nodes show `shape`.
    pub fn new(filter: EntityFilter, window: PageWindow, shape: EntityShape) -> Self {
        Self {
            filter,
            window,
            shape,
        }
    }

    async fn page(&self, ctx: &Context<'_>) -> GqlResult<Arc<Page<Entity>>> {
        let key = ListKey::Entities {
            filter: self.filter.clone(),
            window: self.window.clone(),
            shape: self.shape,
        };
        match &*listed(ctx, key).await? {
            Listed::Entities(page) => Ok(page.clone()),
            _ => Err(AppError::internal(std::io::Error::other(
                "an entity page read to another list",
            ))
            .into()),
        }
    }
}

/// A page of entities.
#[Object]
impl EntityConnection {
    /// The entities of this page.
    async fn edges(&self, ctx: &Context<'_>) -> GqlResult<Vec<EntityEdge>> {
        Ok(self
            .page(ctx)
            .await?
            .items
            .iter()
            .cloned()
            .map(|item| EntityEdge(Arc::new(item)))
            .collect())
    }

    /// Where this page sits in the list.
    async fn page_info(&self, ctx: &Context<'_>) -> GqlResult<PageInfo> {
        Ok(PageInfo::of(&*self.page(ctx).await?, |e| e.id))
    }

    /// How many entities match, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> GqlResult<u64> {
        count(
            ctx,
            ListKey::EntityCount {
                filter: self.filter.clone(),
            },
        )
        .await
    }
}

/// An entity in a list.
pub struct EntityEdge(Arc<Entity>);

/// An entity in a list.
#[Object]
impl EntityEdge {
    /// Cursor of this edge, for `after` and `before`.
    async fn cursor(&self) -> String {
        Cursor(self.0.id).encode()
    }

    /// The entity.
    async fn node(&self) -> EntityObject {
        EntityObject(self.0.clone())
    }
}
