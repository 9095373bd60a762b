//! Queries on `access_periods`.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use chrono::{DateTime, Utc};
use entity::{
    access_period, chat, outbox, reminder_sent,
    status::{access_status, outbox_kind},
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, LockType, Query, SelectStatement},
};

use super::{
    begin_write,
    listings::{PRIORITY_NOTICE, enqueue},
    outbox::pending_row,
};
use crate::{
    bot::texts::{Lang, Texts},
    delivery::render::Notice,
};

/// The ids of chats with an active access period at `now` (a subquery):
/// who may get alerts, broadcasts, and counts as "with access".
pub fn chats_with_access(now: DateTime<Utc>) -> SelectStatement {
    Query::select()
        .column(access_period::Column::ChatId)
        .from(access_period::Entity)
        .and_where(access_period::Column::Status.eq(access_status::ACTIVE))
        .and_where(access_period::Column::StartsAt.lte(now))
        .and_where(access_period::Column::EndsAt.gt(now))
        .to_owned()
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

/// What kind of access [`extend`] adds, and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Extension<'a> {
    pub kind: &'a str,
    pub granted_by: Option<i64>,
    pub payment_id: Option<i64>,
}

/// Adds `duration` of access to the chat, starting at max(now, the end of
/// its current access), so no day already held is lost; returns the new end.
/// The one way access is given: trial, grant and payment.
pub async fn extend<C: ConnectionTrait>(
    db: &C,
    chat_id: i64,
    duration: Duration,
    what: Extension<'_>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, DbErr> {
    // One extension of a chat at a time: on PostgreSQL two payments (or a
    // payment and a grant) would otherwise both read the same end and
    // overlap. The chat's row lock lasts until the caller's transaction
    // ends. (SQLite's write transactions are serial already.)
    chat::Entity::find_by_id(chat_id).lock(LockType::Update).one(db).await?;
    let starts_at = access_end(db, chat_id, now).await?.unwrap_or(now).max(now);
    let ends_at = starts_at + chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX);
    access_period::Entity::insert(access_period::ActiveModel {
        chat_id: Set(chat_id),
        kind: Set(what.kind.to_owned()),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        status: Set(access_status::ACTIVE.to_owned()),
        granted_by: Set(what.granted_by),
        payment_id: Set(what.payment_id),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(ends_at)
}

/// What one pass of the expiry worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub reminders: u64,
    pub expired: u64,
    pub notices: u64,
}

/// A chat's run of adjoining active periods around `now`.
pub struct Chain<'a> {
    /// The period running at `now`.
    pub current: &'a access_period::Model,
    /// The period holding the chain's end: reminders are keyed by it.
    pub last: &'a access_period::Model,
    pub end: DateTime<Utc>,
}

/// The chain of `periods` (one chat's active periods, by start) that
/// covers `now`: the running period and the later ones that adjoin it.
pub fn chain_at<'a>(periods: &[&'a access_period::Model], now: DateTime<Utc>) -> Option<Chain<'a>> {
    let current = periods.iter().find(|p| p.starts_at <= now && p.ends_at > now)?;
    let mut chain = Chain { current, last: current, end: current.ends_at };
    for p in periods {
        if p.starts_at <= chain.end && p.ends_at > chain.end {
            (chain.last, chain.end) = (p, p.ends_at);
        }
    }
    Some(chain)
}

fn payload(text: String, t: Texts) -> String {
    let notice = Notice { text, action: Some((t.btn_renew().to_owned(), "m:plans".to_owned())) };
    serde_json::to_string(&notice).unwrap_or_default()
}

