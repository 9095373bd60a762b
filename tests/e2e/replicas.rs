//! Several replicas of the real binary on one PostgreSQL database, in
//! webhook mode, sharing one fake Telegram server and one fake site.
//! Skipped (with a message) on SQLite, which serves one process.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use chrono::Utc;
use entity::source;
use sea_orm::{ActiveValue::Set, EntityTrait};

use crate::support::{
    db::TestDb,
    process::{Proc, free_addr},
    site::{FakeSite, Page},
    telegram::{FakeTelegram, TOKEN},
    wait_until,
};

const CHATS: i64 = 300;
/// Chats whose access ends 25 s after the start (reminders and expiry).
const ENDING: i64 = 20;

fn listing_page(ids: &[&str]) -> String {
    crate::scraper::css_page(&ids.iter().map(|id| (*id, "1000")).collect::<Vec<_>>())
}

/// 300 chats with access and a catch-all search, 20 whose access ends in
/// 25 s, and the source already seeded (its next run alerts).
async fn seed(url: &str, site_url: &str) {
    let db = homehound::db::connect(url, homehound::db::PoolRole::Admin).await.unwrap();
    homehound::db::migrate(&db).await.unwrap();
    let now = Utc::now();
    let ids: Vec<i64> = (1..=CHATS + ENDING).collect();
    crate::support::db::insert_chats_with_access(&db, &ids, |id| {
        let ends = if id > CHATS { chrono::Duration::seconds(25) } else { chrono::Duration::days(1) };
        (now - chrono::Duration::hours(1), now + ends)
    })
    .await;
    crate::support::db::insert_catch_all_searches(&db, &ids[..CHATS as usize]).await;
    let rows =
        homehound::db::sources::sync(&db, &[("agency".into(), "css".into(), site_url.into())], now).await.unwrap();
    let mut seeded: source::ActiveModel = rows[0].clone().into();
    seeded.seeded_at = Set(Some(now - chrono::Duration::hours(1)));
    source::Entity::update(seeded).exec(&db).await.unwrap();
    let _ = db.close().await;
}

struct Cluster {
    procs: Vec<Proc>,
    hooks: Vec<std::net::SocketAddr>,
    _sources: tempfile::TempDir,
}

fn start_cluster(fake: &FakeTelegram, db: &TestDb, site_url: &str, n: usize) -> Cluster {
    start_cluster_with(fake, db, site_url, n, &[])
}

fn start_cluster_with(fake: &FakeTelegram, db: &TestDb, site_url: &str, n: usize, extra: &[(&str, &str)]) -> Cluster {
    let dir = tempfile::tempdir().unwrap();
    let sources = dir.path().join("sources.toml");
    std::fs::write(
        &sources,
        format!(
            "[[sources]]\nname = \"agency\"\nkind = \"css\"\nurl = \"{site_url}\"\ninterval = \"30s\"\ncurrency = \"EUR\"\n\
             [sources.css]\ncard = \"article.listing\"\nid = \"@data-id\"\nurl = \"a.title@href\"\n\
             title = \"a.title\"\nprice = \".price\"\n"
        ),
    )
    .unwrap();
    let sources_s = sources.to_string_lossy().into_owned();
    let mut procs = Vec::new();
    let mut hooks = Vec::new();
    for _ in 0..n {
        let hook = free_addr();
        let hook_s = hook.to_string();
        let mut envs = vec![
            ("TELEGRAM_BOT_TOKEN", TOKEN),
            ("TELEGRAM_API_URL", fake.url.as_str()),
            ("DATABASE_URL", db.url.as_str()),
            ("SOURCES_FILE", sources_s.as_str()),
            ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/hook"),
            ("WEBHOOK_ADDR", hook_s.as_str()),
            ("REMINDER_OFFSETS", "20s"),
            ("EXPIRY_CHECK_INTERVAL", "1s"),
        ];
        envs.extend_from_slice(extra);
        procs.push(Proc::spawn(&["run"], &envs));
        hooks.push(hook);
    }
    for p in &procs {
        p.wait_output("homehound is running", Duration::from_secs(30));
    }
    Cluster { procs, hooks, _sources: dir }
}

/// The most sends that fell in any one-second window.
fn peak_per_second(sends: &[(i64, Instant)]) -> usize {
    let mut peak = 0;
    for (i, (_, at)) in sends.iter().enumerate() {
        let n = sends[i..].iter().take_while(|(_, t)| *t < *at + Duration::from_secs(1)).count();
        peak = peak.max(n);
    }
    peak
}

