//! The one-line search syntax of `/new` (INTERFACE.md §3), both ways:
//!
//! ```text
//! source=NAME price=MIN-MAX rooms=studio,1,2,4+ area=MIN- district="Dubai Marina",JLT furnished=yes|no|any period=month,year exclude=WORD,WORD
//! ```
//!
//! Keys in any order, each optional, each at most once. [`parse`] never
//! panics and names the key and the valid form in its error; [`format`]
//! writes a filter back in the same syntax, so `/searches` shows lines a user
//! can copy, and `parse(format(f)) == f`.

use super::{Near, Rooms, SearchFilter};

/// Longest line accepted (Telegram messages can be 4,096 characters).
pub const MAX_LINE: usize = 1_000;
/// Most districts or excluded words in one search.
pub const MAX_ITEMS: usize = 30;
/// Longest district or excluded word.
pub const MAX_ITEM_CHARS: usize = 64;
/// Largest price or area accepted.
const MAX_NUMBER: f64 = 1e9;

/// What is wrong with a line. Shown to users through
/// [`crate::texts::Texts::syntax_error`], in their language; `Display` is the
/// English form, for logs and the operator's configuration errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("the line is too long (at most {MAX_LINE} characters)")]
    TooLong,
    #[error("\"{0}\" is not key=value")]
    NotKeyValue(String),
    #[error("unknown key \"{0}\"")]
    UnknownKey(String),
    #[error("{key} is given twice")]
    Repeated { key: &'static str },
    #[error("{key}: {problem}")]
    Value { key: &'static str, problem: Problem },
    #[error("a quote is not closed")]
    UnclosedQuote,
}

/// What is wrong with one value. Values quoted back are clipped to 40
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("no value after =")]
    NoValue,
    #[error("no source \"{name}\" (no sources are configured)")]
    NoSources { name: String },
    #[error("no source \"{name}\"; known: {known}")]
    UnknownSource { name: String, known: String },
    #[error("{value} is not a whole number")]
    NotWhole { value: String },
    #[error("\"{value}\" has no dash: write MIN-MAX, MIN- or -MAX")]
    NoDash { value: String },
    #[error("give at least one bound: MIN-MAX, MIN- or -MAX")]
    NoBound,
    #[error("the minimum {min} is above the maximum {max}")]
    MinAboveMax { min: String, max: String },
    #[error("\"{value}\" is not a number")]
    NotNumber { value: String },
    #[error("{value} is out of range")]
    OutOfRange { value: String },
    #[error("\"{value}\": more than 50 rooms?")]
    TooManyRooms { value: String },
    #[error("\"{value}\": only whole numbers up to 4 take a + (write 4+)")]
    PlusTooBig { value: String },
    #[error("an empty item between commas")]
    EmptyItem,
    #[error("a quote is not closed")]
    UnclosedQuote,
    #[error("{value}: a quote inside a value")]
    QuoteInside { value: String },
    #[error("\"{value}\" is longer than {MAX_ITEM_CHARS} characters")]
    ItemTooLong { value: String },
    #[error("more than {MAX_ITEMS} items")]
    TooManyItems,
    #[error("\"{value}\" is not yes, no or any")]
    NotFurnished { value: String },
    #[error("\"{value}\" is not month, year, week, day or any")]
    NotPeriod { value: String },
    #[error("no period given")]
    NoPeriod,
    #[error("\"{value}\" is not a place and radius: write LAT,LON:RADIUS")]
    NotNear { value: String },
    #[error("\"{value}\" is not a place on earth (latitude -90 to 90, longitude -180 to 180)")]
    NotPlace { value: String },
    #[error("\"{value}\": the radius is 100 m to 100 km (500m, 2km, 1.5km)")]
    NotRadius { value: String },
    #[error(
        "travel times need a routing server, which this bot does not have; near=LAT,LON:2km keeps listings within a distance"
    )]
    NoRouter,
}

impl SyntaxError {
    /// The key the error is about, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            SyntaxError::UnknownKey(k) => Some(k),
            SyntaxError::Repeated { key } | SyntaxError::Value { key, .. } => Some(key),
            _ => None,
        }
    }

    /// The key whose valid form answers the error: one of [`KEYS`], or
    /// `None` for the whole line (an unknown key, a line that is not
    /// key=value).
    pub fn form_key(&self) -> Option<&'static str> {
        match self {
            SyntaxError::Repeated { key } | SyntaxError::Value { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// The keys of the syntax.
pub const KEYS: &[&str] = &[
    "source",
    "price",
    "rooms",
    "area",
    "district",
    "furnished",
    "period",
    "exclude",
    "not_district",
    "not_source",
    "near",
    "commute",
];

fn is_open_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '„' | '«')
}

