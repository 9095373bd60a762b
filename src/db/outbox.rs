//! The outbox: every message homehound sends, claimed and marked here.
//!
//! Invariants:
//! - a row is unique per (chat, kind, dedup key) (schema), so nothing is
//!   queued twice;
//! - a sender claims rows (`pending` → `sending`, with `claimed_at` and
//!   `claimed_by`) in a short write transaction, sends outside any
//!   transaction, and marks the row `sent` right after Telegram accepts it;
//! - a live sender renews its claims ([`renew_claims`]); claims of a sender
//!   that died are released ([`release_claims`]) on start (SQLite) or once
//!   their lease runs out (PostgreSQL, where other replicas may be alive);
//!   a message is therefore sent again only if the process died between
//!   Telegram accepting it and the row being marked (never a loss);
//! - on PostgreSQL claims use `FOR UPDATE SKIP LOCKED`, so several senders
//!   never claim the same row;
//! - a claim carries its sender's token (owner and lease epoch), and every
//!   outcome is recorded only while the row is still `sending` under that
//!   token ([`Fence`]): a deposed sender's late update changes nothing, and
//!   a `sent` row never goes back.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{
    chat, outbox,
    status::{outbox_kind, outbox_status},
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    ExprTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, LockBehavior, LockType, Query, SimpleExpr},
};

use super::begin_write;

/// Priority of listing alerts in the outbox (lower goes first).
pub const PRIORITY_ALERT: i16 = 0;
/// Priority of reminders and notices.
pub const PRIORITY_NOTICE: i16 = 1;
/// Channel posts wait behind chats' alerts and notices.
pub const PRIORITY_CHANNEL: i16 = 2;

