//! Acting on an alert (🙈 Hide, 🔕 Mute, ⭐ Save) and `/saved`.
//!
//! An alert's buttons carry the listing's id only (`a:h:ID`, `a:m:ID`,
//! `a:s:ID`; the second tap of Mute `a:md:ID`, `a:ms:ID`, back `a:mb:ID`):
//! what they change is in the database, so they work after a restart and on
//! any replica.

use chrono::Utc;
use entity::status::listing_mark;
use teloxide::{prelude::*, types::MessageId};
use tracing::info;

use super::{
    BotError,
    ctx::{Ctx, strip_tags},
    wizard::Keyboard,
};
use crate::{
    db,
    delivery::{render, sender},
    quiet::{QuietHours, zone},
    search::{ListingView, Mute, SearchFilter},
    texts::Arg,
};

/// Searches an Undo acts on, at most (its callback data holds their ids).
const MAX_UNDO: usize = 8;

/// Saved listings per page of `/saved`.
pub const SAVED_PAGE: u64 = 10;

/// An alert's button; the text is the notice shown to the user.
pub(super) async fn press(ctx: &Ctx<'_>, message: MessageId, verb: &str, id: &str) -> Result<Option<String>, BotError> {
    // An Undo of a mute carries the searches it changed: `ID.S1.rS2`.
    let (id, undo) = id.split_once('.').unwrap_or((id, ""));
    let Ok(listing_id) = id.parse::<i64>() else { return Ok(Some(ctx.t.stale_button())) };
    let db = &ctx.state.db;
    let now = Utc::now();
    let chat = ctx.chat.0;
    let gone = || Ok(Some(strip_tags(&ctx.t.get("listing-gone"))));
    // Callback data is the client's: an alert's buttons act only for a chat
    // with access, on a listing it was alerted to.
    if !ctx.has_access().await? {
        return Ok(Some(strip_tags(&ctx.t.get("expired"))));
    }
    if !db::told::was_told(db, chat, listing_id).await? {
        info!(chat, listing = listing_id, verb, "a button for a listing the chat was not alerted to");
        return Ok(Some(ctx.t.stale_button()));
    }
    match verb {
        "h" => {
            let Some((l, _)) = db::listings::with_source(db, listing_id).await? else { return gone() };
            if !db::marks::set(db, chat, listing_id, listing_mark::HIDDEN, now).await? {
                return gone();
            }
            info!(chat, listing = listing_id, "listing hidden");
            let chart = chart_shown(ctx, &l).await?;
            set_keyboard(ctx, message, &render::undo_keyboard(ctx.t, &l, chart, format!("a:uh:{listing_id}"))).await?;
            Ok(Some(strip_tags(&ctx.t.get("hidden"))))
        }
        "uh" => {
            let Some((l, _)) = db::listings::with_source(db, listing_id).await? else { return gone() };
            db::marks::remove(db, chat, listing_id, listing_mark::HIDDEN).await?;
            info!(chat, listing = listing_id, "hiding undone");
            set_keyboard(ctx, message, &render::alert_keyboard(ctx.t, &l, chart_shown(ctx, &l).await?)).await?;
            Ok(Some(strip_tags(&ctx.t.get("unhidden"))))
        }
        "ud" | "us" => {
            let Some((l, source)) = db::listings::with_source(db, listing_id).await? else { return gone() };
            let district = l.district.as_deref().map(str::trim).filter(|d| !d.is_empty());
            let what = match (verb, district) {
                ("ud", Some(d)) => d.to_owned(),
                ("us", _) => source.clone(),
                _ => return Ok(Some(ctx.t.stale_button())),
            };
            // The ids are the client's: only the chat's own searches change.
            for item in undo.split('.').filter(|s| !s.is_empty()).take(MAX_UNDO) {
                let (removed, id) = item.strip_prefix('r').map_or((false, item), |id| (true, id));
                let Ok(id) = id.parse::<i64>() else { continue };
                let Some(s) = db::searches::get(db, chat, id).await? else { continue };
                let mut filter = SearchFilter::from_model(&s);
                let changed =
                    if verb == "ud" { filter.unmute_district(&what, removed) } else { filter.unmute_source(&what) };
                if changed {
                    db::searches::set_mutes(db, chat, id, &filter, now).await?;
                    super::share::tell_members(ctx, id, "share-member-unmuted", &what).await?;
                }
            }
            info!(chat, listing = listing_id, verb, "mute undone");
            set_keyboard(ctx, message, &render::alert_keyboard(ctx.t, &l, chart_shown(ctx, &l).await?)).await?;
            Ok(Some(strip_tags(&ctx.t.msg("unmuted", &[("what", Arg::Text(&what))]))))
        }
        "s" => {
            if !db::marks::set(db, chat, listing_id, listing_mark::SAVED, now).await? {
                return gone();
            }
            info!(chat, listing = listing_id, "listing saved");
            Ok(Some(strip_tags(&ctx.t.get("kept"))))
        }
        "c" => {
            // "📈": the market of the listing's source, district and rooms,
            // the listing marked at its price per m².
            let Some((l, source)) = db::listings::with_source(db, listing_id).await? else { return gone() };
            let filter = SearchFilter {
                source: ctx.sources().contains(&source).then_some(source),
                districts: l.district.iter().filter(|d| !d.trim().is_empty()).cloned().collect(),
                rooms: l.rooms.map(|r| match r {
                    r if r >= 4.0 => crate::search::Rooms::Set { counts: Vec::new(), four_plus: true },
                    r => crate::search::Rooms::Set { counts: vec![r], four_plus: false },
                }),
                ..SearchFilter::default()
            };
            let per_m2 = l.monthly_price.zip(l.area_m2.filter(|a| *a > 0.0)).map(|(p, a)| p as f64 / a);
            info!(chat, listing = listing_id, "market chart asked for");
            super::market::send_chart(ctx, &filter, per_m2).await?;
            Ok(None)
        }
        "p" => {
            // Queued once per chat and listing: a second press sends nothing.
            if db::listings::with_source(db, listing_id).await?.is_none() {
                return gone();
            }
            if !db::outbox::queue_photos(db, chat, listing_id, now).await? {
                return Ok(Some(strip_tags(&ctx.t.get("photos-sent"))));
            }
            ctx.state.shared.outbox_ready.notify_one();
            info!(chat, listing = listing_id, "photos asked for");
            Ok(Some(strip_tags(&ctx.t.get("photos-sending"))))
        }
        "m" | "mb" => {
            let Some((l, source)) = db::listings::with_source(db, listing_id).await? else { return gone() };
            let keyboard = if verb == "m" {
                render::mute_keyboard(ctx.t, &l, &source)
            } else {
                render::alert_keyboard(ctx.t, &l, chart_shown(ctx, &l).await?)
            };
            set_keyboard(ctx, message, &keyboard).await?;
            Ok(None)
        }
        "md" | "ms" => {
            let Some((l, source)) = db::listings::with_source(db, listing_id).await? else { return gone() };
            let district = l.district.as_deref().map(str::trim).filter(|d| !d.is_empty());
            if verb == "md" && district.is_none() {
                return Ok(Some(ctx.t.stale_button()));
            }
            // The searches that matched: the chat's active searches that
            // match the listing now.
            let view = ListingView::of_stored(&l, &source);
            let (mut muted, mut kept, mut undo) = (Vec::new(), Vec::new(), Vec::new());
            // Searches that had muted it before (a second press, or another
            // alert of the same district).
            let mut already = 0;
            for s in db::searches::list(db, chat).await?.into_iter().filter(|s| !s.paused) {
                let mut filter = SearchFilter::from_model(&s);
                if !filter.matches(&view) {
                    let same = |list: &[String], value: &str| list.iter().any(|v| v.eq_ignore_ascii_case(value));
                    already += usize::from(match (verb, district) {
                        ("md", Some(d)) => same(&filter.muted_districts, d),
                        _ => same(&filter.muted_sources, &source),
                    });
                    continue;
                }
                let done = match (verb, district) {
                    ("md", Some(d)) => filter.mute_district(d),
                    _ => filter.mute_source(&source),
                };
                match done {
                    Mute::WouldEmpty => kept.push(format!("#{}", s.id)),
                    Mute::Already => (),
                    Mute::Muted | Mute::Removed => {
                        if db::searches::set_mutes(db, chat, s.id, &filter, now).await? {
                            muted.push(format!("#{}", s.id));
                            let removed = if done == Mute::Removed { "r" } else { "" };
                            undo.push(format!("{removed}{}", s.id));
                            let what = match (verb, district) {
                                ("md", Some(d)) => d.to_owned(),
                                _ => source.clone(),
                            };
                            super::share::tell_members(ctx, s.id, "share-member-muted", &what).await?;
                        }
                    }
                }
            }
            // The alert's actions become "↩️ Undo" (when its data fits
            // Telegram's 64 bytes; it names every search changed).
            let undo = format!("a:u{}:{listing_id}.{}", &verb[1..], undo.join("."));
            let chart = chart_shown(ctx, &l).await?;
            let keyboard = if muted.is_empty() || undo.len() > 64 {
                render::alert_keyboard(ctx.t, &l, chart)
            } else {
                render::undo_keyboard(ctx.t, &l, chart, undo)
            };
            set_keyboard(ctx, message, &keyboard).await?;
            // A search that would match nothing if muted is left; pausing it
            // is the way (`/pause ID`).
            let kept_text = (!kept.is_empty()).then(|| {
                ctx.t.msg(
                    "mute-would-empty",
                    &[("searches", Arg::Num(kept.len() as f64)), ("ids", Arg::Html(&kept.join(", ")))],
                )
            });
            if muted.is_empty() {
                let what = match (verb, district) {
                    ("md", Some(d)) => d.to_owned(),
                    _ => source.clone(),
                };
                let none = || match already {
                    0 => ctx.t.get("mute-nothing"),
                    _ => ctx.t.msg("mute-already", &[("what", Arg::Text(&what))]),
                };
                return Ok(Some(strip_tags(&kept_text.unwrap_or_else(none))));
            }
            info!(chat, listing = listing_id, searches = %muted.join(","), verb, "muted from an alert");
            let count = Arg::Num(muted.len() as f64);
            let ids = muted.join(", ");
            let mut text = match (verb, district) {
                ("md", Some(d)) => ctx.t.msg(
                    "muted-district",
                    &[("district", Arg::Text(d)), ("searches", count), ("ids", Arg::Html(&ids))],
                ),
                _ => ctx.t.msg(
                    "muted-source",
                    &[("source", Arg::Text(&source)), ("searches", count), ("ids", Arg::Html(&ids))],
                ),
            };
            if let Some(kept) = kept_text {
                text = format!("{text} {kept}");
            }
            Ok(Some(strip_tags(&text)))
        }
        _ => Ok(Some(ctx.t.stale_button())),
    }
}

