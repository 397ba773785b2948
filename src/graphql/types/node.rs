//! The Relay `Node` interface.

use async_graphql::{Context, ID, Interface};

use super::entity::EntityObject;
use super::relation::RelationObject;
use super::relation_type::RelationTypeObject;
use crate::domain::{GlobalId, NodeType};
use crate::graphql::context::loaders;
use crate::graphql::errors::GqlResult;

/// An object with a global id, fetchable with `Query.node`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id."))]
pub enum Node {
    /// An entity.
    Entity(EntityObject),
    /// A relation.
    Relation(RelationObject),
    /// A relation type.
    RelationType(RelationTypeObject),
}

/// Loads the node `id` names, if it exists and the caller may see it.
pub async fn load_node(ctx: &Context<'_>, id: GlobalId) -> GqlResult<Option<Node>> {
    let l = loaders(ctx);
    Ok(match id.node_type {
        NodeType::Entity => l
            .entity
            .load_one((id.id, crate::graphql::shape::entity(ctx)))
            .await?
            .map(|e| Node::Entity(EntityObject(e))),
        NodeType::Relation => l
            .relation
            .load_one(id.id)
            .await?
            .map(|r| Node::Relation(RelationObject(r))),
        NodeType::RelationType => l
            .relation_type
            .load_one(id.id)
            .await?
            .map(|t| Node::RelationType(RelationTypeObject(t))),
    })
}
