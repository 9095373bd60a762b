//! The market in a picture (`/market`, 📈): what the stored listings that
//! match a filter say, week by week. Plain functions over loaded rows,
//! tested without a database; `chart` draws what they compute.

use chrono::{DateTime, TimeDelta, Utc};

/// Weeks a chart looks back.
pub const WEEKS: usize = 12;

/// How far back the listings of a chart are read.
pub fn since(now: DateTime<Utc>) -> DateTime<Utc> {
    now - TimeDelta::weeks(WEEKS as i64)
}

/// One stored listing as a chart reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub first_seen_at: DateTime<Utc>,
    pub monthly_price: i64,
    pub area_m2: Option<f64>,
}

/// One week of the chart: its listings' median monthly price and count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Week {
    /// The week's first day.
    pub start: DateTime<Utc>,
    pub median: Option<i64>,
    pub count: usize,
}

/// One bar of the price-per-m² distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub from: f64,
    pub to: f64,
    pub count: usize,
}

/// What a chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Market {
    /// Oldest first, [`WEEKS`] of them, the last ending at `now`.
    pub weeks: Vec<Week>,
    /// Price per m² (listings with an area), in bars of equal width.
    pub per_m2: Vec<Bar>,
    pub listings: usize,
    pub median: Option<i64>,
    pub median_per_m2: Option<f64>,
    /// The median area of the listings with one, m².
    pub median_area: Option<f64>,
}

/// Bars of the price-per-m² distribution, at most.
const BARS: usize = 16;

fn median_i64(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2 })
}

fn median_f64(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 })
}

/// The chart of `points` (listings first seen in the [`WEEKS`] before
/// `now`; others are left out), each standing for `weight` listings (a
/// sample). Prices per m² beyond the 2nd and 98th percentiles are left out
/// of the bars (a mistyped area makes a price per m² a hundred times the
/// others), not of the medians.
pub fn market(points: &[Point], weight: u64, now: DateTime<Utc>) -> Market {
    let weight = weight.max(1) as usize;
    let start = since(now);
    let mut by_week: Vec<Vec<i64>> = vec![Vec::new(); WEEKS];
    let mut prices = Vec::new();
    let mut per_m2 = Vec::new();
    let mut areas = Vec::new();
    for p in points.iter().filter(|p| p.first_seen_at >= start && p.first_seen_at <= now && p.monthly_price > 0) {
        let week = ((p.first_seen_at - start).num_seconds() / TimeDelta::weeks(1).num_seconds()) as usize;
        by_week[week.min(WEEKS - 1)].push(p.monthly_price);
        prices.push(p.monthly_price);
        if let Some(area) = p.area_m2.filter(|a| *a >= 5.0 && a.is_finite()) {
            per_m2.push(p.monthly_price as f64 / area);
            areas.push(area);
        }
    }
    let weeks = by_week
        .iter_mut()
        .enumerate()
        .map(|(i, prices)| Week {
            start: start + TimeDelta::weeks(i as i64),
            median: median_i64(prices),
            count: prices.len() * weight,
        })
        .collect();
    let listings = prices.len() * weight;
    let median = median_i64(&mut prices);
    let median_per_m2 = median_f64(&mut per_m2);
    let mut per_m2 = bars(&per_m2);
    per_m2.iter_mut().for_each(|b| b.count *= weight);
    Market { weeks, per_m2, listings, median, median_per_m2, median_area: median_f64(&mut areas) }
}

/// Equal-width bars over the sorted values between their 2nd and 98th
/// percentiles.
fn bars(sorted: &[f64]) -> Vec<Bar> {
    if sorted.is_empty() {
        return Vec::new();
    }
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let (low, high) = (at(0.02), at(0.98));
    if high - low < 0.01 {
        return vec![Bar { from: low, to: low + 1.0, count: sorted.len() }];
    }
    let width = (high - low) / BARS as f64;
    let mut bars: Vec<Bar> =
        (0..BARS).map(|i| Bar { from: low + width * i as f64, to: low + width * (i + 1) as f64, count: 0 }).collect();
    for v in sorted.iter().filter(|v| (low..=high).contains(*v)) {
        let i = (((v - low) / width) as usize).min(BARS - 1);
        bars[i].count += 1;
    }
    bars
}

