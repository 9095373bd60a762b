//! Saved searches: the filter a user sets, and whether a listing matches it.
//!
//! [`SearchFilter::matches`] is the one place that decides. Its rule for
//! missing data: a listing that does not show a value never passes a filter
//! the user set on that value (a search for "at most 1,500 a month" is not
//! told about a listing without a price). Users set filters to avoid noise;
//! a flat with an unknown price or size is exactly the noise they meant.

mod index;
pub mod syntax;

use entity::search;
use serde::{Deserialize, Serialize};

pub use self::index::SearchIndex;
use crate::listing::Listing;

/// A room filter: a set of counts ("studio,1,2,4+") or a range ("1-3").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Rooms {
    /// Exact counts; `four_plus` also admits 4 and more.
    Set {
        counts: Vec<f64>,
        four_plus: bool,
    },
    Range {
        min: Option<f64>,
        max: Option<f64>,
    },
}

/// What a saved search asks for. Every field is optional: unset = any.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchFilter {
    pub source: Option<String>,
    /// Monthly price, in the listing's currency.
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub rooms: Option<Rooms>,
    pub area_min: Option<f64>,
    pub area_max: Option<f64>,
    /// Matched case-insensitively against the listing's district.
    pub districts: Vec<String>,
    pub furnished: Option<bool>,
    /// Words that exclude a listing when found in its title or description.
    pub exclude: Vec<String>,
    /// Rental periods accepted (`month`, `year`, `week`, `day`); empty = any.
    /// Daily and weekly holiday lets are what a long-term tenant skips.
    #[serde(default)]
    pub periods: Vec<String>,
    /// Districts muted from an alert (🔕): a listing in one is not sent.
    #[serde(default)]
    pub muted_districts: Vec<String>,
    /// Sources muted from an alert (🔕).
    #[serde(default)]
    pub muted_sources: Vec<String>,
    /// `near=LAT,LON:2km`: only listings within that distance (a listing
    /// without coordinates never passes).
    #[serde(default)]
    pub near: Option<Near>,
}

/// What [`SearchFilter::count_text_matches`] reads of a stored listing:
/// district, title, description, latitude, longitude.
pub type RecentRow = (Option<String>, String, Option<String>, Option<f64>, Option<f64>);

/// A place and a radius: `near=52.5200,13.4050:2km`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Near {
    pub lat: f64,
    pub lon: f64,
    /// The radius, in metres.
    pub radius_m: i32,
}

impl Near {
    /// The smallest and largest radius accepted, in metres.
    pub const MIN_RADIUS_M: i32 = 100;
    pub const MAX_RADIUS_M: i32 = 100_000;

    /// Whether a listing at (`lat`, `lon`) is within the radius; never
    /// when it has no coordinates.
    pub fn contains(&self, lat: Option<f64>, lon: Option<f64>) -> bool {
        let (Some(here), Some(lat), Some(lon)) = (crate::geo::Point::new(self.lat, self.lon), lat, lon) else {
            return false;
        };
        crate::geo::Point::new(lat, lon).is_some_and(|p| here.distance_m(p) <= f64::from(self.radius_m))
    }
}

/// The rental periods a search can choose, in the order shown.
pub const PERIODS: [&str; 4] = ["month", "year", "week", "day"];

/// The listing fields a filter looks at.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListingView<'a> {
    pub source: &'a str,
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub monthly_price: Option<i64>,
    pub rooms: Option<f64>,
    pub area_m2: Option<f64>,
    pub district: Option<&'a str>,
    pub furnished: Option<bool>,
    /// `month`, `week`, `day`, `year` or `total`.
    pub period: Option<&'a str>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

impl<'a> ListingView<'a> {
    /// The view of a stored listing of source `source`.
    pub fn of_stored(l: &'a entity::listing::Model, source: &'a str) -> Self {
        ListingView {
            source,
            title: &l.title,
            description: l.description.as_deref(),
            monthly_price: l.monthly_price,
            rooms: l.rooms,
            area_m2: l.area_m2,
            district: l.district.as_deref(),
            furnished: l.furnished,
            period: l.period.as_deref(),
            lat: l.lat,
            lon: l.lon,
        }
    }

