//! The Telegram bot thread: long polling, commands, chat registration.
//!
//! Shutdown goes through teloxide's `ShutdownToken`, never its own Ctrl-C
//! handler (`ctrlc` owns the signals): on shutdown the dispatcher stops
//! polling, confirms the updates it processed to Telegram and waits for the
//! handlers in flight, so no update is lost or handled twice.

mod admin;
mod alerts;
mod balance;
mod ctx;
mod handlers;
mod market;
mod payments;
mod share;
mod status;
mod support;
pub mod wizard;

pub use handlers::decode_base64url;

use std::{sync::Arc, time::Duration};

use teloxide::{
    ApiError, RequestError,
    dispatching::{Dispatcher, UpdateHandler},
    error_handlers::LoggingErrorHandler,
    prelude::*,
    types::{BotCommand, BotCommandScope, Me, Recipient},
    update_listeners::{Polling, webhooks},
};
use tokio::sync::Notify;
use tracing::{info, warn};

use crate::{
    component::{ComponentCtx, ComponentError, ComponentResult},
    config::Config,
    delivery::{Shared, sender},
    shutdown::AbortOnDrop,
    texts,
};

/// How long the outbox sender may take, after shutdown, to finish the sends
/// Telegram is answering and record them (so nothing is sent twice after a
/// restart); the process still exits within 3 s.
const SENDER_STOP: Duration = Duration::from_millis(2200);

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
    #[error("{0} timed out")]
    Timeout(&'static str),
    #[error("{0}")]
    Internal(String),
}

/// State shared by the handlers of this thread.
pub(crate) struct BotState {
    config: Arc<Config>,
    db: sea_orm::DatabaseConnection,
    /// Payments and refunds: synced to disk at every commit on SQLite.
    money_db: sea_orm::DatabaseConnection,
    shared: Arc<Shared>,
    shutdown: crate::shutdown::Shutdown,
    /// The bot's own username (from `getMe`), to tell its commands in a
    /// group from another bot's.
    username: String,
    /// One chat's button presses are handled one at a time (a press of
    /// chat `c` takes lock `c mod BUTTON_LOCKS`), apart from its messages.
    buttons: Vec<tokio::sync::Mutex<()>>,
    /// Listing pages asked "❓ Still there?" (one request per host at a
    /// time, a second apart; bounded size and time): built at the first ask.
    pages: tokio::sync::OnceCell<crate::scraper::fetch::Fetcher>,
}

/// Locks over the chats' button presses (striped: bounded memory however
/// many chats press at once).
const BUTTON_LOCKS: usize = 256;

impl BotState {
    /// The lock the presses of `chat` are handled under.
    pub(crate) fn button_lock(&self, chat: i64) -> &tokio::sync::Mutex<()> {
        &self.buttons[chat.rem_euclid(BUTTON_LOCKS as i64) as usize]
    }
}

