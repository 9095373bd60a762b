//! Who hears of a run's news: the rules that turn a listing seen again, the
//! chats told of it before and their marks into alerts, price drops and
//! channel posts. Plain functions over loaded rows, tested without a
//! database; `db::listings` loads what they need and writes what they
//! decide.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};

/// Away for longer than this, a listing seen again is back on the market.
pub const BACK_AFTER: TimeDelta = TimeDelta::days(1);

/// What is known of a stored listing when a run sees it again.
#[derive(Debug, Clone, Copy)]
pub struct Stored {
    pub price: Option<i64>,
    pub monthly_price: Option<i64>,
    pub last_seen_at: DateTime<Utc>,
}

/// What a listing seen again means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeenAgain {
    /// Back on the market after this many whole days away.
    pub back_days: Option<i64>,
    /// A new price to store (a page without a price keeps the last known).
    pub new_price: Option<i64>,
    /// The price fell, from and to (monthly figures where known).
    pub fell: Option<(i64, i64)>,
}

/// The price a fall is measured on: the monthly figure, else the price.
pub fn comparable(price: Option<i64>, monthly: Option<i64>) -> Option<i64> {
    monthly.or(price)
}

/// What seeing `stored` again with `price` (and `monthly`) at `now` means.
/// It is back on the market when it was gone for over [`BACK_AFTER`] and a
/// run of its source that read the whole result set (every page; its start
/// is `source_complete_run`) since it was last seen did not list it: a
/// listing that only fell off the pages a run reads was never gone.
pub fn seen_again(
    stored: Stored,
    source_complete_run: Option<DateTime<Utc>>,
    price: Option<i64>,
    monthly: Option<i64>,
    now: DateTime<Utc>,
) -> SeenAgain {
    let away = now - stored.last_seen_at;
    let back_days =
        (away > BACK_AFTER && source_complete_run.is_some_and(|t| t > stored.last_seen_at)).then(|| away.num_days());
    let new_price = price.filter(|p| Some(*p) != stored.price);
    let fell = match (new_price, comparable(stored.price, stored.monthly_price), comparable(price, monthly)) {
        (Some(_), Some(old), Some(new)) if new < old => Some((old, new)),
        _ => None,
    };
    SeenAgain { back_days, new_price, fell }
}

/// Whether a run tells anyone anything: never while its source is being
/// seeded (its first run, or the first after its url changed), else when it
/// found new listings, price falls or listings back on the market.
pub fn announces(seeding: bool, new: usize, falls: usize, back: usize) -> bool {
    !seeding && new + falls + back > 0
}

/// The payload of a new-listing alert: how long it was away, when it is
/// back on the market.
pub fn new_listing_payload(back_days: Option<i64>) -> Option<String> {
    back_days.map(|days| serde_json::json!({ "back": days }).to_string())
}

/// The chats that hear that a listing's price fell: those told of it
/// before that still have an active search on its source, and those that
/// saved it; never those that hid it. Each once, in order.
pub fn price_drop_audience(told: &[i64], searching: &HashSet<i64>, saved: &[i64], hidden: &HashSet<i64>) -> Vec<i64> {
    let mut chats: Vec<i64> =
        told.iter().filter(|c| searching.contains(c)).chain(saved).filter(|c| !hidden.contains(c)).copied().collect();
    chats.sort_unstable();
    chats.dedup();
    chats
}

/// A price drop's payload: the prices, which cut this is, and the days
/// away when it is also back on the market.
pub fn price_drop_payload(old: i64, new: i64, cut: u32, back_days: Option<i64>) -> String {
    let mut payload = serde_json::json!({ "old": old, "new": new, "cut": cut });
    if let Some(days) = back_days {
        payload["back"] = serde_json::json!(days);
    }
    payload.to_string()
}

/// A price drop's key: one alert per chat and new price.
pub fn price_drop_key(listing_id: i64, new: i64) -> String {
    format!("{listing_id}:{new}")
}

