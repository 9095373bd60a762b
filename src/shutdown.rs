//! The one shared shutdown signal.
//!
//! `main` triggers it from the `ctrlc` handler (SIGINT, SIGTERM); a component
//! that hits a fatal error triggers it too, recording why, so the process
//! stops as a whole and exits 1. It is runtime-agnostic: every runtime awaits
//! [`Shutdown::wait`] and wakes at once, with no polling.

use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

/// A spawned task that is aborted when its owner drops it (a helper task
/// never outlives the component that started it).
pub struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl AbortOnDrop {
    /// Lets the task end by itself within `limit` (it watches the shutdown
    /// flag), then aborts whatever is left.
    pub async fn finish_within(&mut self, limit: std::time::Duration) {
        if tokio::time::timeout(limit, &mut self.0).await.is_err() {
            tracing::warn!("a task did not stop in time");
        }
    }
}

/// A cloneable handle on the shared shutdown flag.
#[derive(Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
    fatal: Arc<Mutex<Option<String>>>,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every component to stop.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// Stops everything because of an unrecoverable error; the first reason wins.
    pub fn trigger_fatal(&self, reason: impl Into<String>) {
        if let Ok(mut fatal) = self.fatal.lock() {
            fatal.get_or_insert_with(|| reason.into());
        }
        self.token.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Why the process is stopping, when a component failed fatally.
    pub fn fatal_reason(&self) -> Option<String> {
        self.fatal.lock().ok().and_then(|f| f.clone())
    }

    /// Completes once shutdown is triggered.
    pub async fn wait(&self) {
        self.token.cancelled().await;
    }

    /// Sleeps for `duration`, returning `false` early if shutdown is triggered.
    pub async fn sleep(&self, duration: std::time::Duration) -> bool {
        tokio::select! {
            _ = self.token.cancelled() => false,
            _ = tokio::time::sleep(duration) => true,
        }
    }
}
