//! The sources file (`SOURCES_FILE`, TOML): which sites to watch and how.
//!
//! Validated as a whole at start: unique names, a known kind, an http(s)
//! URL, a humantime interval, css selectors that compile. An error names the
//! source and the field; `main` exits 2 with it.

use std::{collections::HashSet, path::Path, time::Duration};

use reqwest::Url;
use serde::Deserialize;

use super::{
    adapters::{Adapter, css::CssConfig, css::CssSpec, sites::Site},
    normalize::Period,
};

/// Shortest interval accepted: politeness towards the sites.
pub const MIN_INTERVAL: Duration = Duration::from_secs(30);
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(600);
/// Most pages followed through `next_page` in one run.
pub const MAX_PAGES_LIMIT: u32 = 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    sources: Vec<RawSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    kind: String,
    url: String,
    interval: Option<String>,
    currency: Option<String>,
    period: Option<String>,
    max_pages: Option<u32>,
    css: Option<CssConfig>,
}

/// One validated source.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: String,
    pub kind: String,
    pub url: Url,
    pub interval: Duration,
    pub currency: Option<String>,
    pub period: Option<Period>,
    pub max_pages: u32,
    pub adapter: Adapter,
}

/// A problem in the sources file.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    #[error("SOURCES_FILE: cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("SOURCES_FILE: {path} is not valid TOML: {reason}")]
    Toml { path: String, reason: String },
    #[error("SOURCES_FILE: source {source_name:?}, field `{field}`: {problem}")]
    Invalid { source_name: String, field: &'static str, problem: String },
}

fn known_kinds() -> String {
    let mut kinds: Vec<&str> = Site::ALL.iter().map(|s| s.kind()).collect();
    kinds.extend(["css", "jsonld"]);
    kinds.join(", ")
}

/// Reads and validates `path`. A missing file is an error only when
/// `required` (the operator named it); otherwise there are no sources.
pub fn load(path: &Path, required: bool) -> Result<Vec<SourceConfig>, SourcesError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(Vec::new()),
        Err(e) => return Err(SourcesError::Read { path: path.display().to_string(), reason: e.to_string() }),
    };
    parse(&text).map_err(|e| match e {
        SourcesError::Toml { reason, .. } => SourcesError::Toml { path: path.display().to_string(), reason },
        other => other,
    })
}

/// Validates the TOML text of a sources file.
pub fn parse(text: &str) -> Result<Vec<SourceConfig>, SourcesError> {
    let file: File =
        toml::from_str(text).map_err(|e| SourcesError::Toml { path: String::new(), reason: e.to_string() })?;
    let mut names = HashSet::new();
    file.sources.into_iter().map(|raw| validate(raw, &mut names)).collect()
}

fn validate(raw: RawSource, names: &mut HashSet<String>) -> Result<SourceConfig, SourcesError> {
    let name = raw.name.trim().to_owned();
    let invalid =
        |field: &'static str, problem: String| SourcesError::Invalid { source_name: name.clone(), field, problem };
    if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control()) {
        return Err(invalid("name", "must be 1 to 64 printable characters".to_owned()));
    }
    if !names.insert(name.to_lowercase()) {
        return Err(invalid("name", "is used by another source; names must be unique".to_owned()));
    }
    let url = Url::parse(raw.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        .ok_or_else(|| invalid("url", format!("{:?} is not an http(s) URL", raw.url)))?;
    let interval = match raw.interval.as_deref() {
        None => DEFAULT_INTERVAL,
        Some(s) => {
            let d =
                humantime::parse_duration(s).map_err(|e| invalid("interval", format!("{s:?}: {e} (e.g. \"10m\")")))?;
            if d < MIN_INTERVAL {
                return Err(invalid(
                    "interval",
                    format!("{s:?} is shorter than {}", humantime::format_duration(MIN_INTERVAL)),
                ));
            }
            d
        }
    };
    let currency = match raw.currency {
        None => None,
        Some(c) if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()) => Some(c),
        Some(c) => return Err(invalid("currency", format!("{c:?} is not an ISO 4217 code such as \"EUR\""))),
    };
    let period = match raw.period.as_deref() {
        None => None,
        Some(p) => Some(
            Period::parse(p).ok_or_else(|| invalid("period", format!("{p:?}: use month, week, day, year or total")))?,
        ),
    };
    let max_pages = raw.max_pages.unwrap_or(1);
    if !(1..=MAX_PAGES_LIMIT).contains(&max_pages) {
        return Err(invalid("max_pages", format!("{max_pages} is not from 1 to {MAX_PAGES_LIMIT}")));
    }
    let adapter = match (raw.kind.as_str(), raw.css) {
        ("css", Some(css)) => Adapter::Css(Box::new(CssSpec::compile(&css).map_err(|(field, problem)| {
            SourcesError::Invalid { source_name: name.clone(), field: css_field(field), problem }
        })?)),
        ("css", None) => {
            return Err(invalid("css", "kind \"css\" needs a [sources.css] table with selectors".to_owned()));
        }
        (kind, None) => Adapter::builtin(kind)
            .ok_or_else(|| invalid("kind", format!("{kind:?} is not a known kind ({})", known_kinds())))?,
        (_, Some(_)) => return Err(invalid("css", "a [sources.css] table needs kind = \"css\"".to_owned())),
    };
    Ok(SourceConfig { name, kind: raw.kind, url, interval, currency, period, max_pages, adapter })
}

