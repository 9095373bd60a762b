//! Typed configuration from the environment (and `.env`, loaded in `main`).
//!
//! Every variable of INTERFACE.md §2 with its default. A bad or missing value
//! is a [`ConfigError`] naming the variable, saying what is wrong and showing
//! a valid value; `main` turns it into exit code 2.

use std::{collections::HashSet, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use reqwest::Url;

use crate::{
    scraper::{fetch::FetchOptions, sources::SourceConfig},
    secret::BotToken,
};

/// A configuration variable that is missing or malformed.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem} (example: {variable}={example})")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
    pub example: &'static str,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>, example: &'static str) -> Self {
        Self { variable, problem: problem.into(), example }
    }
}

/// A plan paid with Telegram Stars: `name:duration:stars`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub name: String,
    pub duration: Duration,
    pub stars: u32,
}

/// The database homehound runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Webhook mode (`TELEGRAM_WEBHOOK_URL` + `WEBHOOK_ADDR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: Url,
    pub addr: SocketAddr,
}

/// The whole configuration of one homehound process. Its `Debug` shows no
/// secret: the token is redacted, the database URL's password too, and the
/// sources show their urls as written (before `${ENV}` is resolved).
#[derive(Clone)]
pub struct Config {
    pub telegram_token: BotToken,
    pub telegram_api_url: Url,
    pub database_url: String,
    pub sources_file: PathBuf,
    pub admin_chat_ids: Vec<i64>,
    pub trial_duration: Duration,
    /// Longest first, no duplicates.
    pub reminder_offsets: Vec<Duration>,
    pub expiry_check_interval: Duration,
    /// How long sent, failed and dropped messages are kept.
    pub outbox_retention: Duration,
    /// A message Telegram cannot take is retried until it is this old.
    pub send_give_up: Duration,
    /// How long a listing not seen since is kept (with its prices).
    pub listing_retention: Duration,
    /// How long source run records are kept.
    pub run_retention: Duration,
    pub plans: Vec<Plan>,
    pub telegram_rate_limit: u32,
    /// Sends above the free budget carry `allow_paid_broadcast` (0.1 Star each).
    pub paid_broadcast: bool,
    /// Below this Star balance paid sending pauses.
    pub paid_broadcast_min_stars: u32,
    pub health_addr: Option<SocketAddr>,
    /// Webhook mode: the public https URL Telegram posts updates to, and
    /// the address this process listens on (both or neither).
    pub webhook: Option<Webhook>,
    /// Whether `SOURCES_FILE` was set (then a missing file is an error).
    pub sources_file_explicit: bool,
    /// The validated sources file; loaded by [`Config::load_sources`].
    pub sources: Arc<Vec<SourceConfig>>,
    /// The `[[channels]]` of the sources file; loaded with the sources.
    pub channels: Arc<Vec<crate::scraper::channels::ChannelConfig>>,
    /// How the scraper fetches pages (not an environment variable: tests
    /// shorten the politeness delays).
    pub fetch: FetchOptions,
    /// Bad runs of a source in a row before the admins are told.
    pub unhealthy_after: u32,
}

/// Telegram's free limit, messages per second for one bot.
pub const FREE_RATE_LIMIT: u32 = 30;

