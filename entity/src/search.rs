use sea_orm::entity::prelude::*;

/// A saved search. `rooms`, `districts` and `exclude` are JSON arrays.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "searches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub chat_id: i64,
    pub source: Option<String>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub rooms: Option<String>,
    pub rooms_min: Option<f64>,
    pub rooms_max: Option<f64>,
    pub area_min: Option<f64>,
    pub area_max: Option<f64>,
    pub districts: Option<String>,
    pub furnished: Option<bool>,
    pub exclude: Option<String>,
    /// Rental periods accepted (JSON array); null = any.
    pub periods: Option<String>,
    /// Districts muted from alerts (JSON array); null = none.
    pub muted_districts: Option<String>,
    /// Sources muted from alerts (JSON array); null = none.
    pub muted_sources: Option<String>,
    pub paused: bool,
    /// The searches of several chats that are one search (`/share`): the
    /// share link's token; a change by one applies to all. Null: not shared.
    pub share_group: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "chat_id", to = "id")]
    pub chat: BelongsTo<super::chat::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
