//! The `homehound` binary: parses the command line, loads `.env`, and maps
//! every outcome to an exit code: 0 clean shutdown, 1 runtime failure,
//! 2 bad configuration.

use std::{process::ExitCode, sync::Arc, time::Instant};

use clap::Parser;
use homehound::{
    app::{self, AppExit, Components},
    check,
    cli::{Cli, Command},
    config::{self, Config},
    db::{self, PoolRole},
    http,
    scraper::{
        fetch::{FetchError, FetchOptions, Fetched, Fetcher, Validators},
        request::EnvMode,
        sources,
    },
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
        Command::CheckSource { name, kind, file, url } => {
            check_source(name.as_deref(), kind.as_deref(), file.as_deref(), url.as_deref())
        }
        Command::Backup { file } => backup(file),
    }
}

fn check_source(name: Option<&str>, kind: Option<&str>, file: Option<&std::path::Path>, url: Option<&str>) -> ExitCode {
    let result = match (name, kind, file) {
        (_, Some(kind), Some(file)) => check::check_file(kind, file, url),
        (Some(name), _, file) => check_source_by_name(name, file, url),
        _ => Err(check::CheckError::Usage("give a source NAME, or --kind KIND --file PAGE.html".to_owned())),
    };
    match result {
        Ok(checked) => {
            let stdout = std::io::stdout();
            let stderr = std::io::stderr();
            if let Err(e) = check::report(&checked.listings, &mut stdout.lock(), &mut stderr.lock()) {
                eprintln!("homehound: cannot write the report: {e}");
                return ExitCode::from(EXIT_FAILURE);
            }
            if !checked.empty_fields.is_empty() {
                eprintln!(
                    "homehound: check-source: configured but empty on every listing: {} (check its selector or path)",
                    checked.empty_fields.join(", ")
                );
                return ExitCode::from(EXIT_FAILURE);
            }
            ExitCode::SUCCESS
        }
        Err(check::CheckError::Usage(msg)) => {
            eprintln!("homehound: {msg}");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(e) => {
            eprintln!("homehound: check-source: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn check_source_by_name(
    name: &str,
    file: Option<&std::path::Path>,
    base: Option<&str>,
) -> Result<check::Checked, check::CheckError> {
    let path = std::env::var("SOURCES_FILE")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "sources.toml".to_owned());
    // A saved page needs no secrets; fetching does.
    let env = if file.is_some() { EnvMode::Placeholder } else { EnvMode::Resolve };
    let sources = sources::load_with(std::path::Path::new(&path), true, env)
        .map_err(|e| check::CheckError::Usage(e.to_string()))?;
    let source = sources
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| check::CheckError::Usage(format!("no source named {name:?} in {path}")))?;
    if let Some(file) = file {
        return check::check_source_file(&source, file, base);
    }
    if base.is_some() {
        return Err(check::CheckError::Usage("--url goes with --file".to_owned()));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| check::CheckError::Fetch(format!("cannot start the tokio runtime: {e}")))?;
    rt.block_on(async {
        let fetcher = Fetcher::new(FetchOptions::default(), Shutdown::new())
            .map_err(|e| check::CheckError::Fetch(e.to_string()))?;
        let now = chrono::Utc::now();
        let request = source
            .request
            .build(source.request.first_page, None, now)
            .map_err(|e| check::CheckError::Fetch(format!("building the request: {e}")))?;
        let since = source.request.since(None, now);
        let request = match homehound::scraper::listings_request(&fetcher, &source, request, since, now).await {
            Ok(Some(request)) => request,
            Ok(None) => return Err(check::CheckError::Empty("the keys request answered no keys".to_owned())),
            Err(homehound::scraper::KeysError::Fetch(FetchError::Blocked(code))) => {
                return Err(check::CheckError::Blocked(format!("HTTP {code}")));
            }
            Err(e) => return Err(check::CheckError::Fetch(format!("fetching {}: {e}", source.shown_url()))),
        };
        match fetcher.send(&request, &Validators::default()).await {
            Ok(Fetched::Page { body, url, .. }) => check::check_page(&source, &body, &url),
            Ok(Fetched::NotModified) => Err(check::CheckError::Fetch("the site answered 304 Not Modified".to_owned())),
            Err(FetchError::Blocked(code)) => Err(check::CheckError::Blocked(format!("HTTP {code}"))),
            Err(e) => Err(check::CheckError::Fetch(format!("fetching {}: {e}", source.shown_url()))),
        }
    })
}

fn current_thread_runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| {
        error!(error = %e, "cannot start the tokio runtime");
        ExitCode::from(EXIT_FAILURE)
    })
}

/// `homehound backup FILE`: `VACUUM INTO` a new file beside FILE, checked,
/// then renamed into place (a partial copy never carries the name).
fn backup(target: &std::path::Path) -> ExitCode {
    let url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| config::DEFAULT_DATABASE_URL.to_owned());
    let usage = |msg: String| {
        eprintln!("homehound: backup: {msg}");
        ExitCode::from(EXIT_CONFIG)
    };
    match config::backend_of(&url) {
        Some(config::Backend::Sqlite) => (),
        Some(config::Backend::Postgres) => {
            return usage(
                "DATABASE_URL is PostgreSQL; back it up with pg_dump (backup copies a SQLite database)".into(),
            );
        }
        None => return usage("DATABASE_URL must start with sqlite:// or postgres://".into()),
    }
    let Some(source) = db::sqlite_file(&url) else { return usage("DATABASE_URL names no SQLite file".into()) };
    if !source.is_file() {
        eprintln!("homehound: backup: {} does not exist", source.display());
        return ExitCode::from(EXIT_FAILURE);
    }
    if target.exists() {
        return usage(format!("{} exists; give a new file name", target.display()));
    }
    let rt = match current_thread_runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let started = Instant::now();
    match rt.block_on(db::backup_sqlite(&url, target)) {
        Ok(bytes) => {
            println!(
                "backup of {} written to {} ({bytes} bytes, {} ms); restore: stop homehound, then copy it over {} \
                 and delete {}-wal and {}-shm",
                source.display(),
                target.display(),
                started.elapsed().as_millis(),
                source.display(),
                source.display(),
                source.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("homehound: backup failed: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
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
    let mut config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("homehound: configuration error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let Err(e) = config.load_sources() {
        eprintln!("homehound: configuration error: {e}");
        return ExitCode::from(EXIT_CONFIG);
    }
    if config.sources.is_empty() {
        warn!(file = %config.sources_file.display(), "no listing sources configured; the scraper will idle");
    }
    // In the contract, not yet read: said, so nobody waits for them to work.
    for name in ["GEOCODER_URL", "ROUTER_URL", "DUPLICATE_WINDOW"] {
        if std::env::var_os(name).is_some_and(|v| !v.is_empty()) {
            warn!(variable = name, "set, but this version does not use it yet (docs/configuration.md)");
        }
    }
    let config = Arc::new(config);

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

    // SQLite serves one process: a second one on the same file is refused.
    let _sqlite_lock = match db::lock_sqlite(&config.database_url) {
        Ok(lock) => lock,
        Err(e) => {
            error!("{e}");
            eprintln!("homehound: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };

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
                tokio::select! {
                    _ = health.wait_all_alive() => {
                        info!(startup_ms = started.elapsed().as_millis() as u64, "homehound is running");
                    }
                    _ = shutdown.wait() => return,
                }
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
