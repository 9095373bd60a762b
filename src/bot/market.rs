//! `/market [FILTER or ID]`: the market in a chart (PNG), drawn in the bot
//! from the stored listings of the last 12 weeks that match the filter.

use chrono::Utc;
use teloxide::{
    prelude::*,
    types::{InputFile, ParseMode},
};
use tracing::{info, warn};

use super::{BotError, ctx::Ctx};
use crate::{
    chart::{self, Marks},
    db, market,
    search::{SearchFilter, syntax},
};

/// `/market`, `/market price=-1500 rooms=2`, `/market 3` (the chat's search #3).
pub(super) async fn market(ctx: &Ctx<'_>, args: &str) -> Result<(), BotError> {
    if !ctx.has_access().await? {
        return ctx.reply(ctx.t.get("expired"), None).await.map(drop);
    }
    let args = args.trim();
    let filter = match super::ctx::search_arg(args) {
        None => SearchFilter::default(),
        Some((_, Some(id))) => match db::searches::get(&ctx.state.db, ctx.chat.0, id).await? {
            Some(search) => SearchFilter::from_model(&search),
            None => return ctx.reply(ctx.t.not_found(&id.to_string()), None).await.map(drop),
        },
        Some(_) => match syntax::parse(args, &ctx.sources()) {
            Ok(filter) => filter,
            Err(e) => return ctx.reply(ctx.t.syntax_error(&e), None).await.map(drop),
        },
    };
    send_chart(ctx, &filter, None).await
}

/// Draws and sends the chart of `filter`; `listing` (a monthly price per
/// m²) is marked on it.
pub(super) async fn send_chart(ctx: &Ctx<'_>, filter: &SearchFilter, listing: Option<f64>) -> Result<(), BotError> {
    let now = Utc::now();
    let started = std::time::Instant::now();
    let (points, weight) = db::searches::market_points(&ctx.state.db, filter, market::since(now)).await?;
    let m = market::market(&points, weight, now);
    if m.listings == 0 {
        return ctx.reply(ctx.t.get("market-empty"), None).await.map(drop);
    }
    let marks = Marks { range: market::range_per_m2(filter.price_min, filter.price_max, m.median_area), listing };
    let labels = ctx.t.market_labels(&syntax::format(filter));
    let caption = ctx.t.market_caption(m.listings, m.median, m.median_per_m2);
    let listings = m.listings;
    // Drawing takes a CPU for a moment: off the bot's runtime thread.
    let png = match tokio::task::spawn_blocking(move || chart::render(&m, &labels, marks)).await {
        Ok(Ok(png)) => png,
        Ok(Err(e)) => {
            warn!(chat = ctx.chat.0, error = %e, "a market chart could not be drawn");
            return ctx.reply(ctx.t.internal_error(), None).await.map(drop);
        }
        Err(e) => {
            warn!(chat = ctx.chat.0, error = %e, "drawing a market chart panicked");
            return ctx.reply(ctx.t.internal_error(), None).await.map(drop);
        }
    };
    info!(chat = ctx.chat.0, listings, bytes = png.len(), took = ?started.elapsed(), "market chart drawn");
    let photo = InputFile::memory(png).file_name("market.png");
    let request = ctx.bot.send_photo(ctx.chat, photo).caption(caption).parse_mode(ParseMode::Html);
    ctx.paced(request, true).await.map(drop)
}
