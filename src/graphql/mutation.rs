//! `Mutation`: every write. Each takes one `input` and returns a payload; all
//! of them go through [`crate::service::Service`], which holds the rules.

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};

use super::context::{principal, service};
use super::errors::GqlResult;
use super::types::contract::{AttributeRules, CardinalityLimit, DuplicatePolicyGql, KindPair};
use super::types::entity::{EntityObject, EntityRelationEdge};
use super::types::relation::RelationObject;
use super::types::relation_type::{RelationTypeObject, load_relation_type};
use crate::domain::Attributes;
use crate::domain::Edge;
use crate::domain::Relation;
use crate::domain::{self, GlobalId, NodeType};
use crate::error::AppResult;
use crate::service::{self, RelationTypeInput, RelationTypePatch};

/// The root of every write.
#[derive(Default)]
pub struct Mutation;

/// Creates an entity or updates its name.
#[derive(InputObject, Debug)]
pub struct UpsertEntityInput {
    /// `copper`, `umbraco`, `kanka`, or a custom source (lower-case name).
    pub source: String,
    /// The tenant; `default` when omitted.
    pub space: Option<String>,
    /// The record kind; one of the source's kinds.
    pub kind: String,
    /// The source's own id (Copper and Kanka: an integer; Umbraco: a GUID).
    pub external_id: String,
    /// Display name; when omitted an existing name stays.
    pub name: Option<String>,
}

/// The result of `upsertEntity`.
#[derive(SimpleObject)]
pub struct UpsertEntityPayload {
    /// The entity as stored now.
    pub entity: EntityObject,
    /// Whether it was created by this call.
    pub created: bool,
}

/// Deletes an entity.
#[derive(InputObject, Debug)]
pub struct DeleteEntityInput {
    /// The entity's global id.
    pub id: ID,
}

/// The result of `deleteEntity`.
#[derive(SimpleObject)]
pub struct DeleteEntityPayload {
    /// The id of the deleted entity.
    pub deleted_id: ID,
    /// The relations deleted with it (those the caller can see).
    pub removed_relation_ids: Vec<ID>,
    /// How many relations were deleted with it (those the caller can see).
    pub removed_relation_count: i64,
}

/// A relation's attributes as `relate`, `relateByKey` and
/// `validateRelation` take them: flattened into their inputs, so the six
/// fields are declared once for the three (and once more, worded as
/// changes, for `updateRelation`: `AttributeChangesInput`).
#[derive(InputObject, Debug, Default)]
pub struct AttributesInput {
    /// Free text describing the relation (Kanka's `relation`).
    pub label: Option<String>,
    /// A comment (Umbraco).
    pub comment: Option<String>,
    /// How the owner feels about the target, -100..100 (Kanka).
    pub attitude: Option<i32>,
    /// A `#rrggbb` colour (Kanka).
    pub colour: Option<String>,
    /// Pin the relation on the owner's profile (Kanka).
    pub pinned: Option<bool>,
    /// Make the relation visible to admins only.
    pub is_private: Option<bool>,
}

/// The attributes `updateRelation` changes, flattened into its input.
#[derive(InputObject, Debug, Default)]
pub struct AttributeChangesInput {
    /// New label.
    pub label: Option<String>,
    /// New comment.
    pub comment: Option<String>,
    /// New attitude.
    pub attitude: Option<i32>,
    /// New colour.
    pub colour: Option<String>,
    /// New pinned flag.
    pub pinned: Option<bool>,
    /// New private flag.
    pub is_private: Option<bool>,
}

/// The attributes asked for, whichever input they came in.
macro_rules! into_attributes {
    ($($input:ty),*) => {$(
        impl From<$input> for Attributes {
            fn from(a: $input) -> Self {
                Self {
                    label: a.label,
                    comment: a.comment,
                    attitude: a.attitude,
                    colour: a.colour,
                    pinned: a.pinned,
                    is_private: a.is_private,
                }
            }
        }
    )*};
}
into_attributes!(AttributesInput, AttributeChangesInput);

/// Relates two entities.
#[derive(InputObject, Debug)]
pub struct RelateInput {
    /// The relation type (a `RelationType` id).
    pub type_id: ID,
    /// The `from` end (owner, parent), an `Entity` id.
    pub from_id: ID,
    /// The `to` end (target, child), an `Entity` id.
    pub to_id: ID,
    /// Its attributes (each left out gets its default).
    #[graphql(flatten)]
    pub attributes: AttributesInput,
    /// Also create the mirror relation (ends swapped, same attributes), in
    /// the same transaction.
    pub two_way: Option<bool>,
}

