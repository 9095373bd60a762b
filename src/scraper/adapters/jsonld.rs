//! `kind = "jsonld"`: schema.org listing data embedded as JSON-LD.
//!
//! Every `<script type="application/ld+json">` is walked (arrays, `@graph`,
//! `ItemList`s); each node whose `@type` (a string or an array) names a
//! listing — Offer, Product, Apartment, House, Residence,
//! SingleFamilyResidence, Accommodation, RealEstateListing… — becomes one
//! listing. `businessFunction` is ignored: sites get rent vs sale wrong.

use scraper::Html;
use serde_json::Value;

use super::{Page, Parsed, selector};
use crate::scraper::listing::RawListing;

/// Larger JSON-LD blocks are skipped (bounded work on untrusted input).
const MAX_BLOCK: usize = 4 * 1024 * 1024;
/// Deepest nesting walked.
const MAX_DEPTH: usize = 12;

const LISTING_TYPES: &[&str] = &[
    "Offer",
    "AggregateOffer",
    "Product",
    "Apartment",
    "House",
    "Residence",
    "SingleFamilyResidence",
    "ApartmentComplex",
    "Accommodation",
    "Room",
    "Suite",
    "RealEstateListing",
    "Place",
];

pub fn extract(doc: &Html, _page: Page<'_>) -> Parsed {
    let mut listings: Vec<(Option<String>, RawListing)> = Vec::new();
    for script in doc.select(selector!(r#"script[type="application/ld+json"]"#)) {
        let text: String = script.text().collect();
        if text.len() > MAX_BLOCK {
            continue;
        }
        // Some sites leave raw control characters in strings; the block is
        // skipped rather than guessed at.
        let Ok(value) = serde_json::from_str::<Value>(text.trim()) else { continue };
        walk(&value, 0, &mut listings);
    }
    Parsed { listings: merge_entities(listings), next_page: None }
}

/// Entities that share an `@id` (or, without one, a URL) describe one
/// listing (an `Apartment` with rooms and area, a `RealEstateListing` with the
/// offer): merged field by field, the first entity's value first, in the
/// order of the first.
fn merge_entities(entities: Vec<(Option<String>, RawListing)>) -> Vec<RawListing> {
    let mut out: Vec<RawListing> = Vec::with_capacity(entities.len());
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (key, listing) in entities {
        let key = key.or_else(|| listing.url.clone());
        match key.as_ref().and_then(|k| index.get(k)) {
            Some(&i) => fill_from(&mut out[i], listing),
            None => {
                if let Some(k) = key {
                    index.insert(k, out.len());
                }
                out.push(listing);
            }
        }
    }
    out
}

fn fill_from(into: &mut RawListing, from: RawListing) {
    macro_rules! fill {
        ($($f:ident),*) => { $( if into.$f.is_none() { into.$f = from.$f; } )* };
    }
    fill!(
        id,
        url,
        title,
        price,
        currency,
        period,
        rooms,
        rooms_value,
        area,
        district,
        photo,
        description,
        furnished,
        phone
    );
}

fn types(node: &Value) -> Vec<&str> {
    match node.get("@type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn walk(node: &Value, depth: usize, out: &mut Vec<(Option<String>, RawListing)>) {
    if depth > MAX_DEPTH {
        return;
    }
    match node {
        Value::Array(items) => items.iter().for_each(|i| walk(i, depth + 1, out)),
        Value::Object(map) => {
            let ts = types(node);
            if ts.iter().any(|t| LISTING_TYPES.contains(t)) && !ts.contains(&"ItemList") {
                // "Place" alone is too vague unless it carries an offer or a url.
                if ts.iter().all(|t| *t == "Place") && node.get("offers").is_none() {
                    return;
                }
                out.push((string(node.get("@id")), listing(node)));
                return;
            }
            for (key, value) in map {
                if key != "@context" {
                    walk(value, depth + 1, out);
                }
            }
        }
        _ => (),
    }
}

fn string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => items.iter().find_map(|i| string(Some(i))),
        // QuantitativeValue, ImageObject, a referenced node.
        Value::Object(o) => {
            string(o.get("value").or_else(|| o.get("url")).or_else(|| o.get("@id")).or_else(|| o.get("name")))
        }
        _ => None,
    }
}

/// "10117 Berlin-Mitte" → "Mitte"; "Berlin Kreuzberg" → "Kreuzberg";
/// "Hauptstr. 5, 10117 Berlin-Mitte" → "Mitte".
fn district_of(address: &str) -> Option<String> {
    let last = address.rsplit(',').next().unwrap_or(address).trim();
    // Drop a postcode in front.
    let place = last.trim_start_matches(|c: char| c.is_ascii_digit() || c.is_whitespace());
    let district = match place.split_once('-') {
        Some((_, d)) => d,
        None => place.split_once(' ').map_or(place, |(_, d)| d),
    };
    Some(district.trim().to_owned()).filter(|d| !d.is_empty() && !d.chars().next().is_some_and(|c| c.is_ascii_digit()))
}

