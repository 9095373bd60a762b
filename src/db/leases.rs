//! Named leases in the database: how replicas on one PostgreSQL divide
//! work without anything beside it. A lease is a row (name, owner,
//! expires_at, epoch); taking it is one upsert that succeeds only when the
//! row is free, expired, or already ours, so two processes never both hold
//! it. A process that dies simply stops renewing: its leases pass to another
//! replica once they expire. Each change of owner raises the epoch: a
//! fencing token the holder writes with its work, so a deposed holder's late
//! writes match nothing. Callers pass times read from the database's clock
//! ([`super::clock`]), so replicas with skewed clocks agree on expiry.

use std::{sync::LazyLock, time::Duration};

use chrono::{DateTime, Utc};
use entity::lease;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};

/// This process's name as a lease owner: host-independent, unique per run.
pub static OWNER: LazyLock<String> =
    LazyLock::new(|| format!("pid{}-{}", std::process::id(), Utc::now().timestamp_nanos_opt().unwrap_or_default()));

/// Takes or renews lease `name` for `owner` until `now + ttl`; the lease's
/// epoch when `owner` holds it now.
pub async fn acquire<C: ConnectionTrait>(
    db: &C,
    name: &str,
    owner: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let expires_at = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
    // Same owner (a renewal): same epoch; a new owner: the next one.
    let epoch = Expr::cust(
        r#"CASE WHEN "leases"."owner" = excluded."owner" THEN "leases"."epoch" ELSE "leases"."epoch" + 1 END"#,
    );
    let upsert = OnConflict::column(lease::Column::Name)
        .update_columns([lease::Column::Owner, lease::Column::ExpiresAt])
        .value(lease::Column::Epoch, epoch)
        .action_and_where(
            Expr::col((lease::Entity, lease::Column::ExpiresAt)).lte(now).or(Expr::col((
                lease::Entity,
                lease::Column::Owner,
            ))
            .eq(owner)),
        )
        .to_owned();
    let result = lease::Entity::insert(lease::ActiveModel {
        name: Set(name.to_owned()),
        owner: Set(owner.to_owned()),
        expires_at: Set(expires_at),
        epoch: Set(1),
    })
    .on_conflict(upsert)
    .exec_without_returning(db)
    .await;
    match result {
        Ok(0) | Err(DbErr::RecordNotInserted) => return Ok(None),
        Ok(_) => (),
        Err(e) => return Err(e),
    }
    // Nobody else can take it before it expires, so this reads our own row.
    Ok(lease::Entity::find_by_id(name.to_owned())
        .filter(lease::Column::Owner.eq(owner))
        .one(db)
        .await?
        .map(|l| l.epoch))
}

/// [`acquire`] at the database's clock.
pub async fn acquire_now<C: ConnectionTrait>(
    db: &C,
    name: &str,
    owner: &str,
    ttl: Duration,
) -> Result<Option<i64>, DbErr> {
    let now = super::clock(db).await?;
    acquire(db, name, owner, ttl, now).await
}

/// Gives the lease up (on shutdown), so another replica need not wait. The
/// row stays, expired, so the epoch keeps growing.
pub async fn release<C: ConnectionTrait>(db: &C, name: &str, owner: &str) -> Result<(), DbErr> {
    lease::Entity::update_many()
        .col_expr(lease::Column::ExpiresAt, Expr::value(DateTime::<Utc>::UNIX_EPOCH))
        .filter(lease::Column::Name.eq(name))
        .filter(lease::Column::Owner.eq(owner))
        .exec(db)
        .await?;
    Ok(())
}

/// The current holder of `name`, if its lease has not expired.
pub async fn holder<C: ConnectionTrait>(db: &C, name: &str, now: DateTime<Utc>) -> Result<Option<String>, DbErr> {
    Ok(lease::Entity::find_by_id(name.to_owned())
        .filter(lease::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .map(|l| l.owner))
}
