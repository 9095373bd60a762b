//! Built-in adapters for real sites (the pages saved in `tests/fixtures`).
//!
//! Each reads the site's search-results page and, where the site has one,
//! its detail page (a page without cards is read as one listing). Selectors
//! avoid generated class names in favour of `data-*`, `aria-*` and
//! `itemprop` attributes where the site offers them.

use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html};
use serde_json::Value;

use super::{Page, Parsed, json, jsonld, own_attr, sel_attr, sel_text, selector, text_of};
use crate::scraper::{listing::RawListing, normalize::Period, slim::Prune};

/// A built-in site adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    Rightmove,
    Idealista,
    Otodom,
    DomRia,
    Zillow,
    RealestateComAu,
    Zonaprop,
    Pararius,
}

impl Site {
    pub const ALL: [Site; 8] = [
        Site::Rightmove,
        Site::Idealista,
        Site::Otodom,
        Site::DomRia,
        Site::Zillow,
        Site::RealestateComAu,
        Site::Zonaprop,
        Site::Pararius,
    ];

    pub fn kind(self) -> &'static str {
        match self {
            Site::Rightmove => "rightmove",
            Site::Idealista => "idealista",
            Site::Otodom => "otodom",
            Site::DomRia => "dom-ria",
            Site::Zillow => "zillow",
            Site::RealestateComAu => "realestate-com-au",
            Site::Zonaprop => "zonaprop",
            Site::Pararius => "pararius",
        }
    }

    /// The site's home page: the base for links in a saved page of it.
    pub fn home(self) -> &'static str {
        match self {
            Site::Rightmove => "https://www.rightmove.co.uk/",
            Site::Idealista => "https://www.idealista.com/",
            Site::Otodom => "https://www.otodom.pl/",
            Site::DomRia => "https://dom.ria.com/",
            Site::Zillow => "https://www.zillow.com/",
            Site::RealestateComAu => "https://www.realestate.com.au/",
            Site::Zonaprop => "https://www.zonaprop.com.ar/",
            Site::Pararius => "https://www.pararius.com/",
        }
    }

    pub fn from_kind(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.kind() == kind)
    }

    /// Rental sites quote monthly rents; the saved sale sites total prices.
    /// A source's `period` setting overrides this (e.g. an idealista rental search).
    pub fn default_period(self) -> Period {
        match self {
            Site::Idealista | Site::Otodom | Site::DomRia | Site::RealestateComAu => Period::Total,
            _ => Period::Month,
        }
    }

    /// What a bare "$" (or no symbol) means on the site.
    pub fn default_currency(self) -> Option<&'static str> {
        match self {
            Site::Idealista | Site::Pararius => Some("EUR"),
            Site::Rightmove => Some("GBP"),
            Site::Otodom => Some("PLN"),
            Site::DomRia | Site::Zillow => Some("USD"),
            Site::RealestateComAu => Some("AUD"),
            Site::Zonaprop => Some("ARS"),
        }
    }

    /// What of a page the site's adapter never reads (see [`Prune`]).
    pub fn prune(self) -> Prune {
        match self {
            Site::Zonaprop => Prune { keep_scripts: true, drop_script_attrs: true, ..Prune::default() },
            _ => Prune { drop_script_attrs: true, ..Prune::default() },
        }
    }

    pub fn extract(self, doc: &Html, page: Page<'_>) -> Parsed {
        match self {
            Site::Rightmove => rightmove(doc),
            Site::Idealista => idealista(doc),
            Site::Otodom => otodom(doc),
            Site::DomRia => dom_ria(doc),
            Site::Zillow => zillow(doc),
            Site::RealestateComAu => realestate_com_au(doc),
            Site::Zonaprop => zonaprop(doc),
            Site::Pararius => pararius(doc, page),
        }
    }
}

fn regex(pattern: &'static str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("built-in regex {pattern:?}: {e}"))
}

