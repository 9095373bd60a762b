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
                let mut am: source::ActiveModel = row.into();
                am.kind = Set(kind.clone());
                am.url = Set(url.clone());
                // A new URL is a new result list: drop validators of the old one.
                am.etag = Set(None);
                am.last_modified = Set(None);
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

pub async fn runs(db: &DatabaseConnection, source_id: i64) -> Result<Vec<source_run::Model>, DbErr> {
    source_run::Entity::find()
        .filter(source_run::Column::SourceId.eq(source_id))
        .order_by_asc(source_run::Column::Id)
        .all(db)
        .await
}
