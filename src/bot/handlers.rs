//! What the bot does with each message and button press.
//!
//! Every reply passes the shared send gate ahead of queued alerts. Every
//! search is looked up by (chat, id), so a chat only ever reaches its own
//! searches, whatever a forged button says. Handler errors are logged and
//! the user is told something went wrong, never left in silence.

use std::sync::Arc;

use chrono::{Duration as ChronoDuration, Utc};
use teloxide::{
    prelude::*,
    types::{CallbackQuery, MessageId, User},
};
use tracing::{debug, info, warn};

use super::{
    BotError, BotState, admin,
    ctx::{CALLBACK_ANSWER, Ctx, apologize, ensure_chat, not_found, profile, search_arg, strip_tags, texts_of},
    share, status,
    wizard::{Keyboard, Outcome, Step, Wizard},
};
use crate::{
    db::{self, searches::Created},
    search::{SearchFilter, syntax},
    texts::{Arg, Lang, Texts},
};

/// Searches shown per `/searches` message.
const PAGE: usize = 10;
/// How far back the wizard looks for districts.
const DISTRICT_DAYS: i64 = 30;

fn main_menu(t: Texts) -> Keyboard {
    vec![
        vec![(t.btn_new().to_owned(), "m:new".to_owned()), (t.btn_searches().to_owned(), "m:list".to_owned())],
        vec![(t.btn_subscription().to_owned(), "m:sub".to_owned()), (t.btn_help().to_owned(), "m:help".to_owned())],
    ]
}

pub(super) async fn on_message(bot: Bot, msg: Message, state: Arc<BotState>) -> Result<(), BotError> {
    let user = msg.from.as_ref();
    let ctx = Ctx {
        bot: &bot,
        state: &state,
        chat: msg.chat.id,
        t: Texts(Lang::from_code(user.and_then(|u| u.language_code.as_deref()))),
        admin: state.config.is_admin(msg.chat.id.0),
    };
    let result = if let Some(payment) = msg.successful_payment() {
        super::payments::successful(&ctx, user, payment).await
    } else if msg.chat.is_private() && !is_command(&msg) {
        match super::support::route(&ctx, &msg).await {
            Ok(true) => Ok(()),
            Ok(false) => match (msg.text(), msg.location()) {
                (Some(text), _) => handle_text(&ctx, text, user).await,
                (None, Some(place)) => shared_place(&ctx, place.latitude, place.longitude).await,
                (None, None) => return Ok(()),
            },
            Err(e) => Err(e),
        }
    } else if let Some(text) = msg.text() {
        // The bot serves private chats: a group is never registered (no
        // trial, no broadcasts); a command there gets one line saying so, the
        // rest is people talking.
        if !msg.chat.is_private() {
            // A command for another bot ("/start@other_bot") is not ours either.
            let first = text.split_whitespace().next().unwrap_or_default();
            let for_another_bot =
                first.split_once('@').is_some_and(|(_, name)| !name.eq_ignore_ascii_case(&state.username));
            if !first.starts_with('/') || for_another_bot {
                return Ok(());
            }
            return ctx.reply(ctx.t.private_only(), None).await.map(drop);
        }
        handle_text(&ctx, text, user).await
    } else {
        return Ok(());
    };
    if let Err(e) = &result {
        warn!(chat = ctx.chat.0, error = %e, "a message handler failed");
        apologize(&ctx, e).await;
    }
    result
}

/// Whether the message is a command (`/…`).
fn is_command(msg: &Message) -> bool {
    msg.text().is_some_and(|t| t.trim_start().starts_with('/'))
}