impl RelateInput {
    /// The service's command, with ids decoded.
    pub fn decode(self) -> AppResult<service::Relate> {
        Ok(service::Relate {
            type_id: GlobalId::decode_as(&self.type_id, NodeType::RelationType, "typeId")?,
            from_id: GlobalId::decode_as(&self.from_id, NodeType::Entity, "fromId")?,
            to_id: GlobalId::decode_as(&self.to_id, NodeType::Entity, "toId")?,
            attributes: self.attributes.into(),
            two_way: self.two_way.unwrap_or(false),
        })
    }
}

/// An entity named by its source's own key.
#[derive(InputObject, Debug)]
pub struct EntityKeyInput {
    /// `copper`, `umbraco`, `kanka`, or a custom source.
    pub source: String,
    /// The tenant; `default` when omitted.
    pub space: Option<String>,
    /// The record kind.
    pub kind: String,
    /// The source's own id.
    pub external_id: String,
    /// Display name; when given, the entity's name is set to it.
    pub name: Option<String>,
}

impl From<EntityKeyInput> for service::UpsertEntity {
    fn from(k: EntityKeyInput) -> Self {
        Self {
            source: k.source,
            space: k.space,
            kind: k.kind,
            external_id: k.external_id,
            name: k.name,
        }
    }
}

/// A relation type named by source and alias.
#[derive(InputObject, Debug)]
pub struct RelationTypeKeyInput {
    /// The source the type belongs to.
    pub source: String,
    /// The type's alias within the source.
    pub alias: String,
}

/// Relates two entities named by their sources' keys, creating them first if
/// they do not exist yet.
#[derive(InputObject, Debug)]
pub struct RelateByKeyInput {
    /// The relation type.
    #[graphql(name = "type")]
    pub relation_type: RelationTypeKeyInput,
    /// The `from` end (owner, parent).
    pub from: EntityKeyInput,
    /// The `to` end (target, child).
    pub to: EntityKeyInput,
    /// Its attributes (each left out gets its default).
    #[graphql(flatten)]
    pub attributes: AttributesInput,
    /// Also create the mirror relation (ends swapped, same attributes).
    pub two_way: Option<bool>,
}

/// The result of `relate` and `relateByKey`. Besides the relation, it
/// carries the edges a client inserts into the lists it shows (Relay's
/// `@appendEdge`, an Apollo cache update): `fromEdge` for the `from`
/// entity's `relations`, `toEdge` for the `to` entity's, and, for a two-way
/// relation, `fromEdges`/`toEdges` with the mirror's edge too.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct RelatePayload {
    /// The relation (for idempotent types, the existing one when the pair
    /// was already related).
    pub relation: RelationObject,
    /// The mirror, when `twoWay` was asked for.
    pub mirror: Option<RelationObject>,
    /// Whether a relation was written by this call.
    pub created: bool,
}

/// Removes a relation.
#[derive(InputObject, Debug)]
pub struct UnrelateInput {
    /// The relation's global id.
    pub id: ID,
    /// Also remove its mirror. Otherwise the mirror stays, with `mirror` null.
    pub include_mirror: Option<bool>,
}

/// The result of `unrelate`.
#[derive(SimpleObject)]
pub struct UnrelatePayload {
    /// The ids of the removed relations: the nodes of the edges to drop from
    /// every list that shows them (Relay's `@deleteEdge(connections:)`; an
    /// Apollo cache `evict`).
    pub removed_ids: Vec<ID>,
}

/// Changes a relation's attributes. Omitted fields stay as they are.
#[derive(InputObject, Debug)]
pub struct UpdateRelationInput {
    /// The relation's global id.
    pub id: ID,
    /// What to change (each left out stays as it is).
    #[graphql(flatten)]
    pub changes: AttributeChangesInput,
    /// Apply the same changes to the mirror. Otherwise the mirror stays as it
    /// is.
    pub sync_mirror: Option<bool>,
}

/// The result of `updateRelation`, with the relation's edges as each end
/// lists them (see `RelatePayload`).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UpdateRelationPayload {
    /// The relation as stored now.
    pub relation: RelationObject,
    /// Its mirror as stored now, if it has one the caller can see.
    pub mirror: Option<RelationObject>,
}

