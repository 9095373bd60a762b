//! One field of a configured source, for every kind: where its value comes
//! from (CSS selectors, or JSONPath queries for JSON), tried in turn, then
//! optional processing.
//!
//! In the sources file a field is either a short string (`"h3 a@href"`,
//! `"$.price"`) or a table:
//!
//! ```toml
//! rooms = { sel = [".facts", ".summary"], regex = '(\d+(?:,\d+)?)-Zimmer' }
//! period = { path = "$.rentFrequency", map = { monthly = "month", yearly = "year" }, default = "year" }
//! url = { path = "$.externalID", template = "https://www.bayut.com/property/details-{}.html" }
//! currency = { value = "AED" }
//! photo = { sel = ".card_image a@style" }   # a style attribute gives the url(…) inside it
//! photos = { path = "$.photoIDs[*]", template = "https://img.example/{}.jpg" }
//! ```
//!
//! `photos` is the one field with several values: every match of its
//! first selector or path that has any, each processed.
//!
//! Processing, in this order: `not` (a value matching this regex is no
//! value), `regex` (capture group 1, or the whole match; several are
//! tried in turn; no match is no value), `map` (exact, case-insensitive; an
//! unmapped value is kept, or replaced by `else` when given), `default`
//! (when there is still no value), `template` (`{}` is the value; in JSON
//! sources `{name}` is the item's field `name`, dotted for nesting).
//!
//! The values a `period` field can give (`value`, `map` targets, `else`,
//! `default`) are checked at load: each must be month, week, day, year or
//! total.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;

/// One string or several, tried in turn.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// A field as written in the sources file.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldConfig {
    Short(String),
    /// Several selectors or paths, tried in turn.
    List(Vec<String>),
    Full(Box<FieldTable>),
}

impl<'de> Deserialize<'de> for FieldConfig {
    /// A string, a list of strings, or a table read strictly, so a typo in
    /// a table names the unknown key instead of "no variant matched".
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Short(String),
            List(Vec<String>),
            Table(toml::Table),
            Other(toml::Value),
        }
        match Raw::deserialize(d)? {
            Raw::Short(s) => Ok(FieldConfig::Short(s)),
            Raw::List(l) => Ok(FieldConfig::List(l)),
            Raw::Table(t) => FieldTable::deserialize(toml::Value::Table(t))
                .map(|t| FieldConfig::Full(Box::new(t)))
                .map_err(|e| serde::de::Error::custom(e.message())),
            Raw::Other(v) => Err(serde::de::Error::custom(format!(
                "{v} is not a selector or path, a list of them, or a table such as {{ sel = \"…\", regex = \"…\" }}"
            ))),
        }
    }
}

/// The table form of a field.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FieldTable {
    /// CSS sources: selectors (`"SEL"`, `"SEL@attr"`, `"@attr"`), tried in turn.
    pub sel: Option<OneOrMany>,
    /// JSON sources: JSONPath queries (RFC 9535) from the item, tried in turn.
    pub path: Option<OneOrMany>,
    /// A fixed value (no selector or path needed).
    pub value: Option<String>,
    /// One regex, or several tried in turn (the first that matches).
    pub regex: Option<OneOrMany>,
    pub not: Option<String>,
    pub map: Option<BTreeMap<String, String>>,
    /// With `map`: what an unmapped value becomes (without it, it is kept).
    #[serde(rename = "else")]
    pub otherwise: Option<String>,
    pub default: Option<String>,
    pub template: Option<String>,
}

