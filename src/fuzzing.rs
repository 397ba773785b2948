//! The entry points of the fuzz targets (`tests/fuzz/targets`), in one
//! place. Not an API: it exists so that cargo-fuzz, which builds the crate
//! as a library, reaches the parts that decode untrusted input, and it may
//! change with them.
//!
//! - global ids: [`GlobalId::decode`], [`GlobalId::decode_as`];
//! - cursors: [`Cursor::decode`], [`Cursor::decode_keyed`],
//!   [`PageArgs::window_in`], [`EventCursor::decode`];
//! - the compiled planner: [`plan`] and [`sub_selection`] over a parsed
//!   document and its variables;
//! - the dialects' bodies: [`copper_body`], [`kanka_body`],
//!   [`umbraco_body`] (each `Err` holds the status the dialect answers).

pub use crate::dialects::copper::fuzz_body as copper_body;
pub use crate::dialects::kanka::fuzz_body as kanka_body;
pub use crate::dialects::umbraco::fuzz_body as umbraco_body;
pub use crate::domain::{
    Cursor, EventCursor, GlobalId, NodeType, OrderField, OrderTerm, PageArgs, SortKey, Visibility,
};
pub use crate::graphql::PageLimits;
pub use crate::graphql::compiled::plan::{Env, Of, Scope, plan, sub_selection};
