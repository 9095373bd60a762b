//! Payment support as a conversation: `/paysupport` opens a request, the
//! chat's next message is forwarded to every admin with the chat id and the
//! chat's charge ids, and an admin's reply to that message (or to its
//! header) goes back to the user. The request and the admin-side message ids
//! are stored, so a restart in between loses nothing.

use chrono::Utc;
use teloxide::{
    prelude::*,
    types::{ParseMode, ReplyParameters},
};
use tracing::{error, info, warn};

use super::{
    BotError,
    ctx::{Ctx, texts_of},
};
use crate::{
    db,
    texts::{Arg, escape},
};

/// How long a `/paysupport` request waits for the user's message.
const WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(1);
/// Charge ids shown to the admins with a request.
const CHARGES_SHOWN: u64 = 10;
/// Requests one chat may send the admins per [`WINDOW`].
const REQUESTS_PER_WINDOW: u64 = 3;

/// `/paysupport`: the next message of this chat goes to the admins (at
/// most [`REQUESTS_PER_WINDOW`] an hour, so one chat cannot flood them).
pub(super) async fn open(ctx: &Ctx<'_>) -> Result<(), BotError> {
    let now = Utc::now();
    // Each request leaves two rows per admin: the forwarded copy and its header.
    let rows_per_request = 2 * ctx.state.config.admin_chat_ids.len().max(1) as u64;
    let rows = db::support::forwarded_since(&ctx.state.db, ctx.chat.0, now - WINDOW).await?;
    if rows >= REQUESTS_PER_WINDOW * rows_per_request {
        info!(chat = ctx.chat.0, "payment support asked too often; not opened");
        return ctx.reply(ctx.t.get("pay-support-busy"), None).await.map(drop);
    }
    db::chats::request_support(&ctx.state.db, ctx.chat.0, now).await?;
    ctx.reply(ctx.t.pay_support(), None).await.map(drop)
}

/// Handles `msg` if it belongs to a support conversation: an admin's reply
/// to a forwarded request, or the message a `/paysupport` asked for.
/// `false` when it is none of these.
pub(super) async fn route(ctx: &Ctx<'_>, msg: &Message) -> Result<bool, BotError> {
    if ctx.admin
        && let Some(original) = msg.reply_to_message()
    {
        if let Some(user) = db::support::user_of(&ctx.state.db, ctx.chat.0, i64::from(original.id.0)).await? {
            answer(ctx, msg, user).await?;
            return Ok(true);
        }
        // A request older than retention: its thread is gone. Said so,
        // rather than taking the answer for a command or a search.
        if is_old_thread(original) {
            let days = ctx.state.config.outbox_retention.as_secs() / 86_400;
            let text = ctx.t.msg("admin-support-old", &[("days", Arg::Html(&days.to_string()))]);
            ctx.reply(text, None).await?;
            return Ok(true);
        }
    }
    if !db::chats::take_support_request(&ctx.state.db, ctx.chat.0, Utc::now() - WINDOW).await? {
        return Ok(false);
    }
    forward(ctx, msg).await?;
    Ok(true)
}

/// Whether `original` (a message an admin replied to) is one of the bot's
/// support messages: a forwarded request, or its header.
fn is_old_thread(original: &Message) -> bool {
    let from_bot = original.from.as_ref().is_some_and(|u| u.is_bot);
    let header = original.text().is_some_and(|t| HEADER_STARTS.iter().any(|start| t.starts_with(start)));
    from_bot && (header || original.forward_origin().is_some())
}

/// How a support request's header begins (as the admin's client shows it),
/// in English and in Russian.
const HEADER_STARTS: [&str; 2] = ["💬 Payment support from chat", "💬 Обращение по оплате из чата"];

