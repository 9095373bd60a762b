//! Adapters: pure functions from a fetched page (text + URL) to listings.
//!
//! - [`css`]: any site described by selectors (`kind = "css"`).
//! - [`json`]: JSON APIs and JSON embedded in pages (`kind = "json"`).
//! - [`jsonld`]: schema.org data embedded in the page (`kind = "jsonld"`).
//! - [`presets`]: built-in kinds written in the css/json model (wg-gesucht,
//!   bayut, …), overridable field by field in the sources file.
//! - [`sites`]: built-in kinds that still need code (state blobs, detail
//!   pages, positional facts).
//!
//! `scraper::Html` is not `Send`: a page is parsed synchronously and only
//! owned [`RawListing`]s leave this module.

pub mod css;
pub mod field;
pub mod json;
pub mod jsonld;
pub mod presets;
pub mod sites;

use reqwest::Url;
use scraper::{ElementRef, Html, Node, Selector};

use super::{
    listing::{Defaults, Listing, RawListing},
    normalize::Period,
    slim::{Prune, slim_with},
};

/// A fetched page.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    pub body: &'a str,
    pub url: &'a Url,
}

/// What an adapter read from one page.
#[derive(Debug, Default)]
pub struct Parsed {
    pub listings: Vec<RawListing>,
    /// The next results page, when the page links one.
    pub next_page: Option<String>,
}

/// What a page turned out to be.
#[derive(Debug)]
pub enum PageOutcome {
    Listings {
        listings: Vec<Listing>,
        next_page: Option<Url>,
        /// Items the page held before skipping and de-duplication (numbered
        /// pages end at a page with none).
        items: usize,
    },
    /// A captcha, consent or login wall: not "zero listings".
    Blocked(String),
    /// The answer cannot be read at all (a JSON API answering garbage).
    Invalid(String),
}

/// A configured way of reading a site.
#[derive(Debug, Clone)]
pub enum Adapter {
    /// `prune` is a preset's pre-pass, kept only while its selectors are unchanged.
    Css(Box<css::CssSpec>, Prune),
    Json(Box<json::JsonSpec>),
    JsonLd,
    Site(sites::Site),
}

impl Adapter {
    /// The home page of a preset or coded site: the base for links in a
    /// saved page of it.
    pub fn home(kind: &str) -> Option<&'static str> {
        presets::home(kind).or_else(|| sites::Site::from_kind(kind).map(sites::Site::home))
    }

    /// The adapter for `kind`: a preset, a coded site, or `jsonld`.
    pub fn builtin(kind: &str) -> Option<Self> {
        match kind {
            "jsonld" => Some(Adapter::JsonLd),
            other => sites::Site::from_kind(other).map(Adapter::Site).or_else(|| {
                let home = presets::home(other)?;
                crate::scraper::sources::for_kind(other, home).ok().map(|s| s.adapter)
            }),
        }
    }

    /// The period prices have when the page does not say (sale sites: total).
    pub fn default_period(&self) -> Period {
        match self {
            Adapter::Site(site) => site.default_period(),
            Adapter::Css(..) | Adapter::Json(_) | Adapter::JsonLd => Period::Month,
        }
    }

    /// The currency a site's bare "$" or missing symbol means.
    pub fn default_currency(&self) -> Option<&'static str> {
        match self {
            Adapter::Site(site) => site.default_currency(),
            Adapter::Css(..) | Adapter::Json(_) | Adapter::JsonLd => None,
        }
    }

    /// What the pre-pass may drop before the page is parsed.
    fn prune(&self) -> Prune {
        match self {
            Adapter::Site(site) => site.prune(),
            Adapter::Css(_, prune) => *prune,
            Adapter::Json(_) | Adapter::JsonLd => Prune::default(),
        }
    }

    fn extract(&self, doc: &Html, page: Page<'_>) -> Parsed {
        match self {
            Adapter::Css(spec, _) => spec.extract(doc, page),
            Adapter::JsonLd => jsonld::extract(doc, page),
            Adapter::Site(site) => site.extract(doc, page),
            // Read before any DOM is built (see `parse`).
            Adapter::Json(_) => Parsed::default(),
        }
    }

    /// Reads a JSON source's page; a wall or an error answer is `Err`.
    fn extract_json(spec: &json::JsonSpec, page: Page<'_>) -> Result<(Parsed, usize), PageOutcome> {
        match spec.extract(page) {
            Ok((parsed, items)) if items > 0 => Ok((parsed, items)),
            Ok(read) => match walls(page.body) {
                Some(wall) => Err(PageOutcome::Blocked(wall)),
                None => Ok(read),
            },
            Err(json::JsonProblem::Error(message)) => {
                Err(PageOutcome::Blocked(format!("the site answered: {message}")))
            }
            Err(json::JsonProblem::NotJson(why)) => match walls(page.body) {
                Some(wall) => Err(PageOutcome::Blocked(wall)),
                None if spec.reads_body() && json::looks_like_html(page.body) => {
                    Err(PageOutcome::Blocked("an HTML page instead of the JSON answer".to_owned()))
                }
                None if spec.reads_body() => Err(PageOutcome::Invalid(why)),
                // A page without the embedded state: no listings, like an empty page.
                None => Ok((Parsed::default(), 0)),
            },
        }
    }

    /// Parses `page` into normalised listings of source `source`.
    /// `currency` and `period` override the adapter's defaults (the source's
    /// configuration wins).
    pub fn parse(&self, source: &str, page: Page<'_>, currency: Option<&str>, period: Option<Period>) -> PageOutcome {
        let (parsed, items) = if let Adapter::Json(spec) = self {
            match Self::extract_json(spec, page) {
                Ok(read) => read,
                Err(outcome) => return outcome,
            }
        } else {
            let doc = Html::parse_document(&slim_with(page.body, &self.prune()));
            if let Some(wall) = strong_wall(&doc) {
                return PageOutcome::Blocked(wall);
            }
            let parsed = self.extract(&doc, page);
            if parsed.listings.is_empty()
                && let Some(wall) = weak_wall(&doc, page.body)
            {
                return PageOutcome::Blocked(wall);
            }
            let items = parsed.listings.len();
            (parsed, items)
        };
        let defaults = Defaults {
            currency: currency.or(self.default_currency()),
            period: period.unwrap_or(self.default_period()),
        };
        let mut seen = std::collections::HashSet::new();
        let listings = parsed
            .listings
            .into_iter()
            .filter_map(|raw| raw.finish(source, page.url, defaults))
            // A promoted card repeated in the list is one listing.
            .filter(|l| seen.insert(l.id.clone()))
            .collect();
        let next_page = parsed.next_page.and_then(|href| page.url.join(href.trim()).ok()).filter(|u| u != page.url);
        PageOutcome::Listings { listings, next_page, items }
    }
}

