//! `[[channels]]` of the sources file: public channels that every new
//! listing matching their sources and filter is posted to, each post with an
//! "🔔 Alerts like this" button (a deep link opening the bot's wizard filled
//! from that listing), so a reader becomes a subscriber.
//!
//! ```toml
//! [[channels]]
//! chat = "@dubai_flats"
//! sources = ["bayut"]
//! filter = "price=-12000 rooms=1-3"   # optional, the one-line search syntax
//! language = "en"                      # optional: en (default) or ru
//! ```

use std::collections::HashSet;

use serde::Deserialize;
use toml::{Table, Value};

use super::{listing::Listing, sources::SourcesError};
use crate::search::{ListingView, SearchFilter, syntax};

/// One validated channel.
#[derive(Debug, Clone)]
pub struct ChannelConfig {
    /// `@name`: a public channel's username.
    pub chat: String,
    /// The sources whose listings it gets.
    pub sources: Vec<String>,
    /// Which of their new listings it gets (everything when empty).
    pub filter: SearchFilter,
    /// The language of its posts: `en` or `ru`.
    pub language: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    chat: String,
    sources: Vec<String>,
    filter: Option<String>,
    language: Option<String>,
}

/// Validates the `[[channels]]` of a sources file's text: a public
/// channel's `@username` (5–32 letters, digits or `_`), once each; known,
/// non-empty `sources`; a `filter` the search syntax accepts; `en` or `ru`.
pub fn parse(text: &str, sources: &[String]) -> Result<Vec<ChannelConfig>, SourcesError> {
    let toml_err = |reason: String| SourcesError::Toml { path: String::new(), reason };
    let mut file: Table = text.parse().map_err(|e: toml::de::Error| toml_err(e.to_string()))?;
    let items = match file.remove("channels") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(toml_err("`channels` must be an array of tables ([[channels]])".to_owned())),
    };
    let mut seen = HashSet::new();
    let mut channels = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let raw: RawChannel = item.try_into().map_err(|e: toml::de::Error| toml_err(format!("channels[{i}]: {e}")))?;
        let invalid = |field: &str, problem: String| SourcesError::Channel {
            chat: raw.chat.clone(),
            field: field.to_owned(),
            problem,
        };
        let name = raw.chat.strip_prefix('@').unwrap_or_default();
        let valid_name = (5..=32).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
        if !valid_name {
            return Err(invalid("chat", "must be a public channel's @username (5–32 letters, digits or _)".into()));
        }
        if !seen.insert(name.to_ascii_lowercase()) {
            return Err(invalid("chat", "listed twice".into()));
        }
        if raw.sources.is_empty() {
            return Err(invalid("sources", "names no source".into()));
        }
        if let Some(unknown) = raw.sources.iter().find(|s| !sources.contains(s)) {
            return Err(invalid("sources", format!("no source named {unknown:?} in this file")));
        }
        let filter = match raw.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            None => SearchFilter::default(),
            Some(line) => syntax::parse(line, sources).map_err(|e| invalid("filter", e.to_string()))?,
        };
        let language = raw.language.clone().unwrap_or_else(|| "en".to_owned());
        if !["en", "ru"].contains(&language.as_str()) {
            return Err(invalid("language", "must be en or ru".into()));
        }
        channels.push(ChannelConfig { chat: raw.chat.clone(), sources: raw.sources, filter, language });
    }
    Ok(channels)
}

/// The (listing id, channel) posts a run of `source` makes of its new
/// listings (stored ids): each listing to every channel of that source whose
/// filter it matches.
pub fn posts(channels: &[ChannelConfig], source: &str, new_listings: &[(i64, &Listing)]) -> Vec<(i64, String)> {
    let mut posts = Vec::new();
    for channel in channels.iter().filter(|c| c.sources.iter().any(|s| s == source)) {
        for (id, l) in new_listings {
            if channel.filter.matches(&ListingView::of_listing(source, l)) {
                posts.push((*id, channel.chat.clone()));
            }
        }
    }
    posts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scraper::normalize::Period;

    fn names() -> Vec<String> {
        vec!["bayut".to_owned(), "wg".to_owned()]
    }

    fn flat(price: i64, rooms: f64) -> Listing {
        Listing {
            source: "bayut".into(),
            id: format!("{price}"),
            url: "https://www.bayut.com/x".into(),
            title: "Flat".into(),
            title_is_fallback: false,
            price: Some(price as f64),
            currency: Some("AED".into()),
            period: Some(Period::Month),
            monthly_price: Some(price),
            rooms: Some(rooms),
            area_m2: None,
            district: Some("Dubai Marina".into()),
            photo: None,
            photos: Vec::new(),
            description: None,
            furnished: None,
            phone: None,
            lat: None,
            lon: None,
        }
    }

    #[test]
    fn a_channel_gets_the_new_listings_of_its_sources_that_pass_its_filter() {
        let text = r#"
            [[channels]]
            chat = "@dubai_flats"
            sources = ["bayut"]
            filter = "price=-10000 rooms=1-2"
            [[channels]]
            chat = "@all_of_wg"
            sources = ["wg"]
            language = "ru"
        "#;
        let channels = parse(text, &names()).unwrap();
        assert_eq!(channels.len(), 2);
        assert_eq!((channels[1].chat.as_str(), channels[1].language.as_str()), ("@all_of_wg", "ru"));
        let (cheap, dear, big) = (flat(9000, 2.0), flat(11000, 2.0), flat(9000, 4.0));
        let new = [(1, &cheap), (2, &dear), (3, &big)];
        assert_eq!(posts(&channels, "bayut", &new), vec![(1, "@dubai_flats".to_owned())]);
        assert_eq!(posts(&channels, "wg", &new).len(), 3, "no filter: everything of its source");
        assert!(posts(&channels, "other", &new).is_empty());
    }

    #[test]
    fn a_bad_channel_is_refused_naming_the_channel_and_field() {
        let cases = [
            (r#"chat = "dubai_flats""#, "chat"),
            (r#"chat = "@abc""#, "chat"),
            (r#"chat = "@dubai-flats""#, "chat"),
            (
                r#"chat = "@dubai_flats"
                sources = []"#,
                "sources",
            ),
            (
                r#"chat = "@dubai_flats"
                sources = ["nope"]"#,
                "nope",
            ),
            (
                r#"chat = "@dubai_flats"
                sources = ["bayut"]
                filter = "price=abc""#,
                "filter",
            ),
            (
                r#"chat = "@dubai_flats"
                sources = ["bayut"]
                language = "de""#,
                "language",
            ),
        ];
        for (body, expected) in cases {
            let body =
                if body.contains("sources") { body.to_owned() } else { format!("{body}\nsources = [\"bayut\"]") };
            let err = parse(&format!("[[channels]]\n{body}"), &names()).unwrap_err().to_string();
            assert!(err.contains(expected), "{body}: {err}");
        }
        let twice = "[[channels]]\nchat = \"@Dubai_Flats\"\nsources = [\"bayut\"]\n[[channels]]\nchat = \"@dubai_flats\"\nsources = [\"bayut\"]";
        assert!(parse(twice, &names()).unwrap_err().to_string().contains("listed twice"));
        let unknown = "[[channels]]\nchat = \"@dubai_flats\"\nsources = [\"bayut\"]\ntopic = 1";
        assert!(parse(unknown, &names()).unwrap_err().to_string().contains("topic"));
    }
}
