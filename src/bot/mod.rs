//! The Telegram bot thread: long polling, commands, chat registration.
//!
//! Shutdown goes through teloxide's `ShutdownToken`, never its own Ctrl-C
//! handler (`ctrlc` owns the signals): on shutdown the dispatcher stops
//! polling, confirms the updates it processed to Telegram and waits for the
//! handlers in flight, so no update is lost or handled twice.

pub mod texts;

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use teloxide::{
    ApiError, RequestError,
    dispatching::{Dispatcher, UpdateHandler},
    error_handlers::LoggingErrorHandler,
    prelude::*,
    types::{Me, ParseMode},
    update_listeners::Polling,
};
use tracing::{info, warn};

use crate::{
    component::{ComponentCtx, ComponentError, ComponentResult},
    config::Config,
    db::{self, chats::ChatProfile},
    delivery::{Shared, sender},
};

/// Aborts the task when dropped (the sender must not outlive its bot).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Long-polling timeout asked of Telegram; the HTTP client's own timeout (17 s)
/// is longer, so a quiet poll is never cut short.
const POLL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long startup waits for `getMe` before restarting the component.
const GET_ME_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the dispatcher may take to stop after shutdown.
const STOP_TIMEOUT: Duration = Duration::from_millis(1500);

/// A bot handler failed.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("telegram request failed: {0}")]
    Telegram(#[from] RequestError),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// State shared by the handlers of this thread.
struct BotState {
    config: Arc<Config>,
    db: sea_orm::DatabaseConnection,
    shared: Arc<Shared>,
    shutdown: crate::shutdown::Shutdown,
}

/// Builds this thread's own `Bot` (one per runtime: a `Bot` used from two
/// runtimes hangs on its pooled connections).
pub fn build_bot(config: &Config) -> Bot {
    Bot::new(config.telegram_token.expose()).set_api_url(config.telegram_api_url.clone())
}

pub async fn run(ctx: ComponentCtx) -> ComponentResult {
    let bot = build_bot(&ctx.config);
    let me = check_token(&bot, &ctx).await?;
    let Some(me) = me else { return Ok(()) };
    info!(username = %me.username(), "connected to Telegram");

    // The outbox sender lives with the bot: it uses this thread's `Bot`.
    let owner = format!("pid{}-{}", std::process::id(), chrono::Utc::now().timestamp_millis());
    let sender =
        tokio::spawn(sender::run(bot.clone(), ctx.db.clone(), ctx.shared.clone(), ctx.shutdown.clone(), owner));
    let _sender_guard = AbortOnDrop(sender);

    let state = Arc::new(BotState {
        config: ctx.config.clone(),
        db: ctx.db.clone(),
        shared: ctx.shared.clone(),
        shutdown: ctx.shutdown.clone(),
    });
    let mut dispatcher = Dispatcher::builder(bot.clone(), schema())
        .dependencies(dptree::deps![state])
        .default_handler(|_| async {})
        .error_handler(LoggingErrorHandler::with_custom_text("a bot handler failed"))
        .build();
    let listener = Polling::builder(bot)
        .timeout(POLL_TIMEOUT)
        .backoff_strategy(|errors| Duration::from_secs(1u64 << errors.min(6)))
        .build();
    let stop = dispatcher.shutdown_token();
    ctx.ready();

    let dispatch = dispatcher
        .try_dispatch_with_listener(listener, LoggingErrorHandler::with_custom_text("polling for updates failed"));
    tokio::pin!(dispatch);
    tokio::select! {
        result = &mut dispatch => return dispatch_ended(result, &ctx),
        _ = ctx.shutdown.wait() => (),
    }
    // `shutdown` errs while the dispatcher is idle (still in its own getMe, or
    // already done); then there is nothing in flight and dropping it is safe.
    if stop.shutdown().is_ok() {
        match tokio::time::timeout(STOP_TIMEOUT, &mut dispatch).await {
            Ok(result) => return dispatch_ended(result, &ctx),
            Err(_) => warn!("dispatcher did not stop in time"),
        }
    }
    Ok(())
}

/// Calls `getMe`: a rejected token is fatal (restarting cannot fix it), a
/// network problem is transient. `Ok(None)` when shutdown came first.
async fn check_token(bot: &Bot, ctx: &ComponentCtx) -> Result<Option<Me>, ComponentError> {
    let result = tokio::select! {
        r = tokio::time::timeout(GET_ME_TIMEOUT, bot.get_me().send()) => r,
        _ = ctx.shutdown.wait() => return Ok(None),
    };
    match result {
        Ok(Ok(me)) => Ok(Some(me)),
        Ok(Err(RequestError::Api(ApiError::InvalidToken))) => Err(ComponentError::Fatal(
            "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized); check the token @BotFather gave you".to_owned(),
        )),
        Ok(Err(e)) => Err(ComponentError::Transient(anyhow::anyhow!(
            "cannot reach Telegram: {}",
            ctx.config.telegram_token.scrub(&e.to_string())
        ))),
        Err(_) => Err(ComponentError::Transient(anyhow::anyhow!("getMe timed out after {GET_ME_TIMEOUT:?}"))),
    }
}

fn dispatch_ended(result: Result<(), RequestError>, ctx: &ComponentCtx) -> ComponentResult {
    match result {
        Ok(()) if ctx.shutdown.is_triggered() => Ok(()),
        Ok(()) => Err(ComponentError::Transient(anyhow::anyhow!("dispatcher stopped by itself"))),
        Err(RequestError::Api(ApiError::InvalidToken)) => {
            Err(ComponentError::Fatal("Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized)".to_owned()))
        }
        Err(e) => Err(ComponentError::Transient(anyhow::anyhow!(
            "dispatcher failed: {}",
            ctx.config.telegram_token.scrub(&e.to_string())
        ))),
    }
}

fn schema() -> UpdateHandler<BotError> {
    Update::filter_message().endpoint(on_message)
}

async fn on_message(bot: Bot, msg: Message, state: Arc<BotState>) -> Result<(), BotError> {
    let Some(text) = msg.text() else { return Ok(()) };
    let command = text.split_whitespace().next().unwrap_or_default();
    // "/start@homehound_bot" addresses this bot in a group.
    let command = command.split('@').next().unwrap_or_default();
    let lang = msg.from.as_ref().and_then(|u| u.language_code.clone()).unwrap_or_else(|| "en".to_owned());
    let reply = match command {
        "/start" => {
            let profile = ChatProfile {
                id: msg.chat.id.0,
                username: msg.from.as_ref().and_then(|u| u.username.clone()),
                first_name: msg.from.as_ref().map(|u| u.first_name.clone()),
                language: lang.chars().take(16).collect(),
            };
            let registration =
                db::chats::register(&state.db, &profile, state.config.trial_duration, Utc::now()).await?;
            info!(chat = profile.id, new = registration.new, unblocked = registration.unblocked, "chat registered");
            texts::welcome(profile.first_name.as_deref(), registration.new, state.config.trial_duration)
        }
        "/help" => texts::help(),
        _ => texts::unknown(),
    };
    // Replies share the bot's one send budget with alerts and notices.
    if state.shared.gate.acquire(msg.chat.id.0, &state.shutdown).await {
        bot.send_message(msg.chat.id, reply).parse_mode(ParseMode::Html).await?;
    }
    Ok(())
}
