//! Storing a scrape run: listings, price history, alerts, and the source's
//! health.
//!
//! Invariants enforced here:
//! - a listing is unique per (source, external id), by the schema's unique index;
//! - the first successful run of a source (empty history) stores without
//!   alerting anyone; every later run alerts on listings not seen before;
//! - a listing and its alerts are written in the same transaction, so a crash
//!   never stores a new listing without its alerts (or the reverse); a run is
//!   written in chunks of such listings (at most about 4,000 alerts each), so
//!   no other write waits long behind a run of 100,000 users;
//! - alerts are outbox rows unique per (chat, kind, dedup key): a chat is told
//!   of a listing once, and of each price fall once;
//! - nothing stored is ever deleted by a failing or blocked run.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    chat, listing, listing_price, outbox, search, source, source_run,
    status::{outbox_kind, run_outcome},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::Expr,
};

use super::{
    begin_write,
    outbox::{PRIORITY_ALERT, PRIORITY_CHANNEL, enqueue, notify_each, pending_row},
};
use crate::{
    fanout,
    listing::{FieldFill, Listing, Validators},
};

/// What one run of a source produced (fetched and parsed by the scraper).
#[derive(Debug)]
pub enum RunResult {
    Listings {
        listings: Vec<Listing>,
        validators: Validators,
    },
    /// 304: the first page is unchanged.
    NotModified,
    /// A captcha/consent wall or HTTP 401/403.
    Blocked(String),
    Failed(String),
}

