//! Built-in kinds written in the css/json model (`presets.toml`, compiled
//! into the binary). A source names one as its `kind` and may override any
//! of its keys in the sources file; a layout change is then fixed there.

use std::sync::LazyLock;

use toml::{Table, Value};

use crate::scraper::slim::Prune;

const PRESETS_TOML: &str = include_str!("../presets/presets.toml");

static PRESETS: LazyLock<Table> = LazyLock::new(|| {
    // The file is part of the binary and checked by a unit test.
    PRESETS_TOML.parse::<Table>().unwrap_or_default()
});

/// The names of every preset.
pub fn names() -> Vec<&'static str> {
    PRESETS.keys().map(String::as_str).collect()
}

/// The preset's table (its `home` removed), if `kind` is a preset.
pub fn table(kind: &str) -> Option<Table> {
    let mut table = PRESETS.get(kind)?.as_table()?.clone();
    table.remove("home");
    Some(table)
}

/// The site's home page: the base for links in a saved page of it.
pub fn home(kind: &str) -> Option<&'static str> {
    PRESETS.get(kind)?.get("home")?.as_str()
}

/// The pre-pass of a preset whose selectors are used unchanged: what of the
/// page it never reads. An overridden preset is parsed whole.
pub fn prune(kind: &str) -> Prune {
    match kind {
        // 420 KB, most of it header, filters, dialogs, link lists and a
        // print-only copy of every card: parsing starts at the first card.
        "wg-gesucht" => Prune {
            start_at: Some("wgg_card offer_list_item"),
            // "bottom" is each card's row of the advertiser's avatar and name.
            drop_classes: &["printonly", "bottom", "modal", "ul-bottomlinks", "ul-quickfilter", "dropdown-menu"],
            // Images stay: 2026 cards show the photo as an <img>.
            drop_tags: &["form", "select"],
            keep_attrs: Some(&["class", "href", "title", "style", "src", "data-src", "data-id", "aria-label"]),
            drop_script_attrs: true,
            ..Prune::default()
        },
        // 490 KB, most of it header, filters and hidden finance and contact
        // popups: parsing starts at the first card.
        "regionalimmobilien24" => Prune {
            start_at: Some("list-immoitem"),
            drop_tags: &["form", "select", "svg"],
            drop_script_attrs: true,
            ..Prune::default()
        },
        _ => Prune::default(),
    }
}

/// The URL a source of `kind` asks, from the URL written in the sources file:
/// an ImmobilienScout24 web search becomes the app API's query. Other kinds,
/// and URLs already in the API's form, are kept. The error says what cannot
/// be carried over.
pub fn rewrite_url(kind: &str, url: &str) -> Result<String, String> {
    match kind {
        "immoscout" => immoscout_url(url),
        "flatfox" => flatfox_url(url),
        _ => Ok(url.to_owned()),
    }
}

/// The period a source of `kind` at `url` (as rewritten) prices in when
/// the sources file says none: an ImmobilienScout24 purchase search totals.
pub fn implied_period(kind: &str, url: &str) -> Option<&'static str> {
    (kind == "immoscout" && url.contains("buy&")).then_some("total")
}

const IMMOSCOUT_API: &str = "https://api.mobile.immobilienscout24.de/search/list";

/// Web search types and the API's `realestatetype`.
const IMMOSCOUT_TYPES: &[(&str, &str)] = &[
    ("wohnung-mieten", "apartmentrent"),
    ("wohnung-kaufen", "apartmentbuy"),
    ("haus-mieten", "houserent"),
    ("haus-kaufen", "housebuy"),
];

/// Query parameters the web search and the API share.
const IMMOSCOUT_CARRIED: &[&str] =
    &["price", "pricetype", "numberofrooms", "livingspace", "equipment", "haspromotion", "exclusioncriteria"];
/// Query parameters of the web search that do not change the results.
const IMMOSCOUT_IGNORED: &[&str] = &["enteredfrom", "sorting", "pagenumber", "viewmode"];