/// A new `pending` row, due now: what every producer (alerts, notices,
/// reminders, broadcasts) queues through [`enqueue`].
pub fn pending_row(
    chat_id: i64,
    listing_id: Option<i64>,
    kind: &str,
    dedup_key: String,
    priority: i16,
    payload: Option<String>,
    now: DateTime<Utc>,
) -> outbox::ActiveModel {
    outbox::ActiveModel {
        chat_id: Set(chat_id),
        listing_id: Set(listing_id),
        kind: Set(kind.to_owned()),
        dedup_key: Set(dedup_key),
        priority: Set(priority),
        payload: Set(payload),
        status: Set(outbox_status::PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        paid: Set(false),
        ..Default::default()
    }
}

/// Queues the other photos of `listing_id` to `chat_id` ("📷 Photos"),
/// once per chat and listing (recorded with what the chat was told, kept as
/// long as the listing): `false` when they were queued before. The caller
/// checks that the chat was told of the listing.
pub async fn queue_photos(
    db: &DatabaseConnection,
    chat_id: i64,
    listing_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let txn = begin_write(db).await?;
    if !super::told::take_photos(&txn, chat_id, listing_id, now).await? {
        return Ok(false);
    }
    let row =
        pending_row(chat_id, Some(listing_id), outbox_kind::PHOTOS, listing_id.to_string(), PRIORITY_ALERT, None, now);
    enqueue(&txn, vec![row]).await?;
    txn.commit().await?;
    Ok(true)
}

/// Returns every `sending` row (claimed before `before`) to `pending`.
pub async fn release_claims(db: &DatabaseConnection, before: DateTime<Utc>) -> Result<u64, DbErr> {
    release_where(db, outbox::Column::ClaimedAt.lt(before)).await
}

/// Returns the `sending` rows matching `which` to `pending`.
async fn release_where(db: &DatabaseConnection, which: SimpleExpr) -> Result<u64, DbErr> {
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(outbox_status::PENDING))
        .col_expr(outbox::Column::ClaimedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(outbox::Column::ClaimedBy, Expr::value(Option::<String>::None))
        .filter(outbox::Column::Status.eq(outbox_status::SENDING))
        .filter(which)
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Returns every row claimed by a sender other than `owner` to `pending`
/// (the new holder of the sender lease takes over a dead sender's claims).
pub async fn release_claims_of_others(db: &DatabaseConnection, owner: &str) -> Result<u64, DbErr> {
    release_where(db, outbox::Column::ClaimedBy.ne(owner)).await
}

/// Renews `owner`'s claims on the rows it is sending right now (`ids`).
/// A claimed row that is not in flight (its task ended without recording
/// the outcome) is not renewed: its claim expires and the row is retried.
pub async fn renew_claims(db: &DatabaseConnection, owner: &str, ids: &[i64], now: DateTime<Utc>) -> Result<u64, DbErr> {
    let mut renewed = 0;
    for chunk in ids.chunks(500) {
        renewed += outbox::Entity::update_many()
            .col_expr(outbox::Column::ClaimedAt, Expr::value(now))
            .filter(outbox::Column::Status.eq(outbox_status::SENDING))
            .filter(outbox::Column::ClaimedBy.eq(owner))
            .filter(outbox::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(renewed)
}

/// Claims up to `limit` due rows for `owner`, fairly: at most one row per
/// chat, never for a chat that has a message in flight or was sent one in
/// the last second (it could not be sent before then anyway), highest
/// priority first, then oldest first. A chat with a backlog is therefore
/// skipped while its last message is on its way, and the other chats'
/// messages go ahead of the rest of its backlog.
pub async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<Vec<outbox::Model>, DbErr> {
    let txn = begin_write(db).await?;
    let in_flight = Query::select()
        .column(outbox::Column::ChatId)
        .from(outbox::Entity)
        .and_where(outbox::Column::Status.eq(outbox_status::SENDING))
        .to_owned();
    // A channel takes about 20 posts a minute: one per 3 s.
    let just_sent = Query::select()
        .column(outbox::Column::ChatId)
        .from(outbox::Entity)
        .and_where(outbox::Column::Status.eq(outbox_status::SENT))
        .cond_where(
            Condition::any().add(outbox::Column::SentAt.gt(now - chrono::Duration::seconds(1))).add(
                Condition::all()
                    .add(outbox::Column::Kind.eq(outbox_kind::CHANNEL_POST))
                    .add(outbox::Column::SentAt.gt(now - chrono::Duration::seconds(3))),
            ),
        )
        .to_owned();
    // Queue order, skipping the chats that could not be sent to now anyway:
    // their backlog never fills the window the other chats are picked from.
    let due = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(outbox_status::PENDING))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .filter(outbox::Column::ChatId.not_in_subquery(in_flight))
        .filter(outbox::Column::ChatId.not_in_subquery(just_sent))
        .order_by_asc(outbox::Column::Priority)
        .order_by_asc(outbox::Column::NextAttemptAt)
        .order_by_asc(outbox::Column::Id)
        .limit((limit * 4) as u64)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    let mut chats = HashSet::new();
    let mut picked: Vec<outbox::Model> = due.into_iter().filter(|r| chats.insert(r.chat_id)).take(limit).collect();
    // Checked again at send time: a chat paused, blocked or without access
    // since the alert was queued gets no alert (dropped, not held).
    let alert_chats: Vec<i64> = picked.iter().filter(|r| is_alert(&r.kind)).map(|r| r.chat_id).collect();
    if !alert_chats.is_empty() {
        let reachable: HashSet<i64> = chat::Entity::find()
            .select_only()
            .column(chat::Column::Id)
            .filter(chat::Column::Id.is_in(alert_chats))
            .filter(super::reach::reachable(now))
            .into_tuple()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        let (keep, drop): (Vec<_>, Vec<_>) =
            picked.into_iter().partition(|r| !is_alert(&r.kind) || reachable.contains(&r.chat_id));
        picked = keep;
        if !drop.is_empty() {
            outbox::Entity::update_many()
                .col_expr(outbox::Column::Status, Expr::value(outbox_status::DROPPED))
                .col_expr(outbox::Column::LastError, Expr::value("chat paused, blocked or without access at send time"))
                .filter(outbox::Column::Id.is_in(drop.iter().map(|r| r.id)))
                .exec(&txn)
                .await?;
        }
    }
    if !picked.is_empty() {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(outbox_status::SENDING))
            .col_expr(outbox::Column::ClaimedAt, Expr::value(now))
            .col_expr(outbox::Column::ClaimedBy, Expr::value(owner))
            .filter(outbox::Column::Id.is_in(picked.iter().map(|r| r.id)))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(picked)
}

/// Rows that reach a chat only while it is reachable (not paused, not
/// blocked, with access): alerts, the digests that hold them, and the
/// photos of a listing asked for under an alert.
fn is_alert(kind: &str) -> bool {
    [outbox_kind::NEW_LISTING, outbox_kind::PRICE_DROP, outbox_kind::DIGEST, outbox_kind::PHOTOS].contains(&kind)
}

/// A claimed row and the claim's token: what every outcome is recorded
/// against.
#[derive(Debug, Clone, Copy)]
pub struct Fence<'a> {
    pub id: i64,
    pub token: &'a str,
}

impl Fence<'_> {
    /// Still claimed by this token.
    fn held(&self) -> SimpleExpr {
        outbox::Column::Id
            .eq(self.id)
            .and(outbox::Column::Status.eq(outbox_status::SENDING))
            .and(outbox::Column::ClaimedBy.eq(self.token))
    }
}

/// Telegram accepted the message. `false` when the claim was no longer
/// this sender's (nothing changed).
pub async fn mark_sent(db: &DatabaseConnection, row: Fence<'_>, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let txn = begin_write(db).await?;
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(outbox_status::SENT))
        .col_expr(outbox::Column::SentAt, Expr::value(now))
        .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
        .filter(row.held())
        .exec(&txn)
        .await?;
    super::told::record_from(&txn, outbox::Column::Id.eq(row.id)).await?;
    txn.commit().await?;
    Ok(result.rows_affected > 0)
}

