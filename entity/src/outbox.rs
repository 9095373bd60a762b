use sea_orm::entity::prelude::*;

/// A message to deliver. Unique per (chat, kind, dedup_key).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub chat_id: i64,
    pub listing_id: Option<i64>,
    /// One of [`crate::status::outbox_kind`].
    pub kind: String,
    pub dedup_key: String,
    /// 0 alerts, 1 reminders and notices, 2 broadcasts: lower goes first.
    pub priority: i16,
    /// Kind-specific JSON (old price, broadcast text, …).
    pub payload: Option<String>,
    /// One of [`crate::status::outbox_status`].
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub claimed_at: Option<DateTimeUtc>,
    pub claimed_by: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    /// Sent as a paid broadcast (`allow_paid_broadcast`, 0.1 Star).
    pub paid: bool,
    #[sea_orm(belongs_to, from = "chat_id", to = "id")]
    pub chat: BelongsTo<super::chat::Entity>,
    #[sea_orm(belongs_to, from = "listing_id", to = "id")]
    pub listing: BelongsTo<Option<super::listing::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
