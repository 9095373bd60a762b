//! `kind = "json"`: listings read from JSON by JSONPath (RFC 9535).
//!
//! The JSON is the whole answer of a JSON API, or is embedded in an HTML
//! page: the text of an element (`script = "script#__NEXT_DATA__"`) or the
//! value of a JavaScript assignment (`assign = "window.__INITIAL_STATE__"`),
//! found without running any JavaScript. `items` selects the listings; each
//! field is a path from one listing (`$` is the listing), with the
//! processing of [`super::field`].
//!
//! ```toml
//! [sources.json]
//! items = "$.results[*].hits[*]"
//! skip = ["$.category[?@.slug == 'commercial']"]   # leave a listing out when a path finds something
//! require = ["$[?@.purpose == 'for-rent']"]        # leave it out unless every path finds something
//! error = "$.message"                              # an answer with this and no items is "blocked"
//! id = "$.externalID"
//! price = "$.price"
//! ```

use std::collections::BTreeMap;

use scraper::Selector;
use serde::Deserialize;
use serde_json::Value;
use serde_json_path::JsonPath;

use super::{
    Page, Parsed,
    field::{FIELDS, FieldConfig, OneOrMany, Process, raw_listing},
};
use crate::scraper::{listing::RawListing, normalize::clean_text, slim::Prune};

/// Most listings read from one answer (bounded work on untrusted input).
const MAX_ITEMS: usize = super::MAX_LISTINGS;

/// The `[sources.json]` table as written in the sources file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonConfig {
    /// The JSON is the text of the first element matching this CSS selector.
    pub script: Option<String>,
    /// The JSON is the value assigned to this name in an inline script.
    pub assign: Option<String>,
    /// The listings: a JSONPath from the document's root.
    pub items: String,
    #[serde(default)]
    pub skip: Vec<CondConfig>,
    #[serde(default)]
    pub require: Vec<CondConfig>,
    pub error: Option<String>,
    pub id: Option<FieldConfig>,
    pub url: Option<FieldConfig>,
    pub title: Option<FieldConfig>,
    pub price: Option<FieldConfig>,
    pub currency: Option<FieldConfig>,
    pub period: Option<FieldConfig>,
    pub rooms: Option<FieldConfig>,
    pub area: Option<FieldConfig>,
    pub district: Option<FieldConfig>,
    pub photo: Option<FieldConfig>,
    pub photos: Option<FieldConfig>,
    pub description: Option<FieldConfig>,
    pub furnished: Option<FieldConfig>,
    pub phone: Option<FieldConfig>,
    /// Latitude and longitude apart, or `geo` as "lat,lon".
    pub lat: Option<FieldConfig>,
    pub lon: Option<FieldConfig>,
    pub geo: Option<FieldConfig>,
}

impl JsonConfig {
    fn field(&self, name: &str) -> Option<&FieldConfig> {
        match name {
            "id" => self.id.as_ref(),
            "url" => self.url.as_ref(),
            "title" => self.title.as_ref(),
            "price" => self.price.as_ref(),
            "currency" => self.currency.as_ref(),
            "period" => self.period.as_ref(),
            "rooms" => self.rooms.as_ref(),
            "area" => self.area.as_ref(),
            "district" => self.district.as_ref(),
            "photo" => self.photo.as_ref(),
            "photos" => self.photos.as_ref(),
            "description" => self.description.as_ref(),
            "furnished" => self.furnished.as_ref(),
            "phone" => self.phone.as_ref(),
            "lat" => self.lat.as_ref(),
            "lon" => self.lon.as_ref(),
            "geo" => self.geo.as_ref(),
            _ => None,
        }
    }
}

/// A condition on one listing: a path that finds something (not null,
/// false or ""), or `{ path = "…", equals = "x" }` / `equals = ["x", "y"]`
/// (text compared without regard to case).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CondConfig {
    Path(String),
    Equals { path: String, equals: OneOrMany },
}

#[derive(Debug, Clone)]
struct Cond {
    path: JsonPath,
    equals: Option<Vec<String>>,
}

impl Cond {
    fn compile(config: &CondConfig) -> Result<Self, String> {
        Ok(match config {
            CondConfig::Path(p) => Cond { path: path(p)?, equals: None },
            CondConfig::Equals { path: p, equals } => {
                Cond { path: path(p)?, equals: Some(equals.items().into_iter().map(str::to_lowercase).collect()) }
            }
        })
    }

