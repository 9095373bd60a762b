//! The listings scraper-notifier thread.
//!
//! Each configured source runs as its own task on this thread's runtime, on
//! its own interval with ±10 % jitter, so a failing, slow or blocked source
//! never delays the others. A run fetches the source's page(s), parses them
//! off the runtime (`spawn_blocking`: `scraper::Html` is not `Send` and a big
//! page takes milliseconds), then stores listings, price history, alerts and
//! the run's outcome in one transaction (`db::listings::record_run`).
//!
//! Shutdown: a run interrupted while fetching is dropped without recording
//! anything (the next start runs it again); a run being stored finishes.

pub mod adapters;
pub mod channels;
pub mod fetch;
pub mod gone;
pub mod listing;
pub mod normalize;
pub mod request;
pub mod slim;
pub mod sources;

use std::{collections::HashSet, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;
use tracing::{Instrument, debug, info, info_span, warn};

use self::{
    adapters::{Page, PageOutcome},
    fetch::{FetchError, Fetched, Fetcher, Validators},
    listing::Listing,
    request::HttpRequest,
    sources::SourceConfig,
};
use crate::{
    component::{ComponentCtx, ComponentError, ComponentResult},
    db::{
        self,
        listings::{RunPolicy, RunResult},
    },
    metrics,
    texts::{Arg, Lang, Texts},
};

/// How long source tasks may take to finish a store after shutdown.
const STOP_GRACE: Duration = Duration::from_millis(1500);

/// How the scraper's runs are recorded: alerts matched by the saved
/// searches' rules ([`crate::search::match_new`]), admins told after
/// `unhealthy_after` bad runs in a row, in these words.
pub const fn run_policy(unhealthy_after: u32, admins: &[i64]) -> RunPolicy<'_> {
    RunPolicy {
        unhealthy_after,
        admins,
        matcher: crate::search::match_new,
        down_text: source_down,
        up_text: source_up,
        channel_posts: None,
    }
}

/// Told to an admin whose chat reads `lang` (plain text).
fn source_down(lang: &str, name: &str, failures: i32, why: &str) -> String {
    Texts(Lang::of_chat(lang)).msg(
        "admin-source-down",
        &[("name", Arg::Html(name)), ("failures", Arg::Num(f64::from(failures))), ("why", Arg::Html(why))],
    )
}

fn source_up(lang: &str, name: &str, found: usize) -> String {
    Texts(Lang::of_chat(lang))
        .msg("admin-source-up", &[("name", Arg::Html(name)), ("found", Arg::Html(&found.to_string()))])
}

pub async fn run(ctx: ComponentCtx) -> ComponentResult {
    let configured: Vec<(String, String, String)> =
        ctx.config.sources.iter().map(|s| (s.name.clone(), s.kind.clone(), s.shown_url().to_owned())).collect();
    let rows = db::sources::sync(&ctx.db, &configured, Utc::now())
        .await
        .map_err(|e| ComponentError::Transient(anyhow::anyhow!("cannot record the configured sources: {e}")))?;
    let channels: Vec<(String, String)> =
        ctx.config.channels.iter().map(|c| (c.chat.clone(), c.language.clone())).collect();
    db::channels::sync(&ctx.db, &channels, Utc::now())
        .await
        .map_err(|e| ComponentError::Transient(anyhow::anyhow!("cannot record the configured channels: {e}")))?;
    let fetcher = Fetcher::new(ctx.config.fetch.clone(), ctx.shutdown.clone())
        .map_err(|e| ComponentError::Transient(anyhow::anyhow!("cannot build the HTTP client: {e}")))?;
    let fetcher = Arc::new(fetcher);
    ctx.ready();

    let mut tasks = JoinSet::new();
    for (source, row) in ctx.config.sources.iter().zip(rows) {
        let span = info_span!("source", name = %source.name);
        tasks.spawn(source_loop(ctx.clone(), fetcher.clone(), source.clone(), row).instrument(span));
    }
    ctx.shutdown.wait().await;
    let _ = tokio::time::timeout(STOP_GRACE, async { while tasks.join_next().await.is_some() {} }).await;
    Ok(())
}