/// Creates a custom relation type.
#[derive(InputObject, Debug)]
pub struct CreateRelationTypeInput {
    /// The source it belongs to (any lower-case name, not only the built-in
    /// sources).
    pub source: String,
    /// Unique within the source; letters, digits, `_` and `-`.
    pub alias: String,
    /// Human-readable name, unique within the source.
    pub name: String,
    /// Relations read the same from both ends.
    #[graphql(default)]
    pub bidirectional: bool,
    /// Relations may be changed with `updateRelation`.
    #[graphql(default)]
    pub updatable: bool,
    /// The pairs of kinds a relation may connect (from any sources); empty:
    /// any.
    #[graphql(default)]
    pub allowed_pairs: Vec<KindPair>,
    /// Cardinality limits.
    #[graphql(default)]
    pub limits: Vec<CardinalityLimit>,
    /// What relating an already related pair does.
    #[graphql(default_with = "DuplicatePolicyGql::Allow")]
    pub duplicates: DuplicatePolicyGql,
    /// Both ends must be in the same space.
    #[graphql(default = true)]
    pub same_space: bool,
    /// An entity may be related to itself.
    #[graphql(default)]
    pub allow_self: bool,
    /// A relation from A to B is the same as one from B to A (pairs and
    /// duplicates compare in either order); requires `bidirectional`.
    #[graphql(default)]
    pub symmetric: bool,
    /// Accepted attributes; when omitted, a label of up to 255 characters and
    /// a comment of up to 1000 are accepted, nothing else.
    pub attributes: Option<AttributeRules>,
}

/// The result of `createRelationType`, `updateRelationType`.
#[derive(SimpleObject)]
pub struct RelationTypePayload {
    /// The relation type as stored now.
    pub relation_type: RelationTypeObject,
}

/// Changes a custom relation type. Omitted fields stay as they are.
#[derive(InputObject, Debug)]
pub struct UpdateRelationTypeInput {
    /// The relation type's global id.
    pub id: ID,
    /// New name.
    pub name: Option<String>,
    /// New bidirectional flag.
    pub bidirectional: Option<bool>,
    /// New updatable flag.
    pub updatable: Option<bool>,
    /// New allowed pairs.
    pub allowed_pairs: Option<Vec<KindPair>>,
    /// New limits.
    pub limits: Option<Vec<CardinalityLimit>>,
    /// New duplicate policy.
    pub duplicates: Option<DuplicatePolicyGql>,
    /// New same-space rule.
    pub same_space: Option<bool>,
    /// New self-relation rule.
    pub allow_self: Option<bool>,
    /// New symmetric flag.
    pub symmetric: Option<bool>,
    /// New attribute rules.
    pub attributes: Option<AttributeRules>,
}

/// Deletes a custom relation type.
#[derive(InputObject, Debug)]
pub struct DeleteRelationTypeInput {
    /// The relation type's global id.
    pub id: ID,
    /// Delete its relations with it. Without this, a type that still has
    /// relations is not deleted (rule `IN_USE`).
    #[graphql(default)]
    pub delete_relations: bool,
}

/// The result of `deleteRelationType`.
#[derive(SimpleObject)]
pub struct DeleteRelationTypePayload {
    /// The id of the deleted relation type.
    pub deleted_id: ID,
    /// How many relations were deleted with it.
    pub removed_relation_count: i64,
}

/// `relation` as entity `anchor` (one of its ends) lists it in
/// `Entity.relations`: the same edge, cursor and `direction`.
async fn edge_as(
    ctx: &Context<'_>,
    relation: &Arc<Relation>,
    anchor: i64,
) -> GqlResult<EntityRelationEdge> {
    let ty = load_relation_type(ctx, relation.type_id).await?;
    Ok(EntityRelationEdge::new(
        anchor,
        Edge {
            relation: relation.clone(),
            bidirectional: ty.0.bidirectional,
            sort: Default::default(),
        },
    ))
}

/// The edges of `relation` and, if given, `mirror`, as entity `anchor` lists
/// them (the relation first: lists are oldest first).
async fn edges_as(
    ctx: &Context<'_>,
    relation: &Arc<Relation>,
    mirror: Option<&RelationObject>,
    anchor: i64,
) -> GqlResult<Vec<EntityRelationEdge>> {
    let mut edges = vec![edge_as(ctx, relation, anchor).await?];
    if let Some(m) = mirror {
        edges.push(edge_as(ctx, &m.0, anchor).await?);
    }
    Ok(edges)
}

