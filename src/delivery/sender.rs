//! The sender: drains the outbox into Telegram.
//!
//! Runs in the bot thread (with that thread's `Bot`). Each batch claims due
//! rows, at most one per chat, and sends them concurrently, each after
//! passing the shared [`SendGate`](super::gate::SendGate); concurrency keeps
//! one slow request (teloxide sleeps 10 s inside a request answered with a
//! 5xx) from stalling the other chats.
//!
//! Outcomes, classified through teloxide's typed errors:
//! - accepted → `sent`;
//! - 429 `retry_after` → the whole gate waits, the row is retried (not counted);
//! - blocked / deactivated / chat not found / kicked → the chat is marked
//!   blocked and its pending rows dropped;
//! - a photo Telegram rejects (400) → sent again as text;
//! - 5xx / network → retried with backoff; after [`MAX_ATTEMPTS`] → `failed`.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use chrono::Utc;
use entity::{
    listing, outbox, source,
    status::{listing_mark, outbox_kind, outbox_status},
};
use reqwest::Url;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use teloxide::{
    ApiError, RequestError,
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMedia, InputMediaPhoto, ParseMode, Recipient},
};
use tokio::{sync::Semaphore, task::JoinSet};
use tracing::{debug, info, warn};

use super::{
    Shared,
    gate::Tier,
    render::{self, Rendered},
};
use crate::{
    db, metrics,
    search::{ListingView, SearchFilter},
    shutdown::{AbortOnDrop, Shutdown},
    texts::{Lang, Texts},
};

/// Attempts before a row is given up as `failed`.
pub const MAX_ATTEMPTS: i32 = 6;
/// Requests in flight at once, at least: with a higher rate limit, half a
/// second's worth (Telegram answers a send in 0.1–0.5 s).
const IN_FLIGHT: usize = 32;
/// Rows claimed (and rendered) per batch, at most.
const BATCH: usize = 256;
/// Sent rows are marked in one statement per this many, or per
/// [`MARK_EVERY`], whichever comes first.
const MARK_BATCH: usize = 500;
const MARK_EVERY: Duration = Duration::from_millis(20);
/// How long the sender sleeps when the outbox is empty (it is also woken
/// when rows are queued in this process).
const IDLE_POLL: Duration = Duration::from_millis(500);
/// How often held alerts of chats whose quiet hours ended are gathered.
const DIGEST_EVERY: Duration = Duration::from_secs(5);
/// A claim not renewed for this long belongs to a sender that died. A live
/// sender renews its claims every [`RENEW_EVERY`].
const CLAIM_LEASE: chrono::TimeDelta = chrono::TimeDelta::seconds(30);
const RENEW_EVERY: Duration = Duration::from_secs(10);
/// How long sends in flight may take to finish after shutdown (then the
/// last marks are written: the bot gives the sender 2.2 s in all).
const STOP_GRACE: Duration = Duration::from_millis(1700);
const MARK_GRACE: Duration = Duration::from_millis(400);

/// Who the sender is: what it needs besides the outbox.
#[derive(Debug, Clone)]
pub struct Identity {
    /// This sender's claims and lease owner (unique per process and start).
    pub owner: String,
    /// The bot's `@username` without the `@` (deep links in channel posts).
    pub bot_username: String,
    /// Told when a channel refuses the bot's posts.
    pub admins: Vec<i64>,
}

