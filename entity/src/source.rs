use sea_orm::entity::prelude::*;

/// A configured listing source and its health, keyed by its unique name.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sources")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub kind: String,
    pub url: String,
    /// Set by the first successful run, which stores without alerting.
    pub seeded_at: Option<DateTimeUtc>,
    pub last_run_at: Option<DateTimeUtc>,
    pub last_success_at: Option<DateTimeUtc>,
    pub last_error_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub last_found: i32,
    pub last_new: i32,
    pub total_runs: i64,
    pub consecutive_failures: i32,
    pub blocked: bool,
    /// Whether admins were told this source is unhealthy (one message, not one per run).
    pub unhealthy_notified: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Per field, the share of listings that had it in the last good run (JSON).
    pub field_fill: Option<String>,
    /// Set while a run is under way; still set at a start, the run took the
    /// process down with it.
    pub run_started_at: Option<DateTimeUtc>,
    /// Runs in a row that took the process down.
    pub crashes: i32,
    /// No run before this (a source that crashed the process is backed off).
    pub backoff_until: Option<DateTimeUtc>,
    /// The start of the `{since}` window of API sources: moved forward only
    /// by a run that read every page it asked for.
    pub window_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(has_many)]
    pub listings: HasMany<super::listing::Entity>,
    #[sea_orm(has_many)]
    pub runs: HasMany<super::source_run::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