fn css_field(field: &'static str) -> &'static str {
    match field {
        "card" => "css.card",
        "id" => "css.id",
        "url" => "css.url",
        "title" => "css.title",
        "price" => "css.price",
        "rooms" => "css.rooms",
        "area" => "css.area",
        "district" => "css.district",
        "photo" => "css.photo",
        "description" => "css.description",
        "next_page" => "css.next_page",
        _ => "css",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn a_valid_file() {
        let sources = parse(
            r#"
            [[sources]]
            name = "wg-berlin"
            kind = "wg-gesucht"
            url = "https://www.wg-gesucht.de/wohnungen-in-Berlin.8.2.1.0.html"
            interval = "10m"
            currency = "EUR"

            [[sources]]
            name = "my-agency"
            kind = "css"
            url = "https://agency.example/rent"
            max_pages = 3
            [sources.css]
            card = "article.listing"
            id = "@data-id"
            url = "a.title@href"
            price = ".price"
            next_page = "a.next@href"
            "#,
        )
        .unwrap();
        assert_eq!(sources.len(), 2);
        assert_eq!(sources[0].interval, Duration::from_secs(600));
        assert_eq!(sources[1].max_pages, 3);
        assert!(matches!(sources[1].adapter, Adapter::Css(_)));
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn the_shipped_example_is_valid() {
        let text = include_str!("../../sources.example.toml");
        let sources = parse(text).unwrap();
        assert!(sources.len() >= 5);
        assert!(sources.iter().all(|s| s.kind != "css"));
    }

    #[test]
    fn errors_name_the_source_and_the_field() {
        let base = |extra: &str| {
            format!("[[sources]]\nname = \"s1\"\nkind = \"wg-gesucht\"\nurl = \"https://x.example/\"\n{extra}")
        };
        let e = err(&format!("{}\n{}", base(""), base("")));
        assert!(e.contains("\"s1\"") && e.contains("`name`") && e.contains("unique"), "{e}");
        let e = err(&base("interval = \"often\""));
        assert!(e.contains("`interval`"), "{e}");
        let e = err(&base("interval = \"5s\""));
        assert!(e.contains("`interval`") && e.contains("shorter"), "{e}");
        let e = err("[[sources]]\nname = \"s2\"\nkind = \"nope\"\nurl = \"https://x.example/\"");
        assert!(e.contains("\"s2\"") && e.contains("`kind`") && e.contains("wg-gesucht"), "{e}");
        let e = err(
            "[[sources]]\nname = \"s3\"\nkind = \"css\"\nurl = \"ftp://x\"\n[sources.css]\ncard = \"a\"\nurl = \"a@href\"",
        );
        assert!(e.contains("`url`"), "{e}");
        let e = err(
            "[[sources]]\nname = \"s4\"\nkind = \"css\"\nurl = \"https://x.example/\"\n[sources.css]\ncard = \"div[\"\nurl = \"a@href\"",
        );
        assert!(e.contains("\"s4\"") && e.contains("`css.card`"), "{e}");
        let e = err(
            "[[sources]]\nname = \"s5\"\nkind = \"css\"\nurl = \"https://x.example/\"\n[sources.css]\ncard = \"div\"\nurl = \"a@href\"\nprice = \"..bad\"",
        );
        assert!(e.contains("`css.price`"), "{e}");
        let e = err("[[sources]]\nname = \"s6\"\nkind = \"css\"\nurl = \"https://x.example/\"");
        assert!(e.contains("`css`"), "{e}");
        let e = err(&base("currency = \"euro\""));
        assert!(e.contains("`currency`"), "{e}");
        let e = err(&base("colour = \"red\""));
        assert!(e.contains("colour"), "{e}");
    }
}
