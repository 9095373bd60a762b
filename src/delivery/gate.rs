//! The one send budget of the bot, shared by every thread.
//!
//! Each thread has its own runtime and its own `Bot`, so teloxide's per-`Bot`
//! throttling cannot keep them under Telegram's limit together. Every send
//! from any thread first passes this gate and holds its [`Permit`] until
//! Telegram has answered:
//!
//! - `TELEGRAM_RATE_LIMIT` messages per second overall, spaced evenly (a burst
//!   of 1: a token bucket with a burst of 25 lets ~50 messages into one second,
//!   which Telegram answers with 429s);
//! - Telegram counts a message when it arrives, somewhere between the moment
//!   it leaves here and its answer; so a send holds its place in a budget from
//!   the moment it is admitted until a second after it was answered. However
//!   requests bunch on the way, no second at Telegram can then carry more
//!   than the budget: every send that arrived within one second was holding
//!   its place at that second's end;
//! - the free budget is [`FREE_BUDGET`] messages in any such second (a margin
//!   under Telegram's 30), used in full before a Star is spent: with paid
//!   broadcasts (`TELEGRAM_PAID_BROADCAST`) a send that finds it full goes out
//!   paid (`allow_paid_broadcast`, 0.1 Star) instead of waiting, up to
//!   `TELEGRAM_RATE_LIMIT` in all; replies to users and albums always wait
//!   for the free budget;
//! - one message per second to one chat, counted the same way; an album of N
//!   photos is N messages;
//! - after a 429 the whole gate is frozen for `retry_after`, not just the chat;
//! - the bot's replies to users go first: while a reply waits for the
//!   budget, queued alerts hold back, so a user tapping a button never waits
//!   behind a fan-out. New reply messages keep the per-chat pacing too (an
//!   alert and a reply to one chat in the same second would meet a 429).
//!
//! The waits are timers of whichever runtime awaits, so the gate works from
//! any runtime.

use std::{
    collections::{HashMap, VecDeque},
    num::NonZeroU32,
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::Utc;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::shutdown::Shutdown;

/// Free messages in any second: a margin of two under Telegram's free limit
/// of 30 (`config::FREE_RATE_LIMIT`), for clocks and rounding.
pub const FREE_BUDGET: u32 = 28;

/// The second a message holds its place for, after Telegram answered it.
const WINDOW: Duration = Duration::from_secs(1);

/// How often a wait for a place held by a send still in flight looks again.
const POLL: Duration = Duration::from_millis(2);

/// The longest a wait for the budget sleeps before it looks again.
const MAX_NAP: Duration = Duration::from_millis(50);

/// The overall spacing: evenly up to 100/s; above, sends are spaced 1 ms or
/// less apart, finer than the runtime's timer, so a burst of 2 % of the rate
/// is allowed and the refill lowered by twice as much.
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

/// Messages holding a place in one budget: in flight, or answered within
/// the last [`WINDOW`].
#[derive(Debug)]
struct Window {
    cap: u32,
    in_flight: u32,
    /// (answered at, messages), oldest first; at most `cap` messages.
    answered: VecDeque<(Instant, u32)>,
    answered_messages: u32,
}

impl Window {
    fn new(cap: u32) -> Self {
        Self { cap: cap.max(1), in_flight: 0, answered: VecDeque::new(), answered_messages: 0 }
    }

    fn prune(&mut self, now: Instant) {
        while let Some(&(at, n)) = self.answered.front() {
            if at + WINDOW > now {
                break;
            }
            self.answered.pop_front();
            self.answered_messages -= n;
        }
    }

    fn has_room(&self, n: u32) -> bool {
        self.in_flight + self.answered_messages + n.min(self.cap) <= self.cap
    }

    fn take(&mut self, n: u32) -> u32 {
        let n = n.min(self.cap);
        self.in_flight += n;
        n
    }

    fn answer(&mut self, n: u32, now: Instant) {
        self.in_flight -= n;
        if n > 0 {
            self.answered.push_back((now, n));
            self.answered_messages += n;
        }
    }

    /// When the oldest answered place frees.
    fn next_room(&self) -> Option<Instant> {
        self.answered.front().map(|&(at, _)| at + WINDOW)
    }
}

/// A chat's place: a message in flight, or free again from an instant.
#[derive(Debug, Clone, Copy)]
enum ChatSlot {
    Busy,
    FreeAt(Instant),
}

#[derive(Debug)]
struct Budget {
    /// Free sends: every reply, album and unpaid alert.
    free: Window,
    /// Every send, free or paid (`TELEGRAM_RATE_LIMIT`).
    all: Window,
    chats: HashMap<i64, ChatSlot>,
}

pub struct SendGate {
    spacing: DefaultDirectRateLimiter,
    budget: Mutex<Budget>,
    /// Paid sends allowed now (configured, and the Star balance enough).
    paid: AtomicBool,
    /// Unix milliseconds before which nothing may be sent (after a 429).
    frozen_until_ms: AtomicI64,
    /// Replies waiting for the budget.
    replies_waiting: AtomicUsize,
    /// One alert at a time waits for the budget, the others queue here in
    /// order (fair, and one timer instead of hundreds).
    alerts_turn: tokio::sync::Mutex<()>,
    /// The same for replies.
    replies_turn: tokio::sync::Mutex<()>,
    rate_limit: u32,
}

/// A send's places in the budgets, held until it is dropped: drop it once
/// Telegram has answered (or the send was given up).
#[must_use = "hold the permit until Telegram answered the send"]
pub struct Permit<'a> {
    gate: &'a SendGate,
    chat: Option<i64>,
    free: u32,
    all: u32,
    tier: Tier,
}

