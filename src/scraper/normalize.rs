//! Turning what a page shows into numbers: prices with currency and period,
//! rooms, area, absolute URLs, bounded text.
//!
//! Every function takes untrusted text and returns `None` rather than a guess
//! when it cannot read a value.

use reqwest::Url;

/// Longest title kept, in characters.
pub const MAX_TITLE: usize = 300;
/// Longest description kept, in characters.
pub const MAX_DESCRIPTION: usize = 2_000;
/// Longest district, id or other short field kept, in characters.
pub const MAX_SHORT: usize = 200;
/// Longest URL kept, in bytes.
pub const MAX_URL: usize = 2_048;

pub use crate::listing::Period;

/// A price as read from a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    /// The number as shown ("832,07 €" is 832.07).
    pub amount: f64,
    /// ISO 4217, when the text or the source says it.
    pub currency: Option<String>,
    /// When the text says it.
    pub period: Option<Period>,
}

impl Price {
    /// The monthly figure in whole units: yearly ÷ 12, weekly × 52 / 12,
    /// daily × 30; none for a sale.
    pub fn monthly(amount: f64, period: Period) -> Option<i64> {
        let monthly = match period {
            Period::Month => amount,
            Period::Year => amount / 12.0,
            Period::Week => amount * 52.0 / 12.0,
            Period::Day => amount * 30.0,
            Period::Total => return None,
        };
        Some(monthly.round() as i64)
    }
}

