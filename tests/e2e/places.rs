//! Where a user wants to live: `near=` by the one-line syntax and by a
//! location shared in the wizard, against listings with and without
//! coordinates (the real bot thread and the fake Telegram; runs recorded as
//! the scraper records them).

use homehound::listing::Listing;
use sea_orm::EntityTrait;

use crate::channels::{run, setup};

const ANNA: i64 = 701;
const BORIS: i64 = 702;

fn flat_at(id: &str, place: Option<(f64, f64)>) -> Listing {
    let (lat, lon) = place.unzip();
    Listing { lat, lon, ..crate::support::flat(id, 900) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_by_the_syntax_and_by_a_shared_location_alerts_only_flats_within_the_radius() {
    let (fake, _t, _dir, config, _app, db, source_id) = setup(false).await;

    // Anna writes it: 1 km around Kottbusser Tor.
    fake.send_text(ANNA, "Anna", "en", "/start");
    fake.send_text(ANNA, "Anna", "en", "/new near=52.4993,13.4181:1km");
    fake.wait_shown(ANNA, "Saved search #").await;
    // A malformed place is refused, naming the form.
    fake.send_text(ANNA, "Anna", "en", "/new near=52.4993:1km");
    let refused = fake.wait_shown(ANNA, "is not a place and radius").await;
    assert!(refused.text.contains("near=52.5200,13.4050:2km"), "{}", refused.text);
    // A location with no wizard open says how to use it.
    fake.send_location(ANNA, "en", 52.52, 13.405);
    fake.wait_shown(ANNA, "open /new and send the location").await;

    // Boris shares his location in the wizard (in Russian) and picks 2 km.
    fake.send_text(BORIS, "Boris", "ru", "/start");
    fake.send_text(BORIS, "Boris", "ru", "/new");
    fake.wait_shown(BORIS, "Или отправьте геопозицию").await;
    fake.send_location(BORIS, "ru", 52.5200, 13.4050);
    fake.wait_shown(BORIS, "Как далеко от отправленного места?").await;
    fake.press_as(BORIS, "≤ 2 km", "ru");
    fake.wait_shown(BORIS, "Максимальная цена").await;
    fake.press_as(BORIS, "‹ Назад", "ru");
    fake.wait_button(BORIS, "📍 2km от вашего места ✕").await;
    fake.press_as(BORIS, "Далее ›", "ru");
    fake.wait_shown(BORIS, "Максимальная цена").await;
    for (label, next) in [
        ("Любой", "Сколько комнат"),
        ("Далее ›", "Минимальная площадь"),
        ("Любой", "Мебель?"),
        ("Любой", "Срок аренды"),
        ("Далее ›", "Ваш поиск"),
    ] {
        fake.press_as(BORIS, label, "ru");
        fake.wait_shown(BORIS, next).await;
    }
    let summary = fake.wait_shown(BORIS, "Ваш поиск").await;
    assert!(summary.text.contains("near=52.52,13.405:2km"), "{}", summary.text);
    fake.press_as(BORIS, "💾 Сохранить", "ru");
    fake.wait_shown(BORIS, "Поиск #").await;
    fake.send_text(BORIS, "Boris", "ru", "/searches");
    fake.wait_shown(BORIS, "near=52.52,13.405:2km").await;

    // A flat 0.5 km from Anna's place (2.5 km from Boris's), one 0.5 km from
    // Boris's (2.5 km from Anna's), one without coordinates.
    run(&db, &config, source_id, &[flat_at("seed", None)]).await;
    let flats = [
        flat_at("kotti", Some((52.4991, 13.4250))),
        flat_at("alex", Some((52.5230, 13.4100))),
        flat_at("nowhere", None),
    ];
    let report = run(&db, &config, source_id, &flats).await;
    assert_eq!(report.alerts_queued, 2, "one alert each, none for the flat without a place");
    fake.wait_shown(ANNA, "Flat kotti").await;
    fake.wait_shown(BORIS, "Flat alex").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let told = |chat: i64, flat: &str| fake.shown(chat).iter().any(|m| m.text.contains(&format!("Flat {flat}")));
    assert!(!told(ANNA, "alex") && !told(ANNA, "nowhere"));
    assert!(!told(BORIS, "kotti") && !told(BORIS, "nowhere"));
}

/// The `n` of listing `flat` in the newest `/saved` page of `chat`.
fn saved_number(fake: &crate::support::telegram::FakeTelegram, chat: i64, flat: &str) -> usize {
    let page = fake.shown(chat).into_iter().rev().find(|m| m.text.contains("Saved listings")).expect("a /saved page");
    let entry = page.text.split("\n\n").find(|e| e.contains(&format!(">Flat {flat}</a>"))).expect("the entry");
    entry.split('.').next().unwrap().trim().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn still_there_asks_the_listing_page_once_and_marks_the_answer_in_saved() {
    let site = crate::support::site::FakeSite::start().await;
    let (fake, _t, _dir, config, _app, db, source_id) =
        crate::channels::setup_with(false, "gone = \"Angebot ist nicht mehr verfügbar\"").await;
    use crate::support::site::Page;
    site.set("/l/online", Page::Html("<h1>Flat online</h1><p>2 Zimmer</p>".into()));
    site.set("/l/deleted", Page::Status(404));
    site.set("/l/marked", Page::Html("<p>Dieses Angebot ist nicht mehr verfügbar.</p>".into()));
    site.set("/l/moved", Page::Redirect("/suche".into()));
    site.set("/suche", Page::Html("<h1>Suche</h1>".into()));
    site.set("/l/down", Page::Status(503));
    let on_site = |id: &str| Listing { url: site.url(&format!("/l/{id}")), ..flat_at(id, None) };

    fake.send_text(ANNA, "Anna", "en", "/start");
    fake.send_text(ANNA, "Anna", "en", "/new price=-2000");
    fake.wait_shown(ANNA, "Saved search #").await;
    run(&db, &config, source_id, &[flat_at("seed", None)]).await;
    let ids = ["online", "deleted", "marked", "moved", "down"];
    run(&db, &config, source_id, &ids.map(on_site)).await;
    for id in ids {
        fake.wait_shown(ANNA, &format!("Flat {id}")).await;
        fake.press_on(ANNA, &format!("Flat {id}"), "⭐ Save", "en");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while entity::listing_mark::Entity::find().all(&db).await.unwrap().len() < 5 {
        assert!(std::time::Instant::now() < deadline, "five saved");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    fake.send_text(ANNA, "Anna", "en", "/saved");
    fake.wait_shown(ANNA, "Saved listings").await;

    // Each asked once: what its page says is marked in /saved.
    for (id, mark) in [
        ("online", "✅ still online (asked"),
        ("deleted", "❌ taken down (asked"),
        ("marked", "❌ taken down (asked"),
        ("moved", "❌ taken down (asked"),
    ] {
        let n = saved_number(&fake, ANNA, id);
        fake.press(ANNA, &format!("❓ #{n}"));
        crate::support::wait_until(std::time::Duration::from_secs(10), id, || {
            let page = fake.shown(ANNA).into_iter().rev().find(|m| m.text.contains("Saved listings")).unwrap();
            page.text.split("\n\n").any(|e| e.contains(&format!(">Flat {id}</a>")) && e.contains(mark))
        })
        .await;
    }
    // A site that does not answer as a page: said, nothing marked.
    let n = saved_number(&fake, ANNA, "down");
    fake.press(ANNA, &format!("❓ #{n}"));
    fake.wait_shown(ANNA, "did not answer as a listing page would").await;
    let page = fake.shown(ANNA).into_iter().rev().find(|m| m.text.contains("Saved listings")).unwrap();
    let down = page.text.split("\n\n").find(|e| e.contains(">Flat down</a>")).unwrap().to_owned();
    assert!(!down.contains("asked"), "{down}");

    // Asked again within ten minutes: the answer stands, the site is not asked.
    let n = saved_number(&fake, ANNA, "online");
    fake.press(ANNA, &format!("❓ #{n}"));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(site.hits_of("/l/online"), 1);
    assert_eq!(site.hits_of("/l/deleted"), 1);

    // Callback data is the client's: a chat that did not save the listing
    // gets nothing fetched.
    let online = entity::listing::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.external_id == "marked")
        .unwrap();
    fake.send_text(BORIS, "Boris", "en", "/start");
    fake.wait_shown(BORIS, "free trial").await;
    fake.send_callback(BORIS, 1, "en", &format!("v:c:{}:0", online.id));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(site.hits_of("/l/marked"), 1, "a forged press fetched nothing");

    // Listed again by its source: no longer taken down.
    run(&db, &config, source_id, &[on_site("marked")]).await;
    let again = entity::listing::Entity::find_by_id(online.id).one(&db).await.unwrap().unwrap();
    assert!(again.gone_at.is_none() && again.checked_at.is_some());
}
