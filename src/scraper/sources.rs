//! The sources file (`SOURCES_FILE`, TOML): which sites to watch and how.
//!
//! Validated as a whole at start: unique names, a known kind, an http(s)
//! URL, a humantime interval, css selectors that compile. An error names the
//! source and the field; `main` exits 2 with it.

use std::{collections::HashSet, path::Path, time::Duration};

use reqwest::Url;
use serde::Deserialize;
use toml::{Table, Value};

use super::{
    adapters::{
        Adapter, WithDetail,
        css::{CssConfig, CssSpec},
        json::{JsonConfig, JsonSpec},
        presets,
        sites::Site,
    },
    normalize::Period,
    request::{EnvMode, RequestConfig, RequestSpec},
    slim::Prune,
};

/// Shortest interval accepted: politeness towards the sites.
pub const MIN_INTERVAL: Duration = Duration::from_secs(30);
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(600);
/// Most pages followed through `next_page` in one run.
pub const MAX_PAGES_LIMIT: u32 = 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    kind: String,
    url: Option<String>,
    interval: Option<String>,
    currency: Option<String>,
    period: Option<String>,
    max_pages: Option<u32>,
    css: Option<CssConfig>,
    json: Option<JsonConfig>,
    /// `kind = "jsonld"`: fields read over the merged schema.org entities.
    jsonld: Option<std::collections::BTreeMap<String, crate::scraper::adapters::field::FieldConfig>>,
    request: Option<RequestConfig>,
    /// Readings of the site's exposé pages: one table or a list.
    detail: Option<Value>,
    /// How a listing's own page reads once it is taken down: a text on the
    /// page, or a selector that matches there ("❓ Still there?").
    gone: Option<String>,
}

/// `[sources.detail]`: how an exposé (one listing's own page) is read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetail {
    /// A regex only an exposé's body matches.
    when: String,
    kind: String,
    css: Option<CssConfig>,
    json: Option<JsonConfig>,
    jsonld: Option<std::collections::BTreeMap<String, crate::scraper::adapters::field::FieldConfig>>,
}

/// One validated source. Its `Debug` shows the url as written, never the
/// resolved one (it may hold a `${ENV}` secret).
#[derive(Clone)]
pub struct SourceConfig {
    pub name: String,
    /// As written: a preset's name, or css, json, jsonld, a coded site.
    pub kind: String,
    /// The first page's URL, secrets resolved: never shown.
    pub url: Url,
    pub interval: Duration,
    pub currency: Option<String>,
    pub period: Option<Period>,
    pub max_pages: u32,
    pub adapter: Adapter,
    /// How pages are asked for; `request.shown_url` is what may be shown.
    pub request: RequestSpec,
    /// `gone = "…"`: how a listing's page reads once it is taken down.
    pub gone: Option<crate::scraper::gone::Marker>,
}

impl std::fmt::Debug for SourceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceConfig")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("url", &self.shown_url())
            .field("interval", &self.interval)
            .field("currency", &self.currency)
            .field("period", &self.period)
            .field("max_pages", &self.max_pages)
            .field("adapter", &self.adapter)
            .field("request", &self.request)
            .field("gone", &self.gone)
            .finish()
    }
}

impl SourceConfig {
    /// The url as written in the sources file (no secret in it).
    pub fn shown_url(&self) -> &str {
        &self.request.shown_url
    }
}

/// A problem in the sources file.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    #[error("SOURCES_FILE: cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("SOURCES_FILE: {path} is not valid TOML: {reason}")]
    Toml { path: String, reason: String },
    #[error("SOURCES_FILE: source {source_name:?}, field `{field}`: {problem}")]
    Invalid { source_name: String, field: String, problem: String },
    #[error("SOURCES_FILE: channel {chat:?}, field `{field}`: {problem}")]
    Channel { chat: String, field: String, problem: String },
}

fn known_kinds() -> String {
    let mut kinds: Vec<&str> = presets::names();
    kinds.extend(Site::ALL.iter().map(|s| s.kind()));
    kinds.sort_unstable();
    kinds.extend(["css", "json", "jsonld"]);
    kinds.join(", ")
}