/// Runs until shutdown.
pub async fn run(bot: Bot, db: DatabaseConnection, shared: Arc<Shared>, shutdown: Shutdown, me: Identity) {
    let owner = me.owner.clone();
    let me = Arc::new(me);
    // Claims left by a process that died are ours to resend. SQLite serves
    // one process, so every claim older than this process is from a dead
    // run; on PostgreSQL another replica may be sending right now, so only
    // expired claims go. (Claims of an earlier sender of this same process,
    // restarted by its supervisor, expire with the lease below.)
    let single_process = db.get_database_backend() == sea_orm::DbBackend::Sqlite;
    // On PostgreSQL the replicas share one sender: Telegram's limit is per
    // bot token, so the lease holder alone spends the budget. The lease is
    // kept by its own task, so a sender busy for longer than the lease (all
    // sends waiting out a long `retry_after`) never loses it by neglect.
    let lease = if single_process { Lease::always(&owner) } else { Lease::default() };
    let keeper = (!single_process)
        .then(|| AbortOnDrop(tokio::spawn(keep_lease(db.clone(), owner.clone(), lease.clone(), shutdown.clone()))));
    let cutoff = if single_process { super::process_started() } else { lease.now() - CLAIM_LEASE };
    match db::outbox::release_claims(&db, cutoff).await {
        Ok(0) => (),
        Ok(n) => info!(released = n, "released outbox claims left by an earlier run"),
        Err(e) => warn!(error = %e, "cannot release old outbox claims"),
    }
    let in_flight_max = IN_FLIGHT.max(shared.gate.rate_limit() as usize / 2);
    let slots = Arc::new(Semaphore::new(in_flight_max));
    // Sent rows are marked in batches by one task.
    let (marks, marks_rx) = tokio::sync::mpsc::unbounded_channel::<Mark>();
    let recorder = tokio::spawn(record_marks(db.clone(), marks_rx, lease.clone()));
    // The rows being sent right now: only their claims are renewed.
    let in_flight: Arc<std::sync::Mutex<HashSet<i64>>> = Arc::default();
    let mut tasks = JoinSet::new();
    let mut batches = 0u64;
    let mut renewed = std::time::Instant::now();
    let mut digested = std::time::Instant::now();
    let mut sending_as: Option<String> = None;
    while !shutdown.is_triggered() {
        while tasks.try_join_next().is_some() {}
        let Some(token) = lease.token() else {
            if sending_as.take().is_some() {
                warn!("this replica lost the sender lease; standing by");
            }
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = tokio::time::sleep(Duration::from_millis(200)) => (),
            }
            continue;
        };
        if sending_as.as_ref() != Some(&token) {
            if !single_process {
                info!(token = %token, "this replica is now the sender");
                // The previous holder lost its lease at least
                // SENDER_LEASE_TTL ago and its late updates no longer match
                // (the token changed): resend its claims now.
                match db::outbox::release_claims_of_others(&db, &token).await {
                    Ok(0) => (),
                    Ok(n) => info!(released = n, "released the previous sender's claims"),
                    Err(e) => warn!(error = %e, "cannot release the previous sender's claims"),
                }
            }
            sending_as = Some(token.clone());
        }
        if renewed.elapsed() >= RENEW_EVERY {
            renewed = std::time::Instant::now();
            let now = lease.now();
            let live: Vec<i64> = in_flight.lock().map(|s| s.iter().copied().collect()).unwrap_or_default();
            if let Err(e) = db::outbox::renew_claims(&db, &token, &live, now).await {
                warn!(error = %e, "cannot renew outbox claims");
            }
            match db::outbox::release_claims(&db, now - CLAIM_LEASE).await {
                Ok(0) => (),
                Ok(n) => info!(released = n, "released expired outbox claims of a sender that stopped"),
                Err(e) => warn!(error = %e, "cannot release expired outbox claims"),
            }
        }
        if digested.elapsed() >= DIGEST_EVERY {
            digested = std::time::Instant::now();
            match fold_digests(&db).await {
                Ok(0) => (),
                Ok(_) => shared.outbox_ready.notify_one(),
                Err(e) => warn!(error = %e, "cannot gather held alerts into digests"),
            }
        }
        let limit = BATCH.min(slots.available_permits().max(1));
        let claimed = match db::outbox::claim(&db, &token, limit, lease.now()).await {
            Ok(rows) => rows,
            Err(e) => {
                warn!(error = %e, "cannot claim outbox rows");
                Vec::new()
            }
        };
        batches += 1;
        if batches.is_multiple_of(100) {
            shared.gate.shrink();
            if let Ok(depth) = db::outbox::depth(&db).await {
                metrics::set("homehound_outbox_depth", "Messages waiting in the outbox.", &[], depth as f64);
            }
        }
        if claimed.is_empty() {
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = shared.outbox_ready.notified() => (),
                _ = tokio::time::sleep(IDLE_POLL) => (),
                // Finishing sends free chats for the next batch.
                Some(_) = tasks.join_next(), if !tasks.is_empty() => (),
            }
            continue;
        }
        let rendered = match render_batch(&db, &claimed, &me.bot_username).await {
            Ok(r) => r,
            Err(e) => {
                warn!(error = %e, "cannot render outbox rows; retrying them shortly");
                for row in &claimed {
                    let fence = db::outbox::Fence { id: row.id, token: &token };
                    let _ =
                        db::outbox::retry(&db, fence, lease.now() + chrono::Duration::seconds(5), true, &e.to_string())
                            .await;
                }
                continue;
            }
        };
        let mut dropped: Vec<(i64, &'static str)> = Vec::new();
        let mut held: Vec<i64> = Vec::new();
        for (row, message) in claimed.into_iter().zip(rendered) {
            let (to, msg) = match message {
                Prepared::Send(msg) => (None, msg),
                Prepared::Post(channel, msg) => (Some(channel), msg),
                Prepared::Drop(why) => {
                    debug!(id = row.id, chat = row.chat_id, why, "alert dropped at send time");
                    dropped.push((row.id, why));
                    continue;
                }
                Prepared::Hold => {
                    held.push(row.id);
                    continue;
                }
            };
            let Ok(permit) = slots.clone().acquire_owned().await else { break };
            let (bot, db, shared, shutdown) = (bot.clone(), db.clone(), shared.clone(), shutdown.clone());
            let (lease, token, marks) = (lease.clone(), Arc::<str>::from(token.as_str()), marks.clone());
            let me = me.clone();
            let guard = InFlight::new(&in_flight, row.id);
            tasks.spawn(async move {
                let ctx = Delivery {
                    bot: &bot,
                    db: &db,
                    shared: &shared,
                    shutdown: &shutdown,
                    lease: &lease,
                    admins: &me.admins,
                };
                deliver(&ctx, &token, &marks, row, to, msg).await;
                drop(guard);
                drop(permit);
            });
        }
        let reasons: HashSet<&'static str> = dropped.iter().map(|(_, why)| *why).collect();
        for why in reasons {
            let ids: Vec<i64> = dropped.iter().filter(|(_, w)| *w == why).map(|(id, _)| *id).collect();
            if let Err(e) = db::outbox::drop_many(&db, &token, &ids, why).await {
                warn!(error = %e, "cannot record dropped alerts");
            }
        }
        if !held.is_empty() {
            debug!(alerts = held.len(), "alerts held for quiet hours");
            if let Err(e) = db::outbox::hold_many(&db, &token, &held).await {
                warn!(error = %e, "cannot hold alerts for quiet hours");
            }
        }
    }
    // Sends Telegram is answering finish and are recorded (a send waiting on
    // the gate gives its row back at once); nothing is sent twice after a
    // restart. Bounded: a row still unrecorded stays claimed and is resent
    // on the next start.
    let _ = tokio::time::timeout(STOP_GRACE, async { while tasks.join_next().await.is_some() {} }).await;
    // The last marks are written before the lease goes.
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    drop(marks);
    let mut recorder = AbortOnDrop(recorder);
    recorder.finish_within(MARK_GRACE).await;
    drop(keeper);
    if !single_process
        && sending_as.is_some()
        && let Err(e) = db::leases::release(&db, SENDER_LEASE, &owner).await
    {
        warn!(error = %e, "cannot release the sender lease");
    }
}

