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
//! - 5xx (Telegram's JSON or a proxy's page), timeouts, network → retried
//!   with backoff capped at [`MAX_BACKOFF`], until the message is as old as
//!   `SEND_GIVE_UP` (24 h by default) → `failed`.

use std::{collections::HashSet, sync::Arc, time::Duration};

use entity::{outbox, status::outbox_status};
use reqwest::Url;
use sea_orm::DatabaseConnection;
use teloxide::{
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
    shutdown::{AbortOnDrop, Shutdown},
    texts::{Arg, Lang, Texts},
};

mod digest;
mod errors;
mod lease;
mod marks;
mod prepare;

use self::{
    digest::fold_digests,
    errors::{Sent, classify, refuses},
    lease::{Lease, SENDER_LEASE, keep_lease},
    marks::{Mark, record_marks},
    prepare::{Prepared, render_batch},
};

/// The longest wait between two tries of a message Telegram could not take.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);
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
    /// A message Telegram cannot take (5xx, timeouts, network down) is tried
    /// again until it is this old (`SEND_GIVE_UP`), then `failed`.
    pub give_up: Duration,
}

/// The wait before trying again a message that failed `attempts` times
/// before: 2 s, doubling, at most [`MAX_BACKOFF`].
pub fn retry_backoff(attempts: i32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(attempts.clamp(0, 30) as u32 + 1)).min(MAX_BACKOFF)
}

/// Whether a message queued at `created` is given up at `now` after a
/// transient failure: once it is `give_up` old.
pub fn gives_up(created: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>, give_up: Duration) -> bool {
    (now - created).to_std().is_ok_and(|age| age >= give_up)
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
                    give_up: me.give_up,
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
        // An album is a chat's own request (📷): never paid for.
        return match bot.send_media_group(chat, media).await {
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

/// What a delivery task uses.
struct Delivery<'a> {
    bot: &'a Bot,
    db: &'a DatabaseConnection,
    shared: &'a Shared,
    shutdown: &'a Shutdown,
    lease: &'a Lease,
    admins: &'a [i64],
    give_up: Duration,
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
    let Delivery { bot, db, shared, shutdown, lease, admins, give_up } = *ctx;
    let recipient = match &channel {
        Some(name) => Recipient::ChannelUsername(name.clone()),
        None => Recipient::Id(ChatId(row.chat_id)),
    };
    let kind_label = [("kind", row.kind.as_str())];
    let fence = db::outbox::Fence { id: row.id, token };
    let mut msg = rendered;
    loop {
        // An album is as many messages as photos, at the gate; it waits for
        // the free budget (the chat asked for it: no Stars spent).
        let album = msg.album.len() >= 2;
        let messages = if album { msg.album.len() as u32 } else { 1 };
        let Some(permit) = shared.gate.acquire(row.chat_id, messages, !album, shutdown).await else {
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
        let paid = permit.tier() == Tier::Paid;
        let outcome = send(bot, recipient.clone(), &msg, paid).await;
        // Answered: the send holds its place in the budget a second more.
        drop(permit);
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
                let text = |lang: &str| channel_refusal(Texts(Lang::of_chat(lang)), name, &why);
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
            Sent::Transient(why) if gives_up(row.created_at, now, give_up) => {
                metrics::inc("homehound_alerts_failed_total", "Messages given up.", &kind_label, 1.0);
                warn!(id = row.id, %why, attempts = row.attempts + 1, "giving up: Telegram could not take it for too long");
                db::outbox::fail(db, fence, outbox_status::FAILED, &why).await
            }
            Sent::Transient(why) => {
                metrics::inc("homehound_alerts_retried_total", "Messages retried after an error.", &kind_label, 1.0);
                let backoff = retry_backoff(row.attempts);
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

/// A channel's refusal of the bot's posts, in words (Telegram's error is
/// "Forbidden: bot is not a member of the channel chat" and the like).
fn channel_refusal(t: Texts, name: &str, error: &str) -> String {
    let lower = error.to_ascii_lowercase();
    let why = if lower.contains("not a member") || lower.contains("kicked") {
        t.get("channel-why-not-member")
    } else if lower.contains("not enough rights") || lower.contains("administrator") || lower.contains("admin") {
        t.get("channel-why-no-rights")
    } else if lower.contains("chat not found") {
        t.get("channel-why-not-found")
    } else {
        let code = error.rsplit(": ").next().unwrap_or(error).trim_end_matches('"');
        t.msg("channel-why-other", &[("code", Arg::Html(&code.chars().take(100).collect::<String>()))])
    };
    t.msg(
        "admin-channel-refuses",
        &[
            ("name", Arg::Html(name)),
            ("why", Arg::Html(&why)),
            ("hours", Arg::Html(&db::channels::REFUSAL_PAUSE.num_hours().to_string())),
        ],
    )
}

#[cfg(test)]
mod retry_tests {
    #[test]
    fn a_channels_refusal_is_said_in_words() {
        let ru = super::channel_refusal(
            super::Texts(super::Lang::Ru),
            "@flats",
            r#"Unknown error: "Forbidden: bot is not a member of the channel chat""#,
        );
        assert!(ru.starts_with("📢 Канал @flats не принимает сообщения бота: бот не состоит в канале."), "{ru}");
        assert!(!ru.contains("Forbidden") && !ru.contains("Unknown error"), "{ru}");
        let en = super::channel_refusal(super::Texts(super::Lang::En), "@flats", "Bad Request: chat not found");
        assert!(en.contains("Telegram knows no such channel"), "{en}");
    }

    use super::*;

    #[test]
    fn a_message_is_tried_again_until_it_is_too_old() {
        assert_eq!(retry_backoff(0), Duration::from_secs(2));
        assert_eq!(retry_backoff(3), Duration::from_secs(16));
        assert_eq!(retry_backoff(50), MAX_BACKOFF, "capped");
        let t0 = chrono::Utc::now();
        let day = Duration::from_secs(86_400);
        // A minute of refusals (more tries than the six of before) is not the end.
        assert!(!gives_up(t0, t0 + chrono::Duration::seconds(62), day));
        assert!(gives_up(t0, t0 + chrono::Duration::hours(24), day));
    }
}
