//! The admins' commands: figures, access grants and broadcasts. Every grant
//! and broadcast is written to `admin_audit` in the same transaction as its
//! effect.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{
    admin_audit, chat, listing, outbox, search, source,
    status::{access_kind, outbox_kind, outbox_status},
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::{
    access::{Extension, extend},
    begin_write,
    outbox::enqueue,
    outbox::pending_row,
};

/// Queues `text` to every admin now, once per `key` and minute (a notice
/// about a component, from outside any other transaction).
pub async fn notify(db: &DatabaseConnection, admins: &[i64], key: &str, text: &str) -> Result<(), DbErr> {
    notify_as(db, admins, key, text, false).await
}

/// [`notify`], each admin in their own language ([`super::outbox::notify_each`]).
pub async fn notify_each(
    db: &DatabaseConnection,
    admins: &[i64],
    key: &str,
    render: super::outbox::Render<'_>,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let key = format!("{key}:{}", now.timestamp() / 60);
    super::outbox::notify_each(&txn, admins, &key, render, false, now).await?;
    txn.commit().await
}

/// [`notify`] with a text that is already Telegram HTML (its interpolated
/// values escaped by the caller).
pub async fn notify_html(db: &DatabaseConnection, chats: &[i64], key: &str, html: &str) -> Result<(), DbErr> {
    notify_as(db, chats, key, html, true).await
}

async fn notify_as(db: &DatabaseConnection, chats: &[i64], key: &str, text: &str, html: bool) -> Result<(), DbErr> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let key = format!("{key}:{}", now.timestamp() / 60);
    super::outbox::notify_chats(&txn, chats, &key, text, html, now).await?;
    txn.commit().await
}

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

pub async fn stats(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Stats, DbErr> {
    let day_ago = now - chrono::Duration::hours(24);
    let outbox_with = |status: &str| outbox::Entity::find().filter(outbox::Column::Status.eq(status));
    Ok(Stats {
        // Channels of the sources file have chat rows too; they are not users.
        chats: chat::Entity::find().filter(chat::Column::Id.gt(super::channels::CHAT_ID_BASE)).count(db).await?,
        // A channel refusing the bot's posts is not a user who blocked it.
        blocked: chat::Entity::find()
            .filter(chat::Column::Blocked.eq(true))
            .filter(chat::Column::Id.gt(super::channels::CHAT_ID_BASE))
            .count(db)
            .await?,
        with_access: chat::Entity::find()
            .filter(chat::Column::Id.in_subquery(super::reach::chats_with_access(now)))
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
        sources: super::sources::all(db).await?,
    })
}

/// The latencies (queued at the scrape → sent) of the last `limit` alerts
/// sent, with their listing's source id, seconds.
pub async fn recent_latencies(db: &DatabaseConnection, limit: u64) -> Result<Vec<(i64, f64)>, DbErr> {
    type Row = (Option<i64>, DateTime<Utc>, Option<DateTime<Utc>>);
    let rows: Vec<Row> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::ListingId)
        .column(outbox::Column::CreatedAt)
        .column(outbox::Column::SentAt)
        .filter(outbox::Column::Status.eq(outbox_status::SENT))
        .filter(outbox::Column::Kind.is_in([outbox_kind::NEW_LISTING, outbox_kind::PRICE_DROP]))
        .order_by_desc(outbox::Column::SentAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.0).collect::<std::collections::HashSet<_>>().into_iter().collect();
    let mut source_of = std::collections::HashMap::new();
    for chunk in ids.chunks(1_000) {
        let found: Vec<(i64, i64)> = listing::Entity::find()
            .select_only()
            .column(listing::Column::Id)
            .column(listing::Column::SourceId)
            .filter(listing::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        source_of.extend(found);
    }
    Ok(rows
        .into_iter()
        .filter_map(|(listing, queued, sent)| {
            let source = *source_of.get(&listing?)?;
            Some((source, (sent? - queued).num_milliseconds().max(0) as f64 / 1000.0))
        })
        .collect())
}

pub(super) async fn audit(
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
    let grant = Extension { kind: access_kind::GRANTED, granted_by: Some(admin), payment_id: None };
    let ends_at = extend(&txn, target, duration, grant, now).await?;
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
        .filter(chat::Column::Id.in_subquery(super::reach::chats_with_access(now)))
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