/// Runs one source forever: run, sleep its interval (±10 %), again.
async fn source_loop(ctx: ComponentCtx, fetcher: Arc<Fetcher>, source: SourceConfig, row: entity::source::Model) {
    // Respect the interval across restarts: a source run a minute ago waits.
    if let Some(last) = row.last_run_at {
        let since = (Utc::now() - last).to_std().unwrap_or_default();
        if since < source.interval && !ctx.shutdown.sleep(source.interval - since).await {
            return;
        }
    }
    let mut validators = Validators { etag: row.etag.clone(), last_modified: row.last_modified.clone() };
    // The start of the `{since}` window of API sources: moved forward only
    // by a run that read every page it asked for.
    let mut window = row.window_at;
    let lease = format!("source:{}", source.name);
    loop {
        let started = Utc::now();
        // One replica fetches a source per interval: the lease holder. A
        // replica that dies stops renewing and another takes over.
        match db::leases::acquire_now(&ctx.db, &lease, &db::leases::OWNER, source.interval).await {
            Ok(Some(_)) => (),
            Ok(None) => {
                debug!("another replica holds this source");
                if !ctx.shutdown.sleep(source.interval.mul_f64(fetch::jitter(0.5, 1.0))).await {
                    return;
                }
                continue;
            }
            Err(e) => {
                warn!(error = %e, "cannot take the source's lease; retrying next interval");
                if !ctx.shutdown.sleep(source.interval).await {
                    return;
                }
                continue;
            }
        }
        match db::sources::begin_run(&ctx.db, row.id, Utc::now()).await {
            Ok(db::sources::RunStart::Started) => (),
            Ok(db::sources::RunStart::Wait(until)) => {
                debug!(%until, "backed off after a crash");
                let wait = (until - Utc::now()).to_std().unwrap_or_default().max(Duration::from_secs(1));
                if !ctx.shutdown.sleep(wait).await {
                    return;
                }
                continue;
            }
            Ok(db::sources::RunStart::Crashed { started_at, crashes }) => {
                let now = Utc::now();
                let wait = crash_backoff(crashes, source.interval);
                let until = now + chrono::Duration::from_std(wait).unwrap_or_else(|_| chrono::Duration::days(1));
                let error = crashed_error(started_at);
                let admin_text = |lang: &str| source_crashed(lang, &source.name, crashes, until);
                let crash = db::sources::Crash {
                    started_at,
                    crashes,
                    until,
                    error: &error,
                    admins: &ctx.config.admin_chat_ids,
                    admin_text: &admin_text,
                };
                tracing::error!(%started_at, crashes, %until, "the last run of this source never ended (the process died during it); backing off");
                match db::sources::record_crash(&ctx.db, row.id, &crash, now).await {
                    Ok(()) => ctx.shared.outbox_ready.notify_one(),
                    Err(e) => warn!(error = %e, "cannot record the crashed run"),
                }
                continue;
            }
            Err(e) => {
                warn!(error = %e, "cannot record the run's start; retrying next interval");
                if !ctx.shutdown.sleep(source.interval).await {
                    return;
                }
                continue;
            }
        }
        let run = scrape(&fetcher, &source, &validators, window);
        let limit = ctx.config.fetch.run_timeout;
        // The lease is renewed while the run is live, so a run longer than
        // the interval is never taken by another replica for one that died.
        let renew = async {
            loop {
                tokio::time::sleep(source.interval / 3).await;
                match db::leases::acquire_now(&ctx.db, &lease, &db::leases::OWNER, source.interval).await {
                    Ok(Some(_)) => (),
                    Ok(None) => warn!("another replica took this source's lease during a run"),
                    Err(e) => warn!(error = %e, "cannot renew the source's lease during a run"),
                }
            }
        };
        let timed = tokio::select! {
            timed = tokio::time::timeout(limit, run) => timed,
            never = renew => match never {},
        };
        let (result, complete) = match timed {
            Ok(Some(done)) => done,
            Ok(None) => {
                // A clean stop mid-run: forget it, the next start runs it again.
                let _ = tokio::time::timeout(Duration::from_secs(1), db::sources::drop_run(&ctx.db, row.id)).await;
                return;
            }
            Err(_) => {
                (RunResult::Failed(format!("the run took longer than {}", humantime::format_duration(limit))), false)
            }
        };
        let posts =
            |source: &str, new: &[(i64, &Listing)]| crate::scraper::channels::posts(&ctx.config.channels, source, new);
        let policy = RunPolicy {
            channel_posts: Some(&posts),
            ..run_policy(ctx.config.unhealthy_after, &ctx.config.admin_chat_ids)
        };
        match db::listings::record_run(&ctx.db, row.id, started, &result, &policy, Utc::now()).await {
            Ok(report) => {
                if report.alerts_queued + report.posts_queued > 0 || report.health_changed.is_some() {
                    ctx.shared.outbox_ready.notify_one();
                }
                if let RunResult::Listings { validators: v, .. } = &result {
                    validators = v.clone();
                }
                let moved = window_start_after(window, started, report.outcome, complete);
                if moved != window
                    && let Some(to) = moved
                {
                    match db::sources::move_window(&ctx.db, row.id, to).await {
                        Ok(()) => window = moved,
                        Err(e) => warn!(error = %e, "cannot move the source's window; it is asked again"),
                    }
                }
                let labels = [("source", source.name.as_str()), ("outcome", report.outcome)];
                metrics::inc("homehound_scrape_runs_total", "Scrape runs by source and outcome.", &labels, 1.0);
                let by_source = [("source", source.name.as_str())];
                metrics::inc("homehound_listings_new_total", "New listings stored.", &by_source, report.new as f64);
                metrics::inc(
                    "homehound_price_drops_total",
                    "Price falls detected.",
                    &by_source,
                    report.price_drops as f64,
                );
                metrics::inc(
                    "homehound_alerts_queued_total",
                    "Alerts queued in the outbox.",
                    &by_source,
                    report.alerts_queued as f64,
                );
                metrics::set(
                    "homehound_source_listings_found",
                    "Listings found by the last run.",
                    &by_source,
                    report.found as f64,
                );
                let log = if entity::status::run_outcome::succeeded(report.outcome) {
                    tracing::Level::INFO
                } else {
                    tracing::Level::WARN
                };
                if log == tracing::Level::INFO {
                    info!(
                        outcome = report.outcome,
                        found = report.found,
                        new = report.new,
                        price_drops = report.price_drops,
                        alerts = report.alerts_queued,
                        seeded = report.seeded,
                        "source run"
                    );
                } else {
                    warn!(outcome = report.outcome, error = ?result.error(), "source run failed");
                }
            }
            // The run is lost, not the data: the next run sees the same page.
            Err(e) => warn!(error = %e, "cannot store the run; retrying next interval"),
        }
        let pause = source.interval.mul_f64(fetch::jitter(0.9, 1.1));
        if !ctx.shutdown.sleep(pause).await {
            return;
        }
    }
}

