//! Retention: what is old enough to go, deleted in small batches.
//!
//! Sent, failed and dropped outbox rows (and the support threads' message
//! ids, a few rows a day) after `OUTBOX_RETENTION`, listings
//! not seen for `LISTING_RETENTION` (their messages deleted in the same
//! transaction, their prices and marks by the foreign keys' `ON DELETE
//! CASCADE`; the outbox has no foreign keys on PostgreSQL), source runs after
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

/// Deletes up to [`BATCH`] listings not seen since `cut`, and their
/// messages with them (one transaction).
async fn listings_batch(db: &DatabaseConnection, cut: DateTime<Utc>) -> Result<u64, DbErr> {
    let ids: Vec<i64> = listing::Entity::find()
        .select_only()
        .column(listing::Column::Id)
        .filter(listing::Column::LastSeenAt.lt(cut))
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let txn = super::begin_write(db).await?;
    // Seen again meanwhile: kept, with its messages.
    let deleted = listing::Entity::delete_many()
        .filter(listing::Column::Id.is_in(ids.clone()))
        .filter(listing::Column::LastSeenAt.lt(cut))
        .exec(&txn)
        .await?
        .rows_affected;
    let kept = Query::select()
        .column(listing::Column::Id)
        .from(listing::Entity)
        .and_where(listing::Column::Id.is_in(ids.clone()))
        .to_owned();
    outbox::Entity::delete_many()
        .filter(outbox::Column::ListingId.is_in(ids))
        .filter(outbox::Column::ListingId.not_in_subquery(kept))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(deleted)
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
        listings: listings_batch(db, cut.listings).await?,
        runs: batch::<source_run::Entity>(db, source_run::Column::Id, source_run::Column::StartedAt.lt(cut.runs))
            .await?,
    })
}