fn is_close_quote(c: char) -> bool {
    matches!(c, '"' | '”' | '“' | '»')
}

/// Splits on `sep` (whitespace when `None`) outside quotes; quotes are kept.
fn split_outside_quotes(text: &str, sep: Option<char>) -> Result<Vec<&str>, SyntaxError> {
    let mut parts = Vec::new();
    let mut start = None;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        let is_sep = match sep {
            Some(s) => c == s,
            None => c.is_whitespace(),
        };
        if quoted {
            if is_close_quote(c) {
                quoted = false;
            }
        } else if is_sep {
            if let Some(s) = start.take() {
                parts.push(&text[s..i]);
            } else if sep.is_some() {
                parts.push("");
            }
            continue;
        } else if is_open_quote(c) {
            quoted = true;
        }
        start.get_or_insert(i);
    }
    if quoted {
        return Err(SyntaxError::UnclosedQuote);
    }
    match start {
        Some(s) => parts.push(&text[s..]),
        None if sep.is_some() && !text.is_empty() => parts.push(""),
        None => (),
    }
    Ok(parts)
}

/// Parses the arguments of `/new` (everything after the command).
/// `known_sources` are the configured source names; an empty list accepts any.
pub fn parse(line: &str, known_sources: &[String]) -> Result<SearchFilter, SyntaxError> {
    if line.chars().count() > MAX_LINE {
        return Err(SyntaxError::TooLong);
    }
    let mut filter = SearchFilter::default();
    let mut seen: Vec<&'static str> = Vec::new();
    for token in split_outside_quotes(line.trim(), None)? {
        let Some((key, value)) = token.split_once('=') else {
            return Err(SyntaxError::NotKeyValue(clip(token)));
        };
        let lower = key.trim().to_lowercase();
        let lower = if lower == "districts" { "district".to_owned() } else { lower };
        let Some(&key) = KEYS.iter().find(|k| **k == lower) else {
            return Err(SyntaxError::UnknownKey(clip(key)));
        };
        if seen.contains(&key) {
            return Err(SyntaxError::Repeated { key });
        }
        seen.push(key);
        let value = value.trim();
        let bad = |problem: Problem| SyntaxError::Value { key, problem };
        if value.is_empty() {
            return Err(bad(Problem::NoValue));
        }
        match key {
            "source" => {
                let name = unquote(value);
                let found = known_sources.iter().find(|s| s.eq_ignore_ascii_case(&name));
                match (found, known_sources.is_empty()) {
                    (Some(s), _) => filter.source = Some(s.clone()),
                    (None, true) => {
                        return Err(bad(Problem::NoSources { name: clip(&name) }));
                    }
                    (None, false) => {
                        return Err(bad(Problem::UnknownSource { name: clip(&name), known: known_sources.join(", ") }));
                    }
                }
            }
            "price" => {
                let (min, max) = price_range(value).map_err(bad)?;
                (filter.price_min, filter.price_max) = (min, max);
            }
            "area" => {
                let (min, max) = range(value).map_err(bad)?;
                filter.area_min = min;
                filter.area_max = max;
            }
            "rooms" => filter.rooms = Some(rooms(value).map_err(bad)?),
            "district" => filter.districts = list(value).map_err(bad)?,
            "exclude" => filter.exclude = list(value).map_err(bad)?,
            "not_district" => filter.muted_districts = list(value).map_err(bad)?,
            "not_source" => filter.muted_sources = list(value).map_err(bad)?,
            "period" => filter.periods = periods(value).map_err(bad)?,
            "near" => filter.near = Some(near(value).map_err(bad)?),
            // Travel times are asked of a routing engine (`ROUTER_URL`),
            // which this version does not call yet: refused, never ignored.
            "commute" => return Err(bad(Problem::NoRouter)),
            "furnished" => {
                filter.furnished = match value.to_lowercase().as_str() {
                    "yes" | "y" | "true" | "да" => Some(true),
                    "no" | "n" | "false" | "нет" => Some(false),
                    "any" | "любая" | "любой" => None,
                    other => return Err(bad(Problem::NotFurnished { value: clip(other) })),
                }
            }
            _ => return Err(SyntaxError::UnknownKey(key.to_owned())),
        }
    }
    Ok(filter)
}

