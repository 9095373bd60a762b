//! The one send budget of the bot, shared by every thread.
//!
//! Each thread has its own runtime and its own `Bot`, so teloxide's per-`Bot`
//! throttling cannot keep them under Telegram's limit together. Every send
//! from any thread first passes this gate:
//!
//! - `TELEGRAM_RATE_LIMIT` messages per second overall, spaced evenly (a burst
//!   of 1: a token bucket with a burst of 25 lets ~50 messages into one second,
//!   which Telegram answers with 429s);
//! - at most one message per second to one chat;
//! - after a 429 the whole gate is frozen for `retry_after`, not just the chat;
//! - with paid broadcasts (`TELEGRAM_PAID_BROADCAST`), a send that finds the
//!   free budget ([`FREE_BUDGET`] per second) used up goes out paid
//!   (`allow_paid_broadcast`, 0.1 Star) instead of waiting, up to
//!   `TELEGRAM_RATE_LIMIT` in all; replies to users always wait for the free
//!   budget;
//! - the bot's replies to users go first: while a reply waits for the overall
//!   budget, queued alerts hold back, so a user tapping a button never waits
//!   behind a fan-out. New reply messages keep the per-chat pacing too (an
//!   alert and a reply to one chat in the same second would meet a 429).
//!
//! governor's waits use their own timers, so the gate works from any runtime.

use std::{
    num::NonZeroU32,
    sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering},
    time::Duration,
};

use chrono::Utc;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::shutdown::Shutdown;

/// Free sends per second with paid broadcasts on: a margin under Telegram's
/// free limit of 30 (`config::FREE_RATE_LIMIT`).
pub const FREE_BUDGET: u32 = 25;

/// The overall budget: evenly spaced up to 100/s; above, sends are spaced
/// 1 ms or less apart, finer than the runtime's timer, so a burst of 2 % of
/// the rate is allowed and the refill lowered by twice as much: no
/// one-second window holds more than 98 % of `per_second`, which leaves
/// room for the jitter between leaving here and reaching Telegram.
fn overall(per_second: u32) -> Quota {
    let fallback = || Quota::per_second(NonZeroU32::MIN);
    if per_second <= 100 {
        return Quota::with_period(Duration::from_secs(1) / per_second.max(1)).unwrap_or_else(fallback);
    }
    let burst = per_second / 50;
    let quota = Quota::with_period(Duration::from_secs(1) / (per_second - 2 * burst)).unwrap_or_else(fallback);
    NonZeroU32::new(burst).map_or(quota, |b| quota.allow_burst(b))
}

/// How a send is paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Free,
    /// Carries `allow_paid_broadcast` (0.1 Star from the bot's balance).
    Paid,
}

pub struct SendGate {
    global: DefaultDirectRateLimiter,
    /// The free budget: every reply, and every send that is not paid.
    free: DefaultDirectRateLimiter,
    /// Paid sends allowed now (configured, and the Star balance enough).
    paid: AtomicBool,
    per_chat: DefaultKeyedRateLimiter<i64>,
    /// Unix milliseconds before which nothing may be sent (after a 429).
    frozen_until_ms: AtomicI64,
    /// Replies waiting for the global budget.
    replies_waiting: AtomicUsize,
    rate_limit: u32,
}