/// Currency markers, longest first so "US$" wins over "$".
const CURRENCIES: &[(&str, &str)] = &[
    ("US$", "USD"),
    ("AU$", "AUD"),
    ("A$", "AUD"),
    ("USD", "USD"),
    ("EUR", "EUR"),
    ("GBP", "GBP"),
    ("PLN", "PLN"),
    ("UAH", "UAH"),
    ("AED", "AED"),
    ("AUD", "AUD"),
    ("ARS", "ARS"),
    ("CHF", "CHF"),
    ("CZK", "CZK"),
    ("грн", "UAH"),
    ("zł", "PLN"),
    ("zl", "PLN"),
    ("Kč", "CZK"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("₴", "UAH"),
    ("$", "$"),
];

/// Reads the first price in `text`. `default_currency` is used when the text
/// shows none, and for a bare "$", which means pesos on Argentine sites and
/// Australian dollars on Australian ones.
pub fn parse_price(text: &str, default_currency: Option<&str>) -> Option<Price> {
    let (value, start, end) = first_number(text)?;
    if value < 0.0 || !value.is_finite() || value > 1e13 {
        return None;
    }
    // The currency nearest to the number: just before it, else just after it.
    let before = &text[..start];
    let after = &text[end..];
    let near_before = tail_chars(before, 6);
    let near_after = head_chars(after, 8);
    let currency = find_currency(near_before)
        .or_else(|| find_currency(near_after))
        .or_else(|| find_currency(text))
        .map(|c| match (c, default_currency) {
            ("$", Some(default)) => default.to_owned(),
            ("$", None) => "USD".to_owned(),
            (c, _) => c.to_owned(),
        })
        .or_else(|| default_currency.map(str::to_owned));
    // The unit belongs to this amount: read up to the next number only
    // ("595.000 EUR Kaufpreis ab 2.158 € mtl." is a sale, not a rent).
    let unit = &after[..after.find(|c: char| c.is_ascii_digit()).unwrap_or(after.len())];
    Some(Price { amount: value, currency, period: find_period(unit) })
}

fn find_currency(text: &str) -> Option<&'static str> {
    let mut best: Option<(usize, &'static str)> = None;
    for (marker, code) in CURRENCIES {
        if let Some(pos) = text.find(marker) {
            // "zl" must not match inside a word like "zlote" only when letters follow.
            if *marker == "zl" && text[pos + 2..].chars().next().is_some_and(char::is_alphabetic) {
                continue;
            }
            if matches!(*marker, "USD" | "EUR" | "GBP" | "PLN" | "UAH" | "AED" | "AUD" | "ARS" | "CHF" | "CZK")
                && !is_word_at(text, pos, marker.len())
            {
                continue;
            }
            if best.is_none_or(|(p, _)| pos < p) {
                best = Some((pos, code));
            }
        }
    }
    best.map(|(_, code)| code)
}

fn is_word_at(text: &str, pos: usize, len: usize) -> bool {
    let before_ok = text[..pos].chars().next_back().is_none_or(|c| !c.is_alphabetic());
    let after_ok = text[pos + len..].chars().next().is_none_or(|c| !c.is_alphabetic());
    before_ok && after_ok
}

/// The period a price text states, from the words after the amount.
pub fn find_period(text: &str) -> Option<Period> {
    let lower = head_chars(text, 40).to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if has(&["/yr", "/year", "per year", "a year", "yearly", "p.a.", "annually", "per annum", "/год", "rocznie"]) {
        Some(Period::Year)
    } else if has(&["pw", "/wk", "/week", "per week", "a week", "weekly", "p.w."]) && !has(&["pcm"]) {
        Some(Period::Week)
    } else if has(&["/day", "per day", "a day", "/night", "per night", "daily"]) {
        Some(Period::Day)
    } else if has(&[
        "pcm",
        "/mo",
        "/month",
        "per month",
        "a month",
        "monthly",
        "p.m.",
        "mtl",
        "monat",
        "/mies",
        "miesięcznie",
        "/міс",
        "/мес",
        "/mes",
        "al mes",
        "mensual",
    ]) {
        Some(Period::Month)
    } else {
        None
    }
}

/// Reads a room count: "Studio" is 0, "2 Zimmer" 2, "1,5 rooms" 1.5,
/// "3+1" 4 (rooms plus living room), "2 BR" 2.
pub fn parse_rooms(text: &str) -> Option<f64> {
    let lower = text.to_lowercase();
    if ["studio", "estudio", "kawalerka", "monolocale", "гостинка"].iter().any(|w| lower.contains(w)) {
        return Some(0.0);
    }
    let (first, _, end) = first_number(text)?;
    let rest = text[end..].trim_start();
    let rooms = match rest.strip_prefix('+').map(str::trim_start).and_then(first_number_at_start) {
        Some(second) => first + second,
        None => first,
    };
    (0.0..=100.0).contains(&rooms).then_some(rooms)
}

fn first_number_at_start(text: &str) -> Option<f64> {
    let (value, start, _) = first_number(text)?;
    (start == 0).then_some(value)
}

/// Reads an area and converts it to m²: "54 m²", "54 qm",
/// "49,18 m² Wohnfläche", "580 sq ft"; two decimals.
pub fn parse_area(text: &str) -> Option<f64> {
    let (value, _, end) = first_number(text)?;
    let unit = head_chars(&text[end..], 12).to_lowercase();
    let m2 =
        if unit.contains("ft") || unit.contains("sqft") || unit.contains("sf") { value * 0.092_903_04 } else { value };
    (m2 > 0.0 && m2 < 1_000_000.0).then_some((m2 * 100.0).round() / 100.0)
}

/// The first number in `text` with its byte range. Thousands separators
/// (".", ",", "'", spaces) are dropped; a single "," or "." followed by one or
/// two digits (or by more than three) is a decimal mark.
pub fn first_number(text: &str) -> Option<(f64, usize, usize)> {
    let bytes = text.as_bytes();
    let start = bytes.iter().position(u8::is_ascii_digit)?;
    // Collect digit groups and the separators between them.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut seps: Vec<char> = Vec::new();
    let mut i = start;
    loop {
        let g_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        groups.push((g_start, i));
        // A separator, then another digit group?
        let rest = &text[i..];
        let mut chars = rest.char_indices();
        let Some((_, sep)) = chars.next() else { break };
        if !matches!(sep, '.' | ',' | '\'' | ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}') {
            break;
        }
        let after = i + sep.len_utf8();
        if after < bytes.len() && bytes[after].is_ascii_digit() {
            // A space only joins groups of exactly three digits ("2 500"), so
            // "2 3" stays two numbers.
            if sep.is_whitespace() {
                let mut j = after;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                if j - after != 3 {
                    break;
                }
            }
            seps.push(sep);
            i = after;
        } else {
            break;
        }
    }
    let end = groups.last().map(|g| g.1).unwrap_or(start);
    let digits = |g: &(usize, usize)| &text[g.0..g.1];

    // Decide which separator, if any, is the decimal mark.
    let decimal_at = {
        let last = seps.len().checked_sub(1);
        match last {
            None => None,
            Some(last) => {
                let sep = seps[last];
                let last_group_len = groups[last + 1].1 - groups[last + 1].0;
                let distinct: Vec<char> = {
                    let mut d: Vec<char> = seps.iter().copied().filter(|c| matches!(c, '.' | ',')).collect();
                    d.dedup();
                    d
                };
                if !matches!(sep, '.' | ',') {
                    None
                } else if distinct.len() > 1 || (seps.iter().filter(|&&c| c == sep).count() == 1 && last_group_len != 3)
                {
                    // "1.250,50", "1,5", "32.46": the last mark is decimal.
                    Some(last)
                } else {
                    None
                }
            }
        }
    };
    let mut number = String::new();
    for (n, g) in groups.iter().enumerate() {
        if n > 0 && decimal_at == Some(n - 1) {
            number.push('.');
        }
        number.push_str(digits(g));
    }
    number.parse::<f64>().ok().map(|v| (v, start, end))
}

