//! One update's context ([`Ctx`]): who asked, in which language, whether
//! an admin, and how replies and edits go out (paced, retried after a 429).
//! Every handler module uses it; it imports none of them.

use chrono::Utc;
use teloxide::{
    ApiError, RequestError,
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, MessageId, ParseMode, User},
};
use tracing::{info, warn};

use super::{BotError, BotState, wizard::Keyboard};
use crate::{
    db::{self, chats::ChatProfile},
    texts::{Lang, Texts},
};

/// How often a reply is tried when Telegram answers 429 (each after its
/// `retry_after`); then the handler fails and the log names the chat.
pub(super) const REPLY_ATTEMPTS: u32 = 5;

/// How long a button press waits for its handler before the spinner is
/// stopped anyway.
pub(super) const CALLBACK_ANSWER: std::time::Duration = std::time::Duration::from_millis(300);

/// One update's context: who asked, in which language, whether an admin.
pub(super) struct Ctx<'a> {
    pub bot: &'a Bot,
    pub state: &'a BotState,
    pub chat: ChatId,
    pub t: Texts,
    pub admin: bool,
}

pub(super) fn markup(rows: &Keyboard) -> InlineKeyboardMarkup {
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
            let Some(permit) = gate.acquire_reply(per_chat.then_some(chat.0), &self.state.shutdown).await else {
                return Ok(None);
            };
            let answer = request.send_ref().await;
            drop(permit);
            match answer {
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

    /// Whether the chat has access now (a trial, a paid or granted period).
    pub(super) async fn has_access(&self) -> Result<bool, BotError> {
        let access = db::chats::access(&self.state.db, self.chat.0, Utc::now()).await?;
        Ok(matches!(access, db::chats::Access::Active { .. }))
    }

    pub(super) fn sources(&self) -> Vec<String> {
        self.state.config.sources.iter().map(|s| s.name.clone()).collect()
    }
}

/// The chat's profile from the user who wrote.
pub(super) fn profile(chat: ChatId, user: Option<&User>) -> ChatProfile {
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

/// The language and time zone of a chat that is not the one writing (an
/// admin's answer, a notice), from one read of its row: its stored language
/// (English when unknown) and the zone it set with /timezone, else one
/// from its language (Moscow for Russian), else UTC.
pub(super) async fn reader_of(state: &BotState, chat: i64) -> Result<(Texts, chrono_tz::Tz), BotError> {
    Ok(match db::chats::get(&state.db, chat).await? {
        Some(c) => (Texts(Lang::of_chat(&c.language)), crate::quiet::zone(c.timezone.as_deref(), &c.language)),
        None => (Texts(Lang::En), chrono_tz::UTC),
    })
}

/// The time zone `chat` reads times in ([`reader_of`]).
pub(super) async fn zone_of(state: &BotState, chat: i64) -> Result<chrono_tz::Tz, BotError> {
    Ok(reader_of(state, chat).await?.1)
}

impl Ctx<'_> {
    /// The time zone of the chat writing ([`zone_of`]).
    pub(super) async fn zone(&self) -> Result<chrono_tz::Tz, BotError> {
        zone_of(self.state, self.chat.0).await
    }
}

/// The texts of a chat that is not the one writing ([`reader_of`]).
pub(super) async fn texts_of(state: &BotState, chat: i64) -> Result<Texts, BotError> {
    Ok(reader_of(state, chat).await?.0)
}

/// Tells the user something went wrong, unless Telegram is refusing sends
/// right now (the apology would be refused as well, and prolong the wait).
pub(super) async fn apologize(ctx: &Ctx<'_>, error: &BotError) {
    if matches!(error, BotError::Telegram(RequestError::RetryAfter(_))) || ctx.state.shared.gate.is_frozen() {
        return;
    }
    let _ = ctx.reply(ctx.t.internal_error(), None).await;
}

/// Callback notices are plain text: drop the HTML tags and entities.
pub(super) fn strip_tags(html: &str) -> String {
    crate::texts::plain(html)
}

/// A search's number as typed after a command (`3` or `#3`): `None` when
/// nothing was typed, else the text and the number it reads as.
pub(super) fn search_arg(args: &str) -> Option<(&str, Option<i64>)> {
    let arg = args.trim().trim_start_matches('#');
    (!arg.is_empty()).then(|| (arg, arg.parse().ok()))
}

/// "No search #…" naming (the start of) what was typed.
pub(super) fn not_found(ctx: &Ctx<'_>, arg: &str) -> String {
    ctx.t.not_found(arg.get(..arg.len().min(20)).unwrap_or(arg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn notices_are_plain_text() {
        assert_eq!(strip_tags("<b>#3</b> &lt;x&gt; &amp; y"), "#3 <x> & y");
    }
}
