//! Queries on `chats` and the trial granted on first contact.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{access_period, chat, status::access_kind, status::access_status};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use super::{
    access::{Extension, extend},
    begin_write,
};

/// What [`register`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registration {
    /// First contact: the chat was created and given its trial.
    pub new: bool,
    /// The chat had blocked the bot and is now unblocked.
    pub unblocked: bool,
}

/// Who is registering.
#[derive(Debug, Clone)]
pub struct ChatProfile {
    pub id: i64,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub language: String,
}

/// Creates the chat on first contact, with a trial access period of
/// `trial` (none when zero); on later contact refreshes its profile and
/// unblocks it. One transaction, so a chat never exists without its trial.
pub async fn register(
    db: &DatabaseConnection,
    profile: &ChatProfile,
    trial: Duration,
    now: DateTime<Utc>,
) -> Result<Registration, DbErr> {
    let txn = begin_write(db).await?;
    let existing = chat::Entity::find_by_id(profile.id).one(&txn).await?;
    let registration = match existing {
        Some(found) => {
            let unblocked = found.blocked;
            let mut am: chat::ActiveModel = found.into();
            am.username = Set(profile.username.clone());
            am.first_name = Set(profile.first_name.clone());
            am.language = Set(profile.language.clone());
            am.blocked = Set(false);
            am.blocked_at = Set(None);
            am.updated_at = Set(now);
            chat::Entity::update(am).exec(&txn).await?;
            Registration { new: false, unblocked }
        }
        None => {
            chat::Entity::insert(chat::ActiveModel {
                id: Set(profile.id),
                username: Set(profile.username.clone()),
                first_name: Set(profile.first_name.clone()),
                language: Set(profile.language.clone()),
                paused: Set(false),
                blocked: Set(false),
                blocked_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                support_requested_at: Set(None),
                quiet_from: Set(None),
                quiet_to: Set(None),
                timezone: Set(None),
            })
            .exec_without_returning(&txn)
            .await?;
            if !trial.is_zero() {
                let what = Extension { kind: access_kind::TRIAL, granted_by: None, payment_id: None };
                extend(&txn, profile.id, trial, what, now).await?;
            }
            Registration { new: true, unblocked: false }
        }
    };
    txn.commit().await?;
    Ok(registration)
}

/// Pauses or resumes every alert of the chat; `false` when the chat is unknown.
pub async fn set_paused(
    db: &DatabaseConnection,
    chat_id: i64,
    paused: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = chat::Entity::update_many()
        .col_expr(chat::Column::Paused, Expr::value(paused))
        .col_expr(chat::Column::UpdatedAt, Expr::value(now))
        .filter(chat::Column::Id.eq(chat_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// A chat's access, as `/status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Active until `ends_at` (the end of the last of its adjoining periods);
    /// `kind` is the kind of that last period (a plan paid during the trial
    /// is "paid" access until its end).
    Active { kind: String, ends_at: DateTime<Utc> },
    /// Had access; it ended at `ended_at`.
    Expired { ended_at: DateTime<Utc> },
    /// Never had access (e.g. no trial configured).
    Never,
}

/// The chat's access at `now`.
pub async fn access(db: &DatabaseConnection, chat_id: i64, now: DateTime<Utc>) -> Result<Access, DbErr> {
    let periods = access_period::Entity::find()
        .filter(access_period::Column::ChatId.eq(chat_id))
        .filter(access_period::Column::Status.ne(access_status::REFUNDED))
        .order_by_asc(access_period::Column::StartsAt)
        .all(db)
        .await?;
    let active: Vec<&access_period::Model> = periods.iter().filter(|p| p.status == access_status::ACTIVE).collect();
    match super::access::chain_at(&active, now) {
        Some(chain) => Ok(Access::Active { kind: chain.last.kind.clone(), ends_at: chain.end }),
        None => Ok(periods
            .iter()
            .filter(|p| p.ends_at <= now)
            .map(|p| p.ends_at)
            .max()
            .map_or(Access::Never, |ended_at| Access::Expired { ended_at })),
    }
}

/// The chat, if it talked to the bot.
/// What the sender needs of a chat: its language and quiet hours.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct Delivery {
    pub id: i64,
    pub language: String,
    pub quiet_from: Option<i32>,
    pub quiet_to: Option<i32>,
    pub timezone: Option<String>,
}

/// [`Delivery`] settings of each of `chat_ids` (those stored).
pub async fn delivery_of(db: &DatabaseConnection, chat_ids: &[i64]) -> Result<Vec<Delivery>, DbErr> {
    let mut rows = Vec::new();
    for chunk in chat_ids.chunks(1_000) {
        rows.extend(
            chat::Entity::find()
                .select_only()
                .column(chat::Column::Id)
                .column(chat::Column::Language)
                .column(chat::Column::QuietFrom)
                .column(chat::Column::QuietTo)
                .column(chat::Column::Timezone)
                .filter(chat::Column::Id.is_in(chunk.iter().copied()))
                .into_model::<Delivery>()
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

/// Sets (or with `None` clears) the chat's quiet hours, minutes after local
/// midnight.
pub async fn set_quiet(
    db: &DatabaseConnection,
    chat_id: i64,
    window: Option<(i32, i32)>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    chat::Entity::update_many()
        .col_expr(chat::Column::QuietFrom, Expr::value(window.map(|w| w.0)))
        .col_expr(chat::Column::QuietTo, Expr::value(window.map(|w| w.1)))
        .col_expr(chat::Column::UpdatedAt, Expr::value(now))
        .filter(chat::Column::Id.eq(chat_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the chat's IANA time zone.
pub async fn set_timezone(db: &DatabaseConnection, chat_id: i64, zone: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    chat::Entity::update_many()
        .col_expr(chat::Column::Timezone, Expr::value(zone))
        .col_expr(chat::Column::UpdatedAt, Expr::value(now))
        .filter(chat::Column::Id.eq(chat_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn get(db: &DatabaseConnection, chat_id: i64) -> Result<Option<chat::Model>, DbErr> {
    chat::Entity::find_by_id(chat_id).one(db).await
}

/// The chat asked for payment support (`/paysupport`): its next message
/// goes to the admins.
pub async fn request_support(db: &DatabaseConnection, chat_id: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    chat::Entity::update_many()
        .col_expr(chat::Column::SupportRequestedAt, Expr::value(now))
        .filter(chat::Column::Id.eq(chat_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether the chat asked for support since `since`; the request is used up
/// (one message goes to the admins), atomically, so it is taken once.
pub async fn take_support_request(db: &DatabaseConnection, chat_id: i64, since: DateTime<Utc>) -> Result<bool, DbErr> {
    let result = chat::Entity::update_many()
        .col_expr(chat::Column::SupportRequestedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(chat::Column::Id.eq(chat_id))
        .filter(chat::Column::SupportRequestedAt.gt(since))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
