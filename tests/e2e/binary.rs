//! The real `homehound` binary: start, health, signals, exit codes.

use std::time::Duration;

use crate::support::{
    assert_no_token,
    db::TestDb,
    process::{Proc, free_addr, http_get},
    telegram::{FakeTelegram, TOKEN},
};

fn test_db() -> TestDb {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(TestDb::new())
}

fn start_service(fake: &FakeTelegram, db: &TestDb) -> (Proc, std::net::SocketAddr) {
    let health = free_addr();
    let health_s = health.to_string();
    let proc = Proc::spawn(
        &["run"],
        &[
            ("TELEGRAM_BOT_TOKEN", TOKEN),
            ("TELEGRAM_API_URL", fake.url.as_str()),
            ("DATABASE_URL", db.url.as_str()),
            ("HEALTH_ADDR", health_s.as_str()),
        ],
    );
    (proc, health)
}

fn stops_cleanly_on(signal: &str) {
    let fake = FakeTelegram::start_detached();
    let db = test_db();
    let (mut proc, health) = start_service(&fake, &db);

    let to_alive = proc.wait_healthy(health, Duration::from_secs(30));
    proc.wait_output("homehound is running", Duration::from_secs(5));
    let (status, body) = http_get(health, "/healthz").expect("healthz answers");
    assert_eq!(status, 200, "{body}");
    for component in ["bot", "scraper", "expiry"] {
        assert!(body.contains(&format!("\"name\":\"{component}\",\"alive\":true")), "{body}");
    }
    let (status, metrics) = http_get(health, "/metrics").expect("metrics answer");
    assert_eq!(status, 200);
    assert!(metrics.contains("homehound_component_up{component=\"bot\"} 1"), "{metrics}");

    let sent = std::time::Instant::now();
    proc.signal(signal);
    let exit = proc.wait_exit(Duration::from_secs(3));
    let to_exit = sent.elapsed();
    let output = proc.output();
    let exit = exit.unwrap_or_else(|| panic!("still running 3 s after SIG{signal}; output:\n{output}"));
    assert_eq!(exit.code(), Some(0), "SIG{signal} must exit 0; output:\n{output}");
    assert_no_token(&output);
    // The dispatcher confirmed the updates it processed before exiting.
    let last_poll = fake.calls_to("getUpdates").last().cloned().expect("polled");
    assert_eq!(last_poll.body["timeout"], 0, "final confirming getUpdates: {:?}", last_poll.body);
    eprintln!("figures: SIG{signal}: start to all components alive {to_alive:?}, signal to exit {to_exit:?}");
}

#[test]
fn the_binary_reaches_running_and_exits_0_on_sigint() {
    stops_cleanly_on("INT");
}

#[test]
fn the_binary_reaches_running_and_exits_0_on_sigterm() {
    stops_cleanly_on("TERM");
}

#[test]
fn an_invalid_variable_exits_2_naming_it() {
    let cases: [(&str, &str, &str); 5] = [
        ("TELEGRAM_RATE_LIMIT", "fast", "TELEGRAM_RATE_LIMIT"),
        // 40 characters: "homehound: " and the name would pass Telegram's 32.
        ("PLANS", "a_forty_character_plan_name_for_invoices:30d:200", "PLANS"),
        ("TRIAL_DURATION", "three days", "TRIAL_DURATION"),
        ("DATABASE_URL", "mysql://localhost/x", "DATABASE_URL"),
        ("HEALTH_ADDR", "localhost", "HEALTH_ADDR"),
    ];
    for (var, value, named) in cases {
        let mut proc = Proc::spawn(
            &[],
            &[("TELEGRAM_BOT_TOKEN", TOKEN), ("TELEGRAM_API_URL", "http://127.0.0.1:9"), (var, value)],
        );
        let exit = proc.wait_exit(Duration::from_secs(10)).expect("exits");
        let output = proc.output();
        assert_eq!(exit.code(), Some(2), "{var}={value}: {output}");
        assert!(output.contains(named), "{var}={value}: {output}");
        assert!(output.contains("example:"), "shows a valid value: {output}");
        assert_no_token(&output);
    }
}

