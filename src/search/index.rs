//! Matching many new listings against many saved searches at once.
//!
//! Built once per scrape run from the candidate searches. Searches are
//! grouped by the districts they name (a listing is checked only against
//! searches without a district filter and those naming a district its own
//! contains), and each group keeps its numeric bounds in a compact,
//! contiguous array, so a run walks memory sequentially instead of chasing
//! one heap-allocated filter per check. Excluded words are looked up once
//! per listing, not once per search.

use std::collections::{HashMap, HashSet};

use super::{ListingView, Prepared, Rooms, SearchFilter};

/// The numeric part of a filter, small enough to scan quickly.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    index: u32,
    price_min: i64,
    price_max: i64,
    area_min: f64,
    area_max: f64,
    /// Room counts as a bitmask (bit n = n rooms, bit 4 = 4+), or a range.
    rooms_mask: u8,
    rooms_min: f64,
    rooms_max: f64,
    /// Price/area/rooms filters set (a missing listing value fails them).
    has_price: bool,
    has_area: bool,
    has_rooms: bool,
    /// Source, place, furnishing, periods or mutes set, or a room set the mask cannot express: use
    /// the full filter after the numeric checks.
    full_check: bool,
}

impl Bounds {
    fn of(index: usize, f: &SearchFilter) -> Self {
        let mut b = Bounds {
            index: index as u32,
            price_min: f.price_min.unwrap_or(i64::MIN),
            price_max: f.price_max.unwrap_or(i64::MAX),
            area_min: f.area_min.unwrap_or(f64::NEG_INFINITY),
            area_max: f.area_max.unwrap_or(f64::INFINITY),
            rooms_mask: 0,
            rooms_min: f64::NEG_INFINITY,
            rooms_max: f64::INFINITY,
            has_price: f.price_min.is_some() || f.price_max.is_some(),
            has_area: f.area_min.is_some() || f.area_max.is_some(),
            has_rooms: f.rooms.is_some(),
            full_check: f.source.is_some()
                || f.near.is_some()
                || f.furnished.is_some()
                || !f.periods.is_empty()
                || !f.muted_districts.is_empty()
                || !f.muted_sources.is_empty(),
        };
        match &f.rooms {
            None => (),
            Some(Rooms::Range { min, max }) => {
                b.rooms_min = min.unwrap_or(f64::NEG_INFINITY);
                b.rooms_max = max.unwrap_or(f64::INFINITY);
            }
            Some(Rooms::Set { counts, four_plus }) => {
                // Counts 0..=3 as bits; anything else goes to the full check.
                for c in counts {
                    if c.fract() == 0.0 && (0.0..=3.0).contains(c) {
                        b.rooms_mask |= 1 << (*c as u8);
                    } else {
                        b.full_check = true;
                    }
                }
                if *four_plus {
                    b.rooms_mask |= 1 << 4;
                }
            }
        }
        b
    }

    #[inline]
    fn passes(&self, price: Option<i64>, area: Option<f64>, rooms: Option<f64>) -> bool {
        if self.has_price {
            match price {
                Some(p) if p >= self.price_min && p <= self.price_max => (),
                _ => return false,
            }
        }
        if self.has_area {
            match area {
                Some(a) if a >= self.area_min && a <= self.area_max => (),
                _ => return false,
            }
        }
        if self.has_rooms {
            let Some(n) = rooms else { return false };
            if self.rooms_mask != 0 || self.full_check {
                let bit = if n >= 4.0 { 4 } else { n.floor().max(0.0) as u8 };
                // A set the mask cannot express is settled by the full check.
                if self.rooms_mask & (1 << bit) == 0 && !self.full_check {
                    return false;
                }
            } else if n < self.rooms_min || n > self.rooms_max {
                return false;
            }
        }
        true
    }
}

/// Candidate searches of one run, indexed.
pub struct SearchIndex<'a> {
    searches: &'a [(i64, SearchFilter)],
    any_district: Vec<Bounds>,
    by_district: Vec<(&'a str, Vec<Bounds>)>,
    words: Vec<&'a str>,
    excludes: Vec<Vec<u32>>,
}

