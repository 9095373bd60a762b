//! Telegram Stars payments and the access they buy. A payment is applied
//! once: `telegram_payment_charge_id` is unique, and the access period is
//! written in the same transaction as the payment row. A refund is recorded
//! as an intent (`refunding`) before Telegram is asked and completed after,
//! so one interrupted between the two is finished by the next reconciliation.

use chrono::{DateTime, Utc};
use entity::{
    access_period, payment,
    status::{access_kind, access_status},
};
use std::collections::HashSet;
use std::time::Duration;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use super::{
    access::{Extension, access_end, extend},
    admin::audit,
    begin_write,
};

pub const PAID: &str = "paid";
/// Asked of Telegram, not yet confirmed.
pub const REFUNDING: &str = "refunding";
pub const REFUNDED: &str = "refunded";

/// A successful payment as Telegram reported it.
#[derive(Debug, Clone)]
pub struct Charge<'a> {
    pub chat_id: i64,
    pub plan: &'a str,
    pub duration: Duration,
    pub amount: i64,
    pub currency: &'a str,
    pub charge_id: &'a str,
    pub provider_charge_id: Option<&'a str>,
    pub payload: &'a str,
}

/// What [`apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Access now ends at this time.
    Extended(DateTime<Utc>),
    /// This charge was applied before (a redelivered update).
    AlreadyApplied,
}