/// Capture group 1 of `re` in `text`.
fn capture(re: &Regex, text: &str) -> Option<String> {
    re.captures(text).and_then(|c| c.get(1)).map(|m| m.as_str().trim().to_owned())
}

fn doc_text(doc: &Html, sel: &scraper::Selector) -> Option<String> {
    sel_text(doc.root_element(), sel)
}

fn doc_attr(doc: &Html, sel: &scraper::Selector, attr: &str) -> Option<String> {
    sel_attr(doc.root_element(), sel, attr)
}

fn meta(doc: &Html, property: &str) -> Option<String> {
    doc.select(selector!("meta[property], meta[name]"))
        .find(|m| m.attr("property").or_else(|| m.attr("name")) == Some(property))
        .and_then(|m| own_attr(m, "content"))
}

fn canonical(doc: &Html) -> Option<String> {
    doc_attr(doc, selector!(r#"link[rel="canonical"]"#), "href")
}

/// The `n`th (0-based) `sep`-separated part of `text`, trimmed.
fn part(text: &str, sep: char, n: usize) -> Option<String> {
    text.split(sep).nth(n).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The value of the `<dd>` after the `<dt>` whose text starts with `label`.
fn dd_after(root: ElementRef<'_>, label: &str) -> Option<String> {
    let mut take_next = false;
    for el in root.select(selector!("dt, dd")) {
        match el.value().name() {
            "dt" => take_next = text_of(el).trim().to_lowercase().starts_with(&label.to_lowercase()),
            _ if take_next => return Some(text_of(el)),
            _ => (),
        }
    }
    None
}

/// "12169 Berlin (Steglitz)" → "Steglitz"; without parentheses the place itself.
fn in_parentheses(text: &str) -> String {
    static PAREN: LazyLock<Regex> = LazyLock::new(|| regex(r"\(([^)]+)\)"));
    capture(&PAREN, text).unwrap_or_else(|| text.trim().to_owned())
}

// ----------------------------------------------------------------- rightmove

fn rightmove(doc: &Html) -> Parsed {
    let cards: Vec<RawListing> = doc
        .select(selector!("div.l-searchResult:not(.is-hidden)"))
        .filter_map(|card| {
            let id = own_attr(card, "id").map(|id| id.trim_start_matches("property-").to_owned());
            // Unfilled knockout templates have id "property-0" and no link.
            if id.as_deref() == Some("0") {
                return None;
            }
            let title = sel_text(card, selector!("h2.propertyCard-title"));
            Some(RawListing {
                id,
                url: sel_attr(card, selector!("a.propertyCard-link"), "href"),
                rooms: title.clone(),
                title,
                price: sel_text(card, selector!(".propertyCard-priceValue")),
                district: sel_text(card, selector!("address.propertyCard-address span, address.propertyCard-address")),
                photo: sel_attr(card, selector!(".propertyCard-img img"), "src"),
                description: sel_text(card, selector!(".propertyCard-description span")),
                ..Default::default()
            })
        })
        .collect();
    if !cards.is_empty() || doc.select(selector!("div.l-searchResult")).next().is_some() {
        return Parsed { listings: cards, next_page: None };
    }
    // Detail page.
    let Some(url) = canonical(doc).filter(|u| u.contains("/properties/")) else { return Parsed::default() };
    static ID: LazyLock<Regex> = LazyLock::new(|| regex(r"/properties/(\d+)"));
    static PRICE: LazyLock<Regex> = LazyLock::new(|| regex(r"(£[\d,]+\s*(?:pcm|pw)?)"));
    let title = doc_text(doc, selector!("title"))
        .map(|t| t.split(" - Rightmove").next().unwrap_or(&t).split(" | ").next().unwrap_or(&t).trim().to_owned());
    let price = meta(doc, "og:description").and_then(|d| capture(&PRICE, &d));
    let furnished = dd_after(doc.root_element(), "Furnish type").map(|f| {
        let f = f.to_lowercase();
        f.starts_with("furnished") || f.contains("part")
    });
    Parsed {
        listings: vec![RawListing {
            id: capture(&ID, &url),
            url: Some(url),
            rooms: doc_text(doc, selector!(r#"dd:has([data-testid="svg-bed"])"#)),
            area: doc_text(doc, selector!(r#"dd:has([data-testid="svg-floorplan"])"#)),
            district: doc_text(doc, selector!(r#"h1[itemprop="streetAddress"]"#)),
            photo: meta(doc, "og:image"),
            title,
            price,
            furnished,
            ..Default::default()
        }],
        next_page: None,
    }
}

// ----------------------------------------------------------------- idealista

fn idealista(doc: &Html) -> Parsed {
    let listings = doc
        .select(selector!("article.item"))
        .filter(|card| !card.value().classes().any(|c| c == "adv"))
        .map(|card| {
            let title = sel_text(card, selector!("a.item-link"));
            // Details are positional; read each by its unit instead.
            let details: Vec<String> = card.select(selector!(".item-detail-char .item-detail")).map(text_of).collect();
            let rooms = details.iter().find(|d| d.contains("hab")).cloned();
            let area = details.iter().find(|d| d.contains("m²")).cloned();
            // "Piso en Albert Porqueras, Mariola, Lleida": the part before the city.
            let district = title.as_deref().and_then(|t| {
                let after_en = t.split_once(" en ").map(|(_, r)| r).unwrap_or(t);
                let parts: Vec<&str> = after_en.split(',').map(str::trim).collect();
                parts
                    .len()
                    .checked_sub(2)
                    .and_then(|i| parts.get(i))
                    .map(|s| (*s).to_owned())
                    .or_else(|| parts.first().map(|s| (*s).to_owned()))
            });
            RawListing {
                id: own_attr(card, "data-element-id"),
                url: sel_attr(card, selector!("a.item-link"), "href"),
                title,
                price: sel_text(card, selector!(".item-price")),
                rooms,
                area,
                district,
                photo: sel_attr(card, selector!("img"), "src"),
                description: sel_text(card, selector!(".item-description")),
                ..Default::default()
            }
        })
        .collect();
    Parsed { listings, next_page: doc_attr(doc, selector!("li.next a"), "href") }
}

// -------------------------------------------------------------------- otodom

/// The short id after "-ID" in an otodom/olx URL ("…-ID4blGn" → "4blGn").
fn id_token(url: &str) -> Option<String> {
    static TOKEN: LazyLock<Regex> = LazyLock::new(|| regex(r"-ID([A-Za-z0-9]+)(?:\.html)?(?:[?#/]|$)"));
    capture(&TOKEN, url)
}

fn otodom(doc: &Html) -> Parsed {
    let cards: Vec<RawListing> = doc
        .select(selector!(r#"a[data-cy="listing-item-link"]"#))
        .map(|card| {
            let url = own_attr(card, "href");
            let article = card.select(selector!("article")).next().unwrap_or(card);
            let location = sel_text(article, selector!("article > p:nth-of-type(1) > span"));
            RawListing {
                id: url.as_deref().and_then(id_token),
                title: sel_text(card, selector!(r#"h3[data-cy="listing-item-title"]"#)),
                price: sel_text(article, selector!("article > p:nth-of-type(2)")),
                rooms: sel_text(article, selector!("article > p:nth-of-type(3) > span:nth-of-type(1)")),
                area: sel_text(article, selector!("article > p:nth-of-type(3) > span:nth-of-type(2)")),
                // "Warszawa, Ochota, Ul. Jutrzenki": city, district, street.
                district: location.as_deref().and_then(|l| part(l, ',', 1).or_else(|| part(l, ',', 0))),
                photo: sel_attr(card, selector!(r#"source[data-cy="listing-item-image-source"]"#), "srcset"),
                url,
                ..Default::default()
            }
        })
        .collect();
    if !cards.is_empty() {
        return Parsed { listings: cards, next_page: None };
    }
    // Detail page.
    let Some(title) = doc_text(doc, selector!(r#"h1[data-cy="adPageAdTitle"]"#)) else { return Parsed::default() };
    let url = canonical(doc);
    let value = |label: &str| {
        doc.select(selector!("[aria-label]"))
            .find(|e| e.attr("aria-label") == Some(label))
            .and_then(|e| sel_text(e, selector!(":scope > div:nth-of-type(2)")))
    };
    let location = doc_text(doc, selector!(r##"a[href="#map"]"##));
    let lower_title = title.to_lowercase();
    Parsed {
        listings: vec![RawListing {
            id: url.as_deref().and_then(id_token),
            url,
            furnished: (lower_title.contains("umeblowan")).then_some(true),
            title: Some(title),
            price: doc_text(doc, selector!(r#"[data-cy="adPageHeaderPrice"]"#)),
            area: value("Powierzchnia"),
            rooms: value("Liczba pokoi"),
            district: location.as_deref().and_then(|l| part(l, ',', 1).or_else(|| part(l, ',', 0))),
            photo: meta(doc, "og:image"),
            ..Default::default()
        }],
        next_page: None,
    }
}

// ------------------------------------------------------------------ dom.ria

fn dom_ria(doc: &Html) -> Parsed {
    let listings = doc
        .select(selector!("section.ticket-clear[data-realtyid]"))
        .map(|card| {
            let link = card.select(selector!("h3 a")).next();
            RawListing {
                id: own_attr(card, "data-realtyid"),
                url: link.and_then(|a| own_attr(a, "href")),
                title: link.map(text_of),
                // "р‑н. Свердловський масив <span>Князей Кориатовичей улица</span>, 1 кім.":
                // the district is the link's own text before the street's span.
                district: link
                    .and_then(leading_text)
                    .map(|t| {
                        t.trim_start_matches(|c: char| !c.is_whitespace())
                            .trim()
                            .trim_end_matches(',')
                            .trim()
                            .to_owned()
                    })
                    .filter(|d| !d.is_empty()),
                price: sel_text(card, selector!(r#"b[title="Ціна"], b[title="Цена"]"#)),
                rooms: sel_text(card, selector!("ul.char li:nth-child(1)")),
                area: sel_text(card, selector!("ul.char li:nth-child(2)")),
                photo: sel_attr(card, selector!("a.realtyPhoto img"), "src")
                    .or_else(|| sel_attr(card, selector!("a.realtyPhoto img"), "data-src")),
                ..Default::default()
            }
        })
        .collect();
    Parsed { listings, next_page: doc_attr(doc, selector!("span.next a.page-link"), "href") }
}

/// The text of `el`'s own text nodes before its first child element.
fn leading_text(el: ElementRef<'_>) -> Option<String> {
    let mut out = String::new();
    for child in el.children() {
        match child.value() {
            scraper::Node::Text(t) => out.push_str(t),
            scraper::Node::Element(_) => break,
            _ => (),
        }
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    (!out.is_empty()).then_some(out)
}

// -------------------------------------------------------------------- zillow

fn zillow(doc: &Html) -> Parsed {
    let listings = doc
        .select(selector!(r#"article[data-test="property-card"]"#))
        .map(|card| {
            let url = sel_attr(card, selector!(r#"a[data-test="property-card-link"]"#), "href");
            // The last path segment is stable for units and buildings alike;
            // building card ids are coordinates.
            let id = url.as_deref().and_then(|u| u.trim_end_matches('/').rsplit('/').next()).map(str::to_owned);
            let title = sel_text(card, selector!("address"));
            let details: Vec<String> =
                card.select(selector!(r#"ul[data-testid="property-card-details"] li"#)).map(text_of).collect();
            let price = sel_text(card, selector!(r#"[data-test="property-card-price"]"#));
            let rooms = details
                .iter()
                .find(|d| d.contains("bd") || d.to_lowercase().contains("studio"))
                .cloned()
                .or_else(|| price.clone().filter(|p| p.contains("bd") || p.to_lowercase().contains("studio")));
            let area = details.iter().find(|d| d.contains("sqft")).cloned();
            // "Harper | 80 Rugg Rd, Allston, MA": the town before the state.
            let district = title.as_deref().and_then(|t| {
                let parts: Vec<&str> = t.split(',').map(str::trim).collect();
                parts.len().checked_sub(2).and_then(|i| parts.get(i)).map(|s| (*s).to_owned())
            });
            RawListing {
                id,
                url,
                title,
                price: price.map(|p| p.split("Total").next().unwrap_or(&p).to_owned()),
                rooms: rooms.map(|r| {
                    // The price line of a building card: "$2,975+ Studio" → "Studio".
                    r.split_once('+').map(|(_, rest)| rest.trim().to_owned()).unwrap_or(r)
                }),
                area,
                district,
                photo: sel_attr(card, selector!("img"), "src"),
                ..Default::default()
            }
        })
        .collect();
    Parsed { listings, next_page: doc_attr(doc, selector!(r#"a[title="Next page"], a[rel="next"]"#), "href") }
}

// --------------------------------------------------------- realestate.com.au

fn realestate_com_au(doc: &Html) -> Parsed {
    let listings = doc
        .select(selector!("article.resultBody"))
        .map(|card| {
            let title = sel_text(card, selector!("a.name"));
            RawListing {
                id: own_attr(card, "id").map(|id| id.trim_start_matches('t').to_owned()),
                url: sel_attr(card, selector!("a.name"), "href"),
                price: sel_text(card, selector!(".priceText")),
                rooms: dd_after(card, "Bedrooms"),
                // "82 Orana Avenue, Seven Hills, NSW 2147": the suburb.
                district: title.as_deref().and_then(|t| part(t, ',', 1)),
                photo: sel_attr(card, selector!(".media img"), "data-src")
                    .or_else(|| sel_attr(card, selector!(".media img"), "src")),
                title,
                ..Default::default()
            }
        })
        .collect();
    Parsed { listings, next_page: doc_attr(doc, selector!("li.nextLink a"), "href") }
}

// ------------------------------------------------------------------ zonaprop

fn zonaprop(doc: &Html) -> Parsed {
    let titles = zonaprop_titles(doc);
    let listings = doc
        .select(selector!(r#"div[data-qa="posting PROPERTY"]"#))
        .map(|card| {
            let id = own_attr(card, "data-id");
            let features: Vec<String> =
                card.select(selector!(r#"[data-qa="POSTING_CARD_FEATURES"] span"#)).map(text_of).collect();
            let title =
                id.as_deref().and_then(|id| titles.iter().find(|(i, _)| i == id)).map(|(_, t)| t.clone()).or_else(
                    || {
                        sel_attr(card, selector!(r#"[data-qa="POSTING_CARD_GALLERY"] img"#), "alt")
                            .map(|alt| alt.rsplit(" · ").next().unwrap_or(&alt).to_owned())
                    },
                );
            let location = sel_text(card, selector!(r#"[data-qa="POSTING_CARD_LOCATION"]"#));
            RawListing {
                url: own_attr(card, "data-to-posting"),
                price: sel_text(card, selector!(r#"[data-qa="POSTING_CARD_PRICE"]"#)),
                rooms: features.iter().find(|f| f.contains("amb")).cloned(),
                area: features
                    .iter()
                    .find(|f| f.contains("m²") && f.contains("tot"))
                    .or_else(|| features.iter().find(|f| f.contains("m²")))
                    .cloned(),
                // "Distrito Centro, Ciudad de Santa Fe": the first part.
                district: location.as_deref().and_then(|l| part(l, ',', 0)),
                photo: sel_attr(card, selector!(r#"[data-qa="POSTING_CARD_GALLERY"] img"#), "src"),
                description: sel_text(card, selector!(r#"[data-qa="POSTING_CARD_DESCRIPTION"]"#)),
                id,
                title,
                ..Default::default()
            }
        })
        .collect();
    Parsed { listings, next_page: doc_attr(doc, selector!(r#"a[data-qa="PAGING_NEXT"]"#), "href") }
}

/// (postingId, title) pairs from `window.__PRELOADED_STATE__`, where the
/// cards' titles live.
fn zonaprop_titles(doc: &Html) -> Vec<(String, String)> {
    let Some(state) = script_json(doc, "window.__PRELOADED_STATE__") else { return Vec::new() };
    let postings = state.pointer("/listStore/listPostings").and_then(Value::as_array);
    postings
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let id = match p.get("postingId")? {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some((id, p.get("title")?.as_str()?.to_owned()))
        })
        .collect()
}

/// The JSON value assigned to `marker` (`window.x = {…};`) in an inline
/// script (read as `kind = "json"` sources read `assign`).
fn script_json(doc: &Html, marker: &str) -> Option<Value> {
    doc.select(selector!("script:not([src])"))
        .find_map(|script| json::assigned(&script.text().collect::<String>(), marker))
}

// ------------------------------------------------------------------ pararius

fn pararius(doc: &Html, page: Page<'_>) -> Parsed {
    let cards: Vec<RawListing> = doc
        .select(selector!("li.search-list__item--listing, section.listing-search-item"))
        .map(|card| RawListing {
            url: sel_attr(card, selector!("a.listing-search-item__link--title, h2 a"), "href"),
            title: sel_text(card, selector!(".listing-search-item__title, h2")),
            price: sel_text(card, selector!(".listing-search-item__price")),
            area: sel_text(card, selector!(".illustrated-features__item--surface-area")),
            rooms: sel_text(card, selector!(".illustrated-features__item--number-of-rooms")),
            district: sel_text(card, selector!(".listing-search-item__sub-title")).map(|l| in_parentheses(&l)),
            photo: sel_attr(card, selector!("img"), "src"),
            ..Default::default()
        })
        .map(|mut raw| {
            raw.id = raw.url.as_deref().and_then(pararius_id);
            raw
        })
        .collect();
    if !cards.is_empty() {
        return Parsed { listings: cards, next_page: doc_attr(doc, selector!("a.pagination__link--next"), "href") };
    }
    // Detail page.
    let Some(title) = doc_text(doc, selector!("h1.listing-detail-summary__title")) else { return Parsed::default() };
    let url = canonical(doc).unwrap_or_else(|| page.url.to_string());
    let from_jsonld = jsonld::extract(doc, page).listings.into_iter().next().unwrap_or_default();
    let interior = doc_text(doc, selector!(".listing-features__description--interior"));
    Parsed {
        listings: vec![RawListing {
            id: pararius_id(&url),
            title: Some(title),
            price: doc_text(doc, selector!(".listing-detail-summary__price")).or(from_jsonld.price),
            area: doc_text(doc, selector!(".listing-features__description--surface_area")).or(from_jsonld.area),
            rooms: doc_text(doc, selector!(".listing-features__description--number_of_rooms")).or(from_jsonld.rooms),
            district: doc_text(doc, selector!(".listing-detail-summary__location"))
                .map(|l| in_parentheses(&l))
                .or(from_jsonld.district),
            photo: meta(doc, "og:image").or(from_jsonld.photo),
            furnished: interior.map(|i| {
                let i = i.to_lowercase();
                i.contains("furnished") && !i.contains("unfurnished") || i.contains("gemeubileerd")
            }),
            url: Some(url),
            ..Default::default()
        }],
        next_page: None,
    }
}

/// "…/apartment-for-rent/amsterdam/dd58755b/hoofdweg" → "dd58755b".
fn pararius_id(url: &str) -> Option<String> {
    static ID: LazyLock<Regex> = LazyLock::new(|| regex(r"-for-rent/[^/]+/([0-9a-f]{8})(?:/|$)"));
    capture(&ID, url)
}
