//! Who can be reached: queries every store that sends, counts or claims
//! uses, depending on no other store.

use chrono::{DateTime, Utc};
use entity::{access_period, chat, status::access_status};
use sea_orm::{
    ColumnTrait, Condition,
    sea_query::{Query, SelectStatement},
};

/// The chats that may be alerted at `now` (a condition on `chats`): not
/// paused, not blocked, with access.
pub fn reachable(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(chat::Column::Paused.eq(false))
        .add(chat::Column::Blocked.eq(false))
        .add(chat::Column::Id.in_subquery(chats_with_access(now)))
}

/// The ids of chats with an active access period at `now` (a subquery):
/// who may get alerts, broadcasts, and counts as "with access".
pub fn chats_with_access(now: DateTime<Utc>) -> SelectStatement {
    Query::select()
        .column(access_period::Column::ChatId)
        .from(access_period::Entity)
        .and_where(access_period::Column::Status.eq(access_status::ACTIVE))
        .and_where(access_period::Column::StartsAt.lte(now))
        .and_where(access_period::Column::EndsAt.gt(now))
        .to_owned()
}
