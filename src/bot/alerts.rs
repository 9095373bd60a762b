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
            set_keyboard(ctx, message, &render::undo_keyboard(ctx.t, &l, format!("a:uh:{listing_id}"))).await?;
            Ok(Some(strip_tags(&ctx.t.get("hidden"))))
        }
        "uh" => {
            let Some((l, _)) = db::listings::with_source(db, listing_id).await? else { return gone() };
            db::marks::remove(db, chat, listing_id, listing_mark::HIDDEN).await?;
            info!(chat, listing = listing_id, "hiding undone");
            set_keyboard(ctx, message, &render::alert_keyboard(ctx.t, &l)).await?;
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
            set_keyboard(ctx, message, &render::alert_keyboard(ctx.t, &l)).await?;
            Ok(Some(strip_tags(&ctx.t.msg("unmuted", &[("what", Arg::Text(&what))]))))
        }
        "s" => {
            if !db::marks::set(db, chat, listing_id, listing_mark::SAVED, now).await? {
                return gone();
            }
            info!(chat, listing = listing_id, "listing saved");
            Ok(Some(strip_tags(&ctx.t.get("kept"))))
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
            let keyboard =
                if verb == "m" { render::mute_keyboard(ctx.t, &l, &source) } else { render::alert_keyboard(ctx.t, &l) };
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
            let keyboard = if muted.is_empty() || undo.len() > 64 {
                render::alert_keyboard(ctx.t, &l)
            } else {
                render::undo_keyboard(ctx.t, &l, undo)
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
        let mut buttons: Keyboard = Vec::new();
        let mut row = Vec::new();
        for (i, (l, source)) in rows.iter().enumerate() {
            let n = page * SAVED_PAGE + i as u64 + 1;
            text.push_str("\n\n");
            text.push_str(&render::saved_entry(ctx.t, n, l, source));
            let label = ctx.t.msg("btn-unsave", &[("n", Arg::Html(&n.to_string()))]);
            row.push((label, format!("v:d:{}:{page}", l.id)));
            if row.len() == 5 {
                buttons.push(std::mem::take(&mut row));
            }
        }
        if !row.is_empty() {
            buttons.push(row);
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
