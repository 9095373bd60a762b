//! Sources as data:
//!
//! - `listings.phone`: the advertiser's phone, where a source gives one;
//! - `sources.field_fill`: per field, the share of listings that had it in
//!   the last good run (JSON), to notice a field that goes empty (a layout
//!   change) — see `db::listings::record_run`;
//! - `source_runs.field_fill`: the same for each run, for the operator;
//! - `searches.periods`: the rental periods a search accepts (JSON array of
//!   `month`, `year`, `week`, `day`; null = any);
//! - outbox indexes for the fair claim: the chats with a message in flight
//!   (`status, chat_id`) and those sent one in the last second
//!   (`status, sent_at`);
//! - indexes for retention's pruning: `outbox (created_at)`,
//!   `listings (last_seen_at)`, `source_runs (started_at)`.

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
        for (name, table, cols) in [
            ("idx_outbox_status_chat", "outbox", &["status", "chat_id"][..]),
            ("idx_outbox_status_sent", "outbox", &["status", "sent_at"][..]),
            ("idx_outbox_created", "outbox", &["created_at"][..]),
            ("idx_listings_last_seen", "listings", &["last_seen_at"][..]),
            ("idx_source_runs_started", "source_runs", &["started_at"][..]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(table).if_not_exists();
            for col in cols {
                idx.col(*col);
            }
            manager.create_index(idx.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("idx_outbox_status_chat", "outbox"),
            ("idx_outbox_status_sent", "outbox"),
            ("idx_outbox_created", "outbox"),
            ("idx_listings_last_seen", "listings"),
            ("idx_source_runs_started", "source_runs"),
        ] {
            manager.drop_index(Index::drop().name(name).table(table).to_owned()).await?;
        }
        for (table, column) in
            [("listings", "phone"), ("sources", "field_fill"), ("source_runs", "field_fill"), ("searches", "periods")]
        {
            manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
