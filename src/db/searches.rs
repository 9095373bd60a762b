//! Queries on `searches` and `dialogues` for the bot. Every query that
//! touches a search by id also filters by the asking chat, so one chat can
//! never see, pause or delete another's search (a foreign id is "not found").

use chrono::{DateTime, Utc};
use entity::{dialogue, listing, search, source};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, ExprTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, Func, LikeExpr},
};

use super::begin_write;
use crate::search::{Rooms, SearchFilter};

/// Most saved searches per chat.
pub const MAX_PER_CHAT: u64 = 50;

/// What [`create`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Saved(i64),
    /// The chat already has [`MAX_PER_CHAT`] searches.
    TooMany,
}

/// Saves `filter` for `chat_id` (the chat must exist).
pub async fn create(
    db: &DatabaseConnection,
    chat_id: i64,
    filter: &SearchFilter,
    now: DateTime<Utc>,
) -> Result<Created, DbErr> {
    let txn = begin_write(db).await?;
    // The cap holds however many saves arrive at once (PostgreSQL).
    super::lock_chat(&txn, chat_id).await?;
    let count = search::Entity::find().filter(search::Column::ChatId.eq(chat_id)).count(&txn).await?;
    if count >= MAX_PER_CHAT {
        return Ok(Created::TooMany);
    }
    let json = |items: &Vec<String>| (!items.is_empty()).then(|| serde_json::to_string(items).unwrap_or_default());
    let (rooms, rooms_min, rooms_max) = filter.rooms_columns();
    let result = search::Entity::insert(search::ActiveModel {
        chat_id: Set(chat_id),
        source: Set(filter.source.clone()),
        price_min: Set(filter.price_min),
        price_max: Set(filter.price_max),
        rooms: Set(rooms),
        rooms_min: Set(rooms_min),
        rooms_max: Set(rooms_max),
        area_min: Set(filter.area_min),
        area_max: Set(filter.area_max),
        districts: Set(json(&filter.districts)),
        furnished: Set(filter.furnished),
        exclude: Set(json(&filter.exclude)),
        periods: Set(json(&filter.periods)),
        muted_districts: Set(json(&filter.muted_districts)),
        muted_sources: Set(json(&filter.muted_sources)),
        near_lat: Set(filter.near.map(|n| n.lat)),
        near_lon: Set(filter.near.map(|n| n.lon)),
        near_m: Set(filter.near.map(|n| n.radius_m)),
        paused: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(Created::Saved(result.last_insert_id))
}

/// The chat's searches, oldest first.
pub async fn list(db: &DatabaseConnection, chat_id: i64) -> Result<Vec<search::Model>, DbErr> {
    search::Entity::find().filter(search::Column::ChatId.eq(chat_id)).order_by_asc(search::Column::Id).all(db).await
}

/// One of the chat's own searches.
/// The chat's searches that are not paused.
pub async fn active(db: &DatabaseConnection, chat_id: i64) -> Result<Vec<search::Model>, DbErr> {
    search::Entity::find()
        .filter(search::Column::ChatId.eq(chat_id))
        .filter(search::Column::Paused.eq(false))
        .all(db)
        .await
}

/// The searches of `chat_ids` that are not paused (one query per 1,000 chats).
pub async fn active_of(db: &DatabaseConnection, chat_ids: &[i64]) -> Result<Vec<search::Model>, DbErr> {
    let mut rows = Vec::new();
    for chunk in chat_ids.chunks(1_000) {
        rows.extend(
            search::Entity::find()
                .filter(search::Column::ChatId.is_in(chunk.iter().copied()))
                .filter(search::Column::Paused.eq(false))
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

pub async fn get(db: &DatabaseConnection, chat_id: i64, id: i64) -> Result<Option<search::Model>, DbErr> {
    search::Entity::find_by_id(id).filter(search::Column::ChatId.eq(chat_id)).one(db).await
}

/// Pauses or resumes one of the chat's own searches (with the searches
/// shared with it); `false` when the chat has no search `id`.
pub async fn set_paused(
    db: &DatabaseConnection,
    chat_id: i64,
    id: i64,
    paused: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(scope) = scope(db, chat_id, id).await? else { return Ok(false) };
    search::Entity::update_many()
        .col_expr(search::Column::Paused, Expr::value(paused))
        .col_expr(search::Column::UpdatedAt, Expr::value(now))
        .filter(scope)
        .exec(db)
        .await?;
    Ok(true)
}

/// The rows a change to the chat's search `id` applies to: that search, or
/// every search of its share group (kept in step); `None` when the chat has
/// no search `id`.
async fn scope<C: ConnectionTrait>(db: &C, chat_id: i64, id: i64) -> Result<Option<Condition>, DbErr> {
    let Some(row) = search::Entity::find_by_id(id).filter(search::Column::ChatId.eq(chat_id)).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(match row.share_group {
        Some(group) => Condition::all().add(search::Column::ShareGroup.eq(group)),
        None => Condition::all().add(search::Column::Id.eq(id)),
    }))
}

/// Gives the chat's search `id` a share group (`token`, unless it has one
/// already) and returns the group's token; `None` when the chat has no
/// search `id`.
pub async fn share(
    db: &DatabaseConnection,
    chat_id: i64,
    id: i64,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let txn = begin_write(db).await?;
    let Some(row) = search::Entity::find_by_id(id).filter(search::Column::ChatId.eq(chat_id)).one(&txn).await? else {
        return Ok(None);
    };
    if let Some(group) = row.share_group {
        return Ok(Some(group));
    }
    search::Entity::update_many()
        .col_expr(search::Column::ShareGroup, Expr::value(token))
        .col_expr(search::Column::UpdatedAt, Expr::value(now))
        .filter(search::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(token.to_owned()))
}

/// What [`join`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    /// The chat now has search `id` in the group; `members` are the
    /// (chat, search id) pairs that were in it before.
    Joined { id: i64, members: Vec<(i64, i64)> },
    /// The chat is in the group already, with search `id`.
    Already(i64),
    /// No search has this token (never shared, or every member left).
    NotFound,
    /// The chat already has [`MAX_PER_CHAT`] searches.
    TooMany,
}

/// Revokes the link of the chat's search `id`: the group's token becomes
/// `fresh` for every member (they stay in step), so the link given out no
/// longer admits anyone; a later share gives the new token. `None` when the
/// chat has no such search, `Some(false)` when it was not shared.
pub async fn revoke_share(
    db: &DatabaseConnection,
    chat_id: i64,
    id: i64,
    fresh: &str,
    now: DateTime<Utc>,
) -> Result<Option<bool>, DbErr> {
    let txn = begin_write(db).await?;
    let Some(row) = search::Entity::find_by_id(id).filter(search::Column::ChatId.eq(chat_id)).one(&txn).await? else {
        return Ok(None);
    };
    let Some(group) = row.share_group else { return Ok(Some(false)) };
    search::Entity::update_many()
        .col_expr(search::Column::ShareGroup, Expr::value(fresh))
        .col_expr(search::Column::UpdatedAt, Expr::value(now))
        .filter(search::Column::ShareGroup.eq(group))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(true))
}

/// Gives `chat_id` the search shared as `token`: a copy of the group's
/// filter, in the group, so later changes by any member apply to all.
pub async fn join(db: &DatabaseConnection, chat_id: i64, token: &str, now: DateTime<Utc>) -> Result<Joined, DbErr> {
    let txn = begin_write(db).await?;
    // Two joins at once (a double tap) are one; the cap holds. The unique
    // (chat_id, share_group) index is the last word.
    super::lock_chat(&txn, chat_id).await?;
    let rows = search::Entity::find()
        .filter(search::Column::ShareGroup.eq(token))
        .order_by_asc(search::Column::Id)
        .all(&txn)
        .await?;
    let Some(first) = rows.first() else { return Ok(Joined::NotFound) };
    if let Some(mine) = rows.iter().find(|r| r.chat_id == chat_id) {
        return Ok(Joined::Already(mine.id));
    }
    if search::Entity::find().filter(search::Column::ChatId.eq(chat_id)).count(&txn).await? >= MAX_PER_CHAT {
        return Ok(Joined::TooMany);
    }
    let mut copy: search::ActiveModel = first.clone().into();
    copy.id = sea_orm::ActiveValue::NotSet;
    copy.chat_id = Set(chat_id);
    copy.created_at = Set(now);
    copy.updated_at = Set(now);
    let id = search::Entity::insert(copy).exec(&txn).await?.last_insert_id;
    txn.commit().await?;
    let members = rows.iter().map(|r| (r.chat_id, r.id)).collect();
    Ok(Joined::Joined { id, members })
}

/// The chats (and their search ids) in the share group `token`.
pub async fn members(db: &DatabaseConnection, token: &str) -> Result<Vec<(i64, i64)>, DbErr> {
    Ok(search::Entity::find()
        .filter(search::Column::ShareGroup.eq(token))
        .order_by_asc(search::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.chat_id, r.id))
        .collect())
}

/// Writes the districts, muted districts and muted sources of one of the
/// chat's searches (🔕 on an alert), and of the searches shared with it;
/// `false` when the chat has no search `id`.
pub async fn set_mutes(
    db: &DatabaseConnection,
    chat_id: i64,
    id: i64,
    filter: &SearchFilter,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let json = |items: &Vec<String>| (!items.is_empty()).then(|| serde_json::to_string(items).unwrap_or_default());
    let Some(scope) = scope(db, chat_id, id).await? else { return Ok(false) };
    search::Entity::update_many()
        .col_expr(search::Column::Districts, Expr::value(json(&filter.districts)))
        .col_expr(search::Column::MutedDistricts, Expr::value(json(&filter.muted_districts)))
        .col_expr(search::Column::MutedSources, Expr::value(json(&filter.muted_sources)))
        .col_expr(search::Column::UpdatedAt, Expr::value(now))
        .filter(scope)
        .exec(db)
        .await?;
    Ok(true)
}

/// Deletes one of the chat's own searches (leaving its share group, whose
/// other members keep theirs); `false` when the chat has no search `id`.
pub async fn delete(db: &DatabaseConnection, chat_id: i64, id: i64) -> Result<bool, DbErr> {
    let result = search::Entity::delete_many()
        .filter(search::Column::Id.eq(id))
        .filter(search::Column::ChatId.eq(chat_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// The SQL part of `filter` over listings first seen since `since`: source,
/// price, area, rooms, furnishing, period, and a box around a `near=`
/// circle (districts, excluded words and the circle itself are checked on
/// the rows).
async fn condition(db: &DatabaseConnection, filter: &SearchFilter, since: DateTime<Utc>) -> Result<Condition, DbErr> {
    let mut cond = Condition::all().add(listing::Column::FirstSeenAt.gte(since));
    if let Some(name) = &filter.source {
        let ids: Vec<i64> = source::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .filter(|s| s.name.eq_ignore_ascii_case(name))
            .map(|s| s.id)
            .collect();
        cond = cond.add(listing::Column::SourceId.is_in(ids));
    }
    if let Some(min) = filter.price_min {
        cond = cond.add(listing::Column::MonthlyPrice.gte(min));
    }
    if let Some(max) = filter.price_max {
        cond = cond.add(listing::Column::MonthlyPrice.lte(max));
    }
    if let Some(min) = filter.area_min {
        cond = cond.add(listing::Column::AreaM2.gte(min));
    }
    if let Some(max) = filter.area_max {
        cond = cond.add(listing::Column::AreaM2.lte(max));
    }
    match &filter.rooms {
        None => (),
        Some(Rooms::Range { min, max }) => {
            cond = cond.add(listing::Column::Rooms.is_not_null());
            if let Some(min) = min {
                cond = cond.add(listing::Column::Rooms.gte(*min));
            }
            if let Some(max) = max {
                cond = cond.add(listing::Column::Rooms.lte(*max));
            }
        }
        Some(Rooms::Set { counts, four_plus }) => {
            // As `SearchFilter::matches`: 2 admits 2 to 2.99 (2.5 rooms is a
            // 2-room flat), 1.5 admits 1.5 only; 4+ admits 4 and more.
            let mut any = Condition::any();
            for c in counts {
                let upper = if c.fract() == 0.0 { c + 1.0 } else { c + 0.01 };
                any = any.add(listing::Column::Rooms.gt(c - 0.01).and(listing::Column::Rooms.lt(upper)));
            }
            if *four_plus {
                any = any.add(listing::Column::Rooms.gte(4.0));
            }
            cond = cond.add(any);
        }
    }
    if let Some(furnished) = filter.furnished {
        cond = cond.add(listing::Column::Furnished.eq(furnished));
    }
    if !filter.periods.is_empty() {
        cond = cond.add(listing::Column::Period.is_in(filter.periods.iter().cloned()));
    }
    if let Some(near) = filter.near {
        // A box around the circle in SQL; the circle itself below.
        let dlat = f64::from(near.radius_m) / 111_000.0;
        let dlon = dlat / near.lat.to_radians().cos().max(0.01);
        cond = cond
            .add(listing::Column::Lat.between(near.lat - dlat, near.lat + dlat))
            .add(listing::Column::Lon.between(near.lon - dlon, near.lon + dlon));
    }
    Ok(cond)
}

/// Most listings a market chart reads; beyond, a sample.
pub const MARKET_LIMIT: u64 = 100_000;

/// The listings first seen since `since` that `filter` matches, as a market
/// chart reads them (the monthly price, the area, when first seen), and the
/// weight of each: where SQL lets more than [`MARKET_LIMIT`] through, one
/// in n is read, by a hash of the id (n, the weight, scales the counts back;
/// medians of such a sample are as good for a chart). Ids up to 3.4 billion
/// (the hash stays within 64 bits).
pub async fn market_points(
    db: &DatabaseConnection,
    filter: &SearchFilter,
    since: DateTime<Utc>,
) -> Result<(Vec<crate::market::Point>, u64), DbErr> {
    let filter = filter.clone().normalized();
    let mut cond = condition(db, &filter, since).await?.add(listing::Column::MonthlyPrice.is_not_null());
    // Districts narrow the rows in SQL too, where every name is ASCII (SQL's
    // LOWER folds ASCII only; the filter itself decides below either way).
    if !filter.districts.is_empty() && filter.districts.iter().all(|d| d.is_ascii()) {
        let mut any = Condition::any();
        for d in &filter.districts {
            let escaped = d.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            let lower = Expr::expr(Func::lower(Expr::col(listing::Column::District)));
            any = any.add(lower.like(LikeExpr::new(format!("%{escaped}%")).escape('\\')));
        }
        cond = cond.add(any);
    }
    // Read at once when there are not too many; else counted, and one in
    // `weight` read by a hash of the id (Knuth's multiplicative hash modulo
    // 2^32), not `id % weight`, which would follow any period in how ids were
    // given out (a source listing districts in turn).
    let mut weight = 1;
    let mut rows = market_rows(db, &filter, cond.clone(), Some(MARKET_LIMIT + 1)).await?;
    if rows.len() as u64 > MARKET_LIMIT {
        let total = listing::Entity::find().filter(cond.clone()).count(db).await?;
        weight = Ord::max(total.div_ceil(MARKET_LIMIT), 1);
        let hashed = Expr::col(listing::Column::Id).mul(2_654_435_761_i64).modulo(4_294_967_296_i64);
        rows = market_rows(db, &filter, cond.add(hashed.modulo(weight as i64).eq(0)), None).await?;
    }
    let points = rows
        .into_iter()
        .filter(|(_, _, _, district, title, description, lat, lon)| {
            filter.matches_stored_text(district.as_deref(), title, description.as_deref(), *lat, *lon)
        })
        .map(|(at, price, area, ..)| crate::market::Point { first_seen_at: at, monthly_price: price, area_m2: area })
        .collect();
    Ok((points, weight))
}

/// What a market chart reads of a listing: first seen, monthly price, area,
/// district, title and description (only when the filter excludes words;
/// empty otherwise), latitude, longitude.
type MarketRow = (DateTime<Utc>, i64, Option<f64>, Option<String>, String, Option<String>, Option<f64>, Option<f64>);

async fn market_rows(
    db: &DatabaseConnection,
    filter: &SearchFilter,
    cond: Condition,
    limit: Option<u64>,
) -> Result<Vec<MarketRow>, DbErr> {
    if filter.districts.is_empty() && filter.exclude.is_empty() && filter.near.is_none() {
        // Nothing to check on the rows: the three columns a chart draws.
        let rows: Vec<(DateTime<Utc>, i64, Option<f64>)> = listing::Entity::find()
            .select_only()
            .column(listing::Column::FirstSeenAt)
            .column(listing::Column::MonthlyPrice)
            .column(listing::Column::AreaM2)
            .filter(cond)
            .limit(limit)
            .into_tuple()
            .all(db)
            .await?;
        return Ok(rows
            .into_iter()
            .map(|(at, price, area)| (at, price, area, None, String::new(), None, None, None))
            .collect());
    }
    let mut query = listing::Entity::find()
        .select_only()
        .column(listing::Column::FirstSeenAt)
        .column(listing::Column::MonthlyPrice)
        .column(listing::Column::AreaM2)
        .column(listing::Column::District);
    // Title and description (the long columns) only for excluded words.
    query = if filter.exclude.is_empty() {
        query.expr(Expr::value("")).expr(Expr::value(Option::<String>::None))
    } else {
        query.column(listing::Column::Title).column(listing::Column::Description)
    };
    query.column(listing::Column::Lat).column(listing::Column::Lon).filter(cond).limit(limit).into_tuple().all(db).await
}

/// Most recent listings whose text is looked at by [`recent_matches`] when
/// the filter has districts or excluded words.
const RECENT_LIMIT: u64 = 20_000;

/// How many listings first seen since `since` `filter` would have matched
/// (the wizard's summary). The numeric filters (source, price, rooms, area,
/// furnishing, period) are a SQL condition; a filter without districts or
/// excluded words is one `COUNT(*)`. Districts and excluded words are matched
/// by the filter ([`SearchFilter::count_text_matches`]) on those three text
/// columns of the rows SQL let through; `near=` in SQL by a box around its
/// circle, then by the distance.
pub async fn recent_matches(
    db: &DatabaseConnection,
    filter: &SearchFilter,
    since: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let filter = filter.clone().normalized();
    let cond = condition(db, &filter, since).await?;
    if filter.districts.is_empty() && filter.exclude.is_empty() && filter.near.is_none() {
        return listing::Entity::find().filter(cond).count(db).await;
    }
    let rows: Vec<crate::search::RecentRow> = listing::Entity::find()
        .select_only()
        .column(listing::Column::District)
        .column(listing::Column::Title)
        .column(listing::Column::Description)
        .column(listing::Column::Lat)
        .column(listing::Column::Lon)
        .filter(cond)
        .order_by_desc(listing::Column::Id)
        .limit(RECENT_LIMIT)
        .into_tuple()
        .all(db)
        .await?;
    let count = filter.count_text_matches(&rows);
    Ok(count as u64)
}

/// The districts seen in listings of `source` (any source when `None`) since
/// `since`, most frequent first, at most `limit`.
pub async fn districts(
    db: &DatabaseConnection,
    source: Option<&str>,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<String>, DbErr> {
    let mut query = listing::Entity::find()
        .select_only()
        .column(listing::Column::District)
        .column_as(listing::Column::Id.count(), "n")
        .filter(listing::Column::District.is_not_null())
        .filter(listing::Column::LastSeenAt.gte(since))
        .group_by(listing::Column::District)
        .order_by_desc(Expr::col("n"))
        .order_by_asc(listing::Column::District)
        .limit(limit);
    if let Some(name) = source {
        let Some(src) = source::Entity::find().filter(source::Column::Name.eq(name)).one(db).await? else {
            return Ok(Vec::new());
        };
        query = query.filter(listing::Column::SourceId.eq(src.id));
    }
    let rows: Vec<(Option<String>, i64)> = query.into_tuple().all(db).await?;
    Ok(rows.into_iter().filter_map(|(d, _)| d).filter(|d| !d.trim().is_empty()).collect())
}

/// The chat's wizard state, if a wizard is open.
pub async fn dialogue(db: &DatabaseConnection, chat_id: i64) -> Result<Option<String>, DbErr> {
    Ok(dialogue::Entity::find_by_id(chat_id).one(db).await?.map(|d| d.state))
}

/// Stores the chat's wizard state.
pub async fn save_dialogue<C: ConnectionTrait>(
    db: &C,
    chat_id: i64,
    state: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    dialogue::Entity::insert(dialogue::ActiveModel {
        chat_id: Set(chat_id),
        state: Set(state.to_owned()),
        updated_at: Set(now),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::column(dialogue::Column::ChatId)
            .update_columns([dialogue::Column::State, dialogue::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Closes the chat's wizard.
pub async fn clear_dialogue(db: &DatabaseConnection, chat_id: i64) -> Result<(), DbErr> {
    dialogue::Entity::delete_by_id(chat_id).exec(db).await?;
    Ok(())
}