pub const DEFAULT_API_URL: &str = "https://api.telegram.org";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://homehound.db?mode=rwc";

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |key: &str| lookup(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let telegram_token = match get("TELEGRAM_BOT_TOKEN") {
            None => {
                return Err(ConfigError::new(
                    "TELEGRAM_BOT_TOKEN",
                    "is not set; create a bot with @BotFather in Telegram (https://t.me/BotFather), \
                     then put the token it gives you in .env",
                    "123456789:AAE…",
                ));
            }
            Some(raw) => BotToken::parse(&raw).map_err(|why| {
                ConfigError::new("TELEGRAM_BOT_TOKEN", format!("is malformed: {why}"), "123456789:AAE…")
            })?,
        };

        let api_url_raw = get("TELEGRAM_API_URL").unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        let telegram_api_url = Url::parse(api_url_raw.trim_end_matches('/'))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| {
                ConfigError::new("TELEGRAM_API_URL", format!("{api_url_raw:?} is not an http(s) URL"), DEFAULT_API_URL)
            })?;

        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        backend_of(&database_url).ok_or_else(|| {
            ConfigError::new(
                "DATABASE_URL",
                "must start with sqlite:// or postgres://",
                "sqlite://homehound.db?mode=rwc",
            )
        })?;

        let sources_file_explicit = get("SOURCES_FILE").is_some();
        let sources_file = PathBuf::from(get("SOURCES_FILE").unwrap_or_else(|| "sources.toml".to_owned()));

        let admin_chat_ids = match get("ADMIN_CHAT_IDS") {
            None => Vec::new(),
            Some(raw) => raw
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<i64>().map_err(|_| {
                        ConfigError::new("ADMIN_CHAT_IDS", format!("{s:?} is not a chat id"), "123456789,987654321")
                    })
                })
                .collect::<Result<_, _>>()?,
        };

        let trial_duration = duration(&get, "TRIAL_DURATION", "3d", "3d", true)?;
        let expiry_check_interval = duration(&get, "EXPIRY_CHECK_INTERVAL", "1m", "1m", false)?;
        let outbox_retention = duration(&get, "OUTBOX_RETENTION", "30d", "30d", false)?;
        let send_give_up = duration(&get, "SEND_GIVE_UP", "24h", "24h", false)?;
        let listing_retention = duration(&get, "LISTING_RETENTION", "90d", "90d", false)?;
        let run_retention = duration(&get, "RUN_RETENTION", "30d", "30d", false)?;

        let reminder_offsets = {
            let raw = get("REMINDER_OFFSETS").unwrap_or_else(|| "3d,1d,1h".to_owned());
            let mut offsets = Vec::new();
            for part in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let d = humantime::parse_duration(part).map_err(|e| {
                    ConfigError::new("REMINDER_OFFSETS", format!("{part:?} is not a duration ({e})"), "3d,1d,1h")
                })?;
                if d.is_zero() {
                    return Err(ConfigError::new("REMINDER_OFFSETS", "an offset of 0 is not a reminder", "3d,1d,1h"));
                }
                offsets.push(d);
            }
            offsets.sort_unstable_by(|a, b| b.cmp(a));
            offsets.dedup();
            offsets
        };

        let plans = parse_plans(&get("PLANS").unwrap_or_else(|| "week:7d:50,month:30d:200".to_owned()))?;

        let paid_broadcast = match get("TELEGRAM_PAID_BROADCAST").map(|v| v.to_lowercase()) {
            None => false,
            Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => true,
            Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => false,
            Some(v) => {
                return Err(ConfigError::new("TELEGRAM_PAID_BROADCAST", format!("{v:?} is not true or false"), "true"));
            }
        };
        let telegram_rate_limit = match get("TELEGRAM_RATE_LIMIT") {
            None => 25,
            Some(raw) => raw.parse::<u32>().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
                ConfigError::new("TELEGRAM_RATE_LIMIT", format!("{raw:?} is not a whole number from 1 to 1000"), "25")
            })?,
        };
        if telegram_rate_limit > FREE_RATE_LIMIT && !paid_broadcast {
            return Err(ConfigError::new(
                "TELEGRAM_RATE_LIMIT",
                format!(
                    "{telegram_rate_limit} is above Telegram's free limit of {FREE_RATE_LIMIT} messages per second; \
                     a higher rate needs TELEGRAM_PAID_BROADCAST=true (0.1 Star per message above the free budget)"
                ),
                "25",
            ));
        }
        let paid_broadcast_min_stars = match get("PAID_BROADCAST_MIN_STARS") {
            None => 100,
            Some(raw) => raw.parse::<u32>().map_err(|_| {
                ConfigError::new("PAID_BROADCAST_MIN_STARS", format!("{raw:?} is not a whole number of Stars"), "100")
            })?,
        };

        if let Some(raw) = get("LOG_FORMAT")
            && crate::telemetry::LogFormat::parse(&raw).is_none()
        {
            return Err(ConfigError::new("LOG_FORMAT", format!("{raw:?} is not text or json"), "json"));
        }

        let health_addr = match get("HEALTH_ADDR") {
            None => None,
            Some(raw) => Some(raw.parse::<SocketAddr>().map_err(|_| {
                ConfigError::new("HEALTH_ADDR", format!("{raw:?} is not an ip:port address"), "127.0.0.1:9090")
            })?),
        };

        let webhook = match (get("TELEGRAM_WEBHOOK_URL"), get("WEBHOOK_ADDR")) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::new("WEBHOOK_ADDR", "is required with TELEGRAM_WEBHOOK_URL", "0.0.0.0:8443"));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "TELEGRAM_WEBHOOK_URL",
                    "is required with WEBHOOK_ADDR",
                    "https://bot.example.com/telegram",
                ));
            }
            (Some(url), Some(addr)) => {
                let url = Url::parse(&url).ok().filter(|u| u.scheme() == "https").ok_or_else(|| {
                    ConfigError::new(
                        "TELEGRAM_WEBHOOK_URL",
                        format!("{url:?} is not an https URL (Telegram only posts to https)"),
                        "https://bot.example.com/telegram",
                    )
                })?;
                let addr = addr.parse::<SocketAddr>().map_err(|_| {
                    ConfigError::new("WEBHOOK_ADDR", format!("{addr:?} is not an ip:port address"), "0.0.0.0:8443")
                })?;
                Some(Webhook { url, addr })
            }
        };

        Ok(Self {
            webhook,
            telegram_token,
            telegram_api_url,
            database_url,
            sources_file,
            admin_chat_ids,
            trial_duration,
            reminder_offsets,
            expiry_check_interval,
            outbox_retention,
            send_give_up,
            listing_retention,
            run_retention,
            plans,
            telegram_rate_limit,
            paid_broadcast,
            paid_broadcast_min_stars,
            health_addr,
            sources_file_explicit,
            sources: Arc::new(Vec::new()),
            channels: Arc::new(Vec::new()),
            fetch: FetchOptions::default(),
            unhealthy_after: 3,
        })
    }

    /// Reads `SOURCES_FILE` once and validates its sources into
    /// [`Config::sources`] and its `[[channels]]` into [`Config::channels`].
    pub fn load_sources(&mut self) -> Result<(), crate::scraper::sources::SourcesError> {
        use crate::scraper::sources;
        // One read of the file for both its sections.
        let path = &self.sources_file;
        let Some(text) = sources::read(path, self.sources_file_explicit)? else {
            self.sources = Arc::new(Vec::new());
            self.channels = Arc::new(Vec::new());
            return Ok(());
        };
        self.sources = Arc::new(sources::parse(&text).map_err(|e| sources::at_path(e, path))?);
        let names: Vec<String> = self.sources.iter().map(|s| s.name.clone()).collect();
        self.channels =
            Arc::new(crate::scraper::channels::parse(&text, &names).map_err(|e| sources::at_path(e, path))?);
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        // Validated in `from_lookup`.
        backend_of(&self.database_url).unwrap_or(Backend::Sqlite)
    }

    pub fn is_admin(&self, chat_id: i64) -> bool {
        self.admin_chat_ids.contains(&chat_id)
    }
}

