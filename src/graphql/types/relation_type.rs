//! `RelationType` and the list of relation types.

use std::sync::Arc;

use super::scalars::DateTime;
use async_graphql::{Context, ID, Object};
use tokio::sync::OnceCell;

use super::connection::PageInfo;
use super::contract::{AttributeRules, CardinalityLimit, DuplicatePolicyGql, KindPair};
use crate::domain::page::Page;
use crate::domain::{Cursor, GlobalId, NodeType, PageWindow, RelationType};
use crate::error::AppError;
use crate::graphql::context::{self, loaders};
use crate::graphql::errors::GqlResult;

/// A named contract for relations: which kinds it may connect, how many, with
/// which attributes. Built-in types come from the source profiles; admins can
/// create custom ones.
pub struct RelationTypeObject(pub Arc<RelationType>);

/// Loads relation type `id` through the request's loader.
pub async fn load_relation_type(ctx: &Context<'_>, id: i64) -> GqlResult<RelationTypeObject> {
    loaders(ctx)
        .relation_type
        .load_one(id)
        .await?
        .map(RelationTypeObject)
        .ok_or_else(|| AppError::not_found(format!("no relation type with id {id}")).into())
}

/// A named contract for relations: which kinds it may connect, how many, with
/// which attributes. Built-in types come from the source profiles; admins can
/// create custom ones.
#[Object(name = "RelationType")]
impl RelationTypeObject {
    /// Opaque global id (see `Query.node`); pass it as `RelateInput.typeId`.
    pub async fn id(&self) -> ID {
        ID(GlobalId::new(NodeType::RelationType, self.0.id).encode())
    }

    /// The source whose rules it encodes (or a custom source).
    async fn source(&self) -> &str {
        &self.0.source
    }

    /// Unique within the source: `related`, `relateDocumentOnCopy`, `relation`...
    async fn alias(&self) -> &str {
        &self.0.alias
    }

    /// Human-readable name, unique within the source.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A relation of this type reads the same from both ends: it is outgoing
    /// and incoming for each of them.
    async fn bidirectional(&self) -> bool {
        self.0.bidirectional
    }

    /// Relations of this type can be changed with `updateRelation`.
    async fn updatable(&self) -> bool {
        self.0.updatable
    }

    /// Relations of this type are written by the source system, and are
    /// read-only through the API.
    async fn system_managed(&self) -> bool {
        self.0.system_managed
    }

    /// Defined by relgate's source profiles; cannot be changed or deleted.
    async fn built_in(&self) -> bool {
        self.0.built_in
    }

    /// The pairs of kinds a relation may connect; empty: any.
    async fn allowed_pairs(&self) -> Vec<KindPair> {
        self.0
            .contract
            .allowed_pairs
            .iter()
            .map(Into::into)
            .collect()
    }

    /// Cardinality limits.
    async fn limits(&self) -> Vec<CardinalityLimit> {
        self.0.contract.limits.iter().map(Into::into).collect()
    }

    /// What relating an already related pair does.
    async fn duplicates(&self) -> DuplicatePolicyGql {
        self.0.contract.duplicates.into()
    }

    /// Both ends must be in the same space.
    async fn same_space(&self) -> bool {
        self.0.contract.same_space
    }

    /// An entity may be related to itself.
    async fn allow_self(&self) -> bool {
        self.0.contract.allow_self
    }

    /// A relation from A to B is the same as one from B to A: allowed pairs
    /// and duplicates are compared in either order (Copper). A directed type
    /// can still be `bidirectional` for reading (Umbraco's copies).
    async fn symmetric(&self) -> bool {
        self.0.contract.symmetric
    }

    /// Which attributes a relation may carry.
    async fn attributes(&self) -> AttributeRules {
        (&self.0.contract.attributes).into()
    }

    /// When the type was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When the type last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}

/// A page of relation types.
pub struct RelationTypeConnection {
    source: Option<String>,
    window: PageWindow,
    page: OnceCell<Page<RelationType>>,
}

impl RelationTypeConnection {
    /// The relation types (of `source`), paged by `window`.
    pub fn new(source: Option<String>, window: PageWindow) -> Self {
        Self {
            source,
            window,
            page: OnceCell::new(),
        }
    }

    async fn page(&self, ctx: &Context<'_>) -> GqlResult<&Page<RelationType>> {
        Ok(self
            .page
            .get_or_try_init(|| async {
                crate::read::relation_types::page(
                    context::reader(ctx),
                    self.source.as_deref(),
                    &self.window,
                )
                .await
            })
            .await?)
    }
}

/// A page of relation types.
#[Object]
impl RelationTypeConnection {
    /// The relation types of this page.
    async fn edges(&self, ctx: &Context<'_>) -> GqlResult<Vec<RelationTypeEdge>> {
        Ok(self
            .page(ctx)
            .await?
            .items
            .iter()
            .cloned()
            .map(|item| RelationTypeEdge(Arc::new(item)))
            .collect())
    }

    /// Where this page sits in the list.
    async fn page_info(&self, ctx: &Context<'_>) -> GqlResult<PageInfo> {
        Ok(PageInfo::of(self.page(ctx).await?, |t| t.id))
    }

    /// How many relation types match, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> GqlResult<u64> {
        Ok(
            crate::read::relation_types::count(context::reader(ctx), self.source.as_deref())
                .await?,
        )
    }
}

/// A relation type in a list.
pub struct RelationTypeEdge(Arc<RelationType>);

/// A relation type in a list.
#[Object]
impl RelationTypeEdge {
    /// Cursor of this edge, for `after` and `before`.
    async fn cursor(&self) -> String {
        Cursor(self.0.id).encode()
    }

    /// The relation type.
    async fn node(&self) -> RelationTypeObject {
        RelationTypeObject(self.0.clone())
    }
}
