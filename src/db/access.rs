//! Queries on `access_periods`.

use chrono::{DateTime, Utc};
use entity::{access_period, status::access_status};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, sea_query::Expr};

/// Marks every active period that has ended as expired; returns how many.
/// A single UPDATE, so concurrent workers never expire a period twice.
pub async fn expire_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = access_period::Entity::update_many()
        .col_expr(access_period::Column::Status, Expr::value(access_status::EXPIRED))
        .col_expr(access_period::Column::ExpiredAt, Expr::value(now))
        .filter(access_period::Column::Status.eq(access_status::ACTIVE))
        .filter(access_period::Column::EndsAt.lte(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
