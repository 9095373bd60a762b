//! Reply latency of `/searches` for chats with 50 saved searches each, 100
//! chats asking at once, against the fake Telegram Bot API on 127.0.0.1:
//! from the moment the update is queued for `getUpdates` to the moment the
//! reply reaches the fake server.
//!
//! `cargo bench --bench bot` prints p50/p95/max, on SQLite and, when
//! `TEST_DATABASE_URL` is set, on PostgreSQL; once with the send budget out
//! of the way (TELEGRAM_RATE_LIMIT=1000: the bot's own work) and once at the
//! default 25 messages/s (what users meet when they all ask in one second).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use homehound::{
    db::{self, PoolRole, chats::ChatProfile},
    search::syntax,
};
use support::{TestApp, bot_only, config, db::TestDb, telegram::FakeTelegram};

const CHATS: i64 = 100;
const SEARCHES: usize = 50;
const ROUNDS: usize = 5;

async fn seed(url: &str) {
    let db = db::connect(url, PoolRole::Admin).await.expect("connect");
    db::migrate(&db).await.expect("migrate");
    let now = Utc::now();
    for chat in 0..CHATS {
        let profile =
            ChatProfile { id: 10_000 + chat, username: None, first_name: Some("B".into()), language: "en".into() };
        db::chats::register(&db, &profile, Duration::from_secs(86_400), now).await.expect("register");
        for i in 0..SEARCHES {
            let line = format!(
                "price={}-{} rooms=1,2,4+ area={}- district=\"Prenzlauer Berg\",Mitte,Kreuzberg furnished=yes exclude=WBS,Tausch",
                500 + i,
                1500 + i * 10,
                20 + i
            );
            let filter = syntax::parse(&line, &[]).expect("valid line");
            db::searches::create(&db, 10_000 + chat, &filter, now).await.expect("create");
        }
    }
    let _ = db.close().await;
}

async fn measure(label: &str, rate: &str) {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    seed(&test_db.url).await;
    let cfg = config(&test_db.url, &fake.url, &[("TELEGRAM_RATE_LIMIT", rate)]);
    let app = TestApp::start(cfg, bot_only()).await;
    let mut latencies = Vec::new();
    for round in 0..ROUNDS {
        let before = fake.calls_to("sendMessage").len();
        let mut asked = Vec::new();
        for chat in 0..CHATS {
            fake.send_text(10_000 + chat, "B", "en", "/searches");
            asked.push((10_000 + chat, Instant::now()));
        }
        let calls = fake
            .wait_for(Duration::from_secs(120), "every reply", |calls| {
                calls.iter().filter(|c| c.method == "sendmessage").count() >= before + CHATS as usize
            })
            .await;
        let replies: Vec<_> = calls.iter().filter(|c| c.method == "sendmessage").skip(before).collect();
        for (chat, at) in &asked {
            let reply = replies.iter().find(|c| c.body["chat_id"] == *chat).expect("a reply per chat");
            assert!(reply.body["text"].as_str().unwrap_or_default().contains("Your searches</b> (50)"));
            latencies.push(reply.at - *at);
        }
        if round == 0 {
            // The first round warms the pools and caches; it is kept, and shown.
            let mut first: Vec<_> = latencies.clone();
            first.sort();
            eprintln!("  first round p95 {:?}", first[first.len() * 95 / 100]);
        }
    }
    latencies.sort();
    let q = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    println!(
        "{label:<10} limit {rate:>4}/s: /searches (50 searches, page of 10) x {CHATS} chats at once x {ROUNDS} rounds: \
         p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        q(50).as_secs_f64() * 1000.0,
        q(95).as_secs_f64() * 1000.0,
        latencies.last().unwrap().as_secs_f64() * 1000.0
    );
    let _ = app.stop().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let pg = std::env::var("TEST_DATABASE_URL").ok().filter(|s| !s.is_empty());
    // SQLite first (TestDb::new picks PostgreSQL when the variable is set).
    // SAFETY: no other thread reads the environment at this point.
    unsafe { std::env::remove_var("TEST_DATABASE_URL") };
    measure("sqlite", "1000").await;
    measure("sqlite", "25").await;
    if let Some(url) = pg {
        unsafe { std::env::set_var("TEST_DATABASE_URL", url) };
        measure("postgres", "1000").await;
        measure("postgres", "25").await;
    }
}