    /// The view of a listing as scraped.
    pub fn of_listing(source: &'a str, l: &'a Listing) -> Self {
        ListingView {
            source,
            title: &l.title,
            description: l.description.as_deref(),
            monthly_price: l.monthly_price,
            rooms: l.rooms,
            area_m2: l.area_m2,
            district: l.district.as_deref(),
            furnished: l.furnished,
            period: l.period.map(|p| p.as_str()),
            lat: l.lat,
            lon: l.lon,
        }
    }
}

/// A listing with its text lower-cased once, for matching against many
/// searches.
#[derive(Debug, Clone)]
pub struct Prepared<'a> {
    pub view: ListingView<'a>,
    /// Title and description, lower-cased.
    pub text: String,
    /// District, lower-cased.
    pub district: Option<String>,
}

impl<'a> Prepared<'a> {
    pub fn new(view: ListingView<'a>) -> Self {
        let text = format!("{} {}", view.title, view.description.unwrap_or_default()).to_lowercase();
        let district = view.district.map(str::to_lowercase);
        Self { view, text, district }
    }
}

impl SearchFilter {
    /// Lower-cases districts and excluded words once, so [`Self::matches_prepared`]
    /// compares without allocating.
    pub fn normalized(mut self) -> Self {
        for d in &mut self.districts {
            *d = d.to_lowercase();
        }
        for w in &mut self.exclude {
            *w = w.to_lowercase();
        }
        self.exclude.retain(|w| !w.is_empty());
        self
    }

    /// Whether the listing matches (convenience; prepares the listing each call).
    pub fn matches(&self, l: &ListingView<'_>) -> bool {
        self.clone().normalized().matches_prepared(&Prepared::new(*l))
    }

    /// Whether the listing matches; `self` must be [`Self::normalized`].
    /// Cheap numeric checks come first.
    pub fn matches_prepared(&self, p: &Prepared<'_>) -> bool {
        self.matches_numbers(&p.view) && self.matches_text(p)
    }

    /// Mutes `district` for this search. A district the search names is
    /// taken out of its list instead (muting it there would leave
    /// `district=X` and `X` muted: a search matching nothing); the only
    /// district it names is left, and the answer says so (pause instead).
    pub fn mute_district(&mut self, district: &str) -> Mute {
        let named = |d: &String| d.trim().eq_ignore_ascii_case(district.trim());
        if self.districts.iter().any(named) {
            if self.districts.len() == 1 {
                return Mute::WouldEmpty;
            }
            self.districts.retain(|d| !named(d));
            return Mute::Removed;
        }
        if self.muted_districts.iter().any(named) {
            return Mute::Already;
        }
        self.muted_districts.push(district.trim().to_owned());
        Mute::Muted
    }

    /// Takes back [`SearchFilter::mute_district`]: `removed` when that took
    /// the district out of the search's list (it is put back, unless the
    /// list was emptied since: an empty list means every district), else
    /// the district is unmuted. Whether anything changed.
    pub fn unmute_district(&mut self, district: &str, removed: bool) -> bool {
        let named = |d: &String| d.trim().eq_ignore_ascii_case(district.trim());
        if removed {
            if self.districts.is_empty() || self.districts.iter().any(named) {
                return false;
            }
            self.districts.push(district.trim().to_owned());
            return true;
        }
        let before = self.muted_districts.len();
        self.muted_districts.retain(|d| !named(d));
        before != self.muted_districts.len()
    }

    /// Takes back [`SearchFilter::mute_source`]. Whether anything changed.
    pub fn unmute_source(&mut self, source: &str) -> bool {
        let before = self.muted_sources.len();
        self.muted_sources.retain(|s| !s.eq_ignore_ascii_case(source));
        before != self.muted_sources.len()
    }