/// Telegram accepted these messages (`paid`: as paid broadcasts), all
/// claimed under `token`: one statement for a batch of sends. Returns how
/// many rows were still this sender's (the others changed nothing).
pub async fn mark_sent_many(
    db: &DatabaseConnection,
    token: &str,
    ids: &[i64],
    paid: bool,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut marked = 0;
    for chunk in ids.chunks(1_000) {
        // The mark and what the chats were told of, together.
        let txn = begin_write(db).await?;
        let rows = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(outbox_status::SENT))
            .col_expr(outbox::Column::SentAt, Expr::value(now))
            .col_expr(outbox::Column::Paid, Expr::value(paid))
            .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
            .filter(outbox::Column::Id.is_in(chunk.iter().copied()))
            .filter(outbox::Column::Status.eq(outbox_status::SENDING))
            .filter(outbox::Column::ClaimedBy.eq(token))
            .exec(&txn)
            .await?
            .rows_affected;
        if rows > 0 {
            let sent =
                outbox::Column::Id.is_in(chunk.iter().copied()).and(outbox::Column::Status.eq(outbox_status::SENT));
            super::told::record_from(&txn, sent).await?;
        }
        txn.commit().await?;
        marked += rows;
    }
    Ok(marked)
}

/// Drops claimed rows (alerts no longer owed) with `why`, under `token`.
pub async fn drop_many(db: &DatabaseConnection, token: &str, ids: &[i64], why: &str) -> Result<(), DbErr> {
    let update = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(outbox_status::DROPPED))
        .col_expr(outbox::Column::LastError, Expr::value(why));
    update_claimed(db, token, ids, update).await
}

/// Holds claimed alerts (quiet hours) until [`fold_digest`] gathers them.
pub async fn hold_many(db: &DatabaseConnection, token: &str, ids: &[i64]) -> Result<(), DbErr> {
    let update = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(outbox_status::HELD))
        .col_expr(outbox::Column::ClaimedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(outbox::Column::ClaimedBy, Expr::value(Option::<String>::None));
    update_claimed(db, token, ids, update).await
}