/// Which updates are handled one after another: a chat's messages, in
/// order. Button presses (and payment queries) are not queued behind the
/// chat's messages, so their spinner is answered within
/// `CALLBACK_ANSWER` of the press however many replies the chat is
/// waiting for; a chat's presses are still taken one at a time
/// ([`BotState::button_lock`]).
fn lane(update: &Update) -> Option<ChatId> {
    match update.kind {
        teloxide::types::UpdateKind::CallbackQuery(_) | teloxide::types::UpdateKind::PreCheckoutQuery(_) => None,
        _ => update.chat().map(|c| c.id),
    }
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
    let me_as_sender = sender::Identity {
        owner,
        bot_username: me.username().to_owned(),
        admins: ctx.config.admin_chat_ids.clone(),
        give_up: ctx.config.send_give_up,
    };
    let sender =
        tokio::spawn(sender::run(bot.clone(), ctx.db.clone(), ctx.shared.clone(), ctx.shutdown.clone(), me_as_sender));
    let mut sender_guard = AbortOnDrop(sender);

    let bot_for_commands = bot.clone();
    let money_db = match ctx.db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => crate::db::connect(&ctx.config.database_url, crate::db::PoolRole::Money)
            .await
            .map_err(|e| ComponentError::Transient(anyhow::anyhow!("cannot open the payments connection: {e}")))?,
        _ => ctx.db.clone(),
    };
    let state = Arc::new(BotState {
        config: ctx.config.clone(),
        db: ctx.db.clone(),
        money_db,
        shared: ctx.shared.clone(),
        shutdown: ctx.shutdown.clone(),
        username: me.username().to_owned(),
        buttons: (0..BUTTON_LOCKS).map(|_| tokio::sync::Mutex::new(())).collect(),
        pages: tokio::sync::OnceCell::new(),
    });
    // Payments Telegram has and the database lacks, and refunds left
    // half-done, at start and every hour.
    let _ledger = AbortOnDrop(tokio::spawn(payments::reconcile_loop(bot.clone(), state.clone())));
    let _balance =
        ctx.config.paid_broadcast.then(|| AbortOnDrop(tokio::spawn(balance::watch(bot.clone(), state.clone()))));
    let mut dispatcher = Dispatcher::builder(bot.clone(), schema())
        .dependencies(dptree::deps![state])
        .default_handler(|_| async {})
        .distribution_function(lane)
        .error_handler(LoggingErrorHandler::with_custom_text("a bot handler failed"))
        .build();
    let stop = dispatcher.shutdown_token();
    register_commands(&bot_for_commands, &ctx.config).await;

    let result = match ctx.config.webhook.clone() {
        None => {
            // Only one process may poll a token: Telegram answers a second
            // poller (or a poller while a webhook is set) with 409 Conflict.
            let conflict = Arc::new(Notify::new());
            let on_error = {
                let (conflict, token) = (conflict.clone(), ctx.config.telegram_token.clone());
                Arc::new(move |e: RequestError| {
                    let (conflict, token) = (conflict.clone(), token.clone());
                    async move {
                        if is_conflict(&e) {
                            conflict.notify_one();
                        } else {
                            warn!(error = %token.scrub(&e.to_string()), "polling for updates failed");
                        }
                    }
                })
            };
            let listener = Polling::builder(bot)
                .timeout(POLL_TIMEOUT)
                .backoff_strategy(|errors| Duration::from_secs(1u64 << errors.min(6)))
                .build();
            ctx.ready();
            let dispatch = dispatcher.try_dispatch_with_listener(listener, on_error);
            drive(dispatch, stop, &ctx, Some(conflict)).await
        }
        Some(hook) => {
            let secret = webhook_secret(&ctx.config.telegram_token);
            let tcp = tokio::net::TcpListener::bind(hook.addr)
                .await
                .map_err(|e| ComponentError::Fatal(format!("WEBHOOK_ADDR {}: cannot listen: {e}", hook.addr)))?;
            // Every replica sets the same URL and secret; none deletes the
            // webhook when it stops (the others still serve it).
            let set = bot.set_webhook(hook.url.clone()).secret_token(secret.clone());
            match tokio::time::timeout(GET_ME_TIMEOUT, set.send()).await {
                Ok(Ok(_)) => info!(url = %hook.url, listen = %hook.addr, "webhook set"),
                Ok(Err(e)) => {
                    return Err(ComponentError::Transient(anyhow::anyhow!(
                        "setWebhook failed: {}",
                        ctx.config.telegram_token.scrub(&e.to_string())
                    )));
                }
                Err(_) => return Err(ComponentError::Transient(anyhow::anyhow!("setWebhook timed out"))),
            }
            let options = webhooks::Options::new(hook.addr, hook.url.clone()).secret_token(secret);
            let (listener, stopped, router) = webhooks::axum_no_setup(options);
            let server_stop = ctx.shutdown.clone();
            let server = tokio::spawn(async move {
                let graceful = async move {
                    tokio::select! {
                        _ = server_stop.wait() => (),
                        _ = stopped => (),
                    }
                };
                if let Err(e) = axum::serve(tcp, router).with_graceful_shutdown(graceful).await {
                    warn!(error = %e, "webhook server failed");
                }
            });
            let _server_guard = AbortOnDrop(server);
            ctx.ready();
            let dispatch = dispatcher
                .try_dispatch_with_listener(listener, LoggingErrorHandler::with_custom_text("webhook listener failed"));
            drive(dispatch, stop, &ctx, None).await
        }
    };
    sender_guard.finish_within(SENDER_STOP).await;
    result
}