/// The edge fields of a payload that has a `relation` and maybe a `mirror`.
macro_rules! edge_fields {
    ($payload:ty) => {
        // `fromEdge` names the `from` end, not a conversion.
        #[allow(clippy::wrong_self_convention)]
        #[ComplexObject]
        impl $payload {
            /// The relation as its `from` entity lists it in
            /// `Entity.relations` (same cursor and `direction`): the edge to
            /// insert into that list (Relay's `@appendEdge`, a cache update).
            async fn from_edge(&self, ctx: &Context<'_>) -> GqlResult<EntityRelationEdge> {
                edge_as(ctx, &self.relation.0, self.relation.0.from_id).await
            }

            /// The relation as its `to` entity lists it in `Entity.relations`.
            async fn to_edge(&self, ctx: &Context<'_>) -> GqlResult<EntityRelationEdge> {
                edge_as(ctx, &self.relation.0, self.relation.0.to_id).await
            }

            /// The relation and, when this payload has one, its mirror, as the
            /// `from` entity lists them: every edge of that list this call
            /// wrote.
            async fn from_edges(&self, ctx: &Context<'_>) -> GqlResult<Vec<EntityRelationEdge>> {
                let anchor = self.relation.0.from_id;
                edges_as(ctx, &self.relation.0, self.mirror.as_ref(), anchor).await
            }

            /// The relation and, when this payload has one, its mirror, as the
            /// `to` entity lists them.
            async fn to_edges(&self, ctx: &Context<'_>) -> GqlResult<Vec<EntityRelationEdge>> {
                let anchor = self.relation.0.to_id;
                edges_as(ctx, &self.relation.0, self.mirror.as_ref(), anchor).await
            }
        }
    };
}

edge_fields!(RelatePayload);
edge_fields!(UpdateRelationPayload);

fn relation_id(id: i64) -> ID {
    ID(GlobalId::new(NodeType::Relation, id).encode())
}

