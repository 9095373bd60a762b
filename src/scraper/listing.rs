//! What adapters extract ([`RawListing`]) and what homehound stores
//! ([`Listing`]): normalised, bounded, with absolute URLs.

use reqwest::Url;

use super::normalize::{
    MAX_DESCRIPTION, MAX_SHORT, MAX_TITLE, Period, Price, absolute_url, clean_text, parse_area, parse_price,
    parse_rooms,
};

/// One listing as found on a page, as text; [`RawListing::finish`] reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawListing {
    pub id: Option<String>,
    pub url: Option<String>,
    pub title: Option<String>,
    /// Price text ("1.250 € / Monat") or a plain number ("1250.00").
    pub price: Option<String>,
    /// ISO code when the page states it apart from the price.
    pub currency: Option<String>,
    pub period: Option<Period>,
    pub rooms: Option<String>,
    /// Rooms already read as a number (state blobs).
    pub rooms_value: Option<f64>,
    pub area: Option<String>,
    pub district: Option<String>,
    pub photo: Option<String>,
    /// More photos, where the source lists several.
    pub photos: Vec<String>,
    pub description: Option<String>,
    pub furnished: Option<bool>,
    /// The advertiser's phone, where the source gives one.
    pub phone: Option<String>,
    /// Price already read as a number (JSON), in the price's own period.
    pub price_value: Option<f64>,
    /// Area already read as a number of m² (JSON).
    pub area_value: Option<f64>,
    /// Latitude and longitude apart, or `geo` as "lat,lon".
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub geo: Option<String>,
}

pub use crate::listing::Listing;

/// What the page and the source tell about prices.
#[derive(Debug, Clone, Copy)]
pub struct Defaults<'a> {
    pub currency: Option<&'a str>,
    /// The period when the price text states none (`month` for rentals,
    /// `total` for sales).
    pub period: Period,
}

impl RawListing {
    /// Normalises the raw fields. `None` when the card has neither an id nor a
    /// usable URL (it cannot be told apart from the next one).
    pub fn finish(self, source: &str, base: &Url, defaults: Defaults<'_>) -> Option<Listing> {
        let url = self.url.as_deref().and_then(|u| absolute_url(base, u)).map(|u| strip_fragment(&u));
        let id = self.id.map(|s| clean_text(&s, MAX_SHORT)).filter(|s| !s.is_empty()).or_else(|| url.clone())?;
        let url = url?;
        let own_title = self.title.map(|t| clean_text(&t, MAX_TITLE)).filter(|t| !t.is_empty());
        let title_is_fallback = own_title.is_none();
        let title = own_title
            .or_else(|| self.district.as_deref().map(|d| clean_text(d, MAX_TITLE)).filter(|d| !d.is_empty()))
            .unwrap_or_else(|| url.clone());
        // A currency read from the page is kept only as an ISO code (the
        // column holds three letters); otherwise the source's default applies.
        let own_currency = self
            .currency
            .as_deref()
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()));
        let currency_hint = own_currency.as_deref().or(defaults.currency);
        let price = match self.price_value {
            Some(amount) if amount.is_finite() && (0.0..1e13).contains(&amount) => {
                Some(Price { amount, currency: currency_hint.map(str::to_owned), period: None })
            }
            Some(_) => None,
            None => self.price.as_deref().and_then(|p| parse_price(p, currency_hint)),
        };
        let (amount, currency, period) = match price {
            Some(Price { amount, currency, period }) => {
                (Some(amount), currency, Some(self.period.or(period).unwrap_or(defaults.period)))
            }
            None => (None, own_currency.or_else(|| defaults.currency.map(str::to_owned)), None),
        };
        let monthly_price = amount.zip(period).and_then(|(a, p)| Price::monthly(a, p));
        let rooms = self.rooms_value.or_else(|| self.rooms.as_deref().and_then(parse_rooms));
        let area_m2 = match self.area_value {
            Some(a) => (a > 0.0 && a < 1_000_000.0).then_some((a * 100.0).round() / 100.0),
            None => self.area.as_deref().and_then(parse_area),
        };
        let district = self.district.map(|d| clean_text(&d, MAX_SHORT)).filter(|d| !d.is_empty());
        let photo = self.photo.as_deref().and_then(|p| photo_url(base, p));
        // The photo first, then the others, each once; one photo is no list.
        let mut photos: Vec<String> = Vec::new();
        for url in photo.iter().cloned().chain(self.photos.iter().filter_map(|p| photo_url(base, p))) {
            if photos.len() < crate::listing::MAX_PHOTOS && !photos.contains(&url) {
                photos.push(url);
            }
        }
        let photo = photo.or_else(|| photos.first().cloned());
        if photos.len() < 2 {
            photos.clear();
        }
        let description = self.description.map(|d| clean_text(&d, MAX_DESCRIPTION)).filter(|d| !d.is_empty());
        let point = crate::geo::read(self.lat.as_deref(), self.lon.as_deref(), self.geo.as_deref());
        Some(Listing {
            source: source.to_owned(),
            id,
            url,
            title,
            title_is_fallback,
            price: amount.map(|a| (a * 100.0).round() / 100.0),
            currency,
            period,
            monthly_price,
            rooms,
            area_m2,
            district,
            photo,
            photos,
            description,
            furnished: self.furnished,
            phone: self.phone.map(|p| clean_text(&p, 40)).filter(|p| !p.is_empty()),
            lat: point.map(|p| p.lat),
            lon: point.map(|p| p.lon),
        })
    }
}