/// Which backend a database URL names, if any.
pub fn backend_of(url: &str) -> Option<Backend> {
    if url.starts_with("sqlite:") {
        Some(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(Backend::Postgres)
    } else {
        None
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("telegram_token", &self.telegram_token)
            .field("telegram_api_url", &self.telegram_api_url.as_str())
            .field("database_url", &redacted_url(&self.database_url))
            .field("sources_file", &self.sources_file)
            .field("admin_chat_ids", &self.admin_chat_ids)
            .field("trial_duration", &self.trial_duration)
            .field("reminder_offsets", &self.reminder_offsets)
            .field("expiry_check_interval", &self.expiry_check_interval)
            .field("outbox_retention", &self.outbox_retention)
            .field("send_give_up", &self.send_give_up)
            .field("listing_retention", &self.listing_retention)
            .field("run_retention", &self.run_retention)
            .field("plans", &self.plans)
            .field("telegram_rate_limit", &self.telegram_rate_limit)
            .field("paid_broadcast", &self.paid_broadcast)
            .field("paid_broadcast_min_stars", &self.paid_broadcast_min_stars)
            .field("health_addr", &self.health_addr)
            .field("webhook", &self.webhook)
            .field("sources", &self.sources)
            .field("channels", &self.channels.len())
            .field("unhealthy_after", &self.unhealthy_after)
            .finish_non_exhaustive()
    }
}

/// `url` with its password (and any query, which may carry one) replaced.
pub fn redacted_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("[redacted]"));
            }
            if u.query().is_some_and(|q| q.to_ascii_lowercase().contains("pass")) {
                u.set_query(Some("[redacted]"));
            }
            u.to_string()
        }
        Err(_) => "[unparsable url]".to_owned(),
    }
}

