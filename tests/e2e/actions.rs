//! Acting on an alert (🙈 Hide, 🔕 Mute, ⭐ Save, `/saved`) and alerts in the
//! chat's language: the real bot thread (with its sender) against the fake
//! Telegram, listings recorded as a scraper run records them.

use std::time::Duration;

use chrono::Utc;
use entity::{listing_mark, search};
use homehound::{
    db::listings::RunResult,
    db::{self, PoolRole},
    listing::{Listing, Validators},
};
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::support::{TestApp, bot_only, config, db::TestDb, telegram::FakeTelegram};

const EN: i64 = 501;
const RU: i64 = 502;

fn flat(id: &str, price: i64, district: &str) -> Listing {
    Listing { district: Some(district.into()), ..crate::support::flat(id, price) }
}

const POLICY: db::listings::RunPolicy<'static> = homehound::scraper::run_policy(3, &[]);

async fn run(db: &DatabaseConnection, source_id: i64, listings: &[Listing]) {
    let result = RunResult::Listings { listings: listings.to_vec(), validators: Validators::default() };
    db::listings::record_run(db, source_id, Utc::now(), &result, &POLICY, Utc::now()).await.unwrap();
}

async fn start(test_db: &TestDb, fake: &FakeTelegram) -> TestApp {
    TestApp::start(config(&test_db.url, &fake.url, &[("TRIAL_DURATION", "3d")]), bot_only()).await
}

/// The fake Telegram, a database with source "s", the bot thread (with its
/// sender) running on it, and a connection of the test's own.
async fn setup() -> (FakeTelegram, TestDb, TestApp, DatabaseConnection, i64) {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let app = start(&test_db, &fake).await;
    let db = db::connect(&test_db.url, PoolRole::Admin).await.unwrap();
    let source_id = db::sources::sync(&db, &[("s".into(), "css".into(), "https://site.example/".into())], Utc::now())
        .await
        .unwrap()[0]
        .id;
    (fake, test_db, app, db, source_id)
}

/// The English and the Russian chat start and save `price=-2000`.
async fn both_search(fake: &FakeTelegram) {
    for (chat, lang) in [(EN, "en"), (RU, "ru")] {
        fake.send_text(chat, "U", lang, "/start");
        fake.send_text(chat, "U", lang, "/new price=-2000");
    }
    fake.wait_shown(EN, "Saved search #").await;
    fake.wait_shown(RU, "сохранён").await;
}

/// Alerts held for quiet hours.
async fn held(db: &DatabaseConnection) -> usize {
    entity::outbox::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.status == entity::status::outbox_status::HELD)
        .count()
}

