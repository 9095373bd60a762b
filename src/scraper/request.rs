//! How a source is asked for its pages: GET or POST, headers, query
//! parameters, a JSON body template, `${ENV}` secrets and placeholders.
//!
//! `${NAME}` (or `${NAME:-default}`) in the url, a header, a query value or
//! the body is read from the environment when the sources file is loaded; a
//! missing variable is a configuration error naming it. The values are
//! secrets: they are kept out of `Debug`, logs, errors, `/sources` (which
//! shows the url as written) and `check-source` output.
//!
//! Placeholders filled for every request: `{page}` (the page number, from
//! `first_page`), `{since}` (Unix seconds: the start of the last successful
//! run minus `since_overlap`, or now minus `since_window` before any),
//! `{since_ms}`, `{since_iso}` and `{now}`. A url or body with `{page}` is
//! paged by number until a page has no items or `max_pages` is reached.

use std::{collections::BTreeMap, fmt, time::Duration};

use chrono::{DateTime, Utc};
use reqwest::Url;
use serde::Deserialize;

/// The `[sources.request]` table as written in the sources file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestConfig {
    pub method: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    pub body: Option<String>,
    pub first_page: Option<u32>,
    pub since_overlap: Option<String>,
    pub since_window: Option<String>,
    /// Keys first: the url's answer lists keys, a second request asks the
    /// listings of those keys.
    pub keys: Option<KeysConfig>,
}

/// `[sources.request.keys]`: the source's url answers a list of keys (a
/// map search's pins); `url`, with `{keys}` filled, asks their listings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// JSONPath to the keys in the first answer.
    pub path: String,
    /// The listings' request, absolute or relative to the keys request's
    /// URL; `{keys}` is replaced by the keys.
    pub url: String,
    /// Each key's form, `{}` the key (URL-encoded); `"{}"` by default.
    pub each: Option<String>,
    /// Between two keys; `","` by default.
    pub join: Option<String>,
    /// Most keys asked for (at most, and by default, [`MAX_KEYS`]).
    pub max: Option<usize>,
}

/// Most keys one listings request carries.
pub const MAX_KEYS: usize = 500;

/// A validated [`KeysConfig`].
#[derive(Debug, Clone)]
pub struct KeysSpec {
    path: serde_json_path::JsonPath,
    url: String,
    each: String,
    join: String,
    max: usize,
}

impl KeysSpec {
    fn compile(config: &KeysConfig, mode: EnvMode, secrets: &mut Vec<String>) -> Result<Self, RequestError> {
        let path = serde_json_path::JsonPath::parse(config.path.trim())
            .map_err(|e| bad("request.keys.path", format!("{:?} is not a JSONPath (RFC 9535): {e}", config.path)))?;
        let url = resolve_env(config.url.trim(), "request.keys.url", mode, secrets)?;
        if !url.contains("{keys}") {
            return Err(bad("request.keys.url", "needs `{keys}` where the keys go"));
        }
        if url.contains("{page}") {
            return Err(bad("request.keys.url", "a keyed request is one page: `{page}` cannot be in it"));
        }
        let each = config.each.clone().unwrap_or_else(|| "{}".to_owned());
        if !each.contains("{}") {
            return Err(bad("request.keys.each", "needs `{}` where a key goes"));
        }
        let max = config.max.unwrap_or(MAX_KEYS);
        if !(1..=MAX_KEYS).contains(&max) {
            return Err(bad("request.keys.max", format!("{max} is not from 1 to {MAX_KEYS}")));
        }
        let spec = Self { path, url, each, join: config.join.clone().unwrap_or_else(|| ",".to_owned()), max };
        Ok(spec)
    }