fn immoscout_url(written: &str) -> Result<String, String> {
    let form = "write the site's search URL, https://www.immobilienscout24.de/Suche/de/STATE/CITY/wohnung-mieten \
                (or wohnung-kaufen, haus-mieten, haus-kaufen), with its filters";
    let url = reqwest::Url::parse(written.trim()).map_err(|_| format!("{written:?} is not a URL; {form}"))?;
    let host = url.host_str().unwrap_or_default();
    if host == "api.mobile.immobilienscout24.de" || !host.ends_with("immobilienscout24.de") {
        // The API's own URL (or a test server): used as written, paged.
        let written = written.trim();
        if url.query_pairs().any(|(k, _)| k == "pagenumber") || written.contains("{page}") {
            return Ok(written.to_owned());
        }
        return Ok(format!("{written}{}pagenumber={{page}}", if url.query().is_some() { "&" } else { "?" }));
    }
    if matches!(url.path(), "" | "/") {
        // The home page: the base for a saved answer (`check-source --kind`).
        return Ok(written.trim().to_owned());
    }
    let segments: Vec<&str> = url.path_segments().map(|s| s.filter(|p| !p.is_empty()).collect()).unwrap_or_default();
    let (geo, kind) = match segments.as_slice() {
        ["Suche", "de", geo @ .., kind] if !geo.is_empty() => (geo.join("/"), *kind),
        ["Suche", "radius", ..] => {
            return Err("a radius search (/Suche/radius/…) cannot be asked through the app API; \
                        search by city or district instead"
                .to_owned());
        }
        _ => return Err(format!("{:?} is not a search URL the preset can read; {form}", url.path())),
    };
    let Some((_, estate)) = IMMOSCOUT_TYPES.iter().find(|(web, _)| *web == kind) else {
        let known: Vec<&str> = IMMOSCOUT_TYPES.iter().map(|(w, _)| *w).collect();
        return Err(format!("the search type {kind:?} is not one the preset knows ({})", known.join(", ")));
    };
    let mut api = reqwest::Url::parse(IMMOSCOUT_API).map_err(|e| e.to_string())?;
    let mut unknown = Vec::new();
    {
        let mut query = api.query_pairs_mut();
        query.append_pair("searchType", "region");
        query.append_pair("realestatetype", estate);
        query.append_pair("geocodes", &format!("/de/{geo}"));
        query.append_pair("sorting", "-firstactivation");
        for (key, value) in url.query_pairs() {
            let lower = key.to_lowercase();
            if IMMOSCOUT_CARRIED.contains(&lower.as_str()) {
                query.append_pair(&lower, &value);
            } else if !IMMOSCOUT_IGNORED.contains(&lower.as_str()) {
                unknown.push(key.into_owned());
            }
        }
    }
    if !unknown.is_empty() {
        return Err(format!(
            "the filter(s) {} cannot be carried over to the app API (it takes {}); remove them from the URL",
            unknown.join(", "),
            IMMOSCOUT_CARRIED.join(", ")
        ));
    }
    Ok(format!("{api}&pagenumber={{page}}"))
}

/// Most pins asked of flatfox in one run (its listings come in one answer).
const FLATFOX_PINS: &str = "100";

/// A flatfox map search becomes its pins query (the preset then asks the
/// listings of the pins' keys). The pins URL, the home page and other hosts
/// (a test server) are kept.
fn flatfox_url(written: &str) -> Result<String, String> {
    let form = "write the site's map search URL, https://flatfox.ch/de/search/?east=…&north=…&south=…&west=…";
    let url = reqwest::Url::parse(written.trim()).map_err(|_| format!("{written:?} is not a URL; {form}"))?;
    let host = url.host_str().unwrap_or_default();
    if !host.ends_with("flatfox.ch") || matches!(url.path(), "" | "/") || url.path().starts_with("/api/v1/pin") {
        return Ok(written.trim().to_owned());
    }
    if url.path().starts_with("/api/") {
        return Err(format!(
            "{:?} is an API answer the preset asks by itself (it needs the pins first); {form}",
            url.path()
        ));
    }
    let search = url.path_segments().is_some_and(|mut s| s.any(|p| p == "search"));
    if !search {
        return Err(format!("{:?} is not a search URL the preset can read; {form}", url.path()));
    }
    let mut pins = reqwest::Url::parse("https://flatfox.ch/api/v1/pin/").map_err(|e| e.to_string())?;
    {
        let mut query = pins.query_pairs_mut();
        for (key, value) in url.query_pairs().filter(|(k, _)| k != "max_count") {
            query.append_pair(&key, &value);
        }
        query.append_pair("max_count", FLATFOX_PINS);
    }
    Ok(pins.to_string())
}

