//! Admin commands (`ADMIN_CHAT_IDS` only; the handler never routes anyone
//! else here, and they get the same answer as for an unknown command).

use std::time::Duration;

use chrono::Utc;
use tracing::info;

use super::{BotError, ctx::Ctx};
use crate::{
    db,
    texts::{escape, utc},
};

/// Alerts whose latency `/stats` summarises (the most recent sent).
const LATENCY_SAMPLE: u64 = 5_000;
/// The longest grant accepted.
const MAX_GRANT: Duration = Duration::from_secs(10 * 366 * 86_400);
/// The longest broadcast (Telegram's message limit, less room for escaping).
const MAX_BROADCAST: usize = 3_500;

pub(super) async fn command(ctx: &Ctx<'_>, command: &str, args: &str, raw_args: &str) -> Result<(), BotError> {
    let admin = ctx.chat.0;
    let now = Utc::now();
    let text = match command {
        "/stats" => stats(ctx).await?,
        "/refund" => super::payments::refund(ctx, args).await?,
        "/sources" => sources(ctx).await?,
        "/grant" => {
            let mut words = args.split_whitespace();
            let target = words.next().and_then(|w| w.parse::<i64>().ok());
            let duration = words.next().and_then(|w| humantime::parse_duration(w).ok());
            match (target, duration, words.next()) {
                (Some(target), Some(duration), None) if !duration.is_zero() && duration <= MAX_GRANT => {
                    match db::admin::grant(&ctx.state.db, admin, target, duration, now).await? {
                        Some(until) => {
                            info!(admin, target, duration = %humantime::format_duration(duration), "access granted");
                            format!(
                                "Granted {} to chat {target}: access until {}.",
                                ctx.t.duration(duration),
                                utc(until)
                            )
                        }
                        None => format!("Chat {target} has never talked to this bot; nothing granted."),
                    }
                }
                _ => "Usage: <code>/grant CHAT_ID DURATION</code>, e.g. <code>/grant 123456 30d</code> \
                      (DURATION up to 10 years: 12h, 7d, 30d, 1y)."
                    .to_owned(),
            }
        }
        "/broadcast" => {
            let body = raw_args.trim();
            if body.is_empty() {
                "Usage: <code>/broadcast TEXT</code>: TEXT goes to every chat with access, after all alerts.".to_owned()
            } else if body.chars().count() > MAX_BROADCAST {
                format!("Too long: at most {MAX_BROADCAST} characters.")
            } else {
                let queued = db::admin::broadcast(&ctx.state.db, admin, body, now).await?;
                ctx.state.shared.outbox_ready.notify_one();
                info!(admin, queued, "broadcast queued");
                format!("Queued to {queued} chats; it goes out after pending alerts, under the rate limit.")
            }
        }
        _ => return Ok(()),
    };
    ctx.reply(fit(text), None).await.map(drop)
}

/// Cuts a long answer at a paragraph break below Telegram's 4,096 limit.
fn fit(text: String) -> String {
    const LIMIT: usize = 4_000;
    if text.chars().count() <= LIMIT {
        return text;
    }
    let head: String = text.chars().take(LIMIT).collect();
    let cut = head.rfind("\n\n").unwrap_or(0);
    format!("{}\n\n…", &head[..cut])
}

async fn stats(ctx: &Ctx<'_>) -> Result<String, BotError> {
    let s = db::admin::stats(&ctx.state.db, Utc::now()).await?;
    let unhealthy = s.sources.iter().filter(|src| src.blocked || src.consecutive_failures > 0).count();
    let mut paid = String::new();
    if ctx.state.config.paid_broadcast {
        let days = db::outbox::paid_per_day(&ctx.state.db, Utc::now().date_naive(), 7).await?;
        let today = days.first().map_or(0, |(_, n)| *n);
        let balance = ctx.state.shared.star_balance.load(std::sync::atomic::Ordering::Acquire);
        let state = if ctx.state.shared.gate.paid_allowed() { "on" } else { "paused" };
        let balance = if balance < 0 { "unknown".to_owned() } else { format!("{balance} ⭐") };
        let week: Vec<String> =
            days.iter().map(|(day, n)| format!("{} {:.1}", day.format("%m-%d"), *n as f64 / 10.0)).collect();
        paid = format!(
            "\nPaid broadcasts: {state}; Star balance {balance}; spent today {:.1} ⭐ ({today} paid sends)\n  Stars \
             spent per day (UTC): {}",
            today as f64 / 10.0,
            week.join(" · ")
        );
    }
    // Alert latency per source, over the last alerts sent (any replica).
    let mut by_source: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
    for (source, secs) in db::admin::recent_latencies(&ctx.state.db, LATENCY_SAMPLE).await? {
        by_source.entry(source).or_default().push(secs);
    }
    let mut latency = String::new();
    for (id, mut secs) in by_source {
        let name = s.sources.iter().find(|src| src.id == id).map_or("?", |src| src.name.as_str());
        let (p50, p95) = (
            crate::metrics::quantile(&mut secs, 0.5).unwrap_or(0.0),
            crate::metrics::quantile(&mut secs, 0.95).unwrap_or(0.0),
        );
        latency.push_str(&format!("\n  {}: p50 {p50:.1} s, p95 {p95:.1} s ({} alerts)", escape(name), secs.len()));
    }
    if !latency.is_empty() {
        latency = format!("\nAlert latency, scrape → Telegram (last {LATENCY_SAMPLE} alerts):{latency}");
    }
    Ok(format!(
        "<b>Stats</b>\nChats: {} ({} blocked the bot)\nWith active access: {}\nSaved searches: {}\n\
         Listings: {} ({} new in 24 h)\nAlerts sent in 24 h: {}\nPending: {}, failed: {}\n\
         Sources: {} ({} unhealthy, see /sources){paid}{latency}",
        s.chats,
        s.blocked,
        s.with_access,
        s.searches,
        s.listings,
        s.listings_24h,
        s.sent_24h,
        s.pending,
        s.failed,
        s.sources.len(),
        unhealthy
    ))
}

async fn sources(ctx: &Ctx<'_>) -> Result<String, BotError> {
    let sources = db::sources::all(&ctx.state.db).await?;
    if sources.is_empty() {
        return Ok("No sources have run yet (see SOURCES_FILE).".to_owned());
    }
    let never = || "never".to_owned();
    let lines: Vec<String> = sources
        .iter()
        .map(|src| {
            let state = if src.blocked {
                "⛔ blocked"
            } else if src.consecutive_failures > 0 {
                "⚠️ failing"
            } else {
                "✅ ok"
            };
            let mut line = format!(
                "<b>{}</b> ({}) {state}\nlast success: {}; found {} ({} new) last run; {} runs",
                escape(&src.name),
                escape(&src.kind),
                src.last_success_at.map_or_else(never, utc),
                src.last_found,
                src.last_new,
                src.total_runs
            );
            if let (Some(at), Some(error)) = (src.last_error_at, &src.last_error) {
                let error: String = error.chars().take(200).collect();
                line.push_str(&format!("\nlast error {}: {}", utc(at), escape(&error)));
            }
            line
        })
        .collect();
    Ok(lines.join("\n\n"))
}
