//! Alerts held during quiet hours, folded into one digest when they end.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tracing::info;

use super::prepare::quiet_now;
use crate::db;

/// Gathers the held alerts of every chat whose quiet hours are over (or
/// were switched off) into one digest each.
pub(super) async fn fold_digests(db: &DatabaseConnection) -> Result<usize, sea_orm::DbErr> {
    let now = Utc::now();
    let chats = db::outbox::held_chats(db, 1_000).await?;
    if chats.is_empty() {
        return Ok(0);
    }
    let settings: HashMap<i64, db::chats::Delivery> =
        db::chats::delivery_of(db, &chats).await?.into_iter().map(|d| (d.id, d)).collect();
    let mut folded = 0;
    for chat in chats {
        if !settings.get(&chat).is_some_and(|d| quiet_now(d, now)) {
            let n = db::outbox::fold_digest(db, chat, now).await?;
            info!(chat, alerts = n, "quiet hours over: held alerts gathered into a digest");
            folded += 1;
        }
    }
    Ok(folded)
}
