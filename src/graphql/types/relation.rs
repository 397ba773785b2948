//! `Relation` and the top-level list of relations.

use std::sync::Arc;

use super::scalars::DateTime;
use async_graphql::{Context, ID, InputObject, Object};
use tokio::sync::OnceCell;

use super::connection::PageInfo;
use super::entity::{EntityObject, load_entity};
use super::event::{EventConnection, EventWindow};
use super::relation_type::{RelationTypeObject, load_relation_type};
use crate::domain::EventFilter;
use crate::domain::RelationFilter;
use crate::domain::Visibility;
use crate::domain::page::Page;
use crate::domain::{Cursor, GlobalId, NodeType, PageWindow, Relation};
use crate::graphql::context::{self, loaders};
use crate::graphql::errors::GqlResult;

/// A typed link from one entity to another.
pub struct RelationObject(pub Arc<Relation>);

/// A typed link from one entity to another.
#[Object(name = "Relation")]
impl RelationObject {
    /// Opaque global id (see `Query.node`).
    pub async fn id(&self) -> ID {
        ID(GlobalId::new(NodeType::Relation, self.0.id).encode())
    }

    /// The integer id the REST dialects use for this relation (Umbraco's
    /// `_id`, Kanka's relation id).
    async fn legacy_id(&self) -> i64 {
        self.0.id
    }

    /// The relation's type: its contract.
    #[graphql(name = "type")]
    async fn relation_type(&self, ctx: &Context<'_>) -> GqlResult<RelationTypeObject> {
        load_relation_type(ctx, self.0.type_id).await
    }

    /// The `from` end: the owner (Kanka), the parent (Umbraco).
    async fn from(&self, ctx: &Context<'_>) -> GqlResult<EntityObject> {
        load_entity(ctx, self.0.from_id).await
    }

    /// The `to` end: the target (Kanka), the child (Umbraco).
    async fn to(&self, ctx: &Context<'_>) -> GqlResult<EntityObject> {
        load_entity(ctx, self.0.to_id).await
    }

    /// Free text describing the relation (Kanka's `relation`).
    async fn label(&self) -> Option<&str> {
        self.0.attributes.label.as_deref()
    }

    /// A comment (Umbraco).
    async fn comment(&self) -> Option<&str> {
        self.0.attributes.comment.as_deref()
    }

    /// How the owner feels about the target, -100..100 (Kanka).
    async fn attitude(&self) -> Option<i32> {
        self.0.attributes.attitude
    }

    /// A `#rrggbb` colour (Kanka).
    async fn colour(&self) -> Option<&str> {
        self.0.attributes.colour.as_deref()
    }

    /// Pinned on the owner's profile (Kanka).
    async fn pinned(&self) -> bool {
        self.0.attributes.pinned
    }

    /// Visible to admins only.
    async fn is_private(&self) -> bool {
        self.0.attributes.is_private
    }

    /// The other half of a two-way relation (same attributes, ends swapped),
    /// if it has one and the caller may see it.
    async fn mirror(&self, ctx: &Context<'_>) -> GqlResult<Option<RelationObject>> {
        match self.0.mirror_id {
            Some(id) => Ok(loaders(ctx)
                .relation
                .load_one(id)
                .await?
                .map(RelationObject)),
            None => Ok(None),
        }
    }

    /// This relation's own events in the journal, oldest first: its
    /// creation, each change, its mirror's removal.
    #[graphql(complexity = "context::page_cost(first, None, child_complexity)")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n events (after `after`).")] first: Option<i32>,
        #[graphql(desc = "Return events after this cursor.")] after: Option<String>,
    ) -> GqlResult<EventConnection> {
        let window = EventWindow::new(ctx, first, after)?;
        let filter = EventFilter {
            relation_id: Some(self.0.id),
            ..EventFilter::default()
        };
        Ok(EventConnection::new(
            filter,
            context::visibility(ctx),
            window,
        ))
    }

    /// When the relation was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When the relation last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}