/// Replaces the buttons under an alert.
async fn set_keyboard(ctx: &Ctx<'_>, message: MessageId, rows: &[Vec<render::Button>]) -> Result<(), BotError> {
    let mut request = ctx.bot.edit_message_reply_markup(ctx.chat, message);
    if let Some(markup) = sender::markup(rows) {
        request = request.reply_markup(markup);
    }
    match ctx.paced(request, false).await {
        // Pressed twice: the keyboard is already the one asked for.
        Err(BotError::Telegram(teloxide::RequestError::Api(teloxide::ApiError::MessageNotModified))) => Ok(()),
        other => other.map(drop),
    }
}

/// Whether an alert of `l` shows "📈" (as when it was sent: enough
/// comparable listings for a chart).
async fn chart_shown(ctx: &Ctx<'_>, l: &entity::listing::Model) -> Result<bool, BotError> {
    let since = Utc::now() - chrono::Duration::days(render::MARKET_DAYS);
    let prices = db::listings::comparable_prices(&ctx.state.db, l, since, render::MARKET_SAMPLE).await?;
    Ok(render::Market::of(prices).is_some())
}

/// `/saved`: one page of the chat's saved listings, newest first, each with
/// its link, current price and a button to remove it.
pub(super) async fn saved(ctx: &Ctx<'_>, page: u64, message: Option<MessageId>) -> Result<(), BotError> {
    if !ctx.has_access().await? {
        return ctx.reply(ctx.t.get("expired"), None).await.map(drop);
    }
    let (total, ids) = db::marks::saved_page(&ctx.state.db, ctx.chat.0, page, SAVED_PAGE).await?;
    let rows = db::listings::with_sources(&ctx.state.db, &ids).await?;
    let pages = total.div_ceil(SAVED_PAGE).max(1);
    if rows.is_empty() && page > 0 {
        // The last item of the last page was removed: show the page before.
        return Box::pin(saved(ctx, page.min(pages) - 1, message)).await;
    }
    let (text, keyboard) = if total == 0 {
        (ctx.t.get("saved-empty"), Vec::new())
    } else {
        let mut text = ctx.t.msg("saved-header", &[("total", Arg::Html(&total.to_string()))]);
        if pages > 1 {
            text.push(' ');
            text.push_str(&ctx.t.msg(
                "searches-page",
                &[("page", Arg::Html(&(page + 1).to_string())), ("pages", Arg::Html(&pages.to_string()))],
            ));
        }
        let zone = ctx.zone().await?;
        let mut buttons: Keyboard = Vec::new();
        let (mut row, mut ask) = (Vec::new(), Vec::new());
        for (i, (l, source)) in rows.iter().enumerate() {
            let n = page * SAVED_PAGE + i as u64 + 1;
            text.push_str("\n\n");
            text.push_str(&render::saved_entry(ctx.t, n, l, source, zone));
            let n_arg = [("n", Arg::Html(&n.to_string()))];
            row.push((ctx.t.msg("btn-unsave", &n_arg), format!("v:d:{}:{page}", l.id)));
            ask.push((ctx.t.msg("btn-still-there", &n_arg), format!("v:c:{}:{page}", l.id)));
            if row.len() == 5 {
                buttons.push(std::mem::take(&mut row));
                buttons.push(std::mem::take(&mut ask));
            }
        }
        if !row.is_empty() {
            buttons.push(row);
            buttons.push(ask);
        }
        let mut nav = Vec::new();
        if page > 0 {
            nav.push((ctx.t.btn_prev_page(), format!("v:{}", page - 1)));
        }
        if page + 1 < pages {
            nav.push((ctx.t.btn_next_page(), format!("v:{}", page + 1)));
        }
        if !nav.is_empty() {
            buttons.push(nav);
        }
        (text, buttons)
    };
    match message {
        Some(id) => ctx.edit(id, text, Some(&keyboard)).await.map(drop),
        None => ctx.reply(text, Some(&keyboard)).await.map(drop),
    }
}