/// The secret Telegram sends with every webhook request, derived from the
/// token so every replica of one bot expects the same one without another
/// setting to share (and the token itself never travels in a header).
pub fn webhook_secret(token: &crate::secret::BotToken) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("homehound-webhook:{}", token.expose()).as_bytes());
    digest.iter().take(24).map(|b| format!("{b:02x}")).collect()
}

fn is_conflict(e: &RequestError) -> bool {
    match e {
        RequestError::Api(ApiError::TerminatedByOtherGetUpdates) => true,
        RequestError::Api(ApiError::Unknown(text)) => text.contains("Conflict"),
        _ => false,
    }
}

/// Runs the dispatcher until it ends, shutdown, or a 409 from a second poller.
async fn drive(
    dispatch: impl std::future::Future<Output = Result<(), RequestError>>,
    stop: teloxide::dispatching::ShutdownToken,
    ctx: &ComponentCtx,
    conflict: Option<Arc<Notify>>,
) -> ComponentResult {
    tokio::pin!(dispatch);
    let conflicted = async {
        match &conflict {
            Some(c) => c.notified().await,
            None => std::future::pending().await,
        }
    };
    let mut fatal = None;
    tokio::select! {
        result = &mut dispatch => return dispatch_ended(result, ctx),
        _ = ctx.shutdown.wait() => (),
        _ = conflicted => {
            fatal = Some(ComponentError::Fatal(
                "another process is polling this bot token (Telegram answered 409 Conflict). Only one process may \
                 use long polling: stop the other one, or run every replica in webhook mode \
                 (TELEGRAM_WEBHOOK_URL and WEBHOOK_ADDR)"
                    .to_owned(),
            ));
        }
    }
    // `shutdown` errs while the dispatcher is idle (still in its own getMe, or
    // already done); then there is nothing in flight and dropping it is safe.
    if stop.shutdown().is_ok() {
        match tokio::time::timeout(STOP_TIMEOUT, &mut dispatch).await {
            Ok(result) if fatal.is_none() => return dispatch_ended(result, ctx),
            Ok(_) => (),
            Err(_) => warn!("dispatcher did not stop in time"),
        }
    }
    fatal.map_or(Ok(()), Err)
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
    dptree::entry()
        .branch(Update::filter_message().endpoint(handlers::on_message))
        .branch(Update::filter_callback_query().endpoint(handlers::on_callback))
        .branch(Update::filter_pre_checkout_query().endpoint(payments::on_pre_checkout))
}

/// How long registering the command menus may take at start.
const COMMANDS_TIMEOUT: Duration = Duration::from_secs(10);

/// The command menus: users' (English, and Russian for `ru` clients) and,
/// for each admin's chat, the users' plus the admin commands. A failure is
/// logged: the bot works without menus.
async fn register_commands(bot: &Bot, config: &Config) {
    let user = |lang: texts::Lang| -> Vec<BotCommand> {
        let t = texts::Texts(lang);
        texts::USER_COMMANDS.iter().map(|c| BotCommand::new(*c, t.get(&format!("cmd-{c}")))).collect()
    };
    let admin = |lang: texts::Lang| -> Vec<BotCommand> {
        let t = texts::Texts(lang);
        let mut commands = user(lang);
        commands.extend(
            ["stats", "sources", "grant", "broadcast", "refund"]
                .iter()
                .map(|c| BotCommand::new(*c, t.get(&format!("admin-cmd-{c}")))),
        );
        commands
    };
    let register = async {
        bot.set_my_commands(user(texts::Lang::En)).await?;
        bot.set_my_commands(user(texts::Lang::Ru)).language_code("ru").await?;
        for id in &config.admin_chat_ids {
            let scope = BotCommandScope::Chat { chat_id: Recipient::Id(ChatId(*id)) };
            bot.set_my_commands(admin(texts::Lang::En)).scope(scope.clone()).await?;
            bot.set_my_commands(admin(texts::Lang::Ru)).scope(scope).language_code("ru").await?;
        }
        Ok::<_, RequestError>(())
    };
    match tokio::time::timeout(COMMANDS_TIMEOUT, register).await {
        Ok(Ok(())) => info!(admins = config.admin_chat_ids.len(), "command menus registered"),
        Ok(Err(e)) => warn!(error = %config.telegram_token.scrub(&e.to_string()), "cannot register the command menus"),
        Err(_) => warn!("registering the command menus timed out"),
    }
}