impl<'a> SearchIndex<'a> {
    /// Indexes normalised filters (see [`SearchFilter::normalized`]).
    pub fn new(searches: &'a [(i64, SearchFilter)]) -> Self {
        let mut any_district = Vec::new();
        let mut groups: HashMap<&str, Vec<Bounds>> = HashMap::new();
        let mut word_ids: HashMap<&str, u32> = HashMap::new();
        let mut words = Vec::new();
        let mut excludes = Vec::with_capacity(searches.len());
        for (i, (_, f)) in searches.iter().enumerate() {
            let bounds = Bounds::of(i, f);
            if f.districts.is_empty() {
                any_district.push(bounds);
            } else {
                let named: HashSet<&str> = f.districts.iter().map(String::as_str).collect();
                for d in named {
                    groups.entry(d).or_default().push(bounds);
                }
            }
            let ids = f
                .exclude
                .iter()
                .map(|w| {
                    *word_ids.entry(w.as_str()).or_insert_with(|| {
                        words.push(w.as_str());
                        (words.len() - 1) as u32
                    })
                })
                .collect();
            excludes.push(ids);
        }
        Self { searches, any_district, by_district: groups.into_iter().collect(), words, excludes }
    }

    /// Appends the chats with a search matching `listing`, each once.
    pub fn chats_for(&self, listing: &ListingView<'_>, out: &mut Vec<i64>) {
        let start = out.len();
        let prepared = Prepared::new(*listing);
        let hits: Vec<bool> = self.words.iter().map(|w| prepared.text.contains(w)).collect();
        let (price, area, rooms) = (listing.monthly_price, listing.area_m2, listing.rooms);
        let named = self
            .by_district
            .iter()
            .filter(|(d, _)| prepared.district.as_deref().is_some_and(|ld| ld.contains(*d)))
            .map(|(_, group)| group);
        for group in std::iter::once(&self.any_district).chain(named) {
            for b in group {
                if !b.passes(price, area, rooms) {
                    continue;
                }
                let i = b.index as usize;
                let (chat, filter) = &self.searches[i];
                if b.full_check && !filter.matches_numbers(listing) {
                    continue;
                }
                if self.excludes[i].iter().any(|w| hits[*w as usize]) {
                    continue;
                }
                out.push(*chat);
            }
        }
        // A chat with several matching searches is told once.
        out[start..].sort_unstable();
        let mut kept = start;
        for i in start..out.len() {
            if i == start || out[i] != out[kept - 1] {
                out[kept] = out[i];
                kept += 1;
            }
        }
        out.truncate(kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters() -> Vec<(i64, SearchFilter)> {
        let f = |chat, f: SearchFilter| (chat, f.normalized());
        vec![
            f(1, SearchFilter::default()),
            f(2, SearchFilter { price_max: Some(1000), districts: vec!["Mitte".into()], ..Default::default() }),
            f(
                3,
                SearchFilter {
                    rooms: Some(Rooms::Set { counts: vec![0.0, 1.0], four_plus: true }),
                    ..Default::default()
                },
            ),
            f(
                4,
                SearchFilter {
                    rooms: Some(Rooms::Range { min: Some(2.0), max: Some(3.0) }),
                    area_min: Some(50.0),
                    ..Default::default()
                },
            ),
            f(5, SearchFilter { exclude: vec!["WBS".into()], furnished: Some(true), ..Default::default() }),
            f(6, SearchFilter { source: Some("other".into()), ..Default::default() }),
            f(
                7,
                SearchFilter { rooms: Some(Rooms::Set { counts: vec![2.5], four_plus: false }), ..Default::default() },
            ),
            f(2, SearchFilter { districts: vec!["kreuzberg".into()], ..Default::default() }),
        ]
    }

    /// The index gives exactly what checking every filter one by one gives.
    #[test]
    fn the_index_agrees_with_the_plain_filter() {
        let searches = filters();
        let index = SearchIndex::new(&searches);
        let districts = [None, Some("Mitte"), Some("Friedrichshain-Kreuzberg"), Some("Pankow")];
        let mut checked = 0;
        for price in [None, Some(900), Some(1000), Some(1500)] {
            for rooms in [None, Some(0.0), Some(1.0), Some(2.0), Some(2.5), Some(3.0), Some(5.0)] {
                for area in [None, Some(40.0), Some(60.0)] {
                    for district in districts {
                        for furnished in [None, Some(true)] {
                            for title in ["Flat", "Flat, WBS needed"] {
                                let view = ListingView {
                                    source: "s",
                                    title,
                                    description: None,
                                    monthly_price: price,
                                    rooms,
                                    area_m2: area,
                                    district,
                                    furnished,
                                    period: Some("month"),
                                    lat: None,
                                    lon: None,
                                };
                                let mut want: Vec<i64> =
                                    searches.iter().filter(|(_, f)| f.matches(&view)).map(|(c, _)| *c).collect();
                                want.sort();
                                want.dedup();
                                let mut got = Vec::new();
                                index.chats_for(&view, &mut got);
                                got.sort();
                                assert_eq!(got, want, "{view:?}");
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 4 * 7 * 3 * 4 * 2 * 2);
    }
}
