//! SeaORM models of the three tables, and their conversion to domain types.

pub mod api_token;
pub mod entity;
pub mod relation;
pub mod relation_type;