    fn holds(&self, item: &Value) -> bool {
        let found = self.path.query(item);
        match &self.equals {
            None => found.iter().any(|v| truthy(v)),
            Some(values) => found.iter().filter_map(|v| text(v)).any(|t| values.contains(&t.to_lowercase())),
        }
    }
}

/// Where the JSON is.
#[derive(Debug, Clone)]
enum Input {
    Body,
    /// The text of the first matching element holding JSON, or its
    /// attribute (`sel@data-props`).
    Script(Selector, Option<String>),
    Assign(String),
}

/// A compiled field of a json (or jsonld) source: JSONPaths, or a fixed
/// value, and the processing.
#[derive(Debug, Clone)]
pub(super) struct JsonField {
    pub(super) paths: Vec<JsonPath>,
    pub(super) value: Option<String>,
    pub(super) process: Process,
}

impl JsonField {
    /// Compiles field `name` of a `kind` ("json", "jsonld") source: `sel`
    /// is refused, fixed values are checked, every path is compiled.
    pub(super) fn compile(name: &str, spec: &FieldConfig, kind: &str) -> Result<Self, String> {
        if let FieldConfig::Full(t) = spec
            && t.sel.is_some()
        {
            return Err(format!("`sel` is for css sources; a {kind} field takes `path`"));
        }
        spec.check_values(name)?;
        let (from, value, process) = spec.split()?;
        let paths = from.iter().map(|p| path(p)).collect::<Result<Vec<_>, _>>()?;
        Ok(Self { paths, value, process })
    }
}

/// A compiled `[sources.json]` table.
#[derive(Debug, Clone)]
pub struct JsonSpec {
    input: Input,
    items: JsonPath,
    /// `items` as written, for explanations.
    items_src: String,
    skip: Vec<Cond>,
    require: Vec<Cond>,
    error: Option<JsonPath>,
    fields: BTreeMap<&'static str, JsonField>,
}

fn path(p: &str) -> Result<JsonPath, String> {
    JsonPath::parse(p.trim()).map_err(|e| format!("{p:?} is not a JSONPath (RFC 9535): {e}"))
}

/// What reading a JSON answer found besides listings.
#[derive(Debug)]
pub enum JsonProblem {
    /// The body is not JSON (or no embedded JSON was found).
    NotJson(String),
    /// The answer is an error (the `error` path found a message).
    Error(String),
}