/// `52.5200,13.4050:2km`: a place (latitude, longitude in degrees) and a
/// radius in km or m (`500m`, `1.5km`, `2 км`; a bare number is km).
fn near(value: &str) -> Result<Near, Problem> {
    let not_near = || Problem::NotNear { value: clip(value) };
    let (place, radius) = value.rsplit_once(':').ok_or_else(not_near)?;
    let (lat, lon) = place.split_once(',').ok_or_else(not_near)?;
    let coordinate = |t: &str| t.trim().parse::<f64>().map_err(|_| not_near());
    let point = crate::geo::Point::new(coordinate(lat)?, coordinate(lon)?)
        .ok_or_else(|| Problem::NotPlace { value: clip(place) })?;
    let not_radius = || Problem::NotRadius { value: clip(radius) };
    let r = radius.trim().to_lowercase().replace(',', ".");
    let (number, unit) = match r.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(at) => (&r[..at], r[at..].trim()),
        None => (r.as_str(), "km"),
    };
    let number: f64 = number.parse().map_err(|_| not_radius())?;
    let metres = match unit {
        "km" | "км" => number * 1000.0,
        "m" | "м" => number,
        _ => return Err(not_radius()),
    };
    if !metres.is_finite() || !(f64::from(Near::MIN_RADIUS_M)..=f64::from(Near::MAX_RADIUS_M)).contains(&metres) {
        return Err(not_radius());
    }
    let point = point.rounded();
    Ok(Near { lat: point.lat, lon: point.lon, radius_m: metres.round() as i32 })
}

/// A radius as people write it: `2km`, `1.5km`, `500m`.
pub fn format_radius(metres: i32) -> String {
    if metres >= 1000 && metres % 100 == 0 {
        format!("{}km", num(f64::from(metres) / 1000.0))
    } else {
        format!("{metres}m")
    }
}

/// `near=` as written: `52.52,13.405:2km`.
pub fn format_near(near: &Near) -> String {
    format!("{},{}:{}", num(near.lat), num(near.lon), format_radius(near.radius_m))
}

/// `month,year` (also monthly/yearly/weekly/daily and Russian words); `any`
/// is no filter. Kept in [`super::PERIODS`] order, without repeats.
fn periods(value: &str) -> Result<Vec<String>, Problem> {
    let mut chosen = Vec::new();
    for item in value.split(',').map(|i| i.trim().to_lowercase()).filter(|i| !i.is_empty()) {
        let period = match item.as_str() {
            "any" | "любой" | "любая" => return Ok(Vec::new()),
            "month" | "monthly" | "месяц" | "помесячно" => "month",
            "year" | "yearly" | "год" | "на год" => "year",
            "week" | "weekly" | "неделя" | "понедельно" => "week",
            "day" | "daily" | "день" | "посуточно" => "day",
            other => return Err(Problem::NotPeriod { value: clip(other) }),
        };
        if !chosen.contains(&period) {
            chosen.push(period);
        }
    }
    if chosen.is_empty() {
        return Err(Problem::NoPeriod);
    }
    Ok(super::PERIODS.iter().filter(|p| chosen.contains(p)).map(|p| (*p).to_owned()).collect())
}

/// A value shown back to the user: at most 40 characters.
fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}

fn unquote(text: &str) -> String {
    let t = text.trim();
    let mut chars = t.chars();
    match (chars.next(), chars.next_back()) {
        (Some(a), Some(b)) if is_open_quote(a) && is_close_quote(b) => chars.as_str().trim().to_owned(),
        _ => t.to_owned(),
    }
}

fn number(text: &str) -> Result<f64, Problem> {
    let cleaned: String = text.trim().chars().filter(|c| !matches!(c, '_' | '\'' | ' ')).collect();
    let v: f64 = cleaned.replace(',', ".").parse().map_err(|_| Problem::NotNumber { value: clip(text) })?;
    in_range(v, text)
}

fn in_range(v: f64, text: &str) -> Result<f64, Problem> {
    if !v.is_finite() || !(0.0..=MAX_NUMBER).contains(&v) {
        return Err(Problem::OutOfRange { value: clip(text.trim()) });
    }
    Ok(v)
}

/// Currency signs and words people put around a price, lowercase.
const CURRENCY: &[&str] = &[
    "€",
    "$",
    "£",
    "₽",
    "zł",
    "eur",
    "euro",
    "euros",
    "usd",
    "gbp",
    "aed",
    "dhs",
    "dh",
    "pln",
    "rub",
    "руб",
    "руб.",
    "р.",
    "р",
    "евро",
    "дирхам",
    "дирхамов",
];

