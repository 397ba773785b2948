//! `Query`: every read of the schema.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};

use super::context::{self, page_cost, service};
use super::errors::GqlResult;
use super::mutation::RelateInput;
use super::types::entity::{EntityConnection, EntityFilterInput, EntityObject};
use super::types::event::{EventConnection, EventWindow, RelationEventFilterInput};
use super::types::node::{Node, load_node};
use super::types::relation::{RelationConnection, RelationFilterInput};
use super::types::relation_type::{RelationTypeConnection, RelationTypeObject};
use crate::domain::GlobalId;
use crate::error::AppError;
use crate::read;

/// The root of every read.
#[derive(Default)]
pub struct Query;

/// One rule a write would break.
#[derive(SimpleObject, Debug)]
pub struct Violation {
    /// The rule, as in `extensions.rule` of a `CONSTRAINT_VIOLATION` error:
    /// `PAIR_NOT_ALLOWED`, `LIMIT_EXCEEDED`, `DUPLICATE`, `SELF_RELATION`,
    /// `CROSS_SPACE`, `SYSTEM_MANAGED`, `LABEL_REQUIRED`, `FIELD_TOO_LONG`,
    /// `OUT_OF_RANGE`, `ATTRIBUTE_NOT_ALLOWED`, `INVALID_FORMAT`...
    pub rule: String,
    /// What is wrong, for a person to read.
    pub message: String,
}

/// The outcome of a dry run of `relate`.
#[derive(SimpleObject, Debug)]
pub struct RelationValidation {
    /// `relate` with this input would succeed.
    pub ok: bool,
    /// Every rule it would break (empty when `ok`).
    pub violations: Vec<Violation>,
}

fn not_found(id: &str) -> async_graphql::Error {
    AppError::not_found(format!("no node with id {id:?}")).into()
}

