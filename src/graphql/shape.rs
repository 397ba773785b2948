//! What a field that async-graphql resolves reads, decided as the compiled
//! executor decides it: the field's own selection is planned with the
//! compiled planner (`compiled::plan::sub_selection`) and its shape taken
//! from that plan (`compiled::entity_shape` and friends). So both executors
//! read the same columns for the same selection, and the loaders (whose
//! keys carry the shapes) run the statements the compiled executor runs. A
//! selection the planner does not answer (a field outside the compiled
//! subset, say) reads everything.
//!
//! A field's shape is planned once per request and place in the document
//! ([`ShapeCache`]): the `other` of a thousand edges is one field.
//!
//! This reads two of async-graphql's hidden context fields (`item`, the
//! field being resolved, and `query_env`, the operation's variables and
//! fragments); the README's table of workarounds lists it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_graphql::Context;

use super::PageLimits;
use super::compiled::plan::{self, Env, Of, Planned, Scope};
use super::compiled::{edges_shape, entity_shape, nodes_shape};
use super::context;
use crate::domain::{EdgeColumns, EdgeShape, EntityShape};

/// The shapes planned for one HTTP request's fields, by the field's place
/// in the document (a field of a fragment spread in several places has one
/// selection, so one shape). Requests over HTTP carry one; subscriptions,
/// whose connection runs many documents, plan each time.
#[derive(Default)]
pub struct ShapeCache(Mutex<HashMap<(usize, usize, u8), Shape>>);

/// A planned shape.
#[derive(Clone, Copy)]
enum Shape {
    Entity(EntityShape),
    Edges(EdgeShape),
}

/// The shape of the current field as `of`, from the request's cache or
/// planned by `plan` (and kept).
fn cached(ctx: &Context<'_>, kind: u8, plan: impl FnOnce() -> Shape) -> Shape {
    let Some(cache) = ctx.data_opt::<ShapeCache>() else {
        return plan();
    };
    let pos = ctx.item.pos;
    let key = (pos.line, pos.column, kind);
    let lock = || cache.0.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(s) = lock().get(&key) {
        return *s;
    }
    let shape = plan();
    lock().insert(key, shape);
    shape
}

fn planned(ctx: &Context<'_>, of: Of) -> Option<Planned> {
    let scope = Scope {
        variable_definitions: &ctx.query_env.operation.node.variable_definitions,
        fragments: &ctx.query_env.fragments,
    };
    let env = Env {
        limits: *ctx.data_unchecked::<PageLimits>(),
        visibility: context::visibility(ctx),
        variables: &ctx.query_env.variables,
    };
    plan::sub_selection(&scope, &env, &ctx.item.node.selection_set.node, of).ok()
}

/// What the entity the current field resolves to shows.
pub fn entity(ctx: &Context<'_>) -> EntityShape {
    let shape = cached(ctx, 0, || {
        Shape::Entity(match planned(ctx, Of::Entity) {
            Some(Planned::Entity(sels)) => entity_shape(&sels),
            _ => EntityShape::Row,
        })
    });
    match shape {
        Shape::Entity(s) => s,
        Shape::Edges(_) => EntityShape::Row,
    }
}

/// What the current `edges` field of an `Entity.relations` connection shows.
pub fn relation_edges(ctx: &Context<'_>) -> EdgeShape {
    let shape = cached(ctx, 1, || {
        Shape::Edges(match planned(ctx, Of::RelationEdge) {
            Some(Planned::RelationEdge(sels)) => edges_shape(&sels),
            _ => EdgeShape::Rows(EdgeColumns::ALL),
        })
    });
    match shape {
        Shape::Edges(s) => s,
        Shape::Entity(_) => EdgeShape::Rows(EdgeColumns::ALL),
    }
}

/// What the nodes of the current `Query.entities` field show.
pub fn entity_nodes(ctx: &Context<'_>) -> EntityShape {
    match planned(ctx, Of::EntityConnection) {
        Some(Planned::EntityConnection(fields)) => nodes_shape(&fields),
        _ => EntityShape::Row,
    }
}
