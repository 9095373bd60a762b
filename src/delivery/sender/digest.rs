//! Alerts held during quiet hours, folded into one digest when they end;
//! they are dropped only once that digest is sent (a failed one puts them
//! back, up to `db::outbox::FOLD_TRIES` times).

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tracing::info;

use super::prepare::quiet_now;
use crate::db;

/// Chats holding alerts looked at per query.
const HELD_PAGE: u64 = 1_000;

/// Gathers the held alerts of every chat whose quiet hours are over (or
/// were switched off) into one digest each. Every chat holding alerts is
/// looked at, a page at a time by chat id: a chat whose hours ended is never
/// kept waiting behind others still in theirs.
pub(super) async fn fold_digests(db: &DatabaseConnection) -> Result<usize, sea_orm::DbErr> {
    // First the alerts of digests whose outcome is known: dropped once sent,
    // held again (and gathered below) when their digest failed.
    let settled = db::outbox::settle_folded(db).await?;
    if settled.put_back > 0 {
        tracing::warn!(alerts = settled.put_back, "a digest failed: its alerts are held to be sent in another");
    }
    let now = Utc::now();
    let mut folded = 0;
    let mut after = i64::MIN;
    loop {
        let chats = db::outbox::held_chats(db, after, HELD_PAGE).await?;
        let Some(&last) = chats.last() else { break };
        after = last;
        let settings: HashMap<i64, db::chats::Delivery> =
            db::chats::delivery_of(db, &chats).await?.into_iter().map(|d| (d.id, d)).collect();
        for &chat in &chats {
            if !settings.get(&chat).is_some_and(|d| quiet_now(d, now)) {
                let n = db::outbox::fold_digest(db, chat, now).await?;
                info!(chat, alerts = n, "quiet hours over: held alerts gathered into a digest");
                folded += 1;
            }
        }
        if (chats.len() as u64) < HELD_PAGE {
            break;
        }
    }
    Ok(folded)
}
