//! A database per test: a temp SQLite file, or a fresh PostgreSQL schema in
//! the database named by `TEST_DATABASE_URL` (dropped when the test ends).

use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{ConnectionTrait, Database};

pub struct TestDb {
    pub url: String,
    /// PostgreSQL: (server URL, schema) to drop on `Drop`.
    schema: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("t_{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), nanos % 1_000_000_000)
}

impl TestDb {
    /// PostgreSQL when `TEST_DATABASE_URL` is set, else SQLite.
    pub async fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL").ok().filter(|s| !s.is_empty()) {
            Some(server) => Self::postgres(&server).await,
            None => Self::sqlite(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.schema.is_some()
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("homehound.db").display());
        Self { url, schema: None, _dir: Some(dir) }
    }

    pub async fn postgres(server: &str) -> Self {
        let schema = unique_name();
        let db = Database::connect(server).await.expect("connect to TEST_DATABASE_URL");
        db.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.expect("create schema");
        let _ = db.close().await;
        let sep = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{sep}options=-c%20search_path%3D{schema}");
        Self { url, schema: Some((server.to_owned(), schema)), _dir: None }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, schema)) = self.schema.take() else { return };
        // Drop may run inside a runtime: clean up from a thread of our own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                if let Ok(db) = Database::connect(&server).await {
                    let _ = db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
                    let _ = db.close().await;
                }
            });
        })
        .join();
    }
}

/// Inserts chats `ids` (English, not paused or blocked) in bulk, each with
/// one active trial period `access(id)` = (starts, ends).
pub async fn insert_chats_with_access(
    db: &sea_orm::DatabaseConnection,
    ids: &[i64],
    access: impl Fn(i64) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
) {
    use entity::{access_period, chat};
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let now = chrono::Utc::now();
    for chunk in ids.chunks(1000) {
        let chats = chunk.iter().map(|id| chat::ActiveModel {
            id: Set(*id),
            language: Set("en".into()),
            paused: Set(false),
            blocked: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        chat::Entity::insert_many(chats).exec_without_returning(db).await.expect("insert chats");
        let periods = chunk.iter().map(|id| {
            let (starts_at, ends_at) = access(*id);
            access_period::ActiveModel {
                chat_id: Set(*id),
                kind: Set("trial".into()),
                starts_at: Set(starts_at),
                ends_at: Set(ends_at),
                status: Set("active".into()),
                created_at: Set(now),
                ..Default::default()
            }
        });
        access_period::Entity::insert_many(periods).exec_without_returning(db).await.expect("insert periods");
    }
}

/// The integer the first column of the first row of `sql` holds.
pub async fn scalar(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("an integer")
}

/// One catch-all search (no filter) for each of `ids`, 2,000 per statement.
pub async fn insert_catch_all_searches(db: &sea_orm::DatabaseConnection, ids: &[i64]) {
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let now = chrono::Utc::now();
    for chunk in ids.chunks(2_000) {
        let rows = chunk.iter().map(|&chat_id| entity::search::ActiveModel {
            chat_id: Set(chat_id),
            paused: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        entity::search::Entity::insert_many(rows).exec_without_returning(db).await.expect("insert searches");
    }
}
