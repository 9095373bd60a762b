//! Logging setup: `tracing` with an `EnvFilter` from `RUST_LOG` (default `info`).

use tracing_subscriber::{EnvFilter, fmt};

/// Crates whose debug/trace output can contain request URLs (and so the bot
/// token) are capped at `info` whatever `RUST_LOG` says; the HTML parser's
/// complaints about real-world markup are noise.
const CAPPED: [&str; 7] =
    ["reqwest=info", "hyper=info", "hyper_util=info", "h2=info", "sqlx=warn", "html5ever=error", "selectors=warn"];

/// How log lines are written (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable; colours only when stderr is a terminal.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl LogFormat {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// Installs the global subscriber, writing to stderr in `LOG_FORMAT`
/// (an invalid value is reported by the configuration check, exit 2; logs
/// start as text meanwhile). Safe to call twice.
pub fn init() {
    use std::io::IsTerminal;
    let base = std::env::var("RUST_LOG").ok().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "info".to_owned());
    let format = std::env::var("LOG_FORMAT").ok().and_then(|f| LogFormat::parse(&f)).unwrap_or(LogFormat::Text);
    let builder = fmt().with_env_filter(filter(&base)).with_writer(std::io::stderr).with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
    };
}

/// The filter for `base` (a `RUST_LOG` value), with the HTTP crates capped.
pub fn filter(base: &str) -> EnvFilter {
    let mut filter = EnvFilter::try_new(base).unwrap_or_else(|e| {
        eprintln!("RUST_LOG: {e}; using \"info\"");
        EnvFilter::new("info")
    });
    for directive in CAPPED {
        if let Ok(d) = directive.parse() {
            filter = filter.add_directive(d);
        }
    }
    filter
}
