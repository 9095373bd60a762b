//! `kind = "jsonld"`: schema.org listing data embedded as JSON-LD.
//!
//! Every `<script type="application/ld+json">` is walked (arrays, `@graph`,
//! `ItemList`s); each node whose `@type` (a string or an array) names a
//! listing — Offer, Product, Apartment, House, Residence,
//! SingleFamilyResidence, Accommodation, RealEstateListing… — becomes one
//! listing. `businessFunction` is ignored: sites get rent vs sale wrong.

use std::collections::BTreeMap;

use scraper::Html;
use serde_json::Value;

use super::{
    Page, Parsed,
    field::{FIELDS, FieldConfig},
    json, selector,
};
use crate::scraper::listing::RawListing;

/// `[sources.jsonld]`: fields read from each listing's merged entities (a
/// JSONPath run on each entity in turn, then processed), over what the
/// schema.org reading found. A configured `id` also keeps listings apart
/// that share one link.
#[derive(Debug, Clone)]
pub struct JsonLdSpec {
    fields: BTreeMap<&'static str, json::JsonField>,
}

impl JsonLdSpec {
    /// Compiles the table; the error names the field.
    pub fn compile(config: &BTreeMap<String, FieldConfig>) -> Result<Self, (String, String)> {
        let mut fields = BTreeMap::new();
        for (name, spec) in config {
            let Some(known) = FIELDS.iter().find(|f| **f == name.as_str()) else {
                return Err((name.clone(), format!("is not a field ({})", FIELDS.join(", "))));
            };
            fields.insert(*known, json::JsonField::compile(name, spec, "jsonld").map_err(|e| (name.clone(), e))?);
        }
        Ok(Self { fields })
    }

    pub fn field_names(&self) -> Vec<&'static str> {
        self.fields.keys().copied().collect()
    }

    /// The configured value of `name` from `nodes` (the listing's entities).
    fn get(&self, name: &str, nodes: &[&Value]) -> Option<Option<String>> {
        let json::JsonField { paths, value, process } = self.fields.get(name)?;
        let raw = value.clone().or_else(|| {
            paths.iter().find_map(|p| nodes.iter().find_map(|n| p.query(n).iter().find_map(|v| json::text(v))))
        });
        let lookup = |_: &str| None;
        Some(process.apply(raw, &lookup))
    }

    /// `listing` with the configured fields read from `nodes`; a field the
    /// configuration finds nothing for keeps the schema.org value.
    fn apply(&self, mut listing: RawListing, nodes: &[&Value]) -> RawListing {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(Some(v)) = self.get(stringify!($f), nodes) { listing.$f = Some(v); } )* };
        }
        set!(id, url, title, price, currency, district, photo, description, phone, lat, lon, geo);
        // A configured "lat,lon" wins over the coordinates schema.org gave.
        if matches!(self.get("geo", nodes), Some(Some(_))) && !matches!(self.get("lat", nodes), Some(Some(_))) {
            (listing.lat, listing.lon) = (None, None);
        }
        // A configured text wins over the number schema.org gave.
        if let Some(Some(v)) = self.get("area", nodes) {
            listing.area = Some(v);
            listing.area_value = None;
        }
        if let Some(Some(p)) = self.get("period", nodes) {
            listing.period = crate::scraper::normalize::Period::parse(&p.to_lowercase());
        }
        if let Some(Some(f)) = self.get("furnished", nodes) {
            listing.furnished = super::field::parse_flag(&f);
        }
        if let Some(Some(v)) = self.get("rooms", nodes) {
            listing.rooms = Some(v);
            listing.rooms_value = None;
        }
        listing
    }
}

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

pub fn extract(doc: &Html, page: Page<'_>) -> Parsed {
    extract_with(doc, page, None)
}

/// One entity: its `@id`, `@type`s, what schema.org says, and its node.
type Entity<'a> = (Option<String>, Vec<String>, RawListing, &'a Value);

