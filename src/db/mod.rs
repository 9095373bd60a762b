//! Database connections, transactions and migrations, on SQLite or PostgreSQL.
//!
//! Each component thread opens its own small pool with [`connect`]. On SQLite
//! three pools share one file safely because of three rules enforced here:
//! WAL journal (readers never block the writer), a `busy_timeout` on every
//! connection (a writer waits for the lock instead of failing), and every
//! transaction that writes begins `IMMEDIATE` ([`begin_write`]): a deferred
//! transaction that reads then writes cannot wait for the lock and fails at
//! once with "database is locked".
//!
//! SQLite's own busy handler sleeps ever longer between tries (up to 100 ms),
//! so a writer waiting behind a run that writes in back-to-back chunks would
//! keep missing the moments between them; [`fast_busy_handler`] tries every
//! millisecond instead, and the run leaves a few milliseconds between chunks.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use crate::config::{Backend, backend_of};

pub mod access;
pub mod admin;
pub mod channels;
pub mod chats;
pub mod cursors;
pub mod leases;
pub mod listings;
pub mod marks;
pub mod outbox;
pub mod payments;
pub mod reach;
pub mod retention;
pub mod searches;
pub mod sources;
pub mod support;
pub mod told;

/// The database's clock: on PostgreSQL `CURRENT_TIMESTAMP`, the one time
/// every replica agrees on (leases and claims compare times written by
/// different processes); on SQLite, which one process serves, this
/// process's clock.
pub async fn clock<C: ConnectionTrait>(db: &C) -> Result<chrono::DateTime<chrono::Utc>, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(chrono::Utc::now());
    }
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT CURRENT_TIMESTAMP AS now"))
        .await?
        .ok_or_else(|| DbErr::Custom("SELECT CURRENT_TIMESTAMP returned no row".to_owned()))?;
    row.try_get::<chrono::DateTime<chrono::Utc>>("", "now")
}

/// How long a SQLite writer waits for the write lock before giving up.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Who a pool is for; decides its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolRole {
    Bot,
    Scraper,
    Expiry,
    /// One-off work in `main` (migrations, `migrate --status`).
    Admin,
    /// Payments and refunds (bot thread): on SQLite each commit is synced
    /// to disk (`synchronous=FULL`), so a recorded payment survives a power
    /// loss. Everything else keeps `NORMAL` (WAL), which loses at most the
    /// last commits on power loss and writes 40 % faster (measured: 3 pools
    /// × 2,000 small writes, 1,090/s with NORMAL, 657/s with FULL).
    Money,
}

impl PoolRole {
    /// SQLite has one writer at a time, so pools stay small: a second
    /// connection lets a read proceed while a write waits. PostgreSQL pools are
    /// sized for the work of each component and stay well under the server's
    /// default `max_connections` (100) with several replicas.
    fn max_connections(self, backend: Backend) -> u32 {
        match (backend, self) {
            (Backend::Sqlite, PoolRole::Admin | PoolRole::Money) => 1,
            (Backend::Sqlite, _) => 2,
            (Backend::Postgres, PoolRole::Bot) => 8,
            (Backend::Postgres, PoolRole::Scraper) => 4,
            (Backend::Postgres, PoolRole::Expiry) => 2,
            (Backend::Postgres, PoolRole::Admin | PoolRole::Money) => 1,
        }
    }
}

/// A database operation failed; the message says which.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database ({backend:?}): {source}")]
    Connect {
        backend: Backend,
        #[source]
        source: DbErr,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[source] DbErr),
    #[error("database URL must start with sqlite:// or postgres://")]
    UnknownBackend,
}

/// Opens a pool for `role` on `url`.
pub async fn connect(url: &str, role: PoolRole) -> Result<DatabaseConnection, DbError> {
    let backend = backend_of(url).ok_or(DbError::UnknownBackend)?;
    let mut opt = ConnectOptions::new(url.to_owned());
    opt.max_connections(role.max_connections(backend))
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .idle_timeout(Duration::from_secs(600))
        .sqlx_logging(false);
    match backend {
        Backend::Sqlite => {
            let synchronous = if role == PoolRole::Money { SqliteSynchronous::Full } else { SqliteSynchronous::Normal };
            opt.map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(synchronous)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
                    .create_if_missing(true)
            });
            opt.map_sqlx_sqlite_pool_opts(|o| {
                o.after_connect(|conn, _| {
                    Box::pin(async move {
                        let mut handle = conn.lock_handle().await?;
                        fast_busy_handler(handle.as_raw_handle());
                        Ok(())
                    })
                })
            });
        }
        Backend::Postgres => {
            opt.set_application_name(format!("homehound-{role:?}").to_lowercase());
        }
    }
    Database::connect(opt).await.map_err(|source| DbError::Connect { backend, source })
}

/// Replaces the connection's busy handler (which `busy_timeout` installed)
/// with one that tries again every millisecond, for [`SQLITE_BUSY_TIMEOUT`]:
/// a writer waiting for the lock takes it within a millisecond of its
/// release instead of up to 100 ms later, when another chunk of a run may
/// hold it again.
fn fast_busy_handler(db: std::ptr::NonNull<libsqlite3_sys::sqlite3>) {
    std::thread_local! {
        /// When this thread's current wait began (sqlx runs each SQLite
        /// connection on a thread of its own).
        static WAITING_SINCE: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
    }
    extern "C" fn busy(_: *mut std::ffi::c_void, tries: std::ffi::c_int) -> std::ffi::c_int {
        let now = std::time::Instant::now();
        let since = WAITING_SINCE.with(|w| {
            if tries == 0 || w.get().is_none() {
                w.set(Some(now));
            }
            w.get().unwrap_or(now)
        });
        if now.duration_since(since) >= SQLITE_BUSY_TIMEOUT {
            return 0;
        }
        std::thread::sleep(Duration::from_millis(1));
        1
    }
    // SAFETY: `db` is the live handle of the connection being set up (sqlx
    // holds its lock for us); the handler is a plain function with no
    // state behind the null user pointer, and it neither unwinds nor calls
    // back into SQLite.
    unsafe {
        libsqlite3_sys::sqlite3_busy_handler(db.as_ptr(), Some(busy), std::ptr::null_mut());
    }
}

