//! "❓ Still there?": whether a listing's own page still shows it.
//!
//! [`presence`] reads one fetch of the listing's page: a 404 or 410, a
//! redirect to another page (the site's search or home page), or the
//! source's `gone` marker on the page mean it was taken down; a page that
//! answers otherwise means it is still online; anything else (a timeout, a
//! 5xx, a captcha, a block) is not known, and the user is told so.

use reqwest::Url;
use scraper::{Html, Selector};

use super::fetch::{FetchError, Fetched};

/// How a source's listing page reads once taken down (`gone = "…"` in the
/// sources file): a text on the page (any case), or a CSS selector that
/// matches an element there.
#[derive(Debug, Clone)]
pub struct Marker {
    text: String,
    selector: Option<Selector>,
}

/// The longest marker accepted.
const MAX_MARKER: usize = 200;

impl Marker {
    /// A marker from the sources file's `gone`; the error says why not.
    pub fn new(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("is empty: give a text the page shows once the listing is gone, or a selector".to_owned());
        }
        if text.chars().count() > MAX_MARKER {
            return Err(format!("is longer than {MAX_MARKER} characters"));
        }
        // A text such as "Angebot beendet" is no selector; one that is
        // (".expired", "#gone") is looked for as both.
        let selector =
            Selector::parse(text).ok().filter(|_| text.starts_with(['.', '#', '[']) || text.contains(['[', '.']));
        Ok(Self { text: text.to_lowercase(), selector })
    }

    /// Whether `body` shows the marker.
    fn found_in(&self, body: &str) -> bool {
        if body.to_lowercase().contains(&self.text) {
            return true;
        }
        self.selector.as_ref().is_some_and(|s| Html::parse_document(body).select(s).next().is_some())
    }
}

/// What the listing's page said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// Still online.
    Online,
    /// Taken down; the reason, for logs.
    Gone(&'static str),
    /// Not known now (the site did not answer as a page would).
    Unknown(String),
}

/// Reads one fetch of `listing_url` (whose source id is `external_id`).
pub fn presence(
    fetched: &Result<Fetched, FetchError>,
    listing_url: &Url,
    external_id: &str,
    marker: Option<&Marker>,
) -> Presence {
    match fetched {
        Err(FetchError::Status(404 | 410)) => Presence::Gone("the page is gone (404/410)"),
        Err(e) => Presence::Unknown(e.to_string()),
        Ok(Fetched::NotModified) => Presence::Online,
        Ok(Fetched::Page { body, url, .. }) => {
            let same_page = url.path().trim_end_matches('/') == listing_url.path().trim_end_matches('/');
            if !same_page && !url.as_str().contains(external_id) {
                return Presence::Gone("redirected away from the listing");
            }
            if marker.is_some_and(|m| m.found_in(body)) {
                return Presence::Gone("the page says it is taken down");
            }
            Presence::Online
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(url: &str, body: &str) -> Result<Fetched, FetchError> {
        Ok(Fetched::Page { body: body.to_owned(), url: Url::parse(url).unwrap(), validators: Default::default() })
    }

    #[test]
    fn what_a_listing_page_says() {
        let url = Url::parse("https://www.site.example/expose/4711").unwrap();
        let text = Marker::new("Angebot ist nicht mehr verfügbar").unwrap();
        let selector = Marker::new(".expose--deactivated").unwrap();
        let online = page("https://www.site.example/expose/4711", "<h1>2-Zimmer-Wohnung</h1>");
        assert_eq!(presence(&online, &url, "4711", Some(&text)), Presence::Online);
        assert_eq!(presence(&online, &url, "4711", None), Presence::Online);
        let trailing_slash = page("https://www.site.example/expose/4711/", "<h1>Wohnung</h1>");
        assert_eq!(presence(&trailing_slash, &url, "4711", None), Presence::Online);
        // The site's own words, in any case; a selector that matches.
        let said = page("https://www.site.example/expose/4711", "<p>Dieses ANGEBOT IST NICHT MEHR VERFÜGBAR.</p>");
        assert!(matches!(presence(&said, &url, "4711", Some(&text)), Presence::Gone(_)));
        let marked = page("https://www.site.example/expose/4711", r#"<div class="expose--deactivated">x</div>"#);
        assert!(matches!(presence(&marked, &url, "4711", Some(&selector)), Presence::Gone(_)));
        assert_eq!(presence(&marked, &url, "4711", Some(&text)), Presence::Online);
        // Sent to the search page, or gone for good.
        let search = page("https://www.site.example/suche?gone=1", "<h1>Suche</h1>");
        assert!(matches!(presence(&search, &url, "4711", None), Presence::Gone(_)));
        let moved = page("https://www.site.example/expose/v2/4711", "<h1>Wohnung</h1>");
        assert_eq!(presence(&moved, &url, "4711", None), Presence::Online, "moved, still itself");
        for code in [404, 410] {
            assert!(matches!(presence(&Err(FetchError::Status(code)), &url, "4711", None), Presence::Gone(_)));
        }
        // Not known: the user is told so, nothing is marked.
        for e in [FetchError::Status(503), FetchError::Timeout, FetchError::Blocked(403)] {
            assert!(matches!(presence(&Err(e), &url, "4711", None), Presence::Unknown(_)));
        }
    }

    #[test]
    fn markers_from_the_sources_file() {
        assert!(Marker::new("  ").is_err());
        assert!(Marker::new(&"x".repeat(201)).is_err());
        assert!(Marker::new("Angebot beendet").unwrap().selector.is_none(), "a text is no selector");
        assert!(Marker::new(".expired").unwrap().selector.is_some());
        assert!(Marker::new("[data-state=gone]").unwrap().selector.is_some());
    }
}
