//! Retention: what is old enough to go, deleted in small batches.
//!
//! Sent, failed and dropped outbox rows (and the support threads' message
//! ids, a few rows a day) after `OUTBOX_RETENTION`, listings
//! not seen for `LISTING_RETENTION` (their prices and messages go with them,
//! by the foreign keys' `ON DELETE CASCADE`), source runs after
//! `RUN_RETENTION`. Each batch is one short statement on an indexed column,
//! so the bot and the scraper keep writing while a large backlog is pruned.

use chrono::{DateTime, Utc};
use entity::{listing, outbox, source, source_run, status::outbox_status, support_message};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, ExprTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, Query, SimpleExpr},
};

/// Rows deleted per statement.
pub const BATCH: u64 = 1_000;

/// What one pruning deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub outbox: u64,
    pub listings: u64,
    pub runs: u64,
}

/// The cut-offs: rows older than these go.
#[derive(Debug, Clone, Copy)]
pub struct Cutoffs {
    pub outbox: DateTime<Utc>,
    pub listings: DateTime<Utc>,
    pub runs: DateTime<Utc>,
}

/// Deletes up to [`BATCH`] rows of `E` matching `which`; returns how many.
async fn batch<E: EntityTrait>(db: &DatabaseConnection, id: E::Column, which: SimpleExpr) -> Result<u64, DbErr>
where
    E::Column: ColumnTrait,
{
    let ids: Vec<i64> = E::find().select_only().column(id).filter(which).limit(BATCH).into_tuple().all(db).await?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(E::delete_many().filter(id.is_in(ids)).exec(db).await?.rows_affected)
}

/// A source that retention emptied (no listing left, no successful run
/// since the listings' cut-off) stores its next run silently again, like a
/// first run: its old listings are gone, so everything would look new.
async fn unseed_emptied(db: &DatabaseConnection, cut: DateTime<Utc>) -> Result<u64, DbErr> {
    let with_listings = Query::select().column(listing::Column::SourceId).from(listing::Entity).to_owned();
    Ok(source::Entity::update_many()
        .col_expr(source::Column::SeededAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(source::Column::SeededAt.is_not_null())
        .filter(source::Column::LastSuccessAt.lt(cut))
        .filter(source::Column::Id.not_in_subquery(with_listings))
        .exec(db)
        .await?
        .rows_affected)
}

/// One batch of each kind; call again while anything was deleted (the
/// caller yields between calls and stops on shutdown).
pub async fn prune_batch(db: &DatabaseConnection, cut: Cutoffs) -> Result<Pruned, DbErr> {
    let done = [outbox_status::SENT, outbox_status::FAILED, outbox_status::DROPPED];
    let unseeded = unseed_emptied(db, cut.listings).await?;
    if unseeded > 0 {
        tracing::info!(sources = unseeded, "sources emptied by retention: their next run is stored silently");
    }
    Ok(Pruned {
        outbox: batch::<outbox::Entity>(
            db,
            outbox::Column::Id,
            outbox::Column::Status.is_in(done).and(outbox::Column::CreatedAt.lt(cut.outbox)),
        )
        .await?
            + batch::<support_message::Entity>(
                db,
                support_message::Column::Id,
                support_message::Column::CreatedAt.lt(cut.outbox),
            )
            .await?,
        listings: batch::<listing::Entity>(db, listing::Column::Id, listing::Column::LastSeenAt.lt(cut.listings))
            .await?,
        runs: batch::<source_run::Entity>(db, source_run::Column::Id, source_run::Column::StartedAt.lt(cut.runs))
            .await?,
    })
}
