//! What an outbox row looks like in Telegram. Every scraped or typed string
//! is HTML-escaped here; a photo caption stays under Telegram's 1,024
//! visible characters, a text under 4,096.

use entity::{listing, status::outbox_kind};
use serde::Deserialize;

use crate::texts::{Arg, Texts, escape};

pub const CAPTION_LIMIT: usize = 1024;
pub const TEXT_LIMIT: usize = 4096;

/// A message ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// HTML (parse mode HTML).
    pub html: String,
    /// The first photo, when the listing has one.
    pub photo: Option<String>,
    /// Photos sent as one album (2 to 10), `html` the first one's caption.
    pub album: Vec<String>,
    /// The buttons under the message, by rows.
    pub keyboard: Vec<Vec<Button>>,
    /// The source of a listing alert (its latency is counted per source).
    pub source: Option<String>,
}

/// A button under a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Button {
    /// Opens a web page.
    Url { label: String, url: String },
    /// Comes back to the bot as a callback query with `data` (≤ 64 bytes).
    Callback { label: String, data: String },
}

impl Button {
    fn callback(label: String, data: String) -> Self {
        Button::Callback { label, data }
    }
}

/// An alert's buttons: "Open listing" (and "📷 Photos" when the source gave
/// more than one, "📈" when `chart`: there are enough comparable listings
/// for a market chart), then 🙈 Hide, 🔕 Mute and ⭐ Save (callback data
/// `a:p:ID`, `a:c:ID`, `a:h:ID`, `a:m:ID`, `a:s:ID` with the listing's id:
/// they stay valid across restarts, the state being in the database).
pub fn alert_keyboard(t: Texts, l: &listing::Model, chart: bool) -> Vec<Vec<Button>> {
    let mut first = vec![Button::Url { label: t.get("btn-open"), url: l.url.clone() }];
    let photos = crate::listing::photos_of(l).len();
    if photos > 1 {
        let label = t.msg("btn-photos", &[("n", Arg::Num((photos - 1) as f64))]);
        first.push(Button::callback(label, format!("a:p:{}", l.id)));
    }
    if chart {
        first.push(Button::callback(t.get("btn-chart"), format!("a:c:{}", l.id)));
    }
    vec![
        first,
        vec![
            Button::callback(t.get("btn-hide"), format!("a:h:{}", l.id)),
            Button::callback(t.get("btn-mute"), format!("a:m:{}", l.id)),
            Button::callback(t.get("btn-keep"), format!("a:s:{}", l.id)),
        ],
    ]
}

/// An alert's buttons after 🙈 or 🔕: the row of actions becomes one
/// "↩️ Undo" (`undo`: its callback data).
pub fn undo_keyboard(t: Texts, l: &listing::Model, chart: bool, undo: String) -> Vec<Vec<Button>> {
    let mut rows = alert_keyboard(t, l, chart);
    if let Some(actions) = rows.last_mut() {
        *actions = vec![Button::callback(t.get("btn-undo"), undo)];
    }
    rows
}

/// "📷 Photos": the listing's photos after the first (which the alert
/// showed), up to 9, as an album (or one photo); the caption, and the text
/// sent instead when Telegram refuses them, links each photo.
pub fn photos(t: Texts, l: &listing::Model) -> Option<Rendered> {
    let others: Vec<String> = crate::listing::photos_of(l).into_iter().skip(1).take(9).collect();
    if others.is_empty() {
        return None;
    }
    let links: Vec<String> = others
        .iter()
        .enumerate()
        .map(|(i, url)| {
            let label = t.msg("photo-n", &[("n", Arg::Html(&(i + 2).to_string()))]);
            format!("<a href=\"{}\">{label}</a>", escape(url))
        })
        .collect();
    let head = t.msg("photos-of", &[("title", Arg::Text(&cut(&l.title, 200)))]);
    let html = format!("{head}\n{}", links.join(" · "));
    let (photo, album) = match others.len() {
        1 => (others.into_iter().next(), Vec::new()),
        _ => (None, others),
    };
    Some(Rendered { html, photo, album, keyboard: Vec::new(), source: None })
}

