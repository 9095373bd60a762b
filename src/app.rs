//! Wiring: the three component threads of one homehound process.

use std::{sync::Arc, thread::JoinHandle};

use tracing::{error, info};

use crate::{
    bot,
    component::{self, ComponentExit, ComponentFn},
    config::Config,
    db::PoolRole,
    delivery::Shared,
    expiry,
    health::Health,
    scraper,
    shutdown::Shutdown,
};

pub const BOT: &str = "bot";
pub const SCRAPER: &str = "scraper";
pub const EXPIRY: &str = "expiry";
pub const COMPONENTS: [&str; 3] = [BOT, SCRAPER, EXPIRY];

/// What each thread runs. [`Components::default`] is the real service; tests
/// may swap one for a faulty one to exercise supervision.
#[derive(Clone)]
pub struct Components {
    pub bot: ComponentFn,
    pub scraper: ComponentFn,
    pub expiry: ComponentFn,
}

impl Default for Components {
    fn default() -> Self {
        Self {
            bot: Arc::new(|ctx| Box::pin(bot::run(ctx))),
            scraper: Arc::new(|ctx| Box::pin(scraper::run(ctx))),
            expiry: Arc::new(|ctx| Box::pin(expiry::run(ctx))),
        }
    }
}

/// A running process: three threads sharing one shutdown flag and one health record.
pub struct Running {
    pub shutdown: Shutdown,
    pub health: Arc<Health>,
    threads: Vec<(&'static str, JoinHandle<ComponentExit>)>,
}

/// How the process ended, for the exit code.
#[derive(Debug, PartialEq, Eq)]
pub enum AppExit {
    Clean,
    Failed(String),
}

/// Spawns the `bot`, `scraper` and `expiry` threads. Migrations must already
/// be applied (`main` does it once, before this).
pub fn start(config: Arc<Config>, shutdown: Shutdown, components: Components) -> std::io::Result<Running> {
    let health = Health::new(&COMPONENTS);
    let shared = Shared::new(config.telegram_rate_limit, config.paid_broadcast);
    crate::delivery::process_started();
    let mut threads = Vec::with_capacity(3);
    for (name, role, run) in [
        (BOT, PoolRole::Bot, components.bot),
        (SCRAPER, PoolRole::Scraper, components.scraper),
        (EXPIRY, PoolRole::Expiry, components.expiry),
    ] {
        let parts = component::Parts {
            name,
            role,
            config: config.clone(),
            shutdown: shutdown.clone(),
            health: health.component(name),
            shared: shared.clone(),
            run,
        };
        match component::spawn(parts) {
            Ok(handle) => threads.push((name, handle)),
            Err(e) => {
                // Stop the threads already started before reporting.
                shutdown.trigger_fatal(format!("cannot spawn the {name} thread: {e}"));
                for (_, handle) in threads {
                    let _ = handle.join();
                }
                return Err(e);
            }
        }
    }
    Ok(Running { shutdown, health, threads })
}

impl Running {
    /// Waits for every thread and reports how each ended.
    pub fn join(self) -> AppExit {
        for (name, handle) in self.threads {
            match handle.join() {
                Ok(ComponentExit::Stopped) => info!(component = name, "stopped cleanly"),
                Ok(ComponentExit::Failed(reason)) => error!(component = name, %reason, "stopped on a fatal error"),
                Err(_) => error!(component = name, "thread panicked outside its supervisor"),
            }
        }
        match self.shutdown.fatal_reason() {
            Some(reason) => AppExit::Failed(reason),
            None => AppExit::Clean,
        }
    }
}