/// Which relations `Query.relations` lists.
#[derive(InputObject, Default, Debug)]
pub struct RelationFilterInput {
    /// Only relations of this relation type (a `RelationType` id).
    pub type_id: Option<ID>,
    /// Only relations whose type belongs to this source.
    pub source: Option<String>,
    /// Only relations whose type has this alias.
    #[graphql(name = "type")]
    pub type_alias: Option<String>,
    /// Only relations from this entity (an `Entity` id).
    pub from_id: Option<ID>,
    /// Only relations to this entity (an `Entity` id).
    pub to_id: Option<ID>,
    /// Only relations whose `from` entity is in this space.
    pub space: Option<String>,
    /// Conditions on the relation itself.
    #[graphql(flatten)]
    pub conditions: super::filters::RelationConditionsInput,
}

impl RelationFilterInput {
    /// The store filter, with ids decoded, the conditions read as every
    /// relation list reads them and the list in `order`.
    pub fn decode(
        self,
        visibility: Visibility,
        order: Vec<crate::domain::OrderTerm>,
    ) -> crate::error::AppResult<RelationFilter> {
        use async_graphql::InputType;
        let conditions = super::filters::conditions(&self.conditions.to_value(), visibility)?;
        let id = |raw: Option<ID>, ty, field| {
            raw.map(|raw| GlobalId::decode_as(&raw, ty, field))
                .transpose()
        };
        Ok(RelationFilter {
            type_id: id(self.type_id, NodeType::RelationType, "typeId")?,
            type_source: self.source,
            type_alias: self.type_alias,
            from_id: id(self.from_id, NodeType::Entity, "fromId")?,
            to_id: id(self.to_id, NodeType::Entity, "toId")?,
            space: self.space,
            conditions,
            order,
        })
    }
}

/// A page of relations.
pub struct RelationConnection {
    filter: RelationFilter,
    visibility: Visibility,
    window: PageWindow,
    page: OnceCell<Page<(Arc<Relation>, crate::domain::SortKey)>>,
}

impl RelationConnection {
    /// The relations matching `filter` that `visibility` allows, paged.
    pub fn new(filter: RelationFilter, visibility: Visibility, window: PageWindow) -> Self {
        Self {
            filter,
            visibility,
            window,
            page: OnceCell::new(),
        }
    }

    async fn page(
        &self,
        ctx: &Context<'_>,
    ) -> GqlResult<&Page<(Arc<Relation>, crate::domain::SortKey)>> {
        Ok(self
            .page
            .get_or_try_init(|| async {
                let page = crate::read::relations::page_keyed(
                    context::reader(ctx),
                    &self.filter,
                    self.visibility,
                    &self.window,
                )
                .await?;
                Ok::<_, crate::error::AppError>(Page {
                    items: page
                        .items
                        .into_iter()
                        .map(|(r, k)| (Arc::new(r), k))
                        .collect(),
                    has_next: page.has_next,
                    has_previous: page.has_previous,
                    total: page.total,
                })
            })
            .await?)
    }
}

/// A page of relations.
#[Object]
impl RelationConnection {
    /// The relations of this page.
    async fn edges(&self, ctx: &Context<'_>) -> GqlResult<Vec<RelationEdge>> {
        let order: Arc<[crate::domain::OrderTerm]> = self.filter.order.clone().into();
        Ok(self
            .page(ctx)
            .await?
            .items
            .iter()
            .map(|(r, key)| RelationEdge(r.clone(), Cursor::keyed(&order, key, r.id)))
            .collect())
    }

    /// Where this page sits in the list.
    async fn page_info(&self, ctx: &Context<'_>) -> GqlResult<PageInfo> {
        let order = &self.filter.order;
        Ok(PageInfo::with_cursors(self.page(ctx).await?, |(r, key)| {
            Cursor::keyed(order, key, r.id)
        }))
    }

    /// How many relations match, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> GqlResult<u64> {
        Ok(
            crate::read::relations::count(context::reader(ctx), &self.filter, self.visibility)
                .await?,
        )
    }
}

/// A relation in a list.
pub struct RelationEdge(Arc<Relation>, String);

/// A relation in a list.
#[Object]
impl RelationEdge {
    /// Cursor of this edge, for `after` and `before`.
    async fn cursor(&self) -> &str {
        &self.1
    }

    /// The relation.
    async fn node(&self) -> RelationObject {
        RelationObject(self.0.clone())
    }
}