/// Decrements the waiting-replies count however the wait ends.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl SendGate {
    /// A gate for `per_second` messages per second overall; with
    /// `paid_broadcast` only [`FREE_BUDGET`] of them are free, the rest paid
    /// while [`SendGate::set_paid`] allows it.
    pub fn new(per_second: u32, paid_broadcast: bool) -> Self {
        let per_second = per_second.max(1);
        let free_rate = if paid_broadcast { per_second.min(FREE_BUDGET) } else { per_second };
        let evenly = |rate: u32| {
            Quota::with_period(Duration::from_secs(1) / rate).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        };
        let chat = Quota::with_period(Duration::from_secs(1)).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
        Self {
            global: RateLimiter::direct(overall(per_second)),
            free: RateLimiter::direct(evenly(free_rate)),
            paid: AtomicBool::new(false),
            rate_limit: per_second,
            per_chat: RateLimiter::keyed(chat),
            frozen_until_ms: AtomicI64::new(0),
            replies_waiting: AtomicUsize::new(0),
        }
    }

    /// Messages per second overall (`TELEGRAM_RATE_LIMIT`).
    pub fn rate_limit(&self) -> u32 {
        self.rate_limit
    }

    /// Paid sends are allowed (or not) from now on: the balance watcher's
    /// switch; never on unless `TELEGRAM_PAID_BROADCAST` is.
    pub fn set_paid(&self, allowed: bool) {
        self.paid.store(allowed, Ordering::Release);
    }

    pub fn paid_allowed(&self) -> bool {
        self.paid.load(Ordering::Acquire)
    }

    /// Waits until a message may go to `chat_id`, and says whether it goes
    /// free or paid. `None` on shutdown.
    pub async fn acquire(&self, chat_id: i64, shutdown: &Shutdown) -> Option<Tier> {
        tokio::select! {
            _ = shutdown.wait() => None,
            tier = async {
                loop {
                    self.wait_thaw().await;
                    self.per_chat.until_key_ready(&chat_id).await;
                    self.wait_thaw().await;
                    while self.replies_waiting.load(Ordering::Acquire) > 0 {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    self.global.until_ready().await;
                    let tier = if self.free.check().is_ok() {
                        Tier::Free
                    } else if self.paid_allowed() {
                        Tier::Paid
                    } else {
                        self.free.until_ready().await;
                        Tier::Free
                    };
                    // A 429 may have frozen the gate while this send waited.
                    if !self.is_frozen() {
                        break tier;
                    }
                }
            } => Some(tier),
        }
    }

    /// Waits until a reply to a user may be sent, ahead of every queued
    /// alert: the overall budget, and with `chat` the per-chat pacing (new
    /// messages; edits of a message the user is tapping need only the overall
    /// budget). `false` on shutdown.
    pub async fn acquire_reply(&self, chat: Option<i64>, shutdown: &Shutdown) -> bool {
        tokio::select! {
            _ = shutdown.wait() => false,
            _ = async {
                loop {
                    self.wait_thaw().await;
                    if let Some(chat) = chat {
                        self.per_chat.until_key_ready(&chat).await;
                        self.wait_thaw().await;
                    }
                    // Counted only once the chat's own second has passed, so
                    // a reply pacing one chat never holds back other chats.
                    self.replies_waiting.fetch_add(1, Ordering::AcqRel);
                    let _waiting = Waiting(&self.replies_waiting);
                    self.global.until_ready().await;
                    // Replies are never paid for.
                    self.free.until_ready().await;
                    if !self.is_frozen() {
                        break;
                    }
                }
            } => true,
        }
    }

    async fn wait_thaw(&self) {
        loop {
            let until = self.frozen_until_ms.load(Ordering::Acquire);
            let now = Utc::now().timestamp_millis();
            if until <= now {
                return;
            }
            tokio::time::sleep(Duration::from_millis((until - now) as u64)).await;
        }
    }

    /// Telegram asked to wait `retry_after`: nothing is sent until then.
    pub fn freeze(&self, retry_after: Duration) {
        let until = Utc::now().timestamp_millis() + retry_after.as_millis() as i64;
        self.frozen_until_ms.fetch_max(until, Ordering::AcqRel);
    }

    /// Whether the gate is frozen now.
    pub fn is_frozen(&self) -> bool {
        self.frozen_until_ms.load(Ordering::Acquire) > Utc::now().timestamp_millis()
    }

    /// Forgets per-chat state of chats not written to lately (bounded memory).
    pub fn shrink(&self) {
        self.per_chat.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[tokio::test]
    async fn sends_are_spaced_evenly_and_one_per_second_per_chat() {
        let gate = SendGate::new(20, false);
        let shutdown = Shutdown::new();
        let started = Instant::now();
        for chat in 0..21 {
            assert!(gate.acquire(chat, &shutdown).await.is_some());
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(950), "21 sends at 20/s take a second: {elapsed:?}");
        assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");

        let started = Instant::now();
        gate.acquire(100, &shutdown).await;
        gate.acquire(100, &shutdown).await;
        assert!(started.elapsed() >= Duration::from_millis(950), "same chat waits a second");
    }

    #[tokio::test]
    async fn replies_go_before_waiting_alerts() {
        let gate = std::sync::Arc::new(SendGate::new(10, false));
        let shutdown = Shutdown::new();
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for chat in 0..5 {
            let (gate, shutdown, order) = (gate.clone(), shutdown.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                gate.acquire(chat, &shutdown).await;
                order.lock().unwrap().push(format!("alert{chat}"));
            }));
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(gate.acquire_reply(Some(99), &shutdown).await);
        order.lock().unwrap().push("reply".to_owned());
        for t in tasks {
            t.await.unwrap();
        }
        // Without priority the reply would come last, behind all five. On a
        // busy machine (the whole suite in parallel) one or two alerts may
        // pass before the reply asks; the rest wait behind it.
        let order = order.lock().unwrap();
        let reply_at = order.iter().position(|o| o == "reply").unwrap();
        assert!(reply_at + 2 < order.len(), "the reply did not overtake the queued alerts: {order:?}");
    }

    #[tokio::test]
    async fn a_freeze_holds_every_chat() {
        let gate = SendGate::new(100, false);
        gate.freeze(Duration::from_millis(400));
        assert!(gate.is_frozen());
        let started = Instant::now();
        gate.acquire(1, &Shutdown::new()).await;
        assert!(started.elapsed() >= Duration::from_millis(390));
    }

    #[tokio::test]
    async fn above_the_free_budget_sends_go_paid_while_allowed() {
        let gate = SendGate::new(200, true);
        let shutdown = Shutdown::new();
        gate.set_paid(true);
        let started = Instant::now();
        let mut paid = 0;
        for chat in 0..100 {
            if gate.acquire(chat, &shutdown).await == Some(Tier::Paid) {
                paid += 1;
            }
        }
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(700), "100 at 200/s: {elapsed:?}");
        assert!((70..=95).contains(&paid), "about 25/s of 200/s free: {paid} paid");

        // Not allowed (balance too low): every send waits for the free budget.
        gate.set_paid(false);
        let started = Instant::now();
        for chat in 100..130 {
            assert_eq!(gate.acquire(chat, &shutdown).await, Some(Tier::Free));
        }
        assert!(started.elapsed() >= Duration::from_millis(1000), "30 at 25/s: {:?}", started.elapsed());
    }

    #[tokio::test]
    async fn shutdown_ends_a_wait() {
        let gate = SendGate::new(1, false);
        let shutdown = Shutdown::new();
        gate.freeze(Duration::from_secs(60));
        shutdown.trigger();
        assert!(gate.acquire(1, &shutdown).await.is_none());
    }
}