impl Permit<'_> {
    pub fn tier(&self) -> Tier {
        self.tier
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let now = Instant::now();
        let mut budget = self.gate.budget();
        budget.free.answer(self.free, now);
        budget.all.answer(self.all, now);
        if let Some(chat) = self.chat {
            budget.chats.insert(chat, ChatSlot::FreeAt(now + WINDOW));
        }
    }
}

/// Decrements the waiting-replies count however the wait ends.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What a send may be.
#[derive(Debug, Clone, Copy)]
struct Ask {
    messages: u32,
    may_pay: bool,
    reply: bool,
}

impl SendGate {
    /// A gate for `per_second` messages per second overall; with
    /// `paid_broadcast` only [`FREE_BUDGET`] of them are free, the rest paid
    /// while [`SendGate::set_paid`] allows it.
    pub fn new(per_second: u32, paid_broadcast: bool) -> Self {
        let per_second = per_second.max(1);
        let free = if paid_broadcast { per_second.min(FREE_BUDGET) } else { per_second };
        Self {
            spacing: RateLimiter::direct(overall(per_second)),
            budget: Mutex::new(Budget { free: Window::new(free), all: Window::new(per_second), chats: HashMap::new() }),
            paid: AtomicBool::new(false),
            rate_limit: per_second,
            frozen_until_ms: AtomicI64::new(0),
            replies_waiting: AtomicUsize::new(0),
            alerts_turn: tokio::sync::Mutex::new(()),
            replies_turn: tokio::sync::Mutex::new(()),
        }
    }

    fn budget(&self) -> MutexGuard<'_, Budget> {
        // A panic while holding the lock leaves counts, never broken memory.
        self.budget.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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

    /// Waits until `messages` (1, or an album's photos) may go to
    /// `chat_id`; the permit says whether they go free or paid (only with
    /// `may_pay`). `None` on shutdown.
    pub async fn acquire(&self, chat_id: i64, messages: u32, may_pay: bool, shutdown: &Shutdown) -> Option<Permit<'_>> {
        let ask = Ask { messages: messages.max(1), may_pay, reply: false };
        tokio::select! {
            _ = shutdown.wait() => None,
            permit = async {
                loop {
                    let mut permit = self.permit();
                    self.wait_thaw().await;
                    self.take_chat(&mut permit, chat_id).await;
                    self.wait_thaw().await;
                    let _turn = self.alerts_turn.lock().await;
                    while self.replies_waiting.load(Ordering::Acquire) > 0 {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    self.spacing.until_ready().await;
                    self.take_budget(&mut permit, ask).await;
                    // A 429 may have frozen the gate while this send waited.
                    if !self.is_frozen() {
                        break permit;
                    }
                }
            } => Some(permit),
        }
    }

