//! Acting on an alert:
//!
//! - `listing_marks`: a chat hid a listing (🙈, never sent again, price drops
//!   included) or saved it (⭐, listed by `/saved`, its price drops always
//!   sent); one row per chat, listing and mark;
//! - `searches.muted_districts`, `searches.muted_sources`: districts and
//!   sources muted (🔕) for a search, JSON arrays like `districts`;
//! - `chats.quiet_from`, `chats.quiet_to`, `chats.timezone`: quiet hours
//!   (minutes after local midnight) in the chat's time zone; alerts in them
//!   are held (`outbox.status = 'held'`) and sent as one digest;
//! - an index for an alert's market context (listings of the same source,
//!   district and rooms seen lately).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["muted_districts", "muted_sources"] {
            manager.alter_table(Table::alter().table("searches").add_column(text_null(column)).to_owned()).await?;
        }
        for column in ["quiet_from", "quiet_to"] {
            manager.alter_table(Table::alter().table("chats").add_column(integer_null(column)).to_owned()).await?;
        }
        manager
            .alter_table(Table::alter().table("chats").add_column(string_len_null("timezone", 64)).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("listing_marks")
                    .if_not_exists()
                    .col(big_integer("chat_id"))
                    .col(big_integer("listing_id"))
                    .col(string_len("mark", 16))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("chat_id").col("listing_id").col("mark"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_listing_marks_chat")
                            .from("listing_marks", "chat_id")
                            .to("chats", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_listing_marks_listing")
                            .from("listing_marks", "listing_id")
                            .to("listings", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Marks go with their listing (retention) or chat; the sender looks
        // marks up by listing.
        manager
            .create_index(
                Index::create().name("idx_listing_marks_listing").table("listing_marks").col("listing_id").to_owned(),
            )
            .await?;
        // The market context of an alert: listings like it (same source,
        // district and rooms) seen lately.
        manager
            .create_index(
                Index::create()
                    .name("idx_listings_comparables")
                    .table("listings")
                    .col("source_id")
                    .col("district")
                    .col("rooms")
                    .col("last_seen_at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_listings_comparables").table("listings").to_owned()).await?;
        manager.drop_table(Table::drop().table("listing_marks").to_owned()).await?;
        for column in ["muted_districts", "muted_sources"] {
            manager.alter_table(Table::alter().table("searches").drop_column(column).to_owned()).await?;
        }
        for column in ["quiet_from", "quiet_to", "timezone"] {
            manager.alter_table(Table::alter().table("chats").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