macro_rules! selector {
    ($css:expr) => {{
        static SELECTOR: std::sync::LazyLock<scraper::Selector> = std::sync::LazyLock::new(|| {
            scraper::Selector::parse($css).unwrap_or_else(|e| panic!("built-in selector {:?}: {e}", $css))
        });
        &*SELECTOR
    }};
}
pub(crate) use selector;

/// The visible text of `el`: descendants' text without `<style>`, `<script>`,
/// `<noscript>` and `<template>` content, whitespace collapsed.
pub fn text_of(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    collect_text(el, &mut out);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn collect_text(el: ElementRef<'_>, out: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => {
                out.push_str(t);
                out.push(' ');
            }
            Node::Element(e) => {
                if matches!(e.name(), "style" | "script" | "noscript" | "template") {
                    continue;
                }
                if let Some(child) = ElementRef::wrap(child) {
                    collect_text(child, out);
                }
            }
            _ => (),
        }
    }
}

/// Text of the first match of `sel` under `el`.
pub fn sel_text(el: ElementRef<'_>, sel: &Selector) -> Option<String> {
    el.select(sel).map(text_of).find(|t| !t.is_empty())
}

/// Attribute `attr` of the first match of `sel` under `el` that has it.
pub fn sel_attr(el: ElementRef<'_>, sel: &Selector, attr: &str) -> Option<String> {
    el.select(sel).filter_map(|e| e.attr(attr)).map(str::trim).find(|v| !v.is_empty()).map(str::to_owned)
}

/// Attribute `attr` of `el` itself.
pub fn own_attr(el: ElementRef<'_>, attr: &str) -> Option<String> {
    el.attr(attr).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// Titles that are walls whatever else the page holds.
const WALL_TITLES: &[&str] = &[
    "ich bin kein roboter",
    "captcha",
    "are you a robot",
    "are you a human",
    "attention required",
    "just a moment",
    "access denied",
    "pardon our interruption",
    "security check",
    "robot check",
    "bot check",
    "verify you are human",
];

/// Markers of a wall, trusted only when the page yielded no listings.
const WALL_MARKERS: &[&str] = &[
    "g-recaptcha",
    "recaptcha/api",
    "hcaptcha.com",
    "geetest",
    "captcha-delivery",
    "px-captcha",
    "cf-chl-",
    "challenge-platform",
    "distil_referrer",
    "form_captcha",
    "id=\"captcha",
    "consent.cookiebot",
    "cookie-consent-wall",
    "consent-wall",
];

/// A wall in `body`, read as HTML (for answers that should have been JSON).
fn walls(body: &str) -> Option<String> {
    if !json::looks_like_html(body) {
        return None;
    }
    let doc = Html::parse_document(&slim_with(body, &Prune::default()));
    strong_wall(&doc).or_else(|| weak_wall(&doc, body))
}

fn strong_wall(doc: &Html) -> Option<String> {
    // The title is in <head>: no need to walk the whole document for it.
    let head = doc.root_element().children().filter_map(ElementRef::wrap).find(|e| e.value().name() == "head")?;
    let title = head.children().filter_map(ElementRef::wrap).find(|e| e.value().name() == "title").map(text_of)?;
    let lower = title.to_lowercase();
    WALL_TITLES
        .iter()
        .any(|t| lower.contains(t))
        .then(|| format!("wall page titled {:?}", super::normalize::clean_text(&title, 80)))
}

/// A wall says little: a page with more visible text than this is a real
/// page that happens to embed a captcha (a login form, say).
const WALL_MAX_TEXT: usize = 3_000;

fn weak_wall(doc: &Html, body: &str) -> Option<String> {
    let visible = doc.select(selector!("body")).next().map(text_of).unwrap_or_default();
    if visible.chars().count() > WALL_MAX_TEXT {
        return None;
    }
    let lower = body.get(..body.len().min(512 * 1024)).unwrap_or(body).to_lowercase();
    WALL_MARKERS.iter().find(|m| lower.contains(*m)).map(|m| format!("no listings and a captcha/consent marker ({m})"))
}
