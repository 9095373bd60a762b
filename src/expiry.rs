//! The subscription-expiry worker (its own thread, runtime and pool): every
//! `EXPIRY_CHECK_INTERVAL` one pass ([`db::access::pass`]) queues the due
//! reminders, expires ended access periods and queues one expiry notice per
//! chat whose access ended; the bot thread's sender delivers them through the
//! shared gate, after alerts and before broadcasts.

use chrono::Utc;
use tracing::{info, warn};

use crate::{
    component::{ComponentCtx, ComponentResult},
    db, metrics,
};

pub async fn run(ctx: ComponentCtx) -> ComponentResult {
    ctx.ready();
    let interval = ctx.config.expiry_check_interval;
    loop {
        match db::access::pass(&ctx.db, &ctx.config.reminder_offsets, Utc::now()).await {
            Ok(pass) => {
                if pass.reminders + pass.notices > 0 {
                    ctx.shared.outbox_ready.notify_one();
                }
                if pass != db::access::Pass::default() {
                    info!(reminders = pass.reminders, expired = pass.expired, notices = pass.notices, "expiry pass");
                }
                metrics::inc("homehound_reminders_queued_total", "Reminders queued.", &[], pass.reminders as f64);
                metrics::inc("homehound_access_expired_total", "Access periods expired.", &[], pass.expired as f64);
            }
            // A failed pass is retried on the next tick; the database may be
            // briefly unavailable and nothing is lost by waiting.
            Err(e) => warn!(error = %e, "expiry pass failed; retrying next interval"),
        }
        if !ctx.shutdown.sleep(interval).await {
            return Ok(());
        }
    }
}