async fn handle_text(ctx: &Ctx<'_>, text: &str, user: Option<&User>) -> Result<(), BotError> {
    let trimmed = text.trim();
    let (first, args) = trimmed.split_once(char::is_whitespace).unwrap_or((trimmed, ""));
    let args = args.trim();
    // "/start@homehound_bot" addresses this bot in a group.
    let command = first.split('@').next().unwrap_or_default().to_lowercase();
    if !command.starts_with('/') {
        return typed_text(ctx, trimmed).await;
    }
    if command != "/start" {
        ensure_chat(ctx.state, ctx.chat, user).await?;
    }
    match command.as_str() {
        "/start" => start(ctx, user, args).await,
        "/new" if args.is_empty() => open_wizard(ctx, None).await,
        "/new" => new_line(ctx, args).await,
        "/searches" | "/list" => list_searches(ctx, 0, None).await,
        "/delete" => delete(ctx, args).await,
        "/share" => share::share(ctx, args).await,
        "/pause" | "/resume" => {
            let paused = command == "/pause";
            db::chats::set_paused(&ctx.state.db, ctx.chat.0, paused, Utc::now()).await?;
            ctx.reply(ctx.t.all_paused(paused), None).await.map(drop)
        }
        "/status" => status::status(ctx).await,
        "/saved" => super::alerts::saved(ctx, 0, None).await,
        "/market" => super::market::market(ctx, args).await,
        "/quiet" => super::alerts::quiet(ctx, args).await,
        "/timezone" => super::alerts::timezone(ctx, args).await,
        "/plans" => super::payments::plans(ctx).await,
        "/paysupport" => super::support::open(ctx).await,
        "/help" => ctx.reply(ctx.t.help(ctx.admin), Some(&main_menu(ctx.t))).await.map(drop),
        "/stats" | "/sources" | "/grant" | "/broadcast" | "/refund" if ctx.admin => {
            admin::command(ctx, &command, args, after_command(text)).await
        }
        _ => ctx.reply(ctx.t.unknown(), None).await.map(drop),
    }
}

/// The text after the command word, with its own line breaks (broadcasts).
fn after_command(text: &str) -> &str {
    let text = text.trim_start();
    text.find(char::is_whitespace).map_or("", |at| text[at..].trim())
}

/// Text that is not a command: a typed price when the wizard asked for
/// one, otherwise a hint.
async fn typed_text(ctx: &Ctx<'_>, text: &str) -> Result<(), BotError> {
    if let Some(mut wizard) = load_wizard(ctx).await?
        && wizard.awaiting_price
    {
        match wizard.type_price(ctx.t, text) {
            Ok(()) => return show_wizard(ctx, wizard, false).await,
            Err(problem) => return ctx.reply(ctx.t.wizard_price_invalid(&problem), None).await.map(drop),
        }
    }
    ctx.reply(ctx.t.unknown(), None).await.map(drop)
}

/// A location the user shared (📎 → Location): the place of the open
/// wizard's search (it then asks how far from it), otherwise a hint.
async fn shared_place(ctx: &Ctx<'_>, lat: f64, lon: f64) -> Result<(), BotError> {
    let Some(mut wizard) = load_wizard(ctx).await? else {
        return ctx.reply(ctx.t.place_without_wizard(), None).await.map(drop);
    };
    if !wizard.share_place(lat, lon) {
        return ctx.reply(ctx.t.place_not_taken(), None).await.map(drop);
    }
    // Drawn again under the location, where the user looks.
    show_wizard(ctx, wizard, true).await
}

