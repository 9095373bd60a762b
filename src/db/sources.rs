//! Queries on `sources` and `source_runs`: the configured sources and how
//! each run went.

use chrono::{DateTime, Utc};
use entity::{source, source_run};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};

use super::begin_write;

/// Makes sure a row exists for every configured source (by name), updating
/// kind and URL; rows of sources no longer configured are kept (their
/// listings stay stored).
pub async fn sync(
    db: &DatabaseConnection,
    configured: &[(String, String, String)],
    now: DateTime<Utc>,
) -> Result<Vec<source::Model>, DbErr> {
    let txn = begin_write(db).await?;
    let mut rows = Vec::with_capacity(configured.len());
    for (name, kind, url) in configured {
        let existing = source::Entity::find().filter(source::Column::Name.eq(name.as_str())).one(&txn).await?;
        let row = match existing {
            Some(row) if row.kind == *kind && row.url == *url => row,
            Some(row) => {
                let row_url_changed = row.url != *url;
                let mut am: source::ActiveModel = row.into();
                am.kind = Set(kind.clone());
                am.url = Set(url.clone());
                // A new URL is a new result list: drop validators of the old
                // one, and store its first run silently (no flood of alerts
                // for listings that are only new to us).
                am.etag = Set(None);
                am.last_modified = Set(None);
                if row_url_changed {
                    am.seeded_at = Set(None);
                    am.window_at = Set(None);
                }
                am.updated_at = Set(now);
                am.update(&txn).await?
            }
            None => {
                source::ActiveModel {
                    name: Set(name.clone()),
                    kind: Set(kind.clone()),
                    url: Set(url.clone()),
                    last_found: Set(0),
                    last_new: Set(0),
                    total_runs: Set(0),
                    consecutive_failures: Set(0),
                    blocked: Set(false),
                    unhealthy_notified: Set(false),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
            }
        };
        rows.push(row);
    }
    txn.commit().await?;
    Ok(rows)
}

/// Every source with its health, by name (`/stats`, `/sources`).
pub async fn all(db: &DatabaseConnection) -> Result<Vec<source::Model>, DbErr> {
    source::Entity::find().order_by_asc(source::Column::Name).all(db).await
}

pub async fn by_id<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<source::Model>, DbErr> {
    source::Entity::find_by_id(id).one(db).await
}

/// Source `id`, which must exist (its row is written at start).
pub(super) async fn required<C: ConnectionTrait>(db: &C, id: i64) -> Result<source::Model, DbErr> {
    by_id(db, id).await?.ok_or_else(|| DbErr::RecordNotFound(format!("source {id}")))
}

/// Sets one column of source `id`.
async fn set_column(
    db: &DatabaseConnection,
    id: i64,
    column: source::Column,
    value: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    source::Entity::update_many()
        .col_expr(column, sea_orm::sea_query::Expr::value(value))
        .filter(source::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn runs(db: &DatabaseConnection, source_id: i64) -> Result<Vec<source_run::Model>, DbErr> {
    source_run::Entity::find()
        .filter(source_run::Column::SourceId.eq(source_id))
        .order_by_asc(source_run::Column::Id)
        .all(db)
        .await
}

/// How a run of a source may start (see [`begin_run`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunStart {
    /// Recorded as under way (`run_started_at`).
    Started,
    /// The source is backed off until then.
    Wait(DateTime<Utc>),
    /// The run that started then never ended: it took the process down
    /// (a crash, kill -9, out of memory). Nothing is marked; the caller
    /// records it with [`record_crash`].
    Crashed { started_at: DateTime<Utc>, crashes: i32 },
}

/// Marks a run of `source_id` as under way, unless the source is backed off
/// or its last run never ended. Called by the holder of the source's lease.
pub async fn begin_run(db: &DatabaseConnection, source_id: i64, now: DateTime<Utc>) -> Result<RunStart, DbErr> {
    let txn = begin_write(db).await?;
    let src = required(&txn, source_id).await?;
    if let Some(started_at) = src.run_started_at {
        return Ok(RunStart::Crashed { started_at, crashes: src.crashes.saturating_add(1) });
    }
    if let Some(until) = src.backoff_until.filter(|u| *u > now) {
        return Ok(RunStart::Wait(until));
    }
    let mut am: source::ActiveModel = src.into();
    am.run_started_at = Set(Some(now));
    am.update(&txn).await?;
    txn.commit().await?;
    Ok(RunStart::Started)
}

/// Forgets the run under way without recording it (a clean stop mid-run:
/// the next start runs it again at once).
pub async fn drop_run(db: &DatabaseConnection, source_id: i64) -> Result<(), DbErr> {
    set_column(db, source_id, source::Column::RunStartedAt, None).await
}

/// What the scraper decided about a run that took the process down.
#[derive(Clone)]
pub struct Crash<'a> {
    pub started_at: DateTime<Utc>,
    /// Such runs in a row, this one included.
    pub crashes: i32,
    /// No replica runs the source before then.
    pub until: DateTime<Utc>,
    /// The run's error, as `/sources` shows it.
    pub error: &'a str,
    /// Told to these admins.
    pub admins: &'a [i64],
    /// The notice, in an admin's language.
    pub admin_text: super::outbox::Render<'a>,
}

/// Records a run that took the process down as failed, backs the source off
/// until `crash.until` and tells the admins, in one transaction.
pub async fn record_crash(
    db: &DatabaseConnection,
    source_id: i64,
    crash: &Crash<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = begin_write(db).await?;
    let src = required(&txn, source_id).await?;
    let error: String = crash.error.chars().take(500).collect();
    let mut am: source::ActiveModel = src.clone().into();
    am.run_started_at = Set(None);
    am.crashes = Set(crash.crashes);
    am.backoff_until = Set(Some(crash.until));
    am.last_run_at = Set(Some(now));
    am.total_runs = Set(src.total_runs + 1);
    am.consecutive_failures = Set(src.consecutive_failures.saturating_add(1));
    am.last_error = Set(Some(error.clone()));
    am.last_error_at = Set(Some(now));
    am.updated_at = Set(now);
    am.update(&txn).await?;
    source_run::ActiveModel {
        source_id: Set(source_id),
        started_at: Set(crash.started_at),
        finished_at: Set(now),
        outcome: Set(entity::status::run_outcome::ERROR.to_owned()),
        found: Set(0),
        new: Set(0),
        price_drops: Set(0),
        missing_price: Set(0),
        error: Set(Some(error)),
        field_fill: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let key = format!("source:{source_id}:crash:{}", crash.started_at.timestamp_millis());
    super::outbox::notify_each(&txn, crash.admins, &key, crash.admin_text, false, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Moves the `{since}` window of `source_id` to `to` (a run read every page
/// it asked for).
pub async fn move_window(db: &DatabaseConnection, source_id: i64, to: DateTime<Utc>) -> Result<(), DbErr> {
    set_column(db, source_id, source::Column::WindowAt, Some(to)).await
}