/// A sum of money as people write it: `1500`, `1 500`, `1.500`, `1,500`,
/// `1.500,50`, `€1200`, `1200 €`, `1200 EUR`. A `.` or `,` followed by
/// exactly three digits groups thousands; otherwise it is the decimal
/// point.
fn money(text: &str) -> Result<f64, Problem> {
    let not_a_number = || Problem::NotNumber { value: clip(text.trim()) };
    let mut rest = text.trim().to_lowercase();
    // Signs and words before or after the number, in any order.
    loop {
        let before = rest.len();
        for word in CURRENCY {
            if let Some(r) = rest.strip_prefix(word).filter(|r| r.starts_with(|c: char| !c.is_alphabetic())) {
                rest = r.trim().to_owned();
            }
            if let Some(r) = rest.strip_suffix(word).filter(|r| r.ends_with(|c: char| !c.is_alphabetic())) {
                rest = r.trim().to_owned();
            }
        }
        if rest.len() == before {
            break;
        }
    }
    let digits: String =
        rest.chars().filter(|c| !c.is_whitespace() && !matches!(c, '_' | '\'' | '’' | '\u{a0}' | '\u{202f}')).collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
        return Err(not_a_number());
    }
    // Each separator: thousands when three digits follow up to the next
    // separator or the end, else the decimal point (only the last may be).
    let mut number = String::with_capacity(digits.len());
    let parts: Vec<&str> = digits.split(['.', ',']).collect();
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            return Err(not_a_number());
        }
        if i > 0 {
            let grouping = part.len() == 3 && !(i == parts.len() - 1 && i == 1 && parts[0].len() > 3);
            if !grouping {
                if i != parts.len() - 1 {
                    return Err(not_a_number());
                }
                number.push('.');
            }
        }
        number.push_str(part);
    }
    let v: f64 = number.parse().map_err(|_| not_a_number())?;
    in_range(v, text)
}

/// One side of a `MIN-MAX` range: none when empty, else read by `read`.
fn bound<T>(side: &str, read: impl Fn(&str) -> Result<T, Problem>) -> Result<Option<T>, Problem> {
    if side.trim().is_empty() { Ok(None) } else { read(side).map(Some) }
}

/// A whole sum of money ([`money`]).
fn whole_money(text: &str) -> Result<i64, Problem> {
    let v = money(text)?;
    if v.fract() != 0.0 {
        return Err(Problem::NotWhole { value: num(v) });
    }
    Ok(v as i64)
}

/// `price=`: `MIN-MAX`, `MIN-` or `-MAX` of whole sums ([`money`]).
fn price_range(text: &str) -> Result<(Option<i64>, Option<i64>), Problem> {
    let Some((a, b)) = text.split_once('-') else {
        return Err(Problem::NoDash { value: clip(text) });
    };
    match (bound(a, whole_money)?, bound(b, whole_money)?) {
        (None, None) => Err(Problem::NoBound),
        (Some(lo), Some(hi)) if lo > hi => Err(Problem::MinAboveMax { min: lo.to_string(), max: hi.to_string() }),
        bounds => Ok(bounds),
    }
}

/// A price typed in answer to "the highest price?": a number is the
/// highest; also `800-1500`, `800 - 1500`, `от 800 до 1500`, `from 800 to
/// 1500`, `до 1500`, `up to 1500`, `от 800`, `800+`, with the sums written
/// as [`money`] reads them. Bounds given the wrong way round are swapped.
pub fn typed_price(text: &str) -> Result<(Option<i64>, Option<i64>), Problem> {
    let text = text.trim().to_lowercase().replace(['–', '—', '−'], "-");
    if text.is_empty() {
        return Err(Problem::NoValue);
    }
    let words = |t: &str, list: &[&str]| -> Option<String> {
        list.iter().find_map(|w| t.strip_prefix(w).filter(|r| r.starts_with(' ')).map(|r| r.trim().to_owned()))
    };
    let infix = |t: &str, list: &[&str]| -> Option<(String, String)> {
        list.iter().find_map(|w| t.split_once(w).map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned())))
    };
    let (min, max) = if let Some(rest) = words(&text, &["от", "from", "min", "мин", "min.", "мин."]) {
        // "от 800 до 1500", "from 800 to 1500", "от 800".
        match infix(&rest, &[" до ", " to ", " по "]) {
            Some((a, b)) => (Some(whole_money(&a)?), Some(whole_money(&b)?)),
            None => (Some(whole_money(&rest)?), None),
        }
    } else if let Some(rest) = words(&text, &["до", "up to", "to", "max", "макс", "max.", "макс.", "under", "below"])
    {
        (None, Some(whole_money(&rest)?))
    } else if let Some(rest) = text.strip_suffix('+') {
        (Some(whole_money(rest)?), None)
    } else if let Some((a, b)) = infix(&text, &[" до ", " to "]) {
        (Some(whole_money(&a)?), Some(whole_money(&b)?))
    } else if let Some((a, b)) = text.split_once('-') {
        // "-1500" is "up to 1500", as in `price=-1500`.
        (bound(a, whole_money)?, bound(b, whole_money)?)
    } else {
        (None, Some(whole_money(&text)?))
    };
    match (min, max) {
        (None, None) => Err(Problem::NoBound),
        (Some(lo), Some(hi)) if lo > hi => Ok((Some(hi), Some(lo))),
        bounds => Ok(bounds),
    }
}

