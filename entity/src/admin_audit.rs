use sea_orm::entity::prelude::*;

/// One admin action (grant, broadcast, …), kept for accountability.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_audit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub admin_chat_id: i64,
    pub action: String,
    pub target_chat_id: Option<i64>,
    pub details: Option<String>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