/// Waits until `n` alerts are held.
async fn wait_held(db: &DatabaseConnection, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while held(db).await < n {
        assert!(std::time::Instant::now() < deadline, "{n} alerts held");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hide_mute_and_save_change_what_arrives_and_survive_a_restart() {
    let (fake, test_db, app, db, source_id) = setup().await;
    both_search(&fake).await;

    run(&db, source_id, &[flat("seed", 900, "Mitte")]).await;
    run(&db, source_id, &[flat("seed", 900, "Mitte"), flat("a", 1000, "Mitte"), flat("b", 1200, "Kreuzberg")]).await;
    fake.wait_shown(EN, "Flat a").await;
    fake.wait_shown(EN, "Flat b").await;
    // The Russian chat reads its alerts in Russian.
    let ru_alert = fake.wait_shown(RU, "Flat a").await;
    assert!(
        ru_alert.text.contains("1\u{202f}000 EUR/мес.") && ru_alert.text.contains("2 комнаты"),
        "{}",
        ru_alert.text
    );
    assert_eq!(fake.buttons_on(RU, "Flat a"), ["Открыть объявление", "🙈 Скрыть", "🔕 Заглушить", "⭐ Сохранить"]);
    assert_eq!(fake.buttons_on(EN, "Flat a"), ["Open listing", "🙈 Hide", "🔕 Mute", "⭐ Save"]);

    // A restart: the buttons of alerts sent before it still work.
    assert_eq!(app.stop().await, homehound::app::AppExit::Clean);
    let app = start(&test_db, &fake).await;

    fake.press_on(EN, "Flat a", "🙈 Hide", "en");
    fake.press_on(EN, "Flat b", "⭐ Save", "en");
    fake.press_on(EN, "Flat b", "🔕 Mute", "en");
    // The second tap chooses: the district or the source.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !fake.buttons_on(EN, "Flat b").contains(&"🔕 Kreuzberg".to_owned()) {
        assert!(std::time::Instant::now() < deadline, "no mute choice: {:?}", fake.buttons_on(EN, "Flat b"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(fake.buttons_on(EN, "Flat b").contains(&"🔕 All of s".to_owned()));
    let (flat_b, mute_kreuzberg) = fake
        .shown(EN)
        .iter()
        .rev()
        .find_map(|m| {
            let data = m.buttons.iter().find(|(label, _)| label == "🔕 Kreuzberg")?.1.clone();
            Some((m.message_id, data))
        })
        .expect("the district's mute button");
    fake.press_on(EN, "Flat b", "🔕 Kreuzberg", "en");
    crate::support::wait_until(Duration::from_secs(10), "the mute stored", || {
        fake.buttons_on(EN, "Flat b") == ["Open listing", "↩️ Undo"]
    })
    .await;
    assert_eq!(fake.buttons_on(EN, "Flat a"), ["Open listing", "↩️ Undo"], "hidden: its actions become Undo");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let marks = listing_mark::Entity::find().all(&db).await.unwrap();
        let searches = search::Entity::find().all(&db).await.unwrap();
        let muted = searches.iter().find(|s| s.chat_id == EN).and_then(|s| s.muted_districts.clone());
        if marks.len() == 2 && muted.is_some() {
            let mut kinds: Vec<(i64, &str)> = marks.iter().map(|m| (m.chat_id, m.mark.as_str())).collect();
            kinds.sort();
            assert_eq!(kinds, [(EN, "hidden"), (EN, "saved")]);
            assert_eq!(muted.as_deref(), Some(r#"["Kreuzberg"]"#));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "marks {marks:?}, searches {searches:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The same mute pressed again (an old message's button) says it is
    // muted already, not that nothing matches.
    let answered = fake.calls_to("answerCallbackQuery").len();
    fake.send_callback(EN, flat_b, "en", &mute_kreuzberg);
    let calls = fake
        .wait_for(Duration::from_secs(10), "the second mute's answer", |c| {
            c.iter().filter(|c| c.method == "answercallbackquery").count() > answered
        })
        .await;
    let answer = calls.iter().filter(|c| c.method == "answercallbackquery").nth(answered).unwrap();
    assert_eq!(answer.body["text"], "🔕 Kreuzberg is already muted in your searches.", "{}", answer.body);
    // /searches shows the muted district.
    fake.send_text(EN, "U", "en", "/searches");
    fake.wait_shown(EN, "not_district=Kreuzberg").await;

    // Both prices fall and a new Kreuzberg flat appears.
    run(
        &db,
        source_id,
        &[
            flat("seed", 900, "Mitte"),
            flat("a", 950, "Mitte"),
            flat("b", 1100, "Kreuzberg"),
            flat("c", 1000, "Kreuzberg"),
        ],
    )
    .await;
    // The Russian chat hears of all three: nothing of another chat's marks.
    fake.wait_shown(RU, "Flat c").await;
    let ru_drops = |needle: &str| {
        fake.shown(RU).iter().filter(|m| m.text.contains("Цена снижена") && m.text.contains(needle)).count()
    };
    crate::support::wait_until(Duration::from_secs(10), "both drops in Russian", || {
        ru_drops("Flat a") == 1 && ru_drops("Flat b") == 1
    })
    .await;
    // The saved listing's drop arrives although its district is now muted.
    let drop = fake.wait_shown(EN, "Price dropped 1\u{202f}200 EUR → 1\u{202f}100 EUR").await;
    assert!(drop.text.contains("Flat b"), "{}", drop.text);
    // Give the sender time to send anything it (wrongly) queued.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let en = fake.shown(EN);
    assert!(!en.iter().any(|m| m.text.contains("Price dropped") && m.text.contains("Flat a")), "hidden: {en:#?}");
    assert!(!en.iter().any(|m| m.text.contains("Flat c")), "a muted district is not sent: {en:#?}");

    // /saved lists it at its current price; ✖ removes it.
    fake.send_text(EN, "U", "en", "/saved");
    let saved = fake.wait_shown(EN, "Saved listings").await;
    assert!(saved.text.contains("<b>Saved listings</b> (1)"), "{}", saved.text);
    assert!(saved.text.contains(r#"1. <a href="https://site.example/b">Flat b</a>"#), "{}", saved.text);
    assert!(saved.text.contains("💶 1\u{202f}100 EUR/month"), "{}", saved.text);
    fake.press_on(EN, "Saved listings", "✖ #1", "en");
    fake.wait_shown(EN, "You have not saved any listing yet").await;
    assert_eq!(listing_mark::Entity::find().all(&db).await.unwrap().len(), 1, "only the hide is left");
    drop_app(app).await;
}

async fn drop_app(app: TestApp) {
    assert_eq!(app.stop().await, homehound::app::AppExit::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_median_badge_needs_ten_comparables_and_says_the_right_percentage() {
    let (fake, _test_db, app, db, source_id) = setup().await;
    fake.send_text(EN, "U", "en", "/start");
    fake.send_text(EN, "U", "en", "/new district=Mitte");
    fake.wait_shown(EN, "Saved search #").await;
    // Nine comparables (Mitte, 2 rooms): 1000, 1100, …, 1800; and one in
    // another district, which does not count.
    let mut seen: Vec<Listing> = (0..9).map(|i| flat(&format!("c{i}"), 1000 + i * 100, "Mitte")).collect();
    seen.push(flat("elsewhere", 5000, "Pankow"));
    run(&db, source_id, &seen).await;

    seen.push(flat("x", 1200, "Mitte"));
    run(&db, source_id, &seen).await;
    let x = fake.wait_shown(EN, "Flat x").await;
    assert!(!x.text.contains("📊"), "nine comparables are not enough: {}", x.text);

    // Ten now (the nine and x): median (1300 + 1400) / 2 = 1350; 1100 is
    // 18.5 % below it, 22 EUR/m² on 50 m².
    seen.push(flat("y", 1100, "Mitte"));
    run(&db, source_id, &seen).await;
    let y = fake.wait_shown(EN, "Flat y").await;
    assert!(y.text.contains("📊 22 EUR/m² · 19% below the median of 10 similar listings"), "{}", y.text);
    assert_eq!(app.stop().await, homehound::app::AppExit::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_hold_alerts_and_one_digest_brings_them_when_they_end() {
    let (fake, _test_db, app, db, source_id) = setup().await;
    fake.send_text(EN, "U", "en", "/start");
    fake.send_text(EN, "U", "en", "/new price=-2000");
    fake.wait_shown(EN, "Saved search #").await;
    fake.send_text(EN, "U", "en", "/timezone Europe/Berlin");
    fake.wait_shown(EN, "Time zone: Europe/Berlin").await;
    // Quiet hours covering now, in Berlin time.
    let berlin = Utc::now().with_timezone(&chrono_tz::Europe::Berlin);
    let window = format!(
        "{}-{}",
        (berlin - chrono::Duration::hours(1)).format("%H:%M"),
        (berlin + chrono::Duration::hours(1)).format("%H:%M")
    );
    fake.send_text(EN, "U", "en", &format!("/quiet {window}"));
    fake.wait_shown(EN, "Quiet hours:").await;

    run(&db, source_id, &[flat("seed", 900, "Mitte")]).await;
    let three =
        [flat("seed", 900, "Mitte"), flat("a", 1000, "Mitte"), flat("b", 1100, "Pankow"), flat("c", 1200, "Wedding")];
    run(&db, source_id, &three).await;
    wait_held(&db, 3).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!fake.shown(EN).iter().any(|m| m.text.contains("Flat ")), "nothing sent in quiet hours");

    // The quiet hours end: one digest with all three.
    fake.send_text(EN, "U", "en", "/quiet off");
    let digest = fake.wait_shown(EN, "While your alerts were quiet").await;
    assert!(digest.text.contains("3 listings"), "{}", digest.text);
    for (i, flat) in ["a", "b", "c"].iter().enumerate() {
        let entry = format!(r#"{}. <a href="https://site.example/{flat}">Flat {flat}</a>"#, i + 1);
        assert!(digest.text.contains(&entry), "{entry} in {}", digest.text);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let shown = fake.shown(EN);
    assert_eq!(shown.iter().filter(|m| m.text.contains("Flat ")).count(), 1, "one message: {shown:#?}");
    assert_eq!(held(&db).await, 0);
    assert_eq!(app.stop().await, homehound::app::AppExit::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_digest_pages_through_the_rest() {
    let (fake, _test_db, app, db, source_id) = setup().await;
    fake.send_text(RU, "U", "ru", "/start");
    fake.send_text(RU, "U", "ru", "/new price=-5000");
    fake.wait_shown(RU, "сохранён").await;
    // Quiet from half an hour ago to two hours from now, Moscow time (the
    // zone of a Russian chat that set none).
    let moscow = Utc::now().with_timezone(&chrono_tz::Europe::Moscow);
    let window = format!(
        "{}-{}",
        (moscow - chrono::Duration::minutes(30)).format("%H:%M"),
        (moscow + chrono::Duration::hours(2)).format("%H:%M")
    );
    fake.send_text(RU, "U", "ru", &format!("/quiet {window}"));
    fake.wait_shown(RU, "Europe/Moscow").await;
    let mut seen = vec![flat("seed", 900, "Mitte")];
    run(&db, source_id, &seen).await;
    seen.extend((0..12).map(|i| flat(&format!("n{i:02}"), 1000 + i, "Mitte")));
    run(&db, source_id, &seen).await;
    wait_held(&db, 12).await;
    fake.send_text(RU, "U", "ru", "/quiet off");
    let digest = fake.wait_shown(RU, "Пока уведомления молчали").await;
    assert!(digest.text.contains("12 объявлений"), "{}", digest.text);
    assert!(digest.text.contains("10. <a") && !digest.text.contains("11. <a"), "{}", digest.text);
    assert!(digest.text.contains("…и ещё 2."), "{}", digest.text);
    fake.press_on(RU, "Пока уведомления молчали", "Ещё ›", "ru");
    let page = fake.wait_shown(RU, "11. <a").await;
    assert!(page.text.contains("12. <a") && !page.text.contains("10. <a"), "{}", page.text);
    assert_eq!(fake.buttons_on(RU, "11. <a"), ["‹ Назад"]);
    assert_eq!(app.stop().await, homehound::app::AppExit::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_back_on_the_market_says_how_long_it_was_away() {
    let (fake, _t, _app, db, source_id) = setup().await;
    // `complete`: the run read every page (the scraper then moves the
    // source's window to the run's start).
    let run_at = |listings: Vec<Listing>, days_ago: i64, complete: bool| {
        let db = db.clone();
        async move {
            let at = Utc::now() - chrono::Duration::days(days_ago);
            let result = RunResult::Listings { listings, validators: Validators::default() };
            let report = db::listings::record_run(&db, source_id, at, &result, &POLICY, at).await.unwrap();
            if complete {
                db::sources::move_window(&db, source_id, at).await.unwrap();
            }
            report
        }
    };
    // a, b and e six days ago; five days ago a whole run listed b and e: a
    // was gone. Three days ago a run that read page 1 only listed b: e had
    // only fallen off that page.
    run_at(vec![flat("a", 1000, "Mitte"), flat("b", 1000, "Mitte"), flat("e", 1000, "Mitte")], 6, true).await;
    assert_eq!(run_at(vec![flat("b", 1000, "Mitte"), flat("e", 1000, "Mitte")], 5, true).await.returned, 0);
    assert_eq!(run_at(vec![flat("b", 1000, "Mitte")], 3, false).await.returned, 0);
    both_search(&fake).await;
    // Today a is listed again (b was never away, nor was e), and c is new.
    let listed = ["a", "b", "c", "e"].map(|id| flat(id, 1000, "Mitte")).to_vec();
    let today = run_at(listed, 0, true).await;
    assert_eq!((today.new, today.returned), (1, 1), "a is back; e is not");
    let a = fake.wait_shown(EN, "Flat a").await;
    assert!(a.text.starts_with("<b>🔁 Back on the market after 6 days</b>\n<b>Flat a</b>"), "{}", a.text);
    let c = fake.wait_shown(EN, "Flat c").await;
    assert!(!c.text.contains("Back on the market"), "{}", c.text);
    let ru = fake.wait_shown(RU, "Flat a").await;
    assert!(ru.text.starts_with("<b>🔁 Снова на рынке спустя 6 дней</b>"), "{}", ru.text);
    fake.wait_shown(RU, "Flat c").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(fake.shown(EN).iter().all(|m| !m.text.contains("Flat b")), "b was never away");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_on_demand_come_once_as_an_album_or_as_links_when_refused() {
    let (fake, _t, _app, db, source_id) = setup().await;
    both_search(&fake).await;
    let pics: Vec<String> = (1..=4).map(|i| format!("https://img.example/a{i}.jpg")).collect();
    let with_photos = Listing { photo: Some(pics[0].clone()), photos: pics.clone(), ..flat("a", 1000, "Mitte") };
    let one_photo = Listing { photo: Some("https://img.example/b1.jpg".into()), ..flat("b", 1000, "Mitte") };
    run(&db, source_id, &[flat("seed", 900, "Mitte")]).await;
    run(&db, source_id, &[flat("seed", 900, "Mitte"), with_photos, one_photo]).await;
    fake.wait_shown(EN, "Flat a").await;
    fake.wait_shown(EN, "Flat b").await;
    fake.wait_shown(RU, "Flat a").await;
    assert_eq!(fake.buttons_on(EN, "Flat a"), ["Open listing", "📷 Photos (3)", "🙈 Hide", "🔕 Mute", "⭐ Save"]);
    assert_eq!(fake.buttons_on(EN, "Flat b"), ["Open listing", "🙈 Hide", "🔕 Mute", "⭐ Save"], "one photo");

    // The other three photos, as one album captioned with the title.
    fake.press_on(EN, "Flat a", "📷 Photos (3)", "en");
    fake.wait_shown(EN, "[photo https://img.example/a4.jpg]").await;
    let album: Vec<String> =
        fake.shown(EN).into_iter().filter(|m| m.text.starts_with("[photo ")).map(|m| m.text).collect();
    assert_eq!(album.len(), 3, "{album:#?}");
    assert!(album[0].starts_with("[photo https://img.example/a2.jpg] 📷 More photos: Flat a"), "{}", album[0]);
    assert!(album[1].starts_with("[photo https://img.example/a3.jpg]"));
    // A second press sends nothing more and says so.
    fake.press_on(EN, "Flat a", "📷 Photos (3)", "en");
    fake.wait_for(Duration::from_secs(10), "the second answer", |calls| {
        calls.iter().any(|c| {
            c.method == "answercallbackquery" && c.body["text"].as_str() == Some("📷 The photos were sent above.")
        })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.shown(EN).iter().filter(|m| m.text.starts_with("[photo ")).count(), 3);

    // Telegram refuses the photos: the links come as text instead.
    fake.reject_photos();
    fake.press_on(RU, "Flat a", "📷 Фото (3)", "ru");
    let links = fake.wait_shown(RU, "Ещё фото").await;
    assert!(
        links.text.contains(r#"<a href="https://img.example/a2.jpg">фото 2</a>"#)
            && links.text.contains(r#"<a href="https://img.example/a4.jpg">фото 4</a>"#),
        "{}",
        links.text
    );
}

/// Callback data is the client's to forge: a button acts only for a chat
/// with access, on a listing the chat was alerted to; `/saved` needs access.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_buttons_need_access_and_an_alert_for_that_listing() {
    use entity::access_period;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, PaginatorTrait, QueryFilter};
    let (fake, _t, _app, db, source_id) = setup().await;
    both_search(&fake).await;
    run(&db, source_id, &[flat("seed", 900, "Mitte")]).await;
    // "a" is alerted (under the chat's 2,000); "c" is not (over it).
    run(&db, source_id, &[flat("seed", 900, "Mitte"), flat("a", 1000, "Mitte"), flat("c", 9000, "Mitte")]).await;
    fake.wait_shown(EN, "Flat a").await;
    let id_of = |ext: &'static str| {
        let db = db.clone();
        async move {
            entity::listing::Entity::find()
                .filter(entity::listing::Column::ExternalId.eq(ext))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let (a, c) = (id_of("a").await, id_of("c").await);
    let marks =
        || async { listing_mark::Entity::find().filter(listing_mark::Column::ChatId.eq(EN)).count(&db).await.unwrap() };
    let answered = |text: &'static str| {
        move |calls: &[crate::support::telegram::Call]| {
            calls.iter().filter(|c| c.method == "answercallbackquery" && c.body["text"].as_str() == Some(text)).count()
        }
    };

    // With access, a listing it was never alerted to: refused.
    fake.send_callback(EN, 1, "en", &format!("a:s:{c}"));
    fake.wait_for(Duration::from_secs(10), "the refusal", |calls| {
        answered("This button is out of date. Send /new or /searches.")(calls) >= 1
    })
    .await;
    assert_eq!(marks().await, 0, "nothing saved for a listing it was not alerted to");

    // Access ends: its own alert's buttons and /saved are refused too.
    for p in access_period::Entity::find().filter(access_period::Column::ChatId.eq(EN)).all(&db).await.unwrap() {
        let mut p: access_period::ActiveModel = p.into();
        p.ends_at = Set(Utc::now() - chrono::Duration::hours(1));
        p.update(&db).await.unwrap();
    }
    let expired = "Your access has ended, so alerts are off. Renew to get them again.";
    for verb in ["s", "p", "h"] {
        fake.send_callback(EN, 1, "en", &format!("a:{verb}:{a}"));
    }
    fake.wait_for(Duration::from_secs(10), "three refusals", |calls| answered(expired)(calls) >= 3).await;
    assert_eq!(marks().await, 0, "nothing saved or hidden without access");
    let photos = entity::outbox::Entity::find()
        .filter(entity::outbox::Column::Kind.eq(entity::status::outbox_kind::PHOTOS))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(photos, 0, "no album queued without access");
    fake.send_text(EN, "U", "en", "/saved");
    fake.wait_shown(EN, expired).await;
}

/// 1,001 chats still in their quiet hours never keep waiting a chat whose
/// hours are over: its digest comes within seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_whose_quiet_hours_ended_gets_its_digest_behind_a_thousand_still_quiet() {
    use chrono::Timelike;
    use entity::{access_period, chat, outbox, status};
    use sea_orm::ActiveValue::Set;
    let (fake, _t, _app, db, source_id) = setup().await;
    run(&db, source_id, &[flat("seed", 900, "Mitte")]).await;
    let listing = entity::listing::Entity::find().one(&db).await.unwrap().unwrap().id;
    let now = Utc::now();
    let minute = (now.hour() * 60 + now.minute()) as i32;
    let (from, to) = ((minute + 1440 - 60) % 1440, (minute + 60) % 1440);
    const LAST: i64 = 1_002;
    let chats: Vec<chat::ActiveModel> = (1..=LAST)
        .map(|id| chat::ActiveModel {
            id: Set(id),
            language: Set("en".into()),
            paused: Set(false),
            blocked: Set(false),
            // The last chat's hours are over (switched off); the others are in theirs.
            quiet_from: Set((id != LAST).then_some(from)),
            quiet_to: Set((id != LAST).then_some(to)),
            timezone: Set(Some("UTC".into())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in chats.chunks(300) {
        chat::Entity::insert_many(chunk.to_vec()).exec_without_returning(&db).await.unwrap();
    }
    let held: Vec<outbox::ActiveModel> = (1..=LAST)
        .map(|id| {
            let mut row = db::outbox::pending_row(
                id,
                Some(listing),
                status::outbox_kind::NEW_LISTING,
                listing.to_string(),
                db::outbox::PRIORITY_ALERT,
                None,
                now,
            );
            row.status = Set(status::outbox_status::HELD.into());
            row
        })
        .collect();
    for chunk in held.chunks(300) {
        outbox::Entity::insert_many(chunk.to_vec()).exec_without_returning(&db).await.unwrap();
    }
    // The held listing is one the last chat saved: still wanted at send time.
    entity::listing_mark::Entity::insert(entity::listing_mark::ActiveModel {
        chat_id: Set(LAST),
        listing_id: Set(listing),
        mark: Set(status::listing_mark::SAVED.into()),
        created_at: Set(now),
    })
    .exec_without_returning(&db)
    .await
    .unwrap();
    access_period::Entity::insert(access_period::ActiveModel {
        chat_id: Set(LAST),
        kind: Set(status::access_kind::TRIAL.into()),
        starts_at: Set(now - chrono::Duration::days(1)),
        ends_at: Set(now + chrono::Duration::days(1)),
        status: Set(status::access_status::ACTIVE.into()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&db)
    .await
    .unwrap();

    let started = std::time::Instant::now();
    fake.wait_for(Duration::from_secs(10), "the digest of the chat whose hours ended", |calls| {
        calls.iter().any(|c| c.method == "sendmessage" && c.body["chat_id"] == LAST)
    })
    .await;
    println!("digest after {:?}", started.elapsed());
    assert!(held_of(&db, 1).await && held_of(&db, 1_001).await, "the others still hold theirs");
}

async fn held_of(db: &DatabaseConnection, chat: i64) -> bool {
    use sea_orm::{ColumnTrait, QueryFilter};
    entity::outbox::Entity::find()
        .filter(entity::outbox::Column::ChatId.eq(chat))
        .all(db)
        .await
        .unwrap()
        .iter()
        .any(|r| r.status == entity::status::outbox_status::HELD)
}

/// A digest passes the checks its alerts would have passed alone: a muted
/// district's listing is left out of it, and a chat that paused gets none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_leaves_out_what_the_chat_no_longer_wants() {
    let (fake, _test_db, app, db, source_id) = setup().await;
    let quiet_now = || {
        let utc = Utc::now();
        format!(
            "/quiet {}-{}",
            (utc - chrono::Duration::hours(1)).format("%H:%M"),
            (utc + chrono::Duration::hours(1)).format("%H:%M")
        )
    };
    for (chat, lang) in [(EN, "en"), (RU, "ru")] {
        fake.send_text(chat, "U", lang, "/start");
        fake.send_text(chat, "U", lang, "/new price=-2000");
        fake.send_text(chat, "U", lang, "/timezone UTC");
        fake.send_text(chat, "U", lang, &quiet_now());
    }
    fake.wait_shown(EN, "Quiet hours:").await;
    fake.wait_for(Duration::from_secs(10), "the Russian quiet hours", |calls| {
        calls.iter().filter(|c| c.method == "sendmessage" && c.body["chat_id"] == RU).count() >= 4
    })
    .await;
    run(&db, source_id, &[flat("seed", 900, "Mitte")]).await;
    run(&db, source_id, &[flat("seed", 900, "Mitte"), flat("a", 1000, "Mitte"), flat("b", 1100, "Pankow")]).await;
    wait_held(&db, 4).await;

    // EN mutes Pankow for its search while the alerts are held.
    let search = entity::search::Entity::find().all(&db).await.unwrap().into_iter().find(|s| s.chat_id == EN).unwrap();
    let mut filter = homehound::search::SearchFilter::from_model(&search);
    filter.muted_districts.push("Pankow".into());
    assert!(db::searches::set_mutes(&db, EN, search.id, &filter, Utc::now()).await.unwrap());
    // RU pauses.
    fake.send_text(RU, "U", "ru", "/pause");
    tokio::time::sleep(Duration::from_secs(1)).await;

    fake.send_text(EN, "U", "en", "/quiet off");
    fake.send_text(RU, "U", "ru", "/quiet off");
    let digest = fake.wait_shown(EN, "While your alerts were quiet").await;
    assert!(digest.text.contains("Flat a") && !digest.text.contains("Flat b"), "{}", digest.text);
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(!fake.shown(RU).iter().any(|m| m.text.contains("Flat ")), "a paused chat gets no digest");
    assert_eq!(app.stop().await, homehound::app::AppExit::Clean);
}

/// Muting the only district a search names would leave a search matching
/// nothing: it is left, and the chat is told to pause instead; a district
/// among several is taken out of the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn muting_the_only_district_of_a_search_does_not_make_it_match_nothing() {
    let (fake, _t, _app, db, source_id) = setup().await;
    fake.send_text(EN, "U", "en", "/start");
    fake.send_text(EN, "U", "en", "/new price=-2000 district=Mitte");
    fake.wait_shown(EN, "Saved search #").await;
    fake.send_text(RU, "U", "ru", "/start");
    fake.send_text(RU, "U", "ru", "/new price=-2000 district=Mitte,Pankow");
    fake.wait_shown(RU, "сохранён").await;
    run(&db, source_id, &[flat("seed", 900, "Mitte")]).await;
    run(&db, source_id, &[flat("seed", 900, "Mitte"), flat("a", 1000, "Mitte")]).await;
    fake.wait_shown(EN, "Flat a").await;
    fake.wait_shown(RU, "Flat a").await;
    let search_of = |chat: i64| {
        let db = db.clone();
        async move { search::Entity::find().all(&db).await.unwrap().into_iter().find(|s| s.chat_id == chat).unwrap() }
    };
    for (chat, lang, mute) in [(EN, "en", "🔕 Mute"), (RU, "ru", "🔕 Заглушить")] {
        fake.press_on(chat, "Flat a", mute, lang);
        crate::support::wait_until(Duration::from_secs(10), "the mute choice", || {
            fake.buttons_on(chat, "Flat a").contains(&"🔕 Mitte".to_owned())
        })
        .await;
        fake.press_on(chat, "Flat a", "🔕 Mitte", lang);
    }
    fake.wait_for(Duration::from_secs(10), "the answer to pause instead", |calls| {
        calls.iter().any(|c| {
            c.method == "answercallbackquery" && c.body["text"].as_str().is_some_and(|t| t.contains("send /pause"))
        })
    })
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while search_of(RU).await.districts.as_deref() != Some(r#"["Pankow"]"#) {
        assert!(std::time::Instant::now() < deadline, "{:?}", search_of(RU).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let en = search_of(EN).await;
    assert_eq!(
        (en.districts.as_deref(), en.muted_districts.as_deref()),
        (Some(r#"["Mitte"]"#), None),
        "left as it was"
    );
    assert_eq!(search_of(RU).await.muted_districts, None, "taken out of the list, not muted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_takes_back_a_hide_and_a_mute() {
    let (fake, _test_db, app, db, source_id) = setup().await;
    both_search(&fake).await;
    run(&db, source_id, &[flat("seed", 900, "Mitte")]).await;
    run(&db, source_id, &[flat("seed", 900, "Mitte"), flat("a", 1000, "Mitte"), flat("b", 1200, "Kreuzberg")]).await;
    fake.wait_shown(EN, "Flat a").await;
    fake.wait_shown(RU, "Flat b").await;
    let actions = ["Open listing", "🙈 Hide", "🔕 Mute", "⭐ Save"];

    // 🙈 then ↩️: the listing is shown again (its price drop arrives).
    fake.press_on(EN, "Flat a", "🙈 Hide", "en");
    crate::support::wait_until(Duration::from_secs(10), "Undo", || fake.buttons_on(EN, "Flat a").len() == 2).await;
    fake.press_on(EN, "Flat a", "↩️ Undo", "en");
    crate::support::wait_until(Duration::from_secs(10), "the actions back", || {
        fake.buttons_on(EN, "Flat a") == actions
    })
    .await;
    assert!(listing_mark::Entity::find().all(&db).await.unwrap().is_empty(), "the hide is taken back");

    // 🔕 Kreuzberg then ↩️ (in Russian): the search is as it was.
    fake.press_on(RU, "Flat b", "🔕 Заглушить", "ru");
    crate::support::wait_until(Duration::from_secs(10), "the mute choice", || {
        fake.buttons_on(RU, "Flat b").contains(&"🔕 Kreuzberg".to_owned())
    })
    .await;
    fake.press_on(RU, "Flat b", "🔕 Kreuzberg", "ru");
    crate::support::wait_until(Duration::from_secs(10), "Undo", || {
        fake.buttons_on(RU, "Flat b").contains(&"↩️ Отменить".to_owned())
    })
    .await;
    let ru_search = || async { search::Entity::find().all(&db).await.unwrap().into_iter().find(|s| s.chat_id == RU) };
    assert_eq!(ru_search().await.unwrap().muted_districts.as_deref(), Some(r#"["Kreuzberg"]"#));
    fake.press_on(RU, "Flat b", "↩️ Отменить", "ru");
    crate::support::wait_until(Duration::from_secs(10), "the actions back", || {
        fake.buttons_on(RU, "Flat b").contains(&"🔕 Заглушить".to_owned())
    })
    .await;
    assert_eq!(ru_search().await.unwrap().muted_districts, None, "the mute is taken back");
    run(&db, source_id, &[flat("seed", 900, "Mitte"), flat("a", 900, "Mitte"), flat("c", 1100, "Kreuzberg")]).await;
    fake.wait_shown(RU, "Flat c").await;
    fake.wait_shown(EN, "Price dropped 1\u{202f}000 EUR → 900 EUR").await;
    // An Undo forged for another chat's search changes nothing.
    let en_search = search::Entity::find().all(&db).await.unwrap().into_iter().find(|s| s.chat_id == EN).unwrap();
    let b = entity::listing::Entity::find().all(&db).await.unwrap().into_iter().find(|l| l.external_id == "b").unwrap();
    let en_before = en_search.clone();
    fake.send_callback(RU, 1, "ru", &format!("a:ud:{}.r{}", b.id, en_search.id));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let en_after = search::Entity::find_by_id(en_before.id).one(&db).await.unwrap().unwrap();
    assert_eq!(en_after.districts, en_before.districts);
    drop_app(app).await;
}