/// A row in [`run`]'s in-flight set while its task lives (also when the
/// task panics: the guard is dropped while unwinding).
struct InFlight {
    set: Arc<std::sync::Mutex<HashSet<i64>>>,
    id: i64,
}

impl InFlight {
    fn new(set: &Arc<std::sync::Mutex<HashSet<i64>>>, id: i64) -> Self {
        if let Ok(mut s) = set.lock() {
            s.insert(id);
        }
        Self { set: set.clone(), id }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut s) = self.set.lock() {
            s.remove(&self.id);
        }
    }
}

const SENDER_LEASE: &str = "sender";
/// How long the sender lease lasts unless renewed.
const SENDER_LEASE_TTL: Duration = Duration::from_secs(15);
/// How often the holder renews it.
const SENDER_LEASE_RENEW: Duration = Duration::from_secs(5);
/// How often a standby replica asks for it.
const SENDER_LEASE_RETRY: Duration = Duration::from_secs(3);
/// The holder stops sending this long before its lease could have expired
/// (by its own monotonic clock, counted from before it asked), so a send
/// never starts after another replica may have taken over.
const SENDER_LEASE_MARGIN: Duration = Duration::from_secs(3);

/// This process's right to send: the claim token (`owner#epoch`) while the
/// sender lease is held, and the database clock's offset from ours.
#[derive(Clone, Default)]
struct Lease(Arc<std::sync::Mutex<LeaseState>>);

