//! Outbox indexes that a large fan-out can write quickly:
//!
//! A run that alerts 100,000 chats queues hundreds of thousands of rows in
//! chunks of a few thousand (each chunk one short transaction). An index
//! whose first column is the chat id takes those rows in random order, so
//! every chunk rewrites most of its pages (SQLite's WAL, PostgreSQL's full
//! page writes): two such indexes made most of a run's write time.
//!
//! - the uniqueness of (chat, kind, key) is kept, with the key first: a
//!   listing's alerts share their key and land side by side;
//! - `(status, chat_id)` is replaced by `(chat_id) WHERE status = 'held'`,
//!   the only rows looked up by chat (a chat's held alerts, the chats with a
//!   digest due). The messages in flight are found through
//!   `idx_outbox_due`, whose first column is the status.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in [
            "CREATE UNIQUE INDEX IF NOT EXISTS uq_outbox_key_kind_chat ON outbox (dedup_key, kind, chat_id)",
            "DROP INDEX IF EXISTS uq_outbox_chat_kind_key",
            "CREATE INDEX IF NOT EXISTS idx_outbox_held ON outbox (chat_id) WHERE status = 'held'",
            "DROP INDEX IF EXISTS idx_outbox_status_chat",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in [
            "CREATE INDEX IF NOT EXISTS idx_outbox_status_chat ON outbox (status, chat_id)",
            "DROP INDEX IF EXISTS idx_outbox_held",
            "CREATE UNIQUE INDEX IF NOT EXISTS uq_outbox_chat_kind_key ON outbox (chat_id, kind, dedup_key)",
            "DROP INDEX IF EXISTS uq_outbox_key_kind_chat",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