/// The second tap of 🔕 Mute: this district (when the listing has one), or
/// this source, for the searches that matched; or back.
pub fn mute_keyboard(t: Texts, l: &listing::Model, source: &str) -> Vec<Vec<Button>> {
    let mut choices = Vec::new();
    if let Some(d) = l.district.as_deref().filter(|d| !d.trim().is_empty()) {
        let label = t.msg("btn-mute-district", &[("district", Arg::Html(&cut(d, 40)))]);
        choices.push(Button::callback(label, format!("a:md:{}", l.id)));
    }
    let label = t.msg("btn-mute-source", &[("source", Arg::Html(&cut(source, 40)))]);
    choices.push(Button::callback(label, format!("a:ms:{}", l.id)));
    vec![
        vec![Button::Url { label: t.get("btn-open"), url: l.url.clone() }],
        choices,
        vec![Button::callback(t.get("btn-back"), format!("a:mb:{}", l.id))],
    ]
}

#[derive(Deserialize)]
struct PriceDrop {
    old: i64,
    new: i64,
    /// How many times the price has fallen, this time included.
    #[serde(default)]
    cut: u32,
}

/// An alert's payload field for a listing back on the market: the whole
/// days it was away.
#[derive(Deserialize)]
struct Back {
    #[serde(default)]
    back: Option<i64>,
}

/// Comparable listings needed before an alert shows market context (and
/// its "📈").
pub const MIN_COMPARABLES: usize = 10;
/// How far back comparable listings are looked for (market context).
pub const MARKET_DAYS: i64 = 30;
/// Most comparable prices read for one listing's median.
pub const MARKET_SAMPLE: u64 = 1_000;

/// What homehound's own history says of a listing's price: the median
/// monthly price of comparable listings (same source, district and rooms,
/// seen in the last 30 days).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Market {
    pub median: i64,
    pub comparables: usize,
}

impl Market {
    /// The median of `prices`, when there are at least [`MIN_COMPARABLES`].
    pub fn of(mut prices: Vec<i64>) -> Option<Self> {
        if prices.len() < MIN_COMPARABLES {
            return None;
        }
        prices.sort_unstable();
        let n = prices.len();
        let median = if n % 2 == 1 { prices[n / 2] } else { (prices[n / 2 - 1] + prices[n / 2]) / 2 };
        (median > 0).then_some(Market { median, comparables: n })
    }

    /// `price` against the median, in whole percent (negative: below).
    pub fn percent(&self, price: i64) -> i64 {
        ((price - self.median) as f64 * 100.0 / self.median as f64).round() as i64
    }
}

/// The payload of a notice, reminder, expiry notice or broadcast.
#[derive(Debug, Deserialize, serde::Serialize)]
pub struct Notice {
    pub text: String,
    /// A button under the text: (label, callback data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<(String, String)>,
    /// The text is Telegram HTML already (written by the bot, its values
    /// escaped); otherwise it is escaped here.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub html: bool,
}

pub(crate) fn money(amount: i64, currency: Option<&str>) -> String {
    let digits = amount.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    let sign = if amount < 0 { "-" } else { "" };
    match currency {
        Some(c) => format!("{sign}{grouped} {c}"),
        None => format!("{sign}{grouped}"),
    }
}

/// The banknote of a listing's currency (💶 euro, 💵 dollar, 💷 pound, 💴
/// yen), 💰 for any other.
fn money_sign(currency: Option<&str>) -> &'static str {
    match currency.map(str::to_ascii_uppercase).as_deref() {
        Some("EUR" | "€") => "💶",
        Some("USD" | "$") => "💵",
        Some("GBP" | "£") => "💷",
        Some("JPY" | "¥") => "💴",
        _ => "💰",
    }
}

