//! What each chat was told: one row per chat and listing it was alerted to,
//! written in the transaction that queues the alert and deleted with the
//! listing. Price drops go to the chats told of a listing, a listing back on
//! the market is news only to chats never told of it, an alert's buttons act
//! only on listings the chat was told of, and its photos are sent once.
//! (The outbox is pruned after 30 days; listings live 90.)

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{outbox, status::outbox_kind, told};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::Expr,
};

/// Rows per statement: 2,000 rows of 4 values, far under SQLite's bound.
const CHUNK: usize = 2_000;

/// Whether a queued row tells its chat of its listing.
pub fn tells(kind: &str) -> bool {
    kind == outbox_kind::NEW_LISTING || kind == outbox_kind::PRICE_DROP
}

/// Records that the chats of the alerts in `rows` were told of their
/// listings (rows of other kinds are skipped; a pair told before stays).
pub async fn record<C: ConnectionTrait>(db: &C, rows: &[outbox::ActiveModel]) -> Result<(), DbErr> {
    let mut told_rows = Vec::new();
    for r in rows {
        let (Some(kind), Some(Some(listing_id)), Some(chat_id), Some(at)) =
            (r.kind.try_as_ref(), r.listing_id.try_as_ref(), r.chat_id.try_as_ref(), r.created_at.try_as_ref())
        else {
            continue;
        };
        if tells(kind) {
            told_rows.push(told::ActiveModel {
                chat_id: Set(*chat_id),
                listing_id: Set(*listing_id),
                created_at: Set(*at),
                photos_at: Set(None),
            });
        }
    }
    for chunk in told_rows.chunks(CHUNK) {
        told::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([told::Column::ChatId, told::Column::ListingId])
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Whether `chat_id` was told of `listing_id`.
pub async fn was_told<C: ConnectionTrait>(db: &C, chat_id: i64, listing_id: i64) -> Result<bool, DbErr> {
    Ok(told::Entity::find()
        .filter(told::Column::ChatId.eq(chat_id))
        .filter(told::Column::ListingId.eq(listing_id))
        .count(db)
        .await?
        > 0)
}

/// The chats told of `listing_id`.
pub async fn chats<C: ConnectionTrait>(db: &C, listing_id: i64) -> Result<Vec<i64>, DbErr> {
    told::Entity::find()
        .select_only()
        .column(told::Column::ChatId)
        .filter(told::Column::ListingId.eq(listing_id))
        .into_tuple()
        .all(db)
        .await
}

/// The (listing, chat) pairs told of any of `listings`: one query per 500.
pub async fn pairs<C: ConnectionTrait>(db: &C, listings: &[i64]) -> Result<HashSet<(i64, i64)>, DbErr> {
    let mut found = HashSet::new();
    for chunk in listings.chunks(500) {
        let rows: Vec<(i64, i64)> = told::Entity::find()
            .select_only()
            .column(told::Column::ListingId)
            .column(told::Column::ChatId)
            .filter(told::Column::ListingId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Marks the listing's photos as sent to the chat: `false` when they were
/// before, or the chat was never told of the listing.
pub async fn take_photos<C: ConnectionTrait>(
    db: &C,
    chat_id: i64,
    listing_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = told::Entity::update_many()
        .col_expr(told::Column::PhotosAt, Expr::value(now))
        .filter(told::Column::ChatId.eq(chat_id))
        .filter(told::Column::ListingId.eq(listing_id))
        .filter(told::Column::PhotosAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