impl RunResult {
    pub fn error(&self) -> Option<&str> {
        match self {
            RunResult::Blocked(e) | RunResult::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// What storing a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub outcome: &'static str,
    pub found: usize,
    pub new: usize,
    pub price_drops: usize,
    pub missing_price: usize,
    /// Listings left out because a value does not fit its column.
    pub invalid: usize,
    pub alerts_queued: u64,
    /// Listings back on the market (gone for over a day, listed again).
    pub returned: usize,
    /// Posts queued to channels.
    pub posts_queued: u64,
    /// This run was the source's silent first run.
    pub seeded: bool,
    /// `Some(true)`: the source just became unhealthy (admins told);
    /// `Some(false)`: it recovered (admins told).
    pub health_changed: Option<bool>,
}

/// What the scraper decides for a run that storage records: who is alerted,
/// when admins are told, and what they read. Storage itself matches nothing
/// and words nothing.
#[derive(Clone, Copy)]
pub struct RunPolicy<'a> {
    /// Bad runs in a row before admins are told.
    pub unhealthy_after: u32,
    pub admins: &'a [i64],
    /// The (listing id, chat) pairs to alert, given a run's new listings
    /// (stored ids) and the searches that may match them.
    pub matcher: Matcher,
    /// The admins' notice that the source failed `failures` runs in a row
    /// (source name, failures, the last error).
    pub down_text: fn(&str, &str, i32, &str) -> String,
    /// The admins' notice that the source works again (name, listings found).
    pub up_text: fn(&str, &str, usize) -> String,
    /// The (listing id, channel `@name`) posts to make of a run's new
    /// listings (source name, new listings with their stored ids).
    pub channel_posts: Option<&'a ChannelPosts<'a>>,
}

/// See [`RunPolicy::channel_posts`].
pub type ChannelPosts<'a> = dyn Fn(&str, &[(i64, &Listing)]) -> Vec<(i64, String)> + Sync + 'a;

/// See [`RunPolicy::matcher`]: (source name, new listings, candidate searches).
pub type Matcher = fn(&str, &[(i64, &Listing)], &[search::Filter]) -> Vec<(i64, i64)>;

/// Records one run of `source_id` that started at `started`.
pub async fn record_run(
    db: &DatabaseConnection,
    source_id: i64,
    started: DateTime<Utc>,
    result: &RunResult,
    policy: &RunPolicy<'_>,
    now: DateTime<Utc>,
) -> Result<RunReport, DbErr> {
    let src = super::sources::required(db, source_id).await?;
    let had_listings = listing::Entity::find().filter(listing::Column::SourceId.eq(source_id)).count(db).await? > 0;
    let mut report = RunReport::default();
    let mut error = None;
    let mut validators = None;
    let mut fill: Option<FieldFill> = None;
    let bad = match result {
        RunResult::Listings { listings, validators: v } => {
            validators = Some(v.clone());
            report.found = listings.len();
            report.missing_price = listings.iter().filter(|l| l.price.is_none()).count();
            report.outcome = if listings.is_empty() { run_outcome::EMPTY } else { run_outcome::OK };
            let (valid, invalid): (Vec<Listing>, Vec<Listing>) =
                listings.iter().cloned().partition(|l| column_problem(l).is_none());
            if let Some(bad) = invalid.first() {
                report.invalid = invalid.len();
                tracing::warn!(
                    source = %src.name,
                    skipped = invalid.len(),
                    example = %bad.id.chars().take(80).collect::<String>(),
                    problem = column_problem(bad).unwrap_or_default(),
                    "listings left out: a value does not fit its column"
                );
            }
            store_listings(db, &src, &valid, policy, now, &mut report).await?;
            let lost_prices =
                report.found > 0 && report.missing_price * 2 > report.found && had_prices(db, source_id).await?;
            if lost_prices {
                error = Some(format!("prices missing on {} of {} listings", report.missing_price, report.found));
            }
            let this_run = FieldFill::of(listings);
            let emptied =
                src.field_fill.as_deref().and_then(FieldFill::parse).and_then(|before| this_run.emptied(&before));
            if let Some(problem) = &emptied
                && error.is_none()
            {
                error = Some(problem.clone());
            }
            fill = Some(this_run);
            (listings.is_empty() && had_listings) || lost_prices || emptied.is_some()
        }
        RunResult::NotModified => {
            report.outcome = run_outcome::NOT_MODIFIED;
            false
        }
        RunResult::Blocked(why) => {
            report.outcome = run_outcome::BLOCKED;
            error = Some(why.clone());
            true
        }
        RunResult::Failed(why) => {
            report.outcome = run_outcome::ERROR;
            error = Some(why.clone());
            true
        }
    };
    if report.outcome == run_outcome::EMPTY && had_listings && error.is_none() {
        error = Some("no listings on a page that used to have them".to_owned());
    }

    // The run's outcome, in one short transaction after its listings: the
    // source as it is now (an admin may have changed it meanwhile).
    let txn = begin_write(db).await?;
    let src = super::sources::required(&txn, source_id).await?;
    let failures = if bad { src.consecutive_failures.saturating_add(1) } else { 0 };
    let mut notified = src.unhealthy_notified;
    if bad && !notified && failures as u32 >= policy.unhealthy_after {
        let why = error.as_deref().unwrap_or(report.outcome);
        let text = |lang: &str| (policy.down_text)(lang, &src.name, failures, why);
        let key = format!("source:{}:down:{}", src.id, now.timestamp_millis());
        notify_each(&txn, policy.admins, &key, &text, false, now).await?;
        notified = true;
        report.health_changed = Some(true);
    } else if !bad && notified {
        let text = |lang: &str| (policy.up_text)(lang, &src.name, report.found);
        let key = format!("source:{}:up:{}", src.id, now.timestamp_millis());
        notify_each(&txn, policy.admins, &key, &text, false, now).await?;
        notified = false;
        report.health_changed = Some(false);
    }

    let succeeded = run_outcome::succeeded(report.outcome);
    let mut am: source::ActiveModel = src.clone().into();
    // The run ended without taking the process down.
    am.run_started_at = Set(None);
    am.crashes = Set(0);
    am.last_run_at = Set(Some(now));
    am.total_runs = Set(src.total_runs + 1);
    am.consecutive_failures = Set(failures);
    am.unhealthy_notified = Set(notified);
    am.blocked = Set(report.outcome == run_outcome::BLOCKED);
    am.updated_at = Set(now);
    if succeeded {
        am.last_success_at = Set(Some(now));
    }
    if report.outcome != run_outcome::NOT_MODIFIED && (succeeded || report.outcome == run_outcome::BLOCKED) {
        am.last_found = Set(report.found as i32);
        am.last_new = Set(report.new as i32);
    }
    if let Some(e) = &error {
        am.last_error = Set(Some(e.chars().take(500).collect()));
        am.last_error_at = Set(Some(now));
    }
    if let Some(v) = validators {
        am.etag = Set(v.etag);
        am.last_modified = Set(v.last_modified);
    }
    if report.seeded {
        am.seeded_at = Set(Some(now));
    }
    // The fill rates a later run is compared with: those of good runs only,
    // so a broken layout keeps being reported until it is fixed.
    if let Some(f) = fill.as_ref().filter(|f| !bad && f.listings > 0) {
        am.field_fill = Set(Some(f.to_json()));
    }
    am.update(&txn).await?;

    source_run::ActiveModel {
        source_id: Set(source_id),
        started_at: Set(started),
        finished_at: Set(now),
        outcome: Set(report.outcome.to_owned()),
        found: Set(report.found as i32),
        new: Set(report.new as i32),
        price_drops: Set(report.price_drops as i32),
        missing_price: Set(report.missing_price as i32),
        error: Set(error.map(|e| e.chars().take(500).collect())),
        field_fill: Set(fill.map(|f| f.to_json())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(report)
}

/// Longest external id, URL and text kept in a column (the scraper bounds
/// them already; this guards every other way a listing can arrive).
const MAX_ID: usize = 255;
const MAX_URL: usize = 4096;
const MAX_TEXT: usize = 10_000;

/// Why `l` does not fit the `listings` columns, if it does not.
pub fn column_problem(l: &Listing) -> Option<&'static str> {
    let finite = |v: Option<f64>| v.is_none_or(|v| v.is_finite());
    if l.id.is_empty() || l.id.len() > MAX_ID {
        return Some("external id empty or too long");
    }
    let long_photo = l.photo.iter().chain(&l.photos).any(|p| p.len() > MAX_URL);
    if l.url.is_empty() || l.url.len() > MAX_URL || long_photo || l.photos.len() > crate::listing::MAX_PHOTOS {
        return Some("url empty or too long");
    }
    if l.title.len() > MAX_TEXT || l.description.as_ref().is_some_and(|d| d.len() > MAX_TEXT) {
        return Some("text too long");
    }
    if [&l.district, &l.phone].into_iter().flatten().any(|t| t.len() > MAX_ID) {
        return Some("district or phone too long");
    }
    if l.currency.as_ref().is_some_and(|c| c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase())) {
        return Some("currency is not a 3-letter ISO code");
    }
    if !finite(l.price) || !finite(l.rooms) || !finite(l.area_m2) {
        return Some("a number is not finite");
    }
    if l.price.is_some_and(|p| !(0.0..9.0e15).contains(&p)) || l.monthly_price.is_some_and(|p| p < 0) {
        return Some("price out of range");
    }
    if l.rooms.is_some_and(|r| !(0.0..=1000.0).contains(&r)) || l.area_m2.is_some_and(|a| !(0.0..1.0e7).contains(&a)) {
        return Some("rooms or area out of range");
    }
    match (l.lat, l.lon) {
        (None, None) => (),
        (Some(lat), Some(lon)) if crate::geo::Point::new(lat, lon).is_some() => (),
        _ => return Some("coordinates out of range or half given"),
    }
    None
}

async fn had_prices(db: &DatabaseConnection, source_id: i64) -> Result<bool, DbErr> {
    Ok(listing::Entity::find()
        .filter(listing::Column::SourceId.eq(source_id))
        .filter(listing::Column::Price.is_not_null())
        .count(db)
        .await?
        > 0)
}

/// The `photos` column of `l`: its photo list as a JSON array, when it has
/// more than one photo.
fn photos_json(l: &Listing) -> Option<String> {
    (l.photos.len() > 1).then(|| serde_json::to_string(&l.photos).unwrap_or_default())
}

/// What one listing of a run does to storage, decided before anything is
/// written.
enum Step<'a> {
    New { l: &'a Listing, price: Option<i64> },
    Seen { old: &'a listing::Model, l: &'a Listing, seen: fanout::SeenAgain },
}

/// A run's listings are written in transactions of at most this many
/// listings, or as many as make about [`chunk_alerts`] alerts: no other
/// write (a payment, a saved search, a sent mark) waits long behind a run.
const CHUNK_LISTINGS: usize = 200;

/// Alerts queued per transaction, about (a listing and its alerts are never
/// split): on SQLite, whose one writer every other write waits for, a few
/// thousand (tens of milliseconds); on PostgreSQL, where no other write
/// waits for a run's new rows, more, for fewer commits.
fn chunk_alerts(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Sqlite => 4_000,
        _ => 20_000,
    }
}