/// `over` merged into `base`: tables key by key, anything else replaced.
pub fn merge(base: &mut Table, over: Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(b)), Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_have_a_home() {
        assert!(PRESETS_TOML.parse::<Table>().is_ok());
        for name in names() {
            assert!(home(name).is_some_and(|h| h.starts_with("https://")), "{name}");
            let kind = table(name).and_then(|t| t.get("kind").and_then(Value::as_str).map(str::to_owned));
            assert!(matches!(kind.as_deref(), Some("css" | "json")), "{name}: {kind:?}");
        }
        assert!(names().contains(&"wg-gesucht") && names().contains(&"bayut"));
    }

    #[test]
    fn a_flatfox_map_search_becomes_its_pins_query() {
        let pins = rewrite_url(
            "flatfox",
            "https://flatfox.ch/de/search/?east=8.62&north=47.43&south=47.32&west=8.44&object_category=APARTMENT&offer_type=RENT",
        )
        .unwrap();
        assert_eq!(
            pins,
            "https://flatfox.ch/api/v1/pin/?east=8.62&north=47.43&south=47.32&west=8.44&object_category=APARTMENT\
             &offer_type=RENT&max_count=100"
        );
        assert_eq!(rewrite_url("flatfox", &pins).unwrap(), pins, "kept");
        let e = rewrite_url("flatfox", "https://flatfox.ch/api/v1/public-listing/?pk=1").unwrap_err();
        assert!(e.contains("pins first") && e.contains("/de/search/"), "{e}");
        assert!(rewrite_url("flatfox", "https://flatfox.ch/de/flat/x/1/").unwrap_err().contains("not a search"));
        assert_eq!(rewrite_url("flatfox", "http://127.0.0.1:9/pins").unwrap(), "http://127.0.0.1:9/pins");
    }

    #[test]
    fn an_immoscout_web_search_becomes_the_app_api_query() {
        let api = rewrite_url(
            "immoscout",
            "https://www.immobilienscout24.de/Suche/de/nordrhein-westfalen/duesseldorf/wohnung-mieten?price=-1500.0&numberofrooms=2.0-&enteredFrom=one_step_search",
        )
        .unwrap();
        assert_eq!(
            api,
            "https://api.mobile.immobilienscout24.de/search/list?searchType=region&realestatetype=apartmentrent\
             &geocodes=%2Fde%2Fnordrhein-westfalen%2Fduesseldorf&sorting=-firstactivation&price=-1500.0\
             &numberofrooms=2.0-&pagenumber={page}"
        );
        let buy =
            rewrite_url("immoscout", "https://www.immobilienscout24.de/Suche/de/berlin/berlin/haus-kaufen").unwrap();
        assert!(buy.contains("realestatetype=housebuy") && buy.contains("geocodes=%2Fde%2Fberlin%2Fberlin"), "{buy}");
        // The API's own URL is kept, paged.
        let own = "https://api.mobile.immobilienscout24.de/search/list?searchType=region&realestatetype=apartmentrent";
        assert_eq!(rewrite_url("immoscout", own).unwrap(), format!("{own}&pagenumber={{page}}"));
        // What cannot be carried over is said.
        let e = rewrite_url(
            "immoscout",
            "https://www.immobilienscout24.de/Suche/radius/wohnung-mieten?geocoordinates=1;2;3",
        )
        .unwrap_err();
        assert!(e.contains("radius") && e.contains("API; search by city"), "one space between words: {e}");
        let e = rewrite_url(
            "immoscout",
            "https://www.immobilienscout24.de/Suche/de/berlin/berlin/wohnung-mieten?shape=abc",
        )
        .unwrap_err();
        assert!(e.contains("shape"), "{e}");
        let e = rewrite_url("immoscout", "https://www.immobilienscout24.de/Suche/de/berlin/berlin/garage-mieten")
            .unwrap_err();
        assert!(e.contains("garage-mieten"), "{e}");
        let e = rewrite_url("immoscout", "https://www.immobilienscout24.de/Suche/xyz").unwrap_err();
        assert!(e.contains("wohnung-mieten (or wohnung-kaufen"), "one space between words: {e}");
        assert_eq!(rewrite_url("wg-gesucht", "https://x.example/a").unwrap(), "https://x.example/a");
    }

    #[test]
    fn merge_is_key_by_key() {
        let mut base: Table = "a = 1\n[t]\nx = 1\ny = 2".parse().unwrap();
        merge(&mut base, "b = 2\n[t]\ny = 3".parse().unwrap());
        assert_eq!(base.to_string(), "a = 1\nb = 2\n\n[t]\nx = 1\ny = 3\n");
    }
}