fn duration(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: &str,
    example: &'static str,
    allow_zero: bool,
) -> Result<Duration, ConfigError> {
    let raw = get(variable).unwrap_or_else(|| default.to_owned());
    let d = humantime::parse_duration(&raw)
        .map_err(|e| ConfigError::new(variable, format!("{raw:?} is not a duration ({e})"), example))?;
    if d.is_zero() && !allow_zero {
        return Err(ConfigError::new(variable, "must be longer than 0", example));
    }
    Ok(d)
}

/// The longest plan name: "homehound: " and the name fit Telegram's 32-character invoice title.
pub const MAX_PLAN_NAME: usize = 21;

fn parse_plans(raw: &str) -> Result<Vec<Plan>, ConfigError> {
    const EXAMPLE: &str = "week:7d:50,month:30d:200";
    let mut plans = Vec::new();
    let mut names = HashSet::new();
    for part in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let bad = |why: String| ConfigError::new("PLANS", format!("{part:?}: {why}"), EXAMPLE);
        let fields: Vec<&str> = part.split(':').collect();
        let [name, duration, stars] = fields[..] else {
            return Err(bad("a plan is name:duration:stars".to_owned()));
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(bad("the name must be letters, digits, '-' or '_'".to_owned()));
        }
        // The invoice title ("homehound: NAME") may be 32 characters at most.
        if name.len() > MAX_PLAN_NAME {
            return Err(bad(format!(
                "the name is longer than {MAX_PLAN_NAME} characters (Telegram's invoice title limit)"
            )));
        }
        let duration = humantime::parse_duration(duration)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| bad(format!("{duration:?} is not a duration")))?;
        let stars = stars
            .parse::<u32>()
            .ok()
            .filter(|s| (1..=100_000).contains(s))
            .ok_or_else(|| bad(format!("{stars:?} is not a number of stars from 1 to 100000")))?;
        if !names.insert(name.to_owned()) {
            return Err(bad("the plan name is used twice".to_owned()));
        }
        plans.push(Plan { name: name.to_owned(), duration, stars });
    }
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const TOKEN: &str = "123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-6s";

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn debug_shows_no_secret() {
        let mut c = config(&[
            ("TELEGRAM_BOT_TOKEN", TOKEN),
            ("DATABASE_URL", "postgres://hh:pg-s3cret-pw@db.internal:5432/homehound"),
            ("SEND_GIVE_UP", "2h"),
        ])
        .unwrap();
        assert_eq!(c.send_give_up, Duration::from_secs(7200));
        // SAFETY: a unique variable name, read only by this test.
        unsafe { std::env::set_var("HOMEHOUND_TEST_DEBUG_KEY", "k3y-from-env") };
        let toml = "[[sources]]\nname = \"api\"\nkind = \"json\"\n\
                    url = \"https://api.example/q?key=${HOMEHOUND_TEST_DEBUG_KEY}\"\n\
                    [sources.json]\nitems = \"$.hits[*]\"\nurl = \"$.url\"\n";
        c.sources = Arc::new(crate::scraper::sources::parse(toml).unwrap());
        let shown = format!("{c:?}");
        for secret in ["pg-s3cret-pw", "k3y-from-env", "AAEhBOweik6ad9r"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("db.internal") && shown.contains("${HOMEHOUND_TEST_DEBUG_KEY}"), "{shown}");
    }

    #[test]
    fn defaults_match_the_interface() {
        let c = config(&[("TELEGRAM_BOT_TOKEN", TOKEN)]).unwrap();
        assert_eq!(c.telegram_api_url.as_str(), "https://api.telegram.org/");
        assert_eq!(c.database_url, "sqlite://homehound.db?mode=rwc");
        assert_eq!(c.backend(), Backend::Sqlite);
        assert_eq!(c.sources_file, PathBuf::from("sources.toml"));
        assert!(c.admin_chat_ids.is_empty());
        assert_eq!(c.trial_duration, Duration::from_secs(3 * 86_400));
        assert_eq!(
            c.reminder_offsets,
            vec![Duration::from_secs(3 * 86_400), Duration::from_secs(86_400), Duration::from_secs(3_600)]
        );
        assert_eq!(c.expiry_check_interval, Duration::from_secs(60));
        assert_eq!(
            c.plans,
            vec![
                Plan { name: "week".into(), duration: Duration::from_secs(7 * 86_400), stars: 50 },
                Plan { name: "month".into(), duration: Duration::from_secs(30 * 86_400), stars: 200 },
            ]
        );
        assert_eq!(c.telegram_rate_limit, 25);
        assert_eq!(c.health_addr, None);
    }

    #[test]
    fn missing_token_says_where_to_get_one() {
        let err = config(&[]).unwrap_err();
        assert_eq!(err.variable, "TELEGRAM_BOT_TOKEN");
        assert!(err.to_string().contains("@BotFather"), "{err}");
    }

    #[test]
    fn malformed_token_is_not_echoed() {
        let err = config(&[("TELEGRAM_BOT_TOKEN", "secretvalue-without-colon")]).unwrap_err();
        assert_eq!(err.variable, "TELEGRAM_BOT_TOKEN");
        assert!(!err.to_string().contains("secretvalue"), "{err}");
    }

    #[test]
    fn every_bad_value_names_its_variable() {
        let cases = [
            ("TELEGRAM_API_URL", "not a url"),
            ("DATABASE_URL", "mysql://x"),
            ("ADMIN_CHAT_IDS", "12,abc"),
            ("TRIAL_DURATION", "three days"),
            ("REMINDER_OFFSETS", "1d,soon"),
            ("EXPIRY_CHECK_INTERVAL", "0s"),
            ("PLANS", "week:7d"),
            ("PLANS", "week:7d:0"),
            ("PLANS", "a:1d:5,a:2d:9"),
            ("TELEGRAM_RATE_LIMIT", "0"),
            ("TELEGRAM_RATE_LIMIT", "fast"),
            ("HEALTH_ADDR", "localhost"),
            ("LOG_FORMAT", "xml"),
            ("OUTBOX_RETENTION", "forever"),
            ("RUN_RETENTION", "0s"),
            ("TELEGRAM_PAID_BROADCAST", "maybe"),
            ("PAID_BROADCAST_MIN_STARS", "-5"),
            ("PLANS", "premium_quarterly_bundle_x:90d:500"),
        ];
        for (var, value) in cases {
            let err = config(&[("TELEGRAM_BOT_TOKEN", TOKEN), (var, value)]).unwrap_err();
            assert_eq!(err.variable, var, "{var}={value}: {err}");
            assert!(err.to_string().starts_with(var), "{err}");
            assert!(err.to_string().contains("example:"), "{err}");
        }
    }

    #[test]
    fn a_rate_above_the_free_limit_needs_paid_broadcasts() {
        let err = config(&[("TELEGRAM_BOT_TOKEN", TOKEN), ("TELEGRAM_RATE_LIMIT", "500")]).unwrap_err();
        assert_eq!(err.variable, "TELEGRAM_RATE_LIMIT");
        assert!(err.to_string().contains("TELEGRAM_PAID_BROADCAST=true"), "{err}");
        let ok = config(&[
            ("TELEGRAM_BOT_TOKEN", TOKEN),
            ("TELEGRAM_RATE_LIMIT", "500"),
            ("TELEGRAM_PAID_BROADCAST", "true"),
        ])
        .unwrap();
        assert!(ok.paid_broadcast);
        assert_eq!((ok.telegram_rate_limit, ok.paid_broadcast_min_stars), (500, 100));
        let max = config(&[("TELEGRAM_BOT_TOKEN", TOKEN), ("TELEGRAM_RATE_LIMIT", "30")]).unwrap();
        assert!(!max.paid_broadcast, "30 is free");
    }

    #[test]
    fn values_are_parsed() {
        let c = config(&[
            ("TELEGRAM_BOT_TOKEN", TOKEN),
            ("TELEGRAM_API_URL", "http://127.0.0.1:8081/"),
            ("DATABASE_URL", "postgres://postgres@127.0.0.1/test"),
            ("ADMIN_CHAT_IDS", " 1, -100200 ,"),
            ("REMINDER_OFFSETS", "4s,8s,4s"),
            ("TELEGRAM_RATE_LIMIT", "30"),
            ("HEALTH_ADDR", "127.0.0.1:9090"),
        ])
        .unwrap();
        assert_eq!(c.telegram_api_url.as_str(), "http://127.0.0.1:8081/");
        assert_eq!(c.backend(), Backend::Postgres);
        assert_eq!(c.admin_chat_ids, vec![1, -100200]);
        assert!(c.is_admin(-100200));
        assert_eq!(c.reminder_offsets, vec![Duration::from_secs(8), Duration::from_secs(4)]);
        assert_eq!(c.telegram_rate_limit, 30);
        assert_eq!(c.health_addr, Some("127.0.0.1:9090".parse().unwrap()));
    }

    #[test]
    fn webhook_needs_both_variables_and_https() {
        let url = ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/hook");
        let addr = ("WEBHOOK_ADDR", "0.0.0.0:8443");
        let c = config(&[("TELEGRAM_BOT_TOKEN", TOKEN), url, addr]).unwrap();
        assert_eq!(c.webhook.unwrap().addr, "0.0.0.0:8443".parse().unwrap());
        assert!(config(&[("TELEGRAM_BOT_TOKEN", TOKEN)]).unwrap().webhook.is_none());
        let e = config(&[("TELEGRAM_BOT_TOKEN", TOKEN), url]).unwrap_err();
        assert!(e.to_string().contains("WEBHOOK_ADDR"), "{e}");
        let e = config(&[("TELEGRAM_BOT_TOKEN", TOKEN), addr]).unwrap_err();
        assert!(e.to_string().contains("TELEGRAM_WEBHOOK_URL"), "{e}");
        let e = config(&[("TELEGRAM_BOT_TOKEN", TOKEN), ("TELEGRAM_WEBHOOK_URL", "http://x/"), addr]).unwrap_err();
        assert!(e.to_string().contains("https"), "{e}");
    }
}
