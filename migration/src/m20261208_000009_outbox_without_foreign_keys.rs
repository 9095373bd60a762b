//! The outbox without foreign keys on PostgreSQL.
//!
//! Each alert row's foreign key on `chats` takes a share lock on the chat's
//! row, which PostgreSQL writes into that row: a run that alerts 100,000
//! chats dirtied every page of `chats` and wrote it to the WAL again. The
//! same 391,000 alerts took 10.8 s to insert with both keys, 7.0 s without
//! the one on `chats` and 5.4 s without either (measured in one statement on
//! the development machine).
//!
//! What the keys guarded is kept by the code that writes and deletes:
//! - chats are never deleted, and an alert is only queued for a chat read
//!   from `searches`, `chats` or `marks` (whose own keys still hold);
//! - retention deletes a listing's messages in the same transaction as the
//!   listing (`db::retention`), which the cascade did before; a message
//!   whose listing is gone is dropped by the sender ("listing no longer
//!   stored").
//!
//! SQLite keeps its keys: it checks them with a lookup, locks nothing, and
//! dropping one would mean copying the table.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for sql in [
            "ALTER TABLE outbox DROP CONSTRAINT IF EXISTS fk_outbox_chat",
            "ALTER TABLE outbox DROP CONSTRAINT IF EXISTS fk_outbox_listing",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for sql in [
            // Anti-joins: `NOT IN (SELECT …)` over a million listings is
            // checked row by row once it no longer fits `work_mem`.
            "DELETE FROM outbox o WHERE o.listing_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM listings l WHERE l.id = o.listing_id)",
            "DELETE FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM chats c WHERE c.id = o.chat_id)",
            "ALTER TABLE outbox ADD CONSTRAINT fk_outbox_chat FOREIGN KEY (chat_id) REFERENCES chats (id) \
             ON DELETE CASCADE",
            "ALTER TABLE outbox ADD CONSTRAINT fk_outbox_listing FOREIGN KEY (listing_id) REFERENCES listings (id) \
             ON DELETE CASCADE",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
