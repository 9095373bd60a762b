//! Liveness of the three components, shared by every thread.
//!
//! Each component's supervisor marks it up once the component reports ready,
//! down when it ends or crashes, counts restarts, and beats a heartbeat from
//! inside the component's runtime, so a blocked runtime shows as stale.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering},
    },
    time::Duration,
};

use chrono::Utc;
use serde::Serialize;
use tokio::sync::Notify;

/// A heartbeat older than this marks a component as down.
pub const STALE_AFTER: Duration = Duration::from_secs(30);
/// Failed passes in a row after which a component is reported not alive.
pub const FAILING_AFTER: u64 = 3;
/// How often a running component beats.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// The health of one component.
#[derive(Debug)]
pub struct ComponentHealth {
    pub name: &'static str,
    up: AtomicBool,
    last_heartbeat_ms: AtomicI64,
    restarts: AtomicU64,
    /// Passes of its work that failed in a row (0 while it works).
    failing: AtomicU64,
    /// Woken when the component comes up (shared by every component).
    changed: Arc<Notify>,
}

impl ComponentHealth {
    fn new(name: &'static str, changed: Arc<Notify>) -> Self {
        Self {
            name,
            up: AtomicBool::new(false),
            last_heartbeat_ms: AtomicI64::new(0),
            restarts: AtomicU64::new(0),
            failing: AtomicU64::new(0),
            changed,
        }
    }

    pub fn mark_up(&self) {
        self.last_heartbeat_ms.store(now_ms(), Ordering::Relaxed);
        self.up.store(true, Ordering::Release);
        self.changed.notify_waiters();
    }

    pub fn mark_down(&self) {
        self.up.store(false, Ordering::Release);
    }

    pub fn heartbeat(&self) {
        self.last_heartbeat_ms.store(now_ms(), Ordering::Relaxed);
    }

    pub fn record_restart(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }

    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// A pass of the component's work failed; returns how many in a row.
    pub fn pass_failed(&self) -> u64 {
        self.failing.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A pass succeeded; returns how many had failed in a row before it.
    pub fn pass_succeeded(&self) -> u64 {
        self.failing.swap(0, Ordering::Relaxed)
    }

    pub fn failing_passes(&self) -> u64 {
        self.failing.load(Ordering::Relaxed)
    }

    /// Up, its heartbeat is fresh, and its work is not failing pass after
    /// pass (a component whose every pass fails is not alive, even though
    /// its thread runs).
    pub fn is_alive(&self) -> bool {
        self.up.load(Ordering::Acquire)
            && now_ms() - self.last_heartbeat_ms.load(Ordering::Relaxed) <= STALE_AFTER.as_millis() as i64
            && self.failing_passes() < FAILING_AFTER
    }

    pub fn snapshot(&self) -> ComponentStatus {
        let heartbeat = self.last_heartbeat_ms.load(Ordering::Relaxed);
        ComponentStatus {
            name: self.name,
            alive: self.is_alive(),
            last_heartbeat: (heartbeat > 0)
                .then(|| chrono::DateTime::from_timestamp_millis(heartbeat))
                .flatten()
                .map(|t| t.to_rfc3339()),
            restarts: self.restarts(),
            failing_passes: self.failing_passes(),
        }
    }
}

/// What `/healthz` reports for one component.
#[derive(Debug, Serialize)]
pub struct ComponentStatus {
    pub name: &'static str,
    pub alive: bool,
    pub last_heartbeat: Option<String>,
    pub restarts: u64,
    /// Passes of its work that failed in a row.
    pub failing_passes: u64,
}

/// The health of every component of the process.
#[derive(Debug)]
pub struct Health {
    components: Vec<Arc<ComponentHealth>>,
    changed: Arc<Notify>,
}

impl Health {
    pub fn new(names: &[&'static str]) -> Arc<Self> {
        let changed = Arc::new(Notify::new());
        Arc::new(Self {
            components: names.iter().map(|n| Arc::new(ComponentHealth::new(n, changed.clone()))).collect(),
            changed,
        })
    }

    /// Completes once every component is alive.
    pub async fn wait_all_alive(&self) {
        loop {
            let changed = self.changed.notified();
            if self.all_alive() {
                return;
            }
            changed.await;
        }
    }

    /// The health record of `name`; a name not given to [`Health::new`] gets a
    /// detached record, so a caller never panics on a typo.
    pub fn component(&self, name: &'static str) -> Arc<ComponentHealth> {
        self.components
            .iter()
            .find(|c| c.name == name)
            .cloned()
            .unwrap_or_else(|| Arc::new(ComponentHealth::new(name, self.changed.clone())))
    }

    pub fn all_alive(&self) -> bool {
        self.components.iter().all(|c| c.is_alive())
    }

    pub fn snapshot(&self) -> Vec<ComponentStatus> {
        self.components.iter().map(|c| c.snapshot()).collect()
    }

    /// Prometheus text exposition of the component gauges and counters.
    pub fn render_prometheus(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = writeln!(out, "# HELP homehound_component_up 1 while the component is alive.");
        let _ = writeln!(out, "# TYPE homehound_component_up gauge");
        for c in &self.components {
            let _ = writeln!(out, "homehound_component_up{{component=\"{}\"}} {}", c.name, u8::from(c.is_alive()));
        }
        let _ = writeln!(out, "# HELP homehound_component_restarts_total Restarts after an error or a panic.");
        let _ = writeln!(out, "# TYPE homehound_component_restarts_total counter");
        for c in &self.components {
            let _ = writeln!(out, "homehound_component_restarts_total{{component=\"{}\"}} {}", c.name, c.restarts());
        }
        let _ = writeln!(out, "# HELP homehound_component_last_heartbeat_seconds Unix time of the last heartbeat.");
        let _ = writeln!(out, "# TYPE homehound_component_last_heartbeat_seconds gauge");
        for c in &self.components {
            let ms = c.last_heartbeat_ms.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "homehound_component_last_heartbeat_seconds{{component=\"{}\"}} {:.3}",
                c.name,
                ms as f64 / 1000.0
            );
        }
    }
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_is_alive_only_between_up_and_down() {
        let health = Health::new(&["bot", "scraper"]);
        assert!(!health.all_alive());
        health.component("bot").mark_up();
        assert!(!health.all_alive());
        health.component("scraper").mark_up();
        assert!(health.all_alive());
        health.component("scraper").mark_down();
        health.component("scraper").record_restart();
        assert!(!health.all_alive());
        let mut text = String::new();
        health.render_prometheus(&mut text);
        assert!(text.contains("homehound_component_up{component=\"bot\"} 1"), "{text}");
        assert!(text.contains("homehound_component_up{component=\"scraper\"} 0"), "{text}");
        assert!(text.contains("homehound_component_restarts_total{component=\"scraper\"} 1"), "{text}");
    }

    #[test]
    fn a_stale_heartbeat_is_down() {
        let health = Health::new(&["expiry"]);
        let c = health.component("expiry");
        c.mark_up();
        c.last_heartbeat_ms.store(now_ms() - STALE_AFTER.as_millis() as i64 - 1_000, Ordering::Relaxed);
        assert!(!c.is_alive());
        c.heartbeat();
        assert!(c.is_alive());
    }
}
