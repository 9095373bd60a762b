//! The release binary's paid fan-out: 1,000 chats matching one listing at
//! `TELEGRAM_RATE_LIMIT=500`, then 10,000 at 1,000, with
//! `TELEGRAM_PAID_BROADCAST=true`, against a fake Telegram on 127.0.0.1 that
//! counts a sliding second at arrival as Telegram does (30 free sends, 1,000
//! in all; over that, 429). Prints the time from the scrape to the last
//! accepted send, the messages per second, the Stars spent and the 429s.
//!
//! `cargo bench --bench sender` (SQLite);
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench sender`.

#[path = "../tests/support/telegram.rs"]
#[allow(dead_code)]
mod telegram;

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use chrono::Utc;
use entity::{access_period, chat, search};
use homehound::{
    db::{self, PoolRole, listings::RunResult},
    listing::{Listing, Period, Validators},
};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, EntityTrait};

fn main() {
    for (chats, limit) in [(1_000, "500"), (10_000, "1000")] {
        fan_out(chats, limit);
    }
}

fn fan_out(chats: i64, limit: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let fake = telegram::FakeTelegram::start_detached();
    fake.enforce_paid_limits(30, 1_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, schema) = match std::env::var("BENCH_DATABASE_URL").ok().filter(|s| !s.is_empty()) {
        Some(server) => {
            let schema = format!("bench_sender_{}_{chats}", std::process::id());
            rt.block_on(async {
                let admin = Database::connect(&server).await.expect("connect");
                admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.expect("schema");
            });
            let sep = if server.contains('?') { '&' } else { '?' };
            (format!("{server}{sep}options=-c%20search_path%3D{schema}"), Some((server, schema)))
        }
        None => (format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()), None),
    };
    let (db, source) = rt.block_on(async {
        let db = db::connect(&url, PoolRole::Admin).await.expect("connect");
        db::migrate(&db).await.expect("migrate");
        let now = Utc::now();
        for chunk in (1..=chats).collect::<Vec<_>>().chunks(1_000) {
            let chats = chunk.iter().map(|&id| chat::ActiveModel {
                id: Set(id),
                language: Set("en".into()),
                paused: Set(false),
                blocked: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
            chat::Entity::insert_many(chats).exec_without_returning(&db).await.expect("chats");
            let periods = chunk.iter().map(|&id| access_period::ActiveModel {
                chat_id: Set(id),
                kind: Set("trial".into()),
                starts_at: Set(now - chrono::Duration::hours(1)),
                ends_at: Set(now + chrono::Duration::days(3)),
                status: Set("active".into()),
                created_at: Set(now),
                ..Default::default()
            });
            access_period::Entity::insert_many(periods).exec_without_returning(&db).await.expect("periods");
            let searches = chunk.iter().map(|&id| search::ActiveModel {
                chat_id: Set(id),
                paused: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
            search::Entity::insert_many(searches).exec_without_returning(&db).await.expect("searches");
        }
        let rows = db::sources::sync(&db, &[("s".into(), "css".into(), "https://s.example/".into())], now)
            .await
            .expect("source");
        let seed = RunResult::Listings { listings: vec![], validators: Validators::default() };
        db::listings::record_run(&db, rows[0].id, now, &seed, &homehound::scraper::run_policy(3, &[]), now)
            .await
            .expect("seed");
        (db, rows[0].id)
    });

    let mut child = Command::new(env!("CARGO_BIN_EXE_homehound"))
        .current_dir(dir.path())
        .env("TELEGRAM_BOT_TOKEN", telegram::TOKEN)
        .env("TELEGRAM_API_URL", &fake.url)
        .env("DATABASE_URL", &url)
        .env("TELEGRAM_PAID_BROADCAST", "true")
        .env("TELEGRAM_RATE_LIMIT", limit)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn homehound");
    let started = Instant::now();
    while fake.calls_to("getMyStarBalance").is_empty() {
        assert!(started.elapsed() < Duration::from_secs(30), "the bot never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(500));

    let listing = Listing {
        source: "s".into(),
        id: "fan-out".into(),
        url: "https://s.example/fan-out".into(),
        title: "Flat for everyone".into(),
        title_is_fallback: false,
        price: Some(1200.0),
        currency: Some("EUR".into()),
        period: Some(Period::Month),
        monthly_price: Some(1200),
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
    };
    let scraped = Instant::now();
    let queued = rt.block_on(async {
        let result = RunResult::Listings { listings: vec![listing], validators: Validators::default() };
        let policy = homehound::scraper::run_policy(3, &[]);
        db::listings::record_run(&db, source, Utc::now(), &result, &policy, Utc::now())
            .await
            .expect("run")
            .alerts_queued
    });
    let stored = scraped.elapsed();
    while fake.sends().len() < chats as usize {
        assert!(scraped.elapsed() < Duration::from_secs(120), "only {} sent", fake.sends().len());
        std::thread::sleep(Duration::from_millis(5));
    }
    let sends = fake.sends();
    let first = sends.first().map(|(_, at)| *at).unwrap_or(scraped);
    let last = sends.last().map(|(_, at)| *at).unwrap_or(scraped);
    let sending = last - first;
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let _ = child.wait();
    let paid = fake.paid_sends().len();
    println!(
        "sender ({}): {chats} chats at limit {limit}: {queued} alerts queued in {stored:.2?}; the last accepted \
         {:.2?} after the scrape; {:.0} messages/s from first to last send; {paid} paid ({:.1} Stars); {} × 429",
        db.get_database_backend().as_str(),
        last - scraped,
        (sends.len() - 1) as f64 / sending.as_secs_f64(),
        paid as f64 / 10.0,
        fake.limit_hits()
    );
    if let Some((server, schema)) = schema {
        rt.block_on(async {
            let admin = Database::connect(&server).await.expect("connect");
            let _ = admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
        });
    }
}
