//! Named positions in outside records (how far Telegram's Star ledger has
//! been reconciled).

use chrono::{DateTime, Utc};
use entity::cursor;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, sea_query::OnConflict};

/// The position stored under `name`; 0 when none is.
pub async fn get<C: ConnectionTrait>(db: &C, name: &str) -> Result<i64, DbErr> {
    Ok(cursor::Entity::find_by_id(name.to_owned()).one(db).await?.map_or(0, |c| c.value))
}

/// Stores `value` under `name`.
pub async fn set<C: ConnectionTrait>(db: &C, name: &str, value: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    cursor::Entity::insert(cursor::ActiveModel { name: Set(name.to_owned()), value: Set(value), updated_at: Set(now) })
        .on_conflict(
            OnConflict::column(cursor::Column::Name)
                .update_columns([cursor::Column::Value, cursor::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