impl JsonSpec {
    /// Compiles every path; the error names the field.
    pub fn compile(config: &JsonConfig) -> Result<Self, (String, String)> {
        let input = match (&config.script, &config.assign) {
            (Some(_), Some(_)) => return Err(("script".to_owned(), "give `script` or `assign`, not both".to_owned())),
            (Some(s), None) => {
                let (sel, attr) = match s.rsplit_once('@') {
                    Some((sel, attr))
                        if !attr.is_empty()
                            && attr.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':')) =>
                    {
                        (sel, Some(attr.to_owned()))
                    }
                    _ => (s.as_str(), None),
                };
                Input::Script(super::css::parse_selector(sel).map_err(|e| ("script".to_owned(), e))?, attr)
            }
            (None, Some(a)) if !a.trim().is_empty() => Input::Assign(a.trim().to_owned()),
            (None, Some(_)) => return Err(("assign".to_owned(), "is empty".to_owned())),
            (None, None) => Input::Body,
        };
        let items = path(&config.items).map_err(|e| ("items".to_owned(), e))?;
        let many = |list: &[CondConfig], key: &str| {
            list.iter().map(Cond::compile).collect::<Result<Vec<_>, _>>().map_err(|e| (key.to_owned(), e))
        };
        let skip = many(&config.skip, "skip")?;
        let require = many(&config.require, "require")?;
        let error = config.error.as_deref().map(path).transpose().map_err(|e| ("error".to_owned(), e))?;
        let mut fields = BTreeMap::new();
        for name in FIELDS {
            let Some(spec) = config.field(name) else { continue };
            fields.insert(*name, JsonField::compile(name, spec, "json").map_err(|e| ((*name).to_owned(), e))?);
        }
        if !fields.contains_key("url") {
            return Err((
                "url".to_owned(),
                "is required: every listing needs its link (alerts open it; `id` alone is not enough; \
                 build it from the id with a `template`)"
                    .to_owned(),
            ));
        }
        Ok(Self { input, items, items_src: config.items.clone(), skip, require, error, fields })
    }

    /// The fields this configuration reads.
    pub fn field_names(&self) -> Vec<&'static str> {
        self.fields.keys().copied().collect()
    }

    /// Why `page` gave no listings, in the operator's words.
    pub fn explain_empty(&self, page: Page<'_>) -> String {
        if matches!(self.input, Input::Body) && looks_like_html(page.body) {
            return "this is an HTML page: a json source reads JSON embedded in a page with `script` (a selector \
                    of the element holding it) or `assign` (the variable it is assigned to)"
                .to_owned();
        }
        let doc = match (self.document(page), &self.input) {
            (Ok(doc), _) => doc,
            (Err(JsonProblem::NotJson(_)), Input::Assign(name)) => {
                return format!("assign: no `{name} =` with a JSON value in any script of the page");
            }
            (Err(JsonProblem::NotJson(why)), _) => return why,
            (Err(JsonProblem::Error(message)), _) => return format!("the site answered: {message}"),
        };
        let items = self.items.query(&doc).all();
        if items.is_empty() {
            let keys = match &doc {
                Value::Object(map) => map.keys().take(20).map(String::as_str).collect::<Vec<_>>().join(", "),
                Value::Array(a) => format!("none: the answer is an array of {}", a.len()),
                _ => "none: the answer is not an object".to_owned(),
            };
            return format!("items: the path `{}` matched nothing (top-level keys: {keys})", self.items_src);
        }
        let wanted = items.iter().filter(|i| self.wanted(i)).count();
        format!(
            "{} items matched, {} left out by skip/require, {wanted} dropped: no url (the `url` field found nothing on them)",
            items.len(),
            items.len() - wanted
        )
    }

    /// Whether the answer itself is JSON (an API), not an HTML page.
    pub fn reads_body(&self) -> bool {
        matches!(self.input, Input::Body)
    }

    /// The JSON document of `page`.
    pub fn document(&self, page: Page<'_>) -> Result<Value, JsonProblem> {
        match &self.input {
            Input::Body => serde_json::from_str(page.body.trim_start_matches('\u{feff}'))
                .map_err(|e| JsonProblem::NotJson(format!("the answer is not JSON ({e})"))),
            Input::Assign(name) => assigned(page.body, name)
                .ok_or_else(|| JsonProblem::NotJson(format!("no JSON value assigned to {name} in the page"))),
            Input::Script(sel, attr) => {
                let doc = super::parse_html(page.body, &Prune { keep_scripts: true, ..Prune::default() })
                    .map_err(JsonProblem::NotJson)?;
                doc.select(sel)
                    .find_map(|el| {
                        let text: String = match attr {
                            Some(attr) => el.attr(attr)?.to_owned(),
                            None => el.text().collect(),
                        };
                        serde_json::from_str(text.trim()).ok()
                    })
                    .ok_or_else(|| JsonProblem::NotJson("no element with JSON matches `script`".to_owned()))
            }
        }
    }

    /// Reads the listings of `doc`, and how many items it held before
    /// `skip`/`require` (numbered pages end at a page with none).
    pub fn extract_value(&self, doc: &Value) -> Result<(Parsed, usize), JsonProblem> {
        let mut items: Vec<&Value> = self.items.query(doc).all();
        items.truncate(MAX_ITEMS);
        if items.is_empty()
            && let Some(error) = &self.error
            && let Some(message) = error.query(doc).iter().find_map(|v| text(v))
        {
            return Err(JsonProblem::Error(clean_text(&message, 200)));
        }
        let count = items.len();
        let listings = items.into_iter().filter(|item| self.wanted(item)).map(|item| self.listing(item)).collect();
        Ok((Parsed { listings, next_page: None }, count))
    }

    fn wanted(&self, item: &Value) -> bool {
        !self.skip.iter().any(|c| c.holds(item)) && self.require.iter().all(|c| c.holds(item))
    }

    fn listing(&self, item: &Value) -> RawListing {
        let lookup = |name: &str| dotted(item, name).and_then(text);
        let get = |name: &str| -> Option<String> {
            let f = self.fields.get(name)?;
            if let Some(value) = &f.value {
                return f.process.apply(Some(value.clone()), &lookup);
            }
            // Of every value the paths find (in turn), the first the
            // processing accepts ("the attribute that is a price").
            let values = f.paths.iter().flat_map(|p| p.query(item).all().into_iter().take(MAX_VALUES)).map(text);
            f.process.apply_first(values, &lookup)
        };
        // A JSON number read unchanged is used as a number.
        let number = |name: &str| -> Option<f64> {
            let f = self.fields.get(name)?;
            if !f.process.is_identity() || f.value.is_some() {
                return None;
            }
            f.paths.iter().find_map(|p| p.query(item).iter().find_map(|v| v.as_f64()))
        };
        // Every value of the first path that has any, each processed.
        let all = |name: &str| -> Vec<String> {
            let Some(f) = self.fields.get(name) else { return Vec::new() };
            f.paths
                .iter()
                .map(|p| {
                    let values = p.query(item).all().into_iter().take(MAX_VALUES);
                    values.filter_map(|v| f.process.apply(text(v), &lookup)).collect::<Vec<_>>()
                })
                .find(|values| !values.is_empty())
                .unwrap_or_default()
        };
        RawListing {
            price_value: number("price"),
            rooms_value: number("rooms").filter(|r| (0.0..=100.0).contains(r)),
            area_value: number("area"),
            ..raw_listing(get, all)
        }
    }

    /// Reads `page` (the JSON answer, or the HTML page holding the JSON).
    pub fn extract(&self, page: Page<'_>) -> Result<(Parsed, usize), JsonProblem> {
        self.extract_value(&self.document(page)?)
    }
}