fn strip_fragment(url: &str) -> String {
    url.split_once('#').map(|(u, _)| u.to_owned()).unwrap_or_else(|| url.to_owned())
}

/// A photo URL, or none for the local paths a "Save page as" leaves behind
/// ("./page_files/image.jpg") and for data: URLs.
fn photo_url(base: &Url, src: &str) -> Option<String> {
    let src = src.trim();
    // srcset: the first candidate.
    let src = src.split(", ").next().unwrap_or(src).split_whitespace().next().unwrap_or(src);
    if src.is_empty()
        || src.starts_with("data:")
        || src.starts_with("./")
        || src.starts_with("../")
        || src.contains("_files/")
    {
        return None;
    }
    absolute_url(base, src)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_absolute_once_each_photo_first_and_ten_at_most() {
        let base = Url::parse("https://site.example/search").unwrap();
        let defaults = Defaults { currency: None, period: Period::Month };
        let raw = |photo: Option<&str>, photos: Vec<String>| RawListing {
            id: Some("1".into()),
            url: Some("/1".into()),
            title: Some("Flat".into()),
            photo: photo.map(str::to_owned),
            photos,
            ..RawListing::default()
        };
        let many: Vec<String> = ["/b.jpg", "/a.jpg", "./page_files/x.jpg", "/b.jpg"]
            .into_iter()
            .map(str::to_owned)
            .chain((0..20).map(|i| format!("/p{i}.jpg")))
            .collect();
        let l = raw(Some("/a.jpg"), many).finish("s", &base, defaults).unwrap();
        assert_eq!(l.photo.as_deref(), Some("https://site.example/a.jpg"));
        assert_eq!(l.photos.len(), 10);
        assert_eq!(
            &l.photos[..3],
            ["https://site.example/a.jpg", "https://site.example/b.jpg", "https://site.example/p0.jpg"]
        );
        // Without a photo field the list gives it; one photo is no list.
        let l = raw(None, vec!["/c.jpg".into(), "/d.jpg".into()]).finish("s", &base, defaults).unwrap();
        assert_eq!((l.photo.as_deref(), l.photos.len()), (Some("https://site.example/c.jpg"), 2));
        let l = raw(Some("/a.jpg"), vec!["/a.jpg".into()]).finish("s", &base, defaults).unwrap();
        assert!(l.photos.is_empty());
    }
}
