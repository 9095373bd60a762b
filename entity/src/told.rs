use sea_orm::entity::prelude::*;

/// A chat was alerted to a listing (a new listing or a price drop queued
/// for it); kept as long as the listing. `photos_at`: its photos were
/// queued for the chat (once).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "told")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub chat_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub listing_id: i64,
    pub created_at: DateTimeUtc,
    pub photos_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