#[derive(Default)]
struct LeaseState {
    token: Option<String>,
    /// When the token stops being valid; `None`: never (one process).
    valid_until: Option<std::time::Instant>,
    /// The database's clock minus ours, in milliseconds.
    offset_ms: i64,
}

impl Lease {
    /// One process (SQLite): always the sender, by its own clock.
    fn always(owner: &str) -> Self {
        Self(Arc::new(std::sync::Mutex::new(LeaseState {
            token: Some(owner.to_owned()),
            valid_until: None,
            offset_ms: 0,
        })))
    }

    /// The claim token, while this process may send.
    fn token(&self) -> Option<String> {
        let state = self.0.lock().ok()?;
        match state.valid_until {
            Some(until) if std::time::Instant::now() >= until => None,
            _ => state.token.clone(),
        }
    }

    /// Whether a send under `token` may start now.
    fn allows(&self, token: &str) -> bool {
        self.token().as_deref() == Some(token)
    }

    /// Now, by the database's clock (claims and sends are compared across
    /// replicas).
    fn now(&self) -> chrono::DateTime<Utc> {
        let offset = self.0.lock().map(|s| s.offset_ms).unwrap_or_default();
        Utc::now() + chrono::Duration::milliseconds(offset)
    }
}

/// Takes and renews the sender lease until shutdown (PostgreSQL), by the
/// database's clock; publishes the token in `lease`.
async fn keep_lease(db: DatabaseConnection, owner: String, lease: Lease, shutdown: Shutdown) {
    while !shutdown.is_triggered() {
        let asked = std::time::Instant::now();
        let result = async {
            let now = db::clock(&db).await?;
            let epoch = db::leases::acquire(&db, SENDER_LEASE, &owner, SENDER_LEASE_TTL, now).await?;
            Ok::<_, sea_orm::DbErr>((now, epoch))
        };
        let held = match tokio::time::timeout(SENDER_LEASE_RENEW, result).await {
            Ok(Ok((now, epoch))) => {
                if let Ok(mut state) = lease.0.lock() {
                    state.offset_ms = (now - Utc::now()).num_milliseconds();
                    state.token = epoch.map(|e| format!("{owner}#{e}"));
                    state.valid_until = Some(asked + SENDER_LEASE_TTL - SENDER_LEASE_MARGIN);
                }
                epoch.is_some()
            }
            // Unknown: the token stays valid until its own deadline.
            Ok(Err(e)) => {
                warn!(error = %e, "cannot take or renew the sender lease");
                lease.token().is_some()
            }
            Err(_) => {
                warn!("taking or renewing the sender lease timed out");
                lease.token().is_some()
            }
        };
        let wait = if held { SENDER_LEASE_RENEW } else { SENDER_LEASE_RETRY };
        tokio::select! {
            _ = shutdown.wait() => break,
            _ = tokio::time::sleep(wait) => (),
        }
    }
}

enum Sent {
    Ok,
    RetryAfter(Duration),
    Blocked(String),
    PhotoRejected(String),
    Rejected(String),
    Transient(String),
}

fn classify(e: &RequestError) -> Sent {
    match e {
        RequestError::RetryAfter(secs) => Sent::RetryAfter(secs.duration()),
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::ChatNotFound
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::BotKickedFromChannel
            | ApiError::NotEnoughRightsToPostMessages,
        ) => Sent::Blocked(e.to_string()),
        // "Forbidden: bot is not a member of the channel chat" and the like.
        RequestError::Api(ApiError::Unknown(text)) if text.starts_with("Forbidden") => Sent::Blocked(e.to_string()),
        RequestError::Api(api) => Sent::Rejected(api.to_string()),
        RequestError::MigrateToChatId(_) => Sent::Rejected(e.to_string()),
        // Network errors, timeouts, 5xx (InvalidJson after teloxide's wait).
        _ => Sent::Transient(e.to_string()),
    }
}