impl FieldConfig {
    /// Checks the fixed values field `name` can give: a `period` field's
    /// must each be a period. The error names the key and the value.
    pub fn check_values(&self, name: &str) -> Result<(), String> {
        let FieldConfig::Full(t) = self else { return Ok(()) };
        if t.otherwise.is_some() && t.map.is_none() {
            return Err("`else` needs a `map`".to_owned());
        }
        if name != "period" {
            return Ok(());
        }
        let targets = t.map.iter().flat_map(|m| m.values().map(|v| ("map", v)));
        let fixed = [("value", &t.value), ("else", &t.otherwise), ("default", &t.default)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)));
        for (key, value) in targets.chain(fixed) {
            if crate::scraper::normalize::Period::parse(&value.trim().to_lowercase()).is_none() {
                return Err(format!("`{key}` gives {value:?}, which is not month, week, day, year or total"));
            }
        }
        Ok(())
    }

    /// The selectors or paths (`sel` and `path` are the same slot), the
    /// fixed value, and the processing.
    pub fn split(&self) -> Result<(Vec<String>, Option<String>, Process), String> {
        match self {
            FieldConfig::Short(s) => Ok((vec![s.clone()], None, Process::default())),
            FieldConfig::List(list) if list.is_empty() => Err("an empty list".to_owned()),
            FieldConfig::List(list) => Ok((list.clone(), None, Process::default())),
            FieldConfig::Full(t) => {
                if t.sel.is_some() && t.path.is_some() {
                    return Err("give `sel` (CSS) or `path` (JSON), not both".to_owned());
                }
                let from: Vec<String> = t
                    .sel
                    .as_ref()
                    .or(t.path.as_ref())
                    .map(|s| s.items().into_iter().map(str::to_owned).collect())
                    .unwrap_or_default();
                if from.is_empty() && t.value.is_none() && t.default.is_none() {
                    return Err("needs `sel`/`path`, a fixed `value` or a `default`".to_owned());
                }
                let compile =
                    |r: &str, key: &str| Regex::new(r).map_err(|e| format!("`{key}` {r:?} is not a valid regex: {e}"));
                let regex = match &t.regex {
                    None => Vec::new(),
                    Some(list) => list.items().into_iter().map(|r| compile(r, "regex")).collect::<Result<_, _>>()?,
                };
                let process = Process {
                    regex,
                    not: t.not.as_deref().map(|r| compile(r, "not")).transpose()?,
                    map: t.map.as_ref().map(|m| m.iter().map(|(k, v)| (k.trim().to_lowercase(), v.clone())).collect()),
                    otherwise: t.otherwise.clone(),
                    default: t.default.clone(),
                    template: t.template.clone(),
                };
                Ok((from, t.value.clone(), process))
            }
        }
    }
}

/// Processing applied to a field's raw value.
#[derive(Debug, Clone, Default)]
pub struct Process {
    regex: Vec<Regex>,
    not: Option<Regex>,
    map: Option<BTreeMap<String, String>>,
    otherwise: Option<String>,
    default: Option<String>,
    template: Option<String>,
}

impl Process {
    /// Whether the value goes through unchanged (a JSON number may then be
    /// used as a number).
    pub fn is_identity(&self) -> bool {
        self.regex.is_empty() && self.map.is_none() && self.template.is_none() && self.not.is_none()
    }

    /// Applies the processing to `raw`; `lookup` answers `{name}` in a template.
    pub fn apply(&self, raw: Option<String>, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        self.finish(self.transform(raw), lookup)
    }