#[test]
fn a_rate_above_the_free_limit_without_paid_broadcasts_exits_2_naming_both_variables() {
    let mut proc = Proc::spawn(
        &[],
        &[("TELEGRAM_BOT_TOKEN", TOKEN), ("TELEGRAM_API_URL", "http://127.0.0.1:9"), ("TELEGRAM_RATE_LIMIT", "500")],
    );
    let exit = proc.wait_exit(Duration::from_secs(10)).expect("exits");
    let output = proc.output();
    assert_eq!(exit.code(), Some(2), "{output}");
    assert!(output.contains("TELEGRAM_RATE_LIMIT") && output.contains("TELEGRAM_PAID_BROADCAST=true"), "{output}");
}

#[test]
fn a_missing_token_exits_2_and_says_where_to_get_one() {
    let mut proc = Proc::spawn(&["run"], &[]);
    let exit = proc.wait_exit(Duration::from_secs(10)).expect("exits");
    let output = proc.output();
    assert_eq!(exit.code(), Some(2), "{output}");
    assert!(output.contains("TELEGRAM_BOT_TOKEN"), "{output}");
    assert!(output.contains("@BotFather"), "{output}");
}

#[test]
fn a_token_telegram_rejects_exits_1_with_a_clear_message_and_no_token() {
    let fake = FakeTelegram::start_detached();
    fake.accept_token("987654321:SomeOtherTokenTheServerKnows");
    let db = test_db();
    let (mut proc, _health) = start_service(&fake, &db);
    let exit = proc.wait_exit(Duration::from_secs(15));
    let output = proc.output();
    let exit = exit.unwrap_or_else(|| panic!("still running with a rejected token; output:\n{output}"));
    assert_eq!(exit.code(), Some(1), "{output}");
    assert!(output.contains("rejected TELEGRAM_BOT_TOKEN"), "{output}");
    assert_no_token(&output);
}

#[test]
fn trace_logging_never_prints_the_token() {
    let fake = FakeTelegram::start_detached();
    let db = test_db();
    let health = free_addr();
    let health_s = health.to_string();
    let mut proc = Proc::spawn(
        &[],
        &[
            ("TELEGRAM_BOT_TOKEN", TOKEN),
            ("TELEGRAM_API_URL", fake.url.as_str()),
            ("DATABASE_URL", db.url.as_str()),
            ("HEALTH_ADDR", health_s.as_str()),
            ("RUST_LOG", "trace"),
        ],
    );
    proc.wait_healthy(health, Duration::from_secs(30));
    fake.send_text(42, "Ann", "en", "/start");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while fake.calls_to("sendMessage").is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    proc.signal("INT");
    let exit = proc.wait_exit(Duration::from_secs(5)).expect("exits");
    let output = proc.output();
    assert_eq!(exit.code(), Some(0), "{output}");
    assert!(!fake.calls_to("sendMessage").is_empty(), "the bot answered /start");
    assert!(output.len() > 1_000, "trace logging produced output: {output}");
    assert_no_token(&output);
}

#[test]
fn migrate_applies_then_reports_status() {
    let db = test_db();
    let mut proc = Proc::spawn(&["migrate"], &[("DATABASE_URL", db.url.as_str())]);
    let exit = proc.wait_exit(Duration::from_secs(30)).expect("exits");
    assert_eq!(exit.code(), Some(0), "{}", proc.output());

    let mut proc = Proc::spawn(&["migrate", "--status"], &[("DATABASE_URL", db.url.as_str())]);
    let exit = proc.wait_exit(Duration::from_secs(30)).expect("exits");
    let output = proc.output();
    assert_eq!(exit.code(), Some(0), "{output}");
    assert!(output.contains("applied m20261123_000001_create_schema"), "{output}");
    assert!(!output.contains("pending"), "{output}");
}

fn fixture(path: &str) -> Option<String> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path);
    assert!(p.is_file(), "fixture {} is missing", p.display());
    Some(p.display().to_string())
}