async fn start(ctx: &Ctx<'_>, user: Option<&User>, args: &str) -> Result<(), BotError> {
    let registration =
        db::chats::register(&ctx.state.db, &profile(ctx.chat, user), ctx.state.config.trial_duration, Utc::now())
            .await?;
    info!(chat = ctx.chat.0, new = registration.new, unblocked = registration.unblocked, "chat registered");
    // A chat that knows the bot and follows a link (a shared search, "🔔
    // Alerts like this") gets what the link opens, not the welcome again.
    if registration.new || registration.unblocked || args.trim().is_empty() {
        let first_name = user.map(|u| u.first_name.as_str());
        let welcome = ctx.t.welcome(first_name, registration.new, ctx.state.config.trial_duration);
        ctx.reply(welcome, Some(&main_menu(ctx.t))).await?;
    }
    // A shared search's link (`/share`).
    if let Some(token) = args.strip_prefix("share_") {
        return share::join_shared(ctx, token).await;
    }
    // "🔔 Alerts like this" under a channel post: the wizard filled from
    // that listing.
    if let Some(id) = args.strip_prefix("like_") {
        let found = match id.parse::<i64>() {
            Ok(id) => db::listings::with_source(&ctx.state.db, id).await?,
            Err(_) => None,
        };
        let Some((listing, source)) = found else {
            return ctx.reply(ctx.t.broken_link(), None).await.map(drop);
        };
        let configured = ctx.sources().contains(&source).then_some(source.as_str());
        return open_wizard(ctx, Some(crate::search::like(&listing, configured))).await;
    }
    // A deep link "t.me/bot?start=new_<base64url of a one-line search>"
    // opens the wizard on its summary.
    if let Some(encoded) = args.strip_prefix("new_") {
        let Some(line) =
            decode_base64url(encoded).and_then(|b| String::from_utf8(b).ok()).filter(|l| !l.trim().is_empty())
        else {
            return ctx.reply(ctx.t.broken_link(), None).await.map(drop);
        };
        match syntax::parse(&line, &ctx.sources()) {
            Ok(filter) => return open_wizard(ctx, Some(filter)).await,
            Err(e) => return ctx.reply(ctx.t.syntax_error(&e), None).await.map(drop),
        }
    }
    Ok(())
}

/// RFC 4648 base64url, padded or not (Telegram's start parameter alphabet).
pub fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

// --------------------------------------------------------------- wizard

async fn load_wizard(ctx: &Ctx<'_>) -> Result<Option<Wizard>, BotError> {
    let state = db::searches::dialogue(&ctx.state.db, ctx.chat.0).await?;
    Ok(state.and_then(|s| serde_json::from_str(&s).ok()))
}

async fn save_wizard(ctx: &Ctx<'_>, wizard: &Wizard) -> Result<(), BotError> {
    let json = serde_json::to_string(wizard).unwrap_or_default();
    db::searches::save_dialogue(&ctx.state.db, ctx.chat.0, &json, Utc::now()).await?;
    Ok(())
}

async fn open_wizard(ctx: &Ctx<'_>, prefilled: Option<SearchFilter>) -> Result<(), BotError> {
    // An older wizard's buttons go, so its screen is not mistaken for this one.
    if let Some(old) = load_wizard(ctx).await?
        && let Some(id) = old.message_id
    {
        let request = ctx.bot.edit_message_reply_markup(ctx.chat, MessageId(id));
        if let Err(e) = ctx.paced(request, false).await {
            debug!(chat = ctx.chat.0, error = %e, "the old wizard's buttons could not be removed");
        }
    }
    let nonce = fastrand::u32(..);
    let mut wizard = match prefilled {
        Some(filter) => Wizard::prefilled(nonce, ctx.sources(), filter),
        None => Wizard::new(nonce, ctx.sources()),
    };
    load_districts(ctx, &mut wizard).await?;
    show_wizard(ctx, wizard, true).await
}

async fn load_districts(ctx: &Ctx<'_>, wizard: &mut Wizard) -> Result<(), BotError> {
    if wizard.step == Step::Districts {
        let since = Utc::now() - ChronoDuration::days(DISTRICT_DAYS);
        wizard.districts = db::searches::districts(
            &ctx.state.db,
            wizard.filter.source.as_deref(),
            since,
            super::wizard::MAX_DISTRICTS as u64,
        )
        .await?;
    }
    Ok(())
}

