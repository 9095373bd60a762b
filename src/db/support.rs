//! Payment support threads: which user a message shown to an admin came
//! from, so the admin's reply to it goes back to that user.

use chrono::{DateTime, Utc};
use entity::support_message;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

/// Remembers that `admin_message_id` in `admin_chat_id` shows a message of `user_chat_id`.
pub async fn remember(
    db: &DatabaseConnection,
    admin_chat_id: i64,
    admin_message_id: i64,
    user_chat_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    support_message::Entity::insert(support_message::ActiveModel {
        admin_chat_id: Set(admin_chat_id),
        admin_message_id: Set(admin_message_id),
        user_chat_id: Set(user_chat_id),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([support_message::Column::AdminChatId, support_message::Column::AdminMessageId])
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The user whose message `admin_message_id` in `admin_chat_id` shows.
pub async fn user_of(db: &DatabaseConnection, admin_chat_id: i64, admin_message_id: i64) -> Result<Option<i64>, DbErr> {
    Ok(support_message::Entity::find()
        .filter(support_message::Column::AdminChatId.eq(admin_chat_id))
        .filter(support_message::Column::AdminMessageId.eq(admin_message_id))
        .one(db)
        .await?
        .map(|m| m.user_chat_id))
}

/// How many admin-side messages (forwarded copies and their headers) the
/// requests of `user_chat_id` left since `since`.
pub async fn forwarded_since(db: &DatabaseConnection, user_chat_id: i64, since: DateTime<Utc>) -> Result<u64, DbErr> {
    support_message::Entity::find()
        .filter(support_message::Column::UserChatId.eq(user_chat_id))
        .filter(support_message::Column::CreatedAt.gt(since))
        .count(db)
        .await
}
