//! Outcomes recorded in batches: sent rows are marked in one statement per
//! batch, only while this sender holds the lease.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tracing::warn;

use super::{MARK_BATCH, MARK_EVERY, lease::Lease};
use crate::db;

/// A message Telegram accepted, to be marked sent (by [`record_marks`]).
pub(super) struct Mark {
    pub(super) id: i64,
    pub(super) token: Arc<str>,
    pub(super) paid: bool,
}

/// Marks sent rows in batches: one statement per [`MARK_BATCH`] rows or
/// [`MARK_EVERY`], until every sender of marks has gone.
pub(super) async fn record_marks(
    db: DatabaseConnection,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Mark>,
    lease: Lease,
) {
    let mut batch: Vec<Mark> = Vec::new();
    while let Some(first) = rx.recv().await {
        batch.push(first);
        let deadline = tokio::time::sleep(MARK_EVERY);
        tokio::pin!(deadline);
        while batch.len() < MARK_BATCH {
            tokio::select! {
                mark = rx.recv() => match mark {
                    Some(m) => batch.push(m),
                    None => break,
                },
                _ = &mut deadline => break,
            }
        }
        flush_marks(&db, &mut batch, lease.now()).await;
    }
}

pub(super) async fn flush_marks(db: &DatabaseConnection, batch: &mut Vec<Mark>, now: chrono::DateTime<Utc>) {
    batch.sort_by(|a, b| (&a.token, a.paid).cmp(&(&b.token, b.paid)));
    for group in batch.chunk_by(|a, b| a.token == b.token && a.paid == b.paid) {
        let ids: Vec<i64> = group.iter().map(|m| m.id).collect();
        let mut attempt = 0;
        loop {
            match db::outbox::mark_sent_many(db, &group[0].token, &ids, group[0].paid, now).await {
                Ok(n) if n < ids.len() as u64 => {
                    warn!(sent = ids.len(), marked = n, "sent, but some claims had passed to another sender");
                    break;
                }
                Ok(_) => break,
                Err(e) if attempt < 3 => {
                    attempt += 1;
                    warn!(error = %e, attempt, "cannot mark sent messages yet; trying again");
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(e) => {
                    warn!(error = %e, rows = ids.len(), "cannot mark sent messages; they will be resent after a restart");
                    break;
                }
            }
        }
    }
    batch.clear();
}
