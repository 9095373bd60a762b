//! The listings scraper-notifier thread.
//!
//! Fetching and storing sources on a schedule is not built yet (see README,
//! "What works"); the parsing side (adapters, normalisation, the sources
//! file) is, and `homehound check-source` uses it.

pub mod adapters;
pub mod fetch;
pub mod listing;
pub mod normalize;
pub mod sources;

use crate::component::{ComponentCtx, ComponentResult};

pub async fn run(ctx: ComponentCtx) -> ComponentResult {
    ctx.ready();
    ctx.shutdown.wait().await;
    Ok(())
}
