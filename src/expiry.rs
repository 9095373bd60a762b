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
    // With several replicas one worker makes the passes (the others stand
    // by); reminders and notices are unique in the outbox either way.
    let lease_ttl = (interval * 3).max(std::time::Duration::from_secs(5));
    loop {
        let held = db::leases::acquire(&ctx.db, "expiry", &db::leases::OWNER, lease_ttl, Utc::now()).await;
        if !matches!(held, Ok(true)) {
            if let Err(e) = held {
                warn!(error = %e, "cannot take the expiry lease; retrying next interval");
            }
            if !ctx.shutdown.sleep(interval).await {
                return Ok(());
            }
            continue;
        }
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
