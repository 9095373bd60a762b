//! A chat's marks on listings, set from an alert's buttons: hidden (🙈)
//! and saved (⭐).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{listing, listing_mark, status::listing_mark as mark};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

/// Marks `listing` for `chat` (`mark` is `HIDDEN` or `SAVED`); `false`
/// when the listing is no longer stored. Marking twice is one mark.
pub async fn set(
    db: &DatabaseConnection,
    chat_id: i64,
    listing_id: i64,
    which: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    if listing::Entity::find_by_id(listing_id).count(db).await? == 0 {
        return Ok(false);
    }
    listing_mark::Entity::insert(listing_mark::ActiveModel {
        chat_id: Set(chat_id),
        listing_id: Set(listing_id),
        mark: Set(which.to_owned()),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([
        listing_mark::Column::ChatId,
        listing_mark::Column::ListingId,
        listing_mark::Column::Mark,
    ])
    .exec_without_returning(db)
    .await?;
    Ok(true)
}

/// Removes a mark; `false` when there was none.
pub async fn remove(db: &DatabaseConnection, chat_id: i64, listing_id: i64, which: &str) -> Result<bool, DbErr> {
    let result = listing_mark::Entity::delete_many()
        .filter(listing_mark::Column::ChatId.eq(chat_id))
        .filter(listing_mark::Column::ListingId.eq(listing_id))
        .filter(listing_mark::Column::Mark.eq(which))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// The marks of `listings` by any of `chats`, as (chat, listing, mark):
/// one query per 500 listings, for a batch of alerts.
pub async fn of<C: ConnectionTrait>(
    db: &C,
    chats: &[i64],
    listings: &[i64],
) -> Result<HashSet<(i64, i64, String)>, DbErr> {
    let mut found = HashSet::new();
    if chats.is_empty() || listings.is_empty() {
        return Ok(found);
    }
    let chats: HashSet<i64> = chats.iter().copied().collect();
    for chunk in listings.chunks(500) {
        let rows = listing_mark::Entity::find()
            .filter(listing_mark::Column::ListingId.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        found
            .extend(rows.into_iter().filter(|m| chats.contains(&m.chat_id)).map(|m| (m.chat_id, m.listing_id, m.mark)));
    }
    Ok(found)
}

/// Chats that hid `listing_id`.
pub async fn hidden_by<C: ConnectionTrait>(db: &C, listing_id: i64) -> Result<HashSet<i64>, DbErr> {
    let chats: Vec<i64> = listing_mark::Entity::find()
        .select_only()
        .column(listing_mark::Column::ChatId)
        .filter(listing_mark::Column::ListingId.eq(listing_id))
        .filter(listing_mark::Column::Mark.eq(mark::HIDDEN))
        .into_tuple()
        .all(db)
        .await?;
    Ok(chats.into_iter().collect())
}

/// Chats that saved `listing_id` and can be told of it now: not paused,
/// not blocked, with access.
pub async fn saved_by_reachable<C: ConnectionTrait>(
    db: &C,
    listing_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    listing_mark::Entity::find()
        .select_only()
        .column(listing_mark::Column::ChatId)
        .join(JoinType::InnerJoin, listing_mark::Relation::Chat.def())
        .filter(listing_mark::Column::ListingId.eq(listing_id))
        .filter(listing_mark::Column::Mark.eq(mark::SAVED))
        .filter(super::reach::reachable(now))
        .into_tuple()
        .all(db)
        .await
}

/// One page of the chat's saved listings' ids, newest saved first; and how
/// many there are.
pub async fn saved_page(
    db: &DatabaseConnection,
    chat_id: i64,
    page: u64,
    per_page: u64,
) -> Result<(u64, Vec<i64>), DbErr> {
    let saved = || {
        listing_mark::Entity::find()
            .filter(listing_mark::Column::ChatId.eq(chat_id))
            .filter(listing_mark::Column::Mark.eq(mark::SAVED))
    };
    let total = saved().count(db).await?;
    let ids: Vec<i64> = saved()
        .select_only()
        .column(listing_mark::Column::ListingId)
        .order_by_desc(listing_mark::Column::CreatedAt)
        .order_by_desc(listing_mark::Column::ListingId)
        .offset(page * per_page)
        .limit(per_page)
        .into_tuple()
        .all(db)
        .await?;
    Ok((total, ids))
}