/// Forwards the user's message to every admin, each followed by a header
/// (chat id, name, charge ids) that replies to it.
async fn forward(ctx: &Ctx<'_>, msg: &Message) -> Result<(), BotError> {
    let chat = ctx.chat.0;
    let charges = db::payments::charge_ids(&ctx.state.db, chat, CHARGES_SHOWN).await?;
    let who = msg
        .from
        .as_ref()
        .map(|u| match &u.username {
            Some(name) => format!("{} @{}", escape(&u.first_name), escape(name)),
            None => escape(&u.first_name),
        })
        .unwrap_or_default();
    let charges = (!charges.is_empty())
        .then(|| charges.iter().map(|c| format!("<code>{}</code>", escape(c))).collect::<Vec<_>>().join(", "));
    let mut delivered = 0;
    for &admin in &ctx.state.config.admin_chat_ids {
        let to = ChatId(admin);
        let result = async {
            // In the admin's language.
            let t = texts_of(ctx.state, admin).await?;
            let charges = charges.clone().unwrap_or_else(|| t.get("admin-support-no-charges"));
            let header = t.msg(
                "admin-support-header",
                &[("chat", Arg::Html(&chat.to_string())), ("who", Arg::Html(&who)), ("charges", Arg::Html(&charges))],
            );
            let Some(copy) = ctx.paced_to(to, ctx.bot.forward_message(to, ctx.chat, msg.id), true).await? else {
                return Ok(());
            };
            db::support::remember(&ctx.state.db, admin, i64::from(copy.id.0), chat, Utc::now()).await?;
            let head = ctx.bot.send_message(to, header).parse_mode(ParseMode::Html);
            let head = head.reply_parameters(ReplyParameters::new(copy.id).allow_sending_without_reply());
            if let Some(head) = ctx.paced_to(to, head, true).await? {
                db::support::remember(&ctx.state.db, admin, i64::from(head.id.0), chat, Utc::now()).await?;
            }
            delivered += 1;
            Ok::<_, BotError>(())
        }
        .await;
        if let Err(e) = result {
            warn!(admin, chat, error = %e, "cannot forward a support request to an admin");
        }
    }
    if delivered == 0 {
        error!(chat, "a payment support request reached no admin (ADMIN_CHAT_IDS empty or unreachable)");
        return ctx.reply(ctx.t.support_unavailable(), None).await.map(drop);
    }
    info!(chat, admins = delivered, "payment support request forwarded");
    ctx.reply(ctx.t.support_sent(), None).await.map(drop)
}

/// Sends an admin's reply back to the user: text with a header, anything
/// else (a photo, a document) copied.
async fn answer(ctx: &Ctx<'_>, msg: &Message, user: i64) -> Result<(), BotError> {
    let to = ChatId(user);
    let t = texts_of(ctx.state, user).await?;
    let sent = match msg.text() {
        Some(text) => {
            let request = ctx.bot.send_message(to, t.support_answer(text)).parse_mode(ParseMode::Html);
            ctx.paced_to(to, request, true).await.map(|m| m.is_some())
        }
        // A photo, a document…: the header first, so the user knows who
        // answers, then the admin's message as it is.
        None => {
            let head = ctx.bot.send_message(to, t.get("support-answer")).parse_mode(ParseMode::Html);
            match ctx.paced_to(to, head, true).await {
                Ok(Some(_)) => {
                    ctx.paced_to(to, ctx.bot.copy_message(to, ctx.chat, msg.id), true).await.map(|m| m.is_some())
                }
                other => other.map(|m| m.is_some()),
            }
        }
    };
    match sent {
        Ok(true) => {
            info!(admin = ctx.chat.0, chat = user, "support answer sent");
            ctx.reply(ctx.t.msg("admin-support-sent", &[("chat", Arg::Html(&user.to_string()))]), None).await.map(drop)
        }
        Ok(false) => Ok(()),
        Err(e) => {
            warn!(admin = ctx.chat.0, chat = user, error = %e, "cannot send a support answer");
            // In words: the library's error stays in the log.
            let blocked = e.to_string().contains("Forbidden");
            let why = ctx.t.get(if blocked { "support-why-blocked" } else { "support-why-failed" });
            let text = ctx.t.msg(
                "admin-support-not-delivered",
                &[("chat", Arg::Html(&user.to_string())), ("why", Arg::Html(&why))],
            );
            ctx.reply(text, None).await.map(drop)
        }
    }
}
