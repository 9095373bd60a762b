//! Access: trial, reminders before the end, expiry, Stars payments.
//!
//! The expiry pass takes the time as an argument, so the reminder schedule
//! is tested with an injected clock, without sleeping.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use entity::{access_period, outbox, payment, reminder_sent, status::outbox_kind};
use homehound::{
    app::{AppExit, Components},
    db::{self, PoolRole, chats::ChatProfile},
    expiry::Pass,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::support::{TestApp, bot_only, config, db::TestDb, telegram::FakeTelegram};

const DAY: i64 = 86_400;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn at(secs: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(secs)
}

fn offsets() -> Vec<Duration> {
    vec![Duration::from_secs(3 * DAY as u64), Duration::from_secs(DAY as u64), Duration::from_secs(3600)]
}

async fn setup(chats: i64, trial: Duration) -> (TestDb, DatabaseConnection) {
    let test_db = TestDb::new().await;
    let db = db::connect(&test_db.url, PoolRole::Admin).await.unwrap();
    db::migrate(&db).await.unwrap();
    for id in 1..=chats {
        let profile = ChatProfile { id, username: None, first_name: Some("u".into()), language: "en".into() };
        db::chats::register(&db, &profile, trial, t0()).await.unwrap();
    }
    (test_db, db)
}

/// (kind, text) of the chat's queued notices, oldest first.
async fn notices(db: &DatabaseConnection, chat: i64) -> Vec<(String, String)> {
    outbox::Entity::find()
        .filter(outbox::Column::ChatId.eq(chat))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.kind, r.payload.unwrap_or_default()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trial_gets_each_reminder_once_at_its_time_and_one_expiry_notice() {
    let (_t, db) = setup(1, Duration::from_secs(3 * DAY as u64)).await;
    let pass = |secs: i64| {
        let db = db.clone();
        async move { homehound::expiry::pass(&db, &offsets(), at(secs)).await.unwrap() }
    };
    // 3d before the end of a 3-day trial is its very start: not sent.
    assert_eq!(pass(0).await, Pass::default());
    assert_eq!(pass(DAY).await, Pass::default());
    assert_eq!(pass(2 * DAY - 60).await, Pass::default(), "one minute before the 1d reminder");
    assert_eq!(pass(2 * DAY).await.reminders, 1, "the 1d reminder");
    assert_eq!(pass(2 * DAY + 60).await, Pass::default(), "once");
    assert_eq!(pass(3 * DAY - 3601).await, Pass::default());
    assert_eq!(pass(3 * DAY - 3600).await.reminders, 1, "the 1h reminder");
    assert_eq!(pass(3 * DAY - 10).await, Pass::default());
    assert_eq!(pass(3 * DAY).await, Pass { reminders: 0, expired: 1, notices: 1 });
    assert_eq!(pass(3 * DAY + 60).await, Pass::default(), "one expiry notice");

    let sent = notices(&db, 1).await;
    let kinds: Vec<&str> = sent.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, [outbox_kind::REMINDER, outbox_kind::REMINDER, outbox_kind::EXPIRY]);
    // The end in the chat's zone (UTC for an English chat without /timezone).
    assert!(sent[0].1.contains("<b>1 day</b>") && sent[0].1.contains("4 March"), "{}", sent[0].1);
    assert!(sent[0].1.contains(", 12:00 (UTC)"), "{}", sent[0].1);
    assert!(sent[1].1.contains("<b>1 hour</b>"), "{}", sent[1].1);
    assert!(sent.iter().all(|(_, p)| p.contains("m:plans")), "each with the renew button");
    let period = access_period::Entity::find().one(&db).await.unwrap().unwrap();
    assert_eq!(period.status, "expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_down_for_two_days_sends_only_the_nearest_reminder() {
    let (_t, db) = setup(1, Duration::from_secs(7 * DAY as u64)).await;
    // Up on day 3 (3d reminder due at day 4 is not yet due).
    assert_eq!(homehound::expiry::pass(&db, &offsets(), at(3 * DAY)).await.unwrap(), Pass::default());
    // Down from day 3 to 1 h 30 min before the end: 3d and 1d were missed.
    let late = 7 * DAY - 5400;
    assert_eq!(homehound::expiry::pass(&db, &offsets(), at(late)).await.unwrap().reminders, 1);
    let sent = notices(&db, 1).await;
    assert_eq!(sent.len(), 1);
    // The nearest missed one, saying the time really left.
    assert!(sent[0].1.contains("<b>1 hour 30 minutes</b>"), "{}", sent[0].1);
    assert_eq!(reminder_sent::Entity::find().count(&db).await.unwrap(), 2, "3d recorded as passed");
    assert_eq!(homehound::expiry::pass(&db, &offsets(), at(late + 60)).await.unwrap(), Pass::default());
    assert_eq!(homehound::expiry::pass(&db, &offsets(), at(7 * DAY - 3600)).await.unwrap().reminders, 1, "1h on time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_moves_the_reminders_and_the_expiry() {
    let (_t, db) = setup(1, Duration::from_secs(3 * DAY as u64)).await;
    assert_eq!(homehound::expiry::pass(&db, &offsets(), at(2 * DAY)).await.unwrap().reminders, 1);
    // A week granted on day 2.5: access now ends on day 10.
    db::admin::grant(&db, 99, 1, Duration::from_secs(7 * DAY as u64), at(2 * DAY + DAY / 2)).await.unwrap().unwrap();
    assert_eq!(homehound::expiry::pass(&db, &offsets(), at(3 * DAY - 3600)).await.unwrap(), Pass::default(), "no 1h");
    let at_old_end = homehound::expiry::pass(&db, &offsets(), at(3 * DAY)).await.unwrap();
    assert_eq!((at_old_end.expired, at_old_end.notices), (1, 0), "the trial ends; access goes on");
    assert_eq!(homehound::expiry::pass(&db, &offsets(), at(7 * DAY)).await.unwrap().reminders, 1, "3d before day 10");
    assert_eq!(homehound::expiry::pass(&db, &offsets(), at(9 * DAY)).await.unwrap().reminders, 1);
    assert_eq!(homehound::expiry::pass(&db, &offsets(), at(10 * DAY - 3600)).await.unwrap().reminders, 1);
    assert_eq!(
        homehound::expiry::pass(&db, &offsets(), at(10 * DAY)).await.unwrap(),
        Pass { reminders: 0, expired: 1, notices: 1 }
    );
    let kinds: Vec<String> = notices(&db, 1).await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["reminder", "reminder", "reminder", "reminder", "expiry"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_periods_expire_at_once_each_notice_once_under_the_rate_limit() {
    let _one_at_a_time = crate::support::rate_measurement().await;
    let fake = FakeTelegram::start().await;
    // 400/s needs paid broadcasts: Telegram allows 30/s free, 1,000/s paid.
    fake.enforce_paid_limits(30, 400);
    let (test_db, db) = setup(0, Duration::ZERO).await;
    // 10,000 chats whose trials all end at t0 + 1 h, inserted in bulk.
    let now = Utc::now();
    let ends = now - chrono::Duration::seconds(1);
    let ids: Vec<i64> = (1..=10_000).collect();
    crate::support::db::insert_chats_with_access(&db, &ids, |_| (ends - chrono::Duration::days(3), ends)).await;
    let started = std::time::Instant::now();
    let pass = homehound::expiry::pass(&db, &[], now).await.unwrap();
    let pass_time = started.elapsed();
    assert_eq!(pass, Pass { reminders: 0, expired: 10_000, notices: 10_000 });
    assert_eq!(homehound::expiry::pass(&db, &[], now).await.unwrap(), Pass::default(), "a second pass adds nothing");

    let app = TestApp::start(
        config(&test_db.url, &fake.url, &[("TELEGRAM_RATE_LIMIT", "400"), ("TELEGRAM_PAID_BROADCAST", "true")]),
        Components::default(),
    )
    .await;
    let started = std::time::Instant::now();
    crate::support::wait_until(Duration::from_secs(120), "10,000 notices", || fake.sends().len() >= 10_000).await;
    let send_time = started.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.stop().await, AppExit::Clean);
    let sends = fake.sends();
    let mut per_chat = std::collections::HashMap::new();
    for (chat, _) in &sends {
        *per_chat.entry(*chat).or_insert(0) += 1;
    }
    assert_eq!(per_chat.len(), 10_000);
    assert!(per_chat.values().all(|n| *n == 1), "each notice once");
    assert_eq!(fake.limit_hits(), 0, "never above the limit");
    eprintln!(
        "figures: expiry pass over 10,000 periods {pass_time:?}; 10,000 notices delivered in {send_time:?} at limit 400/s"
    );
}

async fn answers(fake: &FakeTelegram, n: usize) -> Vec<serde_json::Value> {
    fake.wait_for(Duration::from_secs(10), "pre-checkout answers", |calls| {
        calls.iter().filter(|c| c.method == "answerprecheckoutquery").count() >= n
    })
    .await
    .into_iter()
    .filter(|c| c.method == "answerprecheckoutquery")
    .map(|c| c.body)
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stars_invoice_pre_checkout_and_a_payment_delivered_twice_extends_once() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let chat = 4242;
    let app = TestApp::start(
        config(
            &test_db.url,
            &fake.url,
            &[("TRIAL_DURATION", "2d"), ("PLANS", "week:7d:50,month:30d:200"), ("ADMIN_CHAT_IDS", "1")],
        ),
        bot_only(),
    )
    .await;
    fake.send_text(chat, "Payer", "en", "/start");
    fake.wait_shown(chat, "free trial").await;
    let trial_end = Utc::now() + chrono::Duration::days(2);

    fake.send_text(chat, "Payer", "en", "/plans");
    fake.wait_button(chat, "Week · 7 days · 50 ⭐").await;
    fake.press(chat, "Week · 7 days · 50 ⭐");
    let calls = fake
        .wait_for(Duration::from_secs(10), "the invoice", |calls| calls.iter().any(|c| c.method == "sendinvoice"))
        .await;
    let invoice = &calls.iter().find(|c| c.method == "sendinvoice").unwrap().body;
    assert_eq!(invoice["currency"], "XTR");
    assert_eq!(invoice["prices"][0]["amount"], 50);
    assert_eq!(invoice["chat_id"], chat);
    assert!(invoice.get("provider_token").is_none_or(|t| t == ""), "Stars: no provider token");
    let payload = invoice["payload"].as_str().unwrap().to_owned();
    assert_eq!(payload, format!("plan:week:{chat}"));

    // Valid, then tampered: a lower total, another chat's invoice, an unknown plan.
    fake.send_pre_checkout(chat, "q1", "XTR", 50, &payload);
    fake.send_pre_checkout(chat, "q2", "XTR", 1, &payload);
    fake.send_pre_checkout(chat + 1, "q3", "XTR", 50, &payload);
    fake.send_pre_checkout(chat, "q4", "XTR", 50, &format!("plan:year:{chat}"));
    let answered = answers(&fake, 4).await;
    let by_id = |id: &str| answered.iter().find(|a| a["pre_checkout_query_id"] == id).unwrap().clone();
    assert_eq!(by_id("q1")["ok"], true);
    for id in ["q2", "q3", "q4"] {
        let a = by_id(id);
        assert_eq!(a["ok"], false, "{id}: {a}");
        assert!(a["error_message"].as_str().unwrap_or_default().contains("out of date"), "{a}");
    }

    // The payment's update arrives twice (Telegram redelivers).
    fake.send_successful_payment(chat, "XTR", 50, &payload, "charge-1");
    fake.send_successful_payment(chat, "XTR", 50, &payload, "charge-1");
    fake.wait_shown(chat, "7 days added").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.shown(chat).iter().filter(|m| m.text.contains("7 days added")).count(), 1);
    // Paid during the trial: access is paid access, until the end of the week.
    fake.send_text(chat, "Payer", "en", "/status");
    fake.wait_shown(chat, "Paid access, active until").await;

    let db = db::connect(&test_db.url, PoolRole::Admin).await.unwrap();
    assert_eq!(payment::Entity::find().count(&db).await.unwrap(), 1);
    let periods = access_period::Entity::find()
        .filter(access_period::Column::ChatId.eq(chat))
        .order_by_asc(access_period::Column::StartsAt)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(periods.len(), 2, "trial + one paid week: {periods:?}");
    // Paid while 2 days remained: the week is added after them.
    assert!((periods[1].starts_at - trial_end).num_seconds().abs() < 30, "{periods:?}");
    assert_eq!((periods[1].ends_at - periods[1].starts_at).num_days(), 7);
    assert_eq!(periods[1].kind, "paid");

    // The admin refunds it: Telegram is asked, the week is taken back, audited.
    fake.send_text(1, "Admin", "en", "/refund charge-1");
    let reply = fake.wait_shown(1, "Refunded 50").await;
    // The user is told, with the access left.
    let told = fake.wait_shown(chat, "Your payment of 50 ⭐ was refunded").await;
    assert!(told.text.contains(&trial_end.format("%-d %B").to_string()), "{}", told.text);
    assert!(reply.text.contains(&trial_end.format("%-d %B").to_string()), "{}", reply.text);
    let refund = fake.calls_to("refundStarPayment");
    assert_eq!(refund[0].body["user_id"], chat);
    assert_eq!(refund[0].body["telegram_payment_charge_id"], "charge-1");
    fake.send_text(1, "Admin", "en", "/refund charge-1");
    fake.wait_shown(1, "The payment <code>charge-1</code> was already refunded.").await;
    fake.send_text(1, "Admin", "en", "/refund charge-0");
    fake.wait_shown(1, "No payment with that charge id.").await;
    assert_eq!(app.stop().await, AppExit::Clean);
    let paid = access_period::Entity::find_by_id(periods[1].id).one(&db).await.unwrap().unwrap();
    assert_eq!(paid.status, "refunded");
    let audit = entity::admin_audit::Entity::find().all(&db).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "refund");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_expiry_pass_over_100_000_chats_with_access_queues_what_is_due() {
    let (_test_db, db) = setup(0, Duration::ZERO).await;
    let now = Utc::now();
    // Past the 32,766 bound parameters SQLite allows in one statement: every
    // chat's access ends in 30 minutes, so each is owed its 1 h reminder.
    let ids: Vec<i64> = (1..=100_000).collect();
    let seeded = std::time::Instant::now();
    crate::support::db::insert_chats_with_access(&db, &ids, |_| {
        (now - chrono::Duration::days(3), now + chrono::Duration::minutes(30))
    })
    .await;
    let seed_time = seeded.elapsed();
    let started = std::time::Instant::now();
    let pass = homehound::expiry::pass(&db, &[Duration::from_secs(3600)], now).await.unwrap();
    let pass_time = started.elapsed();
    assert_eq!(pass, Pass { reminders: 100_000, expired: 0, notices: 0 });
    let again = std::time::Instant::now();
    assert_eq!(homehound::expiry::pass(&db, &[Duration::from_secs(3600)], now).await.unwrap(), Pass::default());
    let second_time = again.elapsed();
    let queued =
        outbox::Entity::find().filter(outbox::Column::Kind.eq(outbox_kind::REMINDER)).count(&db).await.unwrap();
    assert_eq!(queued, 100_000);
    eprintln!(
        "figures: 100,000 chats with access ({}): seeded in {seed_time:?}; one pass queuing 100,000 reminders {pass_time:?}; \
         the next pass (nothing due) {second_time:?}",
        db.get_database_backend().as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiry_worker_whose_passes_keep_failing_is_unhealthy_and_tells_the_admins_once() {
    use sea_orm::{ConnectionTrait, Statement};
    let (test_db, db) = setup(0, Duration::ZERO).await;
    let now = Utc::now();
    crate::support::db::insert_chats_with_access(&db, &[5], |_| (now, now + chrono::Duration::days(3))).await;
    let fake = FakeTelegram::start().await;
    let cfg = config(&test_db.url, &fake.url, &[("EXPIRY_CHECK_INTERVAL", "200ms"), ("ADMIN_CHAT_IDS", "77")]);
    let app = TestApp::start(cfg, crate::support::expiry_only()).await;
    let health = app.health();
    crate::support::wait_until(Duration::from_secs(10), "alive", || health.all_alive()).await;
    // The table the pass reads goes away (a broken migration, a restore gone wrong).
    let rename = |from: &str, to: &str| {
        Statement::from_string(db.get_database_backend(), format!("ALTER TABLE {from} RENAME TO {to}"))
    };
    db.execute_raw(rename("reminders_sent", "reminders_hidden")).await.unwrap();
    crate::support::wait_until(Duration::from_secs(10), "unhealthy", || !health.all_alive()).await;
    assert!(health.component("expiry").failing_passes() >= 3);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let told = |db: DatabaseConnection| async move {
        outbox::Entity::find().filter(outbox::Column::ChatId.eq(77)).all(&db).await.unwrap()
    };
    let notes = told(db.clone()).await;
    assert_eq!(notes.len(), 1, "told once, not once per pass: {notes:?}");
    assert!(notes[0].payload.as_deref().unwrap_or_default().contains("expiry worker has failed"), "{notes:?}");
    // Fixed: alive again, and the admins hear it.
    db.execute_raw(rename("reminders_hidden", "reminders_sent")).await.unwrap();
    crate::support::wait_until(Duration::from_secs(10), "alive again", || health.all_alive()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let notes = told(db.clone()).await;
    assert!(notes.iter().any(|n| n.payload.as_deref().unwrap_or_default().contains("works again")), "{notes:?}");
    assert_eq!(app.stop().await, homehound::app::AppExit::Clean);
}

// ------------------------------------------- payments that must not be lost

/// Makes every insert into `payments` fail (a database error in the middle
/// of handling a payment), until [`allow_payments`].
async fn fail_payments(test_db: &TestDb, db: &DatabaseConnection) {
    use sea_orm::ConnectionTrait;
    if test_db.is_postgres() {
        db.execute_unprepared(
            "CREATE FUNCTION fail_payments() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ \
             LANGUAGE plpgsql",
        )
        .await
        .unwrap();
        db.execute_unprepared(
            "CREATE TRIGGER fail_payments BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION fail_payments()",
        )
        .await
        .unwrap();
    } else {
        db.execute_unprepared(
            "CREATE TRIGGER fail_payments BEFORE INSERT ON payments BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        )
        .await
        .unwrap();
    }
}

async fn allow_payments(test_db: &TestDb, db: &DatabaseConnection) {
    use sea_orm::ConnectionTrait;
    let drop =
        if test_db.is_postgres() { "DROP TRIGGER fail_payments ON payments" } else { "DROP TRIGGER fail_payments" };
    db.execute_unprepared(drop).await.unwrap();
}

async fn paid_periods(db: &DatabaseConnection, chat: i64) -> Vec<access_period::Model> {
    access_period::Entity::find()
        .filter(access_period::Column::ChatId.eq(chat))
        .filter(access_period::Column::Kind.eq("paid"))
        .all(db)
        .await
        .unwrap()
}

fn payments_config(test_db: &TestDb, fake: &FakeTelegram) -> homehound::config::Config {
    config(&test_db.url, &fake.url, &[("TRIAL_DURATION", "2d"), ("PLANS", "week:7d:50"), ("ADMIN_CHAT_IDS", "1")])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_that_meets_a_database_error_is_applied_after_recovery_once() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let chat = 5151;
    let app = TestApp::start(payments_config(&test_db, &fake), bot_only()).await;
    fake.send_text(chat, "Payer", "en", "/start");
    fake.wait_shown(chat, "free trial").await;
    let db = db::connect(&test_db.url, PoolRole::Admin).await.unwrap();

    fail_payments(&test_db, &db).await;
    fake.send_successful_payment(chat, "XTR", 50, &format!("plan:week:{chat}"), "charge-db");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(payment::Entity::find().count(&db).await.unwrap(), 0, "the database refuses it for now");
    assert!(fake.shown(chat).iter().all(|m| !m.text.contains("went wrong")), "no apology while retrying");

    allow_payments(&test_db, &db).await;
    fake.wait_shown(chat, "7 days added").await;
    assert_eq!(app.stop().await, AppExit::Clean);
    // A restart reconciles with the ledger, which has this charge: nothing more.
    let app = TestApp::start(payments_config(&test_db, &fake), bot_only()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(app.stop().await, AppExit::Clean);
    assert_eq!(payment::Entity::find().count(&db).await.unwrap(), 1);
    assert_eq!(paid_periods(&db, chat).await.len(), 1, "applied once");
    assert_eq!(fake.shown(chat).iter().filter(|m| m.text.contains("7 days added")).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_only_in_telegrams_ledger_is_applied_at_start_once_and_reported() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let chat = 6161;
    // The user paid while the bot was down (or its update was lost); a
    // second, known charge and someone else's gift are in the ledger too.
    let earlier = Utc::now() - chrono::Duration::minutes(30);
    fake.add_star_payment_at(chat, 50, &format!("plan:week:{chat}"), "charge-lost", earlier);
    fake.add_star_payment_at(chat, 50, "plan:year:6161", "charge-unknown-plan", earlier);
    // One just made is left to its own update (applied by the next pass).
    fake.add_star_payment(chat, 50, &format!("plan:week:{chat}"), "charge-just-now");
    for round in 0..2 {
        let app = TestApp::start(payments_config(&test_db, &fake), bot_only()).await;
        fake.wait_shown(chat, "7 days added").await;
        fake.wait_shown(1, "found only in Telegram").await;
        fake.wait_shown(1, "unknown plan").await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(app.stop().await, AppExit::Clean, "round {round}");
    }
    let db = db::connect(&test_db.url, PoolRole::Admin).await.unwrap();
    let payments = payment::Entity::find().all(&db).await.unwrap();
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert_eq!(payments[0].telegram_payment_charge_id, "charge-lost");
    assert_eq!(payments[0].amount, 50);
    assert_eq!(paid_periods(&db, chat).await.len(), 1, "applied once over two starts");
    let admin = fake.shown(1);
    assert_eq!(admin.iter().filter(|m| m.text.contains("found only in Telegram")).count(), 1, "reported once");
    assert_eq!(admin.iter().filter(|m| m.text.contains("unknown plan")).count(), 1, "reported once");
    assert_eq!(fake.shown(chat).iter().filter(|m| m.text.contains("7 days added")).count(), 1, "user told once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_telegram_did_not_confirm_is_completed_later_once() {
    use crate::support::telegram::Fault;
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let chat = 7171;
    let app = TestApp::start(payments_config(&test_db, &fake), bot_only()).await;
    fake.send_text(chat, "Payer", "en", "/start");
    fake.wait_shown(chat, "free trial").await;
    fake.send_successful_payment(chat, "XTR", 50, &format!("plan:week:{chat}"), "charge-r");
    fake.wait_shown(chat, "7 days added").await;

    // Telegram fails the first ask (a 500 in its own JSON, not a refusal):
    // the intent stays recorded.
    fake.inject("refundStarPayment", [Fault::InternalError]);
    fake.send_text(1, "Admin", "en", "/refund charge-r");
    crate::support::wait_until(Duration::from_secs(40), "the admin told it will be completed", || {
        fake.shown(1).iter().any(|m| m.text.contains("completed automatically"))
    })
    .await;
    let db = db::connect(&test_db.url, PoolRole::Admin).await.unwrap();
    let find = || payment::Entity::find().filter(payment::Column::TelegramPaymentChargeId.eq("charge-r")).one(&db);
    assert_eq!(find().await.unwrap().unwrap().status, "refunding");
    assert_eq!(app.stop().await, AppExit::Clean);

    // The next start asks again and completes it; a second start changes nothing.
    for _ in 0..2 {
        let app = TestApp::start(payments_config(&test_db, &fake), bot_only()).await;
        fake.wait_shown(1, "The refund of <code>charge-r</code>").await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(app.stop().await, AppExit::Clean);
    }
    let paid = find().await.unwrap().unwrap();
    assert_eq!(paid.status, "refunded");
    assert_eq!(paid.refund_admin, Some(1));
    assert_eq!(fake.refunded(), vec!["charge-r".to_owned()]);
    assert_eq!(fake.shown(1).iter().filter(|m| m.text.contains("The refund of <code>charge-r</code>")).count(), 1);
    let periods = paid_periods(&db, chat).await;
    assert_eq!(periods[0].status, "refunded");
    let audit = entity::admin_audit::Entity::find().all(&db).await.unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paysupport_forwards_the_next_message_to_the_admins_and_their_reply_comes_back() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let chat = 8181;
    let cfg = config(
        &test_db.url,
        &fake.url,
        &[("TRIAL_DURATION", "2d"), ("PLANS", "week:7d:50"), ("ADMIN_CHAT_IDS", "1,2")],
    );
    let app = TestApp::start(cfg, bot_only()).await;
    fake.send_text(chat, "Payer", "en", "/start");
    fake.wait_shown(chat, "free trial").await;
    fake.send_successful_payment(chat, "XTR", 50, &format!("plan:week:{chat}"), "charge-s");
    fake.wait_shown(chat, "7 days added").await;

    fake.send_text(chat, "Payer", "en", "/paysupport");
    fake.wait_shown(chat, "send your next message here").await;
    fake.send_text(chat, "Payer", "en", "I was charged twice <b>");
    fake.wait_shown(chat, "Sent to the admins").await;
    let mut headers = Vec::new();
    for admin in [1, 2] {
        let forwarded = fake.wait_shown(admin, "[forwardmessage of message").await;
        assert!(forwarded.text.contains(&format!("from chat {chat}")), "{}", forwarded.text);
        let header = fake.wait_shown(admin, "Payment support from chat").await;
        assert!(header.text.contains(&chat.to_string()) && header.text.contains("charge-s"), "{}", header.text);
        headers.push((admin, forwarded.message_id, header.message_id));
    }
    // The request is used up: the next message is the bot's again.
    fake.send_text(chat, "Payer", "en", "hello?");
    fake.wait_shown(chat, "/help").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.shown(1).iter().filter(|m| m.text.contains("[forwardmessage")).count(), 1);

    // Admin 1 answers the header, admin 2 the forwarded message itself.
    fake.send_reply(1, "Refunded <ok>", headers[0].2);
    fake.wait_shown(chat, "Refunded &lt;ok&gt;").await;
    fake.wait_shown(1, "Sent to chat").await;
    fake.send_reply(2, "Anything else?", headers[1].1);
    let answer = fake.wait_shown(chat, "Anything else?").await;
    assert!(answer.text.starts_with("💬 <b>Support:</b>"), "{}", answer.text);
    // A photo answer: the header first, then the photo as the admin sent it.
    fake.send_photo_reply(1, headers[0].2);
    let copy = fake.wait_shown(chat, "[copymessage of message").await;
    let shown = fake.shown(chat);
    let at = shown.iter().position(|m| m.message_id == copy.message_id).unwrap();
    assert_eq!(shown[at - 1].text, "💬 <b>Support:</b>", "{shown:#?}");

    // Three requests an hour at most: the fourth /paysupport is not opened.
    for n in 2..=3 {
        fake.send_text(chat, "Payer", "en", "/paysupport");
        crate::support::wait_until(Duration::from_secs(10), "the request opened", || {
            fake.shown(chat).iter().filter(|m| m.text.contains("send your next message here")).count() == n
        })
        .await;
        fake.send_text(chat, "Payer", "en", &format!("request {n}"));
        crate::support::wait_until(Duration::from_secs(10), "the request sent", || {
            fake.shown(chat).iter().filter(|m| m.text.contains("Sent to the admins")).count() == n
        })
        .await;
    }
    fake.send_text(chat, "Payer", "en", "/paysupport");
    fake.wait_shown(chat, "three messages in the last hour").await;
    assert_eq!(fake.shown(1).iter().filter(|m| m.text.contains("[forwardmessage")).count(), 3);

    // Past retention the thread is gone: an answer gets a clear reply.
    let db = db::connect(&test_db.url, PoolRole::Admin).await.unwrap();
    entity::support_message::Entity::delete_many().exec(&db).await.unwrap();
    fake.send_reply(1, "Late answer", headers[0].2);
    fake.wait_shown(1, "This support request is older than 30 days").await;
    assert!(!fake.shown(chat).iter().any(|m| m.text.contains("Late answer")));
    assert_eq!(app.stop().await, AppExit::Clean);
}
