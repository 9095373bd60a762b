//! Test support shared by every integration test: a fake Telegram Bot API,
//! a fake listing site, a database per test, the real binary, and the app's
//! components started in-process.

#![allow(dead_code)]

pub mod db;
pub mod process;
pub mod site;
pub mod telegram;

use std::{
    collections::HashMap,
    io::Write,
    sync::{Arc, LazyLock, Mutex},
};

use homehound::{
    app::{self, AppExit, Components, Running},
    config::Config,
    shutdown::Shutdown,
};

/// Configuration for a test: the fake Telegram server, a test database, and
/// `overrides` on top.
pub fn config(database_url: &str, telegram_url: &str, overrides: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("TELEGRAM_BOT_TOKEN".to_owned(), telegram::TOKEN.to_owned()),
        ("TELEGRAM_API_URL".to_owned(), telegram_url.to_owned()),
        ("DATABASE_URL".to_owned(), database_url.to_owned()),
    ]);
    for (k, v) in overrides {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Config::from_lookup(|k| vars.get(k).cloned()).expect("test config is valid")
}

/// The three component threads, started in-process against test fakes.
pub struct TestApp {
    pub running: Option<Running>,
    pub shutdown: Shutdown,
}

impl TestApp {
    /// Migrates `config`'s database, then starts `components`.
    pub async fn start(config: Config, components: Components) -> Self {
        init_logs();
        let db = homehound::db::connect(&config.database_url, homehound::db::PoolRole::Admin).await.expect("connect");
        homehound::db::migrate(&db).await.expect("migrate");
        let _ = db.close().await;
        let shutdown = Shutdown::new();
        let running = app::start(Arc::new(config), shutdown.clone(), components).expect("start app");
        Self { running: Some(running), shutdown }
    }

    pub fn health(&self) -> Arc<homehound::health::Health> {
        self.running.as_ref().expect("running").health.clone()
    }

    /// Triggers shutdown and joins the threads (off the async runtime).
    pub async fn stop(mut self) -> AppExit {
        self.shutdown.trigger();
        let running = self.running.take().expect("running");
        tokio::task::spawn_blocking(move || running.join()).await.expect("join")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.trigger();
        if let Some(running) = self.running.take() {
            running.join();
        }
    }
}

/// Everything the in-process components logged (at debug level, with the
/// same caps on HTTP crates as production), for leak checks.
pub static LOGS: LazyLock<Arc<Mutex<Vec<u8>>>> = LazyLock::new(Default::default);

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = std::io::stderr().write_all(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the test subscriber once (silent unless `TEST_LOG` is set).
pub fn init_logs() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let filter = homehound::telemetry::filter("debug");
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(|| LogWriter).with_ansi(false).try_init();
    });
}

/// Asserts that neither the token nor its secret half appear in `text`.
pub fn assert_no_token(text: &str) {
    let secret = telegram::TOKEN.split_once(':').map(|(_, s)| s).unwrap_or(telegram::TOKEN);
    assert!(!text.contains(secret), "the bot token leaked into output:\n{text}");
}

/// Asserts the token never appeared in any in-process log line so far.
pub fn assert_no_token_in_logs() {
    let logs = String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned();
    assert_no_token(&logs);
}

/// Held by the tests that measure sending against Telegram's rate limits,
/// so they run one at a time: two of them at once starve each other's
/// sender of CPU, and requests bunched by a stall reach the fake closer
/// together than they left the gate.
pub async fn rate_measurement() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// A scraped listing of source "s": "Flat ID" at `price` EUR a month, 2
/// rooms, 50 m², in Mitte, no photo; tests change what they need.
pub fn flat(id: &str, price: i64) -> homehound::listing::Listing {
    homehound::listing::Listing {
        source: "s".into(),
        id: id.into(),
        url: format!("https://site.example/{id}"),
        title: format!("Flat {id}"),
        title_is_fallback: false,
        price: Some(price as f64),
        currency: Some("EUR".into()),
        period: Some(homehound::listing::Period::Month),
        monthly_price: Some(price),
        rooms: Some(2.0),
        area_m2: Some(50.0),
        district: Some("Mitte".into()),
        photo: None,
        photos: Vec::new(),
        description: None,
        furnished: None,
        phone: None,
        lat: None,
        lon: None,
    }
}

/// Waits until `cond` holds, or panics after `timeout` naming `what`.
pub async fn wait_until(timeout: std::time::Duration, what: &str, cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A component that only reports ready and waits for shutdown.
pub fn idle() -> homehound::component::ComponentFn {
    Arc::new(|ctx| {
        Box::pin(async move {
            ctx.ready();
            ctx.shutdown.wait().await;
            Ok(())
        })
    })
}

/// The real expiry thread with idle bot and scraper threads (nothing sent).
pub fn expiry_only() -> Components {
    Components { scraper: idle(), bot: idle(), ..Components::default() }
}

/// The real bot thread with idle scraper and expiry threads.
pub fn bot_only() -> Components {
    Components { scraper: idle(), expiry: idle(), ..Components::default() }
}