/// `MIN-MAX`, `MIN-` or `-MAX`. A bare number is refused: it could mean a
/// minimum or a maximum, and guessing wrong would silently hide listings.
fn range(text: &str) -> Result<(Option<f64>, Option<f64>), Problem> {
    let Some((a, b)) = text.split_once('-') else {
        return Err(Problem::NoDash { value: clip(text) });
    };
    match (bound(a, number)?, bound(b, number)?) {
        (None, None) => Err(Problem::NoBound),
        (Some(lo), Some(hi)) if lo > hi => Err(Problem::MinAboveMax { min: num(lo), max: num(hi) }),
        bounds => Ok(bounds),
    }
}

fn rooms(text: &str) -> Result<Rooms, Problem> {
    let text = text.trim().to_lowercase();
    if !text.contains(',')
        && let Some((a, b)) = text.split_once('-')
    {
        let (min, max) = range(&format!("{a}-{b}"))?;
        if min.is_some_and(|m| m > 50.0) || max.is_some_and(|m| m > 50.0) {
            return Err(Problem::TooManyRooms { value: clip(&text) });
        }
        return Ok(Rooms::Range { min, max });
    }
    let mut counts: Vec<f64> = Vec::new();
    let mut four_plus = false;
    for item in text.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(Problem::EmptyItem);
        }
        if matches!(item, "studio" | "студия" | "0") {
            counts.push(0.0);
        } else if let Some(n) = item.strip_suffix('+') {
            let n = number(n)?;
            if n.fract() != 0.0 || n > 4.0 {
                return Err(Problem::PlusTooBig { value: clip(item) });
            }
            // "2+" = 2, 3 and 4 or more.
            counts.extend((n as u32..4).map(f64::from));
            four_plus = true;
        } else {
            let n = number(item)?;
            if n > 50.0 {
                return Err(Problem::TooManyRooms { value: clip(item) });
            }
            counts.push(n);
        }
    }
    counts.sort_by(f64::total_cmp);
    counts.dedup();
    Ok(Rooms::Set { counts, four_plus })
}

fn list(text: &str) -> Result<Vec<String>, Problem> {
    let parts = split_outside_quotes(text, Some(',')).map_err(|_| Problem::UnclosedQuote)?;
    let mut items: Vec<String> = Vec::new();
    for part in parts {
        let item = unquote(part);
        if item.is_empty() {
            return Err(Problem::EmptyItem);
        }
        if item.chars().any(|c| is_open_quote(c) || is_close_quote(c)) {
            return Err(Problem::QuoteInside { value: clip(&item) });
        }
        if item.chars().count() > MAX_ITEM_CHARS {
            return Err(Problem::ItemTooLong { value: clip(&item) });
        }
        if !items.iter().any(|i| i.eq_ignore_ascii_case(&item)) {
            items.push(item);
        }
    }
    if items.len() > MAX_ITEMS {
        return Err(Problem::TooManyItems);
    }
    Ok(items)
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v}") }
}

fn bounds(min: Option<String>, max: Option<String>) -> Option<String> {
    match (min, max) {
        (None, None) => None,
        (min, max) => Some(format!("{}-{}", min.unwrap_or_default(), max.unwrap_or_default())),
    }
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| if i.contains([' ', ',', '=']) { format!("\"{i}\"") } else { i.clone() })
        .collect::<Vec<_>>()
        .join(",")
}

/// The rooms part of the syntax (`studio,1,2,4+` or `1-3`).
pub fn format_rooms(rooms: &Rooms) -> String {
    match rooms {
        Rooms::Set { counts, four_plus } => {
            let mut items: Vec<String> =
                counts.iter().map(|c| if *c == 0.0 { "studio".to_owned() } else { num(*c) }).collect();
            if *four_plus {
                items.push("4+".to_owned());
            }
            items.join(",")
        }
        Rooms::Range { min, max } => bounds(min.map(num), max.map(num)).unwrap_or_default(),
    }
}

