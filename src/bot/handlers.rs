//! What the bot does with each message and button press.
//!
//! Every reply passes the shared send gate ahead of queued alerts. Every
//! search is looked up by (chat, id), so a chat only ever reaches its own
//! searches, whatever a forged button says. Handler errors are logged and
//! the user is told something went wrong, never left in silence.

use std::sync::Arc;

use chrono::{Duration as ChronoDuration, Utc};
use teloxide::{
    ApiError, RequestError,
    prelude::*,
    types::{
        CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, MessageId, ParseMode, User,
    },
};
use tracing::{debug, info, warn};

use super::{
    BotError, BotState, admin,
    wizard::{Keyboard, Outcome, Step, Wizard},
};
use crate::{
    db::{self, chats::ChatProfile, searches::Created},
    search::{SearchFilter, syntax},
    texts::{Arg, Lang, Texts},
};

/// How often a reply is tried when Telegram answers 429 (each after its
/// `retry_after`); then the handler fails and the log names the chat.
const REPLY_ATTEMPTS: u32 = 5;
/// How long a button press waits for its handler before the spinner is
/// stopped anyway.
const CALLBACK_ANSWER: std::time::Duration = std::time::Duration::from_millis(300);
/// Searches shown per `/searches` message.
const PAGE: usize = 10;
/// How far back the wizard looks for districts.
const DISTRICT_DAYS: i64 = 30;

/// One update's context: who asked, in which language, whether an admin.
pub(super) struct Ctx<'a> {
    pub bot: &'a Bot,
    pub state: &'a BotState,
    pub chat: ChatId,
    pub t: Texts,
    pub admin: bool,
}

fn markup(rows: &Keyboard) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(
        rows.iter()
            .map(|row| row.iter().map(|(label, data)| InlineKeyboardButton::callback(label.clone(), data.clone()))),
    )
}

impl Ctx<'_> {
    /// Sends `request` as a reply: through the shared gate ahead of queued
    /// alerts (with the chat's pacing when `per_chat`), and again after a 429
    /// once Telegram's `retry_after` has passed (the whole gate waits it out),
    /// up to [`REPLY_ATTEMPTS`] times. `None` on shutdown.
    pub async fn paced<R>(&self, request: R, per_chat: bool) -> Result<Option<teloxide::requests::Output<R>>, BotError>
    where
        R: Request<Err = RequestError>,
    {
        self.paced_to(self.chat, request, per_chat).await
    }

    /// [`Ctx::paced`] for a message to another chat (`chat`), e.g. an admin.
    pub async fn paced_to<R>(
        &self,
        chat: ChatId,
        request: R,
        per_chat: bool,
    ) -> Result<Option<teloxide::requests::Output<R>>, BotError>
    where
        R: Request<Err = RequestError>,
    {
        let gate = &self.state.shared.gate;
        let mut attempt = 1;
        loop {
            if !gate.acquire_reply(per_chat.then_some(chat.0), &self.state.shutdown).await {
                return Ok(None);
            }
            match request.send_ref().await {
                Err(RequestError::RetryAfter(wait)) if attempt < REPLY_ATTEMPTS => {
                    crate::metrics::inc("homehound_telegram_429_total", "429 answers from Telegram.", &[], 1.0);
                    warn!(chat = chat.0, retry_after = ?wait.duration(), attempt, "a reply met a 429; sending it again after the wait");
                    gate.freeze(wait.duration());
                    attempt += 1;
                }
                result => return Ok(Some(result?)),
            }
        }
    }

    /// Sends a reply (HTML), through the gate ahead of alerts.
    pub async fn reply(&self, text: String, keyboard: Option<&Keyboard>) -> Result<Option<Message>, BotError> {
        let mut request = self.bot.send_message(self.chat, text).parse_mode(ParseMode::Html).link_preview_options(
            LinkPreviewOptions {
                is_disabled: true,
                url: None,
                prefer_small_media: false,
                prefer_large_media: false,
                show_above_text: false,
            },
        );
        if let Some(rows) = keyboard {
            request = request.reply_markup(markup(rows));
        }
        self.paced(request, true).await
    }

    /// Edits a message in place; when it can no longer be edited, sends
    /// the text as a new message. Returns the id of the message now showing it.
    pub async fn edit(
        &self,
        message_id: MessageId,
        text: String,
        keyboard: Option<&Keyboard>,
    ) -> Result<Option<MessageId>, BotError> {
        let mut request = self.bot.edit_message_text(self.chat, message_id, text.clone()).parse_mode(ParseMode::Html);
        if let Some(rows) = keyboard {
            request = request.reply_markup(markup(rows));
        }
        match self.paced(request, false).await {
            Ok(None) => Ok(None),
            Ok(Some(_)) | Err(BotError::Telegram(RequestError::Api(ApiError::MessageNotModified))) => {
                Ok(Some(message_id))
            }
            Err(BotError::Telegram(RequestError::Api(e))) => {
                warn!(chat = self.chat.0, error = %e, "cannot edit; sending a new message");
                Ok(self.reply(text, keyboard).await?.map(|m| m.id))
            }
            Err(e) => Err(e),
        }
    }

    fn sources(&self) -> Vec<String> {
        self.state.config.sources.iter().map(|s| s.name.clone()).collect()
    }
}

