use sea_orm::entity::prelude::*;

/// A Telegram chat that talked to the bot; the id is Telegram's chat id.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub language: String,
    pub paused: bool,
    pub blocked: bool,
    pub blocked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the chat sent `/paysupport`: its next message goes to the admins.
    pub support_requested_at: Option<DateTimeUtc>,
    /// Quiet hours (minutes after local midnight): alerts in them are held
    /// and come as one digest when they end. Both set or both null.
    pub quiet_from: Option<i32>,
    pub quiet_to: Option<i32>,
    /// IANA time zone (`Europe/Berlin`); null: from the language.
    pub timezone: Option<String>,
    #[sea_orm(has_many)]
    pub searches: HasMany<super::search::Entity>,
    #[sea_orm(has_many)]
    pub access_periods: HasMany<super::access_period::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