/// Whether Telegram's answer to a channel post means the channel does not
/// take the bot's posts (rather than this one message being wrong).
fn refuses(why: &str) -> bool {
    let why = why.to_ascii_lowercase();
    ["forbidden", "chat not found", "administrator rights", "not enough rights", "kicked", "not a member"]
        .iter()
        .any(|w| why.contains(w))
}

/// Telegram's form of a keyboard; a link Telegram would refuse (not a URL)
/// loses its button, not the message.
pub fn markup(rows: &[Vec<render::Button>]) -> Option<InlineKeyboardMarkup> {
    let rows: Vec<Vec<InlineKeyboardButton>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .filter_map(|b| match b {
                    render::Button::Url { label, url } => {
                        Url::parse(url).ok().map(|url| InlineKeyboardButton::url(label.clone(), url))
                    }
                    render::Button::Callback { label, data } => {
                        Some(InlineKeyboardButton::callback(label.clone(), data.clone()))
                    }
                })
                .collect::<Vec<_>>()
        })
        .filter(|row| !row.is_empty())
        .collect();
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

/// A sent row's mark, on its way to [`record_marks`].
type Marks = tokio::sync::mpsc::UnboundedSender<Mark>;

async fn send(bot: &Bot, chat: Recipient, msg: &Rendered, paid: bool) -> Sent {
    if msg.album.len() >= 2 {
        let media = msg.album.iter().filter_map(|u| Url::parse(u).ok()).enumerate().map(|(i, url)| {
            let photo = InputMediaPhoto::new(InputFile::url(url));
            InputMedia::Photo(if i == 0 { photo.caption(msg.html.clone()).parse_mode(ParseMode::Html) } else { photo })
        });
        let mut req = bot.send_media_group(chat, media);
        if paid {
            req = req.allow_paid_broadcast(true);
        }
        return match req.await {
            Ok(_) => Sent::Ok,
            Err(e) => match classify(&e) {
                Sent::Rejected(why) => Sent::PhotoRejected(why),
                other => other,
            },
        };
    }
    let markup = markup(&msg.keyboard);
    let result = match msg.photo.as_deref().and_then(|p| Url::parse(p).ok()) {
        Some(photo) => {
            let mut req = bot
                .send_photo(chat.clone(), InputFile::url(photo))
                .caption(msg.html.clone())
                .parse_mode(ParseMode::Html);
            if paid {
                req = req.allow_paid_broadcast(true);
            }
            if let Some(m) = markup {
                req = req.reply_markup(m);
            }
            match req.await {
                Ok(_) => return Sent::Ok,
                Err(e) => match classify(&e) {
                    Sent::Rejected(why) => return Sent::PhotoRejected(why),
                    other => return other,
                },
            }
        }
        None => {
            let mut req = bot.send_message(chat, msg.html.clone()).parse_mode(ParseMode::Html);
            if paid {
                req = req.allow_paid_broadcast(true);
            }
            if let Some(m) = markup {
                req = req.reply_markup(m);
            }
            req.await
        }
    };
    match result {
        Ok(_) => Sent::Ok,
        Err(e) => classify(&e),
    }
}

/// How far back comparable listings are looked for (market context).
const MARKET_DAYS: i64 = 30;
/// Most comparable prices read for one listing's median.
const MARKET_SAMPLE: u64 = 1_000;