/// The pause between two chunks on SQLite, so that writers waiting for the
/// lock go first.
const CHUNK_GAP: std::time::Duration = std::time::Duration::from_millis(3);

/// The key a new listing is matched under before it has its id.
fn pending_key(index: usize) -> i64 {
    -(index as i64) - 1
}

/// Stores a run's listings and queues what they announce. The existing
/// rows are read and the candidate searches matched first, outside any
/// write transaction; then the listings are written in chunks, each
/// listing in the same transaction as its alerts, price drops and channel
/// posts (a crash mid-run leaves no listing without its alerts; the rest are
/// new again at the next run).
async fn store_listings(
    db: &DatabaseConnection,
    src: &source::Model,
    listings: &[Listing],
    policy: &RunPolicy<'_>,
    now: DateTime<Utc>,
    report: &mut RunReport,
) -> Result<(), DbErr> {
    let seeding = src.seeded_at.is_none();
    report.seeded = seeding;
    let started = std::time::Instant::now();
    let existing = existing_rows(db, src.id, listings).await?;
    let mut steps = Vec::with_capacity(listings.len());
    let mut back = HashMap::new();
    for l in listings {
        let price = l.price.map(|p| p.round() as i64);
        match existing.get(&l.id) {
            None => steps.push(Step::New { l, price }),
            Some(old) => {
                let was = fanout::Stored {
                    price: old.price,
                    monthly_price: old.monthly_price,
                    last_seen_at: old.last_seen_at,
                };
                // `window_at`: the start of the last run that read every page.
                let seen = fanout::seen_again(was, src.window_at, price, l.monthly_price, now);
                if let Some(days) = seen.back_days {
                    back.insert(old.id, days);
                }
                steps.push(Step::Seen { old, l, seen });
            }
        }
    }
    report.new = steps.iter().filter(|s| matches!(s, Step::New { .. })).count();
    report.price_drops = steps.iter().filter(|s| matches!(s, Step::Seen { seen, .. } if seen.fell.is_some())).count();
    report.returned = back.len();
    let announce = fanout::announces(seeding, report.new, report.price_drops, report.returned);

    // The listings that are news (new ones under their pending key), matched
    // against every candidate search, a page at a time.
    let fresh: Vec<(i64, &Listing)> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Step::New { l, .. } => Some((pending_key(i), *l)),
            Step::Seen { old, l, seen } if seen.back_days.is_some() => Some((old.id, *l)),
            Step::Seen { .. } => None,
        })
        .collect();
    let (matches, searching) =
        if announce { match_fresh(db, src, policy, &fresh, now).await? } else { Default::default() };
    let mut posts: HashMap<i64, Vec<String>> = HashMap::new();
    if let Some(wanted) = policy.channel_posts.filter(|_| announce && report.new > 0) {
        let new: Vec<(i64, &Listing)> = fresh.iter().copied().filter(|(key, _)| *key < 0).collect();
        for (key, name) in wanted(&src.name, &new) {
            posts.entry(key).or_default().push(name);
        }
    }

    let matched = started.elapsed();
    let (mut chunks, mut longest) = (0, std::time::Duration::ZERO);
    let chunk_alerts = chunk_alerts(db.get_database_backend());
    let mut next = steps.iter().enumerate().peekable();
    while next.peek().is_some() {
        let chunk_started = std::time::Instant::now();
        chunks += 1;
        let txn = begin_write(db).await?;
        let (mut listings_in, mut alerts_in) = (0, 0);
        let mut rows = Vec::new();
        let mut wanted_posts = Vec::new();
        while let Some((i, step)) = next.next_if(|_| listings_in < CHUNK_LISTINGS && alerts_in < chunk_alerts) {
            listings_in += 1;
            let before = rows.len();
            match step {
                Step::New { l, price } => {
                    let id = new_row(src.id, l, *price, now).insert(&txn).await?.id;
                    if let Some(p) = price {
                        insert_price(&txn, id, *p, l, now).await?;
                    }
                    let chats = matches.get(&pending_key(i)).map(Vec::as_slice).unwrap_or_default();
                    rows.extend(chats.iter().map(|&chat| new_listing_row(chat, id, None, now)));
                    wanted_posts.extend(posts.get(&pending_key(i)).into_iter().flatten().map(|n| (id, n.clone())));
                }
                Step::Seen { old, l, seen } => {
                    write_seen(&txn, old, l, seen, now).await?;
                    if let Some(days) = seen.back_days {
                        let chats = matches.get(&old.id).map(Vec::as_slice).unwrap_or_default();
                        rows.extend(chats.iter().map(|&chat| new_listing_row(chat, old.id, Some(days), now)));
                    }
                    if let Some((was, is)) = seen.fell.filter(|_| announce) {
                        let fall = Fall { listing_id: old.id, old: was, new: is, back: back.get(&old.id).copied() };
                        rows.extend(price_drop_rows(&txn, fall, &searching, now).await?);
                    }
                }
            }
            alerts_in += rows.len() - before;
        }
        report.alerts_queued += enqueue(&txn, rows).await?;
        if !wanted_posts.is_empty() {
            report.posts_queued += queue_channel_posts(&txn, wanted_posts, now).await?;
        }
        txn.commit().await?;
        longest = longest.max(chunk_started.elapsed());
        if next.peek().is_some() && db.get_database_backend() == DbBackend::Sqlite {
            // SQLite has one writer: a bot write waiting for the lock (it
            // tries every millisecond) goes in here, between two chunks.
            tokio::time::sleep(CHUNK_GAP).await;
        }
    }
    if report.new + report.price_drops + report.returned > 0 {
        tracing::info!(
            source = %src.name,
            new = report.new,
            alerts = report.alerts_queued,
            read_and_matched = ?matched,
            written = ?(started.elapsed() - matched),
            chunks,
            longest_chunk = ?longest,
            "run stored"
        );
    }
    Ok(())
}

