use sea_orm::entity::prelude::*;

/// A period of access: trial, paid or granted.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_periods")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub chat_id: i64,
    /// One of [`crate::status::access_kind`].
    pub kind: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// One of [`crate::status::access_status`].
    pub status: String,
    pub payment_id: Option<i64>,
    pub granted_by: Option<i64>,
    pub expired_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "chat_id", to = "id")]
    pub chat: BelongsTo<super::chat::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
