//! The admins' commands: figures, access grants and broadcasts. Every grant
//! and broadcast is written to `admin_audit` in the same transaction as its
//! effect.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{
    access_period, admin_audit, chat, listing, outbox, search, source,
    status::{access_kind, access_status, outbox_kind, outbox_status},
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Query,
};

use super::{begin_write, listings::enqueue, outbox::pending_row};

/// Broadcasts go after every alert, reminder and notice.
pub const PRIORITY_BROADCAST: i16 = 2;

/// What `/stats` shows.
#[derive(Debug, Clone)]
pub struct Stats {
    pub chats: u64,
    pub blocked: u64,
    pub with_access: u64,
    pub searches: u64,
    pub listings: u64,
    pub listings_24h: u64,
    pub sent_24h: u64,
    pub pending: u64,
    pub failed: u64,
    pub sources: Vec<source::Model>,
}

/// Chats with an active access period at `now`.
fn with_access_query(now: DateTime<Utc>) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(access_period::Column::ChatId)
        .from(access_period::Entity)
        .and_where(access_period::Column::Status.eq(access_status::ACTIVE))
        .and_where(access_period::Column::StartsAt.lte(now))
        .and_where(access_period::Column::EndsAt.gt(now))
        .to_owned()
}

pub async fn stats(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Stats, DbErr> {
    let day_ago = now - chrono::Duration::hours(24);
    let outbox_with = |status: &str| outbox::Entity::find().filter(outbox::Column::Status.eq(status));
    Ok(Stats {
        chats: chat::Entity::find().count(db).await?,
        blocked: chat::Entity::find().filter(chat::Column::Blocked.eq(true)).count(db).await?,
        with_access: chat::Entity::find()
            .filter(chat::Column::Id.in_subquery(with_access_query(now)))
            .count(db)
            .await?,
        searches: search::Entity::find().count(db).await?,
        listings: listing::Entity::find().count(db).await?,
        listings_24h: listing::Entity::find().filter(listing::Column::FirstSeenAt.gte(day_ago)).count(db).await?,
        sent_24h: outbox_with(outbox_status::SENT).filter(outbox::Column::SentAt.gte(day_ago)).count(db).await?,
        pending: outbox::Entity::find()
            .filter(outbox::Column::Status.is_in([outbox_status::PENDING, outbox_status::SENDING]))
            .count(db)
            .await?,
        failed: outbox_with(outbox_status::FAILED).count(db).await?,
        sources: source::Entity::find().order_by_asc(source::Column::Name).all(db).await?,
    })
}

async fn audit(
    txn: &DatabaseTransaction,
    admin: i64,
    action: &str,
    target: Option<i64>,
    details: String,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let result = admin_audit::Entity::insert(admin_audit::ActiveModel {
        admin_chat_id: Set(admin),
        action: Set(action.to_owned()),
        target_chat_id: Set(target),
        details: Set(Some(details)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    Ok(result.last_insert_id)
}

/// The end of the chat's access, counting every active period that has not
/// ended by `now`.
pub async fn access_end<C: ConnectionTrait>(
    db: &C,
    chat_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let last = access_period::Entity::find()
        .filter(access_period::Column::ChatId.eq(chat_id))
        .filter(access_period::Column::Status.eq(access_status::ACTIVE))
        .filter(access_period::Column::EndsAt.gt(now))
        .order_by_desc(access_period::Column::EndsAt)
        .one(db)
        .await?;
    Ok(last.map(|p| p.ends_at))
}

/// Extends `target`'s access by `duration` from max(now, current end).
/// `None` when the chat never talked to the bot.
pub async fn grant(
    db: &DatabaseConnection,
    admin: i64,
    target: i64,
    duration: Duration,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let txn = begin_write(db).await?;
    if chat::Entity::find_by_id(target).one(&txn).await?.is_none() {
        return Ok(None);
    }
    let starts_at = access_end(&txn, target, now).await?.unwrap_or(now).max(now);
    let ends_at = starts_at + chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX);
    access_period::Entity::insert(access_period::ActiveModel {
        chat_id: Set(target),
        kind: Set(access_kind::GRANTED.to_owned()),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        status: Set(access_status::ACTIVE.to_owned()),
        granted_by: Set(Some(admin)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await?;
    let details = format!("{} until {}", humantime::format_duration(duration), ends_at.format("%Y-%m-%d %H:%M UTC"));
    audit(&txn, admin, "grant", Some(target), details, now).await?;
    txn.commit().await?;
    Ok(Some(ends_at))
}

/// Queues `text` to every chat with active access that has not blocked the
/// bot, at the lowest priority; returns how many were queued.
pub async fn broadcast(db: &DatabaseConnection, admin: i64, text: &str, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let txn = begin_write(db).await?;
    let chats: Vec<i64> = chat::Entity::find()
        .select_only()
        .column(chat::Column::Id)
        .filter(chat::Column::Blocked.eq(false))
        .filter(chat::Column::Id.in_subquery(with_access_query(now)))
        .into_tuple()
        .all(&txn)
        .await?;
    let id = audit(&txn, admin, "broadcast", None, format!("{} chats: {text}", chats.len()), now).await?;
    let payload = serde_json::json!({ "text": text }).to_string();
    let key = format!("broadcast:{id}");
    let rows = chats
        .iter()
        .map(|chat_id| {
            let payload = Some(payload.clone());
            pending_row(*chat_id, None, outbox_kind::BROADCAST, key.clone(), PRIORITY_BROADCAST, payload, now)
        })
        .collect();
    // `enqueue` inserts in chunks.
    let queued = enqueue(&txn, rows).await?;
    txn.commit().await?;
    Ok(queued)
}