/// The chat's profile from the user who wrote.
fn profile(chat: ChatId, user: Option<&User>) -> ChatProfile {
    ChatProfile {
        id: chat.0,
        username: user.and_then(|u| u.username.clone()),
        first_name: user.map(|u| u.first_name.clone()),
        language: user
            .and_then(|u| u.language_code.clone())
            .unwrap_or_else(|| "en".to_owned())
            .chars()
            .take(16)
            .collect(),
    }
}

/// Makes sure the chat exists (a chat may write /new before /start, e.g.
/// after a database move) and unblocks a chat that had blocked the bot.
pub(super) async fn ensure_chat(state: &BotState, chat: ChatId, user: Option<&User>) -> Result<(), BotError> {
    match db::chats::get(&state.db, chat.0).await? {
        Some(c) if !c.blocked => Ok(()),
        _ => {
            let registration =
                db::chats::register(&state.db, &profile(chat, user), state.config.trial_duration, Utc::now()).await?;
            info!(chat = chat.0, new = registration.new, unblocked = registration.unblocked, "chat registered");
            Ok(())
        }
    }
}

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
            Ok(false) => match msg.text() {
                Some(text) => handle_text(&ctx, text, user).await,
                None => return Ok(()),
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

/// The texts of a chat that is not the one writing (an admin's answer, a
/// notice): in the chat's stored language, English when unknown.
pub(super) async fn texts_of(state: &BotState, chat: i64) -> Result<Texts, BotError> {
    let lang = db::chats::get(&state.db, chat).await?.map(|c| Lang::from_code(Some(&c.language)));
    Ok(Texts(lang.unwrap_or(Lang::En)))
}

/// Whether the message is a command (`/…`).
fn is_command(msg: &Message) -> bool {
    msg.text().is_some_and(|t| t.trim_start().starts_with('/'))
}

/// Tells the user something went wrong, unless Telegram is refusing sends
/// right now (the apology would be refused as well, and prolong the wait).
pub(super) async fn apologize(ctx: &Ctx<'_>, error: &BotError) {
    if matches!(error, BotError::Telegram(RequestError::RetryAfter(_))) || ctx.state.shared.gate.is_frozen() {
        return;
    }
    let _ = ctx.reply(ctx.t.internal_error(), None).await;
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
        "/share" => share(ctx, args).await,
        "/pause" | "/resume" => {
            let paused = command == "/pause";
            db::chats::set_paused(&ctx.state.db, ctx.chat.0, paused, Utc::now()).await?;
            ctx.reply(ctx.t.all_paused(paused), None).await.map(drop)
        }
        "/status" => status(ctx).await,
        "/saved" => super::alerts::saved(ctx, 0, None).await,
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

async fn start(ctx: &Ctx<'_>, user: Option<&User>, args: &str) -> Result<(), BotError> {
    let registration =
        db::chats::register(&ctx.state.db, &profile(ctx.chat, user), ctx.state.config.trial_duration, Utc::now())
            .await?;
    info!(chat = ctx.chat.0, new = registration.new, unblocked = registration.unblocked, "chat registered");
    let welcome = ctx.t.welcome(user.map(|u| u.first_name.as_str()), registration.new, ctx.state.config.trial_duration);
    ctx.reply(welcome, Some(&main_menu(ctx.t))).await?;
    // A shared search's link (`/share`).
    if let Some(token) = args.strip_prefix("share_") {
        return join_shared(ctx, token).await;
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
            Err(e) => return ctx.reply(ctx.t.syntax_error(&e.to_string(), e.valid_form()), None).await.map(drop),
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
        Err(e) => return ctx.reply(ctx.t.syntax_error(&e.to_string(), e.valid_form()), None).await.map(drop),
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

/// A search's number as typed after a command (`3` or `#3`): `None` when
/// nothing was typed, else the text and the number it reads as.
fn search_arg(args: &str) -> Option<(&str, Option<i64>)> {
    let arg = args.trim().trim_start_matches('#');
    (!arg.is_empty()).then(|| (arg, arg.parse().ok()))
}

/// "No search #…" naming (the start of) what was typed.
fn not_found(ctx: &Ctx<'_>, arg: &str) -> String {
    ctx.t.not_found(arg.get(..arg.len().min(20)).unwrap_or(arg))
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

/// `/share ID`: a deep link that gives another chat the same search.
async fn share(ctx: &Ctx<'_>, args: &str) -> Result<(), BotError> {
    let Some((arg, Some(id))) = search_arg(args) else {
        return ctx.reply(ctx.t.get("share-usage"), None).await.map(drop);
    };
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| BotError::Internal(format!("no randomness for a share link: {e}")))?;
    let fresh: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let Some(token) = db::searches::share(&ctx.state.db, ctx.chat.0, id, &fresh, Utc::now()).await? else {
        return ctx.reply(not_found(ctx, arg), None).await.map(drop);
    };
    let link = crate::delivery::render::deep_link(&ctx.state.username, &format!("share_{token}"));
    info!(chat = ctx.chat.0, search = id, "search shared");
    let text = ctx.t.msg("share-link", &[("link", Arg::Text(&link)), ("id", Arg::Html(&id.to_string()))]);
    ctx.reply(text, None).await.map(drop)
}

/// `/start share_<token>`: the chat follows the shared search, if it has
/// access of its own.
async fn join_shared(ctx: &Ctx<'_>, token: &str) -> Result<(), BotError> {
    let valid = token.len() == 24 && token.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return ctx.reply(ctx.t.broken_link(), None).await.map(drop);
    }
    let now = Utc::now();
    if !matches!(db::chats::access(&ctx.state.db, ctx.chat.0, now).await?, db::chats::Access::Active { .. }) {
        return ctx.reply(ctx.t.get("share-needs-access"), None).await.map(drop);
    }
    let text = match db::searches::join(&ctx.state.db, ctx.chat.0, token, now).await? {
        db::searches::Joined::Joined { id, members } => {
            info!(chat = ctx.chat.0, search = id, others = members.len(), "joined a shared search");
            for &(member, their_id) in &members {
                let text = texts_of(ctx.state, member).await?;
                let html = text.msg("share-member-joined", &[("id", Arg::Html(&their_id.to_string()))]);
                db::admin::notify_html(&ctx.state.db, &[member], &format!("share:joined:{id}"), &html).await?;
            }
            ctx.state.shared.outbox_ready.notify_one();
            let line = match db::searches::get(&ctx.state.db, ctx.chat.0, id).await? {
                Some(s) => syntax::format(&SearchFilter::from_model(&s)),
                None => String::new(),
            };
            ctx.t.msg(
                "share-joined",
                &[
                    ("id", Arg::Html(&id.to_string())),
                    ("n", Arg::Num(members.len() as f64)),
                    ("line", Arg::Text(&line)),
                ],
            )
        }
        db::searches::Joined::Already(id) => ctx.t.msg("share-already", &[("id", Arg::Html(&id.to_string()))]),
        db::searches::Joined::NotFound => ctx.t.get("share-gone"),
        db::searches::Joined::TooMany => ctx.t.too_many(),
    };
    ctx.reply(text, None).await.map(drop)
}

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
    let text = ctx.t.status(&access, paused, searches.len()) + &ctx.t.sources_checked(&checked, now);
    ctx.reply(text, None).await.map(drop)
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
    let handled = handle_button(&ctx, &q.from, message.id(), data);
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
            status(ctx).await?;
            super::payments::plans(ctx).await.map(|()| None)
        }
        ["m", "plans"] => super::payments::plans(ctx).await.map(|()| None),
        ["b", plan] => super::payments::invoice(ctx, plan).await,
        ["m", "help"] => ctx.reply(ctx.t.help(ctx.admin), None).await.map(|_| None),
        ["a", verb, id] => super::alerts::press(ctx, message, verb, id).await,
        ["g", id, page] => super::alerts::digest_page(ctx, message, id, page).await.map(|()| None),
        ["v", "d", rest] => super::alerts::unsave(ctx, message, rest).await,
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

/// Callback notices are plain text: drop the HTML tags and entities.
pub(super) fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => (),
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
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

    #[test]
    fn notices_are_plain_text() {
        assert_eq!(strip_tags("<b>#3</b> &lt;x&gt; &amp; y"), "#3 <x> & y");
    }
}
