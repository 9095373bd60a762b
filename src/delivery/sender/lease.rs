//! The sender's lease: on PostgreSQL the replicas share one sender (Telegram's
//! limit is per token), held by its own renewing task.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tracing::warn;

use crate::{db, shutdown::Shutdown};

pub(super) const SENDER_LEASE: &str = "sender";
/// How long the sender lease lasts unless renewed.
pub(super) const SENDER_LEASE_TTL: Duration = Duration::from_secs(15);
/// How often the holder renews it.
pub(super) const SENDER_LEASE_RENEW: Duration = Duration::from_secs(5);
/// How often a standby replica asks for it.
pub(super) const SENDER_LEASE_RETRY: Duration = Duration::from_secs(3);
/// The holder stops sending this long before its lease could have expired
/// (by its own monotonic clock, counted from before it asked), so a send
/// never starts after another replica may have taken over.
pub(super) const SENDER_LEASE_MARGIN: Duration = Duration::from_secs(3);

/// This process's right to send: the claim token (`owner#epoch`) while the
/// sender lease is held, and the database clock's offset from ours.
#[derive(Clone, Default)]
pub(super) struct Lease(Arc<std::sync::Mutex<LeaseState>>);

#[derive(Default)]
pub(super) struct LeaseState {
    token: Option<String>,
    /// When the token stops being valid; `None`: never (one process).
    valid_until: Option<std::time::Instant>,
    /// The database's clock minus ours, in milliseconds.
    offset_ms: i64,
}

impl Lease {
    /// One process (SQLite): always the sender, by its own clock.
    pub(super) fn always(owner: &str) -> Self {
        Self(Arc::new(std::sync::Mutex::new(LeaseState {
            token: Some(owner.to_owned()),
            valid_until: None,
            offset_ms: 0,
        })))
    }

    /// The claim token, while this process may send.
    pub(super) fn token(&self) -> Option<String> {
        let state = self.0.lock().ok()?;
        match state.valid_until {
            Some(until) if std::time::Instant::now() >= until => None,
            _ => state.token.clone(),
        }
    }

    /// Whether a send under `token` may start now.
    pub(super) fn allows(&self, token: &str) -> bool {
        self.token().as_deref() == Some(token)
    }

    /// Now, by the database's clock (claims and sends are compared across
    /// replicas).
    pub(super) fn now(&self) -> chrono::DateTime<Utc> {
        let offset = self.0.lock().map(|s| s.offset_ms).unwrap_or_default();
        Utc::now() + chrono::Duration::milliseconds(offset)
    }
}

/// Takes and renews the sender lease until shutdown (PostgreSQL), by the
/// database's clock; publishes the token in `lease`.
pub(super) async fn keep_lease(db: DatabaseConnection, owner: String, lease: Lease, shutdown: Shutdown) {
    while !shutdown.is_triggered() {
        let asked = std::time::Instant::now();
        let result = async {
            let now = db::clock(&db).await?;
            let epoch = db::leases::acquire(&db, SENDER_LEASE, &owner, SENDER_LEASE_TTL, now).await?;
            Ok::<_, sea_orm::DbErr>((now, epoch))
        };
        let held = match tokio::time::timeout(SENDER_LEASE_RENEW, result).await {
            Ok(Ok((now, epoch))) => {
                if let Ok(mut state) = lease.0.lock() {
                    state.offset_ms = (now - Utc::now()).num_milliseconds();
                    state.token = epoch.map(|e| format!("{owner}#{e}"));
                    state.valid_until = Some(asked + SENDER_LEASE_TTL - SENDER_LEASE_MARGIN);
                }
                epoch.is_some()
            }
            // Unknown: the token stays valid until its own deadline.
            Ok(Err(e)) => {
                warn!(error = %e, "cannot take or renew the sender lease");
                lease.token().is_some()
            }
            Err(_) => {
                warn!("taking or renewing the sender lease timed out");
                lease.token().is_some()
            }
        };
        let wait = if held { SENDER_LEASE_RENEW } else { SENDER_LEASE_RETRY };
        tokio::select! {
            _ = shutdown.wait() => break,
            _ = tokio::time::sleep(wait) => (),
        }
    }
}