/// Records the payment and extends access by its duration from
/// max(now, current end).
pub async fn apply(db: &DatabaseConnection, charge: &Charge<'_>, now: DateTime<Utc>) -> Result<Applied, DbErr> {
    let txn = begin_write(db).await?;
    let inserted = payment::Entity::insert(payment::ActiveModel {
        chat_id: Set(charge.chat_id),
        plan: Set(charge.plan.to_owned()),
        amount: Set(charge.amount),
        currency: Set(charge.currency.to_owned()),
        telegram_payment_charge_id: Set(charge.charge_id.to_owned()),
        provider_payment_charge_id: Set(charge.provider_charge_id.map(str::to_owned)),
        invoice_payload: Set(charge.payload.to_owned()),
        status: Set(PAID.to_owned()),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([payment::Column::TelegramPaymentChargeId])
    .exec(&txn)
    .await?;
    let payment_id = match inserted {
        sea_orm::TryInsertResult::Inserted(r) => r.last_insert_id,
        _ => return Ok(Applied::AlreadyApplied),
    };
    let paid = Extension { kind: access_kind::PAID, granted_by: None, payment_id: Some(payment_id) };
    let ends_at = extend(&txn, charge.chat_id, charge.duration, paid, now).await?;
    txn.commit().await?;
    Ok(Applied::Extended(ends_at))
}

/// Which of `charge_ids` are recorded.
pub async fn known(db: &DatabaseConnection, charge_ids: &[String]) -> Result<HashSet<String>, DbErr> {
    if charge_ids.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(payment::Entity::find()
        .select_only()
        .column(payment::Column::TelegramPaymentChargeId)
        .filter(payment::Column::TelegramPaymentChargeId.is_in(charge_ids.iter().map(String::as_str)))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The charge ids of a chat's payments, newest first (for payment support).
pub async fn charge_ids(db: &DatabaseConnection, chat_id: i64, limit: u64) -> Result<Vec<String>, DbErr> {
    payment::Entity::find()
        .select_only()
        .column(payment::Column::TelegramPaymentChargeId)
        .filter(payment::Column::ChatId.eq(chat_id))
        .order_by_desc(payment::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// Records that `admin` asks for the refund of `charge_id`, before
/// Telegram is asked: the payment, now `refunding` (also when it already
/// was: an interrupted refund is asked again); `None` when no payment with
/// that charge id is refundable.
pub async fn request_refund(
    db: &DatabaseConnection,
    admin: i64,
    charge_id: &str,
) -> Result<Option<payment::Model>, DbErr> {
    let txn = begin_write(db).await?;
    let found = payment::Entity::find()
        .filter(payment::Column::TelegramPaymentChargeId.eq(charge_id))
        .filter(payment::Column::Status.is_in([PAID, REFUNDING]))
        .one(&txn)
        .await?;
    let Some(mut payment) = found else { return Ok(None) };
    if payment.status == PAID {
        payment::Entity::update_many()
            .col_expr(payment::Column::Status, Expr::value(REFUNDING))
            .col_expr(payment::Column::RefundAdmin, Expr::value(admin))
            .filter(payment::Column::Id.eq(payment.id))
            .exec(&txn)
            .await?;
        payment.status = REFUNDING.to_owned();
        payment.refund_admin = Some(admin);
    }
    txn.commit().await?;
    Ok(Some(payment))
}

/// The payment with Telegram's charge id `charge_id`, if any.
pub async fn by_charge(db: &DatabaseConnection, charge_id: &str) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find().filter(payment::Column::TelegramPaymentChargeId.eq(charge_id)).one(db).await
}

/// Telegram refused the refund for good: the payment is `paid` again.
pub async fn refund_refused(db: &DatabaseConnection, payment: &payment::Model) -> Result<(), DbErr> {
    payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(PAID))
        .filter(payment::Column::Id.eq(payment.id))
        .filter(payment::Column::Status.eq(REFUNDING))
        .exec(db)
        .await?;
    Ok(())
}

/// Refunds asked of Telegram and not confirmed (interrupted), oldest first.
pub async fn refunding(db: &DatabaseConnection, limit: u64) -> Result<Vec<payment::Model>, DbErr> {
    payment::Entity::find()
        .filter(payment::Column::Status.eq(REFUNDING))
        .order_by_asc(payment::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// After Telegram refunded the payment: marks it refunded, takes away the
/// access it bought (later periods move earlier by its length, so the chat
/// keeps exactly what it did not pay back), and audits it. Returns when the
/// chat's access now ends, if it still has some; `None` as well when the
/// refund was completed before (idempotent).
pub async fn refunded(
    db: &DatabaseConnection,
    payment: &payment::Model,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let txn = begin_write(db).await?;
    // The lock an extension takes: a payment committing during the refund
    // moves its period after this one is shortened, never into a gap.
    super::lock_chat(&txn, payment.chat_id).await?;
    let marked = payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(REFUNDED))
        .col_expr(payment::Column::RefundedAt, Expr::value(now))
        .filter(payment::Column::Id.eq(payment.id))
        .filter(payment::Column::Status.eq(REFUNDING))
        .exec(&txn)
        .await?;
    if marked.rows_affected == 0 {
        return access_end(&txn, payment.chat_id, now).await;
    }
    let admin = payment.refund_admin.unwrap_or_default();
    let period =
        access_period::Entity::find().filter(access_period::Column::PaymentId.eq(payment.id)).one(&txn).await?;
    if let Some(period) = period {
        // What is left of it is taken away: all of it if it has not started.
        let from = period.starts_at.max(now).min(period.ends_at);
        let removed = period.ends_at - from;
        let mut am: access_period::ActiveModel = period.clone().into();
        am.status = Set(access_status::REFUNDED.to_owned());
        am.ends_at = Set(from);
        access_period::Entity::update(am).exec(&txn).await?;
        let later = access_period::Entity::find()
            .filter(access_period::Column::ChatId.eq(period.chat_id))
            .filter(access_period::Column::Status.eq(access_status::ACTIVE))
            .filter(access_period::Column::StartsAt.gte(period.ends_at))
            .order_by_asc(access_period::Column::StartsAt)
            .all(&txn)
            .await?;
        for p in later {
            let mut am: access_period::ActiveModel = p.clone().into();
            am.starts_at = Set(p.starts_at - removed);
            am.ends_at = Set(p.ends_at - removed);
            access_period::Entity::update(am).exec(&txn).await?;
        }
    }
    let details =
        format!("{} {} {} ({})", payment.amount, payment.currency, payment.plan, payment.telegram_payment_charge_id);
    audit(&txn, admin, "refund", Some(payment.chat_id), details, now).await?;
    let end = access_end(&txn, payment.chat_id, now).await?;
    txn.commit().await?;
    Ok(end)
}
