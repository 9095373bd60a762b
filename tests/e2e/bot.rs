//! The bot thread against the fake Telegram server.

use std::time::Duration;

use entity::{access_period, chat};
use homehound::app::{AppExit, Components};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::{TestApp, assert_no_token_in_logs, config, db::TestDb, telegram::FakeTelegram};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_registers_the_chat_once_with_one_trial() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let app = TestApp::start(config(&test_db.url, &fake.url, &[("TRIAL_DURATION", "3d")]), Components::default()).await;

    fake.send_text(42, "Ann <b>", "ru", "/start");
    let calls = fake
        .wait_for(Duration::from_secs(10), "the welcome", |calls| calls.iter().any(|c| c.method == "sendmessage"))
        .await;
    let welcome = calls.iter().find(|c| c.method == "sendmessage").unwrap();
    assert_eq!(welcome.body["chat_id"], 42);
    assert_eq!(welcome.body["parse_mode"], "HTML");
    let text = welcome.body["text"].as_str().unwrap();
    assert!(text.contains("Ann &lt;b&gt;"), "the name is escaped: {text}");
    assert!(text.contains("free trial"), "{text}");

    // A second /start refreshes the chat but grants no second trial.
    fake.send_text(42, "Ann", "ru", "/start");
    fake.wait_for(Duration::from_secs(10), "the second welcome", |calls| {
        calls.iter().filter(|c| c.method == "sendmessage").count() == 2
    })
    .await;
    assert_eq!(app.stop().await, AppExit::Clean);

    let db = homehound::db::connect(&test_db.url, homehound::db::PoolRole::Admin).await.unwrap();
    let chat = chat::Entity::find_by_id(42).one(&db).await.unwrap().expect("chat stored");
    assert_eq!(chat.language, "ru");
    assert_eq!(chat.first_name.as_deref(), Some("Ann"));
    let periods = access_period::Entity::find().filter(access_period::Column::ChatId.eq(42)).all(&db).await.unwrap();
    assert_eq!(periods.len(), 1, "one trial: {periods:?}");
    let length = periods[0].ends_at - periods[0].starts_at;
    assert_eq!(length.num_seconds(), 3 * 86_400);
    assert_no_token_in_logs();
}
