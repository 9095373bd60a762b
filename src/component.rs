//! Components and their supervision.
//!
//! A component is an async function run by its own OS thread, on its own
//! tokio runtime, with its own database pool. The thread's supervisor restarts
//! it after an error or a panic with capped exponential backoff, while the
//! other components go on; a [`ComponentError::Fatal`] error instead stops the
//! whole process (exit 1). Every loop inside a component races its waits
//! against [`Shutdown::wait`], so the thread ends promptly once shutdown is
//! triggered.

use std::{
    future::Future,
    panic::AssertUnwindSafe,
    pin::Pin,
    sync::Arc,
    thread::JoinHandle,
    time::{Duration, Instant},
};

use sea_orm::DatabaseConnection;
use tracing::{Instrument, error, info, info_span, warn};

use crate::{
    config::Config,
    db::{self, PoolRole},
    delivery::Shared,
    health::{ComponentHealth, HEARTBEAT_EVERY},
    shutdown::Shutdown,
};

/// Why a component stopped working.
#[derive(Debug, thiserror::Error)]
pub enum ComponentError {
    /// Restarting cannot help (e.g. Telegram rejects the token): stop the process.
    #[error("{0}")]
    Fatal(String),
    /// Restart the component after a backoff.
    #[error(transparent)]
    Transient(#[from] anyhow::Error),
}

pub type ComponentResult = Result<(), ComponentError>;
pub type ComponentFuture = Pin<Box<dyn Future<Output = ComponentResult> + Send>>;
/// What a component thread runs; called again on every restart.
pub type ComponentFn = Arc<dyn Fn(ComponentCtx) -> ComponentFuture + Send + Sync>;

/// Everything a component gets from its thread.
#[derive(Clone)]
pub struct ComponentCtx {
    pub name: &'static str,
    pub config: Arc<Config>,
    /// This thread's own pool.
    pub db: DatabaseConnection,
    pub shutdown: Shutdown,
    pub health: Arc<ComponentHealth>,
    /// The send budget and outbox wake-up shared by every thread.
    pub shared: Arc<Shared>,
}

impl ComponentCtx {
    /// Marks the component alive (for `/healthz`); call once it is really working.
    pub fn ready(&self) {
        self.health.mark_up();
        info!(component = self.name, "component is running");
    }
}

/// How a component thread ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentExit {
    /// Stopped on shutdown.
    Stopped,
    /// Stopped the process because of a fatal error.
    Failed(String),
}

/// Restart delays: 0.5 s doubling to at most 60 s; reset after a component
/// ran for [`HEALTHY_RUN`].
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(60);
const HEALTHY_RUN: Duration = Duration::from_secs(60);
/// How long a component may take to finish after shutdown before it is aborted.
const STOP_GRACE: Duration = Duration::from_secs(2);

fn backoff(failures: u32) -> Duration {
    BACKOFF_BASE.saturating_mul(1u32 << failures.min(16)).min(BACKOFF_CAP)
}

/// Starts a component on a named OS thread with its own runtime and pool.
pub fn spawn(parts: Parts) -> std::io::Result<JoinHandle<ComponentExit>> {
    std::thread::Builder::new().name(parts.name.to_owned()).spawn(move || supervise(parts))
}

/// What a component thread is given.
pub struct Parts {
    pub name: &'static str,
    /// Sizes the thread's pool.
    pub role: PoolRole,
    pub config: Arc<Config>,
    pub shutdown: Shutdown,
    pub health: Arc<ComponentHealth>,
    pub shared: Arc<Shared>,
    pub run: ComponentFn,
}

fn supervise(parts: Parts) -> ComponentExit {
    let Parts { name, shutdown, health, .. } = &parts;
    let (name, shutdown, health) = (*name, shutdown.clone(), health.clone());
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let reason = format!("{name}: cannot start a tokio runtime: {e}");
            shutdown.trigger_fatal(reason.clone());
            return ComponentExit::Failed(reason);
        }
    };
    let span = info_span!("component", name);
    let exit = runtime.block_on(supervise_loop(parts).instrument(span));
    health.mark_down();
    // A task that ignores shutdown must not keep the thread alive.
    runtime.shutdown_timeout(Duration::from_millis(500));
    info!(component = name, ?exit, "component thread ended");
    exit
}

