use sea_orm::entity::prelude::*;

/// A listing, unique per (source, external id).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "listings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source_id: i64,
    pub external_id: String,
    pub url: String,
    pub title: String,
    pub description: Option<String>,
    pub price: Option<i64>,
    pub currency: Option<String>,
    /// `month`, `week`, `day`, `year` or `total`.
    pub period: Option<String>,
    pub monthly_price: Option<i64>,
    /// 0 = studio.
    pub rooms: Option<f64>,
    pub area_m2: Option<f64>,
    pub district: Option<String>,
    pub furnished: Option<bool>,
    pub photo: Option<String>,
    /// Every photo URL the source gives (JSON array, `photo` first); null:
    /// none beyond `photo`.
    pub photos: Option<String>,
    /// The advertiser's phone, where the source gives one.
    pub phone: Option<String>,
    /// Where the flat is (WGS 84 degrees), when the source says.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// "❓ Still there?": when its page was last asked, and since when it
    /// is taken down (null: online, or never asked).
    pub checked_at: Option<DateTimeUtc>,
    pub gone_at: Option<DateTimeUtc>,
    pub first_seen_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "source_id", to = "id")]
    pub source: BelongsTo<super::source::Entity>,
    #[sea_orm(has_many)]
    pub prices: HasMany<super::listing_price::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
