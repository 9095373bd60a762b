//! Admin commands (`ADMIN_CHAT_IDS` only; the handler never routes anyone
//! else here, and they get the same answer as for an unknown command).

use std::time::Duration;

use chrono::Utc;
use tracing::info;

use super::{BotError, ctx::Ctx};
use crate::{db, texts::Arg};

/// Alerts whose latency `/stats` summarises (the most recent sent).
const LATENCY_SAMPLE: u64 = 5_000;
/// The longest grant accepted.
const MAX_GRANT: Duration = Duration::from_secs(10 * 366 * 86_400);
/// The longest broadcast (Telegram's message limit, less room for escaping).
const MAX_BROADCAST: usize = 3_500;

pub(super) async fn command(ctx: &Ctx<'_>, command: &str, args: &str, raw_args: &str) -> Result<(), BotError> {
    let admin = ctx.chat.0;
    let now = Utc::now();
    let t = ctx.t;
    let num = |n: i64| n.to_string();
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
                            t.msg(
                                "admin-grant-done",
                                &[
                                    ("duration", Arg::Html(&t.duration(duration))),
                                    ("chat", Arg::Html(&num(target))),
                                    ("ends", Arg::Html(&t.at(until, ctx.zone().await?))),
                                ],
                            )
                        }
                        None => t.msg("admin-grant-unknown", &[("chat", Arg::Html(&num(target)))]),
                    }
                }
                _ => t.get("admin-grant-usage"),
            }
        }
        "/broadcast" => {
            let body = raw_args.trim();
            if body.is_empty() {
                t.get("admin-broadcast-usage")
            } else if body.chars().count() > MAX_BROADCAST {
                t.msg("admin-broadcast-too-long", &[("max", Arg::Html(&MAX_BROADCAST.to_string()))])
            } else {
                let queued = db::admin::broadcast(&ctx.state.db, admin, body, now).await?;
                ctx.state.shared.outbox_ready.notify_one();
                info!(admin, queued, "broadcast queued");
                t.msg(
                    "admin-broadcast-queued",
                    &[("count", Arg::Html(&queued.to_string())), ("n", Arg::Num(queued as f64))],
                )
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
    let t = ctx.t;
    let s = db::admin::stats(&ctx.state.db, Utc::now()).await?;
    let unhealthy = s.sources.iter().filter(|src| src.blocked || src.consecutive_failures > 0).count();
    let n = |v: u64| v.to_string();
    let mut text = t.msg(
        "admin-stats",
        &[
            ("chats", Arg::Html(&n(s.chats))),
            ("blocked", Arg::Html(&n(s.blocked))),
            ("access", Arg::Html(&n(s.with_access))),
            ("searches", Arg::Html(&n(s.searches))),
            ("listings", Arg::Html(&n(s.listings))),
            ("new", Arg::Html(&n(s.listings_24h))),
            ("sent", Arg::Html(&n(s.sent_24h))),
            ("pending", Arg::Html(&n(s.pending))),
            ("failed", Arg::Html(&n(s.failed))),
            ("sources", Arg::Html(&s.sources.len().to_string())),
            ("unhealthy", Arg::Html(&unhealthy.to_string())),
        ],
    );
    if ctx.state.config.paid_broadcast {
        let days = db::outbox::paid_per_day(&ctx.state.db, Utc::now().date_naive(), 7).await?;
        let today = days.first().map_or(0, |(_, n)| *n);
        let balance = ctx.state.shared.star_balance.load(std::sync::atomic::Ordering::Acquire);
        let state = t.get(if ctx.state.shared.gate.paid_allowed() { "admin-paid-on" } else { "admin-paid-paused" });
        let balance = if balance < 0 { t.get("admin-balance-unknown") } else { format!("{balance} ⭐") };
        let week: Vec<String> =
            days.iter().map(|(day, n)| format!("{} {:.1}", day.format("%m-%d"), *n as f64 / 10.0)).collect();
        text.push('\n');
        text.push_str(&t.msg(
            "admin-stats-paid",
            &[
                ("state", Arg::Html(&state)),
                ("balance", Arg::Html(&balance)),
                ("today", Arg::Html(&format!("{:.1}", today as f64 / 10.0))),
                ("sends", Arg::Html(&today.to_string())),
                ("week", Arg::Html(&week.join(" · "))),
            ],
        ));
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
        latency.push_str("\n  ");
        latency.push_str(&t.msg(
            "admin-latency-line",
            &[
                ("source", Arg::Text(name)),
                ("p50", Arg::Html(&format!("{p50:.1}"))),
                ("p95", Arg::Html(&format!("{p95:.1}"))),
                ("count", Arg::Html(&secs.len().to_string())),
            ],
        ));
    }
    if !latency.is_empty() {
        text.push('\n');
        text.push_str(&t.msg("admin-latency", &[("n", Arg::Html(&LATENCY_SAMPLE.to_string()))]));
        text.push_str(&latency);
    }
    Ok(text)
}

async fn sources(ctx: &Ctx<'_>) -> Result<String, BotError> {
    let t = ctx.t;
    let sources = db::sources::all(&ctx.state.db).await?;
    if sources.is_empty() {
        return Ok(t.get("admin-sources-none"));
    }
    let zone = ctx.zone().await?;
    let lines: Vec<String> = sources
        .iter()
        .map(|src| {
            let state = t.get(if src.blocked {
                "admin-source-blocked"
            } else if src.consecutive_failures > 0 {
                "admin-source-failing"
            } else {
                "admin-source-ok"
            });
            let mut line = t.msg(
                "admin-source",
                &[
                    ("name", Arg::Text(&src.name)),
                    ("kind", Arg::Text(&src.kind)),
                    ("state", Arg::Html(&state)),
                    (
                        "success",
                        Arg::Html(
                            &src.last_success_at.map_or_else(|| t.get("admin-source-never"), |at| t.at(at, zone)),
                        ),
                    ),
                    ("found", Arg::Html(&src.last_found.to_string())),
                    ("new", Arg::Html(&src.last_new.to_string())),
                    ("runs", Arg::Html(&src.total_runs.to_string())),
                ],
            );
            if let (Some(at), Some(error)) = (src.last_error_at, &src.last_error) {
                let error: String = error.chars().take(200).collect();
                line.push('\n');
                line.push_str(
                    &t.msg("admin-source-error", &[("at", Arg::Html(&t.at(at, zone))), ("error", Arg::Text(&error))]),
                );
            }
            line
        })
        .collect();
    Ok(lines.join("\n\n"))
}
