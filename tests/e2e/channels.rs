//! Channels of the sources file and shared searches: the real bot thread
//! (with its sender) against the fake Telegram, listings recorded as the
//! scraper records a run, with the scraper's channel policy.

use std::time::Duration;

use chrono::Utc;
use homehound::{
    config::Config,
    db::listings::{RunPolicy, RunResult},
    db::{self, PoolRole},
    listing::{Listing, Validators},
};
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::support::{TestApp, bot_only, config, db::TestDb, telegram::FakeTelegram};

const USER: i64 = 601;
const FRIEND: i64 = 602;
const STRANGER: i64 = 611;
const ADMIN: i64 = 900;
const CHANNEL: &str = "@flats_test";

fn flat(id: &str, price: i64, rooms: f64) -> Listing {
    Listing { rooms: Some(rooms), ..crate::support::flat(id, price) }
}

/// A sources file with source "s" and, when `channel`, the channel
/// `@flats_test` taking its flats up to 1,500 a month with 1 to 3 rooms.
fn app_config(test_db: &TestDb, fake: &FakeTelegram, dir: &tempfile::TempDir, channel: bool, extra: &str) -> Config {
    let file = dir.path().join("sources.toml");
    let mut text =
        format!("[[sources]]\nname = \"s\"\nkind = \"wg-gesucht\"\nurl = \"https://site.example/\"\n{extra}\n");
    if channel {
        text.push_str(&format!(
            "[[channels]]\nchat = \"{CHANNEL}\"\nsources = [\"s\"]\nfilter = \"price=-1500 rooms=1-3\"\n"
        ));
    }
    std::fs::write(&file, text).unwrap();
    let file = file.to_string_lossy().into_owned();
    let mut config = config(
        &test_db.url,
        &fake.url,
        &[("SOURCES_FILE", file.as_str()), ("ADMIN_CHAT_IDS", "900"), ("TRIAL_DURATION", "3d")],
    );
    config.load_sources().expect("the sources file is valid");
    config
}

/// Records a run of source "s" as the scraper does, channels included.
pub(crate) async fn run(
    db: &DatabaseConnection,
    config: &Config,
    source_id: i64,
    listings: &[Listing],
) -> db::listings::RunReport {
    let posts =
        |source: &str, new: &[(i64, &Listing)]| homehound::scraper::channels::posts(&config.channels, source, new);
    let policy = RunPolicy { channel_posts: Some(&posts), ..homehound::scraper::run_policy(3, &[]) };
    let result = RunResult::Listings { listings: listings.to_vec(), validators: Validators::default() };
    db::listings::record_run(db, source_id, Utc::now(), &result, &policy, Utc::now()).await.unwrap()
}

/// The bot thread on a fresh database, the source and channels recorded as
/// the scraper records them at start.
pub(crate) async fn setup(channel: bool) -> Setup {
    setup_with(channel, "").await
}

/// What [`setup`] starts: the fake Telegram, the database, the sources
/// file's folder, the configuration, the bot thread, a connection and the
/// id of source "s".
pub(crate) type Setup = (FakeTelegram, TestDb, tempfile::TempDir, Config, TestApp, DatabaseConnection, i64);

/// [`setup`], with lines `extra` in source "s"'s table of the sources file.
pub(crate) async fn setup_with(channel: bool, extra: &str) -> Setup {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let config = app_config(&test_db, &fake, &dir, channel, extra);
    let app = TestApp::start(app_config(&test_db, &fake, &dir, channel, extra), bot_only()).await;
    let db = db::connect(&test_db.url, PoolRole::Admin).await.unwrap();
    let source_id =
        db::sources::sync(&db, &[("s".into(), "wg-gesucht".into(), "https://site.example/".into())], Utc::now())
            .await
            .unwrap()[0]
            .id;
    let channels: Vec<(String, String)> =
        config.channels.iter().map(|c| (c.chat.clone(), c.language.clone())).collect();
    db::channels::sync(&db, &channels, Utc::now()).await.unwrap();
    (fake, test_db, dir, config, app, db, source_id)
}

