//! The `homehound` binary: parses the command line, loads `.env`, and maps
//! every outcome to an exit code: 0 clean shutdown, 1 runtime failure,
//! 2 bad configuration.

use std::{process::ExitCode, sync::Arc, time::Instant};

use clap::Parser;
use homehound::{
    app::{self, AppExit, Components},
    cli::{Cli, Command},
    config::{self, Config},
    db::{self, PoolRole},
    http,
    shutdown::Shutdown,
    telemetry,
};
use tracing::{error, info, warn};

const EXIT_FAILURE: u8 = 1;
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let dotenv = dotenvy::dotenv();
    let cli = Cli::parse();
    telemetry::init();
    if let Err(e) = dotenv
        && !e.not_found()
    {
        eprintln!("homehound: configuration error: .env: {e}");
        return ExitCode::from(EXIT_CONFIG);
    }
    match cli.subcommand() {
        Command::Run => run(),
        Command::Migrate { status } => migrate(*status),
    }
}

fn current_thread_runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| {
        error!(error = %e, "cannot start the tokio runtime");
        ExitCode::from(EXIT_FAILURE)
    })
}

fn migrate(status: bool) -> ExitCode {
    let url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| config::DEFAULT_DATABASE_URL.to_owned());
    if config::backend_of(&url).is_none() {
        eprintln!(
            "homehound: configuration error: DATABASE_URL: must start with sqlite:// or postgres:// \
             (example: DATABASE_URL={})",
            config::DEFAULT_DATABASE_URL
        );
        return ExitCode::from(EXIT_CONFIG);
    }
    let rt = match current_thread_runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result = rt.block_on(async {
        let db = db::connect(&url, PoolRole::Admin).await?;
        let result = if status {
            db::migration_status(&db).await.map(|list| {
                for (name, applied) in list {
                    println!("{} {name}", if applied { "applied" } else { "pending" });
                }
            })
        } else {
            db::migrate(&db).await.map(|()| info!("database is up to date"))
        };
        let _ = db.close().await;
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!(error = %e, "migrate failed");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn run() -> ExitCode {
    let started = Instant::now();
    let config = match Config::from_env() {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("homehound: configuration error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };

    let shutdown = Shutdown::new();
    let on_signal = shutdown.clone();
    if let Err(e) = ctrlc::set_handler(move || {
        if on_signal.is_triggered() {
            eprintln!("homehound: second signal, exiting at once");
            std::process::exit(130);
        }
        info!("signal received; shutting down (send it again to exit at once)");
        on_signal.trigger();
    }) {
        error!(error = %e, "cannot install the SIGINT/SIGTERM handler");
        return ExitCode::from(EXIT_FAILURE);
    }

    let rt = match current_thread_runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };

    // Migrations run once, here, before any component opens its pool.
    let prepared = rt.block_on(async {
        let db = db::connect(&config.database_url, PoolRole::Admin).await?;
        let result = db::migrate(&db).await;
        let _ = db.close().await;
        result
    });
    if let Err(e) = prepared {
        error!(error = %e, "cannot prepare the database");
        return ExitCode::from(EXIT_FAILURE);
    }

    let listener = match config.health_addr {
        None => None,
        Some(addr) => match rt.block_on(tokio::net::TcpListener::bind(addr)) {
            Ok(l) => Some(l),
            Err(e) => {
                error!(error = %e, %addr, "HEALTH_ADDR: cannot listen");
                return ExitCode::from(EXIT_FAILURE);
            }
        },
    };

    let running = match app::start(config.clone(), shutdown.clone(), Components::default()) {
        Ok(r) => r,
        Err(e) => {
            error!(error = %e, "cannot start the component threads");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let health = running.health.clone();

    rt.block_on(async {
        let announce = {
            let health = health.clone();
            let shutdown = shutdown.clone();
            async move {
                // Polls only until the first moment everything is up.
                while !health.all_alive() {
                    if !shutdown.sleep(std::time::Duration::from_millis(20)).await {
                        return;
                    }
                }
                info!(startup_ms = started.elapsed().as_millis() as u64, "homehound is running");
                shutdown.wait().await;
            }
        };
        match listener {
            Some(listener) => {
                let serve = http::serve(listener, health.clone(), shutdown.clone());
                let (served, ()) = tokio::join!(serve, announce);
                if let Err(e) = served {
                    warn!(error = %e, "health server stopped");
                }
            }
            None => announce.await,
        }
    });

    let stopping = Instant::now();
    let exit = running.join();
    info!(stop_ms = stopping.elapsed().as_millis() as u64, "all components stopped");
    match exit {
        AppExit::Clean => ExitCode::SUCCESS,
        AppExit::Failed(reason) => {
            eprintln!("homehound: stopped: {}", config.telegram_token.scrub(&reason));
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
