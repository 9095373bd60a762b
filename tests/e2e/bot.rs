//! The bot thread against the fake Telegram server.

use std::time::Duration;

use entity::{access_period, chat};
use homehound::app::{AppExit, Components};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::{TestApp, assert_no_token_in_logs, bot_only, config, db::TestDb, telegram::FakeTelegram};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_registers_the_chat_once_with_one_trial() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let app = TestApp::start(config(&test_db.url, &fake.url, &[("TRIAL_DURATION", "3d")]), Components::default()).await;

    fake.send_text(42, "Ann <b>", "ru", "/start");
    let calls = fake
        .wait_for(Duration::from_secs(10), "the welcome", |calls| calls.iter().any(|c| c.method == "sendmessage"))
        .await;
    let welcome = calls.iter().find(|c| c.method == "sendmessage").unwrap();
    assert_eq!(welcome.body["chat_id"], 42);
    assert_eq!(welcome.body["parse_mode"], "HTML");
    let text = welcome.body["text"].as_str().unwrap();
    assert!(text.contains("Ann &lt;b&gt;"), "the name is escaped: {text}");
    assert!(text.contains("пробный период"), "Russian for language_code ru: {text}");

    // A second /start refreshes the chat but grants no second trial.
    fake.send_text(42, "Ann", "ru", "/start");
    fake.wait_for(Duration::from_secs(10), "the second welcome", |calls| {
        calls.iter().filter(|c| c.method == "sendmessage").count() == 2
    })
    .await;
    assert_eq!(app.stop().await, AppExit::Clean);

    let db = homehound::db::connect(&test_db.url, homehound::db::PoolRole::Admin).await.unwrap();
    let chat = chat::Entity::find_by_id(42).one(&db).await.unwrap().expect("chat stored");
    assert_eq!(chat.language, "ru");
    assert_eq!(chat.first_name.as_deref(), Some("Ann"));
    let periods = access_period::Entity::find().filter(access_period::Column::ChatId.eq(42)).all(&db).await.unwrap();
    assert_eq!(periods.len(), 1, "one trial: {periods:?}");
    let length = periods[0].ends_at - periods[0].starts_at;
    assert_eq!(length.num_seconds(), 3 * 86_400);
    assert_no_token_in_logs();
}

// ------------------------------------------------------- searches and wizard

use std::sync::Arc;

use chrono::Utc;
use entity::{admin_audit, listing, outbox, search};
use homehound::search::SearchFilter;
use sea_orm::{ActiveValue::Set, PaginatorTrait};

/// A config with two sources, "wg" and "other" (never fetched: no scraper).
pub(crate) fn config_with_sources(
    db_url: &str,
    telegram_url: &str,
    overrides: &[(&str, &str)],
) -> homehound::config::Config {
    let mut cfg = config(db_url, telegram_url, overrides);
    let toml = r#"
[[sources]]
name = "wg"
kind = "wg-gesucht"
url = "https://www.wg-gesucht.de/wohnungen-in-Berlin.8.2.1.0.html"
interval = "5m"

[[sources]]
name = "other"
kind = "jsonld"
url = "https://other.example/"
interval = "5m"
"#;
    cfg.sources = Arc::new(homehound::scraper::sources::parse(toml).expect("valid sources"));
    cfg
}

async fn admin_db(url: &str) -> sea_orm::DatabaseConnection {
    let db = homehound::db::connect(url, homehound::db::PoolRole::Admin).await.unwrap();
    homehound::db::migrate(&db).await.unwrap();
    db
}