/// Applies `update` to the rows of `ids` still claimed under `token`,
/// 1,000 ids per statement.
async fn update_claimed(
    db: &DatabaseConnection,
    token: &str,
    ids: &[i64],
    update: sea_orm::UpdateMany<outbox::Entity>,
) -> Result<(), DbErr> {
    for chunk in ids.chunks(1_000) {
        update
            .clone()
            .filter(outbox::Column::Id.is_in(chunk.iter().copied()))
            .filter(outbox::Column::Status.eq(outbox_status::SENDING))
            .filter(outbox::Column::ClaimedBy.eq(token))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// `status = 'held'`, written as a literal: a bound value would hide from
/// either database's planner that the partial index `idx_outbox_held` (the
/// held rows by chat) holds every row the query reads.
fn is_held() -> SimpleExpr {
    const _: () = assert!(matches!(outbox_status::HELD.as_bytes(), b"held"));
    Expr::cust("\"status\" = 'held'")
}

/// Chats with held alerts, in order of chat id, after `after`: at most
/// `limit` (a caller pages through all of them by key).
pub async fn held_chats(db: &DatabaseConnection, after: i64, limit: u64) -> Result<Vec<i64>, DbErr> {
    outbox::Entity::find()
        .select_only()
        .column(outbox::Column::ChatId)
        .filter(is_held())
        .filter(outbox::Column::ChatId.gt(after))
        .distinct()
        .order_by_asc(outbox::Column::ChatId)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// One held alert as it goes into a digest: its listing and, for a price
/// drop, the drop's payload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DigestItem {
    pub listing: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<String>,
}

/// Times a chat's held alerts are gathered into a digest that then fails,
/// before they are given up.
pub const FOLD_TRIES: i32 = 3;

/// What a folded alert's `last_error` says: the digest that holds it.
fn in_digest(digest_id: i64) -> String {
    format!("in digest {digest_id}")
}

/// Gathers the chat's held alerts into one digest row (kind `digest`, its
/// payload `{"items": [...]}`, oldest first, one item per listing with the
/// latest drop), in one transaction; the number of alerts gathered. They
/// stay `folded` until the digest's outcome is known ([`settle_folded`]).
pub async fn fold_digest(db: &DatabaseConnection, chat_id: i64, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let txn = begin_write(db).await?;
    let held_here = || outbox::Column::ChatId.eq(chat_id).and(is_held());
    // Alerts whose digests kept failing are given up.
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(outbox_status::DROPPED))
        .col_expr(outbox::Column::LastError, Expr::value("its digest failed too often"))
        .filter(held_here())
        .filter(outbox::Column::Attempts.gte(FOLD_TRIES))
        .exec(&txn)
        .await?;
    let held = outbox::Entity::find().filter(held_here()).order_by_asc(outbox::Column::Id).all(&txn).await?;
    let Some(first) = held.first() else {
        txn.commit().await?;
        return Ok(0);
    };
    let mut items: Vec<DigestItem> = Vec::new();
    for row in &held {
        let Some(listing) = row.listing_id else { continue };
        let drop = (row.kind == outbox_kind::PRICE_DROP).then(|| row.payload.clone()).flatten();
        match items.iter_mut().find(|i| i.listing == listing) {
            Some(item) => item.drop = drop.or(item.drop.take()),
            None => items.push(DigestItem { listing, drop }),
        }
    }
    let payload = serde_json::json!({ "items": items }).to_string();
    // Unique per gathering: alerts put back by a failed digest (each one
    // try more) make a new one.
    let key = format!("digest:{}:{}", first.id, first.attempts);
    let row = pending_row(chat_id, None, outbox_kind::DIGEST, key, PRIORITY_ALERT, Some(payload), now);
    let digest_id = outbox::Entity::insert(row).exec(&txn).await?.last_insert_id;
    // The digest tells the chat of what it holds.
    super::told::record_from(&txn, held_here()).await?;
    let ids: Vec<i64> = held.iter().map(|r| r.id).collect();
    for chunk in ids.chunks(1_000) {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(outbox_status::FOLDED))
            .col_expr(outbox::Column::LastError, Expr::value(in_digest(digest_id)))
            .filter(outbox::Column::Id.is_in(chunk.iter().copied()))
            .filter(outbox::Column::Status.eq(outbox_status::HELD))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(held.len())
}

/// What [`settle_folded`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    /// Alerts whose digest was sent (or dropped: the chat no longer wants it).
    pub dropped: u64,
    /// Alerts whose digest failed (or was itself gathered into another):
    /// held again, to be gathered once more.
    pub put_back: u64,
}