/// Cuts `text` to `max` characters, with an ellipsis when cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The caption lines of a listing (plain text, not yet escaped), title last
/// so it is the part cut when the caption is too long.
fn facts(t: Texts, l: &listing::Model, source: &str, market: Option<Market>) -> Vec<String> {
    let mut lines = Vec::new();
    match (l.monthly_price, l.price) {
        (Some(m), _) => {
            let (sign, price) = (money_sign(l.currency.as_deref()), money(m, l.currency.as_deref()));
            lines.push(t.msg("alert-price-month", &[("sign", Arg::Html(sign)), ("price", Arg::Html(&price))]))
        }
        (None, Some(p)) => {
            let (sign, price) = (money_sign(l.currency.as_deref()), money(p, l.currency.as_deref()));
            lines.push(t.msg("alert-price", &[("sign", Arg::Html(sign)), ("price", Arg::Html(&price))]))
        }
        (None, None) => (),
    }
    if let (Some(market), Some(price)) = (market, l.monthly_price) {
        let mut parts = Vec::new();
        if let Some(area) = l.area_m2.filter(|a| *a >= 1.0) {
            let per_m2 = money((price as f64 / area).round() as i64, l.currency.as_deref());
            parts.push(t.msg("market-per-m2", &[("price", Arg::Html(&per_m2))]));
        }
        let pct = market.percent(price);
        let n = Arg::Num(market.comparables as f64);
        parts.push(match pct {
            0 => t.msg("market-at-median", &[("n", n)]),
            p if p < 0 => t.msg("market-below", &[("pct", Arg::Html(&(-p).to_string())), ("n", n)]),
            p => t.msg("market-above", &[("pct", Arg::Html(&p.to_string())), ("n", n)]),
        });
        lines.push(format!("📊 {}", parts.join(" · ")));
    }
    let mut size = Vec::new();
    if let Some(r) = l.rooms {
        size.push(if r == 0.0 { t.get("alert-studio") } else { t.msg("alert-rooms", &[("n", Arg::Num(r))]) });
    }
    if let Some(a) = l.area_m2 {
        size.push(t.msg("alert-area", &[("area", Arg::Html(&trim_float(a)))]));
    }
    if !size.is_empty() {
        lines.push(format!("🛏 {}", size.join(" · ")));
    }
    if let Some(d) = &l.district {
        lines.push(format!("📍 {d}"));
    }
    if let Some(phone) = &l.phone {
        lines.push(format!("📞 {phone}"));
    }
    lines.push(format!("🔎 {source}"));
    lines
}