/// Begins a transaction that may write. On SQLite it takes the write lock at
/// `BEGIN` (IMMEDIATE), waiting up to the busy timeout; on PostgreSQL it is a
/// plain `BEGIN` (the mode is ignored there).
pub async fn begin_write<C>(db: &C) -> Result<DatabaseTransaction, DbErr>
where
    C: TransactionTrait<Transaction = DatabaseTransaction>,
{
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Locks the chat's row until `txn` ends: one change at a time to what a
/// chat owns that is counted or ordered (its access periods, its searches
/// and their cap). On PostgreSQL two such transactions would otherwise read
/// the same state and both write; SQLite's write transactions are serial
/// already (the lock is a no-op there).
pub async fn lock_chat<C: ConnectionTrait>(txn: &C, chat_id: i64) -> Result<(), DbErr> {
    use sea_orm::{EntityTrait, QuerySelect, sea_query::LockType};
    entity::chat::Entity::find_by_id(chat_id).lock(LockType::Update).one(txn).await?;
    Ok(())
}

/// Key of the PostgreSQL advisory lock held while migrating, so replicas
/// starting together apply migrations once.
const MIGRATION_LOCK_KEY: i64 = 0x686f_6d65_686f_756e; // "homehoun"

/// Applies pending migrations. Runs once, in `main`, before any component.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbError> {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    if postgres {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_lock($1)",
            [MIGRATION_LOCK_KEY.into()],
        ))
        .await
        .map_err(DbError::Migrate)?;
    }
    let result = Migrator::up(db, None).await.map_err(DbError::Migrate);
    if postgres {
        // The lock dies with the session anyway; unlocking early lets a
        // waiting replica go on.
        let _ = db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_unlock($1)",
                [MIGRATION_LOCK_KEY.into()],
            ))
            .await;
    }
    result
}

/// Why a backup failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Db(#[from] DbErr),
    #[error("cannot open the database: {0}")]
    Connect(#[from] DbError),
    #[error("the copy failed its integrity check: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Copies the live SQLite database at `url` to `target` with `VACUUM INTO`
/// (one read transaction: consistent while other connections write), checks
/// the copy, then renames it into place. Returns the copy's size in bytes.
pub async fn backup_sqlite(url: &str, target: &std::path::Path) -> Result<u64, BackupError> {
    let mut partial = target.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    let copied = async {
        let db = connect(url, PoolRole::Admin).await?;
        let result = db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "VACUUM INTO ?",
                [partial.display().to_string().into()],
            ))
            .await;
        let _ = db.close().await;
        result?;
        let copy = connect(&format!("sqlite://{}", partial.display()), PoolRole::Admin).await?;
        let check = copy
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA integrity_check"))
            .await
            .map(|row| row.and_then(|r| r.try_get_by_index::<String>(0).ok()).unwrap_or_default());
        let _ = copy.close().await;
        match check? {
            ok if ok == "ok" => Ok(()),
            problem => Err(BackupError::Corrupt(problem)),
        }
    }
    .await;
    if let Err(e) = copied {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = partial.as_os_str().to_owned();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
        return Err(e);
    }
    std::fs::rename(&partial, target)?;
    Ok(std::fs::metadata(target)?.len())
}

/// Each migration's name and whether it is applied.
pub async fn migration_status(db: &DatabaseConnection) -> Result<Vec<(String, bool)>, DbError> {
    let migrations = Migrator::get_migration_with_status(db).await.map_err(DbError::Migrate)?;
    Ok(migrations.iter().map(|m| (m.name().to_owned(), m.status() == migration::MigrationStatus::Applied)).collect())
}

/// Holds the SQLite database for this process: SQLite serves one process
/// (three pools in one process are coordinated by `BEGIN IMMEDIATE`; two
/// processes would each run a scraper and a sender and double every alert).
/// Released when dropped or when the process dies (an OS file lock).
#[derive(Debug)]
pub struct ProcessLock {
    _file: std::fs::File,
}

/// Why the database could not be taken for this process.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another homehound process is already running on {0}; SQLite serves one process \
         (use PostgreSQL to run several replicas)"
    )]
    Held(String),
    #[error("cannot create the lock file {path}: {reason}")]
    Io { path: String, reason: String },
}

/// The SQLite file a `sqlite://` URL names (`None` for PostgreSQL or memory).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// Takes the process lock of a SQLite database (`<file>.lock` beside it);
/// `Ok(None)` for PostgreSQL, where several processes are the point.
pub fn lock_sqlite(url: &str) -> Result<Option<ProcessLock>, LockError> {
    let Some(file) = sqlite_file(url) else { return Ok(None) };
    let mut lock_path = file.clone().into_os_string();
    lock_path.push(".lock");
    let lock_path = std::path::PathBuf::from(lock_path);
    let io = |e: std::io::Error| LockError::Io { path: lock_path.display().to_string(), reason: e.to_string() };
    let handle = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(io)?;
    match handle.try_lock() {
        Ok(()) => Ok(Some(ProcessLock { _file: handle })),
        Err(std::fs::TryLockError::WouldBlock) => Err(LockError::Held(file.display().to_string())),
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}
