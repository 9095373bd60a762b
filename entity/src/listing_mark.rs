use sea_orm::entity::prelude::*;

/// A chat's mark on a listing, set from an alert's buttons: `hidden` or
/// `saved` (see `status::listing_mark`).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listing_marks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub chat_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub listing_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub mark: String,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "chat_id", to = "id")]
    pub chat: BelongsTo<super::chat::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