/// Three listings of source "wg" in Mitte, Kreuzberg and Pankow, seen now.
async fn seed_listings(db: &sea_orm::DatabaseConnection) {
    let now = Utc::now();
    let sources = homehound::db::sources::sync(
        db,
        &[("wg".into(), "wg-gesucht".into(), "https://www.wg-gesucht.de/".into())],
        now,
    )
    .await
    .unwrap();
    for (i, (district, price, rooms, area)) in
        [("Mitte", 1000, 2.0, 50.0), ("Kreuzberg", 1400, 1.0, 45.0), ("Pankow", 900, 2.0, 60.0)].iter().enumerate()
    {
        listing::Entity::insert(listing::ActiveModel {
            source_id: Set(sources[0].id),
            external_id: Set(format!("x{i}")),
            url: Set(format!("https://www.wg-gesucht.de/{i}.html")),
            title: Set(format!("Flat {i}")),
            price: Set(Some(*price)),
            currency: Set(Some("EUR".into())),
            period: Set(Some("month".into())),
            monthly_price: Set(Some(*price)),
            rooms: Set(Some(*rooms)),
            area_m2: Set(Some(*area)),
            district: Set(Some((*district).into())),
            furnished: Set(Some(true)),
            first_seen_at: Set(now),
            last_seen_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wizard_saves_what_the_one_line_form_saves_and_survives_a_restart() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let db = admin_db(&test_db.url).await;
    seed_listings(&db).await;
    let chat = 501;
    let app = TestApp::start(config_with_sources(&test_db.url, &fake.url, &[]), bot_only()).await;

    fake.send_text(chat, "Ann", "en", "/start");
    fake.wait_button(chat, "🔎 New search").await;
    fake.press(chat, "🔎 New search");
    fake.wait_shown(chat, "Which site?").await;
    fake.press(chat, "wg");
    fake.wait_button(chat, "Kreuzberg").await;
    fake.press(chat, "Mitte");
    fake.wait_button(chat, "✅ Mitte").await;
    fake.press(chat, "Kreuzberg");
    fake.wait_button(chat, "✅ Kreuzberg").await;
    fake.press(chat, "Next ›");
    fake.wait_shown(chat, "Highest monthly price").await;
    fake.press(chat, "✏️ Type a number");
    fake.wait_shown(chat, "Send the highest monthly price").await;
    fake.send_text(chat, "Ann", "en", "lots");
    fake.wait_shown(chat, "is not a number").await;
    fake.send_text(chat, "Ann", "en", "800-1500");
    fake.wait_shown(chat, "How many rooms?").await;
    fake.press(chat, "1");
    fake.wait_button(chat, "✅ 1").await;
    fake.press(chat, "2");
    fake.wait_button(chat, "✅ 2").await;
    fake.press(chat, "Next ›");
    fake.wait_shown(chat, "Smallest area?").await;

    // Restart mid-wizard: the same message's buttons go on working.
    assert_eq!(app.stop().await, AppExit::Clean);
    let app = TestApp::start(config_with_sources(&test_db.url, &fake.url, &[]), bot_only()).await;
    fake.press(chat, "≥ 40 m²");
    fake.wait_shown(chat, "Furnished?").await;
    fake.press(chat, "Furnished");
    fake.wait_shown(chat, "Which rental periods?").await;
    fake.press(chat, "Monthly");
    fake.wait_button(chat, "✅ Monthly").await;
    fake.press(chat, "Next ›");
    let summary = fake.wait_shown(chat, "Your search").await;
    // Mitte 1000 € 2 rooms 50 m² and Kreuzberg 1400 € 1 room 45 m² match.
    assert!(summary.text.contains("matched <b>2</b> listings"), "{}", summary.text);
    assert!(summary.text.contains("district=Mitte,Kreuzberg"), "{}", summary.text);
    fake.press(chat, "💾 Save");
    fake.wait_shown(chat, "Saved search #").await;

    // The same search in one line.
    fake.send_text(
        chat,
        "Ann",
        "en",
        "/new source=wg price=800-1500 rooms=1,2 area=40- district=Mitte,Kreuzberg furnished=yes period=month",
    );
    fake.wait_for(Duration::from_secs(10), "the second save", |_| {
        fake.shown(chat).iter().filter(|m| m.text.contains("Saved search #")).count() == 2
    })
    .await;

    // A button of the closed wizard is answered as out of date.
    let wizard = fake.shown(chat).into_iter().find(|m| m.text.contains("Saved search #")).unwrap();
    let answered = fake.calls_to("answerCallbackQuery").len();
    fake.send_callback(chat, wizard.message_id, "en", "w:1:save");
    let calls = fake
        .wait_for(Duration::from_secs(10), "the stale answer", |calls| {
            calls.iter().filter(|c| c.method == "answercallbackquery").count() > answered
        })
        .await;
    let last = calls.iter().rev().find(|c| c.method == "answercallbackquery").unwrap();
    assert!(last.body["text"].as_str().unwrap_or_default().contains("out of date"), "{:?}", last.body);
    assert_eq!(app.stop().await, AppExit::Clean);

    let saved = search::Entity::find().filter(search::Column::ChatId.eq(chat)).all(&db).await.unwrap();
    assert_eq!(saved.len(), 2, "{saved:?}");
    let (a, b) = (SearchFilter::from_model(&saved[0]), SearchFilter::from_model(&saved[1]));
    assert_eq!(a, b, "the wizard and the one-line form save the same search");
    assert_eq!(a.districts, vec!["Mitte", "Kreuzberg"]);
    assert_eq!((a.price_min, a.price_max, a.area_min, a.furnished), (Some(800), Some(1500), Some(40.0), Some(true)));
    assert_eq!(a.periods, vec!["month"]);
    assert_no_token_in_logs();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_line_errors_name_the_problem_and_save_nothing() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let db = admin_db(&test_db.url).await;
    let app =
        TestApp::start(config_with_sources(&test_db.url, &fake.url, &[("TELEGRAM_RATE_LIMIT", "30")]), bot_only())
            .await;
    let cases = [
        ("/new colour=red", "colour"),
        ("/new price=abc-", "price"),
        ("/new price=2000-1000", "price"),
        ("/new price=1500", "price"),
        ("/new rooms=1,,2", "rooms"),
        ("/new rooms=9+", "rooms"),
        ("/new area=big-", "area"),
        ("/new furnished=maybe", "furnished"),
        ("/new source=nowhere", "source"),
        ("/new district=a,,b", "district"),
        ("/new price=1- price=2-", "price"),
        ("/new hello", "key=value"),
        ("/new district=\"Dubai Marina", "quote"),
    ];
    for (i, (line, _)) in cases.iter().enumerate() {
        fake.send_text(600 + i as i64, "U", "en", line);
    }
    for (i, (line, named)) in cases.iter().enumerate() {
        let reply = fake.wait_shown(600 + i as i64, "Not saved").await;
        assert!(reply.text.contains(named), "{line}: {}", reply.text);
        assert!(reply.text.contains("Valid form"), "{line}: {}", reply.text);
    }

    // Random input: no panic, always one reply, never an internal error.
    let pieces = [
        "price=",
        "rooms=",
        "area=",
        "district=",
        "source=wg",
        "furnished=",
        "exclude=",
        "-",
        "1500",
        ",",
        "\"",
        "4+",
        "studio",
        " ",
        "=",
        "<b>",
        "&",
        "🏠",
        "é",
        "yes",
        "1-3",
        "9999999999999",
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let fuzz_chats = 700..1_300i64;
    for chat in fuzz_chats.clone() {
        let mut line = "/new ".to_owned();
        for _ in 0..1 + next() % 8 {
            line.push_str(pieces[(next() % pieces.len() as u64) as usize]);
        }
        fake.send_text(chat, "F", "en", &line);
    }
    fake.wait_for(Duration::from_secs(60), "a reply to every random line", |_| {
        fuzz_chats.clone().all(|chat| !fake.shown(chat).is_empty())
    })
    .await;
    for chat in fuzz_chats {
        let shown = fake.shown(chat);
        assert_eq!(shown.len(), 1, "one reply each: {shown:?}");
        assert!(!shown[0].text.contains("went wrong"), "{shown:?}");
    }
    assert_eq!(app.stop().await, AppExit::Clean);
    let from_cases = search::Entity::find().filter(search::Column::ChatId.lt(700)).count(&db).await.unwrap();
    assert_eq!(from_cases, 0, "nothing saved on error");
    assert_no_token_in_logs();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_cannot_see_pause_or_delete_another_chats_searches() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let db = admin_db(&test_db.url).await;
    let app = TestApp::start(config_with_sources(&test_db.url, &fake.url, &[]), bot_only()).await;
    let (a, b) = (801, 802);
    fake.send_text(a, "A", "en", "/new price=-1000");
    fake.wait_shown(a, "Saved search #").await;
    let id = search::Entity::find().filter(search::Column::ChatId.eq(a)).one(&db).await.unwrap().unwrap().id;

    fake.send_text(b, "B", "en", "/searches");
    fake.wait_shown(b, "no saved searches").await;
    fake.send_text(b, "B", "en", &format!("/delete {id}"));
    fake.wait_shown(b, &format!("You have no search #{id}")).await;
    fake.send_text(b, "B", "en", "/delete 999999");
    fake.wait_shown(b, "You have no search #999999").await;
    // Forged buttons naming A's search, pressed in B's chat.
    for verb in ["p", "d", "r"] {
        let before = fake.calls_to("answerCallbackQuery").len();
        fake.send_callback(b, 1, "en", &format!("s:{id}:{verb}:0"));
        let calls = fake
            .wait_for(Duration::from_secs(10), "the answer", |calls| {
                calls.iter().filter(|c| c.method == "answercallbackquery").count() > before
            })
            .await;
        let last = calls.iter().rev().find(|c| c.method == "answercallbackquery").unwrap();
        assert!(last.body["text"].as_str().unwrap_or_default().contains("no search"), "{:?}", last.body);
    }
    // A sees its own search with its buttons, and can pause it.
    fake.send_text(a, "A", "en", "/searches");
    fake.wait_button(a, &format!("⏸ Pause #{id}")).await;
    fake.press(a, &format!("⏸ Pause #{id}"));
    fake.wait_button(a, &format!("▶️ Resume #{id}")).await;
    assert_eq!(app.stop().await, AppExit::Clean);

    let own = search::Entity::find_by_id(id).one(&db).await.unwrap().expect("A's search survives B");
    assert!(own.paused, "paused by A itself");
    assert_eq!(own.chat_id, a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_reach_nobody_from_a_non_admin() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let db = admin_db(&test_db.url).await;
    let (admin, user) = (900, 901);
    let app = TestApp::start(
        config_with_sources(&test_db.url, &fake.url, &[("ADMIN_CHAT_IDS", "900"), ("TRIAL_DURATION", "3d")]),
        bot_only(),
    )
    .await;
    fake.send_text(user, "U", "en", "/start");
    fake.wait_shown(user, "free trial").await;
    for (i, command) in ["/stats", "/sources", &format!("/grant {user} 30d"), "/broadcast hello all"].iter().enumerate()
    {
        fake.send_text(user, "U", "en", command);
        fake.wait_for(Duration::from_secs(10), "the answer", |_| fake.shown(user).len() == 2 + i).await;
        let last = fake.shown(user).pop().unwrap();
        assert_eq!(last.text, "I did not understand that. Send /help to see what I can do.", "{command}");
    }
    assert_eq!(admin_audit::Entity::find().count(&db).await.unwrap(), 0);
    assert_eq!(outbox::Entity::find().count(&db).await.unwrap(), 0);

    // The admin's own commands work and are audited.
    fake.send_text(admin, "Boss", "en", &format!("/grant {user} 30d"));
    fake.wait_shown(admin, &format!("Granted 30 days to chat {user}")).await;
    fake.send_text(admin, "Boss", "en", "/broadcast Maintenance <tonight>");
    // The user and the admin (who got a trial on first contact) have access.
    fake.wait_shown(admin, "Queued to 2 chats").await;
    fake.send_text(admin, "Boss", "en", "/stats");
    fake.wait_shown(admin, "With active access: 2").await;
    let broadcast = fake.wait_shown(user, "Maintenance").await;
    assert_eq!(broadcast.text, "Maintenance &lt;tonight&gt;", "escaped, as sent in HTML");
    assert_eq!(app.stop().await, AppExit::Clean);
    let audit = admin_audit::Entity::find().all(&db).await.unwrap();
    assert_eq!(audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(), ["grant", "broadcast"]);
    let periods = access_period::Entity::find().filter(access_period::Column::ChatId.eq(user)).all(&db).await.unwrap();
    assert_eq!(periods.len(), 2, "trial + grant");
    let ends = periods.iter().map(|p| p.ends_at).max().unwrap();
    let expected = Utc::now() + chrono::Duration::days(33);
    assert!((ends - expected).num_seconds().abs() < 60, "grant starts at the trial's end: {ends}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_follow_the_language_code_and_menus_are_registered() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let app =
        TestApp::start(config_with_sources(&test_db.url, &fake.url, &[("ADMIN_CHAT_IDS", "77")]), bot_only()).await;
    fake.send_text(1001, "Иван", "ru", "/help");
    fake.send_text(1002, "John", "en-GB", "/help");
    fake.send_text(1003, "Hans", "de", "/pause");
    fake.wait_shown(1001, "присылает новые объявления").await;
    fake.wait_shown(1002, "alerts you to new listings").await;
    fake.wait_shown(1003, "All alerts paused").await;
    fake.send_text(1001, "Иван", "ru", "what?");
    fake.wait_shown(1001, "Я не понял").await;
    // A deep link opens the wizard on its summary, pre-filled
    // (the parameter is base64url of "price=-1500 rooms=1,2").
    fake.send_text(1004, "D", "en", "/start new_cHJpY2U9LTE1MDAgcm9vbXM9MSwy");
    let summary = fake.wait_shown(1004, "Your search").await;
    assert!(summary.text.contains("price=-1500 rooms=1,2"), "{}", summary.text);
    assert!(summary.buttons.iter().any(|(label, _)| label == "💾 Save"));
    let commands = fake.calls_to("setMyCommands");
    assert!(commands.iter().any(|c| c.body.get("language_code").is_none()), "English default");
    assert!(commands.iter().any(|c| c.body["language_code"] == "ru"));
    let admin = commands.iter().find(|c| c.body["scope"]["type"] == "chat").expect("admin scope");
    assert_eq!(admin.body["scope"]["chat_id"], 77);
    assert!(admin.body["commands"].as_array().unwrap().iter().any(|c| c["command"] == "broadcast"));
    assert_eq!(app.stop().await, AppExit::Clean);
}

// ------------------------------------------------------- polling and webhooks

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_poller_409_stops_the_process_with_a_clear_reason() {
    let fake = FakeTelegram::start().await;
    fake.inject("getUpdates", [crate::support::telegram::Fault::Conflict]);
    let test_db = TestDb::new().await;
    let app = TestApp::start(config(&test_db.url, &fake.url, &[]), bot_only()).await;
    let shutdown = app.shutdown.clone();
    crate::support::wait_until(Duration::from_secs(10), "the fatal stop", || shutdown.is_triggered()).await;
    match app.stop().await {
        AppExit::Failed(reason) => {
            assert!(reason.contains("409") && reason.contains("webhook mode"), "{reason}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    // The refused poll, then at most the dispatcher's final confirming call.
    let polls = fake.calls_to("getUpdates");
    assert!(polls.len() <= 2, "not retried: {polls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_takes_updates_with_the_secret_and_refuses_a_wrong_one() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let addr = crate::support::process::free_addr();
    let addr_s = addr.to_string();
    let cfg = config(
        &test_db.url,
        &fake.url,
        &[("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/telegram/hook"), ("WEBHOOK_ADDR", addr_s.as_str())],
    );
    let secret = homehound::bot::webhook_secret(&cfg.telegram_token);
    let app = TestApp::start(cfg, bot_only()).await;
    let calls = fake
        .wait_for(Duration::from_secs(10), "setWebhook", |calls| calls.iter().any(|c| c.method == "setwebhook"))
        .await;
    let set = &calls.iter().find(|c| c.method == "setwebhook").unwrap().body;
    assert_eq!(set["url"], "https://bot.example.com/telegram/hook");
    assert_eq!(set["secret_token"], secret.as_str());
    assert!(!secret.contains(crate::support::telegram::TOKEN));

    let client = reqwest::Client::new();
    let url = format!("http://{addr}/telegram/hook");
    let post = |secret: &str, update: serde_json::Value| {
        client.post(&url).header("X-Telegram-Bot-Api-Secret-Token", secret).json(&update).send()
    };
    // A wrong secret: 401, and nothing happens.
    let wrong = post("not-the-secret", FakeTelegram::text_update(1, 31, "/start")).await.unwrap();
    assert_eq!(wrong.status(), 401);
    let missing = client.post(&url).json(&FakeTelegram::text_update(2, 31, "/start")).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    // The right one: the update is handled.
    let ok = post(&secret, FakeTelegram::text_update(3, 32, "/start")).await.unwrap();
    assert_eq!(ok.status(), 200);
    fake.wait_shown(32, "I watch listing sites").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(fake.shown(31).is_empty(), "the forged update was not handled");
    assert!(fake.calls_to("getUpdates").is_empty(), "no polling in webhook mode");
    assert_eq!(app.stop().await, AppExit::Clean);
    assert!(fake.calls_to("deleteWebhook").is_empty(), "one replica stopping leaves the webhook to the others");
    let db = homehound::db::connect(&test_db.url, homehound::db::PoolRole::Admin).await.unwrap();
    assert!(chat::Entity::find_by_id(31).one(&db).await.unwrap().is_none());
    assert!(chat::Entity::find_by_id(32).one(&db).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_that_blocked_the_bot_and_writes_again_is_unblocked() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let db = admin_db(&test_db.url).await;
    let app = TestApp::start(config(&test_db.url, &fake.url, &[]), bot_only()).await;
    fake.send_text(1501, "Bo", "en", "/start");
    fake.wait_shown(1501, "I watch listing sites").await;
    // The sender marked it blocked after a 403.
    homehound::db::outbox::block_chat(&db, 1501, chrono::Utc::now()).await.unwrap();
    assert!(chat::Entity::find_by_id(1501).one(&db).await.unwrap().unwrap().blocked);
    fake.send_text(1501, "Bo", "en", "/searches");
    fake.wait_shown(1501, "no saved searches").await;
    assert_eq!(app.stop().await, AppExit::Clean);
    assert!(!chat::Entity::find_by_id(1501).one(&db).await.unwrap().unwrap().blocked, "writing again unblocks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_user_gets_one_reply_when_telegram_answers_429s() {
    use crate::support::telegram::Fault;
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    // The bot's limit is above what this Telegram allows (several replicas
    // can briefly be), and some replies are refused outright with 1–3 s waits.
    fake.enforce_limits(25, 1);
    let faults = (0..40).map(|i| match i % 8 {
        0 => Fault::RetryAfter(1 + (i / 8) % 3),
        _ => Fault::Delay(Duration::ZERO),
    });
    fake.inject("sendMessage", faults);
    let app = TestApp::start(config(&test_db.url, &fake.url, &[("TELEGRAM_RATE_LIMIT", "30")]), bot_only()).await;

    let users: Vec<i64> = (1..=200).map(|i| 10_000 + i).collect();
    for &chat in &users {
        fake.send_text(chat, "User", "en", "/start");
    }
    crate::support::wait_until(Duration::from_secs(120), "a reply to every user", || {
        let sends = fake.sends();
        users.iter().all(|u| sends.iter().any(|(c, _)| c == u))
    })
    .await;
    // Nothing more arrives later: a retried reply is never sent twice.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sends = fake.sends();
    for &chat in &users {
        let n = sends.iter().filter(|(c, _)| *c == chat).count();
        assert_eq!(n, 1, "chat {chat} got {n} replies");
    }
    let attempts = fake.calls_to("sendMessage").len();
    assert!(attempts >= 205, "the five injected 429s (and any limit hits) were retried: {attempts} attempts");
    let apologies = fake
        .calls_to("sendMessage")
        .iter()
        .filter(|c| c.body["text"].as_str().unwrap_or_default().contains("Something went wrong"))
        .count();
    assert_eq!(apologies, 0, "no error text is sent into a flood wait");
    assert_eq!(app.stop().await, AppExit::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_is_told_the_bot_is_private_and_a_broken_start_link_is_named() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let app = TestApp::start(config(&test_db.url, &fake.url, &[]), bot_only()).await;
    // A command in a group: one line, and the group is never registered.
    fake.send_group_text(-100_555, 31, "/start@homehound_test_bot");
    fake.send_group_text(-100_555, 31, "nice flat, right?");
    fake.send_group_text(-100_555, 31, "/start@some_other_bot");
    fake.wait_shown(-100_555, "private chats only").await;
    // A deep link that was cut or changed.
    fake.send_text(32, "Ann", "en", "/start new_!!!");
    fake.wait_shown(32, "This link is broken").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.shown(-100_555).len(), 1, "only the command is answered");
    assert_eq!(app.stop().await, AppExit::Clean);
    let db = homehound::db::connect(&test_db.url, homehound::db::PoolRole::Admin).await.unwrap();
    assert!(chat::Entity::find_by_id(-100_555).one(&db).await.unwrap().is_none(), "no group chat row");
    let trials = access_period::Entity::find().filter(access_period::Column::ChatId.eq(-100_555)).all(&db).await;
    assert!(trials.unwrap().is_empty(), "no trial for a group");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_button_spinner_stops_at_once_even_when_the_work_is_slow() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let chat = 601;
    let app = TestApp::start(config_with_sources(&test_db.url, &fake.url, &[]), bot_only()).await;
    fake.send_text(chat, "Ann", "en", "/start");
    fake.wait_button(chat, "🔎 New search").await;
    fake.press(chat, "🔎 New search");
    fake.wait_shown(chat, "Which site?").await;
    // Telegram (or the queue before it) takes 3 s to apply the edit.
    fake.set_latency("editMessageText", Duration::from_secs(3));
    let answered_before = fake.calls_to("answerCallbackQuery").len();
    let pressed = std::time::Instant::now();
    fake.press(chat, "wg");
    let calls = fake
        .wait_for(Duration::from_secs(10), "the answer", |c| {
            c.iter().filter(|c| c.method == "answercallbackquery").count() > answered_before
        })
        .await;
    let answered = calls.iter().filter(|c| c.method == "answercallbackquery").nth(answered_before).unwrap().at;
    assert!(answered - pressed < Duration::from_millis(1500), "spinner for {:?}", answered - pressed);
    // The work still happens.
    fake.wait_for(Duration::from_secs(10), "the edit", |c| c.iter().any(|c| c.method == "editmessagetext")).await;
    assert_eq!(app.stop().await, AppExit::Clean);
}
