//! What each chat was told: one row per chat and listing whose alert (a
//! new listing or a price drop) Telegram accepted, or that went into a
//! digest; kept as long as the listing (deleted with it). Price drops go to
//! the chats told of a listing, a listing back on the market is news only to
//! chats never told of it, an alert's buttons act only on listings the chat
//! was told of, and its photos are sent once.
//!
//! The outbox keeps its rows for 30 days, listings live 90: every question
//! is asked of both, so an alert queued but not yet marked sent counts too.
//! The rows are written by the sender's marks (a set-based insert per batch),
//! not by the run that queues the alerts: a large run writes no more than it
//! did before.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{outbox, status::outbox_kind, told};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, OnConflict, Query, SimpleExpr},
};

/// The outbox rows that tell a chat of a listing.
fn telling() -> SimpleExpr {
    outbox::Column::Kind
        .is_in([outbox_kind::NEW_LISTING, outbox_kind::PRICE_DROP])
        .and(outbox::Column::ListingId.is_not_null())
}

/// Records, from the outbox rows matching `which` (alerts sent, or folded
/// into a digest), that their chats were told of their listings; a pair
/// told before stays as it was. One statement.
pub async fn record_from<C: ConnectionTrait>(db: &C, which: SimpleExpr) -> Result<u64, DbErr> {
    let select = Query::select()
        .column(outbox::Column::ChatId)
        .column(outbox::Column::ListingId)
        .column(outbox::Column::CreatedAt)
        .from(outbox::Entity)
        .and_where(telling())
        .and_where(which)
        .to_owned();
    let insert = Query::insert()
        .into_table(told::Entity)
        .columns([told::Column::ChatId, told::Column::ListingId, told::Column::CreatedAt])
        .select_from(select)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(OnConflict::columns([told::Column::ChatId, told::Column::ListingId]).do_nothing().to_owned())
        .to_owned();
    Ok(db.execute(&insert).await?.rows_affected())
}

/// Whether `chat_id` was told of `listing_id`.
pub async fn was_told<C: ConnectionTrait>(db: &C, chat_id: i64, listing_id: i64) -> Result<bool, DbErr> {
    let kept = told::Entity::find()
        .filter(told::Column::ChatId.eq(chat_id))
        .filter(told::Column::ListingId.eq(listing_id))
        .count(db)
        .await?;
    if kept > 0 {
        return Ok(true);
    }
    let queued = outbox::Entity::find()
        .filter(telling())
        .filter(outbox::Column::ChatId.eq(chat_id))
        .filter(outbox::Column::ListingId.eq(listing_id))
        .count(db)
        .await?;
    Ok(queued > 0)
}

/// The chats told of `listing_id`, each once.
pub async fn chats<C: ConnectionTrait>(db: &C, listing_id: i64) -> Result<Vec<i64>, DbErr> {
    let mut chats: Vec<i64> = told::Entity::find()
        .select_only()
        .column(told::Column::ChatId)
        .filter(told::Column::ListingId.eq(listing_id))
        .into_tuple()
        .all(db)
        .await?;
    let queued: Vec<i64> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::ChatId)
        .filter(telling())
        .filter(outbox::Column::ListingId.eq(listing_id))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let mut seen: HashSet<i64> = chats.iter().copied().collect();
    chats.extend(queued.into_iter().filter(|c| seen.insert(*c)));
    Ok(chats)
}

/// The (listing, chat) pairs told of any of `listings`: two queries per 500.
pub async fn pairs<C: ConnectionTrait>(db: &C, listings: &[i64]) -> Result<HashSet<(i64, i64)>, DbErr> {
    let mut found = HashSet::new();
    for chunk in listings.chunks(500) {
        let kept: Vec<(i64, i64)> = told::Entity::find()
            .select_only()
            .column(told::Column::ListingId)
            .column(told::Column::ChatId)
            .filter(told::Column::ListingId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        let queued: Vec<(Option<i64>, i64)> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::ListingId)
            .column(outbox::Column::ChatId)
            .filter(telling())
            .filter(outbox::Column::ListingId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(kept);
        found.extend(queued.into_iter().filter_map(|(l, c)| Some((l?, c))));
    }
    Ok(found)
}

/// Marks the listing's photos as sent to the chat (which the caller checked
/// was told of it): `false` when they were before.
pub async fn take_photos<C: ConnectionTrait>(
    db: &C,
    chat_id: i64,
    listing_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    // Its alert may be sent and not yet marked: the row is made if missing.
    told::Entity::insert(told::ActiveModel {
        chat_id: Set(chat_id),
        listing_id: Set(listing_id),
        created_at: Set(now),
        photos_at: Set(None),
    })
    .on_conflict_do_nothing_on([told::Column::ChatId, told::Column::ListingId])
    .exec_without_returning(db)
    .await?;
    let result = told::Entity::update_many()
        .col_expr(told::Column::PhotosAt, Expr::value(now))
        .filter(told::Column::ChatId.eq(chat_id))
        .filter(told::Column::ListingId.eq(listing_id))
        .filter(told::Column::PhotosAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