    /// The processing of the first of `values` that `not`, `regex` and `map`
    /// accept (a path matching several values: "the one that is a price"),
    /// then `default` and `template`.
    pub fn apply_first(
        &self,
        values: impl IntoIterator<Item = Option<String>>,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Option<String> {
        self.finish(values.into_iter().find_map(|v| self.transform(v)), lookup)
    }

    /// `not`, `regex` and `map`.
    fn transform(&self, raw: Option<String>) -> Option<String> {
        let mut value = raw.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        if let (Some(not), Some(v)) = (&self.not, &value)
            && not.is_match(v)
        {
            value = None;
        }
        if let (false, Some(v)) = (self.regex.is_empty(), &value) {
            value = self.regex.iter().find_map(|re| {
                re.captures(v)
                    .and_then(|c| c.get(1).or_else(|| c.get(0)))
                    .map(|m| m.as_str().trim().to_owned())
                    .filter(|v| !v.is_empty())
            });
        }
        if let (Some(map), Some(v)) = (&self.map, &value) {
            match map.get(&v.to_lowercase()) {
                Some(mapped) => value = Some(mapped.clone()),
                None if self.otherwise.is_some() => value = self.otherwise.clone(),
                None => (),
            }
        }
        value
    }

    /// `default` and `template`.
    fn finish(&self, mut value: Option<String>, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        if value.is_none() {
            value = self.default.clone();
        }
        match (&self.template, value) {
            (Some(template), Some(v)) => fill_template(template, &v, lookup),
            (_, value) => value,
        }
    }

    /// The names a template reads besides `{}`.
    pub fn template_names(&self) -> Vec<String> {
        self.template.as_deref().map(template_names).unwrap_or_default()
    }
}

/// `{}` → `value`, `{name}` → `lookup(name)`; a name without a value makes
/// the whole field empty (a half-built URL is worse than none).
fn fill_template(template: &str, value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::with_capacity(template.len() + value.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return Some(out);
        };
        let name = &after[..close];
        if name.is_empty() {
            out.push_str(value);
        } else {
            out.push_str(&lookup(name)?);
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

fn template_names(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        if close > 0 {
            names.push(after[..close].to_owned());
        }
        rest = &after[close + 1..];
    }
    names
}

/// A raw listing from the text value of each field in [`FIELDS`] (`get`
/// answers a field's processed value; `all` every value of a field that
/// lists several, `photos`): what css and json sources share.
pub fn raw_listing(
    get: impl Fn(&str) -> Option<String>,
    all: impl Fn(&str) -> Vec<String>,
) -> crate::scraper::listing::RawListing {
    crate::scraper::listing::RawListing {
        id: get("id"),
        url: get("url"),
        title: get("title"),
        price: get("price"),
        currency: get("currency"),
        period: get("period").and_then(|p| crate::scraper::normalize::Period::parse(&p.to_lowercase())),
        rooms: get("rooms"),
        area: get("area"),
        district: get("district"),
        photo: get("photo"),
        photos: all("photos"),
        description: get("description"),
        furnished: get("furnished").and_then(|f| parse_flag(&f)),
        phone: get("phone"),
        lat: get("lat"),
        lon: get("lon"),
        geo: get("geo"),
        ..Default::default()
    }
}

/// Reads "yes"/"no"-like text as a furnishing flag.
pub fn parse_flag(text: &str) -> Option<bool> {
    let t = text.trim().to_lowercase();
    match t.as_str() {
        "true" | "yes" | "1" | "furnished" | "y" | "ja" | "да" | "möbliert" => Some(true),
        "false" | "no" | "0" | "unfurnished" | "n" | "nein" | "нет" | "unmöbliert" => Some(false),
        _ => None,
    }
}

/// The names of every field a source may read, in output order.
pub const FIELDS: &[&str] = &[
    "id",
    "url",
    "title",
    "price",
    "currency",
    "period",
    "rooms",
    "area",
    "district",
    "photo",
    "photos",
    "description",
    "furnished",
    "phone",
    "lat",
    "lon",
    "geo",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn process(toml_field: &str) -> (Vec<String>, Option<String>, Process) {
        #[derive(Deserialize)]
        struct T {
            f: FieldConfig,
        }
        let t: T = toml::from_str(&format!("f = {toml_field}")).unwrap();
        t.f.split().unwrap()
    }

    #[test]
    fn processing_in_order() {
        let none = |_: &str| None;
        let (from, _, p) = process(r#"{ sel = [".a", ".b"], regex = '(\d+)-Zimmer' }"#);
        assert_eq!(from, vec![".a", ".b"]);
        assert_eq!(p.apply(Some("3-Zimmer-Wohnung | Berlin".into()), &none).as_deref(), Some("3"));
        assert_eq!(p.apply(Some("3er WG | Berlin".into()), &none), None);
        let (_, _, p) = process(r#"{ path = "$.f", map = { Monthly = "month" }, default = "year" }"#);
        assert_eq!(p.apply(Some("monthly".into()), &none).as_deref(), Some("month"));
        assert_eq!(p.apply(Some("weekly".into()), &none).as_deref(), Some("weekly"));
        assert_eq!(p.apply(None, &none).as_deref(), Some("year"));
        let (_, _, p) = process(r#"{ path = "$.id", template = "https://x.example/{}/{slug}.html" }"#);
        let lookup = |n: &str| (n == "slug").then(|| "flat".to_owned());
        assert_eq!(p.apply(Some("42".into()), &lookup).as_deref(), Some("https://x.example/42/flat.html"));
        assert_eq!(p.template_names(), vec!["slug"]);
        assert_eq!(p.apply(Some("42".into()), &none), None, "a template missing a name gives no value");
        let (_, _, p) = process(r#"{ sel = "img@src", not = 'placeholder' }"#);
        assert_eq!(p.apply(Some("/img/placeholder.png".into()), &none), None);
        let (_, _, p) = process(r#"{ sel = ".loc", regex = ['^[^,]*,\s*([^,]+)', '^([^,]+)'] }"#);
        assert_eq!(p.apply(Some("Warszawa, Mokotów".into()), &none).as_deref(), Some("Mokotów"));
        assert_eq!(p.apply(Some("Warszawa".into()), &none).as_deref(), Some("Warszawa"));
        let (_, value, _) = process(r#"{ value = "AED" }"#);
        assert_eq!(value.as_deref(), Some("AED"));
    }

    #[test]
    fn map_else_and_period_values() {
        let (_, _, p) =
            process(r#"{ sel = "@href", regex = '-(\d+)-\d+$', map = { "203" = "month" }, else = "total" }"#);
        let none = |_: &str| None;
        assert_eq!(p.apply(Some("/s-anzeige/x/1-203-21".into()), &none).as_deref(), Some("month"));
        assert_eq!(p.apply(Some("/s-anzeige/x/1-196-21".into()), &none).as_deref(), Some("total"));
        assert_eq!(p.apply(Some("/no-category".into()), &none), None, "no value: not `else`");
        let check = |toml_field: &str, name: &str| {
            #[derive(Deserialize)]
            struct T {
                f: FieldConfig,
            }
            toml::from_str::<T>(&format!("f = {toml_field}")).unwrap().f.check_values(name)
        };
        assert!(check(r#"{ path = "$.f", map = { m = "month", y = "year" }, default = "total" }"#, "period").is_ok());
        let e = check(r#"{ path = "$.f", map = { m = "monthly" } }"#, "period").unwrap_err();
        assert!(e.contains("`map`") && e.contains("monthly"), "{e}");
        let e = check(r#"{ path = "$.f", map = { m = "month" }, else = "sometimes" }"#, "period").unwrap_err();
        assert!(e.contains("`else`") && e.contains("sometimes"), "{e}");
        assert!(check(r#"{ value = "weekly" }"#, "period").is_err());
        assert!(check(r#"{ path = "$.f", map = { m = "monthly" } }"#, "title").is_ok(), "only period is checked");
        assert!(check(r#"{ path = "$.f", else = "x" }"#, "title").is_err(), "`else` needs a map");
    }

    #[test]
    fn bad_fields_are_refused() {
        #[derive(Deserialize)]
        struct T {
            f: FieldConfig,
        }
        let split = |s: &str| {
            toml::from_str::<T>(&format!("f = {s}")).map_err(|e| e.to_string()).and_then(|t| t.f.split().map(|_| ()))
        };
        assert!(split(r#"{ regex = "(" , sel = "a" }"#).unwrap_err().contains("regex"));
        assert!(split(r#"{ sel = "a", path = "$.a" }"#).is_err());
        assert!(split(r#"{ map = { a = "b" } }"#).is_err());
        let typo = split(r#"{ sel = "a", regx = "(x)" }"#).unwrap_err();
        assert!(typo.contains("unknown field `regx`"), "{typo}");
        assert!(split("42").unwrap_err().contains("not a selector"));
    }
}
