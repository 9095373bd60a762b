use sea_orm::entity::prelude::*;

/// A named lease held by one process until `expires_at` (replica coordination).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub owner: String,
    pub expires_at: DateTimeUtc,
    /// Grows each time the lease passes to another owner (a fencing token).
    pub epoch: i64,
}

impl ActiveModelBehavior for ActiveModel {}