#[test]
fn check_source_on_a_saved_page_prints_json_lines_and_a_summary() {
    let Some(page) = fixture("kleinanzeigen/duesseldorf-wohnung-search-2026.html") else { return };
    let mut proc = Proc::spawn(&["check-source", "--kind", "kleinanzeigen", "--file", &page], &[]);
    let exit = proc.wait_exit(Duration::from_secs(20)).expect("exits");
    let output = proc.output();
    assert_eq!(exit.code(), Some(0), "{output}");
    let lines: Vec<serde_json::Value> =
        output.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(lines.len(), 27);
    for key in [
        "source",
        "id",
        "url",
        "title",
        "price",
        "currency",
        "period",
        "monthly_price",
        "rooms",
        "area_m2",
        "district",
        "photo",
        "furnished",
    ] {
        assert!(lines[0].get(key).is_some(), "key {key} in {}", lines[0]);
    }
    assert_eq!(lines[0]["id"], "3323958001");
    assert_eq!(lines[0]["currency"], "EUR");
    assert!(output.contains("27 listings extracted"), "{output}");
    assert!(output.contains("rooms: 26 of 27 (missing on 1)"), "{output}");
}

#[test]
fn check_source_exits_1_on_a_wall_and_2_on_a_bad_kind() {
    if let Some(page) = fixture("blocked/cian-captcha.html") {
        let mut proc = Proc::spawn(&["check-source", "--kind", "wg-gesucht", "--file", &page], &[]);
        let exit = proc.wait_exit(Duration::from_secs(20)).expect("exits");
        assert_eq!(exit.code(), Some(1), "{}", proc.output());
        assert!(proc.output().contains("blocked"), "{}", proc.output());
    }
    let mut proc = Proc::spawn(&["check-source", "--kind", "nosuchsite", "--file", "x.html"], &[]);
    let exit = proc.wait_exit(Duration::from_secs(20)).expect("exits");
    assert_eq!(exit.code(), Some(2), "{}", proc.output());
}