/// The price per m² a monthly price range means for a flat of `area` m²:
/// what the chart marks as the user's range.
pub fn range_per_m2(price_min: Option<i64>, price_max: Option<i64>, area: Option<f64>) -> Option<(f64, f64)> {
    let area = area.filter(|a| *a > 0.0)?;
    if price_min.is_none() && price_max.is_none() {
        return None;
    }
    let low = price_min.map_or(0.0, |p| p as f64 / area);
    let high = price_max.map_or(f64::INFINITY, |p| p as f64 / area);
    Some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_medians_counts_and_the_distribution() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let at = |days_ago: i64| now - TimeDelta::days(days_ago);
        let p = |days_ago, price, area| Point { first_seen_at: at(days_ago), monthly_price: price, area_m2: area };
        let points = [
            p(1, 1000, Some(50.0)),
            p(2, 1200, Some(60.0)),
            p(3, 1400, None),
            p(8, 900, Some(45.0)),
            p(83, 800, Some(40.0)),
            p(85, 5000, Some(100.0)), // over 12 weeks ago: left out
            p(4, 0, Some(10.0)),      // no price
        ];
        let m = market(&points, 1, now);
        assert_eq!(m.weeks.len(), WEEKS);
        assert_eq!(m.listings, 5);
        let last = m.weeks[WEEKS - 1];
        assert_eq!((last.median, last.count), (Some(1200), 3));
        assert_eq!((m.weeks[WEEKS - 2].median, m.weeks[WEEKS - 2].count), (Some(900), 1));
        assert_eq!((m.weeks[0].median, m.weeks[0].count), (Some(800), 1));
        assert_eq!(m.weeks[5].median, None);
        assert_eq!(m.median, Some(1000));
        assert_eq!(m.median_per_m2, Some(20.0), "every flat here costs 20 a m²");
        assert_eq!(m.median_area, Some(47.5));
        assert_eq!(m.per_m2.iter().map(|b| b.count).sum::<usize>(), 4);
        assert!(m.weeks.windows(2).all(|w| w[1].start - w[0].start == TimeDelta::weeks(1)));
        assert_eq!(market(&[], 1, now).median, None);
        // A sample of every third listing counts as three times as many.
        let sampled = market(&points, 3, now);
        assert_eq!((sampled.listings, sampled.weeks[WEEKS - 1].count, sampled.median), (15, 9, Some(1000)));
    }

    #[test]
    fn a_mistyped_area_does_not_stretch_the_bars() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut points: Vec<Point> = (0..100)
            .map(|i| Point {
                first_seen_at: now - TimeDelta::days(i % 80),
                monthly_price: 1000 + i * 10,
                area_m2: Some(50.0),
            })
            .collect();
        points.push(Point { first_seen_at: now, monthly_price: 1000, area_m2: Some(5.0) }); // 200 a m²
        let m = market(&points, 1, now);
        let top = m.per_m2.last().unwrap().to;
        assert!(top < 45.0, "bars end at {top}");
        assert_eq!(m.per_m2.len(), 16);
    }

    #[test]
    fn the_users_range_per_m2() {
        assert_eq!(range_per_m2(Some(1000), Some(1500), Some(50.0)), Some((20.0, 30.0)));
        assert_eq!(range_per_m2(None, Some(1500), Some(50.0)), Some((0.0, 30.0)));
        assert_eq!(range_per_m2(None, None, Some(50.0)), None);
        assert_eq!(range_per_m2(Some(1), Some(2), None), None);
    }
}