    /// Mutes `source` for this search; a search of that one source would
    /// match nothing, so it is left, and the answer says so.
    pub fn mute_source(&mut self, source: &str) -> Mute {
        if self.source.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(source)) {
            return Mute::WouldEmpty;
        }
        if self.muted_sources.iter().any(|s| s.eq_ignore_ascii_case(source)) {
            return Mute::Already;
        }
        self.muted_sources.push(source.to_owned());
        Mute::Muted
    }

    /// Districts and excluded words (normalised filter).
    pub fn matches_text(&self, p: &Prepared<'_>) -> bool {
        self.matches_district(p) && !self.exclude.iter().any(|w| p.text.contains(w.as_str()))
    }

    /// How many of `texts` (district, title, description of listings the
    /// numeric filters let through) match the districts and excluded words
    /// (normalised filter), with the rules of alerts: Unicode case folding,
    /// which SQL's `LOWER` lacks on SQLite.
    pub fn count_text_matches(&self, rows: &[RecentRow]) -> usize {
        rows.iter()
            .filter(|(district, title, description, lat, lon)| {
                self.matches_stored_text(district.as_deref(), title, description.as_deref(), *lat, *lon)
            })
            .count()
    }

    /// Whether a stored listing's district, title, description and place
    /// pass the filter (normalised): the part SQL does not check.
    pub fn matches_stored_text(
        &self,
        district: Option<&str>,
        title: &str,
        description: Option<&str>,
        lat: Option<f64>,
        lon: Option<f64>,
    ) -> bool {
        let view = ListingView { title, description, district, ..ListingView::default() };
        self.near.is_none_or(|near| near.contains(lat, lon)) && self.matches_text(&Prepared::new(view))
    }

    /// Source, price, rooms, area and furnishing (no text).
    pub fn matches_numbers(&self, l: &ListingView<'_>) -> bool {
        if let Some(source) = &self.source
            && !source.eq_ignore_ascii_case(l.source)
        {
            return false;
        }
        if self.price_min.is_some() || self.price_max.is_some() {
            let Some(price) = l.monthly_price else { return false };
            if self.price_min.is_some_and(|min| price < min) || self.price_max.is_some_and(|max| price > max) {
                return false;
            }
        }
        if let Some(rooms) = &self.rooms {
            let Some(n) = l.rooms else { return false };
            let ok = match rooms {
                Rooms::Set { counts, four_plus } => {
                    counts.iter().any(|c| (c - n).abs() < 0.01 || (c.fract() == 0.0 && n.floor() == *c && n < c + 1.0))
                        || (*four_plus && n >= 4.0)
                }
                Rooms::Range { min, max } => min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m),
            };
            if !ok {
                return false;
            }
        }
        if self.area_min.is_some() || self.area_max.is_some() {
            let Some(area) = l.area_m2 else { return false };
            if self.area_min.is_some_and(|m| area < m) || self.area_max.is_some_and(|m| area > m) {
                return false;
            }
        }
        if let Some(furnished) = self.furnished
            && l.furnished != Some(furnished)
        {
            return false;
        }
        if !self.periods.is_empty() && !l.period.is_some_and(|p| self.periods.iter().any(|want| want == p)) {
            return false;
        }
        if let Some(near) = &self.near
            && !near.contains(l.lat, l.lon)
        {
            return false;
        }
        self.passes_mutes(l)
    }

    /// Whether the listing is outside every muted district and source
    /// (exact names, case-insensitive).
    pub fn passes_mutes(&self, l: &ListingView<'_>) -> bool {
        if self.muted_sources.iter().any(|s| s.eq_ignore_ascii_case(l.source)) {
            return false;
        }
        if !self.muted_districts.is_empty()
            && let Some(district) = l.district
        {
            let district = district.trim().to_lowercase();
            if self.muted_districts.iter().any(|d| d.to_lowercase() == district) {
                return false;
            }
        }
        true
    }

    /// The district filter (normalised districts).
    pub fn matches_district(&self, p: &Prepared<'_>) -> bool {
        if self.districts.is_empty() {
            return true;
        }
        let Some(district) = &p.district else { return false };
        self.districts.iter().any(|d| district.contains(d.as_str()))
    }

    /// The `rooms`, `rooms_min`, `rooms_max` columns of a `searches` row.
    pub fn rooms_columns(&self) -> (Option<String>, Option<f64>, Option<f64>) {
        match &self.rooms {
            None => (None, None, None),
            Some(Rooms::Range { min, max }) => (None, *min, *max),
            Some(rooms @ Rooms::Set { .. }) => {
                let items: Vec<String> = syntax::format_rooms(rooms).split(',').map(str::to_owned).collect();
                (serde_json::to_string(&items).ok(), None, None)
            }
        }
    }

    /// The filter stored in a `searches` row.
    pub fn from_model(m: &search::Model) -> Self {
        Self::from_columns(&search::Filter::from(m))
    }

    /// The filter of a search's filter columns (what the scraper reads).
    pub fn from_columns(m: &search::Filter) -> Self {
        let json_list = |s: &Option<String>| -> Vec<String> {
            s.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
        };
        let rooms = match (&m.rooms, m.rooms_min, m.rooms_max) {
            (Some(set), _, _) => serde_json::from_str::<Vec<String>>(set).ok().map(|items| {
                let four_plus = items.iter().any(|i| i.ends_with('+'));
                let counts = items
                    .iter()
                    .filter(|i| !i.ends_with('+'))
                    .filter_map(|i| if i == "studio" { Some(0.0) } else { i.parse().ok() })
                    .collect();
                Rooms::Set { counts, four_plus }
            }),
            (None, None, None) => None,
            (None, min, max) => Some(Rooms::Range { min, max }),
        };
        Self {
            source: m.source.clone(),
            price_min: m.price_min,
            price_max: m.price_max,
            rooms,
            area_min: m.area_min,
            area_max: m.area_max,
            districts: json_list(&m.districts),
            furnished: m.furnished,
            exclude: json_list(&m.exclude),
            periods: json_list(&m.periods),
            muted_districts: json_list(&m.muted_districts),
            muted_sources: json_list(&m.muted_sources),
            near: match (m.near_lat, m.near_lon, m.near_m) {
                (Some(lat), Some(lon), Some(radius_m)) => Some(Near { lat, lon, radius_m }),
                _ => None,
            },
        }
    }
}

