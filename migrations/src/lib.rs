//! relgate's schema migrations (sea-orm-migration).
//!
//! One file per change, named `mYYYYMMDD_HHMMSS_verb_object.rs`; each file is
//! self-contained (its own `DeriveIden` enums) and has a working `down`.
//! The server runs [`Migrator::up`] at start-up, so a new migration only needs
//! to be listed in [`Migrator::migrations`].

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_relation_store;
mod m20261123_000002_create_api_tokens;
mod m20261201_000001_create_relation_events;
mod m20261201_000002_create_journal_state;
mod m20261201_000003_create_relation_filter_indexes;

pub use m20261201_000001_create_relation_events::created_events_sql;

/// Every migration of relgate's store, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_relation_store::Migration),
            Box::new(m20261123_000002_create_api_tokens::Migration),
            Box::new(m20261201_000001_create_relation_events::Migration),
            Box::new(m20261201_000002_create_journal_state::Migration),
            Box::new(m20261201_000003_create_relation_filter_indexes::Migration),
        ]
    }
}