/// Stores the wizard, then draws it: as a new message (`fresh`, or when it
/// has none yet) or by editing its message.
async fn show_wizard(ctx: &Ctx<'_>, mut wizard: Wizard, fresh: bool) -> Result<(), BotError> {
    let matches = if wizard.step == Step::Summary {
        db::searches::recent_matches(&ctx.state.db, &wizard.filter, Utc::now() - ChronoDuration::days(7)).await?
    } else {
        0
    };
    let (text, keyboard) = wizard.view(ctx.t, matches);
    // Stored before it is shown, so a restart between the two resumes it.
    save_wizard(ctx, &wizard).await?;
    let shown = match wizard.message_id {
        Some(id) if !fresh => ctx.edit(MessageId(id), text, Some(&keyboard)).await?,
        _ => ctx.reply(text, Some(&keyboard)).await?.map(|m| m.id),
    };
    if let Some(id) = shown
        && wizard.message_id != Some(id.0)
    {
        wizard.message_id = Some(id.0);
        save_wizard(ctx, &wizard).await?;
    }
    Ok(())
}

async fn wizard_press(ctx: &Ctx<'_>, nonce: &str, action: &str) -> Result<Option<String>, BotError> {
    let Some(mut wizard) = load_wizard(ctx).await? else { return Ok(Some(ctx.t.stale_button())) };
    if wizard.nonce.to_string() != nonce {
        return Ok(Some(ctx.t.stale_button()));
    }
    let before = wizard.step;
    match wizard.press(action) {
        Outcome::Stale => Ok(Some(ctx.t.stale_button())),
        Outcome::Unchanged => Ok(None),
        Outcome::Redraw | Outcome::AskPrice => {
            if wizard.step != before {
                load_districts(ctx, &mut wizard).await?;
            }
            show_wizard(ctx, wizard, false).await?;
            Ok(None)
        }
        Outcome::Cancel => {
            db::searches::clear_dialogue(&ctx.state.db, ctx.chat.0).await?;
            if let Some(id) = wizard.message_id {
                ctx.edit(MessageId(id), ctx.t.wizard_cancelled(), None).await?;
            }
            Ok(None)
        }
        Outcome::Save => {
            let text = match db::searches::create(&ctx.state.db, ctx.chat.0, &wizard.filter, Utc::now()).await? {
                Created::Saved(id) => {
                    info!(chat = ctx.chat.0, search = id, "search saved by the wizard");
                    ctx.t.saved(id, &syntax::format(&wizard.filter))
                }
                Created::TooMany => ctx.t.too_many(),
            };
            db::searches::clear_dialogue(&ctx.state.db, ctx.chat.0).await?;
            if let Some(id) = wizard.message_id {
                ctx.edit(MessageId(id), text, None).await?;
            }
            Ok(None)
        }
    }
}

// ------------------------------------------------------------- searches

async fn new_line(ctx: &Ctx<'_>, args: &str) -> Result<(), BotError> {
    let filter = match syntax::parse(args, &ctx.sources()) {
        Ok(filter) => filter,
        Err(e) => return ctx.reply(ctx.t.syntax_error(&e), None).await.map(drop),
    };
    let text = match db::searches::create(&ctx.state.db, ctx.chat.0, &filter, Utc::now()).await? {
        Created::Saved(id) => {
            info!(chat = ctx.chat.0, search = id, "search saved from one line");
            ctx.t.saved(id, &syntax::format(&filter))
        }
        Created::TooMany => ctx.t.too_many(),
    };
    ctx.reply(text, None).await.map(drop)
}