/// A search for listings like `l` (of `source`, when that source is
/// configured): its district, its rooms, and a band of ±15 % around its
/// monthly price, rounded outwards to two significant figures. What
/// "🔔 Alerts like this" under a channel post opens.
pub fn like(l: &entity::listing::Model, source: Option<&str>) -> SearchFilter {
    let (price_min, price_max) = match l.monthly_price.filter(|p| *p > 0) {
        Some(p) => {
            let step = 10f64.powi((p as f64).log10().floor() as i32 - 1).max(1.0);
            let low = ((p as f64 * 0.85) / step).floor() * step;
            let high = ((p as f64 * 1.15) / step).ceil() * step;
            (Some(low as i64), Some(high as i64))
        }
        None => (None, None),
    };
    let rooms = l.rooms.map(|r| match r {
        r if r >= 4.0 => Rooms::Set { counts: Vec::new(), four_plus: true },
        r => Rooms::Set { counts: vec![r], four_plus: false },
    });
    SearchFilter {
        source: source.map(str::to_owned),
        price_min,
        price_max,
        rooms,
        districts: l.district.iter().filter(|d| !d.trim().is_empty()).cloned().collect(),
        ..SearchFilter::default()
    }
}

/// Every (listing, chat) pair where one of `searches` matches one of a
/// run's new listings (stored ids), once per pair (see [`SearchIndex`]):
/// the scraper's [`Matcher`](crate::db::listings::Matcher).
pub fn match_new(source: &str, new_listings: &[(i64, &Listing)], searches: &[search::Filter]) -> Vec<(i64, i64)> {
    let candidates: Vec<(i64, SearchFilter)> =
        searches.iter().map(|m| (m.chat_id, SearchFilter::from_columns(m).normalized())).collect();
    let index = SearchIndex::new(&candidates);
    let mut pairs = Vec::new();
    let mut chats = Vec::new();
    for (listing_id, l) in new_listings {
        chats.clear();
        index.chats_for(&ListingView::of_listing(source, l), &mut chats);
        pairs.extend(chats.iter().map(|chat| (*listing_id, *chat)));
    }
    pairs
}

