//! Where a flat is and where a user wants to live:
//!
//! - `listings.lat`, `listings.lon`: the coordinates a source gives (WGS 84
//!   degrees), null where it gives none;
//! - `searches.near_lat`, `near_lon`, `near_m`: a `near=LAT,LON:2km` filter
//!   (the radius in metres), null where the search has none.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for (table, column) in [
            ("listings", double_null("lat")),
            ("listings", double_null("lon")),
            ("searches", double_null("near_lat")),
            ("searches", double_null("near_lon")),
            ("searches", integer_null("near_m")),
        ] {
            manager.alter_table(Table::alter().table(table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            ("listings", "lat"),
            ("listings", "lon"),
            ("searches", "near_lat"),
            ("searches", "near_lon"),
            ("searches", "near_m"),
        ] {
            manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
