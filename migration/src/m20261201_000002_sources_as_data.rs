//! Sources as data:
//!
//! - `listings.phone`: the advertiser's phone, where a source gives one;
//! - `sources.field_fill`: per field, the share of listings that had it in
//!   the last good run (JSON), to notice a field that goes empty (a layout
//!   change) — see `db::listings::record_run`;
//! - `source_runs.field_fill`: the same for each run, for the operator;
//! - `searches.periods`: the rental periods a search accepts (JSON array of
//!   `month`, `year`, `week`, `day`; null = any).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for (table, column) in
            [("listings", "phone"), ("sources", "field_fill"), ("source_runs", "field_fill"), ("searches", "periods")]
        {
            manager.alter_table(Table::alter().table(table).add_column(text_null(column)).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in
            [("listings", "phone"), ("sources", "field_fill"), ("source_runs", "field_fill"), ("searches", "periods")]
        {
            manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