/// Settles up to 1,000 folded alerts whose digest's outcome is known.
pub async fn settle_folded(db: &DatabaseConnection) -> Result<Settled, DbErr> {
    let folded: Vec<Option<String>> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::LastError)
        .filter(outbox::Column::Status.eq(outbox_status::FOLDED))
        .limit(1_000)
        .into_tuple()
        .all(db)
        .await?;
    let digests: HashSet<i64> =
        folded.iter().flatten().filter_map(|e| e.strip_prefix("in digest ")?.parse().ok()).collect();
    if digests.is_empty() {
        return Ok(Settled::default());
    }
    let statuses: Vec<(i64, String)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .column(outbox::Column::Status)
        .filter(outbox::Column::Id.is_in(digests.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let status_of: std::collections::HashMap<i64, String> = statuses.into_iter().collect();
    let (mut done, mut back) = (Vec::new(), Vec::new());
    for id in digests {
        match status_of.get(&id).map(String::as_str) {
            // Sent, dropped, or pruned long ago: nothing is owed any more.
            Some(outbox_status::SENT | outbox_status::DROPPED) | None => done.push(in_digest(id)),
            Some(outbox_status::FAILED | outbox_status::FOLDED) => back.push(in_digest(id)),
            Some(_) => (),
        }
    }
    let mut settled = Settled::default();
    let txn = begin_write(db).await?;
    if !done.is_empty() {
        settled.dropped = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(outbox_status::DROPPED))
            .col_expr(outbox::Column::LastError, Expr::value("sent in a digest"))
            .filter(outbox::Column::Status.eq(outbox_status::FOLDED))
            .filter(outbox::Column::LastError.is_in(done))
            .exec(&txn)
            .await?
            .rows_affected;
    }
    if !back.is_empty() {
        settled.put_back = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(outbox_status::HELD))
            .col_expr(outbox::Column::LastError, Expr::value("its digest failed"))
            .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
            .filter(outbox::Column::Status.eq(outbox_status::FOLDED))
            .filter(outbox::Column::LastError.is_in(back))
            .exec(&txn)
            .await?
            .rows_affected;
    }
    txn.commit().await?;
    Ok(settled)
}

/// A digest row of the chat (for its "More" button).
pub async fn digest_of(db: &DatabaseConnection, chat_id: i64, id: i64) -> Result<Option<Vec<DigestItem>>, DbErr> {
    let row = outbox::Entity::find_by_id(id)
        .filter(outbox::Column::ChatId.eq(chat_id))
        .filter(outbox::Column::Kind.eq(outbox_kind::DIGEST))
        .one(db)
        .await?;
    Ok(row.and_then(|r| r.payload).and_then(|p| digest_items(&p)))
}

/// The items of a digest's payload.
pub fn digest_items(payload: &str) -> Option<Vec<DigestItem>> {
    #[derive(serde::Deserialize)]
    struct Digest {
        items: Vec<DigestItem>,
    }
    serde_json::from_str::<Digest>(payload).ok().map(|d| d.items)
}

/// Messages sent as paid broadcasts on each of the `days` UTC days up to
/// and including `today`, newest first (Stars spent: a tenth each). One count
/// per day, on the index of sent rows.
pub async fn paid_per_day(
    db: &DatabaseConnection,
    today: chrono::NaiveDate,
    days: u32,
) -> Result<Vec<(chrono::NaiveDate, u64)>, DbErr> {
    let mut counts = Vec::new();
    for back in 0..days {
        let Some(day) = today.checked_sub_days(chrono::Days::new(back.into())) else { break };
        let (Some(start), Some(end)) = (day.and_hms_opt(0, 0, 0), day.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)))
        else {
            break;
        };
        let sends = outbox::Entity::find()
            .filter(outbox::Column::Status.eq(outbox_status::SENT))
            .filter(outbox::Column::SentAt.gte(start.and_utc()))
            .filter(outbox::Column::SentAt.lt(end.and_utc()))
            .filter(outbox::Column::Paid.eq(true))
            .count(db)
            .await?;
        counts.push((day, sends));
    }
    Ok(counts)
}

