//! The subscription-expiry worker (its own thread, runtime and pool): every
//! `EXPIRY_CHECK_INTERVAL` one pass ([`pass::pass`]) queues the due
//! reminders, expires ended access periods and queues one expiry notice per
//! chat whose access ended; the bot thread's sender delivers them through the
//! shared gate, after alerts and before broadcasts.

mod pass;

pub use pass::{Pass, pass};

use chrono::Utc;
use tracing::{info, warn};

use crate::{
    component::{ComponentCtx, ComponentResult},
    db,
    health::FAILING_AFTER,
    metrics,
    texts::{Arg, Lang, Texts},
};

pub async fn run(ctx: ComponentCtx) -> ComponentResult {
    ctx.ready();
    let interval = ctx.config.expiry_check_interval;
    // With several replicas one worker makes the passes (the others stand
    // by); reminders and notices are unique in the outbox either way.
    let lease_ttl = (interval * 3).max(std::time::Duration::from_secs(5));
    let mut pruned_at: Option<std::time::Instant> = None;
    loop {
        let held = db::leases::acquire_now(&ctx.db, "expiry", &db::leases::OWNER, lease_ttl).await;
        if !matches!(held, Ok(Some(_))) {
            if let Err(e) = held {
                warn!(error = %e, "cannot take the expiry lease; retrying next interval");
            }
            if !ctx.shutdown.sleep(interval).await {
                return Ok(());
            }
            continue;
        }
        match pass::pass(&ctx.db, &ctx.config.reminder_offsets, Utc::now()).await {
            Ok(pass) => {
                if ctx.health.pass_succeeded() >= FAILING_AFTER {
                    info!("expiry passes work again");
                    let text = |lang: &str| Texts(Lang::of_chat(lang)).get("admin-expiry-up");
                    if let Err(e) =
                        db::admin::notify_each(&ctx.db, &ctx.config.admin_chat_ids, "expiry:up", &text).await
                    {
                        warn!(error = %e, "cannot tell the admins");
                    }
                }
                if pass.reminders + pass.notices > 0 {
                    ctx.shared.outbox_ready.notify_one();
                }
                if pass != Pass::default() {
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
                    let why = e.to_string();
                    let text = |lang: &str| {
                        Texts(Lang::of_chat(lang))
                            .msg("admin-expiry-down", &[("failed", Arg::Num(failed as f64)), ("why", Arg::Html(&why))])
                    };
                    if let Err(e) =
                        db::admin::notify_each(&ctx.db, &ctx.config.admin_chat_ids, "expiry:down", &text).await
                    {
                        warn!(error = %e, "cannot tell the admins");
                    }
                }
            }
        }
        if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            pruned_at = Some(std::time::Instant::now());
            if !prune(&ctx).await {
                return Ok(());
            }
        }
        if !ctx.shutdown.sleep(interval).await {
            return Ok(());
        }
    }
}

/// How often old rows are pruned (and once at start).
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes what retention says is old, a batch at a time with a pause
/// between batches. `false` on shutdown.
async fn prune(ctx: &ComponentCtx) -> bool {
    let now = Utc::now();
    let ago = |d: std::time::Duration| now - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    let cut = db::retention::Cutoffs {
        outbox: ago(ctx.config.outbox_retention),
        listings: ago(ctx.config.listing_retention),
        runs: ago(ctx.config.run_retention),
    };
    let mut total = db::retention::Pruned::default();
    loop {
        match db::retention::prune_batch(&ctx.db, cut).await {
            Ok(p) => {
                total.outbox += p.outbox;
                total.listings += p.listings;
                total.runs += p.runs;
                if p == db::retention::Pruned::default() {
                    break;
                }
            }
            Err(e) => {
                warn!(error = %e, "pruning old rows failed; trying again next hour");
                break;
            }
        }
        if !ctx.shutdown.sleep(std::time::Duration::from_millis(20)).await {
            return false;
        }
    }
    if total != db::retention::Pruned::default() {
        info!(outbox = total.outbox, listings = total.listings, runs = total.runs, "pruned old rows");
    }
    true
}
