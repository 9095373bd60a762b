//! Channels, shared searches and photo lists:
//!
//! - `channels`: a public channel of the sources file (`[[channels]]`,
//!   `chat = "@name"`) that new matching listings are posted to. Each has a
//!   row in `chats` (id `channels.chat_id`, out of the range of Telegram's
//!   ids, see `db::channels`) so its posts go through the outbox like every
//!   other message: paced, fenced, never twice (unique per chat, kind and
//!   listing); the chat's `blocked` marks a channel that refused the bot;
//! - `searches.share_group`: the searches of several chats that are one
//!   search (`/share`): a change by one applies to all; the value is the
//!   unguessable token of the share link;
//! - `listings.photos`: every photo URL a source gives for a listing (JSON
//!   array, the first one is `photo`), for "📷 Photos".

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("channels")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("name", 64))
                    .col(big_integer_uniq("chat_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_channels_chat")
                            .from("channels", "chat_id")
                            .to("chats", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table("searches").add_column(string_len_null("share_group", 32)).to_owned())
            .await?;
        manager
            .create_index(
                Index::create().name("idx_searches_share_group").table("searches").col("share_group").to_owned(),
            )
            .await?;
        manager.alter_table(Table::alter().table("listings").add_column(text_null("photos")).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("listings").drop_column("photos").to_owned()).await?;
        manager.drop_index(Index::drop().name("idx_searches_share_group").table("searches").to_owned()).await?;
        manager.alter_table(Table::alter().table("searches").drop_column("share_group").to_owned()).await?;
        manager.drop_table(Table::drop().table("channels").to_owned()).await?;
        Ok(())
    }
}
