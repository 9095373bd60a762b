//! `channels`: the public channels of the sources file. Each has a row in
//! `chats` (so its posts are outbox rows like every other message: paced,
//! fenced, never twice), with an id below [`CHAT_ID_BASE`], out of the range
//! of Telegram's chat ids (channels and supergroups are around -10^12): the
//! sender reaches it by its `@name`. The chat's `blocked` marks a channel
//! that refused the bot (403, not an admin).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{channel, chat, outbox, status::outbox_status};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    sea_query::Expr,
};

use super::begin_write;

/// Chat ids of channels are this minus the channel's id.
pub const CHAT_ID_BASE: i64 = -4_000_000_000_000_000;

/// How long a channel that refused the bot gets no posts; then one is tried
/// again (the bot may have been made an admin since).
pub const REFUSAL_PAUSE: chrono::TimeDelta = chrono::TimeDelta::hours(6);

/// Whether `chat_id` is a channel's.
pub fn is_channel(chat_id: i64) -> bool {
    chat_id <= CHAT_ID_BASE
}

/// Records the configured channels (`@name`, language) and returns each
/// name's chat id. A channel that had refused the bot is tried again: the
/// operator restarted, perhaps after fixing it. A channel no longer in the
/// sources file gets none of the posts still queued for it (dropped).
pub async fn sync(
    db: &DatabaseConnection,
    channels: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<HashMap<String, i64>, DbErr> {
    let txn = begin_write(db).await?;
    let mut known: HashMap<String, channel::Model> =
        channel::Entity::find().all(&txn).await?.into_iter().map(|c| (c.name.clone(), c)).collect();
    let mut ids = HashMap::new();
    for (name, language) in channels {
        let key = name.to_ascii_lowercase();
        let row = match known.get(&key) {
            Some(row) => row.clone(),
            None => {
                // Ids are given here (a channel's chat id derives from it),
                // inside the write transaction; a replica starting at the
                // same moment fails on the unique name and retries.
                let id = known.values().map(|c| c.id).max().unwrap_or(0) + 1;
                let chat_id = CHAT_ID_BASE - id;
                chat::Entity::insert(chat::ActiveModel {
                    id: Set(chat_id),
                    username: Set(Some(key.trim_start_matches('@').to_owned())),
                    first_name: Set(Some(key.clone())),
                    language: Set(language.clone()),
                    paused: Set(false),
                    blocked: Set(false),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .exec_without_returning(&txn)
                .await?;
                let row = channel::Model { id, name: key.clone(), chat_id, created_at: now };
                channel::Entity::insert(channel::ActiveModel {
                    id: Set(id),
                    name: Set(key.clone()),
                    chat_id: Set(chat_id),
                    created_at: Set(now),
                })
                .exec_without_returning(&txn)
                .await?;
                known.insert(key.clone(), row.clone());
                row
            }
        };
        chat::Entity::update_many()
            .col_expr(chat::Column::Language, Expr::value(language.clone()))
            .col_expr(chat::Column::Blocked, Expr::value(false))
            .col_expr(chat::Column::BlockedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(chat::Column::Id.eq(row.chat_id))
            .exec(&txn)
            .await?;
        ids.insert(name.clone(), row.chat_id);
    }
    let configured: HashSet<String> = channels.iter().map(|(name, _)| name.to_ascii_lowercase()).collect();
    let removed: Vec<i64> = known.values().filter(|c| !configured.contains(&c.name)).map(|c| c.chat_id).collect();
    if !removed.is_empty() {
        let dropped = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(outbox_status::DROPPED))
            .col_expr(outbox::Column::LastError, Expr::value("the channel is no longer in the sources file"))
            .filter(outbox::Column::ChatId.is_in(removed))
            .filter(outbox::Column::Status.is_in([outbox_status::PENDING, outbox_status::HELD]))
            .exec(&txn)
            .await?
            .rows_affected;
        if dropped > 0 {
            tracing::info!(dropped, "posts queued for channels no longer in the sources file dropped");
        }
    }
    txn.commit().await?;
    Ok(ids)
}

/// The `@name` of each channel among `chat_ids`.
pub async fn names_of(db: &DatabaseConnection, chat_ids: &[i64]) -> Result<HashMap<i64, String>, DbErr> {
    let ids: Vec<i64> = chat_ids.iter().copied().filter(|c| is_channel(*c)).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(channel::Entity::find()
        .filter(channel::Column::ChatId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.chat_id, c.name))
        .collect())
}

/// The chat id of each channel named in `names` that takes posts now: it
/// has not refused the bot, or refused it over [`REFUSAL_PAUSE`] ago.
pub async fn open_for_posts<C: ConnectionTrait>(
    db: &C,
    names: &[String],
    now: DateTime<Utc>,
) -> Result<HashMap<String, i64>, DbErr> {
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let keys: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    let rows = channel::Entity::find().filter(channel::Column::Name.is_in(keys)).all(db).await?;
    let chats: HashMap<i64, chat::Model> = chat::Entity::find()
        .filter(chat::Column::Id.is_in(rows.iter().map(|r| r.chat_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let open = |c: &chat::Model| !c.blocked || c.blocked_at.is_none_or(|at| at < now - REFUSAL_PAUSE);
    Ok(rows.into_iter().filter(|r| chats.get(&r.chat_id).is_some_and(open)).map(|r| (r.name, r.chat_id)).collect())
}

/// A channel refused the bot: it is marked, its waiting posts are dropped,
/// and, when it had not refused before, `text` goes to the admins (once per
/// refusal). Returns whether the admins were told.
pub async fn refused(
    db: &DatabaseConnection,
    chat_id: i64,
    admins: &[i64],
    text: super::outbox::Render<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let txn = begin_write(db).await?;
    let was_blocked = chat::Entity::find_by_id(chat_id).one(&txn).await?.is_some_and(|c| c.blocked);
    super::outbox::block_in(&txn, chat_id, "the channel refuses the bot", now).await?;
    if !was_blocked {
        let key = format!("channel:{chat_id}:refused:{}", now.timestamp_millis());
        super::outbox::notify_each(&txn, admins, &key, text, false, now).await?;
    }
    txn.commit().await?;
    Ok(!was_blocked)
}

/// A post reached the channel: if it had refused the bot before, it no
/// longer does.
pub async fn accepted(db: &DatabaseConnection, chat_id: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    chat::Entity::update_many()
        .col_expr(chat::Column::Blocked, Expr::value(false))
        .col_expr(chat::Column::BlockedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(chat::Column::UpdatedAt, Expr::value(now))
        .filter(chat::Column::Id.eq(chat_id))
        .filter(chat::Column::Blocked.eq(true))
        .exec(db)
        .await?;
    Ok(())
}
