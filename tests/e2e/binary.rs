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
    let cases: [(&str, &str, &str); 4] = [
        ("TELEGRAM_RATE_LIMIT", "fast", "TELEGRAM_RATE_LIMIT"),
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