/// Most values read for a field with several (`photos`).
const MAX_VALUES: usize = 50;

/// A value as text: strings trimmed, whole numbers without ".0", the first
/// usable element of an array; objects and null are no value.
pub(super) fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Some(i.to_string()),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", f as i64)),
            (None, Some(f)) => Some(f.to_string()),
            _ => None,
        },
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => items.iter().find_map(text),
        Value::Object(_) | Value::Null => None,
    }
}

/// Whether a value found by `skip`/`require` counts: not null, false or "".
fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false)) && v.as_str() != Some("")
}

/// `a.b.0.c` in `item`.
fn dotted<'a>(item: &'a Value, name: &str) -> Option<&'a Value> {
    name.split('.').try_fold(item, |v, key| match v {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// The JSON value assigned to `name` in `body` (`window.X = {…};`,
/// `var state = […]`, `window.X = JSON.parse("…")`), parsed without running
/// any JavaScript. A JavaScript object literal that is not strict JSON
/// (unquoted keys, single quotes, trailing commas, comments) is read as JSON5.
pub fn assigned(body: &str, name: &str) -> Option<Value> {
    let mut from = 0;
    while let Some(at) = body[from..].find(name) {
        let end = from + at + name.len();
        from = end;
        let rest = body[end..].trim_start();
        // `window["name"] =`: past the closing quote and bracket.
        let rest = ["\"]", "']"].iter().find_map(|close| rest.strip_prefix(close)).unwrap_or(rest).trim_start();
        // `name =`, not `name ==` or `name.other`.
        let Some(rest) = rest.strip_prefix('=').filter(|r| !r.starts_with('=')) else { continue };
        let rest = rest.trim_start();
        // JSON.parse("…") around the value: the string holds the JSON.
        if let Some(inner) = rest.strip_prefix("JSON.parse(") {
            let mut de = serde_json::Deserializer::from_str(inner.trim_start()).into_iter::<String>();
            if let Some(Ok(json)) = de.next()
                && let Ok(value) = serde_json::from_str(&json)
            {
                return Some(value);
            }
            continue;
        }
        if let Some(value) = literal_at(rest).filter(|v| v.is_object() || v.is_array()) {
            return Some(value);
        }
    }
    None
}

/// The object or array literal `text` starts with: strict JSON first, then
/// the balanced literal as JSON5.
fn literal_at(text: &str) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    if let Some(Ok(value)) = de.next() {
        return Some(value);
    }
    let end = balanced_end(text)?;
    json5::from_str::<Value>(&text[..end]).ok()
}

/// Deepest nesting of a literal handed to the (recursive) JSON5 parser:
/// serde_json's own limit, so no literal can exhaust a thread's stack.
pub const MAX_NESTING: usize = 128;

/// The byte index just after the bracket closing the one `text` starts
/// with, skipping strings (either quote, with escapes) and comments. `None`
/// when it never closes or nests deeper than [`MAX_NESTING`].
fn balanced_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    if !matches!(bytes.first(), Some(b'{' | b'[')) {
        return None;
    }
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return None;
                }
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            quote @ (b'"' | b'\'' | b'`') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            _ => (),
        }
        i += 1;
    }
    None
}