    /// Waits until a reply to a user may be sent, ahead of every queued
    /// alert: the overall and free budgets, and with `chat` the per-chat
    /// pacing (new messages; edits of a message the user is tapping need
    /// only the budgets). Replies are never paid for. `None` on shutdown.
    pub async fn acquire_reply(&self, chat: Option<i64>, shutdown: &Shutdown) -> Option<Permit<'_>> {
        let ask = Ask { messages: 1, may_pay: false, reply: true };
        tokio::select! {
            _ = shutdown.wait() => None,
            permit = async {
                loop {
                    let mut permit = self.permit();
                    self.wait_thaw().await;
                    if let Some(chat) = chat {
                        self.take_chat(&mut permit, chat).await;
                        self.wait_thaw().await;
                    }
                    // Counted only once the chat's own second has passed, so
                    // a reply pacing one chat never holds back other chats.
                    self.replies_waiting.fetch_add(1, Ordering::AcqRel);
                    let _waiting = Waiting(&self.replies_waiting);
                    let _turn = self.replies_turn.lock().await;
                    self.spacing.until_ready().await;
                    self.take_budget(&mut permit, ask).await;
                    if !self.is_frozen() {
                        break permit;
                    }
                }
            } => Some(permit),
        }
    }

    fn permit(&self) -> Permit<'_> {
        Permit { gate: self, chat: None, free: 0, all: 0, tier: Tier::Free }
    }

    /// Waits for the chat's place and takes it into `permit`.
    async fn take_chat<'a>(&'a self, permit: &mut Permit<'a>, chat: i64) {
        loop {
            let wait = {
                let now = Instant::now();
                let mut budget = self.budget();
                match budget.chats.get(&chat) {
                    Some(ChatSlot::Busy) => POLL,
                    Some(ChatSlot::FreeAt(at)) if *at > now => *at - now,
                    _ => {
                        budget.chats.insert(chat, ChatSlot::Busy);
                        permit.chat = Some(chat);
                        return;
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits for places in the budgets and takes them into `permit`: free
    /// while the free budget has room, else paid when `ask` may pay and paid
    /// sends are allowed, else the wait goes on.
    async fn take_budget<'a>(&'a self, permit: &mut Permit<'a>, ask: Ask) {
        loop {
            let wait = {
                let now = Instant::now();
                let mut budget = self.budget();
                budget.free.prune(now);
                budget.all.prune(now);
                let yields = !ask.reply && self.replies_waiting.load(Ordering::Acquire) > 0;
                if !yields && budget.all.has_room(ask.messages) {
                    if budget.free.has_room(ask.messages) {
                        permit.free = budget.free.take(ask.messages);
                        permit.all = budget.all.take(ask.messages);
                        permit.tier = Tier::Free;
                        return;
                    }
                    if ask.may_pay && self.paid_allowed() {
                        permit.all = budget.all.take(ask.messages);
                        permit.tier = Tier::Paid;
                        return;
                    }
                }
                let next = [budget.free.next_room(), budget.all.next_room()].into_iter().flatten().min();
                // Places held by sends in flight free only after their answer:
                // look again soon. The cap notices a switch of `set_paid`.
                next.map_or(POLL, |at| at.saturating_duration_since(now).clamp(Duration::from_millis(1), MAX_NAP))
            };
            tokio::time::sleep(wait).await;
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

    /// Forgets chats whose second has passed (bounded memory).
    pub fn shrink(&self) {
        let now = Instant::now();
        self.budget().chats.retain(|_, slot| match slot {
            ChatSlot::Busy => true,
            ChatSlot::FreeAt(at) => *at > now,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn sends_are_spaced_evenly_and_one_per_second_per_chat() {
        let gate = SendGate::new(20, false);
        let shutdown = Shutdown::new();
        let started = Instant::now();
        for chat in 0..21 {
            assert!(gate.acquire(chat, 1, false, &shutdown).await.is_some());
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(950), "21 sends at 20/s take a second: {elapsed:?}");
        assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");

        let started = Instant::now();
        drop(gate.acquire(100, 1, false, &shutdown).await);
        drop(gate.acquire(100, 1, false, &shutdown).await);
        assert!(started.elapsed() >= Duration::from_millis(950), "same chat waits a second");
    }

    #[tokio::test]
    async fn the_free_budget_is_used_in_full_before_a_star_is_spent() {
        let gate = SendGate::new(500, true);
        gate.set_paid(true);
        let shutdown = Shutdown::new();
        // A burst: the first FREE_BUDGET go free at once, the rest paid.
        let mut tiers = Vec::new();
        for chat in 0..40 {
            tiers.push(gate.acquire(chat, 1, true, &shutdown).await.unwrap().tier());
        }
        let free = tiers.iter().filter(|t| **t == Tier::Free).count();
        assert_eq!(free, FREE_BUDGET as usize, "{tiers:?}");
        assert!(tiers[..FREE_BUDGET as usize].iter().all(|t| *t == Tier::Free), "free first: {tiers:?}");
        // A second later the free budget is whole again.
        tokio::time::sleep(WINDOW).await;
        for chat in 100..110 {
            assert_eq!(gate.acquire(chat, 1, true, &shutdown).await.unwrap().tier(), Tier::Free);
        }
        // A send that may not pay waits for room instead.
        for chat in 200..218 {
            assert_eq!(gate.acquire(chat, 1, true, &shutdown).await.unwrap().tier(), Tier::Free);
        }
        let started = Instant::now();
        assert_eq!(gate.acquire(300, 1, false, &shutdown).await.unwrap().tier(), Tier::Free);
        assert!(started.elapsed() >= Duration::from_millis(500), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_send_holds_its_place_from_admission_to_a_second_after_its_answer() {
        let gate = Arc::new(SendGate::new(3, false));
        let shutdown = Shutdown::new();
        let started = Instant::now();
        // Three sends still in flight after 400 ms (a slow Telegram).
        let held: Vec<_> = [1, 2, 3]
            .into_iter()
            .map(|chat| {
                let (gate, shutdown) = (gate.clone(), shutdown.clone());
                tokio::spawn(async move {
                    let permit = gate.acquire(chat, 1, false, &shutdown).await.unwrap();
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    drop(permit);
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(gate.acquire(4, 1, false, &shutdown).await.unwrap());
        let elapsed = started.elapsed();
        // Counted at admission, the fourth would have gone at 1 s, and
        // arrived in the same second as the three slow ones.
        assert!(elapsed >= Duration::from_millis(1350), "{elapsed:?}");
        for h in held {
            h.await.unwrap();
        }
        // The same for one chat: its next message waits for the answer.
        let started = Instant::now();
        let permit = gate.acquire(9, 1, false, &shutdown).await.unwrap();
        let gate2 = gate.clone();
        let next = tokio::spawn(async move { drop(gate2.acquire(9, 1, false, &Shutdown::new()).await) });
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(permit);
        next.await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(1250), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn an_album_counts_as_its_photos_and_is_never_paid() {
        let gate = SendGate::new(500, true);
        gate.set_paid(true);
        let shutdown = Shutdown::new();
        let started = Instant::now();
        assert_eq!(gate.acquire(1, 10, false, &shutdown).await.unwrap().tier(), Tier::Free);
        assert_eq!(gate.acquire(2, 10, false, &shutdown).await.unwrap().tier(), Tier::Free);
        assert!(started.elapsed() < Duration::from_millis(300));
        // 20 of 28 used: another album of 10 waits for the second to pass.
        assert_eq!(gate.acquire(3, 10, false, &shutdown).await.unwrap().tier(), Tier::Free);
        assert!(started.elapsed() >= Duration::from_millis(950), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn replies_go_before_waiting_alerts() {
        let gate = Arc::new(SendGate::new(10, false));
        let shutdown = Shutdown::new();
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for chat in 0..5 {
            let (gate, shutdown, order) = (gate.clone(), shutdown.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                drop(gate.acquire(chat, 1, false, &shutdown).await);
                order.lock().unwrap().push(format!("alert{chat}"));
            }));
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(gate.acquire_reply(Some(99), &shutdown).await.is_some());
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
        drop(gate.acquire(1, 1, false, &Shutdown::new()).await);
        assert!(started.elapsed() >= Duration::from_millis(390));
    }

    #[tokio::test]
    async fn shutdown_ends_a_wait() {
        let gate = SendGate::new(1, false);
        let shutdown = Shutdown::new();
        gate.freeze(Duration::from_secs(60));
        shutdown.trigger();
        assert!(gate.acquire(1, 1, false, &shutdown).await.is_none());
        assert!(gate.acquire_reply(None, &shutdown).await.is_none());
    }

    #[test]
    fn a_window_forgets_what_was_answered_a_second_ago() {
        let mut w = Window::new(2);
        let t0 = Instant::now();
        assert!(w.has_room(2));
        let n = w.take(2);
        assert!(!w.has_room(1), "in flight holds its place");
        w.answer(n, t0);
        w.prune(t0 + Duration::from_millis(999));
        assert!(!w.has_room(1), "answered holds it a second");
        w.prune(t0 + WINDOW);
        assert!(w.has_room(2));
        assert_eq!(w.take(5), 2, "an album larger than the budget takes all of it");
    }
}