/// Puts the row back for another attempt at `next_at`; `counts` says whether
/// this attempt counts towards giving up (a 429 does not).
pub async fn retry(
    db: &DatabaseConnection,
    row: Fence<'_>,
    next_at: DateTime<Utc>,
    counts: bool,
    error: &str,
) -> Result<(), DbErr> {
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(outbox_status::PENDING))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(next_at))
        .col_expr(outbox::Column::ClaimedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(outbox::Column::ClaimedBy, Expr::value(Option::<String>::None))
        .col_expr(outbox::Column::LastError, Expr::value(error.chars().take(500).collect::<String>()));
    if counts {
        update = update.col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1));
    }
    update.filter(row.held()).exec(db).await?;
    Ok(())
}

/// Gives up on the row.
pub async fn fail(db: &DatabaseConnection, row: Fence<'_>, status: &str, error: &str) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(status))
        .col_expr(outbox::Column::LastError, Expr::value(error.chars().take(500).collect::<String>()))
        .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
        .filter(row.held())
        .exec(db)
        .await?;
    Ok(())
}

/// The chat blocked the bot (or is gone): mark it and drop what waits for it.
pub async fn block_chat(db: &DatabaseConnection, chat_id: i64, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let txn = begin_write(db).await?;
    let dropped = block_in(&txn, chat_id, "chat blocked the bot", now).await?;
    txn.commit().await?;
    Ok(dropped)
}

/// Marks the chat blocked and drops its waiting rows (recording `why`),
/// inside `txn`; returns how many rows were dropped.
pub(super) async fn block_in(
    txn: &sea_orm::DatabaseTransaction,
    chat_id: i64,
    why: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    chat::Entity::update_many()
        .col_expr(chat::Column::Blocked, Expr::value(true))
        .col_expr(chat::Column::BlockedAt, Expr::value(now))
        .col_expr(chat::Column::UpdatedAt, Expr::value(now))
        .filter(chat::Column::Id.eq(chat_id))
        .exec(txn)
        .await?;
    Ok(outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(outbox_status::DROPPED))
        .col_expr(outbox::Column::LastError, Expr::value(why))
        .filter(outbox::Column::ChatId.eq(chat_id))
        .filter(outbox::Column::Status.is_in([outbox_status::PENDING, outbox_status::SENDING]))
        .exec(txn)
        .await?
        .rows_affected)
}

/// Rows waiting to be sent.
pub async fn depth(db: &DatabaseConnection) -> Result<u64, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::Status.is_in([outbox_status::PENDING, outbox_status::SENDING]))
        .count(db)
        .await
}

/// Inserts outbox rows, skipping any already there (same chat, kind and key).
pub async fn enqueue(txn: &DatabaseTransaction, rows: Vec<outbox::ActiveModel>) -> Result<u64, DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        return enqueue_unnest(txn, &rows).await;
    }
    let mut queued = 0;
    // 2,000 rows of 11 values: under SQLite's 32,766 bound parameters, and
    // few round trips for a large fan-out.
    for chunk in rows.chunks(2_000) {
        let result = outbox::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([outbox::Column::DedupKey, outbox::Column::Kind, outbox::Column::ChatId])
            .exec_without_returning(txn)
            .await?;
        if let sea_orm::TryInsertResult::Inserted(n) = result {
            queued += n;
        }
    }
    Ok(queued)
}

