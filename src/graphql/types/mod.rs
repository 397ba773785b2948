//! GraphQL object, input and enum types.

pub mod connection;
pub mod contract;
pub mod entity;
pub mod event;
pub mod filters;
pub mod node;
pub mod relation;
pub mod relation_type;
pub mod scalars;
pub mod traversal;