/// The root of every write.
#[Object]
impl Mutation {
    /// Creates an entity, or updates the name of the one with this key.
    async fn upsert_entity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The entity's key and name.")] input: UpsertEntityInput,
    ) -> GqlResult<UpsertEntityPayload> {
        let (entity, created) = service(ctx)
            .upsert_entity(
                principal(ctx),
                service::UpsertEntity {
                    source: input.source,
                    space: input.space,
                    kind: input.kind,
                    external_id: input.external_id,
                    name: input.name,
                },
            )
            .await?;
        Ok(UpsertEntityPayload {
            entity: EntityObject(Arc::new(entity)),
            created,
        })
    }

    /// Deletes an entity and every relation it is an end of.
    async fn delete_entity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which entity.")] input: DeleteEntityInput,
    ) -> GqlResult<DeleteEntityPayload> {
        let id = GlobalId::decode_as(&input.id, NodeType::Entity, "id")?;
        let removed = service(ctx).delete_entity(principal(ctx), id).await?;
        Ok(DeleteEntityPayload {
            deleted_id: input.id,
            removed_relation_count: removed.len() as i64,
            removed_relation_ids: removed.into_iter().map(relation_id).collect(),
        })
    }

    /// Relates two entities with a relation of the given type, checking the
    /// type's contract. A refused write changes nothing.
    async fn relate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The type, both ends and the attributes.")] input: RelateInput,
    ) -> GqlResult<RelatePayload> {
        let out = service(ctx).relate(principal(ctx), input.decode()?).await?;
        Ok(RelatePayload {
            relation: RelationObject(Arc::new(out.relation)),
            mirror: out.mirror.map(|m| RelationObject(Arc::new(m))),
            created: out.created,
        })
    }

    /// Relates two entities named by their sources' own keys (for example
    /// Copper person 42 and company 7), creating or renaming them first, in
    /// one transaction. The same rules apply as for `relate`.
    async fn relate_by_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The type, both ends by key, and the attributes.")]
        input: RelateByKeyInput,
    ) -> GqlResult<RelatePayload> {
        let attributes = service::Relate {
            attributes: input.attributes.into(),
            two_way: input.two_way.unwrap_or(false),
            ..Default::default()
        };
        let out = service(ctx)
            .relate_by_key(
                principal(ctx),
                (&input.relation_type.source, &input.relation_type.alias),
                input.from.into(),
                input.to.into(),
                attributes,
            )
            .await?;
        Ok(RelatePayload {
            relation: RelationObject(Arc::new(out.relation)),
            mirror: out.mirror.map(|m| RelationObject(Arc::new(m))),
            created: out.created,
        })
    }

    /// Removes a relation (and, if asked, its mirror).
    async fn unrelate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which relation.")] input: UnrelateInput,
    ) -> GqlResult<UnrelatePayload> {
        let id = GlobalId::decode_as(&input.id, NodeType::Relation, "id")?;
        let removed = service(ctx)
            .unrelate(principal(ctx), id, input.include_mirror.unwrap_or(false))
            .await?;
        Ok(UnrelatePayload {
            removed_ids: removed.into_iter().map(relation_id).collect(),
        })
    }

    /// Changes a relation's attributes, if its type is updatable.
    async fn update_relation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which relation and what to change.")] input: UpdateRelationInput,
    ) -> GqlResult<UpdateRelationPayload> {
        let id = GlobalId::decode_as(&input.id, NodeType::Relation, "id")?;
        let (relation, mirror) = service(ctx)
            .update_relation(
                principal(ctx),
                service::UpdateRelation {
                    id,
                    changes: input.changes.into(),
                    sync_mirror: input.sync_mirror.unwrap_or(false),
                },
            )
            .await?;
        Ok(UpdateRelationPayload {
            relation: RelationObject(Arc::new(relation)),
            mirror: mirror.map(|m| RelationObject(Arc::new(m))),
        })
    }

    /// Creates a custom relation type (admins only). Its allowed pairs may
    /// join kinds of different sources.
    async fn create_relation_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new type.")] input: CreateRelationTypeInput,
    ) -> GqlResult<RelationTypePayload> {
        let ty = service(ctx)
            .create_relation_type(
                principal(ctx),
                &input.source,
                &input.alias,
                RelationTypeInput {
                    name: input.name,
                    bidirectional: input.bidirectional,
                    updatable: input.updatable,
                    contract: domain::Contract {
                        allowed_pairs: input.allowed_pairs.into_iter().map(Into::into).collect(),
                        limits: input.limits.into_iter().map(Into::into).collect(),
                        duplicates: input.duplicates.into(),
                        same_space: input.same_space,
                        allow_self: input.allow_self,
                        symmetric: input.symmetric,
                        attributes: input
                            .attributes
                            .map(Into::into)
                            .unwrap_or_else(domain::definition::default_attributes),
                    },
                },
            )
            .await?;
        Ok(RelationTypePayload {
            relation_type: RelationTypeObject(Arc::new(ty)),
        })
    }

    /// Changes a custom relation type (admins only). Built-in types cannot
    /// be changed (rule `BUILT_IN`).
    async fn update_relation_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which type and what to change.")] input: UpdateRelationTypeInput,
    ) -> GqlResult<RelationTypePayload> {
        let id = GlobalId::decode_as(&input.id, NodeType::RelationType, "id")?;
        let patch = RelationTypePatch {
            name: input.name,
            bidirectional: input.bidirectional,
            updatable: input.updatable,
            allowed_pairs: input
                .allowed_pairs
                .map(|v| v.into_iter().map(Into::into).collect()),
            limits: input
                .limits
                .map(|v| v.into_iter().map(Into::into).collect()),
            duplicates: input.duplicates.map(Into::into),
            same_space: input.same_space,
            allow_self: input.allow_self,
            symmetric: input.symmetric,
            attributes: input.attributes.map(Into::into),
        };
        let ty = service(ctx)
            .update_relation_type(principal(ctx), id, patch)
            .await?;
        Ok(RelationTypePayload {
            relation_type: RelationTypeObject(Arc::new(ty)),
        })
    }

    /// Deletes a custom relation type (admins only).
    async fn delete_relation_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which type, and whether its relations go with it.")]
        input: DeleteRelationTypeInput,
    ) -> GqlResult<DeleteRelationTypePayload> {
        let id = GlobalId::decode_as(&input.id, NodeType::RelationType, "id")?;
        let removed = service(ctx)
            .delete_relation_type(principal(ctx), id, input.delete_relations)
            .await?;
        Ok(DeleteRelationTypePayload {
            deleted_id: input.id,
            removed_relation_count: removed as i64,
        })
    }
}
