//! The listings scraper-notifier thread.
//!
//! Fetching and parsing sources is not built yet (see README, "What works");
//! the thread runs, reports its health and stops on shutdown.

use crate::component::{ComponentCtx, ComponentResult};

pub async fn run(ctx: ComponentCtx) -> ComponentResult {
    ctx.ready();
    ctx.shutdown.wait().await;
    Ok(())
}