fn trim_float(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// A listing alert (new, or its price fell), in the chat's language. The
/// texts of the resources are plain here (no markup): each line is escaped
/// whole, scraped values included.
pub fn listing_alert(
    t: Texts,
    kind: &str,
    payload: Option<&str>,
    l: &listing::Model,
    source: &str,
    market: Option<Market>,
) -> Rendered {
    let head = match (kind, payload.and_then(|p| serde_json::from_str::<PriceDrop>(p).ok())) {
        (k, Some(drop)) if k == outbox_kind::PRICE_DROP => {
            let mut head = t.msg(
                "alert-price-drop",
                &[
                    ("old", Arg::Html(&money(drop.old, l.currency.as_deref()))),
                    ("new", Arg::Html(&money(drop.new, l.currency.as_deref()))),
                ],
            );
            if drop.cut >= 2 {
                head.push_str(&format!(" ({})", t.msg("alert-price-cut", &[("n", Arg::Html(&drop.cut.to_string()))])));
            }
            Some(head)
        }
        _ => None,
    };
    // Back on the market after some days away.
    let back =
        payload.and_then(|p| serde_json::from_str::<Back>(p).ok()).and_then(|b| b.back).filter(|days| *days >= 1).map(
            |days| {
                let away = std::time::Duration::from_secs(days.unsigned_abs() * 86_400);
                t.msg("alert-back", &[("away", Arg::Html(&t.duration(away)))])
            },
        );
    let head = match (head, back) {
        (Some(h), Some(b)) => Some(format!("{h}\n{b}")),
        (h, b) => h.or(b),
    };
    let facts = facts(t, l, source, market);
    let limit = if l.photo.is_some() { CAPTION_LIMIT } else { TEXT_LIMIT };
    // Visible characters: the lines, their newlines, and the title.
    let fixed: usize = head.iter().chain(facts.iter()).map(|s| s.chars().count() + 1).sum();
    let title = cut(&l.title, limit.saturating_sub(fixed).clamp(1, 300));
    let mut html = String::new();
    if let Some(head) = &head {
        html.push_str(&format!("<b>{}</b>\n", escape(head)));
    }
    html.push_str(&format!("<b>{}</b>", escape(&title)));
    for line in &facts {
        html.push('\n');
        html.push_str(&escape(line));
    }
    Rendered {
        html,
        photo: l.photo.clone(),
        album: Vec::new(),
        keyboard: alert_keyboard(t, l, market.is_some()),
        source: Some(source.to_owned()),
    }
}

/// `https://t.me/<bot>?start=<parameter>`: opens the bot with `/start
/// <parameter>` (Telegram allows 64 characters of `A-Za-z0-9_-`).
pub fn deep_link(bot_username: &str, parameter: &str) -> String {
    format!("https://t.me/{bot_username}?start={parameter}")
}

/// A new listing posted to a channel: the alert's text, "Open listing", and
/// "🔔 Alerts like this", a deep link (`like_<listing id>`) that opens the
/// bot's wizard filled from this listing.
pub fn channel_post(
    t: Texts,
    l: &listing::Model,
    source: &str,
    market: Option<Market>,
    bot_username: &str,
) -> Rendered {
    let alert = listing_alert(t, outbox_kind::NEW_LISTING, None, l, source, market);
    let keyboard = vec![
        vec![Button::Url { label: t.get("btn-open"), url: l.url.clone() }],
        vec![Button::Url { label: t.get("btn-alerts-like"), url: deep_link(bot_username, &format!("like_{}", l.id)) }],
    ];
    // Latency is measured for chats' alerts only.
    Rendered { keyboard, source: None, ..alert }
}

/// One entry of `/saved`: its number, the title linked to the listing, its
/// current price, size, district and source, and what its page said when
/// last asked (in the chat's time zone `zone`).
pub fn saved_entry(t: Texts, n: u64, l: &listing::Model, source: &str, zone: chrono_tz::Tz) -> String {
    let mut entry = listing_entry(t, n, l, source);
    // What its page said when last asked ("❓ Still there?").
    if let Some(at) = l.checked_at {
        let key = if l.gone_at.is_some() { "saved-gone" } else { "saved-online" };
        entry.push('\n');
        entry.push_str(&t.msg(key, &[("at", Arg::Text(&t.at(at, zone)))]));
    }
    entry
}

/// One listing of a `/saved` or digest page: its number, linked title and
/// facts.
fn listing_entry(t: Texts, n: u64, l: &listing::Model, source: &str) -> String {
    let facts = facts(t, l, source, None);
    let title = cut(&l.title, 120);
    // Bounded, so that a page of them (with a price-drop line each) stays
    // under Telegram's 4,096 characters however long a scraped district is.
    let details: Vec<String> =
        facts.iter().filter(|f| !f.starts_with("📞")).map(|f| escape(&cut(f, ENTRY_FACT))).collect();
    format!("{n}. <a href=\"{}\">{}</a>\n{}", escape(&l.url), escape(&title), details.join(" · "))
}

/// The longest fact of a `/saved` or digest entry, in characters.
const ENTRY_FACT: usize = 60;

/// Listings per page of a digest.
pub const DIGEST_PAGE: usize = 10;

/// One listing of a digest: the listing, its source, and the payload of a
/// price drop when its price fell during the quiet hours.
pub struct DigestEntry<'a> {
    pub listing: &'a listing::Model,
    pub source: &'a str,
    pub drop: Option<&'a str>,
}

