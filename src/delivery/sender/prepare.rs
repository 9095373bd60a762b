//! A claimed batch made ready to send: each row checked again at send time
//! (the chat, its searches, its marks, quiet hours) and rendered.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entity::{
    listing, outbox, source,
    status::{listing_mark, outbox_kind},
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::{
    db,
    delivery::render::{self, Rendered},
    search::{ListingView, SearchFilter},
    texts::{Lang, Texts},
};

use crate::delivery::render::{MARKET_DAYS, MARKET_SAMPLE};

/// What becomes of a claimed row.
pub(super) enum Prepared {
    Send(Rendered),
    /// A post to the channel `@name`.
    Post(String, Rendered),
    /// No longer to be sent, and why.
    Drop(&'static str),
    /// An alert in the chat's quiet hours: held for its digest.
    Hold,
}

/// The message of each row, or why it is no longer to be sent, or that it
/// waits for the chat's quiet hours to end: a batch rendered with six
/// queries (its listings, the sources, the active searches, the languages
/// and quiet hours of its chats, their marks on the listings) and one per
/// distinct alerted listing (its market context). Alerts are written in the
/// chat's language; a hidden listing is dropped; a saved one is sent
/// whatever the searches say.
pub(super) async fn render_batch(
    db: &DatabaseConnection,
    rows: &[outbox::Model],
    bot_username: &str,
) -> Result<Vec<Prepared>, sea_orm::DbErr> {
    let now = Utc::now();
    let digests: HashMap<i64, Vec<db::outbox::DigestItem>> = rows
        .iter()
        .filter(|r| r.kind == outbox_kind::DIGEST)
        .filter_map(|r| Some((r.id, db::outbox::digest_items(r.payload.as_deref()?)?)))
        .collect();
    // Listings whose alert or post shows its market context.
    let alerted: Vec<i64> =
        rows.iter().filter(|r| r.kind != outbox_kind::PHOTOS).filter_map(|r| r.listing_id).collect();
    let posts: Vec<i64> = rows.iter().filter(|r| r.kind == outbox_kind::CHANNEL_POST).map(|r| r.chat_id).collect();
    let channels = db::channels::names_of(db, &posts).await?;
    let mut listing_ids: Vec<i64> = rows.iter().filter_map(|r| r.listing_id).collect();
    listing_ids.extend(digests.values().flatten().map(|i| i.listing));
    let mut listings: HashMap<i64, listing::Model> = HashMap::new();
    let mut searches: HashMap<i64, Vec<SearchFilter>> = HashMap::new();
    let mut sources: HashMap<i64, String> = HashMap::new();
    let mut marks = HashSet::new();
    let chats: Vec<i64> = rows.iter().map(|r| r.chat_id).collect();
    let settings: HashMap<i64, db::chats::Delivery> =
        db::chats::delivery_of(db, &chats).await?.into_iter().map(|d| (d.id, d)).collect();
    if !listing_ids.is_empty() {
        for chunk in listing_ids.chunks(1_000) {
            let found =
                listing::Entity::find().filter(listing::Column::Id.is_in(chunk.iter().copied())).all(db).await?;
            listings.extend(found.into_iter().map(|l| (l.id, l)));
        }
        sources = source::Entity::find().all(db).await?.into_iter().map(|s| (s.id, s.name)).collect();
    }
    // The listings an alert or a digest carries are checked against the
    // chat's searches and marks, each as at send time.
    let mut checked: Vec<i64> = alerted.clone();
    checked.extend(digests.values().flatten().map(|i| i.listing));
    if !checked.is_empty() {
        let alert_chats: Vec<i64> = rows
            .iter()
            .filter(|r| (r.listing_id.is_some() || digests.contains_key(&r.id)) && !db::channels::is_channel(r.chat_id))
            .map(|r| r.chat_id)
            .collect();
        for s in db::searches::active_of(db, &alert_chats).await? {
            searches.entry(s.chat_id).or_default().push(SearchFilter::from_model(&s));
        }
        marks = db::marks::of(db, &alert_chats, &checked).await?;
    }
    let marked = |chat: i64, listing: i64, which: &str| marks.contains(&(chat, listing, which.to_owned()));
    let texts = |chat: i64| Texts(settings.get(&chat).map_or(Lang::En, |d| Lang::of_chat(&d.language)));
    let quiet = |chat: i64| settings.get(&chat).is_some_and(|d| quiet_now(d, now));
    // Market context: one query per alerted listing of the batch.
    let mut markets: HashMap<i64, Option<render::Market>> = HashMap::new();
    let since = now - chrono::Duration::days(MARKET_DAYS);
    for id in &alerted {
        if let Some(l) = listings.get(id)
            && !markets.contains_key(id)
        {
            let prices = db::listings::comparable_prices(db, l, since, MARKET_SAMPLE).await?;
            markets.insert(l.id, render::Market::of(prices));
        }
    }
    let source_of = |l: &listing::Model| sources.get(&l.source_id).map(String::as_str).unwrap_or_default();
    Ok(rows
        .iter()
        .map(|row| match row.kind.as_str() {
            k if k == outbox_kind::NEW_LISTING || k == outbox_kind::PRICE_DROP => {
                let Some(l) = row.listing_id.and_then(|id| listings.get(&id)) else {
                    return Prepared::Drop("listing no longer stored");
                };
                let source = source_of(l);
                if marked(row.chat_id, l.id, listing_mark::HIDDEN) {
                    return Prepared::Drop("the chat hid this listing");
                }
                // The chat may have deleted or paused the search that matched
                // (a saved listing is followed whatever the searches say).
                let view = ListingView::of_stored(l, source);
                if !marked(row.chat_id, l.id, listing_mark::SAVED)
                    && !searches.get(&row.chat_id).is_some_and(|s| s.iter().any(|f| f.matches(&view)))
                {
                    return Prepared::Drop("no search of the chat matches it any more");
                }
                if quiet(row.chat_id) {
                    return Prepared::Hold;
                }
                let market = markets.get(&l.id).copied().flatten();
                Prepared::Send(render::listing_alert(
                    texts(row.chat_id),
                    &row.kind,
                    row.payload.as_deref(),
                    l,
                    source,
                    market,
                ))
            }
            k if k == outbox_kind::CHANNEL_POST => {
                let Some(l) = row.listing_id.and_then(|id| listings.get(&id)) else {
                    return Prepared::Drop("listing no longer stored");
                };
                let Some(name) = channels.get(&row.chat_id) else {
                    return Prepared::Drop("the channel is no longer configured");
                };
                let market = markets.get(&l.id).copied().flatten();
                let post = render::channel_post(texts(row.chat_id), l, source_of(l), market, bot_username);
                Prepared::Post(name.clone(), post)
            }
            k if k == outbox_kind::PHOTOS => {
                match row
                    .listing_id
                    .and_then(|id| listings.get(&id))
                    .and_then(|l| render::photos(texts(row.chat_id), l))
                {
                    Some(photos) => Prepared::Send(photos),
                    None => Prepared::Drop("no photos to send"),
                }
            }
            k if k == outbox_kind::DIGEST => {
                let items = digests.get(&row.id).map(Vec::as_slice).unwrap_or_default();
                // Each held alert passes the checks it would have passed
                // alone: not hidden, and still matched by a search (or saved).
                let entries: Vec<render::DigestEntry<'_>> = items
                    .iter()
                    .filter_map(|i| {
                        let l = listings.get(&i.listing)?;
                        let source = source_of(l);
                        if marked(row.chat_id, l.id, listing_mark::HIDDEN) {
                            return None;
                        }
                        let view = ListingView::of_stored(l, source);
                        let wanted = marked(row.chat_id, l.id, listing_mark::SAVED)
                            || searches.get(&row.chat_id).is_some_and(|s| s.iter().any(|f| f.matches(&view)));
                        wanted.then_some(render::DigestEntry { listing: l, source, drop: i.drop.as_deref() })
                    })
                    .collect();
                if entries.is_empty() {
                    return Prepared::Drop("nothing it held is still wanted (hidden, muted, or no search matches)");
                }
                Prepared::Send(render::digest(texts(row.chat_id), row.id, &entries, 0))
            }
            k if k == outbox_kind::REMINDER || k == outbox_kind::EXPIRY => {
                Prepared::Send(render::notice(row.payload.as_deref(), true))
            }
            _ => Prepared::Send(render::notice(row.payload.as_deref(), false)),
        })
        .collect())
}

/// Whether the chat is in its quiet hours at `now`.
pub(super) fn quiet_now(d: &db::chats::Delivery, now: chrono::DateTime<Utc>) -> bool {
    crate::quiet::is_quiet(d.quiet_from, d.quiet_to, d.timezone.as_deref(), &d.language, now)
}