fn postgres() -> Option<TestDb> {
    if std::env::var("TEST_DATABASE_URL").ok().filter(|s| !s.is_empty()).is_none() {
        eprintln!("SKIPPED: replicas need PostgreSQL (set TEST_DATABASE_URL)");
        return None;
    }
    Some(tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(TestDb::new())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_deliver_each_alert_once_under_one_budget() {
    let _one_at_a_time = crate::support::rate_measurement().await;
    let Some(test_db) = postgres() else { return };
    let fake = FakeTelegram::start().await;
    fake.enforce_limits(30, 1);
    let site = FakeSite::start().await;
    site.set("/list", Page::Html(listing_page(&["2"])));
    seed(&test_db.url, &site.url("/list")).await;
    let started = Instant::now();
    let cluster = tokio::task::block_in_place(|| start_cluster(&fake, &test_db, &site.url("/list"), 3));

    // 300 alerts + 20 reminders + 20 expiry notices, from the one sender.
    let queued = (CHATS + 2 * ENDING) as usize;
    wait_until(Duration::from_secs(90), "every alert, reminder and notice", || fake.sends().len() >= queued).await;

    // Updates spread across the replicas: each answers the one posted to it.
    // Posted after the fan-out: a replica's direct replies use its own gate,
    // not the sender's budget (README, "Not shared"), so replies from three
    // replicas during a fan-out at the full rate could exceed it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let secret = homehound::bot::webhook_secret(&homehound::secret::BotToken::parse(TOKEN).unwrap());
    let client = reqwest::Client::new();
    for (i, hook) in cluster.hooks.iter().enumerate() {
        let update = FakeTelegram::text_update(10 + i as i64, 5000 + i as i64, "/help");
        let response = client
            .post(format!("http://{hook}/hook"))
            .header("X-Telegram-Bot-Api-Secret-Token", &secret)
            .json(&update)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    for i in 0..3 {
        fake.wait_shown(5000 + i, "alerts you to new listings").await;
    }

    let expected = queued + 3;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let elapsed = started.elapsed();
    let sends = fake.sends();
    let mut per_chat: HashMap<i64, usize> = HashMap::new();
    for (chat, _) in &sends {
        *per_chat.entry(*chat).or_insert(0) += 1;
    }
    assert_eq!(sends.len(), expected, "nothing twice");
    assert!((1..=CHATS).all(|c| per_chat.get(&c) == Some(&1)), "each alert once");
    assert!((CHATS + 1..=CHATS + ENDING).all(|c| per_chat.get(&c) == Some(&2)), "one reminder and one notice each");
    assert_eq!(fake.limit_hits(), 0, "never above Telegram's limit");
    let peak = peak_per_second(&sends);
    assert!(peak <= 26, "one budget of 25/s for all replicas: peak {peak} in one second");
    // Once per 30 s interval (±10 %) in total: three replicas each fetching
    // would show three hits at once.
    let intervals = 1 + (elapsed.as_secs_f64() / 27.0) as usize;
    let hits = site.hits_of("/list");
    assert!(hits >= 1 && hits <= intervals, "{hits} fetches in {elapsed:?}: once per interval, by one replica");
    let reminders = fake
        .calls()
        .into_iter()
        .filter(|c| c.method == "sendmessage" && c.body["text"].as_str().unwrap_or_default().contains("ends in"))
        .count();
    assert_eq!(reminders, ENDING as usize, "each reminder once");
    eprintln!(
        "figures: 3 replicas: {} messages in {elapsed:?}, peak {peak}/s, source fetched {} time(s)",
        sends.len(),
        site.hits_of("/list")
    );
    drop(cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_sending_replica_mid_fan_out_loses_nothing() {
    let Some(test_db) = postgres() else { return };
    let fake = FakeTelegram::start().await;
    let site = FakeSite::start().await;
    site.set("/list", Page::Html(listing_page(&["2"])));
    seed(&test_db.url, &site.url("/list")).await;
    let cluster = tokio::task::block_in_place(|| start_cluster(&fake, &test_db, &site.url("/list"), 3));
    wait_until(Duration::from_secs(30), "100 alerts", || fake.sends().len() >= 100).await;

    // The replica holding the sender lease dies without warning.
    let db = homehound::db::connect(&test_db.url, homehound::db::PoolRole::Admin).await.unwrap();
    let owner = homehound::db::leases::holder(&db, "sender", Utc::now()).await.unwrap().expect("a sender");
    let pid: u32 = owner.strip_prefix("pid").and_then(|o| o.split('-').next()).and_then(|p| p.parse().ok()).unwrap();
    let victim = cluster.procs.iter().position(|p| p.pid() == pid).expect("the holder is one of ours");
    let killed_at = Instant::now();
    cluster.procs[victim].signal("KILL");
    let sent_before = fake.sends().len();

    wait_until(Duration::from_secs(90), "every alert after the kill", || {
        let sends = fake.sends();
        (1..=CHATS).all(|c| sends.iter().any(|(chat, _)| *chat == c))
    })
    .await;
    let resumed = fake.sends().get(sent_before).map(|(_, at)| *at - killed_at);
    let sends = fake.sends();
    let alerts: Vec<_> = sends.iter().filter(|(c, _)| *c <= CHATS).collect();
    let duplicates = alerts.len() - CHATS as usize;
    assert!(duplicates <= 1, "at most one duplicate: {duplicates}");
    eprintln!(
        "figures: sender killed after {sent_before} sends; another replica resumed after {resumed:?}; {duplicates} duplicate(s)"
    );
    let _ = db.close().await;
    drop(cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_retry_after_mid_fan_out_repeats_no_alert() {
    use crate::support::telegram::Fault;
    let Some(test_db) = postgres() else { return };
    let fake = FakeTelegram::start().await;
    // The 60th send is answered "retry after 20 s": longer than the sender
    // lease (15 s), with every send of the holder waiting it out.
    fake.inject("sendMessage", (0..59).map(|_| Fault::Delay(Duration::ZERO)).chain([Fault::RetryAfter(20)]));
    let site = FakeSite::start().await;
    site.set("/list", Page::Html(listing_page(&["2"])));
    seed(&test_db.url, &site.url("/list")).await;
    let started = Instant::now();
    let cluster = tokio::task::block_in_place(|| start_cluster(&fake, &test_db, &site.url("/list"), 3));

    let queued = (CHATS + 2 * ENDING) as usize;
    wait_until(Duration::from_secs(150), "every alert, reminder and notice", || fake.sends().len() >= queued).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sends = fake.sends();
    let mut per_chat: HashMap<i64, usize> = HashMap::new();
    for (chat, _) in &sends {
        *per_chat.entry(*chat).or_insert(0) += 1;
    }
    let repeated: Vec<_> = per_chat.iter().filter(|(c, n)| **c <= CHATS && **n > 1).collect();
    assert!(repeated.is_empty(), "alerts sent more than once: {repeated:?}");
    assert!((1..=CHATS).all(|c| per_chat.get(&c) == Some(&1)), "each alert once");
    assert_eq!(sends.len(), queued, "nothing twice");
    let refused = fake.calls_to("sendMessage").len() - sends.len();
    assert!(refused >= 1, "the 429 was met");
    eprintln!("figures: fan-out with a 20 s retry_after: {} messages in {:?}", sends.len(), started.elapsed());
    drop(cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_tells_the_admins_of_a_low_star_balance() {
    let Some(test_db) = postgres() else { return };
    let fake = FakeTelegram::start().await;
    // Below PAID_BROADCAST_MIN_STARS (100): every replica reads it and stops
    // paying; the admins hear of it once, not once per replica.
    fake.set_star_balance(40);
    let site = FakeSite::start().await;
    site.set("/list", Page::Html(listing_page(&["2"])));
    seed(&test_db.url, &site.url("/list")).await;
    let extra = [("TELEGRAM_PAID_BROADCAST", "true"), ("TELEGRAM_RATE_LIMIT", "100"), ("ADMIN_CHAT_IDS", "424242")];
    let low = |fake: &FakeTelegram| {
        fake.shown(424242).iter().filter(|m| m.text.contains("below PAID_BROADCAST_MIN_STARS")).count()
    };
    let first = tokio::task::block_in_place(|| start_cluster_with(&fake, &test_db, &site.url("/list"), 1, &extra));
    wait_until(Duration::from_secs(30), "the admin told", || low(&fake) == 1).await;
    // A second replica reading the balance in another minute (notices of one
    // minute are one message anyway): it tells nobody.
    let minute = Utc::now().timestamp() / 60;
    while Utc::now().timestamp() / 60 == minute {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let reads = fake.calls_to("getMyStarBalance").len();
    let second = tokio::task::block_in_place(|| start_cluster_with(&fake, &test_db, &site.url("/list"), 1, &extra));
    wait_until(Duration::from_secs(30), "the second replica read the balance", || {
        fake.calls_to("getMyStarBalance").len() > reads
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(low(&fake), 1, "one notice for two replicas");
    drop((first, second));
}
