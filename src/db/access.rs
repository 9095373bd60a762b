//! Queries on `access_periods`.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use chrono::{DateTime, Utc};
use entity::{access_period, chat, outbox, reminder_sent, status::access_status};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, Query},
};

use super::{begin_write, outbox::enqueue};

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
    // One extension (or refund) of a chat at a time: on PostgreSQL two
    // payments (or a payment and a grant) would otherwise both read the same
    // end and overlap.
    super::lock_chat(db, chat_id).await?;
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

/// What an expiry pass reads: every active period (by chat, then start)
/// and the chats that hold them. Read outside any write transaction.
pub async fn active_periods(
    db: &DatabaseConnection,
) -> Result<(Vec<access_period::Model>, HashMap<i64, chat::Model>), DbErr> {
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
    let chats = chat::Entity::find()
        .filter(chat::Column::Id.in_subquery(with_periods))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok((active, chats))
}

/// The (period, offset in seconds) reminders recorded for `period_ids`.
pub async fn recorded_reminders(db: &DatabaseConnection, period_ids: &[i64]) -> Result<HashSet<(i64, i64)>, DbErr> {
    let mut recorded = HashSet::new();
    for ids in period_ids.chunks(1000) {
        for r in reminder_sent::Entity::find()
            .filter(reminder_sent::Column::AccessPeriodId.is_in(ids.to_vec()))
            .all(db)
            .await?
        {
            recorded.insert((r.access_period_id, r.offset_secs));
        }
    }
    Ok(recorded)
}

/// One chat's reminder marks and the reminder to queue with them (none for a
/// blocked chat: its marks are recorded all the same).
pub type Reminder = (Vec<reminder_sent::ActiveModel>, Option<outbox::ActiveModel>);

/// Records reminders, [`PASS_CHUNK`] chats per short transaction, each chat's
/// marks with its outbox row. Idempotent.
pub async fn record_reminders(db: &DatabaseConnection, reminders: &[Reminder]) -> Result<(), DbErr> {
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
    Ok(())
}

/// Marks the `ended` periods expired, [`PASS_CHUNK`] per short transaction,
/// each with its expiry notice from `notices` (by period id), so neither is
/// lost or repeated if a pass stops between two chunks. Idempotent.
pub async fn expire_periods(
    db: &DatabaseConnection,
    ended: &[i64],
    notices: &HashMap<i64, outbox::ActiveModel>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for ids in ended.chunks(PASS_CHUNK) {
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
    Ok(())
}

/// Chats written per transaction by an expiry pass.
pub const PASS_CHUNK: usize = 2_000;