/// Every image URL of a schema.org `image`: a URL, an ImageObject
/// (`url`/`contentUrl`), or a list of them.
fn photos(image: Option<&Value>) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Object(o) => {
            o.get("url").or_else(|| o.get("contentUrl")).and_then(Value::as_str).map(|s| s.trim().to_owned())
        }
        _ => None,
    };
    match image {
        Some(Value::Array(items)) => items.iter().take(50).filter_map(one).filter(|s| !s.is_empty()).collect(),
        Some(v) => one(v).into_iter().filter(|s| !s.is_empty()).collect(),
        None => Vec::new(),
    }
}

fn first_offer(node: &Value) -> Option<&Value> {
    match node.get("offers")? {
        Value::Array(offers) => offers.first(),
        offer => Some(offer),
    }
}

fn listing(node: &Value) -> RawListing {
    // An Offer describing its item: read the item's fields too.
    let item = node.get("itemOffered").unwrap_or(node);
    let offer = first_offer(node).or_else(|| first_offer(item)).unwrap_or(node);
    let field = |key: &str| string(node.get(key)).or_else(|| string(item.get(key)));
    // A url with a fragment points into a results page (dom.ria); the node's
    // @id or its offer's url then names the listing itself.
    let candidates = [
        field("url"),
        string(node.get("@id")).filter(|id| id.starts_with("http") || id.starts_with('/')),
        string(offer.get("url")),
    ];
    let url =
        candidates.iter().flatten().find(|u| !u.contains('#')).or_else(|| candidates.iter().flatten().next()).cloned();
    let id = field("sku")
        .or_else(|| field("productID"))
        .or_else(|| field("identifier"))
        .or_else(|| string(offer.get("sku")));
    let price = string(offer.get("price"))
        .or_else(|| string(offer.get("lowPrice")))
        .or_else(|| offer.get("priceSpecification").and_then(|p| string(p.get("price"))));
    let currency = string(offer.get("priceCurrency"))
        .or_else(|| offer.get("priceSpecification").and_then(|p| string(p.get("priceCurrency"))));
    let area = item.get("floorSize").or_else(|| node.get("floorSize")).and_then(|size| {
        let value = string(size.get("value")).or_else(|| string(Some(size)))?;
        let unit = string(size.get("unitCode")).or_else(|| string(size.get("unitText"))).unwrap_or_default();
        Some(if matches!(unit.as_str(), "FTK" | "SQF" | "sqft" | "ft²") {
            format!("{value} sq ft")
        } else {
            format!("{value} m²")
        })
    });
    let address = item.get("address").or_else(|| node.get("address"));
    let district = address
        .and_then(|a| string(a.get("addressRegion")).or_else(|| string(a.get("addressLocality"))))
        .or_else(|| field("areaServed"))
        .or_else(|| {
            let a = address?;
            string(a.get("name")).or_else(|| string(a.get("streetAddress"))).and_then(|t| district_of(&t))
        });
    RawListing {
        id,
        url,
        title: field("name"),
        price,
        currency,
        rooms: field("numberOfRooms").or_else(|| field("numberOfBedrooms")),
        area,
        district,
        photo: field("image").or_else(|| field("photo")),
        photos: photos(node.get("image").or_else(|| item.get("image"))),
        description: field("description"),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_image_of_a_listing() {
        let node: Value = serde_json::from_str(
            r#"{"image": ["https://x/1.jpg", {"@type": "ImageObject", "url": "https://x/2.jpg"}, {"contentUrl": "https://x/3.jpg"}, 5]}"#,
        )
        .unwrap();
        assert_eq!(photos(node.get("image")), ["https://x/1.jpg", "https://x/2.jpg", "https://x/3.jpg"]);
        assert_eq!(photos(Some(&Value::String("https://x/only.jpg".into()))), ["https://x/only.jpg"]);
        assert!(photos(None).is_empty());
    }

    #[test]
    fn districts_from_addresses() {
        assert_eq!(district_of("10117 Berlin-Mitte").as_deref(), Some("Mitte"));
        assert_eq!(district_of("Hauptstr. 5, 10243 Berlin-Friedrichshain").as_deref(), Some("Friedrichshain"));
        assert_eq!(district_of("Berlin Kreuzberg").as_deref(), Some("Kreuzberg"));
        assert_eq!(district_of("Leipzig").as_deref(), Some("Leipzig"));
    }
}