/// What muting did to a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mute {
    /// Added to its muted list.
    Muted,
    /// Taken out of the districts it names.
    Removed,
    /// Muted before.
    Already,
    /// Left as it was: it would match nothing (its only district, or its
    /// source); pausing it is the way.
    WouldEmpty,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn muting_never_makes_a_search_that_matches_nothing() {
        let mut f = SearchFilter { districts: vec!["Mitte".into(), "Pankow".into()], ..Default::default() };
        assert_eq!(f.mute_district("pankow"), Mute::Removed);
        assert_eq!(f.districts, ["Mitte"]);
        assert_eq!(f.mute_district("Mitte"), Mute::WouldEmpty);
        assert_eq!((f.districts.len(), f.muted_districts.len()), (1, 0), "left as it was");
        assert_eq!(f.mute_district("Wedding"), Mute::Muted, "not named: muted");
        assert_eq!(f.mute_district("wedding"), Mute::Already);
        let mut any = SearchFilter { source: Some("wg-berlin".into()), ..Default::default() };
        assert_eq!(any.mute_source("WG-Berlin"), Mute::WouldEmpty);
        assert_eq!(any.mute_source("immowelt"), Mute::Muted);
        assert_eq!(any.muted_sources, ["immowelt"]);
    }

    #[test]
    fn undo_takes_a_mute_back_as_it_was_made() {
        let mut f = SearchFilter { districts: vec!["Mitte".into(), "Pankow".into()], ..Default::default() };
        let before = f.clone();
        assert_eq!(f.mute_district("Pankow"), Mute::Removed);
        assert!(f.unmute_district("Pankow", true));
        assert_eq!(f.districts, ["Mitte", "Pankow"]);
        assert!(!f.unmute_district("Pankow", true), "twice is once");
        assert_eq!(f.mute_district("Wedding"), Mute::Muted);
        assert!(f.unmute_district("wedding", false));
        assert_eq!(f, before);
        // A list emptied since means every district: nothing is narrowed.
        let mut any = SearchFilter::default();
        assert!(!any.unmute_district("Pankow", true));
        assert!(any.districts.is_empty());
        assert_eq!(any.mute_source("immowelt"), Mute::Muted);
        assert!(any.unmute_source("Immowelt"));
        assert!(any.muted_sources.is_empty());
    }

    fn flat() -> ListingView<'static> {
        ListingView {
            source: "wg-berlin",
            title: "Helle 2-Zimmer-Wohnung",
            description: Some("mit Balkon, WBS erforderlich"),
            monthly_price: Some(1200),
            rooms: Some(2.0),
            area_m2: Some(54.0),
            district: Some("Kreuzberg"),
            furnished: Some(false),
            period: Some("month"),
            lat: Some(52.4990),
            lon: Some(13.4180),
        }
    }

    #[test]
    fn near_keeps_listings_within_the_radius_and_never_one_without_a_place() {
        // Kottbusser Tor; the flat is about 0.5 km from it.
        let near = |radius_m| SearchFilter {
            near: Some(Near { lat: 52.4993, lon: 13.4181 + 0.007, radius_m }),
            ..Default::default()
        };
        assert!(near(1_000).matches(&flat()));
        assert!(!near(300).matches(&flat()));
        assert!(!near(10_000).matches(&ListingView { lat: None, lon: None, ..flat() }), "no place, no match");
        assert!(!near(10_000).matches(&ListingView { lon: None, ..flat() }));
        // Through the index too (a place is a full check).
        let searches = vec![(1, near(1_000).normalized()), (2, near(300).normalized())];
        let index = SearchIndex::new(&searches);
        let mut chats = Vec::new();
        index.chats_for(&flat(), &mut chats);
        assert_eq!(chats, vec![1]);
        chats.clear();
        index.chats_for(&ListingView { lat: None, ..flat() }, &mut chats);
        assert!(chats.is_empty());
        // The wizard's 7-day count applies it as well.
        let rows = [
            (None, "a".to_owned(), None, Some(52.4990), Some(13.4180)),
            (None, "b".to_owned(), None, Some(52.52), Some(13.405)),
            (None, "c".to_owned(), None, None, None),
        ];
        assert_eq!(near(1_000).normalized().count_text_matches(&rows), 1);
    }

    #[test]
    fn text_matches_are_counted_with_case_folding() {
        let f = SearchFilter { districts: vec!["Kreuzberg".into()], exclude: vec!["wbs".into()], ..Default::default() }
            .normalized();
        let row = |d: &str, t: &str, desc: Option<&str>| {
            (Some(d.to_owned()), t.to_owned(), desc.map(str::to_owned), None, None)
        };
        let rows = [
            row("KREUZBERG", "Altbau", None),
            row("Kreuzberg", "Mit WBS", None),
            row("Mitte", "Altbau", None),
            row("kreuzberg", "Dachgeschoss", Some("kein Wbs nötig")),
        ];
        assert_eq!(f.count_text_matches(&rows), 1);
    }

    #[test]
    fn an_empty_filter_matches_everything() {
        assert!(SearchFilter::default().matches(&flat()));
        assert!(SearchFilter::default().matches(&ListingView::default()));
    }

    #[test]
    fn price_bounds_are_inclusive_and_need_a_price() {
        let f = |min, max| SearchFilter { price_min: min, price_max: max, ..Default::default() };
        assert!(f(Some(1200), Some(1200)).matches(&flat()));
        assert!(!f(Some(1201), None).matches(&flat()));
        assert!(!f(None, Some(1199)).matches(&flat()));
        assert!(f(None, Some(2000)).matches(&flat()));
        let no_price = ListingView { monthly_price: None, ..flat() };
        assert!(!f(None, Some(2000)).matches(&no_price), "an unknown price never passes a price filter");
    }

    #[test]
    fn rooms_as_set_range_and_four_plus() {
        let set = |counts: Vec<f64>, four_plus| SearchFilter {
            rooms: Some(Rooms::Set { counts, four_plus }),
            ..Default::default()
        };
        assert!(set(vec![1.0, 2.0], false).matches(&flat()));
        assert!(!set(vec![0.0, 1.0], false).matches(&flat()));
        assert!(set(vec![], true).matches(&ListingView { rooms: Some(5.0), ..flat() }));
        assert!(
            set(vec![2.0], false).matches(&ListingView { rooms: Some(2.5), ..flat() }),
            "2.5 rooms is a 2-room flat"
        );
        assert!(set(vec![0.0], false).matches(&ListingView { rooms: Some(0.0), ..flat() }));
        assert!(!set(vec![2.0], false).matches(&ListingView { rooms: None, ..flat() }));
        let range = |min, max| SearchFilter { rooms: Some(Rooms::Range { min, max }), ..Default::default() };
        assert!(range(Some(1.0), Some(3.0)).matches(&flat()));
        assert!(!range(Some(3.0), None).matches(&flat()));
    }

    #[test]
    fn area_districts_furnished_source() {
        let area = SearchFilter { area_min: Some(50.0), ..Default::default() };
        assert!(area.matches(&flat()));
        assert!(!SearchFilter { area_min: Some(60.0), ..Default::default() }.matches(&flat()));
        assert!(!area.matches(&ListingView { area_m2: None, ..flat() }));
        let districts = SearchFilter { districts: vec!["Mitte".into(), "kreuzberg".into()], ..Default::default() };
        assert!(districts.matches(&flat()));
        assert!(districts.matches(&ListingView { district: Some("Friedrichshain-Kreuzberg"), ..flat() }));
        assert!(!districts.matches(&ListingView { district: Some("Pankow"), ..flat() }));
        assert!(!districts.matches(&ListingView { district: None, ..flat() }));
        assert!(SearchFilter { furnished: Some(false), ..Default::default() }.matches(&flat()));
        assert!(!SearchFilter { furnished: Some(true), ..Default::default() }.matches(&flat()));
        assert!(
            !SearchFilter { furnished: Some(true), ..Default::default() }
                .matches(&ListingView { furnished: None, ..flat() })
        );
        assert!(SearchFilter { source: Some("WG-Berlin".into()), ..Default::default() }.matches(&flat()));
        assert!(!SearchFilter { source: Some("other".into()), ..Default::default() }.matches(&flat()));
    }

    #[test]
    fn rental_periods() {
        let f = |periods: &[&str]| SearchFilter {
            periods: periods.iter().map(|p| (*p).to_owned()).collect(),
            ..Default::default()
        };
        assert!(f(&[]).matches(&flat()));
        assert!(f(&["month", "year"]).matches(&flat()));
        assert!(!f(&["month", "year"]).matches(&ListingView { period: Some("day"), ..flat() }));
        assert!(!f(&["month"]).matches(&ListingView { period: None, ..flat() }), "an unknown period never passes");
        assert!(f(&[]).matches(&ListingView { period: Some("week"), ..flat() }));
    }

    #[test]
    fn excluded_words_in_title_or_description_case_insensitively() {
        assert!(!SearchFilter { exclude: vec!["wbs".into()], ..Default::default() }.matches(&flat()));
        assert!(!SearchFilter { exclude: vec!["HELLE".into()], ..Default::default() }.matches(&flat()));
        assert!(SearchFilter { exclude: vec!["tausch".into()], ..Default::default() }.matches(&flat()));
    }

    #[test]
    fn alerts_like_a_listing_ask_for_its_source_district_rooms_and_a_price_band() {
        let now = chrono::Utc::now();
        let l = entity::listing::Model {
            id: 7,
            source_id: 1,
            external_id: "x".into(),
            url: "https://www.bayut.com/x".into(),
            title: "Flat".into(),
            description: None,
            price: Some(108_000),
            currency: Some("AED".into()),
            period: Some("year".into()),
            monthly_price: Some(9_000),
            rooms: Some(2.0),
            area_m2: None,
            district: Some("Dubai Marina".into()),
            furnished: None,
            photo: None,
            photos: None,
            phone: None,
            lat: None,
            lon: None,
            checked_at: None,
            gone_at: None,
            first_seen_at: now,
            last_seen_at: now,
            updated_at: now,
        };
        let f = like(&l, Some("bayut"));
        assert_eq!((f.source.as_deref(), f.price_min, f.price_max), (Some("bayut"), Some(7_600), Some(10_400)));
        assert_eq!(f.districts, ["Dubai Marina"]);
        assert_eq!(f.rooms, Some(Rooms::Set { counts: vec![2.0], four_plus: false }));
        assert_eq!(syntax::format(&f), r#"source=bayut price=7600-10400 rooms=2 district="Dubai Marina""#);
        let big = entity::listing::Model { rooms: Some(5.0), monthly_price: Some(45), district: None, ..l.clone() };
        let f = like(&big, None);
        assert_eq!((f.source, f.price_min, f.price_max), (None, Some(38), Some(52)));
        assert_eq!(f.rooms, Some(Rooms::Set { counts: vec![], four_plus: true }));
        assert!(f.districts.is_empty());
        assert_eq!(like(&entity::listing::Model { monthly_price: None, ..l }, None).price_min, None);
    }
}
