use sea_orm::entity::prelude::*;

/// A public channel of the sources file (`[[channels]]`) that new matching
/// listings are posted to; `chat_id` is its row in `chats` (outside
/// Telegram's id range), which its posts are queued to.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `@name`, as written in the sources file.
    #[sea_orm(unique)]
    pub name: String,
    #[sea_orm(unique)]
    pub chat_id: i64,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "chat_id", to = "id")]
    pub chat: BelongsTo<super::chat::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