/// Reads and validates `path`, with `${NAME}` treated as `env` says. A
/// missing file is an error only when `required` (the operator named it);
/// otherwise there are no sources.
pub fn load_with(path: &Path, required: bool, env: EnvMode) -> Result<Vec<SourceConfig>, SourcesError> {
    let Some(text) = read(path, required)? else { return Ok(Vec::new()) };
    parse_with(&text, env).map_err(|e| at_path(e, path))
}

/// The text of the sources file at `path`; `None` when it is missing and
/// not `required` (the operator did not name it).
pub fn read(path: &Path, required: bool) -> Result<Option<String>, SourcesError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(None),
        Err(e) => Err(SourcesError::Read { path: path.display().to_string(), reason: e.to_string() }),
    }
}

/// `e`, naming the file at `path` when it is a TOML error.
pub fn at_path(e: SourcesError, path: &Path) -> SourcesError {
    match e {
        SourcesError::Toml { reason, .. } => SourcesError::Toml { path: path.display().to_string(), reason },
        other => other,
    }
}

/// Validates the TOML text of a sources file.
pub fn parse(text: &str) -> Result<Vec<SourceConfig>, SourcesError> {
    parse_with(text, EnvMode::Resolve)
}

/// [`parse`], with `${NAME}` treated as `env` says.
pub fn parse_with(text: &str, env: EnvMode) -> Result<Vec<SourceConfig>, SourcesError> {
    let toml_err = |reason: String| SourcesError::Toml { path: String::new(), reason };
    let mut file: Table = text.parse().map_err(|e: toml::de::Error| toml_err(e.to_string()))?;
    let sources = match file.remove("sources") {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(toml_err("`sources` must be an array of tables ([[sources]])".to_owned())),
    };
    // Other sections (`[[channels]]`) are read by their own modules.
    let tables = sources
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Table(table) => Ok(table),
            _ => Err(toml_err(format!("sources[{i}] is not a table"))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut names = HashSet::new();
    tables.iter().map(|table| validate_table(extended(table, &tables)?, &mut names, env)).collect()
}

/// Most sources one `extends` chain may pass through.
const MAX_EXTENDS: usize = 8;

/// `table` on top of the source it `extends` (by name, anywhere in the
/// file; that source's own `extends` first): tables merge key by key, a
/// field given here replaces the other's whole. `name` is never inherited.
fn extended(table: &Table, all: &[Table]) -> Result<Table, SourcesError> {
    let name_of = |t: &Table| t.get("name").and_then(Value::as_str).unwrap_or_default().trim().to_owned();
    let invalid =
        |problem: String| SourcesError::Invalid { source_name: name_of(table), field: "extends".to_owned(), problem };
    let mut chain = vec![table.clone()];
    let mut next = table.get("extends").cloned();
    while let Some(parent) = next {
        let Value::String(parent) = parent else { return Err(invalid("must be the name of another source".into())) };
        if chain.len() > MAX_EXTENDS {
            return Err(invalid(format!("more than {MAX_EXTENDS} sources in a row extend each other")));
        }
        if chain.iter().any(|t| name_of(t) == parent.trim()) {
            return Err(invalid(format!("{parent:?} extends back to this source (a loop)")));
        }
        let Some(found) = all.iter().find(|t| name_of(t) == parent.trim()) else {
            let known: Vec<String> = all.iter().map(name_of).collect();
            return Err(invalid(format!("no source is named {parent:?} (sources: {})", known.join(", "))));
        };
        next = found.get("extends").cloned();
        chain.push(found.clone());
    }
    let mut merged = Table::new();
    for mut layer in chain.into_iter().rev() {
        layer.remove("extends");
        presets::merge(&mut merged, layer);
    }
    Ok(merged)
}

/// A source for `check-source --kind KIND` on a saved page: the preset or
/// coded site alone, secrets not needed.
pub fn for_kind(kind: &str, base: &str) -> Result<SourceConfig, SourcesError> {
    let mut table = Table::new();
    table.insert("name".to_owned(), Value::String(kind.to_owned()));
    table.insert("kind".to_owned(), Value::String(kind.to_owned()));
    table.insert("url".to_owned(), Value::String(base.to_owned()));
    validate_table(table, &mut HashSet::new(), EnvMode::Placeholder)
}

fn validate_table(mut table: Table, names: &mut HashSet<String>, env: EnvMode) -> Result<SourceConfig, SourcesError> {
    let name = table.get("name").and_then(Value::as_str).unwrap_or_default().trim().to_owned();
    let kind = table.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned();
    // A preset: its table, then the source's own keys over it.
    if let Some(Value::String(url)) = table.get("url") {
        let rewritten = presets::rewrite_url(&kind, url).map_err(|problem| SourcesError::Invalid {
            source_name: name.clone(),
            field: "url".to_owned(),
            problem,
        })?;
        if let Some(period) = presets::implied_period(&kind, &rewritten)
            && !table.contains_key("period")
        {
            table.insert("period".to_owned(), Value::String(period.to_owned()));
        }
        table.insert("url".to_owned(), Value::String(rewritten));
    }
    let (table, prune) = match presets::table(&kind) {
        Some(mut base) => {
            let untouched = !table.contains_key("css") && !table.contains_key("json");
            table.remove("kind");
            presets::merge(&mut base, table);
            (base, if untouched { presets::prune(&kind) } else { Prune::default() })
        }
        None => (table, Prune::default()),
    };
    let raw: RawSource = Value::Table(table).try_into().map_err(|e: toml::de::Error| SourcesError::Invalid {
        source_name: name.clone(),
        field: "source".to_owned(),
        problem: e.message().to_owned(),
    })?;
    validate(raw, kind, prune, names, env)
}

fn validate(
    raw: RawSource,
    shown_kind: String,
    prune: Prune,
    names: &mut HashSet<String>,
    env: EnvMode,
) -> Result<SourceConfig, SourcesError> {
    let name = raw.name.trim().to_owned();
    let invalid = |field: &str, problem: String| SourcesError::Invalid {
        source_name: name.clone(),
        field: field.to_owned(),
        problem,
    };
    if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control()) {
        return Err(invalid("name", "must be 1 to 64 printable characters".to_owned()));
    }
    if !names.insert(name.to_lowercase()) {
        return Err(invalid("name", "is used by another source; names must be unique".to_owned()));
    }
    let Some(url) = raw.url.as_deref() else {
        return Err(invalid("url", "is missing (the page or API to read)".to_owned()));
    };
    let request = RequestSpec::compile(url, raw.request.as_ref(), env).map_err(|e| invalid(e.field, e.problem))?;
    let first =
        request.build(request.first_page, None, chrono::Utc::now()).map_err(|problem| invalid("url", problem))?;
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
    let adapter = reading(&raw.kind, raw.css, raw.json, raw.jsonld, prune, "").map_err(|(f, p)| invalid(&f, p))?;
    let adapter = match raw.detail {
        None => adapter,
        Some(detail) => {
            if matches!(adapter, Adapter::Site(_)) {
                return Err(invalid("detail", "is for css, json and jsonld sources and presets".to_owned()));
            }
            let tables = match detail {
                Value::Array(items) => items,
                one => vec![one],
            };
            let details = tables
                .into_iter()
                .enumerate()
                .map(|(i, table)| {
                    let at = if i == 0 { "detail".to_owned() } else { format!("detail[{i}]") };
                    detail_reading(table, &at).map_err(|(field, problem)| invalid(&field, problem))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Adapter::Detail(Box::new(WithDetail { list: adapter, details }))
        }
    };
    if raw.request.is_some() && matches!(adapter, Adapter::Site(_)) {
        return Err(invalid("request", "is for css, json and jsonld sources and presets".to_owned()));
    }
    let gone = raw.gone.map(|g| crate::scraper::gone::Marker::new(&g)).transpose().map_err(|p| invalid("gone", p))?;
    Ok(SourceConfig {
        name,
        kind: shown_kind,
        url: first.url,
        interval,
        currency,
        period,
        max_pages,
        adapter,
        request,
        gone,
    })
}

/// One `[sources.detail]` table: its pattern and its reading. Errors name
/// the field after `at`.
fn detail_reading(table: Value, at: &str) -> Result<(regex::Regex, Adapter), (String, String)> {
    let raw: RawDetail = table.try_into().map_err(|e: toml::de::Error| (at.to_owned(), e.message().to_owned()))?;
    let when = regex::Regex::new(&raw.when)
        .map_err(|e| (format!("{at}.when"), format!("{:?} is not a valid regex: {e}", raw.when)))?;
    let prefix = format!("{at}.");
    let reading = reading(&raw.kind, raw.css, raw.json, raw.jsonld, Prune::default(), &prefix)?;
    if matches!(reading, Adapter::Site(_)) {
        return Err((format!("{at}.kind"), "must be css, json or jsonld".to_owned()));
    }
    Ok((when, reading))
}

/// A reading of `kind` (css, json, jsonld with or without fields, or a
/// coded site) from its tables. The error names the field, after `prefix`.
fn reading(
    kind: &str,
    css: Option<CssConfig>,
    json: Option<JsonConfig>,
    jsonld: Option<std::collections::BTreeMap<String, crate::scraper::adapters::field::FieldConfig>>,
    prune: Prune,
    prefix: &str,
) -> Result<Adapter, (String, String)> {
    let at = |field: &str| format!("{prefix}{field}");
    let section = |table: &str| format!("[sources.{prefix}{table}]");
    match (kind, css, json, jsonld) {
        ("jsonld", None, None, Some(table)) => Ok(Adapter::JsonLdWith(Box::new(
            crate::scraper::adapters::jsonld::JsonLdSpec::compile(&table)
                .map_err(|(field, problem)| (at(&format!("jsonld.{field}")), problem))?,
        ))),
        ("jsonld", None, None, None) => Ok(Adapter::JsonLd),
        ("jsonld", ..) => {
            Err((at("jsonld"), format!("a jsonld source takes no {} or {}", section("css"), section("json"))))
        }
        (_, _, _, Some(_)) => Err((at("jsonld"), format!("a {} table needs kind = \"jsonld\"", section("jsonld")))),
        ("css", Some(css), None, None) => Ok(Adapter::Css(
            Box::new(CssSpec::compile(&css).map_err(|(field, problem)| (at(&format!("css.{field}")), problem))?),
            prune,
        )),
        ("css", None, _, _) => {
            Err((at("css"), format!("kind \"css\" needs a {} table with selectors", section("css"))))
        }
        ("json", None, Some(json), None) => Ok(Adapter::Json(Box::new(
            JsonSpec::compile(&json).map_err(|(field, problem)| (at(&format!("json.{field}")), problem))?,
        ))),
        ("json", _, None, _) => {
            Err((at("json"), format!("kind \"json\" needs a {} table with paths", section("json"))))
        }
        (kind, None, None, None) => Adapter::builtin(kind)
            .ok_or_else(|| (at("kind"), format!("{kind:?} is not a known kind ({})", known_kinds()))),
        (_, Some(_), _, _) => Err((at("css"), format!("a {} table needs kind = \"css\"", section("css")))),
        (_, _, Some(_), _) => Err((at("json"), format!("a {} table needs kind = \"json\"", section("json")))),
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
        assert!(matches!(sources[1].adapter, Adapter::Css(..)));
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn the_shipped_example_is_valid() {
        let text = include_str!("../../sources.example.toml");
        let sources = parse_with(text, EnvMode::Placeholder).unwrap();
        assert!(sources.len() >= 5);
        // Every commented example, uncommented, is valid too.
        let examples: String = text
            .lines()
            .map(|l| l.strip_prefix("# ").filter(|_| !l.starts_with("## ")).map_or(String::new(), str::to_owned))
            .filter(|l| l.starts_with('[') || l.contains(" = "))
            .collect::<Vec<_>>()
            .join("\n");
        let whole = format!("{text}\n{examples}");
        let examples = parse_with(&whole, EnvMode::Placeholder).unwrap();
        for kind in ["css", "json", "jsonld", "bayut", "wg-gesucht"] {
            assert!(examples.iter().any(|s| s.kind == kind), "an example of {kind}");
        }
        let names: Vec<String> = examples.iter().map(|s| s.name.clone()).collect();
        let channels = crate::scraper::channels::parse(&whole, &names).unwrap();
        assert_eq!(channels.len(), 1, "the channel example");
    }

    #[test]
    fn sources_extend_another_source() {
        let toml = r#"
            [[sources]]
            name = "wg-berlin"
            kind = "wg-gesucht"
            url = "https://www.wg-gesucht.de/wohnungen-in-Berlin.8.2.1.0.html"
            interval = "15m"
            [sources.css]
            card = "div.wgg_card.offer_list_item"
            url = "h3 a@href"
            [[sources]]
            name = "wg-hamburg"
            extends = "wg-berlin"
            url = "https://www.wg-gesucht.de/wohnungen-in-Hamburg.55.2.1.0.html"
            [[sources]]
            name = "wg-hamburg-slow"
            extends = "wg-hamburg"
            interval = "1h"
        "#;
        let sources = parse(toml).unwrap();
        assert_eq!(sources.len(), 3);
        let (berlin, hamburg, slow) = (&sources[0], &sources[1], &sources[2]);
        assert_eq!((hamburg.kind.as_str(), hamburg.interval), ("wg-gesucht", Duration::from_secs(900)));
        assert!(hamburg.url.as_str().contains("Hamburg"));
        assert_eq!(slow.interval, Duration::from_secs(3600));
        assert!(slow.url.as_str().contains("Hamburg"), "from the source it extends, in turn");
        assert_eq!(format!("{:?}", berlin.adapter), format!("{:?}", hamburg.adapter), "the same reading");
        assert_eq!(slow.name, "wg-hamburg-slow");

        let missing =
            parse(&toml.replace("extends = \"wg-berlin\"", "extends = \"wg-paris\"")).unwrap_err().to_string();
        assert!(
            missing.contains("wg-paris") && missing.contains("`extends`") && missing.contains("wg-hamburg"),
            "{missing}"
        );
        let looped = toml.replace("kind = \"wg-gesucht\"", "kind = \"wg-gesucht\"\nextends = \"wg-hamburg-slow\"");
        let looped = parse(&looped).unwrap_err().to_string();
        assert!(looped.contains("loop"), "{looped}");
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

    #[test]
    fn exposes_have_their_own_reading() {
        let source = |detail: &str| {
            format!(
                "[[sources]]\nname = \"s\"\nkind = \"css\"\nurl = \"https://x.example/\"\n\
                 [sources.css]\ncard = \"li\"\nurl = \"a@href\"\n{detail}"
            )
        };
        let one = "[sources.detail]\nwhen = 'class=\"expose\"'\nkind = \"css\"\n\
                   [sources.detail.css]\ncard = \"html\"\nurl = \":page\"\ntitle = \"h1\"";
        let sources = parse(&source(one)).unwrap();
        let Adapter::Detail(both) = &sources[0].adapter else { panic!("{:?}", sources[0].adapter) };
        assert!(matches!(both.reading("<body class=\"expose\">"), Adapter::Css(..)));
        assert!(matches!(both.list, Adapter::Css(..)) && both.details.len() == 1);
        // Several, tried in turn.
        let two = "[[sources.detail]]\nwhen = 'a'\nkind = \"jsonld\"\n[[sources.detail]]\nwhen = 'b'\nkind = \"json\"\n\
                   [sources.detail.json]\nitems = \"$\"\nurl = \"$.u\"";
        let sources = parse(&source(two)).unwrap();
        let Adapter::Detail(both) = &sources[0].adapter else { panic!() };
        assert!(matches!(both.reading("b"), Adapter::Json(_)) && matches!(both.reading("ab"), Adapter::JsonLd));
        // Errors name the field inside the reading.
        let e = err(&source("[sources.detail]\nwhen = '('\nkind = \"css\""));
        assert!(e.contains("`detail.when`") && e.contains("regex"), "{e}");
        let e = err(&source(
            "[sources.detail]\nwhen = 'x'\nkind = \"css\"\n[sources.detail.css]\ncard = \"div[\"\nurl = \"a@href\"",
        ));
        assert!(e.contains("`detail.css.card`"), "{e}");
        let e = err(&source("[sources.detail]\nwhen = 'x'\nkind = \"rightmove\""));
        assert!(e.contains("`detail.kind`"), "{e}");
        let e = err(&source("[sources.detail]\nkind = \"css\""));
        assert!(e.contains("`detail`") && e.contains("when"), "{e}");
        let e = err(&source(
            "[[sources.detail]]\nwhen = 'a'\nkind = \"jsonld\"\n[[sources.detail]]\nwhen = 'b'\nkind = \"css\"",
        ));
        assert!(e.contains("`detail[1].css`"), "{e}");
        let e = err(
            "[[sources]]\nname = \"r\"\nkind = \"rightmove\"\nurl = \"https://x.example/\"\n[sources.detail]\nwhen = 'x'\nkind = \"jsonld\"",
        );
        assert!(e.contains("`detail`"), "{e}");
    }
}