/// The stored rows of `listings` (by external id) of source `source_id`.
async fn existing_rows(
    db: &DatabaseConnection,
    source_id: i64,
    listings: &[Listing],
) -> Result<HashMap<String, listing::Model>, DbErr> {
    let mut existing = HashMap::new();
    let ids: Vec<&str> = listings.iter().map(|l| l.id.as_str()).collect();
    for chunk in ids.chunks(300) {
        let rows = listing::Entity::find()
            .filter(listing::Column::SourceId.eq(source_id))
            .filter(listing::Column::ExternalId.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        existing.extend(rows.into_iter().map(|r| (r.external_id.clone(), r)));
    }
    Ok(existing)
}

/// Updates a listing seen again (and its price history).
async fn write_seen(
    txn: &DatabaseTransaction,
    old: &listing::Model,
    l: &Listing,
    seen: &fanout::SeenAgain,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut am = seen_row(old, l, now);
    if let Some(p) = seen.new_price {
        am.price = Set(Some(p));
        am.monthly_price = Set(l.monthly_price);
        am.currency = Set(l.currency.clone());
        am.period = Set(l.period.map(|p| p.as_str().to_owned()));
        am.updated_at = Set(now);
        insert_price(txn, old.id, p, l, now).await?;
    }
    am.update(txn).await?;
    Ok(())
}

fn new_listing_row(chat_id: i64, listing_id: i64, back_days: Option<i64>, now: DateTime<Utc>) -> outbox::ActiveModel {
    let payload = fanout::new_listing_payload(back_days);
    let key = listing_id.to_string();
    pending_row(chat_id, Some(listing_id), outbox_kind::NEW_LISTING, key, PRIORITY_ALERT, payload, now)
}

/// The chats each fresh listing (new, or back on the market) is news to:
/// by its key, those whose searches match it and that were never told of
/// it; and every chat with an active search on the source. The candidate
/// searches are read a page at a time, so memory stays bounded by the
/// alerts themselves however many searches are saved.
async fn match_fresh(
    db: &DatabaseConnection,
    src: &source::Model,
    policy: &RunPolicy<'_>,
    fresh: &[(i64, &Listing)],
    now: DateTime<Utc>,
) -> Result<(HashMap<i64, Vec<i64>>, HashSet<i64>), DbErr> {
    // One read transaction: a consistent snapshot, and on SQLite a page
    // cache that other connections' commits do not empty page after page.
    // It blocks no writer (WAL; on PostgreSQL, MVCC).
    let read = db.begin().await?;
    // A listing back on the market is news only to the chats never told of it.
    let returned: Vec<i64> = fresh.iter().map(|(key, _)| *key).filter(|key| *key > 0).collect();
    let told_before = super::told::pairs(&read, &returned).await?;
    let reachable = reachable_chats(&read, now).await?;
    let mut matches: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut searching = HashSet::new();
    let mut after = 0;
    let (mut reading, mut matching) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    loop {
        let started = std::time::Instant::now();
        let mut page = candidate_searches(&read, &src.name, after, CANDIDATE_PAGE).await?;
        reading += started.elapsed();
        let started = std::time::Instant::now();
        let Some(last) = page.last() else { break };
        after = last.id;
        let full = page.len() as u64 == CANDIDATE_PAGE;
        page.retain(|s| reachable.contains(&s.chat_id));
        searching.extend(page.iter().map(|s| s.chat_id));
        if !fresh.is_empty() {
            for (key, chat) in (policy.matcher)(&src.name, fresh, &page) {
                if !told_before.contains(&(key, chat)) {
                    matches.entry(key).or_default().push(chat);
                }
            }
        }
        matching += started.elapsed();
        if !full {
            break;
        }
    }
    read.commit().await?;
    tracing::debug!(source = %src.name, ?reading, ?matching, "candidate searches read and matched");
    Ok((matches, searching))
}

/// Queues the channel posts the channels' filters want (listing, channel
/// name), to the channels open for posts.
async fn queue_channel_posts(
    txn: &DatabaseTransaction,
    wanted: Vec<(i64, String)>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut names: Vec<String> = wanted.iter().map(|(_, name)| name.clone()).collect();
    names.sort_unstable();
    names.dedup();
    let open = super::channels::open_for_posts(txn, &names, now).await?;
    let rows = fanout::channel_posts(wanted, &open)
        .into_iter()
        .map(|(chat_id, listing_id)| {
            let key = listing_id.to_string();
            pending_row(chat_id, Some(listing_id), outbox_kind::CHANNEL_POST, key, PRIORITY_CHANNEL, None, now)
        })
        .collect();
    enqueue(txn, rows).await
}

/// A listing's price fell from `old` to `new`.
#[derive(Debug, Clone, Copy)]
struct Fall {
    listing_id: i64,
    old: i64,
    new: i64,
    /// Back on the market after so many days, too.
    back: Option<i64>,
}

/// The price-drop alerts of one fall, to the chats `fanout` says hear it.
async fn price_drop_rows(
    txn: &DatabaseTransaction,
    fall: Fall,
    searching: &HashSet<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<outbox::ActiveModel>, DbErr> {
    let told = super::told::chats(txn, fall.listing_id).await?;
    let saved = super::marks::saved_by_reachable(txn, fall.listing_id, now).await?;
    let hidden = super::marks::hidden_by(txn, fall.listing_id).await?;
    let cut = price_cuts(txn, fall.listing_id).await?;
    let payload = fanout::price_drop_payload(fall.old, fall.new, cut, fall.back);
    let key = fanout::price_drop_key(fall.listing_id, fall.new);
    Ok(fanout::price_drop_audience(&told, searching, &saved, &hidden)
        .into_iter()
        .map(|chat_id| {
            let payload = Some(payload.clone());
            pending_row(
                chat_id,
                Some(fall.listing_id),
                outbox_kind::PRICE_DROP,
                key.clone(),
                PRIORITY_ALERT,
                payload,
                now,
            )
        })
        .collect())
}

/// The row of a listing seen for the first time.
fn new_row(source_id: i64, l: &Listing, price: Option<i64>, now: DateTime<Utc>) -> listing::ActiveModel {
    listing::ActiveModel {
        source_id: Set(source_id),
        external_id: Set(l.id.clone()),
        url: Set(l.url.clone()),
        title: Set(l.title.clone()),
        description: Set(l.description.clone()),
        price: Set(price),
        currency: Set(l.currency.clone()),
        period: Set(l.period.map(|p| p.as_str().to_owned())),
        monthly_price: Set(l.monthly_price),
        rooms: Set(l.rooms),
        area_m2: Set(l.area_m2),
        district: Set(l.district.clone()),
        furnished: Set(l.furnished),
        photo: Set(l.photo.clone()),
        photos: Set(photos_json(l)),
        phone: Set(l.phone.clone()),
        lat: Set(l.lat),
        lon: Set(l.lon),
        first_seen_at: Set(now),
        last_seen_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// `old` seen again as `l`: its url and title as now; a fact the page no
/// longer shows keeps its last known value (the price is set by the caller).
fn seen_row(old: &listing::Model, l: &Listing, now: DateTime<Utc>) -> listing::ActiveModel {
    let mut am: listing::ActiveModel = old.clone().into();
    am.last_seen_at = Set(now);
    am.url = Set(l.url.clone());
    am.title = Set(l.title.clone());
    if l.description.is_some() {
        am.description = Set(l.description.clone());
    }
    if l.photo.is_some() {
        am.photo = Set(l.photo.clone());
    }
    if !l.photos.is_empty() {
        am.photos = Set(photos_json(l));
    }
    if l.rooms.is_some() {
        am.rooms = Set(l.rooms);
    }
    if l.area_m2.is_some() {
        am.area_m2 = Set(l.area_m2);
    }
    if l.district.is_some() {
        am.district = Set(l.district.clone());
    }
    if l.phone.is_some() {
        am.phone = Set(l.phone.clone());
    }
    if l.furnished.is_some() {
        am.furnished = Set(l.furnished);
    }
    if l.lat.is_some() && l.lon.is_some() {
        (am.lat, am.lon) = (Set(l.lat), Set(l.lon));
    }
    // Listed again: not taken down (whatever its page said before).
    if old.gone_at.is_some() {
        am.gone_at = Set(None);
    }
    am
}

/// Records what a listing's own page said at `now` ("❓ Still there?"):
/// taken down (since the first time it said so) or online; `false` when
/// the listing is no longer stored.
pub async fn set_presence(db: &DatabaseConnection, id: i64, gone: bool, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let gone_at =
        if gone { Expr::col(listing::Column::GoneAt).if_null(now) } else { Expr::value(Option::<DateTime<Utc>>::None) };
    let result = listing::Entity::update_many()
        .col_expr(listing::Column::CheckedAt, Expr::value(now))
        .col_expr(listing::Column::GoneAt, gone_at)
        .filter(listing::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Candidate searches read per query when a run is matched: bounds the
/// memory a run needs (about 10 MB) whatever the number of saved searches.
pub const CANDIDATE_PAGE: u64 = 10_000;

async fn insert_price(
    txn: &DatabaseTransaction,
    listing_id: i64,
    price: i64,
    l: &Listing,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    listing_price::ActiveModel {
        listing_id: Set(listing_id),
        price: Set(price),
        monthly_price: Set(l.monthly_price),
        currency: Set(l.currency.clone()),
        seen_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// The monthly prices of listings like `l` (same source, district and
/// rooms, seen since `since`, `l` itself left out), at most `limit`: the
/// market context of an alert.
pub async fn comparable_prices(
    db: &DatabaseConnection,
    l: &listing::Model,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    let (Some(district), Some(rooms)) = (&l.district, l.rooms) else { return Ok(Vec::new()) };
    listing::Entity::find()
        .select_only()
        .column(listing::Column::MonthlyPrice)
        .filter(listing::Column::SourceId.eq(l.source_id))
        .filter(listing::Column::District.eq(district.as_str()))
        .filter(listing::Column::Rooms.eq(rooms))
        .filter(listing::Column::LastSeenAt.gte(since))
        .filter(listing::Column::MonthlyPrice.is_not_null())
        .filter(listing::Column::Id.ne(l.id))
        .order_by_desc(listing::Column::LastSeenAt)
        .limit(limit)
        .into_tuple::<Option<i64>>()
        .all(db)
        .await
        .map(|prices| prices.into_iter().flatten().collect())
}

/// How many times the price of `listing_id` has fallen (its price history,
/// in the order seen).
async fn price_cuts(txn: &DatabaseTransaction, listing_id: i64) -> Result<u32, DbErr> {
    let prices: Vec<(i64, Option<i64>)> = listing_price::Entity::find()
        .select_only()
        .column(listing_price::Column::Price)
        .column(listing_price::Column::MonthlyPrice)
        .filter(listing_price::Column::ListingId.eq(listing_id))
        .order_by_asc(listing_price::Column::Id)
        .into_tuple()
        .all(txn)
        .await?;
    let comparable: Vec<i64> = prices.into_iter().filter_map(|(p, m)| fanout::comparable(Some(p), m)).collect();
    Ok(comparable.windows(2).filter(|w| w[1] < w[0]).count() as u32)
}

/// The stored listings of `ids`, in that order, each with its source's
/// name (ids no longer stored are left out); two queries per 1,000 ids.
pub async fn with_sources(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<(listing::Model, String)>, DbErr> {
    let mut by_id: HashMap<i64, listing::Model> = HashMap::new();
    for chunk in ids.chunks(1_000) {
        let found = listing::Entity::find().filter(listing::Column::Id.is_in(chunk.iter().copied())).all(db).await?;
        by_id.extend(found.into_iter().map(|l| (l.id, l)));
    }
    if by_id.is_empty() {
        return Ok(Vec::new());
    }
    let sources: HashMap<i64, String> =
        source::Entity::find().all(db).await?.into_iter().map(|s| (s.id, s.name)).collect();
    Ok(ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .map(|l| {
            let name = sources.get(&l.source_id).cloned().unwrap_or_default();
            (l, name)
        })
        .collect())
}

/// A stored listing with its source's name.
pub async fn with_source(db: &DatabaseConnection, id: i64) -> Result<Option<(listing::Model, String)>, DbErr> {
    let Some(l) = listing::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let name = source::Entity::find_by_id(l.source_id).one(db).await?.map(|s| s.name).unwrap_or_default();
    Ok(Some((l, name)))
}

/// Searches that may match a listing of `source` (not paused; for that
/// source or any), the next `limit` by id after `after` (keyset paging).
/// Whether their chats can be alerted is [`reachable_chats`]; the matcher
/// applies the filters in memory.
pub async fn candidate_searches<C: ConnectionTrait>(
    db: &C,
    source: &str,
    after: i64,
    limit: u64,
) -> Result<Vec<search::Filter>, DbErr> {
    search::Entity::find()
        .filter(search::Column::Id.gt(after))
        .order_by_asc(search::Column::Id)
        .limit(limit)
        .filter(search::Column::Paused.eq(false))
        .filter(search::Column::Source.is_null().or(search::Column::Source.eq(source)))
        .into_partial_model::<search::Filter>()
        .all(db)
        .await
}

/// The chats a run may alert: not paused, not blocked, with access at
/// `now` (one query, read once per run rather than once per page).
pub async fn reachable_chats<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<HashSet<i64>, DbErr> {
    let ids: Vec<i64> = chat::Entity::find()
        .select_only()
        .column(chat::Column::Id)
        .filter(super::reach::reachable(now))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().collect())
}
