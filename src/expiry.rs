//! The subscription-expiry worker (its own thread, runtime and pool): every
//! `EXPIRY_CHECK_INTERVAL` one pass ([`db::access::pass`]) queues the due
//! reminders, expires ended access periods and queues one expiry notice per
//! chat whose access ended; the bot thread's sender delivers them through the
//! shared gate, after alerts and before broadcasts.

use chrono::Utc;
use tracing::{info, warn};

use crate::{
    component::{ComponentCtx, ComponentResult},
    db,
    health::FAILING_AFTER,
    metrics,
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
                if ctx.health.pass_succeeded() >= FAILING_AFTER {
                    info!("expiry passes work again");
                    let text = "✅ The expiry worker works again.";
                    if let Err(e) = db::admin::notify(&ctx.db, &ctx.config.admin_chat_ids, "expiry:up", text).await {
                        warn!(error = %e, "cannot tell the admins");
                    }
                }
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
            // briefly unavailable and nothing is lost by waiting. Passes that
            // keep failing make the worker unhealthy and tell the admins once.
            Err(e) => {
                let failed = ctx.health.pass_failed();
                warn!(error = %e, failed_in_a_row = failed, "expiry pass failed; retrying next interval");
                if failed == FAILING_AFTER {
                    let text = format!(
                        "⚠️ The expiry worker has failed {failed} passes in a row (no reminder or expiry notice is \
                         queued): {e}"
                    );
                    if let Err(e) = db::admin::notify(&ctx.db, &ctx.config.admin_chat_ids, "expiry:down", &text).await {
                        warn!(error = %e, "cannot tell the admins");
                    }
                }
            }
        }
        if !ctx.shutdown.sleep(interval).await {
            return Ok(());
        }
    }
}
