//! `/market`: a PNG chart of the stored listings of the last 12 weeks that
//! match a filter, a saved search or everything (the real bot thread and
//! the fake Telegram, which keeps the uploaded bytes).

use chrono::{TimeDelta, Utc};
use sea_orm::{ActiveValue::Set, EntityTrait};

use crate::{
    channels::{run, setup},
    support::telegram::FakeTelegram,
};

const ANNA: i64 = 801;
const BORIS: i64 = 802;

/// The PNG the newest sendPhoto to `chat` uploaded, and its caption.
fn last_chart(fake: &FakeTelegram, chat: i64) -> Option<(Vec<u8>, String)> {
    fake.calls_to("sendphoto").into_iter().rev().find(|c| c.body["chat_id"] == chat).map(|c| {
        // teloxide names the file part itself and points `photo` at it.
        assert_eq!(c.files.len(), 1, "one file: {:?}", c.files.iter().map(|(n, b)| (n, b.len())).collect::<Vec<_>>());
        let png = c.files[0].1.clone();
        (png, c.body["caption"].as_str().unwrap_or_default().to_owned())
    })
}

async fn chart_after(fake: &FakeTelegram, chat: i64, before: usize) -> (Vec<u8>, String) {
    crate::support::wait_until(std::time::Duration::from_secs(10), "a chart", || {
        fake.calls_to("sendphoto").iter().filter(|c| c.body["chat_id"] == chat).count() > before
    })
    .await;
    last_chart(fake, chat).unwrap()
}

fn charts(fake: &FakeTelegram, chat: i64) -> usize {
    fake.calls_to("sendphoto").iter().filter(|c| c.body["chat_id"] == chat).count()
}

/// A PNG's width and height, after checking its signature and header.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let at = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    (at(16), at(20))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_sends_a_png_chart_of_the_filter_a_saved_search_or_everything() {
    let (fake, _t, _dir, config, _app, db, source_id) = setup(false).await;
    // 60 listings over 12 weeks: 30 in Mitte (800-1,670 a month), 30 in
    // Pankow (1,200-2,070), 40-79 m².
    let now = Utc::now();
    let rows = (0..60i64).map(|i| {
        let seen = now - TimeDelta::days(i * 83 / 60) - TimeDelta::hours(1);
        let (district, base) = if i % 2 == 0 { ("Mitte", 800) } else { ("Pankow", 1_200) };
        entity::listing::ActiveModel {
            source_id: Set(source_id),
            external_id: Set(format!("m{i}")),
            url: Set(format!("https://site.example/m{i}")),
            title: Set(format!("Flat m{i}")),
            price: Set(Some(base + i * 29)),
            currency: Set(Some("EUR".into())),
            period: Set(Some("month".into())),
            monthly_price: Set(Some(base + i * 29)),
            rooms: Set(Some(2.0)),
            area_m2: Set(Some(40.0 + (i % 40) as f64)),
            district: Set(Some(district.into())),
            first_seen_at: Set(seen),
            last_seen_at: Set(seen),
            updated_at: Set(seen),
            ..Default::default()
        }
    });
    entity::listing::Entity::insert_many(rows).exec_without_returning(&db).await.unwrap();

    fake.send_text(ANNA, "Anna", "en", "/start");
    fake.send_text(ANNA, "Anna", "en", "/market");
    let (png, caption) = chart_after(&fake, ANNA, 0).await;
    assert_eq!(png_size(&png), (homehound::chart::WIDTH, homehound::chart::HEIGHT));
    assert!(png.len() > 5_000 && png.len() < 300_000, "{} bytes", png.len());
    assert!(caption.starts_with("📈 60 listings in the last 12 weeks · median"), "{caption}");

    // A filter in the one-line syntax.
    fake.send_text(ANNA, "Anna", "en", "/market district=Mitte");
    let (png, caption) = chart_after(&fake, ANNA, 1).await;
    assert_eq!(png_size(&png), (960, 720));
    assert!(caption.starts_with("📈 30 listings"), "{caption}");

    // A saved search by its number: Mitte up to 1,200 a month.
    fake.send_text(ANNA, "Anna", "en", "/new district=Mitte price=-1200");
    let saved = fake.wait_shown(ANNA, "Saved search #").await;
    let id: String = saved.text.split('#').nth(1).unwrap().chars().take_while(char::is_ascii_digit).collect();
    fake.send_text(ANNA, "Anna", "en", &format!("/market {id}"));
    let (_, caption) = chart_after(&fake, ANNA, 2).await;
    // Mitte: 800 + i*29 for even i up to 1,200: i = 0, 2, …, 12.
    assert!(caption.starts_with("📈 7 listings"), "{caption}");

    // Nothing matches, a mistyped filter, someone else's number: said, no chart.
    fake.send_text(ANNA, "Anna", "en", "/market district=Nowhere");
    fake.wait_shown(ANNA, "No stored listing of the last 12 weeks matches this").await;
    fake.send_text(ANNA, "Anna", "en", "/market colour=red");
    fake.wait_shown(ANNA, "there is no key “colour”").await;
    fake.send_text(ANNA, "Anna", "en", "/market 999999");
    fake.wait_shown(ANNA, "You have no search #999999").await;
    assert_eq!(charts(&fake, ANNA), 3);

    // "📈" under an alert of a listing with 10 comparable ones (11 Mitte
    // 2-room flats of the last 30 days): the chart of its district and
    // rooms, the listing marked.
    run(&db, &config, source_id, &[crate::support::flat("seed", 900)]).await;
    run(&db, &config, source_id, &[crate::support::flat("seed", 900), crate::support::flat("new", 1_100)]).await;
    fake.wait_shown(ANNA, "Flat new").await;
    assert!(
        fake.buttons_on(ANNA, "Flat new").contains(&"📈 Market".to_owned()),
        "{:?}",
        fake.buttons_on(ANNA, "Flat new")
    );
    fake.press_on(ANNA, "Flat new", "📈 Market", "en");
    let (png, caption) = chart_after(&fake, ANNA, 3).await;
    assert_eq!(png_size(&png), (960, 720));
    assert!(caption.starts_with("📈 32 listings"), "30 in Mitte, the seed and the new one: {caption}");
    // Callback data is the client's: a chat not told of it gets no chart.
    let new = entity::listing::Entity::find().all(&db).await.unwrap().into_iter().find(|l| l.external_id == "new");
    fake.send_text(BORIS, "Boris", "ru", "/start");
    fake.wait_shown(BORIS, "пробный").await;
    fake.send_callback(BORIS, 1, "ru", &format!("a:c:{}", new.unwrap().id));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(charts(&fake, BORIS), 0);

    // In the reader's language.
    fake.send_text(BORIS, "Boris", "ru", "/market rooms=2");
    let (png, caption) = chart_after(&fake, BORIS, 0).await;
    assert_eq!(png_size(&png), (960, 720));
    assert!(caption.starts_with("📈 62 объявления за 12 недель · медиана"), "{caption}");
}