/// Whether `body` is an HTML page rather than JSON (a wall in place of an API answer).
pub fn looks_like_html(body: &str) -> bool {
    let head = body.trim_start().get(..200.min(body.trim_start().len())).unwrap_or_default().to_lowercase();
    head.starts_with('<') || head.contains("<html")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml_table: &str) -> JsonSpec {
        let config: JsonConfig = toml::from_str(toml_table).unwrap();
        JsonSpec::compile(&config).unwrap()
    }

    #[test]
    fn assignments_are_found_without_javascript() {
        let body = r#"<script>var x = 1; window.IS24 == null; window.IS24 = {"a": [1, 2], "s": "};"};
            foo();</script>"#;
        assert_eq!(assigned(body, "window.IS24").unwrap()["a"][1], 2);
        let body = r#"<script>window.__STATE__ = JSON.parse("{\"k\": \"v\"}");</script>"#;
        assert_eq!(assigned(body, "window.__STATE__").unwrap()["k"], "v");
        assert!(assigned("window.X = function() {}", "window.X").is_none());
        // A bracketed name, as immowelt's exposés write their state.
        let body = r#"<script>window["__S__"]=JSON.parse("{\"k\": 2}");</script>"#;
        assert_eq!(assigned(body, "__S__").unwrap()["k"], 2);
        assert_eq!(assigned("window['X'] = [1]", "X").unwrap()[0], 1);
        // A JavaScript object literal, not strict JSON.
        let body = "<script>window.IS24 = { resultList: { entries: [ { id: 7, title: 'Hell & \\'ruhig\\'', }, ], }, // note\n other: \"}\" };</script>";
        let value = assigned(body, "window.IS24").unwrap();
        assert_eq!(value["resultList"]["entries"][0]["id"], 7);
        assert_eq!(value["resultList"]["entries"][0]["title"], "Hell & 'ruhig'");
    }

    #[test]
    fn items_fields_skip_and_require() {
        let s = spec(
            r#"
            items = "$.data.list[*]"
            skip = ["$.ad"]
            require = [{ path = "$.kind", equals = "Rent" }]
            id = "$.id"
            url = { path = "$.id", template = "https://x.example/{}-{slug}" }
            price = "$.price.amount"
            rooms = "$.rooms"
            title = ["$.title", "$.name"]
            "#,
        );
        let doc: Value = serde_json::from_str(
            r#"{"data": {"list": [
                {"id": 1, "slug": "a", "kind": "rent", "price": {"amount": 1200.0}, "rooms": 0, "name": "Studio"},
                {"id": 2, "slug": "b", "kind": "rent", "ad": true},
                {"id": 3, "slug": "c", "kind": "sale"},
                {"id": 4, "kind": "rent", "ad": false, "title": "T"}
            ]}}"#,
        )
        .unwrap();
        let (parsed, items) = s.extract_value(&doc).unwrap();
        assert_eq!(items, 4, "skipped items count as items");
        let ids: Vec<_> = parsed.listings.iter().map(|l| l.id.clone().unwrap()).collect();
        assert_eq!(ids, vec!["1", "4"]);
        let first = &parsed.listings[0];
        assert_eq!(first.url.as_deref(), Some("https://x.example/1-a"));
        assert_eq!(first.price_value, Some(1200.0));
        assert_eq!(first.rooms_value, Some(0.0));
        assert_eq!(first.title.as_deref(), Some("Studio"));
        assert_eq!(parsed.listings[1].url, None, "no slug: no half-built URL");
    }

    #[test]
    fn an_error_answer_is_reported() {
        let s = spec("items = \"$.hits[*]\"\nerror = \"$.message\"\nid = \"$.id\"\nurl = \"$.url\"");
        let doc: Value = serde_json::from_str(r#"{"message": "Invalid API key", "status": 403}"#).unwrap();
        assert!(matches!(s.extract_value(&doc), Err(JsonProblem::Error(m)) if m == "Invalid API key"));
    }

    #[test]
    fn bad_paths_name_the_field() {
        let config: JsonConfig = toml::from_str("items = \"$.a[\"\nid = \"$.id\"").unwrap();
        assert_eq!(JsonSpec::compile(&config).unwrap_err().0, "items");
        let config: JsonConfig = toml::from_str("items = \"$.a\"\nid = \"$..[\"").unwrap();
        assert_eq!(JsonSpec::compile(&config).unwrap_err().0, "id");
        let config: JsonConfig = toml::from_str("items = \"$.a\"\nid = { sel = \"a\" }").unwrap();
        assert_eq!(JsonSpec::compile(&config).unwrap_err().0, "id");
    }
}