/// [`enqueue`] on PostgreSQL: one statement per 5,000 rows, each column
/// sent as one array (`INSERT … SELECT FROM UNNEST`), instead of a
/// multi-row `VALUES` of 55,000 parameters that the server parses and binds
/// one by one (a fan-out of 390,000 alerts took 17.7 s that way).
async fn enqueue_unnest(txn: &DatabaseTransaction, rows: &[outbox::ActiveModel]) -> Result<u64, DbErr> {
    use sea_orm::{ActiveValue, Statement, Value, sea_query::ArrayType};
    fn get<T: Clone + Into<Value>>(v: &ActiveValue<T>, default: T) -> T {
        match v {
            ActiveValue::Set(v) | ActiveValue::Unchanged(v) => v.clone(),
            ActiveValue::NotSet => default,
        }
    }
    fn array<T: Into<Value>>(ty: ArrayType, items: impl Iterator<Item = T>) -> Value {
        Value::Array(ty, Some(Box::new(items.map(Into::into).collect())))
    }
    const SQL: &str = "INSERT INTO outbox (chat_id, listing_id, kind, dedup_key, priority, payload, status, attempts, \
                       next_attempt_at, created_at, paid) \
                       SELECT c, NULLIF(l, 0), k, d, p, NULLIF(pl, ''), s, a, n, cr, pd \
                       FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::text[], $5::int2[], $6::text[], $7::text[], \
                       $8::int4[], $9::timestamptz[], $10::timestamptz[], $11::bool[]) \
                       AS u(c, l, k, d, p, pl, s, a, n, cr, pd) \
                       ON CONFLICT (dedup_key, kind, chat_id) DO NOTHING";
    let now = Utc::now();
    let mut queued = 0;
    for chunk in rows.chunks(5_000) {
        // Listing ids start at 1 and a payload is JSON: 0 and "" stand for
        // NULL (arrays of this driver carry no NULL elements).
        let values = vec![
            array(ArrayType::BigInt, chunk.iter().map(|r| get(&r.chat_id, 0))),
            array(ArrayType::BigInt, chunk.iter().map(|r| get(&r.listing_id, None).unwrap_or(0))),
            array(ArrayType::String, chunk.iter().map(|r| get(&r.kind, String::new()))),
            array(ArrayType::String, chunk.iter().map(|r| get(&r.dedup_key, String::new()))),
            array(ArrayType::SmallInt, chunk.iter().map(|r| get(&r.priority, 0))),
            array(ArrayType::String, chunk.iter().map(|r| get(&r.payload, None).unwrap_or_default())),
            array(ArrayType::String, chunk.iter().map(|r| get(&r.status, outbox_status::PENDING.to_owned()))),
            array(ArrayType::Int, chunk.iter().map(|r| get(&r.attempts, 0))),
            array(ArrayType::ChronoDateTimeUtc, chunk.iter().map(|r| get(&r.next_attempt_at, now))),
            array(ArrayType::ChronoDateTimeUtc, chunk.iter().map(|r| get(&r.created_at, now))),
            array(ArrayType::Bool, chunk.iter().map(|r| get(&r.paid, false))),
        ];
        queued +=
            txn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, SQL, values)).await?.rows_affected();
    }
    Ok(queued)
}

/// Queues a notice (plain text, or Telegram HTML when `html`) to `admins`,
/// creating their chat rows if they never wrote to the bot.
pub async fn notify_chats(
    txn: &DatabaseTransaction,
    admins: &[i64],
    key: &str,
    text: &str,
    html: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    notify_each(txn, admins, key, &|_| text.to_owned(), html, now).await
}

/// A notice's text for a chat, from the chat's stored language code (the
/// component that tells renders it).
pub type Render<'a> = &'a (dyn Fn(&str) -> String + Sync);

/// Queues a notice to each of `chats`, in its own language (`render` gets
/// the chat's stored language code; English for a chat never seen, whose
/// row is created).
pub async fn notify_each(
    txn: &DatabaseTransaction,
    chats: &[i64],
    key: &str,
    render: Render<'_>,
    html: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if chats.is_empty() {
        return Ok(());
    }
    let rows: Vec<chat::ActiveModel> = chats
        .iter()
        .map(|id| chat::ActiveModel {
            id: Set(*id),
            language: Set("en".to_owned()),
            paused: Set(false),
            blocked: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    chat::Entity::insert_many(rows).on_conflict_do_nothing_on([chat::Column::Id]).exec_without_returning(txn).await?;
    let languages: std::collections::HashMap<i64, String> = chat::Entity::find()
        .select_only()
        .column(chat::Column::Id)
        .column(chat::Column::Language)
        .filter(chat::Column::Id.is_in(chats.iter().copied()))
        .into_tuple()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let rows = chats
        .iter()
        .map(|chat_id| {
            let text = render(languages.get(chat_id).map_or("en", String::as_str));
            let payload = if html {
                serde_json::json!({ "text": text, "html": true }).to_string()
            } else {
                serde_json::json!({ "text": text }).to_string()
            };
            pending_row(*chat_id, None, outbox_kind::NOTICE, key.to_owned(), PRIORITY_NOTICE, Some(payload), now)
        })
        .collect();
    enqueue(txn, rows).await?;
    Ok(())
}