#[test]
fn check_source_by_name_fetches_the_configured_source() {
    use crate::support::site::{FakeSite, Page};
    let site = FakeSite::start_detached();
    site.set(
        "/rent",
        Page::Html(
            r#"<html><body>
            <article class="listing" data-id="a1"><a class="t" href="/a1">Sunny flat</a><span class="p">1.250 €</span><span class="r">2 Zimmer</span></article>
            <article class="listing" data-id="a2"><a class="t" href="/a2">Dark flat</a><span class="r">1 Zimmer</span></article>
            </body></html>"#
                .into(),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sources.toml");
    std::fs::write(
        &file,
        format!(
            "[[sources]]\nname = \"agency\"\nkind = \"css\"\nurl = \"{}\"\n[sources.css]\ncard = \"article.listing\"\nid = \"@data-id\"\nurl = \"a.t@href\"\ntitle = \"a.t\"\nprice = \".p\"\nrooms = \".r\"\n",
            site.url("/rent")
        ),
    )
    .unwrap();
    let file_s = file.display().to_string();
    let mut proc = Proc::spawn(&["check-source", "agency"], &[("SOURCES_FILE", file_s.as_str())]);
    let exit = proc.wait_exit(Duration::from_secs(30)).expect("exits");
    let output = proc.output();
    assert_eq!(exit.code(), Some(0), "{output}");
    assert!(output.contains(r#""id":"a1""#) && output.contains(r#""price":1250.0"#), "{output}");
    assert!(output.contains(&format!(r#""url":"{}""#, site.url("/a1"))), "{output}");
    assert!(output.contains("price: 1 of 2 (missing on 1)"), "{output}");

    let mut proc = Proc::spawn(&["check-source", "nope"], &[("SOURCES_FILE", file_s.as_str())]);
    assert_eq!(proc.wait_exit(Duration::from_secs(20)).expect("exits").code(), Some(2));
}

#[test]
fn an_invalid_sources_file_exits_2_naming_the_source_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sources.toml");
    std::fs::write(&file, "[[sources]]\nname = \"wg\"\nkind = \"wg-gesucht\"\nurl = \"https://www.wg-gesucht.de/\"\ninterval = \"soon\"\n").unwrap();
    let file_s = file.display().to_string();
    let mut proc = Proc::spawn(
        &[],
        &[("TELEGRAM_BOT_TOKEN", TOKEN), ("TELEGRAM_API_URL", "http://127.0.0.1:9"), ("SOURCES_FILE", file_s.as_str())],
    );
    let exit = proc.wait_exit(Duration::from_secs(10)).expect("exits");
    let output = proc.output();
    assert_eq!(exit.code(), Some(2), "{output}");
    assert!(output.contains("\"wg\"") && output.contains("`interval`"), "{output}");
}

/// The real binary with a 12 s trial, reminders 8 s and 4 s before its end,
/// checked every second: two reminders and one expiry notice at their times
/// (±2 s), and a listing found after expiry is stored but not sent.
#[test]
fn reminders_and_expiry_arrive_on_time_and_nothing_is_sent_after_expiry() {
    use crate::support::site::{FakeSite, Page};
    let fake = FakeTelegram::start_detached();
    let site = FakeSite::start_detached();
    site.set("/list", Page::Html(crate::scraper::css_page(&[("1", "900")])));
    let db = test_db();
    let dir = tempfile::tempdir().unwrap();
    let sources = dir.path().join("sources.toml");
    std::fs::write(
        &sources,
        format!(
            "[[sources]]\nname = \"agency\"\nkind = \"css\"\nurl = \"{}\"\ninterval = \"30s\"\ncurrency = \"EUR\"\n\
             [sources.css]\ncard = \"article.listing\"\nid = \"@data-id\"\nurl = \"a.title@href\"\n\
             title = \"a.title\"\nprice = \".price\"\n",
            site.url("/list")
        ),
    )
    .unwrap();
    let sources_s = sources.to_string_lossy().into_owned();
    let mut proc = Proc::spawn(
        &["run"],
        &[
            ("TELEGRAM_BOT_TOKEN", TOKEN),
            ("TELEGRAM_API_URL", fake.url.as_str()),
            ("DATABASE_URL", db.url.as_str()),
            ("SOURCES_FILE", sources_s.as_str()),
            ("TRIAL_DURATION", "12s"),
            ("REMINDER_OFFSETS", "8s,4s"),
            ("EXPIRY_CHECK_INTERVAL", "1s"),
        ],
    );
    proc.wait_output("homehound is running", Duration::from_secs(30));
    let chat = 77;
    fake.send_text(chat, "Tess", "en", "/start");
    fake.send_text(chat, "Tess", "en", "/new price=-5000");
    let texts_to_chat = |fake: &FakeTelegram| -> Vec<(String, std::time::Instant)> {
        fake.calls()
            .into_iter()
            .filter(|c| matches!(c.method.as_str(), "sendmessage" | "sendphoto") && c.body["chat_id"] == chat)
            .map(|c| {
                let text = c.body.get("text").or(c.body.get("caption")).and_then(|t| t.as_str()).unwrap_or_default();
                (text.to_owned(), c.at)
            })
            .collect()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(25);
    while !texts_to_chat(&fake).iter().any(|(t, _)| t.contains("has ended")) {
        assert!(std::time::Instant::now() < deadline, "no expiry notice; output:\n{}", proc.output());
        std::thread::sleep(Duration::from_millis(50));
    }
    let sent = texts_to_chat(&fake);
    let welcome = sent.iter().find(|(t, _)| t.contains("free trial")).expect("welcome").1;
    let when = |needle: &str| -> Vec<f64> {
        sent.iter().filter(|(t, _)| t.contains(needle)).map(|(_, at)| (*at - welcome).as_secs_f64()).collect()
    };
    // Each reminder says the time really left (the pass runs every second,
    // so a second less than the offset when it is late).
    let reminders = when("Your access ends in <b>");
    assert_eq!(reminders.len(), 2, "{sent:?}");
    let said = |s: &[&str]| sent.iter().filter(|(t, _)| s.iter().any(|s| t.contains(s))).count();
    assert_eq!(said(&["ends in <b>8 seconds</b>", "ends in <b>7 seconds</b>"]), 1, "{sent:?}");
    assert_eq!(said(&["ends in <b>4 seconds</b>", "ends in <b>3 seconds</b>"]), 1, "{sent:?}");
    let (r8, r4, end) = (vec![reminders[0]], vec![reminders[1]], when("has ended"));
    eprintln!("figures: reminders at {r8:?} and {r4:?} s, expiry notice at {end:?} s after the welcome");
    assert_eq!(end.len(), 1, "{sent:?}");
    assert!((r8[0] - 4.0).abs() <= 2.0, "8s reminder at {}", r8[0]);
    assert!((r4[0] - 8.0).abs() <= 2.0, "4s reminder at {}", r4[0]);
    assert!((end[0] - 12.0).abs() <= 2.0, "expiry notice at {}", end[0]);

    // A new listing after expiry: the next run (≤ 33 s after start) stores it,
    // and nothing is sent.
    site.set("/list", Page::Html(crate::scraper::css_page(&[("1", "900"), ("2", "950")])));
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    while site.hits_of("/list") < 2 {
        assert!(std::time::Instant::now() < deadline, "the source was not fetched again");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(3));
    let after = texts_to_chat(&fake);
    assert!(!after.iter().any(|(t, _)| t.contains("Flat 2")), "sent after expiry: {after:?}");
    assert_eq!(after.len(), sent.len(), "nothing more was sent: {after:?}");
    proc.signal("INT");
    assert_eq!(proc.wait_exit(Duration::from_secs(5)).and_then(|s| s.code()), Some(0));
    let stored = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        use sea_orm::{EntityTrait, PaginatorTrait};
        let conn = homehound::db::connect(&db.url, homehound::db::PoolRole::Admin).await.unwrap();
        entity::listing::Entity::find().count(&conn).await.unwrap()
    });
    assert_eq!(stored, 2, "the listing found after expiry is stored");
}

#[test]
fn a_second_process_on_the_same_sqlite_file_is_refused() {
    let fake = FakeTelegram::start_detached();
    let db = TestDb::sqlite();
    let (mut first, health) = start_service(&fake, &db);
    first.wait_healthy(health, Duration::from_secs(30));
    let mut second = Proc::spawn(
        &["run"],
        &[("TELEGRAM_BOT_TOKEN", TOKEN), ("TELEGRAM_API_URL", fake.url.as_str()), ("DATABASE_URL", db.url.as_str())],
    );
    let exit = second.wait_exit(Duration::from_secs(10)).expect("the second process stops");
    assert_eq!(exit.code(), Some(1));
    let output = second.output();
    assert!(output.contains("another homehound process is already running"), "{output}");
    assert!(output.contains("PostgreSQL"), "says what to do instead: {output}");
    first.signal("INT");
    assert_eq!(first.wait_exit(Duration::from_secs(5)).and_then(|s| s.code()), Some(0));
    // Once the first has stopped, the file is free again.
    let (mut third, health) = start_service(&fake, &db);
    third.wait_healthy(health, Duration::from_secs(30));
    third.signal("INT");
    assert_eq!(third.wait_exit(Duration::from_secs(5)).and_then(|s| s.code()), Some(0));
}

const ALGOLIA_KEY: &str = "k3y-9f8e7d6c5b4a3210";
const ALGOLIA_APP: &str = "HHTESTAPP42";

/// A fake Algolia answering the saved Bayut answer for page 0 and nothing
/// after it; a sources file with one `kind = "bayut"` source pointed at it.
fn algolia_site() -> (crate::support::site::FakeSite, tempfile::TempDir, String) {
    use crate::support::site::{FakeSite, Page};
    let site = FakeSite::start_detached();
    let answer = std::fs::read_to_string(fixture("bayut/algolia-response.json").unwrap()).unwrap();
    let empty = r#"{"results":[{"hits":[],"nbHits":11,"page":1,"nbPages":1}]}"#.to_owned();
    site.set("/1/indexes/*/queries", Page::JsonByBody(vec![("&page=0&".into(), answer), ("&page=1&".into(), empty)]));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sources.toml");
    std::fs::write(
        &file,
        format!(
            "[[sources]]\nname = \"dubai\"\nkind = \"bayut\"\nurl = \"{}\"\ninterval = \"30s\"\n",
            site.url("/1/indexes/*/queries")
        ),
    )
    .unwrap();
    let file_s = file.display().to_string();
    (site, dir, file_s)
}

#[test]
fn a_json_api_source_sends_its_body_and_secret_header_and_never_shows_the_key() {
    let (site, _dir, sources_file) = algolia_site();
    // check-source by name: one request, the listings, no key anywhere.
    let envs = [
        ("SOURCES_FILE", sources_file.as_str()),
        ("BAYUT_ALGOLIA_APP_ID", ALGOLIA_APP),
        ("BAYUT_ALGOLIA_API_KEY", ALGOLIA_KEY),
        ("RUST_LOG", "trace"),
    ];
    let mut proc = Proc::spawn(&["check-source", "dubai"], &envs);
    let exit = proc.wait_exit(Duration::from_secs(30)).expect("exits");
    let output = proc.output();
    assert_eq!(exit.code(), Some(0), "{output}");
    assert!(output.contains("11 listings extracted"), "{output}");
    assert!(output.contains(r#""furnished":null"#) && output.contains(r#""furnished":true"#), "{output}");
    assert!(!output.contains(ALGOLIA_KEY), "the key leaked into check-source output");
    let requests = site.requests();
    let first = &requests[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.headers.get("x-algolia-api-key").and_then(|v| v.to_str().ok()), Some(ALGOLIA_KEY));
    assert_eq!(first.headers.get("x-algolia-application-id").and_then(|v| v.to_str().ok()), Some(ALGOLIA_APP));
    let body: serde_json::Value = serde_json::from_str(&first.body).expect("a JSON body");
    assert_eq!(body["requests"][0]["indexName"], "bayut-production-ads-en");
    let params = body["requests"][0]["params"].as_str().unwrap();
    assert!(params.contains("&page=0&") && params.contains("filters=purpose:for-rent"), "{params}");
    // No successful run yet: the window starts a day back.
    let since: i64 = params.rsplit("createdAt>").next().unwrap().parse().unwrap();
    let day_back = chrono::Utc::now().timestamp() - 24 * 3600;
    assert!((since - day_back).abs() < 120, "since {since} vs {day_back}");

    // A missing key is a configuration error naming the variable.
    let mut proc = Proc::spawn(&["check-source", "dubai"], &[("SOURCES_FILE", sources_file.as_str())]);
    assert_eq!(proc.wait_exit(Duration::from_secs(20)).expect("exits").code(), Some(2));
    let output = proc.output();
    assert!(output.contains("BAYUT_ALGOLIA_API_KEY") && output.contains("not set"), "{output}");
}

#[test]
fn the_service_pages_a_json_api_and_keeps_the_key_out_of_trace_logs() {
    let (site, _dir, sources_file) = algolia_site();
    let fake = FakeTelegram::start_detached();
    let db = test_db();
    let health = free_addr();
    let health_s = health.to_string();
    let mut proc = Proc::spawn(
        &["run"],
        &[
            ("TELEGRAM_BOT_TOKEN", TOKEN),
            ("TELEGRAM_API_URL", fake.url.as_str()),
            ("DATABASE_URL", db.url.as_str()),
            ("HEALTH_ADDR", health_s.as_str()),
            ("SOURCES_FILE", sources_file.as_str()),
            ("BAYUT_ALGOLIA_APP_ID", ALGOLIA_APP),
            ("BAYUT_ALGOLIA_API_KEY", ALGOLIA_KEY),
            ("RUST_LOG", "trace"),
        ],
    );
    proc.wait_healthy(health, Duration::from_secs(30));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !site.requests().iter().any(|r| r.body.contains("&page=1&")) {
        assert!(std::time::Instant::now() < deadline, "page 2 was never asked for: {:?}", site.hits());
        std::thread::sleep(Duration::from_millis(50));
    }
    proc.wait_output("source run", Duration::from_secs(20));
    proc.signal("TERM");
    let exit = proc.wait_exit(Duration::from_secs(5)).expect("exits");
    let output = proc.output();
    assert_eq!(exit.code(), Some(0), "{output}");
    assert!(output.contains("found=11"), "{output}");
    assert!(!output.contains(ALGOLIA_KEY), "the key leaked into the log");
    assert!(!output.contains(ALGOLIA_APP), "the app id leaked into the log");
    assert_no_token(&output);
}

#[test]
fn logs_are_json_lines_with_log_format_json_and_plain_text_off_a_terminal() {
    let fake = FakeTelegram::start_detached();
    for format in ["json", "text"] {
        let db = test_db();
        let health = free_addr();
        let health_s = health.to_string();
        let mut proc = Proc::spawn(
            &["run"],
            &[
                ("TELEGRAM_BOT_TOKEN", TOKEN),
                ("TELEGRAM_API_URL", fake.url.as_str()),
                ("DATABASE_URL", db.url.as_str()),
                ("HEALTH_ADDR", health_s.as_str()),
                ("LOG_FORMAT", format),
            ],
        );
        proc.wait_healthy(health, Duration::from_secs(30));
        proc.signal("INT");
        let exit = proc.wait_exit(Duration::from_secs(5)).expect("exits");
        let output = proc.output();
        assert_eq!(exit.code(), Some(0), "{output}");
        assert!(!output.contains('\u{1b}'), "no escape codes off a terminal: {output}");
        if format == "json" {
            let lines: Vec<&str> = output.lines().filter(|l| l.starts_with('{')).collect();
            assert!(lines.len() >= 3, "{output}");
            for line in lines {
                let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
                assert!(v.get("level").is_some() && v.get("fields").is_some(), "{line}");
            }
            assert!(output.contains(r#""message":"component is running""#), "{output}");
        }
    }
    let mut proc = Proc::spawn(&["run"], &[("TELEGRAM_BOT_TOKEN", TOKEN), ("LOG_FORMAT", "xml")]);
    assert_eq!(proc.wait_exit(Duration::from_secs(20)).expect("exits").code(), Some(2));
    assert!(proc.output().contains("LOG_FORMAT"), "{}", proc.output());
}

/// Rows of `table` in the SQLite file at `path`.
fn count_rows(path: &std::path::Path, table: &str) -> i64 {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let db = sea_orm::Database::connect(format!("sqlite://{}", path.display())).await.unwrap();
        crate::support::db::scalar(&db, &format!("SELECT COUNT(*) FROM {table}")).await
    })
}

#[test]
fn backup_copies_a_live_sqlite_database_consistently() {
    let fake = FakeTelegram::start_detached();
    let db = TestDb::sqlite();
    let (mut service, health) = start_service(&fake, &db);
    service.wait_healthy(health, Duration::from_secs(30));
    let dir = tempfile::tempdir().unwrap();
    // Users keep arriving while the copies are taken.
    for chat in 1..=40 {
        fake.send_text(1000 + chat, "Ann", "en", "/start");
    }
    let mut copies = Vec::new();
    for i in 0..3 {
        let target = dir.path().join(format!("copy-{i}.db"));
        let target_s = target.display().to_string();
        let mut proc = Proc::spawn(&["backup", &target_s], &[("DATABASE_URL", db.url.as_str())]);
        let exit = proc.wait_exit(Duration::from_secs(30)).expect("exits");
        assert_eq!(exit.code(), Some(0), "{}", proc.output());
        assert!(proc.output().contains("restore:"), "{}", proc.output());
        copies.push(target);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while fake.calls_to("sendMessage").len() < 40 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let last = dir.path().join("after.db");
    let last_s = last.display().to_string();
    let mut proc = Proc::spawn(&["backup", &last_s], &[("DATABASE_URL", db.url.as_str())]);
    assert_eq!(proc.wait_exit(Duration::from_secs(30)).expect("exits").code(), Some(0), "{}", proc.output());
    service.signal("INT");
    assert_eq!(service.wait_exit(Duration::from_secs(5)).and_then(|s| s.code()), Some(0));
    // Every copy opens and is consistent: each chat has its trial.
    for copy in &copies {
        assert_eq!(count_rows(copy, "chats"), count_rows(copy, "access_periods"), "{}", copy.display());
    }
    assert_eq!(count_rows(&last, "chats"), 40);
    // An existing file is never overwritten; PostgreSQL is pointed to pg_dump.
    let mut proc = Proc::spawn(&["backup", &last_s], &[("DATABASE_URL", db.url.as_str())]);
    assert_eq!(proc.wait_exit(Duration::from_secs(20)).expect("exits").code(), Some(2));
    let mut proc = Proc::spawn(&["backup", "x.db"], &[("DATABASE_URL", "postgres://postgres@127.0.0.1/test")]);
    assert_eq!(proc.wait_exit(Duration::from_secs(20)).expect("exits").code(), Some(2));
    assert!(proc.output().contains("pg_dump"), "{}", proc.output());
}