/// The start of the `{since}` window after a run that started at `started`
/// and ended with `outcome`: a failed run, or one that did not read every
/// page it asked for (a later page failed, `max_pages` cut it), leaves the
/// window where it was, so its listings are asked for again.
pub fn window_start_after(
    previous: Option<DateTime<Utc>>,
    started: DateTime<Utc>,
    outcome: &str,
    complete: bool,
) -> Option<DateTime<Utc>> {
    if complete && entity::status::run_outcome::succeeded(outcome) { Some(started) } else { previous }
}

/// How long a source whose runs took the process down `crashes` times in a
/// row waits: twice its interval, doubling with each crash, at least a
/// minute and at most a day. Never again at once (no crash loop).
pub fn crash_backoff(crashes: i32, interval: Duration) -> Duration {
    let doubling = 1u32 << crashes.clamp(1, 16);
    interval.saturating_mul(doubling).clamp(Duration::from_secs(60), Duration::from_secs(24 * 3600))
}

fn crashed_error(started_at: DateTime<Utc>) -> String {
    format!(
        "the process stopped during this run (started {}): a crash, kill or out of memory",
        started_at.format("%Y-%m-%d %H:%M:%S UTC")
    )
}

fn source_crashed(lang: &str, name: &str, crashes: i32, until: DateTime<Utc>) -> String {
    let t = Texts(Lang::of_chat(lang));
    t.msg(
        "admin-source-crashed",
        &[
            ("name", Arg::Html(name)),
            ("crashes", Arg::Num(f64::from(crashes))),
            // Admins may sit in different zones: the time in UTC.
            ("until", Arg::Html(&t.at(until, chrono_tz::UTC))),
        ],
    )
}