/// Page `page` of the digest `id` (an outbox row) holding `entries`: up to
/// [`DIGEST_PAGE`] listings, then "and N more" with a button that pages on.
pub fn digest(t: Texts, id: i64, entries: &[DigestEntry<'_>], page: usize) -> Rendered {
    let pages = entries.len().div_ceil(DIGEST_PAGE).max(1);
    let page = page.min(pages - 1);
    let mut html = t.msg("digest-header", &[("n", Arg::Num(entries.len() as f64))]);
    for (i, e) in entries.iter().enumerate().skip(page * DIGEST_PAGE).take(DIGEST_PAGE) {
        html.push_str("\n\n");
        if let Some(drop) = e.drop.and_then(|p| serde_json::from_str::<PriceDrop>(p).ok()) {
            let cur = e.listing.currency.as_deref();
            let line = t.msg(
                "alert-price-drop",
                &[("old", Arg::Html(&money(drop.old, cur))), ("new", Arg::Html(&money(drop.new, cur)))],
            );
            html.push_str(&format!("<b>{}</b>\n", escape(&line)));
        }
        html.push_str(&listing_entry(t, i as u64 + 1, e.listing, e.source));
    }
    let rest = entries.len().saturating_sub((page + 1) * DIGEST_PAGE);
    let mut nav = Vec::new();
    if page > 0 {
        nav.push(Button::callback(t.btn_prev_page(), format!("g:{id}:{}", page - 1)));
    }
    if rest > 0 {
        html.push_str("\n\n");
        html.push_str(&t.msg("digest-more", &[("n", Arg::Num(rest as f64))]));
        nav.push(Button::callback(t.btn_next_page(), format!("g:{id}:{}", page + 1)));
    }
    let keyboard = if nav.is_empty() { Vec::new() } else { vec![nav] };
    Rendered { html, photo: None, album: Vec::new(), keyboard, source: None }
}

/// A notice, reminder or broadcast: its payload's text, escaped.
/// Reminders and expiry notices are written by the bot and already HTML
/// (`html: true`); broadcasts and source notices are plain text.
pub fn notice(payload: Option<&str>, html: bool) -> Rendered {
    let notice = payload.and_then(|p| serde_json::from_str::<Notice>(p).ok());
    let (text, action, marked_html) = notice.map(|n| (n.text, n.action, n.html)).unwrap_or_default();
    let html = if html || marked_html { text } else { escape(&cut(&text, TEXT_LIMIT)) };
    let keyboard = action.map(|(label, data)| vec![Button::callback(label, data)]).into_iter().collect();
    Rendered { html, photo: None, album: Vec::new(), keyboard, source: None }
}

/// The text-only form of `r` (when Telegram rejects the photo).
pub fn without_photo(r: &Rendered) -> Rendered {
    Rendered { photo: None, album: Vec::new(), ..r.clone() }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::texts::Lang;

    #[test]
    fn money_signs_units_and_percentages_read_right_in_each_language() {
        let mut flat = listing("Flat", None);
        for (currency, sign) in [("EUR", "💶"), ("USD", "💵"), ("GBP", "💷"), ("AED", "💰"), ("zł", "💰")] {
            flat.currency = Some(currency.into());
            let html = listing_alert(Texts(Lang::En), "new", None, &flat, "s", None).html;
            assert!(html.contains(&format!("{sign} 1\u{202f}250 {currency}/month")), "{currency}: {html}");
        }
        let ru = listing_alert(Texts(Lang::Ru), "new", None, &flat, "s", None).html;
        assert!(ru.contains("54.5 м²") && !ru.contains("m²"), "{ru}");
        let en = listing_alert(Texts(Lang::En), "new", None, &flat, "s", None).html;
        assert!(en.contains("54.5 m²"), "{en}");
        let entries = [DigestEntry { listing: &flat, drop: None, source: "s" }];
        let digest = digest(Texts(Lang::En), 7, &entries, 0).html;
        assert!(!digest.contains('🌅'), "a digest may come at any hour: {digest}");
    }

    fn listing(title: &str, photo: Option<&str>) -> listing::Model {
        let now = Utc::now();
        listing::Model {
            id: 1,
            source_id: 1,
            external_id: "x".into(),
            url: "https://site.example/x".into(),
            title: title.into(),
            description: None,
            price: Some(1250),
            currency: Some("EUR".into()),
            period: Some("month".into()),
            monthly_price: Some(1250),
            rooms: Some(2.0),
            area_m2: Some(54.5),
            district: Some("Kreuzberg <b>".into()),
            furnished: None,
            photo: photo.map(str::to_owned),
            photos: None,
            phone: Some("+971500000001".into()),
            lat: None,
            lon: None,
            checked_at: None,
            gone_at: None,
            first_seen_at: now,
            last_seen_at: now,
            updated_at: now,
        }
    }

    /// What Telegram counts against its 4,096 limit: the text after the
    /// HTML is parsed, in UTF-16 code units.
    fn visible_len(html: &str) -> usize {
        crate::texts::plain(html).encode_utf16().count()
    }

    #[test]
    fn a_digest_page_and_a_saved_page_of_the_longest_listings_fit_one_message() {
        let long = listing::Model {
            checked_at: Some(Utc::now()),
            gone_at: Some(Utc::now()),
            title: "Ä".repeat(300),
            district: Some("D".repeat(255)),
            url: format!("https://site.example/{}", "u".repeat(4000)),
            price: Some(999_999_999_999),
            monthly_price: Some(999_999_999_999),
            rooms: Some(999.5),
            area_m2: Some(99_999.25),
            ..listing("x", None)
        };
        let drop = r#"{"old":999999999999,"new":999999999998,"cut":3}"#;
        let source = "s".repeat(64);
        let entries: Vec<DigestEntry<'_>> =
            (0..25).map(|_| DigestEntry { listing: &long, source: &source, drop: Some(drop) }).collect();
        for lang in [Lang::En, Lang::Ru] {
            for page in 0..3 {
                let html = digest(Texts(lang), 7, &entries, page).html;
                assert!(visible_len(&html) <= 4_096, "{lang:?} page {page}: {}", visible_len(&html));
            }
            // /saved: a header and ten entries.
            let mut saved = Texts(lang).msg("saved-header", &[("total", Arg::Html("999"))]);
            for n in 1..=10 {
                saved.push_str("\n\n");
                saved.push_str(&saved_entry(Texts(lang), 990 + n, &long, &source, chrono_tz::Europe::Moscow));
            }
            assert!(visible_len(&saved) <= 4_096, "{lang:?} /saved: {}", visible_len(&saved));
        }
    }

    #[test]
    fn the_advertisers_phone_is_shown_where_the_source_gives_one() {
        let r = listing_alert(Texts(Lang::En), "new", None, &listing("Marina View", None), "dubai", None);
        assert!(r.html.contains("📞 +971500000001"), "{}", r.html);
        let without = listing::Model { phone: None, ..listing("Marina View", None) };
        assert!(!listing_alert(Texts(Lang::En), "new", None, &without, "dubai", None).html.contains("📞"));
    }

    #[test]
    fn a_new_listing_caption_escapes_everything_scraped() {
        let r = listing_alert(
            Texts(Lang::En),
            "new",
            None,
            &listing("<script>alert(1)</script> & co", Some("https://img/x.jpg")),
            "wg & co",
            None,
        );
        assert!(r.html.starts_with("<b>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</b>"), "{}", r.html);
        assert!(r.html.contains("1\u{202f}250 EUR/month"), "{}", r.html);
        assert!(r.html.contains("2 rooms · 54.5 m²"), "{}", r.html);
        assert!(r.html.contains("📍 Kreuzberg &lt;b&gt;"), "{}", r.html);
        assert!(r.html.contains("🔎 wg &amp; co"), "{}", r.html);
        assert_eq!(r.photo.as_deref(), Some("https://img/x.jpg"));
        assert_eq!(r.keyboard[0], [Button::Url { label: "Open listing".into(), url: "https://site.example/x".into() }]);
        let data: Vec<&str> = r.keyboard[1]
            .iter()
            .map(|b| match b {
                Button::Callback { data, .. } => data.as_str(),
                Button::Url { .. } => "url",
            })
            .collect();
        assert_eq!(data, ["a:h:1", "a:m:1", "a:s:1"]);
    }

    #[test]
    fn a_long_title_keeps_the_caption_under_the_limit() {
        let r = listing_alert(
            Texts(Lang::En),
            "new",
            None,
            &listing(&"Wohnung ".repeat(400), Some("https://img/x.jpg")),
            "s",
            None,
        );
        let visible: usize = r.html.replace("<b>", "").replace("</b>", "").chars().count();
        assert!(visible <= CAPTION_LIMIT, "{visible}");
        assert!(r.html.contains('…'));
    }

    #[test]
    fn hostile_5000_character_titles_render_as_valid_html_under_both_limits() {
        let title = format!("<b>bold</b> & <script>alert(1)</script> {}", "x".repeat(5_000));
        for photo in [Some("https://img/x.jpg"), None] {
            let r = listing_alert(Texts(Lang::En), "new", None, &listing(&title, photo), "src", None);
            // Only our own <b> tags remain as markup.
            let stripped = r.html.replace("<b>", "").replace("</b>", "");
            assert!(!stripped.contains('<') && !stripped.contains('>'), "{}", r.html);
            let visible =
                stripped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("&quot;", "\"");
            let limit = if photo.is_some() { CAPTION_LIMIT } else { TEXT_LIMIT };
            assert!(visible.chars().count() <= limit, "{} > {limit}", visible.chars().count());
            assert!(r.html.contains("&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;"), "{}", &r.html[..120]);
        }
    }

    #[test]
    fn a_listing_back_on_the_market_says_how_long_it_was_away() {
        let flat = listing("Flat", None);
        let back = Some(r#"{"back":4}"#);
        let r = listing_alert(Texts(Lang::En), "new", back, &flat, "s", None);
        assert!(r.html.starts_with("<b>🔁 Back on the market after 4 days</b>\n<b>Flat</b>"), "{}", r.html);
        let r = listing_alert(Texts(Lang::Ru), "new", Some(r#"{"back":21}"#), &flat, "s", None);
        assert!(r.html.starts_with("<b>🔁 Снова на рынке спустя 21 день</b>"), "{}", r.html);
        let both = Some(r#"{"old":1400,"new":1250,"cut":1,"back":2}"#);
        let r = listing_alert(Texts(Lang::En), "price_drop", both, &flat, "s", None);
        assert!(
            r.html.starts_with(
                "<b>📉 Price dropped 1\u{202f}400 EUR → 1\u{202f}250 EUR\n🔁 Back on the market after 2 days</b>"
            ),
            "{}",
            r.html
        );
        let r = listing_alert(Texts(Lang::En), "new", None, &flat, "s", None);
        assert!(r.html.starts_with("<b>Flat</b>"), "{}", r.html);
    }

    #[test]
    fn a_price_drop_says_old_and_new() {
        let r = listing_alert(
            Texts(Lang::En),
            "price_drop",
            Some(r#"{"old":1400,"new":1250}"#),
            &listing("Flat", None),
            "s",
            None,
        );
        assert!(r.html.starts_with("<b>📉 Price dropped 1\u{202f}400 EUR → 1\u{202f}250 EUR</b>"), "{}", r.html);
        assert_eq!(r.photo, None);
    }

    #[test]
    fn an_alert_reads_in_the_chats_language() {
        let t = Texts(Lang::Ru);
        let r = listing_alert(t, "new", None, &listing("Квартира", None), "s", None);
        assert!(r.html.contains("💶 1\u{202f}250 EUR/мес."), "{}", r.html);
        assert!(r.html.contains("🛏 2 комнаты · 54.5 м²"), "{}", r.html);
        assert!(matches!(&r.keyboard[0][0], Button::Url { label, .. } if label == "Открыть объявление"));
        let drop =
            listing_alert(t, "price_drop", Some(r#"{"old":1400,"new":1250}"#), &listing("Flat", None), "s", None);
        assert!(drop.html.starts_with("<b>📉 Цена снижена: 1\u{202f}400 EUR → 1\u{202f}250 EUR</b>"), "{}", drop.html);
        let one = listing::Model { rooms: Some(1.0), ..listing("Flat", None) };
        assert!(listing_alert(Texts(Lang::En), "new", None, &one, "s", None).html.contains("🛏 1 room · "));
    }

    #[test]
    fn the_mute_choice_names_the_district_and_the_source() {
        let rows = mute_keyboard(Texts(Lang::En), &listing("Flat", None), "wg");
        let labels: Vec<&str> = rows[1]
            .iter()
            .map(|b| match b {
                Button::Callback { label, .. } | Button::Url { label, .. } => label.as_str(),
            })
            .collect();
        assert_eq!(labels, ["🔕 Kreuzberg <b>", "🔕 All of wg"]);
    }

    #[test]
    fn market_context_needs_ten_comparables_and_gives_the_right_percentage() {
        assert_eq!(Market::of(vec![1000; 9]), None, "nine are not enough");
        let prices: Vec<i64> = (0..11).map(|i| 1000 + i * 100).collect(); // 1000..2000, median 1500
        let market = Market::of(prices).unwrap();
        assert_eq!(market, Market { median: 1500, comparables: 11 });
        assert_eq!(
            Market::of((1..=10).map(|i| i * 100).collect()).unwrap().median,
            550,
            "even: mean of the middle two"
        );
        // 1250 against 1500: 17 % below; 54.5 m² → 23 EUR/m².
        let r = listing_alert(Texts(Lang::En), "new", None, &listing("Flat", None), "s", Some(market));
        assert!(r.html.contains("📊 23 EUR/m² · 17% below the median of 11 similar listings"), "{}", r.html);
        let high = listing::Model { monthly_price: Some(1800), ..listing("Flat", None) };
        let r = listing_alert(Texts(Lang::Ru), "new", None, &high, "s", Some(market));
        assert!(r.html.contains("📊 33 EUR/м² · на 20 % выше медианы 11 похожих объявлений"), "{}", r.html);
        let at = listing::Model { monthly_price: Some(1500), ..listing("Flat", None) };
        let r = listing_alert(Texts(Lang::En), "new", None, &at, "s", Some(market));
        assert!(r.html.contains("at the median of 11 similar listings"), "{}", r.html);
        assert!(!listing_alert(Texts(Lang::En), "new", None, &at, "s", None).html.contains("📊"));
    }

    #[test]
    fn a_second_cut_is_counted() {
        let payload = Some(r#"{"old":1400,"new":1250,"cut":2}"#);
        let r = listing_alert(Texts(Lang::En), "price_drop", payload, &listing("Flat", None), "s", None);
        assert!(
            r.html.starts_with("<b>📉 Price dropped 1\u{202f}400 EUR → 1\u{202f}250 EUR (price cut #2)</b>"),
            "{}",
            r.html
        );
        let first = Some(r#"{"old":1400,"new":1250,"cut":1}"#);
        assert!(
            !listing_alert(Texts(Lang::En), "price_drop", first, &listing("Flat", None), "s", None)
                .html
                .contains("cut #")
        );
    }

    #[test]
    fn notices_are_escaped_text() {
        let r = notice(Some(r#"{"text":"Source <x> failed"}"#), false);
        assert_eq!(r.html, "Source &lt;x&gt; failed");
        assert_eq!(notice(Some("not json"), false).html, "");
    }
}
