//! The subscription-expiry worker: every `EXPIRY_CHECK_INTERVAL` it expires
//! access periods that have ended.

use chrono::Utc;
use tracing::{info, warn};

use crate::{
    component::{ComponentCtx, ComponentResult},
    db,
};

pub async fn run(ctx: ComponentCtx) -> ComponentResult {
    ctx.ready();
    let interval = ctx.config.expiry_check_interval;
    loop {
        match db::access::expire_due(&ctx.db, Utc::now()).await {
            Ok(0) => (),
            Ok(n) => info!(expired = n, "access periods expired"),
            // A failed pass is retried on the next tick; the database may be
            // briefly unavailable and nothing is lost by waiting.
            Err(e) => warn!(error = %e, "expiry pass failed; retrying next interval"),
        }
        if !ctx.shutdown.sleep(interval).await {
            return Ok(());
        }
    }
}