/// How a listing's page is asked "❓ Still there?": once (the user may ask
/// again), within 10 s, at most 2 MiB, one request per host at a time.
pub(super) fn page_check() -> crate::scraper::fetch::FetchOptions {
    crate::scraper::fetch::FetchOptions {
        connect_timeout: std::time::Duration::from_secs(5),
        total_timeout: std::time::Duration::from_secs(10),
        max_body: 2 * 1024 * 1024,
        politeness: std::time::Duration::from_secs(1),
        attempts: 1,
        run_timeout: std::time::Duration::from_secs(15),
        ..Default::default()
    }
}

/// A page asked within this long is not asked again: the answer stands.
const RECHECK_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// A saved listing's "❓ Still there?": asks the listing's own page (once,
/// politely) whether it is still online, marks the answer in `/saved` and
/// redraws the page. Only for a chat with access that saved the listing.
pub(super) async fn still_there(ctx: &Ctx<'_>, message: MessageId, rest: &str) -> Result<Option<String>, BotError> {
    let (id, page) = rest.split_once(':').unwrap_or((rest, "0"));
    let Ok(listing_id) = id.parse::<i64>() else { return Ok(Some(ctx.t.stale_button())) };
    let page = page.parse().unwrap_or(0);
    let db = &ctx.state.db;
    if !ctx.has_access().await? {
        return Ok(Some(strip_tags(&ctx.t.get("expired"))));
    }
    let marks = db::marks::of(db, &[ctx.chat.0], &[listing_id]).await?;
    if !marks.contains(&(ctx.chat.0, listing_id, listing_mark::SAVED.to_owned())) {
        info!(chat = ctx.chat.0, listing = listing_id, "a Still-there button for a listing the chat did not save");
        return Ok(Some(ctx.t.stale_button()));
    }
    let Some((listing, source)) = db::listings::with_source(db, listing_id).await? else {
        return Ok(Some(strip_tags(&ctx.t.get("listing-gone"))));
    };
    let now = Utc::now();
    if listing.checked_at.is_some_and(|at| now - at < RECHECK_AFTER) {
        let key = if listing.gone_at.is_some() { "still-there-gone" } else { "still-there-online" };
        return Ok(Some(strip_tags(&ctx.t.get(key))));
    }
    let Ok(url) = reqwest::Url::parse(&listing.url) else {
        return Ok(Some(strip_tags(&ctx.t.get("still-there-unknown"))));
    };
    let marker = ctx.state.config.sources.iter().find(|s| s.name == source).and_then(|s| s.gone.as_ref());
    let pages = ctx
        .state
        .pages
        .get_or_try_init(|| async {
            crate::scraper::fetch::Fetcher::new(page_check(), ctx.state.shutdown.clone())
                .map_err(|e| BotError::Internal(format!("cannot build the HTTP client for listing pages: {e}")))
        })
        .await?;
    let fetched = pages.fetch(&url, &Default::default()).await;
    let presence = crate::scraper::gone::presence(&fetched, &url, &listing.external_id, marker);
    info!(chat = ctx.chat.0, listing = listing_id, %source, ?presence, "a saved listing's page asked");
    let key = match presence {
        crate::scraper::gone::Presence::Online => "still-there-online",
        crate::scraper::gone::Presence::Gone(_) => "still-there-gone",
        crate::scraper::gone::Presence::Unknown(_) => {
            // Nothing marked; said in the chat too, in case the spinner
            // was answered before the site was.
            let text = ctx.t.get("still-there-unknown");
            ctx.reply(text.clone(), None).await?;
            return Ok(Some(strip_tags(&text)));
        }
    };
    let gone = key == "still-there-gone";
    if db::listings::set_presence(db, listing_id, gone, now).await? {
        saved(ctx, page, Some(message)).await?;
    }
    Ok(Some(strip_tags(&ctx.t.get(key))))
}

