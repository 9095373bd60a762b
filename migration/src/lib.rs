//! Versioned, append-only schema migrations for homehound.
//!
//! `homehound run` and `homehound migrate` apply them once, in `main`, before
//! any component starts. Each file is one step named
//! `mYYYYMMDD_HHMMSS_verb_noun`; a released step is never edited, a change is a
//! new step.

pub use sea_orm_migration::prelude::*;

pub use sea_orm_migration::MigrationStatus;

mod m20261123_000001_create_schema;
mod m20261201_000002_sources_as_data;
mod m20261206_000003_fencing_and_money;
mod m20261206_000004_alert_actions;
mod m20261206_000005_channels_shares_photos;
mod m20261207_000006_runs_that_crash;
mod m20261207_000007_told_and_unique_shares;
mod m20261207_000008_outbox_for_bulk_queueing;
mod m20261208_000009_outbox_without_foreign_keys;
mod m20261208_000010_coordinates;
mod m20261208_000011_listing_presence;

/// The list of every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_schema::Migration),
            Box::new(m20261201_000002_sources_as_data::Migration),
            Box::new(m20261206_000003_fencing_and_money::Migration),
            Box::new(m20261206_000004_alert_actions::Migration),
            Box::new(m20261206_000005_channels_shares_photos::Migration),
            Box::new(m20261207_000006_runs_that_crash::Migration),
            Box::new(m20261207_000007_told_and_unique_shares::Migration),
            Box::new(m20261207_000008_outbox_for_bulk_queueing::Migration),
            Box::new(m20261208_000009_outbox_without_foreign_keys::Migration),
            Box::new(m20261208_000010_coordinates::Migration),
            Box::new(m20261208_000011_listing_presence::Migration),
        ]
    }
}
