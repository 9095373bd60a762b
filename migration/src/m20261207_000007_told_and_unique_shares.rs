//! What each chat was told, kept as long as the listing:
//!
//! - `told`: one row per chat and listing it was alerted to (a new listing
//!   or a price drop queued for it), written in the transaction that queues
//!   the alert, deleted with the listing (or the chat). Until now this was
//!   read from the outbox, which retention prunes after 30 days while
//!   listings live 90: price drops, "back on the market", the alert's
//!   buttons and the once-per-chat album stopped after a month.
//!   `photos_at`: when the listing's photos were queued for the chat (📷,
//!   once per chat and listing).
//!
//!   Filled from the outbox rows still kept.
//! - `searches (chat_id, share_group)` unique: a chat is in a share group
//!   once, however many times it follows the link at the same moment (a
//!   duplicate left by such a race before is removed, the oldest kept).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("told")
                    .if_not_exists()
                    .col(big_integer("chat_id"))
                    .col(big_integer("listing_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("photos_at"))
                    .primary_key(Index::create().col("chat_id").col("listing_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_told_chat")
                            .from("told", "chat_id")
                            .to("chats", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_told_listing")
                            .from("told", "listing_id")
                            .to("listings", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_told_listing").table("told").col("listing_id").to_owned())
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO told (chat_id, listing_id, created_at) \
             SELECT chat_id, listing_id, MIN(created_at) FROM outbox \
             WHERE kind IN ('new', 'price_drop') AND listing_id IN (SELECT id FROM listings) \
             AND chat_id IN (SELECT id FROM chats) GROUP BY chat_id, listing_id",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE told SET photos_at = (SELECT MIN(o.created_at) FROM outbox o WHERE o.kind = 'photos' \
             AND o.chat_id = told.chat_id AND o.listing_id = told.listing_id)",
        )
        .await?;
        db.execute_unprepared(
            "DELETE FROM searches WHERE share_group IS NOT NULL AND id NOT IN \
             (SELECT MIN(id) FROM searches WHERE share_group IS NOT NULL GROUP BY chat_id, share_group)",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_searches_chat_share_group")
                    .table("searches")
                    .col("chat_id")
                    .col("share_group")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_searches_chat_share_group").table("searches").to_owned()).await?;
        manager.drop_table(Table::drop().table("told").to_owned()).await
    }
}