/// A saved listing's ✖: removes it and redraws the page.
pub(super) async fn unsave(ctx: &Ctx<'_>, message: MessageId, rest: &str) -> Result<Option<String>, BotError> {
    let (id, page) = rest.split_once(':').unwrap_or((rest, "0"));
    let Ok(listing_id) = id.parse::<i64>() else { return Ok(Some(ctx.t.stale_button())) };
    db::marks::remove(&ctx.state.db, ctx.chat.0, listing_id, listing_mark::SAVED).await?;
    saved(ctx, page.parse().unwrap_or(0), Some(message)).await?;
    Ok(Some(strip_tags(&ctx.t.get("unsaved"))))
}

/// The chat's time zone (as stored, or from its language).
async fn chat_zone(ctx: &Ctx<'_>) -> Result<chrono_tz::Tz, BotError> {
    let chat = db::chats::get(&ctx.state.db, ctx.chat.0).await?;
    Ok(chat.map_or(chrono_tz::UTC, |c| zone(c.timezone.as_deref(), &c.language)))
}

/// `/quiet HH:MM-HH:MM` or `/quiet off`.
pub(super) async fn quiet(ctx: &Ctx<'_>, args: &str) -> Result<(), BotError> {
    let tz = chat_zone(ctx).await?;
    let zone_arg = tz.name().to_owned();
    let text = if args.eq_ignore_ascii_case("off") {
        db::chats::set_quiet(&ctx.state.db, ctx.chat.0, None, Utc::now()).await?;
        // Alerts held so far come now, as one digest.
        ctx.state.shared.outbox_ready.notify_one();
        ctx.t.get("quiet-off")
    } else if let Some(q) = QuietHours::parse(args) {
        let window = (i32::from(q.from), i32::from(q.to));
        db::chats::set_quiet(&ctx.state.db, ctx.chat.0, Some(window), Utc::now()).await?;
        info!(chat = ctx.chat.0, window = %q.display(), zone = %zone_arg, "quiet hours set");
        ctx.t.msg("quiet-set", &[("window", Arg::Html(&q.display())), ("zone", Arg::Text(&zone_arg))])
    } else {
        ctx.t.msg("quiet-usage", &[("zone", Arg::Text(&zone_arg))])
    };
    ctx.reply(text, None).await.map(drop)
}

