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
    /// `near=`: listings within `near_m` metres of (`near_lat`, `near_lon`).
    pub near_lat: Option<f64>,
    pub near_lon: Option<f64>,
    pub near_m: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "chat_id", to = "id")]
    pub chat: BelongsTo<super::chat::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}

/// What the scraper reads of every candidate search: the columns that say
/// which listings it matches, and whose it is (a run reads 300,000 of these
/// at 100,000 users, so nothing else).
#[derive(Clone, Debug, PartialEq, DerivePartialModel)]
#[sea_orm(entity = "Entity")]
pub struct Filter {
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
    pub periods: Option<String>,
    pub muted_districts: Option<String>,
    pub muted_sources: Option<String>,
    pub near_lat: Option<f64>,
    pub near_lon: Option<f64>,
    pub near_m: Option<i32>,
}

impl From<&Model> for Filter {
    fn from(m: &Model) -> Self {
        Self {
            id: m.id,
            chat_id: m.chat_id,
            source: m.source.clone(),
            price_min: m.price_min,
            price_max: m.price_max,
            rooms: m.rooms.clone(),
            rooms_min: m.rooms_min,
            rooms_max: m.rooms_max,
            area_min: m.area_min,
            area_max: m.area_max,
            districts: m.districts.clone(),
            furnished: m.furnished,
            exclude: m.exclude.clone(),
            periods: m.periods.clone(),
            muted_districts: m.muted_districts.clone(),
            muted_sources: m.muted_sources.clone(),
            near_lat: m.near_lat,
            near_lon: m.near_lon,
            near_m: m.near_m,
        }
    }
}
