//! `/status`: the chat's access, its searches, when its sources were last
//! checked.

use chrono::Utc;

use super::{BotError, ctx::Ctx};
use crate::db;

/// Answers `/status`.
pub(super) async fn status(ctx: &Ctx<'_>) -> Result<(), BotError> {
    let now = Utc::now();
    let access = db::chats::access(&ctx.state.db, ctx.chat.0, now).await?;
    let paused = db::chats::get(&ctx.state.db, ctx.chat.0).await?.is_some_and(|c| c.paused);
    let searches = db::searches::list(&ctx.state.db, ctx.chat.0).await?;
    // The sources its searches use (a search without a source uses all).
    let any = searches.iter().any(|s| s.source.is_none());
    let checked: Vec<(String, Option<chrono::DateTime<Utc>>)> = db::sources::all(&ctx.state.db)
        .await?
        .into_iter()
        .filter(|src| {
            any || searches.iter().any(|s| s.source.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&src.name)))
        })
        .map(|src| (src.name, src.last_run_at))
        .collect();
    let zone = ctx.zone().await?;
    let text = ctx.t.status(&access, paused, searches.len(), zone) + &ctx.t.sources_checked(&checked, now, zone);
    ctx.reply(text, None).await.map(drop)
}