/// `/timezone ZONE` (IANA: `Europe/Berlin`, `UTC`).
pub(super) async fn timezone(ctx: &Ctx<'_>, args: &str) -> Result<(), BotError> {
    let Ok(tz) = args.trim().parse::<chrono_tz::Tz>() else {
        return ctx.reply(ctx.t.get("timezone-usage"), None).await.map(drop);
    };
    db::chats::set_timezone(&ctx.state.db, ctx.chat.0, tz.name(), Utc::now()).await?;
    let time = Utc::now().with_timezone(&tz).format("%H:%M").to_string();
    let text = ctx.t.msg("timezone-set", &[("zone", Arg::Text(tz.name())), ("time", Arg::Html(&time))]);
    ctx.reply(text, None).await.map(drop)
}

/// A digest's "More ›" / "‹ Previous": page `page` of digest `id`.
pub(super) async fn digest_page(ctx: &Ctx<'_>, message: MessageId, id: &str, page: &str) -> Result<(), BotError> {
    let (Ok(id), Ok(page)) = (id.parse::<i64>(), page.parse::<usize>()) else { return Ok(()) };
    let Some(items) = db::outbox::digest_of(&ctx.state.db, ctx.chat.0, id).await? else { return Ok(()) };
    let ids: Vec<i64> = items.iter().map(|i| i.listing).collect();
    let loaded = db::listings::with_sources(&ctx.state.db, &ids).await?;
    let drops: std::collections::HashMap<i64, Option<&str>> =
        items.iter().map(|i| (i.listing, i.drop.as_deref())).collect();
    let entries: Vec<render::DigestEntry<'_>> = loaded
        .iter()
        .map(|(l, source)| render::DigestEntry { listing: l, source, drop: drops.get(&l.id).copied().flatten() })
        .collect();
    let shown = render::digest(ctx.t, id, &entries, page);
    let keyboard: Keyboard = shown
        .keyboard
        .into_iter()
        .map(|row| {
            row.into_iter()
                .filter_map(|b| match b {
                    render::Button::Callback { label, data } => Some((label, data)),
                    render::Button::Url { .. } => None,
                })
                .collect()
        })
        .collect();
    ctx.edit(message, shown.html, Some(&keyboard)).await.map(drop)
}
