use sea_orm::entity::prelude::*;

/// A price a listing was seen with (its price history).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listing_prices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub listing_id: i64,
    pub price: i64,
    pub monthly_price: Option<i64>,
    pub currency: Option<String>,
    pub seen_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "listing_id", to = "id")]
    pub listing: BelongsTo<super::listing::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
