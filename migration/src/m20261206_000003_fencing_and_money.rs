//! Fencing, the payment ledger and payment support:
//!
//! - `leases.epoch`: a fencing token that grows each time the lease passes
//!   to another owner; the sender's claims and updates carry it, so a
//!   deposed sender changes nothing;
//! - `payments.refund_admin`: who asked for a refund still `refunding`
//!   (recorded before Telegram is called, completed after);
//! - `cursors`: named positions, e.g. how far Telegram's Star ledger
//!   (`getStarTransactions`) has been reconciled;
//! - `chats.support_requested_at`: the chat sent `/paysupport` and its next
//!   message goes to the admins;
//! - `support_messages`: which user a message shown to an admin came from,
//!   so the admin's reply to it goes back to that user;
//! - `outbox.paid`: the message went out as a paid broadcast (0.1 Star).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("leases").add_column(big_integer("epoch").default(0)).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table("payments").add_column(big_integer_null("refund_admin")).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table("outbox").add_column(boolean("paid").default(false)).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("chats")
                    .add_column(timestamp_with_time_zone_null("support_requested_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("cursors")
                    .if_not_exists()
                    .col(string("name").primary_key())
                    .col(big_integer("value"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("support_messages")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("admin_chat_id"))
                    .col(big_integer("admin_message_id"))
                    .col(big_integer("user_chat_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_support_messages_admin_message")
                    .table("support_messages")
                    .col("admin_chat_id")
                    .col("admin_message_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("support_messages").to_owned()).await?;
        manager.drop_table(Table::drop().table("cursors").to_owned()).await?;
        for (table, column) in
            [("outbox", "paid"), ("chats", "support_requested_at"), ("payments", "refund_admin"), ("leases", "epoch")]
        {
            manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