/// Shows page `page` of the chat's searches: as a new message, or in place
/// of `message` (after a button press).
async fn list_searches(ctx: &Ctx<'_>, page: usize, message: Option<MessageId>) -> Result<(), BotError> {
    let searches = db::searches::list(&ctx.state.db, ctx.chat.0).await?;
    if searches.is_empty() {
        return match message {
            Some(id) => ctx.edit(id, ctx.t.no_searches(), None).await.map(drop),
            None => ctx.reply(ctx.t.no_searches(), None).await.map(drop),
        };
    }
    let pages = searches.len().div_ceil(PAGE);
    let page = page.min(pages - 1);
    let mut lines = vec![ctx.t.searches_header(searches.len(), page, pages)];
    let mut rows: Keyboard = Vec::new();
    for s in searches.iter().skip(page * PAGE).take(PAGE) {
        let line = syntax::format(&SearchFilter::from_model(s));
        let shown: String = line.chars().take(300).collect();
        let mut line = ctx.t.search_line(s.id, &shown, s.paused);
        if s.share_group.is_some() {
            line = line.replacen('\n', &format!(" {}\n", ctx.t.get("search-shared-mark")), 1);
        }
        lines.push(line);
        let toggle = if s.paused {
            (ctx.t.btn_resume(s.id), format!("s:{}:r:{page}", s.id))
        } else {
            (ctx.t.btn_pause(s.id), format!("s:{}:p:{page}", s.id))
        };
        rows.push(vec![toggle, (ctx.t.btn_delete(s.id), format!("s:{}:d:{page}", s.id))]);
    }
    let mut nav = Vec::new();
    if page > 0 {
        nav.push((ctx.t.btn_prev_page().to_owned(), format!("l:{}", page - 1)));
    }
    if page + 1 < pages {
        nav.push((ctx.t.btn_next_page().to_owned(), format!("l:{}", page + 1)));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    let text = lines.join("\n\n");
    match message {
        Some(id) => ctx.edit(id, text, Some(&rows)).await.map(drop),
        None => ctx.reply(text, Some(&rows)).await.map(drop),
    }
}

async fn delete(ctx: &Ctx<'_>, args: &str) -> Result<(), BotError> {
    let Some((arg, id)) = search_arg(args) else {
        return ctx.reply(ctx.t.delete_usage(), None).await.map(drop);
    };
    let deleted = match id {
        Some(id) => delete_search(ctx, id).await?.then_some(id),
        None => None,
    };
    let text = match deleted {
        Some(id) => ctx.t.deleted(id),
        None => not_found(ctx, arg),
    };
    ctx.reply(text, None).await.map(drop)
}

/// Deletes the chat's search `id`; the other chats of its share group, if
/// any, are told it goes on for them. `false`: no such search.
pub(super) async fn delete_search(ctx: &Ctx<'_>, id: i64) -> Result<bool, BotError> {
    let group = db::searches::get(&ctx.state.db, ctx.chat.0, id).await?.and_then(|s| s.share_group);
    if !db::searches::delete(&ctx.state.db, ctx.chat.0, id).await? {
        return Ok(false);
    }
    if let Some(group) = group {
        for (chat, their_id) in db::searches::members(&ctx.state.db, &group).await? {
            let text =
                texts_of(ctx.state, chat).await?.msg("share-member-left", &[("id", Arg::Html(&their_id.to_string()))]);
            db::admin::notify_html(&ctx.state.db, &[chat], &format!("share:left:{id}"), &text).await?;
        }
        ctx.state.shared.outbox_ready.notify_one();
    }
    Ok(true)
}

// ------------------------------------------------------------- buttons

pub(super) async fn on_callback(bot: Bot, q: CallbackQuery, state: Arc<BotState>) -> Result<(), BotError> {
    let Some(message) = q.message.as_ref() else {
        bot.answer_callback_query(q.id.clone()).await?;
        return Ok(());
    };
    let ctx = Ctx {
        bot: &bot,
        state: &state,
        chat: message.chat().id,
        t: Texts(Lang::from_code(q.from.language_code.as_deref())),
        admin: state.config.is_admin(message.chat().id.0),
    };
    let data = q.data.as_deref().unwrap_or_default();
    // The answer's clock runs from here: waiting for this chat's previous
    // press counts too.
    let handled = async {
        let _one_at_a_time = state.button_lock(ctx.chat.0).lock().await;
        handle_button(&ctx, &q.from, message.id(), data).await
    };
    tokio::pin!(handled);
    // Always answered, so the user's client stops its spinner: with the
    // handler's notice when it is done within CALLBACK_ANSWER, else at once
    // (the spinner never waits on queued sends) and the work goes on.
    let answer = |notice: Option<String>| {
        let mut answer = bot.answer_callback_query(q.id.clone());
        if let Some(text) = notice {
            answer = answer.text(text);
        }
        async move {
            if let Err(e) = answer.await {
                warn!(error = %e, "answerCallbackQuery failed");
            }
        }
    };
    let notice = |result: &Result<Option<String>, BotError>| match result {
        Ok(notice) => notice.clone(),
        Err(e) => {
            warn!(chat = ctx.chat.0, error = %e, "a button handler failed");
            Some(ctx.t.internal_error())
        }
    };
    let result = tokio::select! {
        result = &mut handled => {
            answer(notice(&result)).await;
            result
        }
        _ = tokio::time::sleep(CALLBACK_ANSWER) => {
            answer(None).await;
            let result = handled.await;
            if let Some(late) = notice(&result) {
                debug!(chat = ctx.chat.0, notice = %late, "a button's notice came after its answer");
            }
            result
        }
    };
    result.map(drop)
}

/// Handles one button; `Some(text)` is shown to the user as a short notice.
async fn handle_button(ctx: &Ctx<'_>, user: &User, message: MessageId, data: &str) -> Result<Option<String>, BotError> {
    ensure_chat(ctx.state, ctx.chat, Some(user)).await?;
    let parts: Vec<&str> = data.splitn(3, ':').collect();
    match parts.as_slice() {
        ["m", "new"] => open_wizard(ctx, None).await.map(|()| None),
        ["m", "list"] => list_searches(ctx, 0, None).await.map(|()| None),
        ["m", "sub"] => {
            status::status(ctx).await?;
            super::payments::plans(ctx).await.map(|()| None)
        }
        ["m", "plans"] => super::payments::plans(ctx).await.map(|()| None),
        ["b", plan] => super::payments::invoice(ctx, plan).await,
        ["m", "help"] => ctx.reply(ctx.t.help(ctx.admin), None).await.map(|_| None),
        ["a", verb, id] => super::alerts::press(ctx, message, verb, id).await,
        ["g", id, page] => super::alerts::digest_page(ctx, message, id, page).await.map(|()| None),
        ["v", "d", rest] => super::alerts::unsave(ctx, message, rest).await,
        ["v", "c", rest] => super::alerts::still_there(ctx, message, rest).await,
        ["v", page] => super::alerts::saved(ctx, page.parse().unwrap_or(0), Some(message)).await.map(|()| None),
        ["w", nonce, action] => wizard_press(ctx, nonce, action).await,
        ["l", page] => {
            let page = page.parse().unwrap_or(0);
            list_searches(ctx, page, Some(message)).await.map(|()| None)
        }
        ["s", id, rest] => {
            let (verb, page) = rest.split_once(':').unwrap_or((rest, "0"));
            let page: usize = page.parse().unwrap_or(0);
            let Ok(id) = id.parse::<i64>() else { return Ok(Some(ctx.t.not_found(id))) };
            let now = Utc::now();
            let (found, notice) = match verb {
                "p" | "r" => {
                    let paused = verb == "p";
                    let found = db::searches::set_paused(&ctx.state.db, ctx.chat.0, id, paused, now).await?;
                    if found {
                        let key = if paused { "share-member-paused" } else { "share-member-resumed" };
                        super::share::tell_members(ctx, id, key, "").await?;
                    }
                    (found, ctx.t.search_paused(id, paused))
                }
                "d" => (delete_search(ctx, id).await?, ctx.t.deleted(id)),
                _ => return Ok(Some(ctx.t.stale_button())),
            };
            if !found {
                return Ok(Some(strip_tags(&ctx.t.not_found(&id.to_string()))));
            }
            list_searches(ctx, page, Some(message)).await?;
            Ok(Some(strip_tags(&notice)))
        }
        _ => Ok(Some(ctx.t.stale_button())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_decodes_start_parameters() {
        assert_eq!(decode_base64url("cHJpY2U9LTE1MDA").unwrap(), b"price=-1500");
        assert_eq!(decode_base64url("YQ").unwrap(), b"a");
        assert!(decode_base64url("a").is_none());
        assert!(decode_base64url("!!!!").is_none());
    }
}
