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

/// Most listings read from one page or answer: a page listing more is cut
/// here (bounded work and memory on untrusted input).
pub const MAX_LISTINGS: usize = 1_000;

/// Deepest element nesting of a page that is parsed (real pages stay under
/// about 150): deeper pages are refused before the HTML parser, whose cost
/// grows with depth at every tag.
pub const MAX_HTML_NESTING: usize = 512;

/// `body` pruned and parsed; a page nested deeper than [`MAX_HTML_NESTING`]
/// is refused with the reason.
pub fn parse_html(body: &str, prune: &Prune) -> Result<Html, String> {
    let slim = slim_with(body, prune);
    if crate::scraper::slim::nests_deeper_than(&slim, MAX_HTML_NESTING) {
        return Err(format!("the page nests elements more than {MAX_HTML_NESTING} deep: not read"));
    }
    Ok(Html::parse_document(&slim))
}

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
    /// JSON-LD with `[sources.jsonld]` fields read over the merged entities.
    JsonLdWith(Box<jsonld::JsonLdSpec>),
    Site(sites::Site),
    /// A results reading, and a second reading for a single listing's page
    /// (its exposé), used on a page its `when` pattern matches.
    Detail(Box<WithDetail>),
}

/// A source's readings: its results pages, and its exposés (one listing's
/// own page), each known by a pattern only its body matches.
#[derive(Debug, Clone)]
pub struct WithDetail {
    pub list: Adapter,
    /// Tried in turn: the first whose regex matches the body reads it.
    pub details: Vec<(regex::Regex, Adapter)>,
}

impl WithDetail {
    /// The reading for `body`.
    pub fn reading(&self, body: &str) -> &Adapter {
        self.details.iter().find(|(when, _)| when.is_match(body)).map_or(&self.list, |(_, reading)| reading)
    }
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

    /// Why `page` gave no listings, in the operator's words (for
    /// `check-source`).
    pub fn explain_empty(&self, page: Page<'_>) -> String {
        match self {
            Adapter::Json(spec) => spec.explain_empty(page),
            Adapter::Css(spec, prune) => match parse_html(page.body, prune) {
                Ok(doc) => spec.explain_empty(&doc),
                Err(why) => why,
            },
            Adapter::JsonLd | Adapter::JsonLdWith(_) => {
                "no schema.org listing (Offer, Apartment, RealEstateListing, …) with a url in the page's JSON-LD"
                    .to_owned()
            }
            Adapter::Site(_) => "the page holds none of the cards this site's reader knows".to_owned(),
            Adapter::Detail(both) => both.reading(page.body).explain_empty(page),
        }
    }

