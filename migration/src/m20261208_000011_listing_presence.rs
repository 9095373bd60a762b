//! "❓ Still there?" on `/saved`: what a listing's own page said when last
//! asked.
//!
//! - `listings.checked_at`: when its page was last fetched for that;
//! - `listings.gone_at`: since when it is taken down (null: online, or
//!   never asked).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [timestamp_with_time_zone_null("checked_at"), timestamp_with_time_zone_null("gone_at")] {
            manager.alter_table(Table::alter().table("listings").add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["checked_at", "gone_at"] {
            manager.alter_table(Table::alter().table("listings").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
