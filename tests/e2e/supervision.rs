//! Fault isolation: a failing component is restarted, the others go on.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

use homehound::{
    app::{AppExit, Components, EXPIRY},
    component::{ComponentError, ComponentFn},
};

use crate::support::{TestApp, assert_no_token_in_logs, config, db::TestDb, telegram::FakeTelegram, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_component_is_restarted_while_the_others_keep_running() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let runs = Arc::new(AtomicU32::new(0));
    let real = Components::default();
    let expiry: ComponentFn = {
        let runs = runs.clone();
        let real_expiry = real.expiry.clone();
        Arc::new(move |ctx| {
            // The first two runs panic; the third is the real worker.
            if runs.fetch_add(1, Ordering::SeqCst) < 2 {
                Box::pin(async move {
                    ctx.ready();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    panic!("injected fault in the expiry worker");
                })
            } else {
                real_expiry(ctx)
            }
        })
    };
    let app = TestApp::start(
        config(&test_db.url, &fake.url, &[("EXPIRY_CHECK_INTERVAL", "1s")]),
        Components { expiry, ..real },
    )
    .await;
    let health = app.health();

    wait_until(Duration::from_secs(15), "the expiry worker to be restarted twice and run", || {
        runs.load(Ordering::SeqCst) >= 3 && health.all_alive()
    })
    .await;
    let restarts = health.component(EXPIRY).restarts();
    assert_eq!(restarts, 2, "two panics, two restarts");
    assert_eq!(health.component("bot").restarts(), 0);
    assert_eq!(health.component("scraper").restarts(), 0);

    // The bot kept working through the crashes: it answers a command.
    fake.send_text(5, "Bo", "en", "/help");
    fake.wait_for(Duration::from_secs(10), "a reply to /help", |calls| {
        calls.iter().any(|c| c.method == "sendmessage" && c.body["chat_id"] == 5)
    })
    .await;

    assert_eq!(app.stop().await, AppExit::Clean);
    assert_no_token_in_logs();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_returning_errors_is_restarted_with_growing_backoff() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let starts = Arc::new(std::sync::Mutex::new(Vec::<Instant>::new()));
    let scraper: ComponentFn = {
        let starts = starts.clone();
        Arc::new(move |_ctx| {
            starts.lock().unwrap().push(Instant::now());
            Box::pin(async { Err(ComponentError::Transient(anyhow::anyhow!("injected failure"))) })
        })
    };
    let app =
        TestApp::start(config(&test_db.url, &fake.url, &[]), Components { scraper, ..Components::default() }).await;
    wait_until(Duration::from_secs(10), "three scraper starts", || starts.lock().unwrap().len() >= 3).await;
    let starts = starts.lock().unwrap().clone();
    let first_gap = starts[1] - starts[0];
    let second_gap = starts[2] - starts[1];
    assert!(first_gap >= Duration::from_millis(450), "{first_gap:?}");
    assert!(second_gap >= Duration::from_millis(950), "backoff grows: {second_gap:?}");
    assert!(!app.health().all_alive(), "a crash-looping component is reported down");

    let stopping = Instant::now();
    assert_eq!(app.stop().await, AppExit::Clean);
    assert!(stopping.elapsed() < Duration::from_secs(2), "shutdown interrupts the backoff sleep");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatal_component_error_stops_the_whole_process() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let expiry: ComponentFn =
        Arc::new(|_ctx| Box::pin(async { Err(ComponentError::Fatal("injected fatal error".to_owned())) }));
    let app =
        TestApp::start(config(&test_db.url, &fake.url, &[]), Components { expiry, ..Components::default() }).await;
    let shutdown = app.shutdown.clone();
    wait_until(Duration::from_secs(10), "the fatal error to trigger shutdown", || shutdown.is_triggered()).await;
    match app.stop().await {
        AppExit::Failed(reason) => assert!(reason.contains("injected fatal error"), "{reason}"),
        AppExit::Clean => panic!("a fatal error must fail the process"),
    }
}
