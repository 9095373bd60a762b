//! Runs that crash the process, and API windows that move only forward:
//!
//! - `sources.run_started_at`: set when a run starts, cleared when it is
//!   recorded (or dropped on a clean stop). Still set at the next start, it
//!   is a run that took the process down (kill -9, out of memory, a crash):
//!   that source is backed off instead of being run again at once;
//! - `sources.crashes`: such runs in a row (the backoff grows with them);
//! - `sources.backoff_until`: no replica runs the source before then;
//! - `sources.window_at`: the start of the `{since}` window: moved forward
//!   only by a run that read every page it asked for.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for column in [
            timestamp_with_time_zone_null("run_started_at"),
            integer("crashes").default(0).to_owned(),
            timestamp_with_time_zone_null("backoff_until"),
            timestamp_with_time_zone_null("window_at"),
        ] {
            let mut column = column;
            manager.alter_table(Table::alter().table("sources").add_column(&mut column).to_owned()).await?;
        }
        // Until now the window started at the last successful run.
        manager.get_connection().execute_unprepared("UPDATE sources SET window_at = last_success_at").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["window_at", "backoff_until", "crashes", "run_started_at"] {
            manager.alter_table(Table::alter().table("sources").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
