//! What a listing is, apart from any component: the normalised listing the
//! scraper produces and storage keeps, its price period, the HTTP
//! validators kept per source, and the fill rates a run is judged by.

use serde::Serialize;

/// How often a price is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Month,
    Week,
    Day,
    Year,
    /// A sale price.
    Total,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Month => "month",
            Period::Week => "week",
            Period::Day => "day",
            Period::Year => "year",
            Period::Total => "total",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "month" => Some(Period::Month),
            "week" => Some(Period::Week),
            "day" => Some(Period::Day),
            "year" => Some(Period::Year),
            "total" => Some(Period::Total),
            _ => None,
        }
    }
}

/// The photo list stored for a listing, `photo` first (empty when it has
/// one or none).
pub fn photos_of(l: &entity::listing::Model) -> Vec<String> {
    l.photos.as_deref().and_then(|p| serde_json::from_str(p).ok()).unwrap_or_default()
}

/// Most photos kept per listing (an album holds 10).
pub const MAX_PHOTOS: usize = 10;

/// A normalised listing; also the JSON line `check-source` prints.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Listing {
    pub source: String,
    pub id: String,
    pub url: String,
    pub title: String,
    /// The source gave no title: `title` is the district (or the URL) so an
    /// alert still reads well, but the title counts as missing (fill rates,
    /// `check-source`).
    #[serde(skip)]
    pub title_is_fallback: bool,
    /// As shown; a range gives its lower bound.
    pub price: Option<f64>,
    pub currency: Option<String>,
    pub period: Option<Period>,
    pub monthly_price: Option<i64>,
    /// 0 = studio.
    pub rooms: Option<f64>,
    pub area_m2: Option<f64>,
    pub district: Option<String>,
    pub photo: Option<String>,
    /// Every photo the source gives, `photo` first, at most
    /// [`MAX_PHOTOS`]; empty when it gives one or none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub furnished: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Where the flat is, when the source says (WGS 84 degrees).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
}

impl Listing {
    /// Whether the listing has field `name` (the names of `check-source`'s
    /// output, `area` for `area_m2`): a title that fell back to the district
    /// does not count; `id` and `url` every listing has.
    pub fn has(&self, name: &str) -> bool {
        match name {
            "title" => !self.title_is_fallback,
            "price" => self.price.is_some(),
            "currency" => self.currency.is_some(),
            "period" => self.period.is_some(),
            "monthly_price" => self.monthly_price.is_some(),
            "rooms" => self.rooms.is_some(),
            "area" | "area_m2" => self.area_m2.is_some(),
            "district" => self.district.is_some(),
            "photo" => self.photo.is_some(),
            "photos" => !self.photos.is_empty() || self.photo.is_some(),
            "description" => self.description.is_some(),
            "furnished" => self.furnished.is_some(),
            "phone" => self.phone.is_some(),
            "lat" | "lon" | "geo" => self.lat.is_some() && self.lon.is_some(),
            _ => true,
        }
    }
}

/// Validators from the last successful fetch of a URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Per field, the share of a run's listings that had it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldFill {
    pub listings: usize,
    pub rates: Vec<(&'static str, f64)>,
}

/// A field filled on at least this share of a good run's listings is
/// expected; a later run of at least [`FILL_MIN_LISTINGS`] listings with it
/// on none is a layout change (a bad run).
pub const FILL_EXPECTED: f64 = 0.5;
pub const FILL_MIN_LISTINGS: usize = 3;

impl FieldFill {
    const FIELDS: [&'static str; 9] =
        ["title", "price", "rooms", "area_m2", "district", "photo", "furnished", "period", "phone"];

    pub fn of(listings: &[Listing]) -> Self {
        let n = listings.len();
        let rates = Self::FIELDS
            .iter()
            .map(|&name| {
                let with = listings.iter().filter(|l| l.has(name)).count();
                let rate = if n == 0 { 0.0 } else { with as f64 / n as f64 };
                (name, (rate * 1000.0).round() / 1000.0)
            })
            .collect();
        Self { listings: n, rates }
    }

    pub fn to_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> =
            self.rates.iter().map(|(k, v)| ((*k).to_owned(), serde_json::json!(v))).collect();
        serde_json::json!({ "listings": self.listings, "rates": map }).to_string()
    }

    pub fn parse(json: &str) -> Option<Self> {
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        let listings = v.get("listings")?.as_u64()? as usize;
        let rates =
            Self::FIELDS.iter().filter_map(|&name| Some((name, v.get("rates")?.get(name)?.as_f64()?))).collect();
        Some(Self { listings, rates })
    }

    /// The first field `before` had on most listings that this run has on none.
    pub fn emptied(&self, before: &FieldFill) -> Option<String> {
        if self.listings < FILL_MIN_LISTINGS {
            return None;
        }
        self.rates.iter().find_map(|(name, rate)| {
            let was = before.rates.iter().find(|(n, _)| n == name).map(|(_, r)| *r)?;
            (*rate == 0.0 && was >= FILL_EXPECTED).then(|| {
                format!(
                    "layout change? `{name}` is empty on all {} listings (was on {:.0} %)",
                    self.listings,
                    was * 100.0
                )
            })
        })
    }
}