/// The listings of `doc`, with `spec`'s fields read over them.
pub fn extract_with(doc: &Html, _page: Page<'_>, spec: Option<&JsonLdSpec>) -> Parsed {
    let mut blocks: Vec<Value> = Vec::new();
    for script in doc.select(selector!(r#"script[type="application/ld+json"]"#)) {
        let text: String = script.text().collect();
        if text.len() > MAX_BLOCK {
            continue;
        }
        // Some sites leave raw control characters in strings; the block is
        // skipped rather than guessed at.
        let Ok(value) = serde_json::from_str::<Value>(text.trim()) else { continue };
        blocks.push(value);
    }
    let mut entities: Vec<Entity<'_>> = Vec::new();
    for value in &blocks {
        walk(value, 0, &mut entities);
    }
    let listings = merge_entities(entities, spec)
        .into_iter()
        .map(|(listing, nodes)| match spec {
            Some(spec) => spec.apply(listing, &nodes),
            None => listing,
        })
        .collect();
    Parsed { listings, next_page: None }
}

/// Entities that describe one listing are merged field by field (the first
/// entity's value first, in the order of the first): those sharing an
/// `@id`, and, without one, entities of different types sharing a URL (an
/// `Apartment` with rooms and area, a `RealEstateListing` with the offer).
/// Two entities of one type sharing a link are two ads, kept apart; with a
/// configured `id`, entities whose ids differ are never merged.
fn merge_entities<'a>(entities: Vec<Entity<'a>>, spec: Option<&JsonLdSpec>) -> Vec<(RawListing, Vec<&'a Value>)> {
    struct Merged<'a> {
        listing: RawListing,
        nodes: Vec<&'a Value>,
        types: Vec<String>,
        has_at_id: bool,
        /// The configured `id`, if any.
        own_id: Option<String>,
    }
    let mut out: Vec<Merged<'a>> = Vec::with_capacity(entities.len());
    // Per key, the merged listings having it (a few at most).
    let mut by_key: std::collections::HashMap<String, Vec<usize>> = std::collections::HashMap::new();
    for (at_id, types, listing, node) in entities {
        let own_id = spec.and_then(|s| s.get("id", &[node])).flatten();
        let has_at_id = at_id.is_some();
        let key = at_id.or_else(|| listing.url.clone());
        let same = key.as_ref().and_then(|key| by_key.get(key)).and_then(|candidates| {
            candidates.iter().copied().find(|&i| {
                let m = &out[i];
                !(own_id.is_some() && m.own_id.is_some() && own_id != m.own_id)
                    && (has_at_id || m.has_at_id || !types.iter().any(|t| m.types.contains(t)))
            })
        });
        match same {
            Some(i) => {
                let m = &mut out[i];
                fill_from(&mut m.listing, listing);
                m.nodes.push(node);
                m.types.extend(types);
                m.has_at_id |= has_at_id;
                m.own_id = m.own_id.take().or(own_id);
            }
            None => {
                if let Some(k) = &key {
                    by_key.entry(k.clone()).or_default().push(out.len());
                }
                out.push(Merged { listing, nodes: vec![node], types, has_at_id, own_id });
            }
        }
    }
    out.into_iter().map(|m| (m.listing, m.nodes)).collect()
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
        phone,
        lat,
        lon,
        geo
    );
}

fn types(node: &Value) -> Vec<&str> {
    match node.get("@type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn walk<'a>(node: &'a Value, depth: usize, out: &mut Vec<Entity<'a>>) {
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
                out.push((string(node.get("@id")), ts.iter().map(|t| (*t).to_owned()).collect(), listing(node), node));
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
    // schema.org `geo` (GeoCoordinates), on the listing, its item or its
    // place (`contentLocation`, `location`).
    let geo = [node, item]
        .into_iter()
        .flat_map(|n| {
            [
                n.get("geo"),
                n.get("contentLocation").and_then(|p| p.get("geo")),
                n.get("location").and_then(|p| p.get("geo")),
            ]
        })
        .flatten()
        .find(|g| g.get("latitude").is_some());
    RawListing {
        id,
        url,
        title: field("name"),
        lat: geo.and_then(|g| string(g.get("latitude"))),
        lon: geo.and_then(|g| string(g.get("longitude"))),
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
    fn coordinates_from_schema_org_geo() {
        let read = |json: &str| {
            let node: Value = serde_json::from_str(json).unwrap();
            let l = listing(&node);
            (l.lat, l.lon)
        };
        let some = |a: &str, b: &str| (Some(a.to_owned()), Some(b.to_owned()));
        let geo = r#"{"@type": "GeoCoordinates", "latitude": 52.5219, "longitude": "13.4132"}"#;
        assert_eq!(read(&format!(r#"{{"@type": "Apartment", "geo": {geo}}}"#)), some("52.5219", "13.4132"));
        assert_eq!(
            read(&format!(r#"{{"@type": "Offer", "itemOffered": {{"@type": "Apartment", "geo": {geo}}}}}"#)),
            some("52.5219", "13.4132")
        );
        assert_eq!(
            read(&format!(
                r#"{{"@type": "RealEstateListing", "contentLocation": {{"@type": "Place", "geo": {geo}}}}}"#
            )),
            some("52.5219", "13.4132")
        );
        assert_eq!(read(r#"{"@type": "Apartment", "geo": {"@type": "GeoShape", "box": "1 2 3 4"}}"#), (None, None));
    }

    #[test]
    fn districts_from_addresses() {
        assert_eq!(district_of("10117 Berlin-Mitte").as_deref(), Some("Mitte"));
        assert_eq!(district_of("Hauptstr. 5, 10243 Berlin-Friedrichshain").as_deref(), Some("Friedrichshain"));
        assert_eq!(district_of("Berlin Kreuzberg").as_deref(), Some("Kreuzberg"));
        assert_eq!(district_of("Leipzig").as_deref(), Some("Leipzig"));
    }
}
