//! `kind = "css"`: any site described by selectors.
//!
//! A field is `"SEL"` (text of the first match), `"SEL@attr"` (an attribute of
//! the first match that has it) or `"@attr"` (an attribute of the card).

use std::collections::BTreeMap;

use scraper::{ElementRef, Html, Selector};
use serde::Deserialize;

use super::{Page, Parsed, own_attr, sel_attr, sel_text, text_of};
use crate::scraper::listing::RawListing;

/// The `[sources.css]` table as written in the sources file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CssConfig {
    pub card: String,
    pub id: Option<String>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub price: Option<String>,
    pub rooms: Option<String>,
    pub area: Option<String>,
    pub district: Option<String>,
    pub photo: Option<String>,
    pub description: Option<String>,
    pub next_page: Option<String>,
}

/// One compiled field selector.
#[derive(Debug, Clone)]
pub struct Field {
    selector: Option<Selector>,
    attr: Option<String>,
}

impl Field {
    /// Compiles `"SEL"`, `"SEL@attr"` or `"@attr"`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let spec = spec.trim();
        let (sel, attr) = match spec.rfind('@') {
            // An "@" inside brackets belongs to the selector (a[href*="@"]).
            Some(at) if !spec[at..].contains(']') => (&spec[..at], Some(spec[at + 1..].trim())),
            _ => (spec, None),
        };
        if attr.is_some_and(str::is_empty) {
            return Err(format!("{spec:?}: nothing after '@'"));
        }
        let sel = sel.trim();
        let selector = if sel.is_empty() {
            if attr.is_none() {
                return Err("empty selector".to_owned());
            }
            None
        } else {
            Some(Selector::parse(sel).map_err(|e| format!("{sel:?} is not a valid CSS selector: {e}"))?)
        };
        Ok(Self { selector, attr: attr.map(str::to_owned) })
    }

    /// The field's value on `card`.
    pub fn get(&self, card: ElementRef<'_>) -> Option<String> {
        match (&self.selector, &self.attr) {
            (None, Some(attr)) => own_attr(card, attr),
            (Some(sel), Some(attr)) => sel_attr(card, sel, attr),
            (Some(sel), None) => sel_text(card, sel),
            (None, None) => None,
        }
    }

    /// The field's value anywhere in the document (for `next_page`).
    fn get_in(&self, doc: &Html) -> Option<String> {
        let root = doc.root_element();
        match (&self.selector, &self.attr) {
            (Some(sel), Some(attr)) => sel_attr(root, sel, attr),
            (Some(sel), None) => doc.select(sel).map(text_of).find(|t| !t.is_empty()),
            (None, Some(attr)) => own_attr(root, attr),
            (None, None) => None,
        }
    }
}

/// A compiled `[sources.css]` table.
#[derive(Debug, Clone)]
pub struct CssSpec {
    pub card: Selector,
    pub fields: BTreeMap<&'static str, Field>,
    pub next_page: Option<Field>,
}

impl CssSpec {
    /// Compiles every selector; the error names the field.
    pub fn compile(config: &CssConfig) -> Result<Self, (&'static str, String)> {
        let card = Selector::parse(&config.card).map_err(|e| ("card", format!("{:?}: {e}", config.card)))?;
        let mut fields = BTreeMap::new();
        for (name, spec) in [
            ("id", &config.id),
            ("url", &config.url),
            ("title", &config.title),
            ("price", &config.price),
            ("rooms", &config.rooms),
            ("area", &config.area),
            ("district", &config.district),
            ("photo", &config.photo),
            ("description", &config.description),
        ] {
            if let Some(spec) = spec {
                fields.insert(name, Field::parse(spec).map_err(|e| (name, e))?);
            }
        }
        if !fields.contains_key("id") && !fields.contains_key("url") {
            return Err(("url", "a css source needs `url` or `id` to tell listings apart".to_owned()));
        }
        let next_page = config.next_page.as_deref().map(Field::parse).transpose().map_err(|e| ("next_page", e))?;
        Ok(Self { card, fields, next_page })
    }

    pub fn extract(&self, doc: &Html, _page: Page<'_>) -> Parsed {
        let get = |card: ElementRef<'_>, name: &str| self.fields.get(name).and_then(|f| f.get(card));
        let listings = doc
            .select(&self.card)
            .map(|card| RawListing {
                id: get(card, "id"),
                url: get(card, "url"),
                title: get(card, "title"),
                price: get(card, "price"),
                rooms: get(card, "rooms"),
                area: get(card, "area"),
                district: get(card, "district"),
                photo: get(card, "photo"),
                description: get(card, "description"),
                ..Default::default()
            })
            .collect();
        Parsed { listings, next_page: self.next_page.as_ref().and_then(|f| f.get_in(doc)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_specs() {
        assert!(Field::parse("a.title@href").unwrap().attr.as_deref() == Some("href"));
        assert!(Field::parse("@data-id").unwrap().selector.is_none());
        assert!(Field::parse("a[href*=\"@\"]").unwrap().attr.is_none());
        assert!(Field::parse("h3 >> ,").is_err());
        assert!(Field::parse("a@").is_err());
        assert!(Field::parse("").is_err());
    }
}
