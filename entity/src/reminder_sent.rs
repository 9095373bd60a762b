use sea_orm::entity::prelude::*;

/// A reminder sent before an access period ends; unique per (period, offset).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminders_sent")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub access_period_id: i64,
    pub offset_secs: i64,
    pub sent_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
