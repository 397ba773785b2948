//! Pure types and rules: no IO, no database, no GraphQL.
//!
//! The model of DESIGN.md ("The unified model"): [`Entity`], [`Relation`],
//! [`RelationType`] and its [`Contract`], global ids and cursors, and the
//! source profiles' shape.

pub mod contract;
pub mod definition;
pub mod event;
pub mod ids;
pub mod model;
pub mod page;
pub mod read;
pub mod rules;
pub mod source;
pub mod text;

pub use contract::{
    AttributeRules, CardinalityLimit, Contract, DuplicatePolicy, EndpointKind, IntRange, KindPair,
    TextRule,
};
pub use event::{
    Actor, EndKey, Event, EventCursor, EventKind, NewEvent, Origin, RelationState, Subject,
};
pub use ids::{GlobalId, NodeType};
pub use model::{
    Attributes, Direction, Entity, EntityKey, Relation, RelationAttributes, RelationType,
};
pub use page::{Cursor, PageArgs, PageWindow, SortKey, SortValue};
pub use read::{
    Edge, EdgeColumns, EdgeFilter, EdgeShape, EntityFilter, EntityShape, EventFilter, GroupCounts,
    ListKey, OrderField, OrderTerm, PathRow, Reached, RelatedRow, RelationConditions,
    RelationFilter, SortKind, SortPart, TextMatch, TextOp, TimeRange, Visibility, WalkFilter,
    counts_with_page, order_signature, sort_parts,
};
pub use source::{DEFAULT_SPACE, IdFormat, IdScope, RelationTypeDef, SourceProfile};