    /// The fields a css or json configuration reads on `body` (a coded
    /// site's and JSON-LD's are not configured).
    pub fn configured_fields(&self, body: &str) -> Vec<&'static str> {
        match self {
            Adapter::Css(spec, _) => spec.fields.keys().copied().collect(),
            Adapter::Json(spec) => spec.field_names(),
            Adapter::JsonLdWith(spec) => spec.field_names(),
            Adapter::JsonLd | Adapter::Site(_) => Vec::new(),
            Adapter::Detail(both) => both.reading(body).configured_fields(body),
        }
    }

    /// The period prices have when the page does not say (sale sites: total).
    pub fn default_period(&self) -> Period {
        match self {
            Adapter::Site(site) => site.default_period(),
            Adapter::Detail(both) => both.list.default_period(),
            Adapter::Css(..) | Adapter::Json(_) | Adapter::JsonLd | Adapter::JsonLdWith(_) => Period::Month,
        }
    }

    /// The currency a site's bare "$" or missing symbol means.
    pub fn default_currency(&self) -> Option<&'static str> {
        match self {
            Adapter::Site(site) => site.default_currency(),
            Adapter::Detail(both) => both.list.default_currency(),
            Adapter::Css(..) | Adapter::Json(_) | Adapter::JsonLd | Adapter::JsonLdWith(_) => None,
        }
    }

    /// What the pre-pass may drop before the page is parsed.
    fn prune(&self) -> Prune {
        match self {
            Adapter::Site(site) => site.prune(),
            Adapter::Css(_, prune) => *prune,
            Adapter::Detail(both) => both.list.prune(),
            Adapter::Json(_) | Adapter::JsonLd | Adapter::JsonLdWith(_) => Prune::default(),
        }
    }

    fn extract(&self, doc: &Html, page: Page<'_>) -> Parsed {
        match self {
            Adapter::Css(spec, _) => spec.extract(doc, page),
            Adapter::JsonLd => jsonld::extract(doc, page),
            Adapter::JsonLdWith(spec) => jsonld::extract_with(doc, page, Some(spec)),
            Adapter::Site(site) => site.extract(doc, page),
            // Dispatched in `parse`, before any DOM is built.
            Adapter::Detail(both) => both.list.extract(doc, page),
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
                None if spec.reads_body() && json::looks_like_html(page.body) => Err(PageOutcome::Blocked(
                    "an HTML page instead of the JSON answer: a wall, or a page holding its data (a json \
                         source reads JSON embedded in a page with `script` or `assign`)"
                        .to_owned(),
                )),
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
        if let Adapter::Detail(both) = self {
            return both.reading(page.body).parse(source, page, currency, period);
        }
        let (mut parsed, items) = if let Adapter::Json(spec) = self {
            match Self::extract_json(spec, page) {
                Ok(read) => read,
                Err(outcome) => return outcome,
            }
        } else {
            let doc = match parse_html(page.body, &self.prune()) {
                Ok(doc) => doc,
                Err(why) => return PageOutcome::Invalid(why),
            };
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
        if parsed.listings.len() > MAX_LISTINGS {
            tracing::warn!(
                source,
                listings = parsed.listings.len(),
                "a page with more listings than {MAX_LISTINGS}: the rest is left out"
            );
            parsed.listings.truncate(MAX_LISTINGS);
        }
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

/// Walks `el`'s subtree without recursion: a page nested 100,000 deep costs
/// time, never stack.
fn collect_text(el: ElementRef<'_>, out: &mut String) {
    use ego_tree::iter::Edge;
    // The hidden element being skipped, until its close.
    let mut skipping = None;
    for edge in el.traverse() {
        match edge {
            Edge::Open(node) if skipping.is_none() => match node.value() {
                Node::Text(t) => {
                    out.push_str(t);
                    out.push(' ');
                }
                Node::Element(e)
                    if node.id() != el.id() && matches!(e.name(), "style" | "script" | "noscript" | "template") =>
                {
                    skipping = Some(node.id());
                }
                _ => (),
            },
            Edge::Close(node) if skipping == Some(node.id()) => skipping = None,
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
    let doc = parse_html(body, &Prune::default()).ok()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scraper::sources;

    /// The stack of tokio's blocking threads, where pages are parsed.
    const PARSE_STACK: usize = 2 * 1024 * 1024;
    const DEEP: usize = 100_000;

    fn deep_html() -> String {
        format!(
            "<html><head><title>t</title></head><body>{}x{}</body></html>",
            "<div>".repeat(DEEP),
            "</div>".repeat(DEEP)
        )
    }

    /// `window.__STATE__` holding an array nested `DEEP` deep, not strict
    /// JSON (a trailing comma), so it would reach the JSON5 parser.
    fn deep_state() -> String {
        format!(
            "<html><body><script>window.__STATE__ = {}1,{};</script></body></html>",
            "[".repeat(DEEP),
            "]".repeat(DEEP)
        )
    }

    fn on_parse_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new().stack_size(PARSE_STACK).spawn(f).unwrap().join().expect("no stack overflow")
    }

    #[test]
    fn pages_nested_100_000_deep_give_no_listings_on_a_parse_threads_stack() {
        let url = Url::parse("https://example.com/list").unwrap();
        let mut adapters: Vec<(String, Adapter)> = vec![("jsonld".into(), Adapter::JsonLd)];
        for kind in presets::names().into_iter().chain(sites::Site::ALL.map(sites::Site::kind)) {
            adapters.push((kind.to_owned(), sources::for_kind(kind, "https://example.com/").unwrap().adapter));
        }
        let toml = r#"
            [[sources]]
            name = "css"
            kind = "css"
            url = "https://example.com/"
            [sources.css]
            card = "div"
            url = "a@href"
            title = "div"
            [[sources]]
            name = "state"
            kind = "json"
            url = "https://example.com/"
            [sources.json]
            assign = "__STATE__"
            items = "$[*]"
            url = "$.url"
            [[sources]]
            name = "api"
            kind = "json"
            url = "https://example.com/"
            [sources.json]
            items = "$[*]"
            url = "$.url"
        "#;
        adapters.extend(sources::parse(toml).unwrap().into_iter().map(|s| (s.name, s.adapter)));
        let deep_answer = format!("{}1{}", "[".repeat(DEEP), "]".repeat(DEEP));
        for page in [deep_html(), deep_state(), deep_answer] {
            for (kind, adapter) in &adapters {
                let (adapter, page, url) = (adapter.clone(), page.clone(), url.clone());
                let outcome = on_parse_stack(move || adapter.parse("s", Page { body: &page, url: &url }, None, None));
                match outcome {
                    PageOutcome::Listings { listings, .. } => assert!(listings.len() <= 1, "{kind}: {listings:?}"),
                    PageOutcome::Invalid(_) | PageOutcome::Blocked(_) => (),
                }
            }
        }
    }

    #[test]
    fn json5_is_never_handed_a_literal_nested_deeper_than_the_cap() {
        let at_cap = format!("{}1,{}", "[".repeat(json::MAX_NESTING), "]".repeat(json::MAX_NESTING));
        let over = format!("[{at_cap}]");
        let read = |literal: &str| {
            let body = format!("<script>window.S = {literal};</script>");
            on_parse_stack(move || json::assigned(&body, "S"))
        };
        assert!(read(&at_cap).is_some(), "a literal at the cap is read");
        assert!(read(&over).is_none(), "one level deeper is refused");
    }

    #[test]
    fn a_page_with_more_cards_than_the_cap_is_cut_there() {
        let cards: String = (0..MAX_LISTINGS + 50)
            .map(|i| format!(r#"<article data-id="{i}"><a href="/f/{i}">Flat {i}</a></article>"#))
            .collect();
        let page = format!("<html><body>{cards}</body></html>");
        let toml = r#"
            [[sources]]
            name = "css"
            kind = "css"
            url = "https://example.com/"
            [sources.css]
            card = "article"
            id = "@data-id"
            url = "a@href"
            title = "a"
        "#;
        let adapter = sources::parse(toml).unwrap().remove(0).adapter;
        let url = Url::parse("https://example.com/").unwrap();
        let PageOutcome::Listings { listings, .. } = adapter.parse("s", Page { body: &page, url: &url }, None, None)
        else {
            panic!("listings expected")
        };
        assert_eq!(listings.len(), MAX_LISTINGS);
    }
}
