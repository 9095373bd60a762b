//! A fake Telegram Bot API server on 127.0.0.1.
//!
//! Routes `POST /bot<TOKEN>/<Method>` (method names matched
//! case-insensitively, as Telegram does), records every call, serves queued
//! updates to `getUpdates` (long polling, honouring `offset` and `timeout`),
//! and answers with the JSON teloxide expects. Faults are injected per method:
//! 429 with `retry_after`, 403 blocked, 400, 5xx, delays; a token other than
//! the expected one gets 401.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};
use tokio::sync::Notify;

pub const TOKEN: &str = "123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-6s";
pub const BOT_ID: i64 = 123_456_789;

/// One recorded API call.
#[derive(Debug, Clone)]
pub struct Call {
    /// Lower-cased method name, e.g. `sendmessage`.
    pub method: String,
    pub body: Value,
    pub at: Instant,
    /// Files uploaded with the call (multipart parts with a file name):
    /// the field and the bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

/// A scripted answer that replaces the normal one, once.
#[derive(Debug, Clone)]
pub enum Fault {
    RetryAfter(u32),
    Blocked,
    BadRequest(&'static str),
    /// 502 with a proxy's HTML page.
    ServerError,
    /// 500 in Telegram's own JSON (`{"ok":false,"error_code":500,…}`).
    InternalError,
    Delay(Duration),
    /// 409: another getUpdates poller, or a webhook is set.
    Conflict,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    updates: Vec<Value>,
    next_update_id: i64,
    next_message_id: i64,
    faults: HashMap<String, VecDeque<Fault>>,
    accepted_token: String,
    /// Telegram's limits, when enforced: (overall per second, per chat per second).
    limits: Option<(usize, usize)>,
    /// How long every call of a method takes to answer (a slow Telegram).
    latency: HashMap<String, Duration>,
    /// Accepted sends: (chat, when).
    sends: Vec<(i64, Instant)>,
    /// For each accepted send, whether it carried `allow_paid_broadcast`.
    paid: Vec<bool>,
    /// With paid broadcasts: the most sends per second in all (Telegram: 1,000).
    paid_limit: Option<usize>,
    /// What `getMyStarBalance` answers.
    star_balance: i64,
    /// 429s answered because a limit was exceeded.
    limit_hits: usize,
    /// Chats that blocked the bot.
    blocked: std::collections::HashSet<i64>,
    /// sendPhoto answers 400 "wrong file" when set.
    reject_photos: bool,
    /// What each chat shows now: sent messages, as edited since.
    shown: Vec<Shown>,
    /// The bot's Star transactions, in chronological order (`getStarTransactions`).
    ledger: Vec<Value>,
    /// Charge ids refunded.
    refunded: std::collections::HashSet<String>,
    /// Public channels sent to by `@name` (lower case), and the id each shows as.
    channels: HashMap<String, i64>,
    /// Channels where the bot is not an admin.
    refusing: std::collections::HashSet<String>,
}

impl Inner {
    /// The chat a `chat_id` names: a number, or a channel's `@name`.
    fn chat_of(&mut self, chat_id: &Value) -> i64 {
        match chat_id.as_str().filter(|s| s.starts_with('@')) {
            Some(name) => {
                let next = -1_001_000_000_000 - self.channels.len() as i64;
                *self.channels.entry(name.to_ascii_lowercase()).or_insert(next)
            }
            None => chat_id.as_i64().or_else(|| chat_id.as_str().and_then(|s| s.parse().ok())).unwrap_or(0),
        }
    }
}

/// A message as the user's client shows it now.
#[derive(Debug, Clone)]
pub struct Shown {
    pub chat: i64,
    pub message_id: i64,
    pub text: String,
    /// Inline buttons: (label, callback data or URL), row by row.
    pub buttons: Vec<(String, String)>,
}

fn buttons_of(body: &Value) -> Vec<(String, String)> {
    body.get("reply_markup")
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .filter_map(Value::as_array)
                .flatten()
                .map(|b| {
                    (
                        b["text"].as_str().unwrap_or_default().to_owned(),
                        b["callback_data"].as_str().or(b["url"].as_str()).unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Handle on a running fake server.
#[derive(Clone)]
pub struct FakeTelegram {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    new_update: Arc<Notify>,
}

#[derive(Clone)]
struct AppState {
    inner: Arc<Mutex<Inner>>,
    new_update: Arc<Notify>,
}

impl FakeTelegram {
    /// Starts the server on the current runtime, accepting [`TOKEN`].
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            next_update_id: 1,
            next_message_id: 1,
            star_balance: 1_000,
            accepted_token: TOKEN.to_owned(),
            ..Default::default()
        }));
        let new_update = Arc::new(Notify::new());
        let state = AppState { inner: inner.clone(), new_update: new_update.clone() };
        let app = Router::new().route("/{bot}/{method}", post(handle)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake telegram");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, inner, new_update }
    }

    /// Starts the server on its own thread and runtime, for tests that drive
    /// the real binary from synchronous code.
    pub fn start_detached() -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let fake = FakeTelegram::start().await;
                tx.send(fake).expect("send fake");
                std::future::pending::<()>().await;
            });
        });
        rx.recv().expect("fake telegram started")
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    /// Calls of one method (case-insensitive).
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        let method = method.to_lowercase();
        self.calls().into_iter().filter(|c| c.method == method).collect()
    }

    /// Makes the next calls of `method` answer with `faults`, in order.
    pub fn inject(&self, method: &str, faults: impl IntoIterator<Item = Fault>) {
        self.inner.lock().unwrap().faults.entry(method.to_lowercase()).or_default().extend(faults);
    }

    /// Every later call of `method` is answered after `delay`.
    pub fn set_latency(&self, method: &str, delay: Duration) {
        self.inner.lock().unwrap().latency.insert(method.to_lowercase(), delay);
    }

    /// Answers 429 (retry_after 1) to any send over `overall` per second in
    /// total or `per_chat` per second to one chat, as Telegram does.
    pub fn enforce_limits(&self, overall: usize, per_chat: usize) {
        self.inner.lock().unwrap().limits = Some((overall, per_chat));
    }

    /// As [`FakeTelegram::enforce_limits`] for free sends (`free` per second
    /// overall), while sends with `allow_paid_broadcast` may go up to `paid`
    /// per second in all, as Telegram allows paid broadcasts.
    pub fn enforce_paid_limits(&self, free: usize, paid: usize) {
        let mut inner = self.inner.lock().unwrap();
        inner.limits = Some((free, 1));
        inner.paid_limit = Some(paid);
    }

    /// Sets what `getMyStarBalance` answers (1,000 until set).
    pub fn set_star_balance(&self, stars: i64) {
        self.inner.lock().unwrap().star_balance = stars;
    }

    /// Accepted sends that carried `allow_paid_broadcast`: (chat, when).
    pub fn paid_sends(&self) -> Vec<(i64, Instant)> {
        let inner = self.inner.lock().unwrap();
        inner.sends.iter().zip(&inner.paid).filter(|(_, p)| **p).map(|(s, _)| *s).collect()
    }

    /// How many sends broke the enforced limits.
    pub fn limit_hits(&self) -> usize {
        self.inner.lock().unwrap().limit_hits
    }

    /// Accepted sends (chat, when), in order.
    pub fn sends(&self) -> Vec<(i64, Instant)> {
        self.inner.lock().unwrap().sends.clone()
    }

    /// The chat has blocked the bot: sends to it get 403.
    pub fn block(&self, chat_id: i64) {
        self.inner.lock().unwrap().blocked.insert(chat_id);
    }

    /// Every sendPhoto gets 400 "wrong file identifier".
    pub fn reject_photos(&self) {
        self.inner.lock().unwrap().reject_photos = true;
    }

    /// Accepts only `token` from now on; others get 401 Unauthorized.
    pub fn accept_token(&self, token: &str) {
        self.inner.lock().unwrap().accepted_token = token.to_owned();
    }

    /// A text message update as Telegram would send it (for webhook tests).
    pub fn text_update(update_id: i64, chat_id: i64, text: &str) -> Value {
        json!({
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": chrono::Utc::now().timestamp(),
                "chat": {"id": chat_id, "type": "private", "first_name": "hook"},
                "from": {"id": chat_id, "is_bot": false, "first_name": "hook", "language_code": "en"},
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": text.split(' ').next().unwrap_or(text).encode_utf16().count()}],
            }
        })
    }

    /// Queues a text message from `chat_id` that replies to the bot's
    /// message `reply_to` in that chat (an admin answering a forward).
    pub fn send_reply(&self, chat_id: i64, text: &str, reply_to: i64) {
        self.send_reply_with(chat_id, ("text", json!(text)), reply_to);
    }

    /// Queues a photo (no caption) from `chat_id` in reply to its message `reply_to`.
    pub fn send_photo_reply(&self, chat_id: i64, reply_to: i64) {
        let photo = json!([{"file_id": "photo-1", "file_unique_id": "u1", "width": 90, "height": 60}]);
        self.send_reply_with(chat_id, ("photo", photo), reply_to);
    }

    fn send_reply_with(&self, chat_id: i64, content: (&str, Value), reply_to: i64) {
        let mut inner = self.inner.lock().unwrap();
        let update_id = inner.next_update_id;
        inner.next_update_id += 1;
        let original = inner.shown.iter().find(|m| m.chat == chat_id && m.message_id == reply_to).cloned();
        let message = json!({
            "message_id": 1000 + update_id,
            "date": chrono::Utc::now().timestamp(),
            "chat": {"id": chat_id, "type": "private", "first_name": "admin"},
            "from": {"id": chat_id, "is_bot": false, "first_name": "admin", "language_code": "en"},
            content.0: content.1,
            "reply_to_message": {
                "message_id": reply_to,
                "date": chrono::Utc::now().timestamp(),
                "chat": {"id": chat_id, "type": "private", "first_name": "admin"},
                "from": {"id": BOT_ID, "is_bot": true, "first_name": "homehound", "username": "homehound_test_bot"},
                "text": original.map(|m| m.text).unwrap_or_default(),
            },
        });
        inner.updates.push(json!({"update_id": update_id, "message": message}));
        drop(inner);
        self.new_update.notify_waiters();
    }

    /// Queues a text message from user `from` in group `group` (a negative id).
    pub fn send_group_text(&self, group: i64, from: i64, text: &str) {
        self.push_text(
            json!({"id": group, "type": "group", "title": "Flat hunters"}),
            json!({"id": from, "is_bot": false, "first_name": "Member", "language_code": "en"}),
            text,
        );
    }

    /// Queues a location a private chat shares (📎 → Location).
    pub fn send_location(&self, chat_id: i64, language: &str, lat: f64, lon: f64) {
        let mut inner = self.inner.lock().unwrap();
        let update_id = inner.next_update_id;
        inner.next_update_id += 1;
        let message = json!({
            "message_id": 1000 + update_id,
            "date": chrono::Utc::now().timestamp(),
            "chat": {"id": chat_id, "type": "private", "first_name": "User"},
            "from": {"id": chat_id, "is_bot": false, "first_name": "User", "language_code": language},
            "location": {"latitude": lat, "longitude": lon},
        });
        inner.updates.push(json!({"update_id": update_id, "message": message}));
        drop(inner);
        self.new_update.notify_waiters();
    }

    /// Queues a text message from a private chat, served by `getUpdates`.
    pub fn send_text(&self, chat_id: i64, first_name: &str, language: &str, text: &str) {
        self.push_text(
            json!({"id": chat_id, "type": "private", "first_name": first_name}),
            json!({"id": chat_id, "is_bot": false, "first_name": first_name, "language_code": language}),
            text,
        );
    }

    /// Queues a text message in `chat` from `from`, marking a leading command.
    fn push_text(&self, chat: Value, from: Value, text: &str) {
        let mut inner = self.inner.lock().unwrap();
        let update_id = inner.next_update_id;
        inner.next_update_id += 1;
        let mut message = json!({
            "message_id": 1000 + update_id,
            "date": chrono::Utc::now().timestamp(),
            "chat": chat,
            "from": from,
            "text": text,
        });
        if let Some(command) = text.split_whitespace().next().filter(|c| c.starts_with('/')) {
            message["entities"] =
                json!([{"type": "bot_command", "offset": 0, "length": command.encode_utf16().count()}]);
        }
        inner.updates.push(json!({"update_id": update_id, "message": message}));
        drop(inner);
        self.new_update.notify_waiters();
    }

    /// Queues a button press on `message_id` with `data`, as a client sends
    /// it (the data may be forged: the server does not check it).
    pub fn send_callback(&self, chat_id: i64, message_id: i64, language: &str, data: &str) {
        let mut inner = self.inner.lock().unwrap();
        let update_id = inner.next_update_id;
        inner.next_update_id += 1;
        let query = json!({
            "id": format!("cb{update_id}"),
            "from": {"id": chat_id, "is_bot": false, "first_name": "user", "language_code": language},
            "message": {
                "message_id": message_id,
                "date": chrono::Utc::now().timestamp(),
                "chat": {"id": chat_id, "type": "private", "first_name": "user"},
                "from": {"id": BOT_ID, "is_bot": true, "first_name": "homehound", "username": "homehound_test_bot"},
                "text": "…",
            },
            "chat_instance": "ci",
            "data": data,
        });
        inner.updates.push(json!({"update_id": update_id, "callback_query": query}));
        drop(inner);
        self.new_update.notify_waiters();
    }

    fn push_update(&self, kind: &str, value: Value) {
        let mut inner = self.inner.lock().unwrap();
        let update_id = inner.next_update_id;
        inner.next_update_id += 1;
        inner.updates.push(json!({"update_id": update_id, kind: value}));
        drop(inner);
        self.new_update.notify_waiters();
    }

    /// Queues a pre-checkout query, as Telegram sends one when the user
    /// confirms an invoice.
    pub fn send_pre_checkout(&self, chat_id: i64, query_id: &str, currency: &str, total: u32, payload: &str) {
        self.push_update(
            "pre_checkout_query",
            json!({
                "id": query_id,
                "from": {"id": chat_id, "is_bot": false, "first_name": "payer", "language_code": "en"},
                "currency": currency,
                "total_amount": total,
                "invoice_payload": payload,
            }),
        );
    }

    /// Records an incoming Stars payment in the bot's ledger (once per charge
    /// id), as Telegram does when a user pays.
    pub fn add_star_payment(&self, chat_id: i64, amount: u32, payload: &str, charge_id: &str) {
        self.add_star_payment_at(chat_id, amount, payload, charge_id, chrono::Utc::now());
    }

    /// [`FakeTelegram::add_star_payment`] made at `at`.
    pub fn add_star_payment_at(
        &self,
        chat_id: i64,
        amount: u32,
        payload: &str,
        charge_id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) {
        let mut inner = self.inner.lock().unwrap();
        if inner.ledger.iter().any(|t| t["id"] == charge_id && t.get("source").is_some()) {
            return;
        }
        inner.ledger.push(json!({
            "id": charge_id,
            "amount": amount,
            "date": at.timestamp(),
            "source": {
                "type": "user",
                "transaction_type": "invoice_payment",
                "user": {"id": chat_id, "is_bot": false, "first_name": "payer"},
                "invoice_payload": payload,
            },
        }));
    }

    /// Charge ids refunded so far.
    pub fn refunded(&self) -> Vec<String> {
        let mut v: Vec<String> = self.inner.lock().unwrap().refunded.iter().cloned().collect();
        v.sort();
        v
    }

    /// Queues the service message of a successful payment (and records it
    /// in the ledger).
    pub fn send_successful_payment(&self, chat_id: i64, currency: &str, total: u32, payload: &str, charge_id: &str) {
        self.add_star_payment(chat_id, total, payload, charge_id);
        self.push_update(
            "message",
            json!({
                "message_id": 5000 + chat_id.rem_euclid(1000),
                "date": chrono::Utc::now().timestamp(),
                "chat": {"id": chat_id, "type": "private", "first_name": "payer"},
                "from": {"id": chat_id, "is_bot": false, "first_name": "payer", "language_code": "en"},
                "successful_payment": {
                    "currency": currency,
                    "total_amount": total,
                    "invoice_payload": payload,
                    "telegram_payment_charge_id": charge_id,
                    "provider_payment_charge_id": "",
                },
            }),
        );
    }

    /// The id the channel `@name` shows as (its posts are `shown` under it).
    pub fn channel(&self, name: &str) -> i64 {
        self.inner.lock().unwrap().chat_of(&json!(name))
    }

    /// From now on the bot is not an admin of the channel `@name`: posts to
    /// it get 400 "need administrator rights".
    pub fn refuse_channel(&self, name: &str) {
        self.inner.lock().unwrap().refusing.insert(name.to_ascii_lowercase());
    }

    /// The chat's messages as its client shows them now, oldest first.
    pub fn shown(&self, chat_id: i64) -> Vec<Shown> {
        self.inner.lock().unwrap().shown.iter().filter(|m| m.chat == chat_id).cloned().collect()
    }

    /// Presses the button labelled `label` on the newest message of the chat
    /// that has one; panics when no message shows it.
    pub fn press(&self, chat_id: i64, label: &str) {
        self.press_as(chat_id, label, "en");
    }

    /// [`Self::press`], as a client in `language`.
    pub fn press_as(&self, chat_id: i64, label: &str, language: &str) {
        let shown = self.shown(chat_id);
        let (message_id, data) = shown
            .iter()
            .rev()
            .find_map(|m| m.buttons.iter().find(|(l, _)| l == label).map(|(_, d)| (m.message_id, d.clone())))
            .unwrap_or_else(|| {
                panic!("no button {label:?}; the chat shows {:#?}", shown.iter().rev().take(2).collect::<Vec<_>>())
            });
        self.send_callback(chat_id, message_id, language, &data);
    }

    /// Presses the button labelled `label` on the newest message of the chat
    /// whose text contains `text`, as a client in `language`.
    pub fn press_on(&self, chat_id: i64, text: &str, label: &str, language: &str) {
        let shown = self.shown(chat_id);
        let (message_id, data) = shown
            .iter()
            .rev()
            .filter(|m| m.text.contains(text))
            .find_map(|m| m.buttons.iter().find(|(l, _)| l == label).map(|(_, d)| (m.message_id, d.clone())))
            .unwrap_or_else(|| panic!("no message with {text:?} and a button {label:?}; the chat shows {shown:#?}"));
        self.send_callback(chat_id, message_id, language, &data);
    }

    /// The buttons of the newest message of the chat whose text contains `text`.
    pub fn buttons_on(&self, chat_id: i64, text: &str) -> Vec<String> {
        self.shown(chat_id)
            .into_iter()
            .rev()
            .find(|m| m.text.contains(text))
            .map(|m| m.buttons.into_iter().map(|(label, _)| label).collect())
            .unwrap_or_default()
    }

    /// Waits until the chat shows a message whose text contains `text`.
    pub async fn wait_shown(&self, chat_id: i64, text: &str) -> Shown {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(m) = self.shown(chat_id).into_iter().rev().find(|m| m.text.contains(text)) {
                return m;
            }
            if Instant::now() > deadline {
                panic!("chat {chat_id} never showed {text:?}; it shows {:#?}", self.shown(chat_id));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until the chat shows a button labelled `label`.
    pub async fn wait_button(&self, chat_id: i64, label: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.shown(chat_id).iter().any(|m| m.buttons.iter().any(|(l, _)| l == label)) {
            if Instant::now() > deadline {
                panic!("chat {chat_id} never showed a button {label:?}; it shows {:#?}", self.shown(chat_id));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until `pred` holds for the calls so far, or panics after `timeout`.
    pub async fn wait_for(&self, timeout: Duration, what: &str, pred: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        let deadline = Instant::now() + timeout;
        loop {
            let calls = self.calls();
            if pred(&calls) {
                return calls;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; calls: {:?}",
                    calls.iter().map(|c| &c.method).collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn ok(result: Value) -> Response {
    (StatusCode::OK, axum::Json(json!({"ok": true, "result": result}))).into_response()
}

fn err(status: StatusCode, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({"ok": false, "error_code": status.as_u16(), "description": description});
    if let Some(p) = parameters {
        body["parameters"] = p;
    }
    (status, axum::Json(body)).into_response()
}

/// The file parts of a multipart/form-data body, byte for byte: (field
/// name, content).
fn multipart_files(content_type: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let Some(boundary) = content_type.split("boundary=").nth(1).map(|b| format!("--{}", b.trim_matches('"'))) else {
        return Vec::new();
    };
    let starts: Vec<usize> = memchr::memmem::find_iter(body, boundary.as_bytes()).collect();
    let mut files = Vec::new();
    for pair in starts.windows(2) {
        let part = &body[pair[0] + boundary.len()..pair[1]];
        let Some(split) = memchr::memmem::find(part, b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&part[..split]);
        if !head.contains("filename=") {
            continue;
        }
        let name = head.split("name=\"").nth(1).and_then(|n| n.split('"').next()).unwrap_or_default().to_owned();
        let content = &part[split + 4..];
        files.push((name, content.strip_suffix(b"\r\n").unwrap_or(content).to_vec()));
    }
    files
}

/// The fields of a multipart/form-data body as a JSON object (teloxide sends
/// sendPhoto and other file-capable methods as multipart).
fn multipart_fields(content_type: &str, body: &[u8]) -> Option<Value> {
    let boundary = content_type.split("boundary=").nth(1)?.trim_matches('"');
    let text = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in text.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else { continue };
        let Some(name) = head.split("name=\"").nth(1).and_then(|n| n.split('"').next()) else { continue };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let parsed = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
        fields.insert(name.to_owned(), parsed);
    }
    Some(Value::Object(fields))
}

async fn handle(
    State(state): State<AppState>,
    Path((bot, method)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let method = method.to_lowercase();
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let multipart = content_type.starts_with("multipart/form-data");
    let files = if multipart { multipart_files(content_type, &body) } else { Vec::new() };
    let body: Value = if multipart {
        multipart_fields(content_type, &body).unwrap_or(Value::Null)
    } else {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    };
    let (fault, latency) = {
        let mut inner = state.inner.lock().unwrap();
        if bot.strip_prefix("bot") != Some(inner.accepted_token.as_str()) {
            return err(StatusCode::UNAUTHORIZED, "Unauthorized", None);
        }
        inner.calls.push(Call { method: method.clone(), body: body.clone(), at: Instant::now(), files });
        (inner.faults.get_mut(&method).and_then(|q| q.pop_front()), inner.latency.get(&method).copied())
    };
    if let Some(delay) = latency {
        tokio::time::sleep(delay).await;
    }
    match fault {
        Some(Fault::RetryAfter(secs)) => {
            return err(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Too Many Requests: retry after {secs}"),
                Some(json!({"retry_after": secs})),
            );
        }
        Some(Fault::Blocked) => return err(StatusCode::FORBIDDEN, "Forbidden: bot was blocked by the user", None),
        Some(Fault::BadRequest(d)) => return err(StatusCode::BAD_REQUEST, d, None),
        Some(Fault::ServerError) => return (StatusCode::BAD_GATEWAY, "Bad Gateway").into_response(),
        Some(Fault::InternalError) => return err(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error", None),
        Some(Fault::Conflict) => {
            return err(
                StatusCode::CONFLICT,
                "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                None,
            );
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        None => (),
    }
    match method.as_str() {
        "getme" => ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "homehound", "username": "homehound_test_bot",
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "has_main_web_app": false,
        })),
        "getupdates" => get_updates(&state, &body).await,
        "forwardmessage" | "copymessage" => {
            let chat = body["chat_id"].as_i64().unwrap_or(0);
            let mut inner = state.inner.lock().unwrap();
            if inner.blocked.contains(&chat) {
                return err(StatusCode::FORBIDDEN, "Forbidden: bot was blocked by the user", None);
            }
            inner.sends.push((chat, Instant::now()));
            inner.paid.push(false);
            inner.next_message_id += 1;
            let id = inner.next_message_id;
            let text = format!("[{method} of message {} from chat {}]", body["message_id"], body["from_chat_id"]);
            inner.shown.push(Shown { chat, message_id: id, text: text.clone(), buttons: Vec::new() });
            if method == "copymessage" {
                return ok(json!({"message_id": id}));
            }
            ok(json!({
                "message_id": id,
                "date": chrono::Utc::now().timestamp(),
                "chat": {"id": chat, "type": "private", "first_name": "admin"},
                "from": {"id": BOT_ID, "is_bot": true, "first_name": "homehound", "username": "homehound_test_bot"},
                "text": text,
            }))
        }
        "sendmediagroup" => {
            let chat_id = body.get("chat_id").cloned().unwrap_or(json!(0));
            let media: Vec<Value> = match body.get("media") {
                Some(Value::String(s)) => serde_json::from_str(s).unwrap_or_default(),
                Some(Value::Array(a)) => a.clone(),
                _ => Vec::new(),
            };
            let mut inner = state.inner.lock().unwrap();
            let chat = inner.chat_of(&chat_id);
            if inner.blocked.contains(&chat) {
                return err(StatusCode::FORBIDDEN, "Forbidden: bot was blocked by the user", None);
            }
            if inner.reject_photos {
                return err(StatusCode::BAD_REQUEST, "Bad Request: wrong file identifier/HTTP URL specified", None);
            }
            if !(2..=10).contains(&media.len()) {
                return err(StatusCode::BAD_REQUEST, "Bad Request: wrong number of media in the album", None);
            }
            inner.sends.push((chat, Instant::now()));
            inner.paid.push(false);
            let mut messages = Vec::new();
            for item in &media {
                inner.next_message_id += 1;
                let id = inner.next_message_id;
                let url = item["media"].as_str().unwrap_or_default();
                let caption = item.get("caption").and_then(Value::as_str).unwrap_or_default();
                let text = format!("[photo {url}] {caption}").trim_end().to_owned();
                inner.shown.push(Shown { chat, message_id: id, text, buttons: Vec::new() });
                messages.push(json!({
                    "message_id": id,
                    "date": chrono::Utc::now().timestamp(),
                    "chat": {"id": chat, "type": "private", "first_name": "user"},
                    "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}],
                }));
            }
            ok(Value::Array(messages))
        }
        "editmessagereplymarkup" => {
            let chat = body["chat_id"].as_i64().unwrap_or(0);
            let id = body["message_id"].as_i64().unwrap_or(0);
            let mut inner = state.inner.lock().unwrap();
            let Some(m) = inner.shown.iter_mut().find(|m| m.chat == chat && m.message_id == id) else {
                return err(StatusCode::BAD_REQUEST, "Bad Request: message to edit not found", None);
            };
            let buttons = buttons_of(&body);
            if m.buttons == buttons {
                return err(StatusCode::BAD_REQUEST, "Bad Request: message is not modified", None);
            }
            m.buttons = buttons;
            ok(json!({
                "message_id": id,
                "date": chrono::Utc::now().timestamp(),
                "chat": {"id": chat, "type": "private", "first_name": "user"},
                "from": {"id": BOT_ID, "is_bot": true, "first_name": "homehound", "username": "homehound_test_bot"},
                "text": m.text,
            }))
        }
        "sendmessage" | "sendphoto" | "editmessagetext" | "editmessagecaption" | "sendinvoice" => {
            let chat_id = body.get("chat_id").cloned().unwrap_or(json!(0));
            let channel = chat_id.as_str().map(|s| s.to_ascii_lowercase());
            let (message_id, chat) = {
                let mut inner = state.inner.lock().unwrap();
                let chat = inner.chat_of(&chat_id);
                if channel.as_ref().is_some_and(|c| inner.refusing.contains(c)) {
                    return err(
                        StatusCode::BAD_REQUEST,
                        "Bad Request: need administrator rights in the channel chat",
                        None,
                    );
                }
                if inner.blocked.contains(&chat) {
                    return err(StatusCode::FORBIDDEN, "Forbidden: bot was blocked by the user", None);
                }
                if method == "sendphoto" && inner.reject_photos {
                    return err(StatusCode::BAD_REQUEST, "Bad Request: wrong file identifier/HTTP URL specified", None);
                }
                let paid = body.get("allow_paid_broadcast").and_then(Value::as_bool).unwrap_or(false);
                if matches!(method.as_str(), "sendmessage" | "sendphoto")
                    && let Some((overall, per_chat)) = inner.limits
                {
                    let now = Instant::now();
                    let second_ago = now - Duration::from_secs(1);
                    let recent = inner.sends.iter().zip(&inner.paid).rev().take_while(|((_, at), _)| *at > second_ago);
                    let (mut total, mut free, mut to_chat) = (0, 0, 0);
                    for ((c, _), was_paid) in recent {
                        total += 1;
                        if !was_paid {
                            free += 1;
                        }
                        if *c == chat {
                            to_chat += 1;
                        }
                    }
                    let over = match (paid, inner.paid_limit) {
                        (true, Some(limit)) => total >= limit,
                        // Without paid broadcasts every send counts against the free limit.
                        (false, Some(_)) => free >= overall,
                        (_, None) => total >= overall,
                    };
                    if over || to_chat >= per_chat {
                        inner.limit_hits += 1;
                        return err(
                            StatusCode::TOO_MANY_REQUESTS,
                            "Too Many Requests: retry after 1",
                            Some(json!({"retry_after": 1})),
                        );
                    }
                }
                if matches!(method.as_str(), "sendmessage" | "sendphoto") {
                    inner.sends.push((chat, Instant::now()));
                    inner.paid.push(paid);
                }
                let text = body.get("text").or(body.get("caption")).and_then(Value::as_str).unwrap_or_default();
                let id = if method == "editmessagetext" {
                    let id = body.get("message_id").and_then(Value::as_i64).unwrap_or(0);
                    match inner.shown.iter_mut().find(|m| m.chat == chat && m.message_id == id) {
                        Some(m) => {
                            m.text = text.to_owned();
                            m.buttons = buttons_of(&body);
                        }
                        None => return err(StatusCode::BAD_REQUEST, "Bad Request: message to edit not found", None),
                    }
                    id
                } else {
                    inner.next_message_id += 1;
                    let id = inner.next_message_id;
                    inner.shown.push(Shown { chat, message_id: id, text: text.to_owned(), buttons: buttons_of(&body) });
                    id
                };
                (id, chat)
            };
            let chat_json = match &channel {
                Some(name) => {
                    json!({"id": chat, "type": "channel", "title": name, "username": name.trim_start_matches('@')})
                }
                None => json!({"id": chat, "type": "private", "first_name": "user"}),
            };
            let mut message = json!({
                "message_id": message_id,
                "date": chrono::Utc::now().timestamp(),
                "chat": chat_json,
                "from": {"id": BOT_ID, "is_bot": true, "first_name": "homehound", "username": "homehound_test_bot"},
            });
            if let Some(text) = body.get("text") {
                message["text"] = text.clone();
            }
            if let Some(caption) = body.get("caption") {
                message["caption"] = caption.clone();
                message["photo"] = json!([{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]);
            }
            ok(message)
        }
        "getwebhookinfo" => ok(json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0})),
        "getmystarbalance" => {
            let stars = state.inner.lock().unwrap().star_balance;
            ok(json!({ "amount": stars }))
        }
        "getstartransactions" => {
            let offset = body.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
            let limit = body.get("limit").and_then(Value::as_u64).unwrap_or(100).clamp(1, 100) as usize;
            let inner = state.inner.lock().unwrap();
            let page: Vec<Value> = inner.ledger.iter().skip(offset).take(limit).cloned().collect();
            ok(json!({ "transactions": page }))
        }
        "refundstarpayment" => {
            let charge = body["telegram_payment_charge_id"].as_str().unwrap_or_default().to_owned();
            let mut inner = state.inner.lock().unwrap();
            let Some(paid) = inner.ledger.iter().find(|t| t["id"] == charge.as_str() && t.get("source").is_some())
            else {
                return err(StatusCode::BAD_REQUEST, "Bad Request: CHARGE_NOT_FOUND", None);
            };
            let (amount, user) = (paid["amount"].clone(), paid["source"]["user"].clone());
            if !inner.refunded.insert(charge.clone()) {
                return err(StatusCode::BAD_REQUEST, "Bad Request: CHARGE_ALREADY_REFUNDED", None);
            }
            inner.ledger.push(json!({
                "id": charge,
                "amount": amount,
                "date": chrono::Utc::now().timestamp(),
                "receiver": {"type": "user", "transaction_type": "invoice_payment", "user": user},
            }));
            ok(json!(true))
        }
        _ => ok(json!(true)),
    }
}

async fn get_updates(state: &AppState, body: &Value) -> Response {
    let offset = body.get("offset").and_then(Value::as_i64).unwrap_or(0);
    let timeout = body.get("timeout").and_then(Value::as_u64).unwrap_or(0).min(30);
    let deadline = Instant::now() + Duration::from_secs(timeout);
    loop {
        let notified = state.new_update.notified();
        let pending: Vec<Value> = {
            let mut inner = state.inner.lock().unwrap();
            // Confirmed updates (below offset) are forgotten, as Telegram does.
            inner.updates.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            inner.updates.clone()
        };
        if !pending.is_empty() || Instant::now() >= deadline {
            return ok(Value::Array(pending));
        }
        let _ = tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), notified).await;
    }
}
