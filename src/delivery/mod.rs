//! Delivering the outbox to Telegram: alerts, price drops, notices,
//! reminders and broadcasts, each exactly as fast as Telegram allows.
//!
//! - [`gate`]: the one send budget shared by every thread.
//! - [`render`]: what a row looks like in Telegram.
//! - [`sender`]: claims due rows, sends them, records the outcome.

pub mod gate;
pub mod render;
pub mod sender;

use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use self::gate::SendGate;

static PROCESS_STARTED: LazyLock<DateTime<Utc>> = LazyLock::new(Utc::now);

/// When this process started (first asked in `app::start`): outbox claims
/// older than this on SQLite, which serves one process, belong to a dead run.
pub fn process_started() -> DateTime<Utc> {
    *PROCESS_STARTED
}

/// What the three threads share besides the database.
pub struct Shared {
    pub gate: SendGate,
    /// Woken when rows are queued, so the sender does not wait for its poll.
    pub outbox_ready: Notify,
    /// The bot's Star balance when last read (`getMyStarBalance`); -1: unknown.
    pub star_balance: std::sync::atomic::AtomicI64,
}

impl Shared {
    pub fn new(rate_limit: u32, paid_broadcast: bool) -> Arc<Self> {
        Arc::new(Self {
            gate: SendGate::new(rate_limit, paid_broadcast),
            outbox_ready: Notify::new(),
            star_balance: std::sync::atomic::AtomicI64::new(-1),
        })
    }
}
