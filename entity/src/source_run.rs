use sea_orm::entity::prelude::*;

/// One scrape run of a source.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "source_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source_id: i64,
    pub started_at: DateTimeUtc,
    pub finished_at: DateTimeUtc,
    /// One of [`crate::status::run_outcome`].
    pub outcome: String,
    pub found: i32,
    pub new: i32,
    pub price_drops: i32,
    pub missing_price: i32,
    pub error: Option<String>,
    /// Per field, the share of this run's listings that had it (JSON).
    pub field_fill: Option<String>,
    #[sea_orm(belongs_to, from = "source_id", to = "id")]
    pub source: BelongsTo<super::source::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