async fn supervise_loop(parts: Parts) -> ComponentExit {
    let Parts { name, role, ref config, ref shutdown, ref health, ref shared, ref run } = parts;
    let mut failures = 0u32;
    let mut pool: Option<DatabaseConnection> = None;
    loop {
        if shutdown.is_triggered() {
            break;
        }
        let started = Instant::now();
        let outcome = match &pool {
            Some(db) => {
                let ctx = ComponentCtx {
                    name,
                    config: config.clone(),
                    db: db.clone(),
                    shutdown: shutdown.clone(),
                    health: health.clone(),
                    shared: shared.clone(),
                };
                run_once(ctx, run).await
            }
            None => match db::connect(&config.database_url, role).await {
                Ok(db) => {
                    pool = Some(db);
                    continue;
                }
                Err(e) => Outcome::Restart(e.to_string()),
            },
        };
        health.mark_down();
        match outcome {
            Outcome::Stopped => break,
            Outcome::Fatal(reason) => {
                error!(component = name, %reason, "fatal error; stopping homehound");
                shutdown.trigger_fatal(format!("{name}: {reason}"));
                close(pool).await;
                return ComponentExit::Failed(reason);
            }
            Outcome::Restart(reason) => {
                if shutdown.is_triggered() {
                    break;
                }
                if started.elapsed() >= HEALTHY_RUN {
                    failures = 0;
                }
                let delay = backoff(failures);
                failures = failures.saturating_add(1);
                health.record_restart();
                error!(component = name, %reason, restart_in = ?delay, restarts = health.restarts(), "component failed; restarting");
                if !shutdown.sleep(delay).await {
                    break;
                }
            }
        }
    }
    close(pool).await;
    ComponentExit::Stopped
}

enum Outcome {
    Stopped,
    Fatal(String),
    Restart(String),
}

async fn run_once(ctx: ComponentCtx, run: &ComponentFn) -> Outcome {
    let (name, shutdown, health) = (ctx.name, ctx.shutdown.clone(), ctx.health.clone());
    let (shutdown, health) = (&shutdown, &health);
    // Calling `run` itself may panic; keep that inside the restart loop too.
    let future = match std::panic::catch_unwind(AssertUnwindSafe(|| run(ctx))) {
        Ok(f) => f,
        Err(panic) => return Outcome::Restart(format!("panicked: {}", panic_message(panic.as_ref()))),
    };
    let mut task = tokio::spawn(future);
    let heartbeat = {
        let health = health.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            while shutdown.sleep(HEARTBEAT_EVERY).await {
                health.heartbeat();
            }
        })
    };
    let joined = tokio::select! {
        joined = &mut task => joined,
        _ = async { shutdown.wait().await; tokio::time::sleep(STOP_GRACE).await } => {
            warn!(component = name, grace = ?STOP_GRACE, "component did not stop in time; aborting it");
            task.abort();
            heartbeat.abort();
            return Outcome::Stopped;
        }
    };
    heartbeat.abort();
    match joined {
        Ok(Ok(())) if shutdown.is_triggered() => Outcome::Stopped,
        Ok(Ok(())) => Outcome::Restart("returned before shutdown".to_owned()),
        Ok(Err(ComponentError::Fatal(reason))) => Outcome::Fatal(reason),
        Ok(Err(ComponentError::Transient(e))) => Outcome::Restart(format!("{e:#}")),
        Err(e) if e.is_panic() => Outcome::Restart(format!("panicked: {}", panic_message(e.into_panic().as_ref()))),
        Err(_) => Outcome::Stopped,
    }
}

async fn close(pool: Option<DatabaseConnection>) {
    if let Some(db) = pool {
        let _ = db.close().await;
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic payload".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(7), Duration::from_secs(60));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(60));
    }
}