/// The root of every read.
// `paths` takes eight arguments; the lint fires on the generated resolver.
#[allow(clippy::too_many_arguments)]
#[Object]
impl Query {
    /// Fetches any object by its global id. An id that names nothing the
    /// caller can see answers `null` with a `NOT_FOUND` error; a malformed one
    /// is `BAD_USER_INPUT`.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id, as returned in any `id` field.")] id: ID,
    ) -> GqlResult<Option<Node>> {
        let gid = GlobalId::decode(&id)?;
        match load_node(ctx, gid).await? {
            Some(node) => Ok(Some(node)),
            None => Err(not_found(&id)),
        }
    }

    /// Fetches several objects by global id, in the order given. Each id that
    /// names nothing the caller can see is `null` in the list, with a
    /// `NOT_FOUND` error whose path points at its position.
    #[graphql(complexity = "ids.len().saturating_mul(child_complexity)")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, at most the maximum page size.")] ids: Vec<ID>,
    ) -> GqlResult<Vec<Option<Node>>> {
        let max = ctx.data_unchecked::<context::PageLimits>().max_size as usize;
        if ids.len() > max {
            return Err(AppError::bad_input(format!("at most {max} ids at once")).into());
        }
        let decoded = ids
            .iter()
            .map(|id| GlobalId::decode(id))
            .collect::<Result<Vec<_>, _>>()?;
        let found =
            futures_util::future::try_join_all(decoded.into_iter().map(|gid| load_node(ctx, gid)))
                .await?;
        let key = ctx.item.node.response_key().node.to_string();
        for (i, (node, id)) in found.iter().zip(&ids).enumerate() {
            if node.is_none() {
                let mut err = not_found(id).into_server_error(ctx.item.pos);
                err.path = vec![
                    async_graphql::PathSegment::Field(key.clone()),
                    async_graphql::PathSegment::Index(i),
                ];
                ctx.add_error(err);
            }
        }
        Ok(found)
    }

    /// Looks up an entity by its source's own key. `kind` is needed for
    /// sources whose ids are unique per kind (Copper) and optional for the
    /// others. Unknown keys answer `null` with a `NOT_FOUND` error.
    async fn entity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`copper`, `umbraco`, `kanka` or a custom source.")] source: String,
        #[graphql(desc = "The tenant; `default` when omitted.")] space: Option<String>,
        #[graphql(desc = "The record kind (required for Copper).")] kind: Option<String>,
        #[graphql(desc = "The source's own id.")] external_id: String,
    ) -> GqlResult<Option<EntityObject>> {
        let key =
            service(ctx).entity_key(&source, space.as_deref(), kind.as_deref(), &external_id)?;
        match context::loaders(ctx)
            .entity_by_key
            .load_one(key.clone())
            .await?
        {
            Some(e) => Ok(Some(EntityObject(e))),
            None => Err(AppError::not_found(format!(
                "no {source} entity {external_id} in space {}",
                key.space
            ))
            .into()),
        }
    }

    /// Lists entities, oldest first.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn entities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which entities; all when omitted.")] filter: Option<EntityFilterInput>,
        #[graphql(desc = "Return the first n edges (after `after`).")] first: Option<i32>,
        #[graphql(desc = "Return edges after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n edges (before `before`).")] last: Option<i32>,
        #[graphql(desc = "Return edges before this cursor.")] before: Option<String>,
    ) -> GqlResult<EntityConnection> {
        let window = context::window(ctx, first, after, last, before)?;
        Ok(EntityConnection::new(
            filter.unwrap_or_default().into(),
            window,
            crate::graphql::shape::entity_nodes(ctx),
        ))
    }

    /// Looks up a relation type by source and alias. Unknown ones answer
    /// `null` with a `NOT_FOUND` error.
    async fn relation_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The source the type belongs to.")] source: String,
        #[graphql(desc = "The type's alias within the source.")] alias: String,
    ) -> GqlResult<Option<RelationTypeObject>> {
        match read::relation_types::by_alias(context::reader(ctx), &source, &alias).await? {
            Some(t) => Ok(Some(RelationTypeObject(Arc::new(t)))),
            None => Err(AppError::not_found(format!(
                "{source} has no relation type with alias {alias}"
            ))
            .into()),
        }
    }

    /// Lists relation types, built-in ones first.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn relation_types(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only types of this source.")] source: Option<String>,
        #[graphql(desc = "Return the first n edges (after `after`).")] first: Option<i32>,
        #[graphql(desc = "Return edges after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n edges (before `before`).")] last: Option<i32>,
        #[graphql(desc = "Return edges before this cursor.")] before: Option<String>,
    ) -> GqlResult<RelationTypeConnection> {
        let window = context::window(ctx, first, after, last, before)?;
        Ok(RelationTypeConnection::new(source, window))
    }

    /// Lists relations, oldest first. Private relations are listed for admins
    /// only.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn relations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which relations; all when omitted.")] filter: Option<RelationFilterInput>,
        #[graphql(
            desc = "The order of the list (oldest first when omitted); the row id breaks ties. Cursors belong to the order they were taken in."
        )]
        order_by: Option<Vec<crate::graphql::types::filters::RelationOrderInput>>,
        #[graphql(desc = "Return the first n edges (after `after`).")] first: Option<i32>,
        #[graphql(desc = "Return edges after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n edges (before `before`).")] last: Option<i32>,
        #[graphql(desc = "Return edges before this cursor.")] before: Option<String>,
    ) -> GqlResult<RelationConnection> {
        use async_graphql::InputType;
        let order = crate::graphql::types::filters::order(&order_by.to_value())?;
        let window = context::window_in(ctx, first, after, last, before, &order)?;
        let filter = filter
            .unwrap_or_default()
            .decode(context::visibility(ctx), order)?;
        Ok(RelationConnection::new(
            filter,
            context::visibility(ctx),
            window,
        ))
    }

    /// The paths from one entity to another, shortest first (then by their
    /// relations' ids), none passing an entity twice. One recursive
    /// statement; private relations are walked for admins only.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::graphql::types::traversal::traversal_cost(Some(first.unwrap_or(5).saturating_mul(max_depth.unwrap_or(3))), max_depth, child_complexity)"
    )]
    async fn paths(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where the paths start (an `Entity` id).")] from_id: ID,
        #[graphql(desc = "Where the paths end (an `Entity` id).")] to_id: ID,
        #[graphql(
            default = 3,
            desc = "Most relations a path takes, 1 to 6 (3 when null)."
        )]
        max_depth: Option<i32>,
        #[graphql(desc = "Only relations whose type has one of these aliases.")] types: Option<
            Vec<String>,
        >,
        #[graphql(desc = "Only through entities of these kinds (the end entity too).")]
        kinds: Option<Vec<String>>,
        #[graphql(
            default_with = "Some(crate::graphql::types::entity::DirectionGql::Both)",
            desc = "Which way relations are followed (`BOTH` when null); bidirectional types both ways."
        )]
        direction: Option<crate::graphql::types::entity::DirectionGql>,
        #[graphql(default = 5, desc = "Most paths, 1 to 20 (5 when null).")] first: Option<i32>,
    ) -> GqlResult<Vec<crate::graphql::types::traversal::PathObject>> {
        use crate::graphql::types::traversal as t;
        let max_depth = t::hops(max_depth.unwrap_or(3), t::MAX_PATH_DEPTH, "maxDepth")?;
        let first = t::hops(first.unwrap_or(5), t::MAX_PATHS, "first")?;
        let walk = t::walk(ctx, max_depth, (types, kinds, direction));
        t::paths(ctx, (from_id, to_id), walk, first).await
    }

    /// The journal: every committed change to the relation graph, oldest
    /// first, from `after` on (the start without it). Changes to private
    /// relations are listed for admins only. Follow it by passing the last
    /// `endCursor` as `after`; no event is ever skipped (see the README).
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn relation_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return events after this cursor (an event's `cursor`, or a page's `endCursor`)."
        )]
        after: Option<String>,
        #[graphql(desc = "Return the first n events (after `after`).")] first: Option<i32>,
        #[graphql(desc = "Which events; all when omitted.")] filter: Option<
            RelationEventFilterInput,
        >,
    ) -> GqlResult<EventConnection> {
        let window = EventWindow::new(ctx, first, after)?;
        let filter = filter.unwrap_or_default().decode()?;
        Ok(EventConnection::new(
            filter,
            context::visibility(ctx),
            window,
        ))
    }

    /// A dry run of `relate`: every rule it would break, without writing.
    /// Unknown ids are still `NOT_FOUND` errors.
    async fn validate_relation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What `relate` would be given.")] input: RelateInput,
    ) -> GqlResult<RelationValidation> {
        let input = input.decode()?;
        // The dry run is a write transaction on a connection of its own.
        let violations = context::reader(ctx)
            .unpinned(service(ctx).validate(context::principal(ctx), input))
            .await?;
        Ok(RelationValidation {
            ok: violations.is_empty(),
            violations: violations
                .into_iter()
                .map(|v| Violation {
                    rule: v.rule.as_str().to_owned(),
                    message: v.message,
                })
                .collect(),
        })
    }
}
