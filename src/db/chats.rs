//! Queries on `chats` and the trial granted on first contact.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{access_period, chat, status::access_kind, status::access_status};
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait};

use super::begin_write;

/// What [`register`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registration {
    /// First contact: the chat was created and given its trial.
    pub new: bool,
    /// The chat had blocked the bot and is now unblocked.
    pub unblocked: bool,
}

/// Who is registering.
#[derive(Debug, Clone)]
pub struct ChatProfile {
    pub id: i64,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub language: String,
}

/// Creates the chat on first contact, with a trial access period of
/// `trial` (none when zero); on later contact refreshes its profile and
/// unblocks it. One transaction, so a chat never exists without its trial.
pub async fn register(
    db: &DatabaseConnection,
    profile: &ChatProfile,
    trial: Duration,
    now: DateTime<Utc>,
) -> Result<Registration, DbErr> {
    let txn = begin_write(db).await?;
    let existing = chat::Entity::find_by_id(profile.id).one(&txn).await?;
    let registration = match existing {
        Some(found) => {
            let unblocked = found.blocked;
            let mut am: chat::ActiveModel = found.into();
            am.username = Set(profile.username.clone());
            am.first_name = Set(profile.first_name.clone());
            am.language = Set(profile.language.clone());
            am.blocked = Set(false);
            am.blocked_at = Set(None);
            am.updated_at = Set(now);
            chat::Entity::update(am).exec(&txn).await?;
            Registration { new: false, unblocked }
        }
        None => {
            chat::Entity::insert(chat::ActiveModel {
                id: Set(profile.id),
                username: Set(profile.username.clone()),
                first_name: Set(profile.first_name.clone()),
                language: Set(profile.language.clone()),
                paused: Set(false),
                blocked: Set(false),
                blocked_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_without_returning(&txn)
            .await?;
            if !trial.is_zero() {
                let ends_at = now + chrono::Duration::from_std(trial).unwrap_or(chrono::Duration::MAX);
                access_period::Entity::insert(access_period::ActiveModel {
                    chat_id: Set(profile.id),
                    kind: Set(access_kind::TRIAL.to_owned()),
                    starts_at: Set(now),
                    ends_at: Set(ends_at),
                    status: Set(access_status::ACTIVE.to_owned()),
                    created_at: Set(now),
                    ..Default::default()
                })
                .exec_without_returning(&txn)
                .await?;
            }
            Registration { new: true, unblocked: false }
        }
    };
    txn.commit().await?;
    Ok(registration)
}
