use sea_orm::entity::prelude::*;

/// A user's `/paysupport` message as shown to one admin: the admin's reply
/// to it goes back to `user_chat_id`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "support_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub admin_chat_id: i64,
    pub admin_message_id: i64,
    pub user_chat_id: i64,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