/// The posts channels get: each (listing, channel name) the channels'
/// filters want, to the channel's chat when it is open for posts (its name
/// compared case-insensitively). Returns (chat, listing) pairs.
pub fn channel_posts(wanted: Vec<(i64, String)>, open: &HashMap<String, i64>) -> Vec<(i64, i64)> {
    wanted
        .into_iter()
        .filter_map(|(listing_id, name)| Some((*open.get(&name.to_ascii_lowercase())?, listing_id)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + hours * 3600, 0).unwrap()
    }

    #[test]
    fn a_listing_seen_again() {
        let stored = Stored { price: Some(1000), monthly_price: Some(1000), last_seen_at: at(0) };
        // The same price an hour later: nothing.
        assert_eq!(seen_again(stored, Some(at(0)), Some(1000), Some(1000), at(1)), SeenAgain::default());
        // A lower price: stored, and a fall of the monthly figure.
        let seen = seen_again(stored, Some(at(0)), Some(900), Some(900), at(1));
        assert_eq!((seen.new_price, seen.fell), (Some(900), Some((1000, 900))));
        // Higher: stored, no fall. No price on the page: the last one kept.
        assert_eq!(seen_again(stored, None, Some(1100), Some(1100), at(1)).fell, None);
        assert_eq!(seen_again(stored, None, None, None, at(1)).new_price, None);
        // A fall is measured on the monthly figure when there is one.
        let weekly = Stored { price: Some(300), monthly_price: Some(1300), last_seen_at: at(0) };
        assert_eq!(seen_again(weekly, None, Some(1200), Some(1200), at(1)).fell, Some((1300, 1200)));
    }

    #[test]
    fn back_on_the_market_after_a_day_that_a_run_saw_it_gone() {
        let stored = Stored { price: Some(1000), monthly_price: None, last_seen_at: at(0) };
        // Away three days, and a successful run since did not list it.
        assert_eq!(seen_again(stored, Some(at(30)), Some(1000), None, at(72)).back_days, Some(3));
        // No successful run since: the source was down, not the listing.
        assert_eq!(seen_again(stored, Some(at(0)), Some(1000), None, at(72)).back_days, None);
        assert_eq!(seen_again(stored, None, Some(1000), None, at(72)).back_days, None);
        // Away less than a day.
        assert_eq!(seen_again(stored, Some(at(10)), Some(1000), None, at(20)).back_days, None);
    }

    #[test]
    fn who_hears_a_price_drop() {
        let searching: HashSet<i64> = [1, 2, 3].into();
        // Told and still searching: 1, 2. Told but no longer searching: 4.
        // Saved: 5 (always). Hidden: 2 (never).
        assert_eq!(price_drop_audience(&[1, 2, 4, 1], &searching, &[5, 1], &[2].into()), vec![1, 5]);
        assert!(price_drop_audience(&[], &searching, &[], &HashSet::new()).is_empty());
        assert_eq!(price_drop_audience(&[], &searching, &[7], &[7].into()), Vec::<i64>::new(), "hidden beats saved");
    }

    #[test]
    fn payloads_keys_and_posts() {
        assert!(announces(false, 1, 0, 0) && announces(false, 0, 0, 1) && !announces(true, 5, 5, 5));
        assert!(!announces(false, 0, 0, 0));
        assert_eq!(new_listing_payload(None), None);
        assert_eq!(new_listing_payload(Some(3)).as_deref(), Some(r#"{"back":3}"#));
        let payload: serde_json::Value = serde_json::from_str(&price_drop_payload(1000, 900, 2, Some(4))).unwrap();
        assert_eq!(payload, serde_json::json!({ "old": 1000, "new": 900, "cut": 2, "back": 4 }));
        assert!(!price_drop_payload(1000, 900, 1, None).contains("back"));
        assert_eq!(price_drop_key(7, 900), "7:900");
        let open: HashMap<String, i64> = [("@flats".to_owned(), -100)].into();
        let wanted = vec![(1, "@Flats".to_owned()), (2, "@gone".to_owned())];
        assert_eq!(channel_posts(wanted, &open), vec![(-100, 1)]);
    }
}