    /// The keys in `answer` (strings and numbers, each once, in order, at
    /// most `max`). An answer that is not JSON is an error.
    pub fn keys_in(&self, answer: &str) -> Result<Vec<String>, String> {
        let doc: serde_json::Value =
            serde_json::from_str(answer).map_err(|e| format!("the keys answer is not JSON: {e}"))?;
        let mut keys: Vec<String> = Vec::new();
        for value in self.path.query(&doc).all() {
            let key = match value {
                serde_json::Value::String(s) => s.trim().to_owned(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => continue,
            };
            if !key.is_empty() && key.len() <= 200 && !keys.contains(&key) {
                keys.push(key);
                if keys.len() == self.max {
                    break;
                }
            }
        }
        Ok(keys)
    }

    /// The listings' URL for `keys`; a relative `url` is resolved against
    /// `base`, the keys request's.
    pub fn url_for(&self, base: &Url, keys: &[String]) -> Result<Url, String> {
        let joined = keys
            .iter()
            .map(|k| self.each.replace("{}", &url::form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>()))
            .collect::<Vec<_>>()
            .join(&self.join);
        base.join(&self.url.replace("{keys}", &joined))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| "the listings request is not an http(s) URL".to_owned())
    }
}

pub const DEFAULT_SINCE_OVERLAP: Duration = Duration::from_secs(10 * 60);
pub const DEFAULT_SINCE_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// A validated request template with its secrets resolved.
#[derive(Clone)]
pub struct RequestSpec {
    pub post: bool,
    url: String,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
    body: Option<String>,
    pub first_page: u32,
    pub since_overlap: Duration,
    pub since_window: Duration,
    /// The values read from the environment, scrubbed from every error.
    secrets: Vec<String>,
    /// The url as written (placeholders and `${NAME}` unresolved).
    pub shown_url: String,
    /// Keys first (`[sources.request.keys]`).
    pub keys: Option<KeysSpec>,
}

impl fmt::Debug for RequestSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestSpec")
            .field("post", &self.post)
            .field("url", &self.shown_url)
            .field("headers", &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// One request, ready to send.
#[derive(Clone)]
pub struct HttpRequest {
    pub post: bool,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// What logs and errors may show of the request.
    pub label: String,
    pub secrets: Vec<String>,
    /// `host:port` of the source's url: the only host that receives a
    /// header or body holding a secret (`None`: the request holds none).
    pub home: Option<String>,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", if self.post { "POST" } else { "GET" }, self.label)
    }
}

impl HttpRequest {
    /// A plain GET of `url` (HTML pages and their next-page links).
    pub fn get(url: Url) -> Self {
        Self {
            post: false,
            label: url.to_string(),
            url,
            headers: Vec::new(),
            body: None,
            secrets: Vec::new(),
            home: None,
        }
    }

    /// Whether `url` is on the source's own host.
    pub fn at_home(&self, url: &Url) -> bool {
        self.home.as_deref().is_none_or(|home| host_key(url) == home)
    }

    /// Whether `text` holds one of this request's secrets.
    pub fn holds_secret(&self, text: &str) -> bool {
        self.secrets.iter().any(|s| text.contains(s.as_str()))
    }

    /// The headers that may go to `url`: all of them at home; elsewhere
    /// none that holds a secret.
    pub fn headers_for<'a>(&'a self, url: &Url) -> impl Iterator<Item = &'a (String, String)> {
        let home = self.at_home(url);
        self.headers.iter().filter(move |(_, v)| home || !self.holds_secret(v))
    }

    /// `text` with every secret replaced.
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, &self.secrets)
    }
}

/// `host:port` of `url`: what "the same host" means for secrets.
pub fn host_key(url: &Url) -> String {
    format!("{}:{}", url.host_str().unwrap_or_default(), url.port_or_known_default().unwrap_or_default())
}

fn scrub(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_owned(), |t, s| t.replace(s.as_str(), "[redacted]"))
}

/// Why a request template is not valid; `field` names the key.
#[derive(Debug)]
pub struct RequestError {
    pub field: &'static str,
    pub problem: String,
}