/// One pass of the expiry worker at `now`, in one transaction:
///
/// - reminders: for each chat with access, the chain's end E; an offset `o`
///   is due once `now ≥ E − o`, unless `E − o` is at or before the start of
///   the period holding E (a 3-day trial gets no "3 days left" at its very
///   start). Only the nearest due offset is sent (after downtime the older
///   ones are recorded as passed, not sent). Each (period, offset) is
///   recorded in `reminders_sent` with its outbox row, so no worker sends it
///   twice; a renewal makes a new last period, so reminders follow the new end.
/// - expiry: active periods that ended are marked expired; a chat whose
///   access ended with them gets one expiry notice (keyed by the period).
///
/// Reads happen outside any write transaction and the writes are committed
/// in chunks of [`PASS_CHUNK`] chats, so the database's write lock (SQLite)
/// is never held for the whole pass: the bot and the scraper keep writing
/// while 100,000 chats are looked at. Each chunk is atomic (a chat's
/// reminder marks with its outbox row), and every write is idempotent, so a
/// pass that fails half-way is finished by the next one.
pub async fn pass(db: &DatabaseConnection, offsets: &[Duration], now: DateTime<Utc>) -> Result<Pass, DbErr> {
    let mut report = Pass::default();
    let active = access_period::Entity::find()
        .filter(access_period::Column::Status.eq(access_status::ACTIVE))
        .order_by_asc(access_period::Column::ChatId)
        .order_by_asc(access_period::Column::StartsAt)
        .all(db)
        .await?;
    // Set-based: a list of every chat id would exceed the database's limit
    // on bound parameters (32,766 on SQLite) past that many chats.
    let with_periods = Query::select()
        .column(access_period::Column::ChatId)
        .from(access_period::Entity)
        .and_where(access_period::Column::Status.eq(access_status::ACTIVE))
        .to_owned();
    let chats: HashMap<i64, chat::Model> = chat::Entity::find()
        .filter(chat::Column::Id.in_subquery(with_periods))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let texts = |chat_id: i64| Texts(Lang::from_code(chats.get(&chat_id).map(|c| c.language.as_str())));
    let blocked = |chat_id: i64| chats.get(&chat_id).is_some_and(|c| c.blocked);

    let mut offsets: Vec<Duration> = offsets.to_vec();
    offsets.sort();
    // Per chat: its reminder marks and its outbox row, written together.
    let mut reminders: Vec<(Vec<reminder_sent::ActiveModel>, Option<outbox::ActiveModel>)> = Vec::new();
    let mut by_chat: HashMap<i64, Vec<&access_period::Model>> = HashMap::new();
    for p in &active {
        by_chat.entry(p.chat_id).or_default().push(p);
    }
    let chains: Vec<(i64, Chain<'_>)> =
        by_chat.iter().filter_map(|(chat, periods)| chain_at(periods, now).map(|c| (*chat, c))).collect();
    let last_ids: Vec<i64> = chains.iter().map(|(_, c)| c.last.id).collect();
    let mut recorded: HashSet<(i64, i64)> = HashSet::new();
    for ids in last_ids.chunks(1000) {
        for r in reminder_sent::Entity::find()
            .filter(reminder_sent::Column::AccessPeriodId.is_in(ids.to_vec()))
            .all(db)
            .await?
        {
            recorded.insert((r.access_period_id, r.offset_secs));
        }
    }
    for (chat_id, chain) in &chains {
        let due: Vec<&Duration> = offsets
            .iter()
            .filter(|o| {
                let at = chain.end - chrono::Duration::from_std(**o).unwrap_or(chrono::Duration::MAX);
                at <= now && at > chain.last.starts_at
            })
            .collect();
        let Some(nearest) = due.first() else { continue };
        if recorded.contains(&(chain.last.id, nearest.as_secs() as i64)) {
            continue;
        }
        let marks: Vec<reminder_sent::ActiveModel> = due
            .iter()
            .filter(|o| !recorded.contains(&(chain.last.id, o.as_secs() as i64)))
            .map(|o| reminder_sent::ActiveModel {
                access_period_id: Set(chain.last.id),
                offset_secs: Set(o.as_secs() as i64),
                sent_at: Set(now),
                ..Default::default()
            })
            .collect();
        if blocked(*chat_id) {
            reminders.push((marks, None));
            continue;
        }
        let t = texts(*chat_id);
        let key = format!("reminder:{}:{}", chain.last.id, nearest.as_secs());
        let text = payload(t.reminder(**nearest, chain.end), t);
        let row = pending_row(*chat_id, None, outbox_kind::REMINDER, key, PRIORITY_NOTICE, Some(text), now);
        reminders.push((marks, Some(row)));
        report.reminders += 1;
    }

    // Expiry: periods that ended; a notice where access ended with them.
    let ended: Vec<&access_period::Model> = active.iter().filter(|p| p.ends_at <= now).collect();
    report.expired = ended.len() as u64;
    let mut rows = Vec::new();
    let mut told: HashSet<i64> = HashSet::new();
    for p in &ended {
        let continues = by_chat.get(&p.chat_id).is_some_and(|ps| ps.iter().any(|q| q.ends_at > now));
        if continues || blocked(p.chat_id) || !told.insert(p.chat_id) {
            continue;
        }
        let t = texts(p.chat_id);
        let (key, text) = (format!("expiry:{}", p.id), payload(t.expired(), t));
        rows.push(pending_row(p.chat_id, None, outbox_kind::EXPIRY, key, PRIORITY_NOTICE, Some(text), now));
        report.notices += 1;
    }

    // Writes, a chunk of chats per short transaction.
    for chunk in reminders.chunks(PASS_CHUNK) {
        let txn = begin_write(db).await?;
        let marks: Vec<reminder_sent::ActiveModel> = chunk.iter().flat_map(|(m, _)| m.iter().cloned()).collect();
        for batch in marks.chunks(500) {
            reminder_sent::Entity::insert_many(batch.to_vec())
                .on_conflict_do_nothing_on([reminder_sent::Column::AccessPeriodId, reminder_sent::Column::OffsetSecs])
                .exec_without_returning(&txn)
                .await?;
        }
        enqueue(&txn, chunk.iter().filter_map(|(_, row)| row.clone()).collect()).await?;
        txn.commit().await?;
    }
    // An expiry notice is queued with its period's expiry, so neither is
    // lost or repeated if the pass stops between two chunks.
    let ended_ids: Vec<i64> = ended.iter().map(|p| p.id).collect();
    let notices: HashMap<i64, outbox::ActiveModel> = rows
        .into_iter()
        .filter_map(|row| {
            let key = row.dedup_key.clone().take().unwrap_or_default();
            key.strip_prefix("expiry:").and_then(|id| id.parse().ok()).map(|id| (id, row))
        })
        .collect();
    for ids in ended_ids.chunks(PASS_CHUNK) {
        let txn = begin_write(db).await?;
        access_period::Entity::update_many()
            .col_expr(access_period::Column::Status, Expr::value(access_status::EXPIRED))
            .col_expr(access_period::Column::ExpiredAt, Expr::value(now))
            .filter(access_period::Column::Id.is_in(ids.to_vec()))
            .filter(access_period::Column::Status.eq(access_status::ACTIVE))
            .exec(&txn)
            .await?;
        enqueue(&txn, ids.iter().filter_map(|id| notices.get(id).cloned()).collect()).await?;
        txn.commit().await?;
    }
    Ok(report)
}

/// Chats written per transaction by an expiry pass.
pub const PASS_CHUNK: usize = 2_000;
