//! The scraper: storing runs (seeding, new listings, price falls, alerts)
//! and the scraper thread against a fake listing site with faults.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use entity::{listing, listing_price, outbox, source_run};
use homehound::{
    app::{AppExit, Components},
    db::{self, PoolRole, chats::ChatProfile, listings::RunResult},
    scraper::{
        fetch::{FetchOptions, Validators},
        listing::Listing,
        sources,
    },
};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::support::{
    TestApp, config,
    db::TestDb,
    site::{FakeSite, Page},
    telegram::FakeTelegram,
};

fn flat(id: &str, price: f64) -> Listing {
    crate::support::flat(id, price as i64)
}

async fn setup() -> (TestDb, DatabaseConnection, i64) {
    let test_db = TestDb::new().await;
    let db = db::connect(&test_db.url, PoolRole::Admin).await.unwrap();
    db::migrate(&db).await.unwrap();
    let rows = db::sources::sync(&db, &[("s".into(), "css".into(), "https://site.example/".into())], Utc::now())
        .await
        .unwrap();
    (test_db, db, rows[0].id)
}

async fn user_with_search(db: &DatabaseConnection, chat_id: i64, price_max: Option<i64>) {
    let profile = ChatProfile { id: chat_id, username: None, first_name: Some("U".into()), language: "en".into() };
    db::chats::register(db, &profile, Duration::from_secs(86_400), Utc::now()).await.unwrap();
    let now = Utc::now();
    entity::search::Entity::insert(entity::search::ActiveModel {
        chat_id: Set(chat_id),
        price_max: Set(price_max),
        paused: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await
    .unwrap();
}

const POLICY: homehound::db::listings::RunPolicy<'static> = homehound::scraper::run_policy(3, &[]);

async fn run(db: &DatabaseConnection, source_id: i64, listings: &[Listing]) -> db::listings::RunReport {
    let result = RunResult::Listings { listings: listings.to_vec(), validators: Validators::default() };
    db::listings::record_run(db, source_id, Utc::now(), &result, &POLICY, Utc::now()).await.unwrap()
}

async fn alerts(db: &DatabaseConnection, kind: &str) -> Vec<outbox::Model> {
    outbox::Entity::find().filter(outbox::Column::Kind.eq(kind)).all(db).await.unwrap()
}

#[tokio::test]
async fn the_first_run_seeds_silently_then_new_listings_alert_matching_chats_once() {
    let (_t, db, source_id) = setup().await;
    user_with_search(&db, 1, Some(1000)).await;
    user_with_search(&db, 2, None).await;

    let first = run(&db, source_id, &[flat("a", 900.0), flat("b", 1200.0)]).await;
    assert!(first.seeded);
    assert_eq!((first.found, first.new, first.alerts_queued), (2, 2, 0), "seeding alerts no one");
    assert_eq!(outbox::Entity::find().count(&db).await.unwrap(), 0);

    let second = run(&db, source_id, &[flat("a", 900.0), flat("b", 1200.0), flat("c", 950.0), flat("d", 1500.0)]).await;
    assert!(!second.seeded);
    assert_eq!(second.new, 2);
    let new_alerts = alerts(&db, "new").await;
    let mut pairs: Vec<(i64, String)> = new_alerts.iter().map(|a| (a.chat_id, a.dedup_key.clone())).collect();
    pairs.sort();
    let c = listing::Entity::find().filter(listing::Column::ExternalId.eq("c")).one(&db).await.unwrap().unwrap().id;
    let d = listing::Entity::find().filter(listing::Column::ExternalId.eq("d")).one(&db).await.unwrap().unwrap().id;
    let mut expected = vec![(1, c.to_string()), (2, c.to_string()), (2, d.to_string())];
    expected.sort();
    assert_eq!(pairs, expected, "chat 1 (max 1000) gets c only; chat 2 gets both");

    // The same page again stores nothing new and alerts no one.
    let third = run(&db, source_id, &[flat("a", 900.0), flat("b", 1200.0), flat("c", 950.0), flat("d", 1500.0)]).await;
    assert_eq!((third.new, third.price_drops, third.alerts_queued), (0, 0, 0));
    assert_eq!(listing::Entity::find().count(&db).await.unwrap(), 4);
    assert_eq!(outbox::Entity::find().count(&db).await.unwrap(), 3);
}

#[tokio::test]
async fn a_run_matches_every_page_of_candidate_searches_and_alerts_a_chat_once() {
    let (_t, db, source_id) = setup().await;
    // More searches than one page of candidates; chat 1 has a search on the
    // first page and another on the last.
    let chats = db::listings::CANDIDATE_PAGE as i64 + 1_500;
    let ids: Vec<i64> = (1..=chats).collect();
    let now = Utc::now();
    crate::support::db::insert_chats_with_access(&db, &ids, |_| {
        (now - chrono::Duration::hours(1), now + chrono::Duration::days(1))
    })
    .await;
    crate::support::db::insert_catch_all_searches(&db, &ids).await;
    user_with_search(&db, 1, None).await;
    run(&db, source_id, &[flat("seed", 500.0)]).await;
    let report = run(&db, source_id, &[flat("seed", 500.0), flat("new", 700.0)]).await;
    assert_eq!(report.alerts_queued, chats as u64, "every chat once, across the pages");
    let to_first = alerts(&db, "new").await.into_iter().filter(|a| a.chat_id == 1).count();
    assert_eq!(to_first, 1);
}

#[tokio::test]
async fn a_price_fall_is_detected_once_per_fall_and_told_only_to_chats_already_alerted() {
    let (_t, db, source_id) = setup().await;
    user_with_search(&db, 1, None).await;
    run(&db, source_id, &[flat("seed", 500.0)]).await;
    run(&db, source_id, &[flat("seed", 500.0), flat("x", 1000.0)]).await;
    assert_eq!(alerts(&db, "new").await.len(), 1);
    // Chat 3 arrives after the listing was announced: it must not hear of the fall.
    user_with_search(&db, 3, None).await;

    let fall = run(&db, source_id, &[flat("seed", 500.0), flat("x", 900.0)]).await;
    assert_eq!(fall.price_drops, 1);
    let again = run(&db, source_id, &[flat("seed", 500.0), flat("x", 900.0)]).await;
    assert_eq!(again.price_drops, 0, "the same price is not a second fall");
    let rise = run(&db, source_id, &[flat("seed", 500.0), flat("x", 950.0)]).await;
    assert_eq!(rise.price_drops, 0, "a rise is not a fall");
    let second_fall = run(&db, source_id, &[flat("seed", 500.0), flat("x", 800.0)]).await;
    assert_eq!(second_fall.price_drops, 1);

    let drops = alerts(&db, "price_drop").await;
    assert_eq!(drops.len(), 2, "{drops:?}");
    assert!(drops.iter().all(|d| d.chat_id == 1));
    let payloads: Vec<&str> = drops.iter().filter_map(|d| d.payload.as_deref()).collect();
    assert!(payloads.contains(&r#"{"cut":1,"new":900,"old":1000}"#), "{payloads:?}");
    assert!(payloads.contains(&r#"{"cut":2,"new":800,"old":950}"#), "second cut: {payloads:?}");
    let x = listing::Entity::find().filter(listing::Column::ExternalId.eq("x")).one(&db).await.unwrap().unwrap();
    assert_eq!(x.price, Some(800));
    let history =
        listing_price::Entity::find().filter(listing_price::Column::ListingId.eq(x.id)).count(&db).await.unwrap();
    assert_eq!(history, 4, "1000, 900, 950, 800");
}

#[tokio::test]
async fn a_first_run_that_finds_nothing_still_seeds_but_a_failed_one_does_not() {
    let (_t, db, source_id) = setup().await;
    user_with_search(&db, 1, None).await;
    let failed = db::listings::record_run(
        &db,
        source_id,
        Utc::now(),
        &RunResult::Failed("HTTP 500".into()),
        &POLICY,
        Utc::now(),
    )
    .await
    .unwrap();
    assert!(!failed.seeded);
    let empty = run(&db, source_id, &[]).await;
    assert!(empty.seeded, "an empty first run is the first run");
    run(&db, source_id, &[flat("n", 700.0)]).await;
    assert_eq!(alerts(&db, "new").await.len(), 1, "the listing after an empty first run alerts");
}

#[tokio::test]
async fn admins_get_one_message_when_a_source_keeps_failing_and_one_when_it_recovers() {
    let (_t, db, source_id) = setup().await;
    let admins = [77_i64];
    let policy = homehound::scraper::run_policy(3, &admins);
    run(&db, source_id, &[flat("a", 1.0)]).await;
    for _ in 0..6 {
        db::listings::record_run(
            &db,
            source_id,
            Utc::now(),
            &RunResult::Blocked("captcha".into()),
            &policy,
            Utc::now(),
        )
        .await
        .unwrap();
    }
    let notices = alerts(&db, "notice").await;
    assert_eq!(notices.len(), 1, "one message, not one per run: {notices:?}");
    assert_eq!(notices[0].chat_id, 77);
    let report = db::listings::record_run(
        &db,
        source_id,
        Utc::now(),
        &RunResult::Listings { listings: vec![flat("a", 1.0)], validators: Validators::default() },
        &policy,
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(report.health_changed, Some(false));
    assert_eq!(alerts(&db, "notice").await.len(), 2);
    // Nothing stored was deleted by the failing runs.
    assert_eq!(listing::Entity::find().count(&db).await.unwrap(), 1);
}

pub(crate) fn css_page(cards: &[(&str, &str)]) -> String {
    let cards: String = cards
        .iter()
        .map(|(id, price)| {
            format!(r#"<article class="listing" data-id="{id}"><a class="title" href="/flat/{id}">Flat {id}</a><span class="price">{price} €</span></article>"#)
        })
        .collect();
    format!("<html><head><title>Flats</title></head><body>{cards}</body></html>")
}

fn css_source(name: &str, url: &str) -> String {
    format!(
        r#"[[sources]]
name = "{name}"
kind = "css"
url = "{url}"
currency = "EUR"
[sources.css]
card = "article.listing"
id = "@data-id"
url = "a.title@href"
title = "a.title"
price = ".price"
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_good_source_keeps_delivering_while_others_fail_in_every_way() {
    let fake = FakeTelegram::start().await;
    let good_site = FakeSite::start_on("127.0.0.1").await;
    let bad_site = FakeSite::start_on("127.0.0.2").await;
    good_site.set("/list", Page::Html(css_page(&[("1", "900"), ("2", "1000")])));
    bad_site.set("/500", Page::Status(500));
    bad_site.set("/slow", Page::Slow(Duration::from_secs(30), css_page(&[("9", "1")])));
    bad_site.set(
        "/captcha",
        Page::Html(
            "<html><head><title>Ich bin kein Roboter - ImmobilienScout24</title></head><body></body></html>".into(),
        ),
    );
    bad_site
        .set("/garbage", Page::Bytes((0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()));
    bad_site.set("/huge", Page::Huge(20 * 1024 * 1024));
    bad_site.set("/loop", Page::Redirect("/loop".into()));
    bad_site.set("/trickle", Page::Trickle(Duration::from_millis(300)));

    let mut toml = css_source("good", &good_site.url("/list"));
    for path in ["/500", "/slow", "/captcha", "/garbage", "/huge", "/loop", "/trickle"] {
        toml.push_str(&css_source(&format!("bad{}", path.replace('/', "-")), &bad_site.url(path)));
    }
    let mut sources = sources::parse(&toml).expect("valid sources");
    for s in &mut sources {
        s.interval = Duration::from_secs(1);
    }
    let test_db = TestDb::new().await;
    let mut cfg = config(&test_db.url, &fake.url, &[]);
    cfg.sources = Arc::new(sources);
    cfg.fetch = FetchOptions {
        total_timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        politeness: Duration::from_millis(10),
        attempts: 2,
        backoff_base: Duration::from_millis(50),
        ..FetchOptions::default()
    };
    let app = TestApp::start(cfg, Components::default()).await;
    let db = db::connect(&test_db.url, PoolRole::Admin).await.unwrap();

    // The good source seeds, then a new card appears and is stored.
    wait_for_runs(&db, "good", 1).await;
    good_site.set("/list", Page::Html(css_page(&[("1", "900"), ("2", "1000"), ("3", "800")])));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let n = listing::Entity::find().filter(listing::Column::ExternalId.eq("3")).count(&db).await.unwrap();
        if n == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the good source did not deliver while the others failed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let expect = [
        ("bad-500", "error"),
        ("bad-slow", "error"),
        ("bad-captcha", "blocked"),
        ("bad-garbage", "empty"),
        ("bad-huge", "error"),
        ("bad-loop", "error"),
        ("bad-trickle", "error"),
    ];
    for (name, outcome) in expect {
        let runs = wait_for_runs(&db, name, 1).await;
        assert_eq!(runs[0].outcome, outcome, "{name}: {:?}", runs[0]);
    }
    let health = app.health();
    assert!(health.all_alive(), "the scraper thread stays up");
    assert_eq!(health.component("scraper").restarts(), 0);
    assert_eq!(app.stop().await, AppExit::Clean);
    let good_listings = listing::Entity::find().count(&db).await.unwrap();
    assert_eq!(good_listings, 3, "only the good source stored listings, and none were deleted");
}

async fn wait_for_runs(db: &DatabaseConnection, name: &str, n: usize) -> Vec<source_run::Model> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let source =
            entity::source::Entity::find().filter(entity::source::Column::Name.eq(name)).one(db).await.unwrap();
        if let Some(source) = source {
            let runs = db::sources::runs(db, source.id).await.unwrap();
            if runs.len() >= n {
                return runs;
            }
        }
        assert!(std::time::Instant::now() < deadline, "{name}: fewer than {n} runs in 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

mod fetching {
    use std::time::{Duration, Instant};

    use homehound::{
        scraper::fetch::{FetchError, FetchOptions, Fetched, Fetcher, Validators},
        shutdown::Shutdown,
    };
    use reqwest::Url;

    use crate::support::site::{FakeSite, Page};

    fn fetcher(options: FetchOptions) -> Fetcher {
        Fetcher::new(options, Shutdown::new()).unwrap()
    }

    fn quick() -> FetchOptions {
        FetchOptions {
            total_timeout: Duration::from_secs(2),
            politeness: Duration::from_millis(0),
            attempts: 3,
            backoff_base: Duration::from_millis(20),
            ..FetchOptions::default()
        }
    }

    #[tokio::test]
    async fn retry_after_is_honoured_on_429_and_503() {
        let site = FakeSite::start().await;
        site.set("/p", Page::RetryAfter(429, 1));
        let f = fetcher(quick());
        let url = Url::parse(&site.url("/p")).unwrap();
        let fix = site.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            fix.set("/p", Page::Html("<html>ok</html>".into()));
        });
        let started = Instant::now();
        let page = f.fetch(&url, &Validators::default()).await.unwrap();
        assert!(matches!(page, Fetched::Page { .. }));
        assert!(started.elapsed() >= Duration::from_millis(950), "waited Retry-After: {:?}", started.elapsed());
        assert_eq!(site.hits_of("/p"), 2);

        site.set("/q", Page::RetryAfter(503, 600));
        let err = f.fetch(&Url::parse(&site.url("/q")).unwrap(), &Validators::default()).await.unwrap_err();
        assert_eq!(err, FetchError::RateLimited(Duration::from_secs(600)), "a 10-minute wait ends the run instead");
        assert_eq!(site.hits_of("/q"), 1);
    }

    #[tokio::test]
    async fn server_errors_are_retried_with_backoff_then_reported() {
        let site = FakeSite::start().await;
        site.set("/e", Page::Status(502));
        let err =
            fetcher(quick()).fetch(&Url::parse(&site.url("/e")).unwrap(), &Validators::default()).await.unwrap_err();
        assert_eq!(err, FetchError::Status(502));
        assert_eq!(site.hits_of("/e"), 3, "three attempts");
        site.set("/f", Page::Status(404));
        let err =
            fetcher(quick()).fetch(&Url::parse(&site.url("/f")).unwrap(), &Validators::default()).await.unwrap_err();
        assert_eq!(err, FetchError::Status(404));
        assert_eq!(site.hits_of("/f"), 1, "a 404 is not retried");
        site.set("/b", Page::Status(403));
        let err =
            fetcher(quick()).fetch(&Url::parse(&site.url("/b")).unwrap(), &Validators::default()).await.unwrap_err();
        assert_eq!(err, FetchError::Blocked(403));
    }

    #[tokio::test]
    async fn conditional_get_turns_an_unchanged_page_into_not_modified() {
        let site = FakeSite::start().await;
        site.set("/c", Page::WithEtag("\"v1\"".into(), "<html>v1</html>".into()));
        let f = fetcher(quick());
        let url = Url::parse(&site.url("/c")).unwrap();
        let Fetched::Page { validators, body, .. } = f.fetch(&url, &Validators::default()).await.unwrap() else {
            panic!("first fetch is a page")
        };
        assert_eq!(body, "<html>v1</html>");
        assert_eq!(validators.etag.as_deref(), Some("\"v1\""));
        assert!(matches!(f.fetch(&url, &validators).await.unwrap(), Fetched::NotModified));
    }

    #[tokio::test]
    async fn one_request_at_a_time_per_host_with_a_politeness_delay() {
        let site = FakeSite::start().await;
        site.set("/a", Page::Html("a".into()));
        site.set("/b", Page::Html("b".into()));
        let f = fetcher(FetchOptions { politeness: Duration::from_millis(400), ..quick() });
        let (a, b) = (Url::parse(&site.url("/a")).unwrap(), Url::parse(&site.url("/b")).unwrap());
        let started = Instant::now();
        let none = Validators::default();
        let (ra, rb) = tokio::join!(f.fetch(&a, &none), f.fetch(&b, &none));
        ra.unwrap();
        rb.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(400), "second request waited: {:?}", started.elapsed());
    }

    #[tokio::test]
    async fn shutdown_interrupts_a_fetch_at_once() {
        let site = FakeSite::start().await;
        site.set("/slow", Page::Slow(Duration::from_secs(20), "x".into()));
        let shutdown = Shutdown::new();
        let f =
            Fetcher::new(FetchOptions { total_timeout: Duration::from_secs(30), ..quick() }, shutdown.clone()).unwrap();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            trigger.trigger();
        });
        let started = Instant::now();
        let err = f.fetch(&Url::parse(&site.url("/slow")).unwrap(), &Validators::default()).await.unwrap_err();
        assert_eq!(err, FetchError::Shutdown);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}

#[tokio::test]
async fn a_field_going_empty_on_every_listing_is_a_bad_run_until_fixed() {
    let (_t, db, source_id) = setup().await;
    let admins = [77_i64];
    let policy = homehound::scraper::run_policy(3, &admins);
    let record = |listings: Vec<Listing>| {
        let (db, policy) = (db.clone(), policy);
        async move {
            let result = RunResult::Listings { listings, validators: Validators::default() };
            db::listings::record_run(&db, source_id, Utc::now(), &result, &policy, Utc::now()).await.unwrap()
        }
    };
    let flats = |ids: &[&str]| ids.iter().map(|id| flat(id, 1000.0)).collect::<Vec<_>>();
    record(flats(&["a", "b", "c", "d"])).await;
    // The site moved its room count: every listing of the next runs lacks it.
    let no_rooms = |ids: &[&str]| ids.iter().map(|id| Listing { rooms: None, ..flat(id, 1000.0) }).collect::<Vec<_>>();
    for round in 0..3 {
        let report = record(no_rooms(&["a", "b", "c", "e"])).await;
        assert_eq!(report.found, 4, "the listings are still stored");
        let src = entity::source::Entity::find_by_id(source_id).one(&db).await.unwrap().unwrap();
        assert_eq!(src.consecutive_failures, round + 1, "a bad run");
        let error = src.last_error.unwrap_or_default();
        assert!(error.contains("`rooms`") && error.contains("all 4"), "{error}");
    }
    let notices = alerts(&db, "notice").await;
    assert_eq!(notices.len(), 1, "admins told once after 3 bad runs: {notices:?}");
    assert!(notices[0].payload.as_deref().unwrap_or_default().contains("rooms"), "{:?}", notices[0].payload);
    let runs = db::sources::runs(&db, source_id).await.unwrap();
    assert!(runs.iter().any(|r| r.field_fill.as_deref().is_some_and(|f| f.contains("\"rooms\":0"))), "{runs:?}");
    // Fixed: the field is back, the source recovers and admins hear it.
    let report = record(flats(&["a", "b", "c", "e"])).await;
    assert_eq!(report.health_changed, Some(false));
    // A field that was never filled is no layout change.
    let (_t2, db2, other) = setup().await;
    for _ in 0..2 {
        let result = RunResult::Listings { listings: no_rooms(&["x", "y", "z"]), validators: Validators::default() };
        db::listings::record_run(&db2, other, Utc::now(), &result, &policy, Utc::now()).await.unwrap();
    }
    let src = entity::source::Entity::find_by_id(other).one(&db2).await.unwrap().unwrap();
    assert_eq!(src.consecutive_failures, 0);
}

/// The `{since}` in each request body the fake API received.
fn since_values(site: &FakeSite) -> Vec<i64> {
    site.requests().iter().filter_map(|r| r.body.split("createdAt>").nth(1)?.split('"').next()?.parse().ok()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_window_moves_forward_only_after_a_successful_run() {
    let fake = FakeTelegram::start().await;
    let site = FakeSite::start().await;
    site.set("/q", Page::Status(500));
    let toml = format!(
        r#"
        [[sources]]
        name = "api"
        kind = "json"
        url = "{}"
        currency = "AED"
        max_pages = 3
        [sources.request]
        method = "POST"
        first_page = 0
        since_overlap = "10m"
        body = '{{"params": "page={{page}}&numericFilters=createdAt>{{since}}"}}'
        [sources.json]
        items = "$.hits[*]"
        id = "$.id"
        url = {{ path = "$.id", template = "https://api.example/{{}}" }}
        price = "$.price"
        "#,
        site.url("/q")
    );
    let mut sources = sources::parse(&toml).expect("valid sources");
    sources[0].interval = Duration::from_secs(1);
    let test_db = TestDb::new().await;
    let mut cfg = config(&test_db.url, &fake.url, &[]);
    cfg.sources = Arc::new(sources);
    cfg.fetch = FetchOptions { attempts: 1, politeness: Duration::from_millis(10), ..FetchOptions::default() };
    let started = Utc::now();
    let app = TestApp::start(cfg, Components::default()).await;
    let db = db::connect(&test_db.url, PoolRole::Admin).await.unwrap();

    // A failed run: the next run asks for the same window again.
    wait_for_runs(&db, "api", 2).await;
    let failed = since_values(&site);
    assert!(failed.len() >= 2, "{failed:?}");
    let day_back = started.timestamp() - 86_400;
    assert!(failed.iter().all(|s| (s - day_back).abs() < 60), "a day back before any success: {failed:?}");

    // Success: two pages (the second empty), then the window starts at that
    // run's start minus the overlap.
    let hits = r#"{"hits": [{"id": "1", "price": 5000}, {"id": "2", "price": 6000}]}"#;
    site.set(
        "/q",
        Page::JsonByBody(vec![("page=0&".into(), hits.into()), ("page=1&".into(), r#"{"hits": []}"#.into())]),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let success_at = loop {
        let runs =
            db::sources::runs(&db, entity::source::Entity::find().one(&db).await.unwrap().unwrap().id).await.unwrap();
        if let Some(ok) = runs.iter().find(|r| r.outcome == "ok") {
            break ok.started_at;
        }
        assert!(std::time::Instant::now() < deadline, "no successful run");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(site.requests().iter().any(|r| r.body.contains("page=1&")), "page 2 was fetched");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let moved = since_values(&site).into_iter().filter(|s| (s - (success_at.timestamp() - 600)).abs() <= 2).count();
        if moved > 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the window never moved: {:?}", since_values(&site));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.stop().await, AppExit::Clean);
    assert_eq!(listing::Entity::find().count(&db).await.unwrap(), 2);
}

#[tokio::test]
async fn values_that_do_not_fit_their_columns_leave_out_that_listing_not_the_run() {
    let (_t, db, source_id) = setup().await;
    let bad = [
        Listing { currency: Some("EURO".into()), ..flat("currency", 900.0) },
        Listing { area_m2: Some(f64::NAN), ..flat("nan-area", 900.0) },
        Listing { title: "x".repeat(20_000), ..flat("long-title", 900.0) },
        Listing { price: Some(1e300), ..flat("huge-price", 900.0) },
        flat(&"i".repeat(300), 900.0),
    ];
    let mut listings = vec![flat("good-1", 1000.0)];
    listings.extend(bad);
    listings.push(flat("good-2", 1100.0));
    let report = run(&db, source_id, &listings).await;
    assert_eq!(report.outcome, "ok");
    assert_eq!((report.found, report.invalid, report.new), (7, 5, 2));
    let stored: Vec<String> =
        listing::Entity::find().all(&db).await.unwrap().into_iter().map(|l| l.external_id).collect();
    assert_eq!(stored, vec!["good-1", "good-2"]);
}

#[tokio::test]
async fn forty_days_after_the_alert_a_price_drop_is_told_and_the_buttons_still_act() {
    use db::retention::{Cutoffs, Pruned, prune_batch};
    let (_t, db, source_id) = setup().await;
    let t0 = Utc::now() - chrono::Duration::days(40);
    let day = |d: i64| t0 + chrono::Duration::days(d);
    let profile = ChatProfile { id: 1, username: None, first_name: None, language: "en".into() };
    db::chats::register(&db, &profile, Duration::from_secs(100 * 86_400), t0).await.unwrap();
    entity::search::Entity::insert(entity::search::ActiveModel {
        chat_id: Set(1),
        paused: Set(false),
        created_at: Set(t0),
        updated_at: Set(t0),
        ..Default::default()
    })
    .exec(&db)
    .await
    .unwrap();
    let run_at = |listings: Vec<Listing>, at: chrono::DateTime<Utc>| {
        let db = db.clone();
        async move {
            let result = RunResult::Listings { listings, validators: Validators::default() };
            db::listings::record_run(&db, source_id, at, &result, &POLICY, at).await.unwrap()
        }
    };
    run_at(vec![flat("seed", 500.0)], day(0)).await;
    let first = run_at(vec![flat("seed", 500.0), flat("x", 1000.0), flat("y", 800.0)], day(0)).await;
    assert_eq!(first.alerts_queued, 2);
    // The sender claims and sends them (one per chat per batch) and marks
    // them sent: that records what the chat was told.
    for i in 0..2 {
        let at = day(0) + chrono::Duration::seconds(2 * i);
        let claimed = db::outbox::claim(&db, "sender#1", 10, at).await.unwrap();
        let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
        assert_eq!(db::outbox::mark_sent_many(&db, "sender#1", &ids, false, at).await.unwrap(), 1);
    }
    assert_eq!(entity::told::Entity::find().count(&db).await.unwrap(), 2);
    // Day 35: y is gone; x is still listed. Retention prunes the messages
    // (30 days) but keeps the listings (90).
    run_at(vec![flat("seed", 500.0), flat("x", 1000.0)], day(35)).await;
    // That run read every page: y was gone.
    db::sources::move_window(&db, source_id, day(35)).await.unwrap();
    let cut = Cutoffs {
        outbox: day(40) - chrono::Duration::days(30),
        listings: day(40) - chrono::Duration::days(90),
        runs: day(40) - chrono::Duration::days(30),
    };
    while prune_batch(&db, cut).await.unwrap() != Pruned::default() {}
    assert_eq!(outbox::Entity::find().count(&db).await.unwrap(), 0, "the alerts' messages are pruned");

    // Day 40: x is cheaper, y is back.
    let fall = run_at(vec![flat("seed", 500.0), flat("x", 900.0), flat("y", 800.0)], day(40)).await;
    assert_eq!((fall.price_drops, fall.returned), (1, 1));
    let drops = alerts(&db, "price_drop").await;
    assert_eq!(drops.iter().map(|d| d.chat_id).collect::<Vec<_>>(), [1], "told 40 days ago, told of the fall");
    assert!(alerts(&db, "new").await.is_empty(), "y was told of before: no second alert as new");

    let x = listing::Entity::find().filter(listing::Column::ExternalId.eq("x")).one(&db).await.unwrap().unwrap();
    assert!(db::told::was_told(&db, 1, x.id).await.unwrap(), "the alert's buttons still act");
    assert!(!db::told::was_told(&db, 2, x.id).await.unwrap());
    assert!(db::outbox::queue_photos(&db, 1, x.id, day(40)).await.unwrap(), "photos once");
    assert!(!db::outbox::queue_photos(&db, 1, x.id, day(40)).await.unwrap());

    // Told is kept as long as the listing, and goes with it.
    let cut = Cutoffs { outbox: day(41), listings: day(41), runs: day(41) };
    while prune_batch(&db, cut).await.unwrap() != Pruned::default() {}
    assert_eq!(entity::told::Entity::find().count(&db).await.unwrap(), 0);
    // Its messages still queued (the photos) go with it, on both backends
    // (PostgreSQL's outbox has no foreign keys to cascade).
    let left = outbox::Entity::find().filter(outbox::Column::ListingId.eq(x.id)).count(&db).await.unwrap();
    assert_eq!(left, 0, "no message outlives its listing");
}

#[tokio::test]
async fn retention_keeps_the_database_flat_over_40_simulated_days() {
    use db::retention::{Cutoffs, Pruned, prune_batch};
    let (_t, db, source_id) = setup().await;
    let t0 = Utc::now();
    let profile = ChatProfile { id: 1, username: None, first_name: None, language: "en".into() };
    db::chats::register(&db, &profile, Duration::from_secs(100 * 86_400), t0).await.unwrap();
    entity::search::Entity::insert(entity::search::ActiveModel {
        chat_id: Set(1),
        paused: Set(false),
        created_at: Set(t0),
        updated_at: Set(t0),
        ..Default::default()
    })
    .exec(&db)
    .await
    .unwrap();
    let day = |d: i64| t0 + chrono::Duration::days(d);
    let mut sizes = Vec::new();
    for d in 0..40 {
        let now = day(d);
        let listings: Vec<Listing> = (0..50).map(|i| flat(&format!("d{d}-{i}"), 900.0 + i as f64)).collect();
        let result = RunResult::Listings { listings, validators: Validators::default() };
        db::listings::record_run(&db, source_id, now, &result, &POLICY, now).await.unwrap();
        // The sender did its work.
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, sea_orm::sea_query::Expr::value("sent"))
            .col_expr(outbox::Column::CreatedAt, sea_orm::sea_query::Expr::value(now))
            .filter(outbox::Column::Status.eq("pending"))
            .exec(&db)
            .await
            .unwrap();
        // Retention as configured: messages and runs 5 days, listings 10.
        let cut = Cutoffs {
            outbox: now - chrono::Duration::days(5),
            listings: day(d - 10),
            runs: now - chrono::Duration::days(5),
        };
        while prune_batch(&db, cut).await.unwrap() != Pruned::default() {}
        let listings = listing::Entity::find().count(&db).await.unwrap();
        let prices = listing_price::Entity::find().count(&db).await.unwrap();
        let messages = outbox::Entity::find().count(&db).await.unwrap();
        let runs = source_run::Entity::find().count(&db).await.unwrap();
        sizes.push((listings, prices, messages, runs));
    }
    let (listings, prices, messages, runs) = sizes[39];
    assert_eq!(sizes[20], sizes[39], "flat from day 20 on: {sizes:?}");
    assert!(listings <= 11 * 50 && prices <= 11 * 50, "{listings} listings, {prices} prices");
    assert!(messages <= 6 * 50 && runs <= 6, "{messages} messages, {runs} runs");
    assert!(messages > 0 && runs > 0, "recent rows are kept");
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        let p = crate::support::db::scalar(&db, "PRAGMA page_count").await;
        eprintln!(
            "figures: after 40 days {listings} listings, {prices} prices, {messages} messages, {runs} runs, {p} pages"
        );
    }
}

#[tokio::test]
async fn a_source_whose_url_changed_or_that_retention_emptied_seeds_silently_again() {
    use db::retention::{Cutoffs, prune_batch};
    let (_t, db, source_id) = setup().await;
    user_with_search(&db, 1, None).await;
    assert!(run(&db, source_id, &[flat("a", 900.0)]).await.seeded);
    assert_eq!(run(&db, source_id, &[flat("a", 900.0), flat("b", 950.0)]).await.alerts_queued, 1);

    // A new URL is a new result list: its first run alerts no one.
    db::sources::sync(&db, &[("s".into(), "css".into(), "https://site.example/other".into())], Utc::now())
        .await
        .unwrap();
    let moved = run(&db, source_id, &[flat("x", 900.0), flat("y", 950.0)]).await;
    assert!(moved.seeded, "{moved:?}");
    assert_eq!(moved.alerts_queued, 0);
    assert_eq!(run(&db, source_id, &[flat("x", 900.0), flat("y", 950.0), flat("z", 990.0)]).await.alerts_queued, 1);

    // 100 days without a successful run: retention deletes every listing,
    // and the next run stores silently instead of alerting on all of them.
    let long_ago = Utc::now() - chrono::Duration::days(100);
    listing::Entity::update_many()
        .col_expr(listing::Column::LastSeenAt, sea_orm::sea_query::Expr::value(long_ago))
        .exec(&db)
        .await
        .unwrap();
    entity::source::Entity::update_many()
        .col_expr(entity::source::Column::LastSuccessAt, sea_orm::sea_query::Expr::value(Some(long_ago)))
        .exec(&db)
        .await
        .unwrap();
    let cut = Utc::now() - chrono::Duration::days(90);
    while prune_batch(&db, Cutoffs { outbox: cut, listings: cut, runs: cut }).await.unwrap().listings > 0 {}
    prune_batch(&db, Cutoffs { outbox: cut, listings: cut, runs: cut }).await.unwrap();
    assert_eq!(listing::Entity::find().count(&db).await.unwrap(), 0);
    let back = run(&db, source_id, &[flat("x", 900.0), flat("y", 950.0), flat("z", 990.0)]).await;
    assert!(back.seeded, "{back:?}");
    assert_eq!(back.alerts_queued, 0, "no flood of listings that are only new to us");
}

/// flatfox through its preset, as an operator writes it: the pins of a map
/// search, then the listings of every pin's key, on a fake flatfox.
#[tokio::test]
async fn flatfox_asks_the_pins_then_the_listings_of_every_key() {
    use homehound::{
        scraper::{fetch::Fetcher, scrape},
        shutdown::Shutdown,
    };
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flatfox");
    let pins = std::fs::read_to_string(dir.join("zuerich-rent-pins-api-2026.json")).expect("pins fixture");
    let listings = std::fs::read_to_string(dir.join("zuerich-rent-public-listings-api-2026.json")).expect("fixture");
    let keys: Vec<String> =
        serde_json::from_str::<Vec<serde_json::Value>>(&pins).unwrap().iter().map(|p| p["pk"].to_string()).collect();
    assert_eq!(keys.len(), 100);
    let site = FakeSite::start().await;
    let pins_path = "/api/v1/pin/?east=8.62&north=47.43&max_count=100";
    let asked = format!(
        "/api/v1/public-listing/?expand=cover_image&limit=0&{}",
        keys.iter().map(|k| format!("pk={k}")).collect::<Vec<_>>().join("&")
    );
    site.set(pins_path, Page::JsonByBody(vec![("".into(), pins)]));
    site.set(&asked, Page::JsonByBody(vec![("".into(), listings)]));
    let toml = format!("[[sources]]\nname = \"zh\"\nkind = \"flatfox\"\nurl = \"{}\"\n", site.url(pins_path));
    let source = sources::parse(&toml).expect("valid source").remove(0);
    let fetcher = Fetcher::new(
        FetchOptions { politeness: Duration::from_millis(1), attempts: 1, ..FetchOptions::default() },
        Shutdown::new(),
    )
    .unwrap();

    let (result, complete) = scrape(&fetcher, &source, &Validators::default(), None).await.expect("not stopped");
    let RunResult::Listings { listings, .. } = result else { panic!("{result:?}") };
    // Every key, in the pins' order (newest first), in one request.
    assert_eq!(site.hits_of(&asked), 1, "asked: {:?}", site.hits());
    assert!(complete);
    assert_eq!(listings.len(), 100);
    let first = listings.iter().find(|l| l.id == "68150385").expect("listing 1");
    assert_eq!(first.price, Some(2710.0));
    assert_eq!(first.currency.as_deref(), Some("CHF"));

    // Pins answering none: no listings request, an empty run.
    site.set(pins_path, Page::JsonByBody(vec![("".into(), "[]".into())]));
    let (result, _) = scrape(&fetcher, &source, &Validators::default(), None).await.expect("not stopped");
    assert!(matches!(result, RunResult::Listings { ref listings, .. } if listings.is_empty()), "{result:?}");
    assert_eq!(site.hits_of(&asked), 1, "not asked again");
    // Pins answering garbage: a failed run that says so.
    site.set(pins_path, Page::JsonByBody(vec![("".into(), "<html>".into())]));
    let (result, _) = scrape(&fetcher, &source, &Validators::default(), None).await.expect("not stopped");
    assert!(matches!(result, RunResult::Failed(ref why) if why.contains("keys answer is not JSON")), "{result:?}");
}