/// `filter` in the one-line syntax; empty when it matches everything.
pub fn format(filter: &SearchFilter) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &filter.source {
        parts.push(format!("source={s}"));
    }
    if let Some(p) = bounds(filter.price_min.map(|v| v.to_string()), filter.price_max.map(|v| v.to_string())) {
        parts.push(format!("price={p}"));
    }
    if let Some(r) = &filter.rooms {
        let r = format_rooms(r);
        if !r.is_empty() {
            parts.push(format!("rooms={r}"));
        }
    }
    if let Some(a) = bounds(filter.area_min.map(num), filter.area_max.map(num)) {
        parts.push(format!("area={a}"));
    }
    if !filter.districts.is_empty() {
        parts.push(format!("district={}", quoted_list(&filter.districts)));
    }
    if let Some(f) = filter.furnished {
        parts.push(format!("furnished={}", if f { "yes" } else { "no" }));
    }
    if !filter.periods.is_empty() {
        parts.push(format!("period={}", filter.periods.join(",")));
    }
    if !filter.exclude.is_empty() {
        parts.push(format!("exclude={}", quoted_list(&filter.exclude)));
    }
    if !filter.muted_districts.is_empty() {
        parts.push(format!("not_district={}", quoted_list(&filter.muted_districts)));
    }
    if !filter.muted_sources.is_empty() {
        parts.push(format!("not_source={}", quoted_list(&filter.muted_sources)));
    }
    if let Some(near) = &filter.near {
        parts.push(format!("near={}", format_near(near)));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Vec<String> {
        vec!["wg-berlin".to_owned(), "dubizzle".to_owned()]
    }

    #[test]
    fn money_is_read_as_people_write_it() {
        for (text, want) in [
            ("1500", 1500.0),
            ("1 500", 1500.0),
            ("1\u{a0}500", 1500.0),
            ("1.500", 1500.0),
            ("1,500", 1500.0),
            ("1,500,000", 1_500_000.0),
            ("1.500,50", 1500.5),
            ("1500.5", 1500.5),
            ("1,5", 1.5),
            ("€1200", 1200.0),
            ("1200 €", 1200.0),
            ("1200€", 1200.0),
            ("1200 EUR", 1200.0),
            ("AED 7,500", 7500.0),
            ("1500 руб.", 1500.0),
            ("2 000 zł", 2000.0),
        ] {
            assert_eq!(money(text), Ok(want), "{text}");
        }
        for text in ["", "€", "abc", "12.5.3", "1..5", "1500 rooms", "1e5", "-"] {
            assert!(money(text).is_err(), "{text}");
        }
    }

    #[test]
    fn typed_prices_as_people_type_them() {
        for (text, want) in [
            ("1500", (None, Some(1500))),
            ("1 500", (None, Some(1500))),
            ("800-1500", (Some(800), Some(1500))),
            ("800 – 1500", (Some(800), Some(1500))),
            ("от 800 до 1500", (Some(800), Some(1500))),
            ("From 800 to 1,500", (Some(800), Some(1500))),
            ("800 to 1500", (Some(800), Some(1500))),
            ("до 1500", (None, Some(1500))),
            ("up to €1500", (None, Some(1500))),
            ("от 800", (Some(800), None)),
            ("800+", (Some(800), None)),
            ("800-", (Some(800), None)),
            ("-1500", (None, Some(1500))),
            ("1500-800", (Some(800), Some(1500))),
        ] {
            assert_eq!(typed_price(text), Ok(want), "{text}");
        }
        assert_eq!(typed_price("1500.5"), Err(Problem::NotWhole { value: "1500.5".into() }));
        assert!(typed_price("cheap").is_err());
        assert!(typed_price("").is_err());
        // In the one-line syntax too, but the dash stays required.
        let f = parse("price=€800-1.500", &[]).unwrap();
        assert_eq!((f.price_min, f.price_max), (Some(800), Some(1500)));
    }

    #[test]
    fn errors_read_in_the_chats_language() {
        use crate::texts::{Lang, Texts};
        let (en, ru) = (Texts(Lang::En), Texts(Lang::Ru));
        let err = |line: &str| parse(line, &sources()).expect_err(line);
        assert_eq!(
            ru.syntax_error(&err("price=abc")),
            "Не сохранено: price: в «abc» нет дефиса: пишите МИН-МАКС, МИН- или -МАКС.\n\
             Правильно: <code>price=МИН-МАКС, price=-МАКС или price=МИН- (целые числа)</code>"
        );
        assert!(ru.syntax_error(&err("color=red")).starts_with("Не сохранено: нет ключа «color»."));
        assert!(ru.syntax_error(&err("furnished=maybe")).contains("«maybe» — не yes, no или any"));
        assert!(
            ru.syntax_error(&err("source=nosuchsite"))
                .contains("нет источника «nosuchsite»; источники: wg-berlin, dubizzle")
        );
        assert!(ru.syntax_error(&err("rooms=99")).starts_with("Не сохранено: rooms: «99»: больше 50 комнат?\n"));
        assert!(
            en.syntax_error(&err("hello"))
                .starts_with("Not saved: “hello” is not key=value.\nValid form: <code>source=")
        );
        // Scraped or typed text is escaped.
        assert!(en.syntax_error(&err("<b>=1")).contains("&lt;b&gt;"));
    }

    #[test]
    fn the_interface_example_parses() {
        let f = parse(
            r#"source=dubizzle price=1500-2000 rooms=studio,1,2,4+ area=40- district="Dubai Marina",JLT furnished=yes exclude=shared,WBS"#,
            &sources(),
        )
        .unwrap();
        assert_eq!(f.source.as_deref(), Some("dubizzle"));
        assert_eq!((f.price_min, f.price_max), (Some(1500), Some(2000)));
        assert_eq!(f.rooms, Some(Rooms::Set { counts: vec![0.0, 1.0, 2.0], four_plus: true }));
        assert_eq!((f.area_min, f.area_max), (Some(40.0), None));
        assert_eq!(f.districts, vec!["Dubai Marina", "JLT"]);
        assert_eq!(f.furnished, Some(true));
        assert_eq!(f.exclude, vec!["shared", "WBS"]);
    }

    #[test]
    fn bounds_ranges_and_defaults() {
        let f = parse("price=-2000 rooms=1-3", &[]).unwrap();
        assert_eq!((f.price_min, f.price_max), (None, Some(2000)));
        assert_eq!(f.rooms, Some(Rooms::Range { min: Some(1.0), max: Some(3.0) }));
        assert_eq!(parse("", &[]).unwrap(), SearchFilter::default());
        assert_eq!(parse("furnished=any", &[]).unwrap().furnished, None);
        assert_eq!(parse("rooms=2+", &[]).unwrap().rooms, Some(Rooms::Set { counts: vec![2.0, 3.0], four_plus: true }));
        assert_eq!(parse("SOURCE=WG-Berlin", &sources()).unwrap().source.as_deref(), Some("wg-berlin"));
        assert_eq!(parse("district=“Dubai Marina”", &[]).unwrap().districts, vec!["Dubai Marina"]);
    }

    #[test]
    fn every_error_names_its_key() {
        let cases = [
            ("colour=red", Some("colour")),
            ("price=abc-", Some("price")),
            ("price=2000-1000", Some("price")),
            ("price=1500", Some("price")),
            ("price=-", Some("price")),
            ("price=1.5-", Some("price")),
            ("price=", Some("price")),
            ("rooms=1,,2", Some("rooms")),
            ("rooms=7+", Some("rooms")),
            ("rooms=many", Some("rooms")),
            ("area=x-", Some("area")),
            ("area=-1e99", Some("area")),
            ("furnished=maybe", Some("furnished")),
            ("period=often", Some("period")),
            ("period=", Some("period")),
            ("source=nowhere", Some("source")),
            ("district=a,,b", Some("district")),
            ("price=1- price=2-", Some("price")),
            ("hello", None),
            ("district=\"open", None),
        ];
        for (line, key) in cases {
            let err = parse(line, &sources()).expect_err(line);
            assert_eq!(err.key(), key, "{line}: {err}");
            if let Some(key) = key {
                assert!(err.to_string().contains(key), "{line}: {err}");
                // An unknown key is answered with the whole syntax.
                let shown = if KEYS.contains(&key) { key } else { "source" };
                for t in [crate::texts::Texts(crate::texts::Lang::En), crate::texts::Texts(crate::texts::Lang::Ru)] {
                    let text = t.syntax_error(&err);
                    assert!(text.contains(&format!("<code>{shown}=")), "{line}: {text}");
                }
            }
        }
        assert_eq!(parse(&"a".repeat(2000), &[]), Err(SyntaxError::TooLong));
    }

    #[test]
    fn periods_are_read_in_any_order_and_words() {
        assert_eq!(parse("period=year,monthly,year", &[]).unwrap().periods, vec!["month", "year"]);
        assert_eq!(parse("period=посуточно", &[]).unwrap().periods, vec!["day"]);
        assert!(parse("period=any", &[]).unwrap().periods.is_empty());
    }

    #[test]
    fn commute_is_refused_with_the_reason_not_ignored() {
        for line in ["commute=52.52,13.405:30min:transit", "price=-900 commute=x"] {
            assert_eq!(
                parse(line, &[]),
                Err(SyntaxError::Value { key: "commute", problem: Problem::NoRouter }),
                "{line}"
            );
        }
    }

    #[test]
    fn near_is_a_place_and_a_radius() {
        let near = |line: &str| parse(line, &[]).map(|f| f.near.expect("near"));
        let want = |lat, lon, radius_m| Near { lat, lon, radius_m };
        assert_eq!(near("near=52.5200,13.4050:2km"), Ok(want(52.52, 13.405, 2_000)));
        assert_eq!(near("near=52.52,13.405:500m"), Ok(want(52.52, 13.405, 500)));
        assert_eq!(near("near=52.52,13.405:1,5km"), Ok(want(52.52, 13.405, 1_500)));
        assert_eq!(near("near=52.52,13.405:3"), Ok(want(52.52, 13.405, 3_000)), "a bare number is km");
        assert_eq!(near("near=52.52,13.405:2 км"), Err(SyntaxError::NotKeyValue("км".into())), "one token");
        assert_eq!(near("near=52.52,13.405:2км"), Ok(want(52.52, 13.405, 2_000)));
        assert_eq!(near("near=52.1234567,13.7654321:1km"), Ok(want(52.123457, 13.765432, 1_000)), "11 cm is enough");
        let problem = |line: &str| match parse(line, &[]) {
            Err(SyntaxError::Value { key: "near", problem }) => problem,
            other => panic!("{line}: {other:?}"),
        };
        assert!(matches!(problem("near=52.52,13.405"), Problem::NotNear { .. }));
        assert!(matches!(problem("near=52.52:2km"), Problem::NotNear { .. }));
        assert!(matches!(problem("near=abc,13:2km"), Problem::NotNear { .. }));
        assert!(matches!(problem("near=95,13:2km"), Problem::NotPlace { .. }));
        assert!(matches!(problem("near=52.5,52.5:2km"), Problem::NotPlace { .. }));
        assert!(matches!(problem("near=52.52,13.405:50m"), Problem::NotRadius { .. }));
        assert!(matches!(problem("near=52.52,13.405:500km"), Problem::NotRadius { .. }));
        assert!(matches!(problem("near=52.52,13.405:2mi"), Problem::NotRadius { .. }));
        assert!(matches!(problem("near=52.52,13.405:NaNkm"), Problem::NotRadius { .. }));
    }

    #[test]
    fn format_round_trips() {
        for line in [
            r#"source=dubizzle price=1500-2000 rooms=studio,1,2,4+ area=40- district="Dubai Marina",JLT furnished=yes exclude=shared,WBS"#,
            "price=-900 rooms=1-3 area=20.5-80 furnished=no",
            "rooms=4+ period=month,year",
            "period=day",
            "price=-1500 near=52.52,13.405:2km",
            "near=-33.8688,151.2093:500m",
            "near=52.520008,13.404954:1.5km",
            "",
        ] {
            let f = parse(line, &sources()).unwrap();
            assert_eq!(format(&f), line);
            assert_eq!(parse(&format(&f), &sources()).unwrap(), f);
        }
    }

    /// A few thousand random lines built from the syntax's own pieces and
    /// from random characters: never a panic, always a filter or an error,
    /// and every accepted filter survives format → parse.
    #[test]
    fn fuzz_never_panics() {
        let pieces = [
            "source=",
            "price=",
            "rooms=",
            "area=",
            "district=",
            "furnished=",
            "exclude=",
            "dubizzle",
            "wg-berlin",
            "-",
            "1500",
            "2000",
            ",",
            "\"",
            "“",
            "»",
            "studio",
            "4+",
            "=",
            " ",
            "  ",
            "yes",
            "any",
            "1.5",
            "é",
            "🏠",
            "\u{0}",
            "\n",
            "<b>",
            "&amp;",
            "9999999999999",
            "-1",
            "+",
            "NaN",
            "inf",
            "Dubai Marina",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..5_000 {
            let mut line = String::new();
            for _ in 0..next() % 12 {
                if next() % 5 == 0 {
                    line.push(char::from_u32((next() % 0x3000) as u32).unwrap_or('x'));
                } else {
                    line.push_str(pieces[(next() % pieces.len() as u64) as usize]);
                }
            }
            if let Ok(f) = parse(&line, &sources()) {
                let again =
                    parse(&format(&f), &sources()).unwrap_or_else(|e| panic!("{line:?} → {:?}: {e}", format(&f)));
                assert_eq!(again, f, "{line:?}");
            }
        }
    }
}