fn head_chars(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

fn tail_chars(text: &str, n: usize) -> &str {
    let count = text.chars().count();
    if count <= n {
        return text;
    }
    match text.char_indices().nth(count - n) {
        Some((i, _)) => &text[i..],
        None => text,
    }
}

/// Collapses whitespace and cuts to `max` characters.
pub fn clean_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    let mut count = 0;
    let mut cut = false;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        let sep = usize::from(count > 0);
        if count + sep + len > max {
            cut = true;
            if count == 0 {
                // One word longer than the whole: cut inside it.
                out.extend(word.chars().take(max.saturating_sub(1)));
                count = out.chars().count();
            }
            break;
        }
        if sep == 1 {
            out.push(' ');
        }
        out.push_str(word);
        count += sep + len;
    }
    if cut && max > 0 {
        // Cut at a word's end, with an ellipsis, within `max` characters.
        if count + 1 > max {
            match out.rfind(' ') {
                Some(at) => out.truncate(at),
                None => {
                    let keep: String = out.chars().take(max - 1).collect();
                    out = keep;
                }
            }
        }
        out.push('…');
    }
    out
}

/// `href` made absolute against `base`; only http(s), bounded in length.
pub fn absolute_url(base: &Url, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || href.len() > MAX_URL {
        return None;
    }
    let url = base.join(href).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(text: &str) -> (f64, Option<String>, Option<Period>) {
        let p = parse_price(text, None).unwrap_or_else(|| panic!("no price in {text:?}"));
        (p.amount, p.currency, p.period)
    }

    #[test]
    fn prices_in_the_formats_real_pages_use() {
        let eur = Some("EUR".to_owned());
        assert_eq!(price("1.250 €"), (1250.0, eur.clone(), None));
        assert_eq!(price("€1,250"), (1250.0, eur.clone(), None));
        assert_eq!(price("AED 95,000/yr"), (95000.0, Some("AED".into()), Some(Period::Year)));
        assert_eq!(price("2 500 zł"), (2500.0, Some("PLN".into()), None));
        assert_eq!(price("£1,100 pcm"), (1100.0, Some("GBP".into()), Some(Period::Month)));
        assert_eq!(price("$2,450/mo"), (2450.0, Some("USD".into()), Some(Period::Month)));
        assert_eq!(price("1 250,50 €"), (1250.5, eur.clone(), None));
        assert_eq!(price("525.000 €"), (525000.0, eur.clone(), None));
        assert_eq!(price("408\u{a0}060 zł"), (408060.0, Some("PLN".into()), None));
        assert_eq!(price("$4,919+/mo Total price"), (4919.0, Some("USD".into()), Some(Period::Month)));
        assert_eq!(price("£288 pw"), (288.0, Some("GBP".into()), Some(Period::Week)));
        // The unit next to the amount taken, not a later amount's.
        assert_eq!(price("595.000 EUR Kaufpreis ab 2.158 € mtl."), (595000.0, eur.clone(), None));
        assert_eq!(price("1.250 € mtl. (warm 1.500 €)"), (1250.0, eur.clone(), Some(Period::Month)));
        assert_eq!(price("25 000 грн."), (25000.0, Some("UAH".into()), None));
        assert_eq!(price("1.250 - 1.500 €"), (1250.0, eur, None));
        assert_eq!(price("CHF 2'350.–"), (2350.0, Some("CHF".into()), None));
    }

    #[test]
    fn a_bare_dollar_takes_the_source_currency() {
        let p = parse_price("$ 620.000", Some("ARS")).unwrap();
        assert_eq!((p.amount, p.currency.as_deref()), (620_000.0, Some("ARS")));
        let p = parse_price("US$ 1,000", Some("ARS")).unwrap();
        assert_eq!(p.currency.as_deref(), Some("USD"));
        let p = parse_price("1 200", Some("PLN")).unwrap();
        assert_eq!((p.amount, p.currency.as_deref()), (1200.0, Some("PLN")));
    }

    #[test]
    fn no_number_is_no_price() {
        assert_eq!(parse_price("Preis auf Anfrage", Some("EUR")), None);
        assert_eq!(parse_price("", None), None);
    }

    #[test]
    fn monthly_figures() {
        assert_eq!(Price::monthly(1200.0, Period::Month), Some(1200));
        assert_eq!(Price::monthly(832.07, Period::Month), Some(832));
        assert_eq!(Price::monthly(95_000.0, Period::Year), Some(7917));
        assert_eq!(Price::monthly(288.0, Period::Week), Some(1248));
        assert_eq!(Price::monthly(50.0, Period::Day), Some(1500));
        assert_eq!(Price::monthly(525_000.0, Period::Total), None);
    }

    #[test]
    fn rooms() {
        assert_eq!(parse_rooms("Studio"), Some(0.0));
        assert_eq!(parse_rooms("Studio flat"), Some(0.0));
        assert_eq!(parse_rooms("2 Zimmer"), Some(2.0));
        assert_eq!(parse_rooms("1.5 rooms"), Some(1.5));
        assert_eq!(parse_rooms("1,5 Zimmer"), Some(1.5));
        assert_eq!(parse_rooms("3+1"), Some(4.0));
        assert_eq!(parse_rooms("2 BR"), Some(2.0));
        assert_eq!(parse_rooms("1 bd"), Some(1.0));
        assert_eq!(parse_rooms("4 pokoje"), Some(4.0));
        assert_eq!(parse_rooms("5 hab."), Some(5.0));
        assert_eq!(parse_rooms("rooms"), None);
    }

    #[test]
    fn areas() {
        assert_eq!(parse_area("54 m²"), Some(54.0));
        assert_eq!(parse_area("54 qm"), Some(54.0));
        assert_eq!(parse_area("49,18 m² Wohnfläche (ca.)"), Some(49.18));
        assert_eq!(parse_area("32.46 m²"), Some(32.46));
        assert_eq!(parse_area("580 sq ft"), Some(53.88));
        assert_eq!(parse_area("801 sqft"), Some(74.42));
        assert_eq!(parse_area("1.250 m²"), Some(1250.0));
        assert_eq!(parse_area("m²"), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(first_number("ab 1.250,50 €").map(|n| n.0), Some(1250.5));
        assert_eq!(first_number("1,250.50").map(|n| n.0), Some(1250.5));
        assert_eq!(first_number("2 3").map(|n| n.0), Some(2.0));
        assert_eq!(first_number("12.345.678").map(|n| n.0), Some(12_345_678.0));
        assert_eq!(first_number("no digits"), None);
    }

    #[test]
    fn text_and_urls() {
        assert_eq!(clean_text("  a \n\t b  c ", 100), "a b c");
        // Cut at a word's end, with an ellipsis, within the bound.
        assert_eq!(clean_text("abcdef", 3), "ab…");
        assert_eq!(clean_text("ab cd", 3), "ab…");
        assert_eq!(clean_text("ab cd", 5), "ab cd");
        let title = "Helle Altbauwohnung mit Balkon ".repeat(12);
        let cut = clean_text(&title, MAX_TITLE);
        let kept = cut.strip_suffix('…').expect("an ellipsis");
        assert!(cut.chars().count() <= MAX_TITLE && title.starts_with(kept), "{cut}");
        assert!(title[kept.len()..].starts_with(' '), "cut mid-word: {cut}");
        let base = Url::parse("https://site.example/list/page?x=1").unwrap();
        assert_eq!(absolute_url(&base, "/a/1").as_deref(), Some("https://site.example/a/1"));
        assert_eq!(absolute_url(&base, "b").as_deref(), Some("https://site.example/list/b"));
        assert_eq!(absolute_url(&base, "javascript:alert(1)"), None);
        assert_eq!(absolute_url(&base, ""), None);
    }
}
