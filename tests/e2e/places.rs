//! Where a user wants to live: `near=` by the one-line syntax and by a
//! location shared in the wizard, against listings with and without
//! coordinates (the real bot thread and the fake Telegram; runs recorded as
//! the scraper records them).

use homehound::listing::Listing;

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