/// What becomes of a claimed row.
enum Prepared {
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
async fn render_batch(
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
    if !alerted.is_empty() {
        let alert_chats: Vec<i64> = rows
            .iter()
            .filter(|r| r.listing_id.is_some() && !db::channels::is_channel(r.chat_id))
            .map(|r| r.chat_id)
            .collect();
        for s in db::searches::active_of(db, &alert_chats).await? {
            searches.entry(s.chat_id).or_default().push(SearchFilter::from_model(&s));
        }
        marks = db::marks::of(db, &alert_chats, &alerted).await?;
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
                let entries: Vec<render::DigestEntry<'_>> = items
                    .iter()
                    .filter_map(|i| {
                        let l = listings.get(&i.listing)?;
                        Some(render::DigestEntry { listing: l, source: source_of(l), drop: i.drop.as_deref() })
                    })
                    .collect();
                if entries.is_empty() {
                    return Prepared::Drop("listing no longer stored");
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
fn quiet_now(d: &db::chats::Delivery, now: chrono::DateTime<Utc>) -> bool {
    crate::quiet::is_quiet(d.quiet_from, d.quiet_to, d.timezone.as_deref(), &d.language, now)
}

/// Gathers the held alerts of every chat whose quiet hours are over (or
/// were switched off) into one digest each.
async fn fold_digests(db: &DatabaseConnection) -> Result<usize, sea_orm::DbErr> {
    let now = Utc::now();
    let chats = db::outbox::held_chats(db, 1_000).await?;
    if chats.is_empty() {
        return Ok(0);
    }
    let settings: HashMap<i64, db::chats::Delivery> =
        db::chats::delivery_of(db, &chats).await?.into_iter().map(|d| (d.id, d)).collect();
    let mut folded = 0;
    for chat in chats {
        if !settings.get(&chat).is_some_and(|d| quiet_now(d, now)) {
            let n = db::outbox::fold_digest(db, chat, now).await?;
            info!(chat, alerts = n, "quiet hours over: held alerts gathered into a digest");
            folded += 1;
        }
    }
    Ok(folded)
}

/// A message Telegram accepted, to be marked sent (by [`record_marks`]).
struct Mark {
    id: i64,
    token: Arc<str>,
    paid: bool,
}

/// Marks sent rows in batches: one statement per [`MARK_BATCH`] rows or
/// [`MARK_EVERY`], until every sender of marks has gone.
async fn record_marks(db: DatabaseConnection, mut rx: tokio::sync::mpsc::UnboundedReceiver<Mark>, lease: Lease) {
    let mut batch: Vec<Mark> = Vec::new();
    while let Some(first) = rx.recv().await {
        batch.push(first);
        let deadline = tokio::time::sleep(MARK_EVERY);
        tokio::pin!(deadline);
        while batch.len() < MARK_BATCH {
            tokio::select! {
                mark = rx.recv() => match mark {
                    Some(m) => batch.push(m),
                    None => break,
                },
                _ = &mut deadline => break,
            }
        }
        flush_marks(&db, &mut batch, lease.now()).await;
    }
}

async fn flush_marks(db: &DatabaseConnection, batch: &mut Vec<Mark>, now: chrono::DateTime<Utc>) {
    batch.sort_by(|a, b| (&a.token, a.paid).cmp(&(&b.token, b.paid)));
    for group in batch.chunk_by(|a, b| a.token == b.token && a.paid == b.paid) {
        let ids: Vec<i64> = group.iter().map(|m| m.id).collect();
        let mut attempt = 0;
        loop {
            match db::outbox::mark_sent_many(db, &group[0].token, &ids, group[0].paid, now).await {
                Ok(n) if n < ids.len() as u64 => {
                    warn!(sent = ids.len(), marked = n, "sent, but some claims had passed to another sender");
                    break;
                }
                Ok(_) => break,
                Err(e) if attempt < 3 => {
                    attempt += 1;
                    warn!(error = %e, attempt, "cannot mark sent messages yet; trying again");
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(e) => {
                    warn!(error = %e, rows = ids.len(), "cannot mark sent messages; they will be resent after a restart");
                    break;
                }
            }
        }
    }
    batch.clear();
}

/// What a delivery task uses.
struct Delivery<'a> {
    bot: &'a Bot,
    db: &'a DatabaseConnection,
    shared: &'a Shared,
    shutdown: &'a Shutdown,
    lease: &'a Lease,
    admins: &'a [i64],
}

/// Sends one claimed, rendered row and records what happened, under `token`.
async fn deliver(
    ctx: &Delivery<'_>,
    token: &Arc<str>,
    marks: &Marks,
    row: outbox::Model,
    channel: Option<String>,
    rendered: Rendered,
) {
    let Delivery { bot, db, shared, shutdown, lease, admins } = *ctx;
    let recipient = match &channel {
        Some(name) => Recipient::ChannelUsername(name.clone()),
        None => Recipient::Id(ChatId(row.chat_id)),
    };
    let kind_label = [("kind", row.kind.as_str())];
    let fence = db::outbox::Fence { id: row.id, token };
    let mut msg = rendered;
    loop {
        let Some(tier) = shared.gate.acquire(row.chat_id, shutdown).await else {
            // Shutdown before sending: the claim is released on next start.
            let _ = db::outbox::retry(db, fence, lease.now(), false, "shutdown").await;
            return;
        };
        // A wait at the gate can outlast the lease (a long `retry_after`):
        // a deposed sender sends nothing; the row is the new holder's.
        if !lease.allows(token) {
            info!(id = row.id, "no longer the sender; leaving the row to the new one");
            return;
        }
        let paid = tier == Tier::Paid;
        let outcome = send(bot, recipient.clone(), &msg, paid).await;
        let now = lease.now();
        let result = match outcome {
            Sent::Ok => {
                metrics::inc("homehound_alerts_sent_total", "Messages Telegram accepted.", &kind_label, 1.0);
                if paid {
                    metrics::inc(
                        "homehound_paid_sends_total",
                        "Messages sent as paid broadcasts (0.1 Star each).",
                        &[],
                        1.0,
                    );
                }
                if let Some(source) = &msg.source {
                    let latency = (now - row.created_at).num_milliseconds().max(0) as f64 / 1000.0;
                    metrics::observe_latency(source, latency);
                }
                let _ = marks.send(Mark { id: row.id, token: token.clone(), paid });
                match &channel {
                    Some(_) => db::channels::accepted(db, row.chat_id, now).await,
                    None => Ok(()),
                }
            }
            Sent::RetryAfter(wait) => {
                metrics::inc("homehound_telegram_429_total", "429 answers from Telegram.", &[], 1.0);
                warn!(retry_after = ?wait, "Telegram asks to slow down; pausing every send");
                shared.gate.freeze(wait);
                db::outbox::retry(db, fence, now + chrono::Duration::from_std(wait).unwrap_or_default(), false, "429")
                    .await
            }
            Sent::Blocked(why) | Sent::Rejected(why) if channel.is_some() && refuses(&why) => {
                let name = channel.as_deref().unwrap_or_default();
                warn!(channel = name, %why, "the channel refuses the bot's posts; dropping them");
                let text = format!(
                    "📢 The channel {name} refuses the bot's posts ({why}). Its posts are dropped. Add the bot to \
                     the channel as an admin allowed to post; posting is tried again in {} hours, or at the next \
                     start.",
                    db::channels::REFUSAL_PAUSE.num_hours()
                );
                db::channels::refused(db, row.chat_id, admins, &text, now).await.map(drop)
            }
            Sent::Blocked(why) => {
                info!(chat = row.chat_id, %why, "chat unreachable; marking it blocked");
                db::outbox::block_chat(db, row.chat_id, now).await.map(|_| ())
            }
            Sent::PhotoRejected(why) if msg.photo.is_some() || !msg.album.is_empty() => {
                debug!(%why, "photo rejected; sending as text");
                msg = render::without_photo(&msg);
                continue;
            }
            Sent::PhotoRejected(why) | Sent::Rejected(why) => {
                metrics::inc("homehound_alerts_failed_total", "Messages given up.", &kind_label, 1.0);
                warn!(id = row.id, %why, "Telegram rejected the message; giving up");
                db::outbox::fail(db, fence, outbox_status::FAILED, &why).await
            }
            Sent::Transient(why) if row.attempts + 1 >= MAX_ATTEMPTS => {
                metrics::inc("homehound_alerts_failed_total", "Messages given up.", &kind_label, 1.0);
                warn!(id = row.id, %why, attempts = row.attempts + 1, "giving up after repeated failures");
                db::outbox::fail(db, fence, outbox_status::FAILED, &why).await
            }
            Sent::Transient(why) => {
                metrics::inc("homehound_alerts_retried_total", "Messages retried after an error.", &kind_label, 1.0);
                let backoff = Duration::from_secs(2u64.saturating_pow(row.attempts.max(0) as u32 + 1).min(300));
                db::outbox::retry(db, fence, now + chrono::Duration::from_std(backoff).unwrap_or_default(), true, &why)
                    .await
            }
        };
        if let Err(e) = result {
            warn!(error = %e, id = row.id, "cannot record a delivery; the row will be resent after a restart");
        }
        return;
    }
}