async fn listing_id(db: &DatabaseConnection, external: &str) -> i64 {
    entity::listing::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.external_id == external)
        .map(|l| l.id)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_gets_each_new_matching_listing_once_with_a_link_that_opens_the_wizard_filled() {
    let (fake, _t, _dir, config, _app, db, source_id) = setup(true).await;
    let channel = fake.channel(CHANNEL);

    let seed = run(&db, &config, source_id, &[flat("seed", 1000, 2.0)]).await;
    assert_eq!(seed.posts_queued, 0, "the first run is silent for channels too");
    // c matches; d costs too much; e has too many rooms.
    let page = [flat("seed", 1000, 2.0), flat("c", 1250, 2.0), flat("d", 2000, 2.0), flat("e", 1000, 5.0)];
    assert_eq!(run(&db, &config, source_id, &page).await.posts_queued, 1);
    let post = fake.wait_shown(channel, "Flat c").await;
    assert!(post.text.contains("1\u{202f}250 EUR/month"), "{}", post.text);
    let c = listing_id(&db, "c").await;
    let link = format!("https://t.me/homehound_test_bot?start=like_{c}");
    assert_eq!(
        post.buttons,
        [
            ("Open listing".to_owned(), "https://site.example/c".to_owned()),
            ("🔔 Alerts like this".to_owned(), link.clone()),
        ]
    );
    // The same listings again, and one that falls in price: no second post.
    let again = [flat("seed", 1000, 2.0), flat("c", 1100, 2.0), flat("d", 2000, 2.0), flat("e", 1000, 5.0)];
    assert_eq!(run(&db, &config, source_id, &again).await.posts_queued, 0);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let posts = fake.shown(channel);
    assert_eq!(posts.len(), 1, "one post in all: {posts:#?}");

    // A reader opens the link: the wizard, filled from the listing (a band
    // of ±15 % around its price now, 1,100, rounded outwards).
    let start = link.rsplit_once("start=").unwrap().1;
    fake.send_text(USER, "Reader", "en", &format!("/start {start}"));
    let summary = fake.wait_shown(USER, "Your search").await;
    assert!(
        summary.text.contains("source=s")
            && summary.text.contains("price=900-1300")
            && summary.text.contains("rooms=2")
            && summary.text.contains("Mitte"),
        "{}",
        summary.text
    );
    fake.press_on(USER, "Your search", "💾 Save", "en");
    fake.wait_shown(USER, "Saved search #").await;
    // A link to a listing no longer stored says it is broken.
    fake.send_text(FRIEND, "F", "en", "/start like_999999");
    fake.wait_shown(FRIEND, "link").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_that_refuses_the_bot_is_reported_once_and_its_posts_dropped() {
    let (fake, _t, _dir, config, _app, db, source_id) = setup(true).await;
    fake.refuse_channel(CHANNEL);
    run(&db, &config, source_id, &[flat("seed", 1000, 2.0)]).await;
    assert_eq!(run(&db, &config, source_id, &[flat("seed", 1000, 2.0), flat("a", 1000, 2.0)]).await.posts_queued, 1);
    let notice = fake.wait_shown(ADMIN, "does not take the bot's posts").await;
    assert!(notice.text.contains(CHANNEL) && notice.text.contains("admin"), "{}", notice.text);
    // Said in words, not as the library's error.
    assert!(!notice.text.contains("Unknown error") && !notice.text.contains("Bad Request"), "{}", notice.text);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let rows = entity::outbox::Entity::find().all(&db).await.unwrap();
        let post = rows.iter().find(|r| r.kind == "channel_post").unwrap();
        if post.status == "dropped" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{post:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Later listings are not queued for it (until it is tried again hours
    // later, or at the next start), and the admins were told once.
    let later = [flat("seed", 1000, 2.0), flat("a", 1000, 2.0), flat("b", 1000, 2.0)];
    assert_eq!(run(&db, &config, source_id, &later).await.posts_queued, 0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let told = fake.shown(ADMIN).into_iter().filter(|m| m.text.contains("does not take the bot's posts")).count();
    assert_eq!(told, 1);
    assert!(fake.shown(fake.channel(CHANNEL)).is_empty());
    // /stats does not count the refusing channel as a user who blocked the bot.
    assert_eq!(db::admin::stats(&db, Utc::now()).await.unwrap().blocked, 0);
}

fn flat_in(id: &str, district: &str) -> Listing {
    Listing { district: Some(district.into()), ..flat(id, 1000, 2.0) }
}

async fn search_of(db: &DatabaseConnection, chat: i64) -> Option<entity::search::Model> {
    entity::search::Entity::find().all(db).await.unwrap().into_iter().find(|s| s.chat_id == chat)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_search_alerts_both_chats_keeps_them_in_step_and_each_can_leave() {
    let (fake, _t, _dir, config, _app, db, source_id) = setup(false).await;
    fake.send_text(USER, "Anna", "en", "/start");
    fake.send_text(USER, "Anna", "en", "/new price=-2000");
    fake.wait_shown(USER, "Saved search #").await;
    let mine = search_of(&db, USER).await.unwrap().id;
    fake.send_text(USER, "Anna", "en", &format!("/share {mine}"));
    let shown = fake.wait_shown(USER, "Send this link").await;
    let link = shown.text.split_whitespace().find(|w| w.starts_with("https://t.me/")).unwrap().to_owned();
    assert!(link.starts_with("https://t.me/homehound_test_bot?start=share_"), "{link}");
    // Sharing again gives the same link.
    fake.send_text(USER, "Anna", "en", &format!("/share {mine}"));
    crate::support::wait_until(Duration::from_secs(10), "the second link", || {
        fake.shown(USER).iter().filter(|m| m.text.contains(&link)).count() == 2
    })
    .await;

    // A friend opens it and follows the same search (in Russian).
    let start = link.rsplit_once("start=").unwrap().1.to_owned();
    fake.send_text(FRIEND, "Boris", "ru", &format!("/start {start}"));
    let joined = fake.wait_shown(FRIEND, "вместе с").await;
    assert!(joined.text.contains("price=-2000"), "{}", joined.text);
    fake.wait_shown(USER, "Another chat now follows your search").await;
    let theirs = search_of(&db, FRIEND).await.unwrap();
    assert_eq!(theirs.price_max, Some(2000));
    // Opening it twice changes nothing.
    fake.send_text(FRIEND, "Boris", "ru", &format!("/start {start}"));
    fake.wait_shown(FRIEND, "Вы уже ведёте этот поиск").await;
    fake.send_text(USER, "Anna", "en", "/searches");
    fake.wait_shown(USER, "👥 shared").await;

    // Both hear of a new listing.
    run(&db, &config, source_id, &[flat_in("seed", "Mitte")]).await;
    run(&db, &config, source_id, &[flat_in("seed", "Mitte"), flat_in("a", "Mitte")]).await;
    fake.wait_shown(USER, "Flat a").await;
    fake.wait_shown(FRIEND, "Flat a").await;

    // The friend mutes Mitte: it is muted for both.
    fake.press_on(FRIEND, "Flat a", "🔕 Заглушить", "ru");
    crate::support::wait_until(Duration::from_secs(10), "the mute choice", || {
        fake.buttons_on(FRIEND, "Flat a").contains(&"🔕 Mitte".to_owned())
    })
    .await;
    fake.press_on(FRIEND, "Flat a", "🔕 Mitte", "ru");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while search_of(&db, USER).await.unwrap().muted_districts.as_deref() != Some(r#"["Mitte"]"#) {
        assert!(std::time::Instant::now() < deadline, "{:?}", search_of(&db, USER).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The other member hears of it, with their own number of the search.
    let told = fake.wait_shown(USER, "Another member muted Mitte in your shared search").await;
    assert!(told.text.contains(&format!("#{mine}")), "{}", told.text);
    run(&db, &config, source_id, &[flat_in("b", "Mitte"), flat_in("c", "Pankow")]).await;
    fake.wait_shown(USER, "Flat c").await;
    fake.wait_shown(FRIEND, "Flat c").await;

    // The link is revoked: nobody else can join; the two stay in step.
    fake.send_text(USER, "Anna", "en", &format!("/share {mine} off"));
    fake.wait_shown(USER, "no longer works").await;
    fake.send_text(STRANGER, "Chen", "en", "/start");
    fake.send_text(STRANGER, "Chen", "en", &format!("/start {start}"));
    fake.wait_shown(STRANGER, "This share link does not work").await;
    assert!(search_of(&db, STRANGER).await.is_none(), "the revoked link admits nobody");
    assert_eq!(search_of(&db, USER).await.unwrap().share_group, search_of(&db, FRIEND).await.unwrap().share_group);
    // A later /share gives a new link.
    fake.send_text(USER, "Anna", "en", &format!("/share {mine}"));
    crate::support::wait_until(Duration::from_secs(10), "a new link", || {
        fake.shown(USER).iter().filter(|m| m.text.contains("Send this link") && !m.text.contains(&link)).count() == 1
    })
    .await;

    // The friend leaves: the search goes on for the other chat only.
    fake.send_text(FRIEND, "Boris", "ru", &format!("/delete {}", theirs.id));
    fake.wait_shown(USER, "A chat left your shared search").await;
    run(&db, &config, source_id, &[flat_in("d", "Pankow")]).await;
    fake.wait_shown(USER, "Flat d").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    for chat in [USER, FRIEND] {
        assert!(fake.shown(chat).iter().all(|m| !m.text.contains("Flat b")), "Mitte is muted for both");
    }
    assert!(fake.shown(FRIEND).iter().all(|m| !m.text.contains("Flat d")), "the friend left");

    // A chat without access of its own cannot follow it.
    let stranger =
        db::chats::ChatProfile { id: 603, username: None, first_name: Some("C".into()), language: "en".into() };
    db::chats::register(&db, &stranger, Duration::ZERO, Utc::now()).await.unwrap();
    fake.send_text(603, "C", "en", &format!("/start {start}"));
    fake.wait_shown(603, "needs access of your own").await;
    assert!(search_of(&db, 603).await.is_none());
}

/// A channel taken out of the sources file gets none of the posts still
/// queued for it: they are dropped at the next start.
#[tokio::test]
async fn a_channel_removed_from_the_sources_file_gets_no_queued_posts() {
    use entity::{outbox, status::outbox_kind};
    let test_db = TestDb::new().await;
    let db = db::connect(&test_db.url, PoolRole::Admin).await.unwrap();
    db::migrate(&db).await.unwrap();
    let now = Utc::now();
    let ids =
        db::channels::sync(&db, &[("@flats".into(), "en".into()), ("@kept".into(), "en".into())], now).await.unwrap();
    let txn = db::begin_write(&db).await.unwrap();
    let rows = ["@flats", "@kept"]
        .iter()
        .map(|c| {
            let key = format!("post-{c}");
            db::outbox::pending_row(ids[*c], None, outbox_kind::NOTICE, key, db::outbox::PRIORITY_CHANNEL, None, now)
        })
        .collect();
    db::outbox::enqueue(&txn, rows).await.unwrap();
    txn.commit().await.unwrap();

    db::channels::sync(&db, &[("@kept".into(), "en".into())], Utc::now()).await.unwrap();
    let status_of = |chat: i64| {
        let db = db.clone();
        async move { outbox::Entity::find().all(&db).await.unwrap().into_iter().find(|r| r.chat_id == chat).unwrap().status }
    };
    assert_eq!(status_of(ids["@flats"]).await, "dropped");
    assert_eq!(status_of(ids["@kept"]).await, "pending");
}
