//! Pages and hosts that try to hurt the service: a page nested 100,000
//! deep, a process killed mid-run, redirects and links to another host
//! fishing for secrets, a later page failing under a `{since}` window.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use entity::{source, source_run};
use homehound::{
    app::{AppExit, Components},
    db::{self, PoolRole},
    scraper::{
        fetch::{FetchError, FetchOptions, Fetched, Fetcher, Validators},
        sources,
    },
    shutdown::Shutdown,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::support::{
    TestApp, config,
    db::TestDb,
    process::{Proc, free_addr, http_get},
    site::{FakeSite, Page},
    telegram::{FakeTelegram, TOKEN},
};

const SECRET: &str = "s3cr3t-7d1e0c55aa";
const SECRET_VAR: &str = "HOMEHOUND_TEST_HOSTILE_SECRET";

fn deep_page(depth: usize) -> String {
    format!(
        "<html><head><title>Flats</title></head><body>{}x{}</body></html>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    )
}

fn css_source(name: &str, url: &str, interval: &str) -> String {
    format!(
        "[[sources]]\nname = \"{name}\"\nkind = \"css\"\nurl = \"{url}\"\ninterval = \"{interval}\"\ncurrency = \"EUR\"\n\
         [sources.css]\ncard = \"article.listing\"\nid = \"@data-id\"\nurl = \"a.title@href\"\ntitle = \"a.title\"\n\
         price = \".price\"\n"
    )
}

async fn source_row(db: &DatabaseConnection, name: &str) -> Option<source::Model> {
    source::Entity::find().filter(source::Column::Name.eq(name)).one(db).await.unwrap()
}

async fn runs_of(db: &DatabaseConnection, name: &str) -> Vec<source_run::Model> {
    match source_row(db, name).await {
        Some(s) => db::sources::runs(db, s.id).await.unwrap(),
        None => Vec::new(),
    }
}

/// Polls `cond` on a fresh runtime until it holds (synchronous tests).
fn poll<T>(rt: &tokio::runtime::Runtime, timeout: Duration, what: &str, mut cond: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(v) = rt.block_on(cond()) {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_page_nested_100_000_deep_fails_its_run_and_a_kill_mid_run_backs_the_source_off() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let fake = FakeTelegram::start_detached();
    let deep_site = FakeSite::start_detached_on("127.0.0.1");
    let slow_site = FakeSite::start_detached_on("127.0.0.2");
    deep_site.set("/deep", Page::Html(deep_page(100_000)));
    slow_site.set("/slow", Page::Slow(Duration::from_secs(120), deep_page(3)));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sources.toml");
    let toml = css_source("deep", &deep_site.url("/deep"), "30s") + &css_source("slow", &slow_site.url("/slow"), "30s");
    std::fs::write(&file, toml).unwrap();
    let file_s = file.display().to_string();
    let test_db = rt.block_on(TestDb::new());
    let health = free_addr();
    let health_s = health.to_string();
    let envs = [
        ("TELEGRAM_BOT_TOKEN", TOKEN),
        ("TELEGRAM_API_URL", fake.url.as_str()),
        ("DATABASE_URL", test_db.url.as_str()),
        ("HEALTH_ADDR", health_s.as_str()),
        ("SOURCES_FILE", file_s.as_str()),
        ("ADMIN_CHAT_IDS", "4242"),
    ];
    let mut proc = Proc::spawn(&["run"], &envs);
    proc.wait_healthy(health, Duration::from_secs(60));
    let db = rt.block_on(db::connect(&test_db.url, PoolRole::Admin)).unwrap();

    // The deep page: a failed run; the process stays up and answers.
    let failed = poll(&rt, Duration::from_secs(60), "the deep page's run", async || {
        runs_of(&db, "deep").await.into_iter().next()
    });
    assert_eq!(failed.outcome, "error", "{failed:?}");
    assert!(failed.error.as_deref().unwrap_or_default().contains("nests elements more than"), "{failed:?}");
    let (status, body) = http_get(health, "/healthz").expect("healthz answers");
    assert_eq!(status, 200, "{body}");
    fake.send_text(777, "Ann", "en", "/status");
    poll(&rt, Duration::from_secs(20), "an answer to /status", async || {
        fake.calls_to("sendMessage").iter().any(|c| c.body["chat_id"] == 777).then_some(())
    });

    // The slow source's run is under way: kill -9 the process mid-run.
    poll(&rt, Duration::from_secs(30), "the slow run under way", async || {
        let row = source_row(&db, "slow").await?;
        (row.run_started_at.is_some() && slow_site.hits_of("/slow") > 0).then_some(())
    });
    proc.signal("KILL");
    proc.wait_exit(Duration::from_secs(5)).expect("killed");
    let hits_at_kill = slow_site.hits_of("/slow");

    // The next start sees the run that never ended: recorded as failed,
    // the source backed off (at least a minute), the admins told.
    let restarted_at = Utc::now();
    let mut proc = Proc::spawn(&["run"], &envs);
    proc.wait_healthy(health, Duration::from_secs(60));
    let crashed = poll(&rt, Duration::from_secs(60), "the crashed run recorded", async || {
        runs_of(&db, "slow")
            .await
            .into_iter()
            .find(|r| r.error.as_deref().is_some_and(|e| e.contains("process stopped")))
    });
    assert_eq!(crashed.outcome, "error");
    let row = rt.block_on(source_row(&db, "slow")).unwrap();
    assert_eq!(row.crashes, 1);
    assert!(row.run_started_at.is_none());
    let until = row.backoff_until.expect("backed off");
    assert!(until >= restarted_at + chrono::Duration::seconds(55), "backed off until {until}");
    poll(&rt, Duration::from_secs(20), "the admins told of the crash", async || {
        fake.calls_to("sendMessage")
            .iter()
            .any(|c| {
                c.body["chat_id"] == 4242
                    && c.body["text"].as_str().is_some_and(|t| t.contains("slow") && t.contains("stopped"))
            })
            .then_some(())
    });
    // Backed off: not asked again at once (a run that never ended left no
    // last run, so without the record it would run at once, and crash again).
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(slow_site.hits_of("/slow"), hits_at_kill, "the crashed source was run again at once");
    assert_eq!(rt.block_on(runs_of(&db, "slow")).len(), 1, "one run: the crashed one");

    proc.signal("TERM");
    let exit = proc.wait_exit(Duration::from_secs(5)).expect("exits");
    assert_eq!(exit.code(), Some(0), "{}", proc.output());
}

fn fetcher() -> Fetcher {
    Fetcher::new(
        FetchOptions { politeness: Duration::from_millis(1), attempts: 1, ..FetchOptions::default() },
        Shutdown::new(),
    )
    .unwrap()
}

/// A source at `url` whose header and body carry the secret.
fn secret_source(url: &str, post: bool) -> sources::SourceConfig {
    // SAFETY: a unique variable, the same value in every test that sets it.
    unsafe { std::env::set_var(SECRET_VAR, SECRET) };
    let request = if post {
        format!("method = \"POST\"\nbody = '{{\"key\": \"${{{SECRET_VAR}}}\", \"page\": {{page}}}}'\n")
    } else {
        String::new()
    };
    let toml = format!(
        "[[sources]]\nname = \"api\"\nkind = \"json\"\nurl = \"{url}\"\n[sources.request]\n{request}\
         headers = {{ \"X-Key\" = \"${{{SECRET_VAR}}}\" }}\n[sources.json]\nitems = \"$.hits[*]\"\nid = \"$.id\"\n\
         url = \"$.url\"\n"
    );
    sources::parse(&toml).expect("valid source").remove(0)
}

fn leaked(site: &FakeSite) -> Vec<String> {
    site.requests()
        .iter()
        .filter(|r| r.body.contains(SECRET) || r.headers.values().any(|v| v.to_str().is_ok_and(|v| v.contains(SECRET))))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test]
async fn a_redirect_or_a_link_to_another_host_gets_no_secret() {
    let home = FakeSite::start_on("127.0.0.1").await;
    let other = FakeSite::start_on("127.0.0.2").await;
    let hits = r#"{"hits": [{"id": "1", "url": "https://x.example/1"}]}"#;
    other.set("/api", Page::JsonByBody(vec![("".into(), hits.into())]));
    home.set("/api", Page::JsonByBody(vec![("".into(), hits.into())]));
    let fetch = fetcher();

    // A 302 from home to the other host: followed, without the secret header.
    home.set("/moved", Page::RedirectTo(302, other.url("/api")));
    let source = secret_source(&home.url("/moved"), false);
    let req = source.request.build(1, None, Utc::now()).unwrap();
    let got = fetch.send(&req, &Validators::default()).await.expect("followed");
    assert!(matches!(got, Fetched::Page { .. }));
    assert_eq!(other.hits_of("/api"), 1, "the redirect was followed");
    assert!(leaked(&other).is_empty(), "the other host got the secret: {:?}", leaked(&other));
    assert_eq!(leaked(&home).len(), 1, "the source's own host gets it");

    // A 307 with a body holding the secret: not followed at all.
    home.set("/moved-post", Page::RedirectTo(307, other.url("/api")));
    let source = secret_source(&home.url("/moved-post"), true);
    let req = source.request.build(1, None, Utc::now()).unwrap();
    let err = fetch.send(&req, &Validators::default()).await.unwrap_err();
    assert!(matches!(err, FetchError::SecretRedirect(_)), "{err:?}");
    assert!(!err.to_string().contains(SECRET), "{err}");
    assert_eq!(other.hits_of("/api"), 1, "the other host was not asked again");

    // A 307 on the same host keeps its body and header.
    home.set("/again", Page::RedirectTo(307, home.url("/api")));
    let source = secret_source(&home.url("/again"), true);
    let req = source.request.build(1, None, Utc::now()).unwrap();
    fetch.send(&req, &Validators::default()).await.expect("followed at home");
    let last = home.requests().last().cloned().unwrap();
    assert_eq!((last.method.as_str(), last.path.as_str()), ("POST", "/api"));
    assert!(last.body.contains(SECRET) && last.headers.get("x-key").is_some());

    // A next-page link to another host: a GET without the secret header.
    let link = other.url("/api?page=2");
    let next = source.request.follow(reqwest::Url::parse(&link).unwrap(), Utc::now(), Utc::now());
    other.set("/api?page=2", Page::JsonByBody(vec![("".into(), hits.into())]));
    fetch.send(&next, &Validators::default()).await.expect("next page");
    assert_eq!(other.hits_of("/api?page=2"), 1);
    assert!(leaked(&other).is_empty(), "the other host got the secret: {:?}", leaked(&other));
}

/// The `{since}` values asked for, in order.
fn since_values(site: &FakeSite) -> Vec<i64> {
    site.requests().iter().filter_map(|r| r.body.split("since=").nth(1)?.split('&').next()?.parse().ok()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_later_page_leaves_the_window_where_it_was() {
    let fake = FakeTelegram::start().await;
    let site = FakeSite::start().await;
    let hits = r#"{"hits": [{"id": "1", "price": 5000}, {"id": "2", "price": 6000}]}"#;
    // Page 2 is unreadable: the run keeps page 1 but did not read everything.
    site.set("/q", Page::JsonByBody(vec![("page=0&".into(), hits.into()), ("page=1&".into(), "garbage{".into())]));
    let toml = format!(
        r#"
        [[sources]]
        name = "api"
        kind = "json"
        url = "{}"
        currency = "EUR"
        max_pages = 3
        [sources.request]
        method = "POST"
        first_page = 0
        body = '{{"params": "page={{page}}&since={{since}}&"}}'
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

    // Two runs that read page 1 and failed on page 2: both ok (page 1 is
    // stored), both asked from a day back, and the window has not moved.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while runs_of(&db, "api").await.iter().filter(|r| r.outcome == "ok").count() < 2 {
        assert!(std::time::Instant::now() < deadline, "two runs: {:?}", runs_of(&db, "api").await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first_pages: Vec<i64> = site
        .requests()
        .iter()
        .filter(|r| r.body.contains("page=0&"))
        .filter_map(|r| r.body.split("since=").nth(1)?.split('&').next()?.parse().ok())
        .collect();
    assert!(first_pages.len() >= 2, "{first_pages:?}");
    let day_back = started.timestamp() - 86_400;
    assert!(first_pages.iter().all(|s| (s - day_back).abs() < 60), "each run asks from a day back: {first_pages:?}");
    assert!(source_row(&db, "api").await.unwrap().window_at.is_none(), "the window has not moved");

    // Page 2 answers (empty): the run reads everything and the window moves.
    site.set(
        "/q",
        Page::JsonByBody(vec![("page=0&".into(), hits.into()), ("page=1&".into(), r#"{"hits": []}"#.into())]),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let window = loop {
        if let Some(w) = source_row(&db, "api").await.unwrap().window_at {
            break w;
        }
        assert!(std::time::Instant::now() < deadline, "the window never moved");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !since_values(&site).iter().any(|s| (s - (window.timestamp() - 600)).abs() <= 2) {
        assert!(std::time::Instant::now() < deadline, "no run asked from the moved window: {:?}", since_values(&site));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.stop().await, AppExit::Clean);
}