/// Why the request for a source's listings could not be made.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The keys answer could not be read (scrubbed of secrets).
    #[error("{0}")]
    Unreadable(String),
}

/// The request that asks `source`'s listings: `first` itself, or, for a
/// source with `[request.keys]`, the listings of the keys `first` answers
/// (`None`: it answered no keys, so there are no listings).
pub async fn listings_request(
    fetcher: &Fetcher,
    source: &SourceConfig,
    first: HttpRequest,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<HttpRequest>, KeysError> {
    let Some(keys) = &source.request.keys else { return Ok(Some(first)) };
    let body = match fetcher.send(&first, &Validators::default()).await? {
        Fetched::Page { body, .. } => body,
        Fetched::NotModified => return Err(KeysError::Unreadable("the keys request answered 304".to_owned())),
    };
    let found = keys.keys_in(&body).map_err(|e| KeysError::Unreadable(source.request.scrub(&e)))?;
    if found.is_empty() {
        return Ok(None);
    }
    let url = keys.url_for(&first.url, &found).map_err(KeysError::Unreadable)?;
    Ok(Some(source.request.follow(url, since, now)))
}

/// Fetches and parses up to `max_pages` pages of `source`, and whether it
/// read every page it asked for (a later page failing, or `max_pages`
/// cutting the list, leaves the `{since}` window where it was). `None` on
/// shutdown. `window` is the window's start (API sources ask from there,
/// minus an overlap).
pub async fn scrape(
    fetcher: &Fetcher,
    source: &SourceConfig,
    validators: &Validators,
    window: Option<DateTime<Utc>>,
) -> Option<(RunResult, bool)> {
    let now = Utc::now();
    let since = source.request.since(window, now);
    let paged = source.request.paged();
    let first_page = source.request.first_page;
    let first = match source.request.build(first_page, Some(since), now) {
        Ok(r) => r,
        Err(e) => return Some((RunResult::Failed(e), false)),
    };
    let mut request = match listings_request(fetcher, source, first, since, now).await {
        Ok(Some(request)) => request,
        // No keys: nothing is listed.
        Ok(None) => {
            return Some((RunResult::Listings { listings: Vec::new(), validators: Validators::default() }, true));
        }
        Err(KeysError::Fetch(FetchError::Shutdown)) => return None,
        Err(KeysError::Fetch(FetchError::Blocked(code))) => {
            return Some((RunResult::Blocked(format!("HTTP {code}")), false));
        }
        Err(e) => return Some((RunResult::Failed(e.to_string()), false)),
    };
    // Set when the last page read links (or numbers) none after it.
    let mut complete = false;
    let mut listings: Vec<Listing> = Vec::new();
    let mut first_validators = Validators::default();
    let mut seen_pages = HashSet::new();
    for page in 0..source.max_pages {
        seen_pages.insert(request.url.clone());
        let conditional = if page == 0 && !paged { validators.clone() } else { Validators::default() };
        let (body, final_url) = match fetcher.send(&request, &conditional).await {
            Ok(Fetched::NotModified) if page == 0 => return Some((RunResult::NotModified, true)),
            Ok(Fetched::NotModified) => {
                complete = true;
                break;
            }
            Ok(Fetched::Page { body, url, validators }) => {
                if page == 0 {
                    first_validators = validators;
                }
                (body, url)
            }
            Err(FetchError::Shutdown) => return None,
            Err(FetchError::Blocked(code)) if page == 0 => {
                return Some((RunResult::Blocked(format!("HTTP {code}")), false));
            }
            Err(e) if page == 0 => return Some((RunResult::Failed(e.to_string()), false)),
            // A later page failing keeps what the earlier pages gave.
            Err(e) => {
                warn!(page = page + 1, error = %e, "next page failed");
                break;
            }
        };
        let adapter = source.adapter.clone();
        let (name, currency, period) = (source.name.clone(), source.currency.clone(), source.period);
        let parsed = tokio::task::spawn_blocking(move || {
            adapter.parse(&name, Page { body: &body, url: &final_url }, currency.as_deref(), period)
        })
        .await;
        match parsed {
            Ok(PageOutcome::Blocked(why)) if page == 0 => {
                return Some((RunResult::Blocked(source.request.scrub(&why)), false));
            }
            Ok(PageOutcome::Invalid(why)) if page == 0 => {
                return Some((RunResult::Failed(source.request.scrub(&why)), false));
            }
            Ok(PageOutcome::Blocked(why) | PageOutcome::Invalid(why)) => {
                warn!(page = page + 1, why = %source.request.scrub(&why), "next page unreadable");
                break;
            }
            Ok(PageOutcome::Listings { listings: found, next_page, items }) => {
                listings.extend(found);
                if paged {
                    // Numbered pages go on until one has no items.
                    if items == 0 {
                        complete = true;
                        break;
                    }
                    match source.request.build(first_page + page + 1, Some(since), now) {
                        Ok(next) => request = next,
                        Err(_) => break,
                    }
                } else {
                    match next_page {
                        Some(next) if !seen_pages.contains(&next) => request = source.request.follow(next, since, now),
                        _ => {
                            complete = true;
                            break;
                        }
                    }
                }
            }
            Err(e) => return Some((RunResult::Failed(format!("parser crashed: {e}")), false)),
        }
    }
    let mut ids = HashSet::new();
    listings.retain(|l| ids.insert(l.id.clone()));
    Some((RunResult::Listings { listings, validators: first_validators }, complete))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_moves_forward_only_after_a_successful_run() {
        let t0 = Utc::now() - chrono::Duration::hours(1);
        let t1 = Utc::now();
        assert_eq!(window_start_after(Some(t0), t1, "ok", true), Some(t1));
        assert_eq!(window_start_after(Some(t0), t1, "empty", true), Some(t1));
        assert_eq!(window_start_after(Some(t0), t1, "ok", false), Some(t0), "a page left unread");
        for failed in ["error", "blocked"] {
            assert_eq!(window_start_after(Some(t0), t1, failed, false), Some(t0), "{failed}");
            assert_eq!(window_start_after(None, t1, failed, false), None, "{failed}");
        }
    }

    #[test]
    fn a_source_that_crashed_the_process_waits_longer_each_time() {
        let min = Duration::from_secs(60);
        assert_eq!(crash_backoff(1, Duration::from_secs(1)), min, "never at once");
        assert_eq!(crash_backoff(1, Duration::from_secs(600)), Duration::from_secs(1200));
        assert_eq!(crash_backoff(2, Duration::from_secs(600)), Duration::from_secs(2400));
        assert_eq!(crash_backoff(30, Duration::from_secs(600)), Duration::from_secs(86_400), "a day at most");
    }
}

#[cfg(test)]
mod notice_tests {
    #[test]
    fn source_notices_read_in_the_admins_language() {
        let ru = super::source_down("ru", "wg", 3, "HTTP 500");
        assert_eq!(ru, "⚠️ Источник wg не сработал 3 раза подряд: HTTP 500");
        assert_eq!(super::source_down("ru", "wg", 5, "x"), "⚠️ Источник wg не сработал 5 раз подряд: x");
        assert_eq!(super::source_down("en", "wg", 3, "HTTP 500"), "⚠️ Source wg has failed 3 runs in a row: HTTP 500");
        assert_eq!(super::source_up("ru", "wg", 12), "✅ Источник wg снова работает (объявлений: 12).");
    }
}