fn bad(field: &'static str, problem: impl Into<String>) -> RequestError {
    RequestError { field, problem: problem.into() }
}

/// How `${NAME}` is treated while loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvMode {
    /// Read from the environment; a missing variable is an error.
    Resolve,
    /// Leave a placeholder value (checking a saved page needs no secrets).
    Placeholder,
}

/// `${NAME}` and `${NAME:-default}` in `text`, from the environment.
fn resolve_env(
    text: &str,
    field: &'static str,
    mode: EnvMode,
    secrets: &mut Vec<String>,
) -> Result<String, RequestError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let close = after.find('}').ok_or_else(|| bad(field, "an unclosed `${`"))?;
        let inner = &after[..close];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(bad(field, format!("`${{{inner}}}` is not a variable name")));
        }
        let value = match (mode, std::env::var(name).ok().filter(|v| !v.is_empty()), default) {
            (EnvMode::Placeholder, _, Some(d)) => d.to_owned(),
            (EnvMode::Placeholder, _, None) => format!("{name}-unset"),
            (EnvMode::Resolve, Some(v), _) => {
                if !v.is_empty() {
                    secrets.push(v.clone());
                }
                v
            }
            (EnvMode::Resolve, None, Some(d)) => d.to_owned(),
            (EnvMode::Resolve, None, None) => {
                return Err(bad(field, format!("needs the environment variable {name}, which is not set")));
            }
        };
        out.push_str(&value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn duration(text: Option<&str>, field: &'static str, default: Duration) -> Result<Duration, RequestError> {
    match text {
        None => Ok(default),
        Some(s) => humantime::parse_duration(s).map_err(|e| bad(field, format!("{s:?}: {e} (e.g. \"10m\")"))),
    }
}

impl RequestSpec {
    /// Validates a source's url and `[sources.request]` table.
    pub fn compile(url: &str, config: Option<&RequestConfig>, mode: EnvMode) -> Result<Self, RequestError> {
        let default = RequestConfig::default();
        let config = config.unwrap_or(&default);
        let mut secrets = Vec::new();
        let post = match config.method.as_deref().map(str::to_ascii_uppercase).as_deref() {
            None | Some("GET") => false,
            Some("POST") => true,
            Some(other) => return Err(bad("request.method", format!("{other:?}: use GET or POST"))),
        };
        let resolved_url = resolve_env(url.trim(), "url", mode, &mut secrets)?;
        let headers = config
            .headers
            .iter()
            .map(|(k, v)| {
                reqwest::header::HeaderName::from_bytes(k.as_bytes())
                    .map_err(|_| bad("request.headers", format!("{k:?} is not a header name")))?;
                Ok((k.clone(), resolve_env(v, "request.headers", mode, &mut secrets)?))
            })
            .collect::<Result<Vec<_>, RequestError>>()?;
        let query = config
            .query
            .iter()
            .map(|(k, v)| Ok((k.clone(), resolve_env(v, "request.query", mode, &mut secrets)?)))
            .collect::<Result<Vec<_>, RequestError>>()?;
        let body = config.body.as_deref().map(|b| resolve_env(b, "request.body", mode, &mut secrets)).transpose()?;
        if body.is_some() && !post {
            return Err(bad("request.body", "a body needs method = \"POST\""));
        }
        let keys = config.keys.as_ref().map(|k| KeysSpec::compile(k, mode, &mut secrets)).transpose()?;
        if let (Some(keys), Ok(base)) = (&keys, Url::parse(&resolved_url)) {
            keys.url_for(&base, &["1".to_owned()]).map_err(|e| bad("request.keys.url", e))?;
        }
        let spec = Self {
            post,
            url: resolved_url,
            headers,
            query,
            body,
            first_page: config.first_page.unwrap_or(1),
            since_overlap: duration(config.since_overlap.as_deref(), "request.since_overlap", DEFAULT_SINCE_OVERLAP)?,
            since_window: duration(config.since_window.as_deref(), "request.since_window", DEFAULT_SINCE_WINDOW)?,
            secrets,
            shown_url: url.trim().to_owned(),
            keys,
        };
        // The first request must be a valid http(s) request.
        let first = spec.build(spec.first_page, None, Utc::now()).map_err(|e| bad("url", e))?;
        if let Some(body) = &first.body
            && serde_json::from_str::<serde_json::Value>(body).is_err()
        {
            return Err(bad("request.body", "is not JSON once its placeholders are filled"));
        }
        Ok(spec)
    }

    /// Whether the source is paged by `{page}` rather than next-page links.
    pub fn paged(&self) -> bool {
        self.keys.is_none() && self.url.contains("{page}")
            || self.query.iter().any(|(_, v)| v.contains("{page}"))
            || self.body.as_deref().is_some_and(|b| b.contains("{page}"))
    }

    /// The window start: the last successful run's start minus the overlap.
    pub fn since(&self, last_success: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
        let (from, back) = match last_success {
            Some(t) => (t, self.since_overlap),
            None => (now, self.since_window),
        };
        from - chrono::Duration::from_std(back).unwrap_or_else(|_| chrono::Duration::days(1))
    }

    /// The request for page `page`. Errors are shown to the operator and
    /// hold no secret.
    pub fn build(&self, page: u32, since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<HttpRequest, String> {
        let since = since.unwrap_or_else(|| self.since(None, now));
        let fill = |t: &str| {
            t.replace("{page}", &page.to_string())
                .replace("{since_ms}", &since.timestamp_millis().to_string())
                .replace("{since_iso}", &since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .replace("{since}", &since.timestamp().to_string())
                .replace("{now}", &now.timestamp().to_string())
        };
        let mut url = Url::parse(&fill(&self.url))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| format!("{:?} is not an http(s) URL", self.shown_url))?;
        if !self.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &self.query {
                pairs.append_pair(k, &fill(v));
            }
        }
        let label = fill(&self.shown_url);
        let home = (!self.secrets.is_empty()).then(|| host_key(&url));
        Ok(HttpRequest {
            home,
            post: self.post,
            url,
            headers: self.headers.iter().map(|(k, v)| (k.clone(), fill(v))).collect(),
            body: self.body.as_deref().map(fill),
            label,
            secrets: self.secrets.clone(),
        })
    }

    /// A GET of a link found on a page (the next page), with this source's
    /// headers (those holding a secret only if the link stays on the
    /// source's host, see [`HttpRequest::headers_for`]).
    pub fn follow(&self, url: Url, since: DateTime<Utc>, now: DateTime<Utc>) -> HttpRequest {
        let mut req = self.build(self.first_page, Some(since), now).unwrap_or_else(|_| HttpRequest::get(url.clone()));
        req.post = false;
        req.body = None;
        req.label = self.scrub(url.as_str());
        req.url = url;
        req
    }

    /// `text` with every secret of this source replaced.
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, &self.secrets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_placeholders_and_secrets() {
        // SAFETY: a unique variable name, read only by this test.
        unsafe { std::env::set_var("HOMEHOUND_TEST_KEY_7F3", "s3cr3t-value") };
        let config = RequestConfig {
            method: Some("post".into()),
            headers: [("X-Key".to_owned(), "${HOMEHOUND_TEST_KEY_7F3}".to_owned())].into(),
            query: [("p".to_owned(), "{page}".to_owned())].into(),
            body: Some(r#"{"since": {since}, "index": "${HOMEHOUND_TEST_INDEX_7F3:-main}"}"#.into()),
            first_page: Some(0),
            ..Default::default()
        };
        let spec = RequestSpec::compile("https://api.example/q", Some(&config), EnvMode::Resolve).unwrap();
        assert!(!format!("{spec:?}").contains("s3cr3t"));
        assert!(spec.paged());
        let t = DateTime::parse_from_rfc3339("2025-12-01T20:00:00Z").unwrap().with_timezone(&Utc);
        let since = spec.since(Some(t), t);
        assert_eq!(since.timestamp(), t.timestamp() - 600);
        let req = spec.build(2, Some(since), t).unwrap();
        assert_eq!(req.url.as_str(), "https://api.example/q?p=2");
        assert_eq!(req.headers, vec![("X-Key".to_owned(), "s3cr3t-value".to_owned())]);
        assert_eq!(req.body.as_deref(), Some(r#"{"since": 1764618600, "index": "main"}"#));
        assert!(!format!("{req:?}").contains("s3cr3t"));
        assert_eq!(req.scrub("bad key s3cr3t-value"), "bad key [redacted]");

        let missing = RequestConfig {
            headers: [("X-Key".to_owned(), "${HOMEHOUND_TEST_MISSING_7F3}".to_owned())].into(),
            ..Default::default()
        };
        let e = RequestSpec::compile("https://api.example/", Some(&missing), EnvMode::Resolve).unwrap_err();
        assert!(e.problem.contains("HOMEHOUND_TEST_MISSING_7F3"), "{}", e.problem);
        assert!(RequestSpec::compile("https://api.example/", Some(&missing), EnvMode::Placeholder).is_ok());
    }

    #[test]
    fn invalid_requests() {
        let body_on_get = RequestConfig { body: Some("{}".into()), ..Default::default() };
        assert_eq!(
            RequestSpec::compile("https://a.example/", Some(&body_on_get), EnvMode::Resolve).unwrap_err().field,
            "request.body"
        );
        let put = RequestConfig { method: Some("PUT".into()), ..Default::default() };
        assert_eq!(
            RequestSpec::compile("https://a.example/", Some(&put), EnvMode::Resolve).unwrap_err().field,
            "request.method"
        );
        assert_eq!(RequestSpec::compile("ftp://a.example/", None, EnvMode::Resolve).unwrap_err().field, "url");
    }

    #[test]
    fn keys_first() {
        let keys = |url: &str, each: Option<&str>| RequestConfig {
            keys: Some(KeysConfig {
                path: "$[*].pk".into(),
                url: url.into(),
                each: each.map(str::to_owned),
                join: Some("&".into()),
                max: Some(2),
            }),
            ..Default::default()
        };
        let spec = RequestSpec::compile(
            "https://a.example/pins?x=1",
            Some(&keys("/list?{keys}", Some("pk={}"))),
            EnvMode::Resolve,
        )
        .unwrap();
        assert!(!spec.paged());
        let k = spec.keys.as_ref().unwrap();
        // Strings and numbers, each once, at most `max`, URL-encoded.
        let found = k.keys_in(r#"[{"pk": 7}, {"pk": 7}, {"pk": "a b"}, {"pk": null}, {"pk": 9}]"#).unwrap();
        assert_eq!(found, ["7", "a b"]);
        let base = Url::parse("https://a.example/pins?x=1").unwrap();
        assert_eq!(k.url_for(&base, &found).unwrap().as_str(), "https://a.example/list?pk=7&pk=a+b");
        assert!(k.keys_in("<html>").unwrap_err().contains("not JSON"));
        for (config, field) in [
            (keys("/list", None), "request.keys.url"),
            (keys("/list?{keys}&p={page}", None), "request.keys.url"),
            (keys("/list?{keys}", Some("pk=")), "request.keys.each"),
        ] {
            let e = RequestSpec::compile("https://a.example/", Some(&config), EnvMode::Resolve).unwrap_err();
            assert_eq!(e.field, field, "{}", e.problem);
        }
        let mut many = keys("/list?{keys}", None);
        many.keys.as_mut().unwrap().max = Some(MAX_KEYS + 1);
        assert_eq!(
            RequestSpec::compile("https://a.example/", Some(&many), EnvMode::Resolve).unwrap_err().field,
            "request.keys.max"
        );
    }
}
