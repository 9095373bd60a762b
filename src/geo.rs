//! Coordinates: reading them as sources write them, and the distance
//! between two points. Plain functions, tested without a network.

/// A point on the earth, in degrees (WGS 84, as every listing site and
/// Telegram's location messages give them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

/// The earth's mean radius, in metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

impl Point {
    /// A point, when `lat` and `lon` are coordinates: finite, in range, not
    /// the "0,0" a missing value is often written as, and not the same
    /// number twice (a page that copied one into the other: MANIFEST,
    /// regionalimmobilien24 card 3).
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        let valid = lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon)
            && !(lat == 0.0 && lon == 0.0)
            && lat != lon;
        valid.then_some(Self { lat, lon })
    }

    /// The point to six decimals (11 cm): as precise as a phone's location,
    /// and what a saved `near=` keeps and writes back.
    pub fn rounded(self) -> Self {
        let round = |v: f64| (v * 1e6).round() / 1e6;
        Self { lat: round(self.lat), lon: round(self.lon) }
    }

    /// The great-circle distance to `other`, in metres (haversine; under
    /// 0.5 % off at the distances a flat hunter asks about).
    pub fn distance_m(self, other: Point) -> f64 {
        let (la1, la2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = la2 - la1;
        let dlon = (other.lon - self.lon).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
    }
}

/// One coordinate as a page writes it: "52.5200", "52,5200", " 13.405 ".
pub fn coordinate(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() || t.len() > 32 {
        return None;
    }
    t.replace(',', ".").parse().ok()
}

/// A point from a source's fields: `lat` and `lon` apart, or `geo` as
/// "lat,lon" (also "lat;lon", "lat lon"). `None` when they do not make a
/// point ([`Point::new`]).
pub fn read(lat: Option<&str>, lon: Option<&str>, geo: Option<&str>) -> Option<Point> {
    if let (Some(lat), Some(lon)) = (lat, lon) {
        return Point::new(coordinate(lat)?, coordinate(lon)?);
    }
    let geo = geo?.trim();
    // "52.52,13.40" (a comma between two numbers written with dots), or
    // "52,52;13,40" / "52.52 13.40".
    let (a, b) = if geo.matches(',').count() == 1 && !geo.contains(';') {
        geo.split_once(',')?
    } else if let Some(pair) = geo.split_once(';') {
        pair
    } else {
        geo.split_once(char::is_whitespace)?
    };
    Point::new(coordinate(a)?, coordinate(b)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_as_pages_write_them() {
        let p = |lat: f64, lon: f64| Some(Point { lat, lon });
        assert_eq!(read(Some("52.5200"), Some("13.4050"), None), p(52.52, 13.405));
        assert_eq!(read(Some(" 52,52 "), Some("13,405"), None), p(52.52, 13.405));
        assert_eq!(read(None, None, Some("52.52,13.405")), p(52.52, 13.405));
        assert_eq!(read(None, None, Some("52,52;13,405")), p(52.52, 13.405));
        assert_eq!(read(None, None, Some("-33.8688 151.2093")), p(-33.8688, 151.2093));
        assert_eq!(read(None, None, Some("52.52, 13.405")), p(52.52, 13.405));
        for (lat, lon) in [("91", "13"), ("52", "181"), ("0", "0"), ("52.4099", "52.4099"), ("NaN", "1"), ("x", "1")] {
            assert_eq!(read(Some(lat), Some(lon), None), None, "{lat},{lon}");
        }
        assert_eq!(read(Some("52.52"), None, None), None, "half a point is none");
        assert_eq!(read(None, None, Some("52.52")), None);
        assert_eq!(read(None, None, Some(&"1".repeat(100))), None);
    }

    #[test]
    fn distances() {
        let alex = Point::new(52.5219, 13.4132).unwrap(); // Alexanderplatz
        let zoo = Point::new(52.5070, 13.3323).unwrap(); // Zoologischer Garten
        let d = alex.distance_m(zoo);
        assert!((5_550.0..5_750.0).contains(&d), "{d}");
        assert_eq!(alex.distance_m(alex), 0.0);
        let antipode = Point::new(-52.5219, 13.4132 - 180.0).unwrap();
        assert!((alex.distance_m(antipode) - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1.0);
    }
}
