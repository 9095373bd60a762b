//! Every text the bot sends, in one place. Interpolated values are
//! HTML-escaped here, never at the call site.

use std::{sync::LazyLock, time::Duration};

use chrono_tz::Tz;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue, concurrent::FluentBundle};
use tracing::warn;

use crate::search::syntax::{Problem, SyntaxError};

type Bundle = FluentBundle<FluentResource>;

/// The resource files, compiled into the binary.
pub const RESOURCES: [(&str, &str); 2] =
    [("en", include_str!("locales/en.ftl")), ("ru", include_str!("locales/ru.ftl"))];

static BUNDLES: LazyLock<[Bundle; 2]> = LazyLock::new(|| RESOURCES.map(|(lang, text)| bundle(lang, text)));

/// One language's bundle. A syntax error in a resource (caught by the unit
/// tests) loses only the messages it touches.
fn bundle(lang: &str, text: &str) -> Bundle {
    let resource = FluentResource::try_new(text.to_owned()).unwrap_or_else(|(resource, errors)| {
        warn!(lang, ?errors, "a localisation resource has syntax errors");
        resource
    });
    let id: unic_langid::LanguageIdentifier = lang.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Telegram shows the isolation marks Fluent puts around arguments.
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        warn!(lang, ?errors, "a localisation resource repeats a message");
    }
    bundle
}

/// Escapes `&`, `<`, `>` and `"` for Telegram's HTML parse mode.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// The language a chat reads: Russian for `ru`, English for everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    /// From Telegram's `language_code` (`ru`, `ru-RU`, `en-GB`, …).
    pub fn from_code(code: Option<&str>) -> Self {
        match code.map(|c| c.get(..2).unwrap_or(c).to_ascii_lowercase()) {
            Some(c) if c == "ru" => Lang::Ru,
            _ => Lang::En,
        }
    }

    /// The chat language stored for `chats.language` codes.
    pub fn of_chat(code: &str) -> Self {
        Self::from_code(Some(code))
    }

    fn bundle(self) -> &'static Bundle {
        let [en, ru] = &*BUNDLES;
        match self {
            Lang::En => en,
            Lang::Ru => ru,
        }
    }
}

/// Telegram HTML as plain text (callback notices, chart labels): the tags
/// dropped, the entities read.
pub fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => (),
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The commands in the users' menu, in order; each described by the
/// resources' `cmd-NAME`.
pub const USER_COMMANDS: [&str; 14] = [
    "new",
    "searches",
    "saved",
    "market",
    "delete",
    "share",
    "pause",
    "resume",
    "quiet",
    "timezone",
    "status",
    "plans",
    "paysupport",
    "help",
];

/// The texts of one language. Every method returns Telegram HTML with its
/// interpolated values escaped.
#[derive(Debug, Clone, Copy)]
pub struct Texts(pub Lang);

/// `text` ending as a sentence: a full stop unless it ends in one already
/// (or in `?`, `!`, `…`).
pub fn sentence(text: &str) -> String {
    let trimmed = text.trim_end();
    if trimmed.ends_with(['.', '?', '!', '…']) { trimmed.to_owned() } else { format!("{trimmed}.") }
}

/// An argument of a message.
pub enum Arg<'a> {
    /// Text placed as is (already HTML, or escaped by the caller).
    Html(&'a str),
    /// Untrusted text: escaped.
    Text(&'a str),
    /// A number (selects plural forms).
    Num(f64),
}

impl Texts {
    /// Message `id` with `args`. A message missing from the language falls
    /// back to English, then to its id (never a panic).
    pub fn msg(self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let mut fargs = FluentArgs::new();
        for (name, arg) in args {
            let value: FluentValue<'_> = match arg {
                Arg::Html(s) => (*s).into(),
                Arg::Text(s) => escape(s).into(),
                Arg::Num(n) => (*n).into(),
            };
            fargs.set(*name, value);
        }
        for lang in [self.0, Lang::En] {
            let bundle = lang.bundle();
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&fargs), &mut errors).into_owned();
                if !errors.is_empty() {
                    warn!(id, ?errors, "a localised message did not format cleanly");
                }
                return text;
            }
        }
        warn!(id, "no such localised message");
        id.to_owned()
    }

    /// Message `id` without arguments.
    pub fn get(self, id: &str) -> String {
        self.msg(id, &[])
    }

    /// Whether the language has message `id` (plan display names).
    fn has(self, id: &str) -> bool {
        self.0.bundle().has_message(id)
    }

    /// A moment as the chat reads it, in its time zone: "5 February, 03:20
    /// (CET)", «5 февраля, 03:20 (МСК)»; the year is added when it is not
    /// the current one.
    pub fn at(self, at: chrono::DateTime<chrono::Utc>, zone: Tz) -> String {
        use chrono::{Datelike, Timelike};
        let local = at.with_timezone(&zone);
        let month = self.get(&format!("month-{}", local.month()));
        let (day, year) = (local.day().to_string(), local.year().to_string());
        let this_year = chrono::Utc::now().with_timezone(&zone).year() == local.year();
        let date = if this_year {
            self.msg("date", &[("day", Arg::Html(&day)), ("month", Arg::Html(&month))])
        } else {
            self.msg("date-year", &[("day", Arg::Html(&day)), ("month", Arg::Html(&month)), ("year", Arg::Html(&year))])
        };
        format!("{date}, {:02}:{:02} ({})", local.hour(), local.minute(), self.zone_name(zone, at))
    }

    /// A zone's short name at `at`: MSK (МСК in Russian), CET/CEST, UTC;
    /// "UTC+04" where the zone has no letters of its own.
    pub fn zone_name(self, zone: Tz, at: chrono::DateTime<chrono::Utc>) -> String {
        if zone == chrono_tz::Europe::Moscow {
            return self.get("zone-moscow");
        }
        let abbreviation = at.with_timezone(&zone).format("%Z").to_string();
        if abbreviation.starts_with(['+', '-']) { format!("UTC{abbreviation}") } else { abbreviation }
    }

    /// A duration for people: "30 days", "1 day 6 hours", "45 minutes";
    /// at most two units, the larger ones first, whole days from 2 days up.
    pub fn duration(self, d: Duration) -> String {
        let secs = d.as_secs();
        let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
        let unit = |id: &str, n: u64| self.msg(id, &[("n", Arg::Num(n as f64))]);
        let parts: Vec<String> = if days >= 2 || (days == 1 && hours == 0) {
            vec![unit("dur-days", days)]
        } else if days == 1 {
            vec![unit("dur-days", 1), unit("dur-hours", hours)]
        } else if hours > 0 {
            let mut p = vec![unit("dur-hours", hours)];
            if minutes > 0 {
                p.push(unit("dur-minutes", minutes));
            }
            p
        } else if minutes > 0 {
            vec![unit("dur-minutes", minutes)]
        } else {
            vec![unit("dur-seconds", secs)]
        };
        parts.join(" ")
    }

    pub fn welcome(self, first_name: Option<&str>, new: bool, trial: Duration) -> String {
        let greeting = match first_name {
            Some(name) => self.msg("hello-name", &[("name", Arg::Text(name))]),
            None => self.get("hello"),
        };
        let trial = if new && !trial.is_zero() {
            format!("\n\n{}", self.msg("welcome-trial", &[("trial", Arg::Html(&self.duration(trial)))]))
        } else {
            String::new()
        };
        self.msg("welcome", &[("greeting", Arg::Html(&greeting)), ("trial", Arg::Html(&trial))])
    }

    pub fn help(self, admin: bool) -> String {
        let mut text = self.get("help");
        if admin {
            text.push_str("\n\n");
            text.push_str(&self.get("help-admin"));
        }
        text
    }

    pub fn unknown(self) -> String {
        self.get("unknown")
    }
    pub fn internal_error(self) -> String {
        self.get("internal-error")
    }

    // ------------------------------------------------------------ buttons

    pub fn btn_new(self) -> String {
        self.get("btn-new")
    }
    pub fn btn_searches(self) -> String {
        self.get("btn-searches")
    }
    pub fn btn_subscription(self) -> String {
        self.get("btn-subscription")
    }
    pub fn btn_help(self) -> String {
        self.get("btn-help")
    }
    pub fn btn_next(self) -> String {
        self.get("btn-next")
    }
    pub fn btn_back(self) -> String {
        self.get("btn-back")
    }
    pub fn btn_cancel(self) -> String {
        self.get("btn-cancel")
    }
    pub fn btn_save(self) -> String {
        self.get("btn-save")
    }
    pub fn btn_any(self) -> String {
        self.get("btn-any")
    }
    pub fn btn_type_number(self) -> String {
        self.get("btn-type-number")
    }
    pub fn btn_yes(self) -> String {
        self.get("btn-furnished")
    }
    pub fn btn_no(self) -> String {
        self.get("btn-unfurnished")
    }
    pub fn btn_pause(self, id: i64) -> String {
        self.msg("btn-pause", &[("id", Arg::Html(&id.to_string()))])
    }
    pub fn btn_resume(self, id: i64) -> String {
        self.msg("btn-resume", &[("id", Arg::Html(&id.to_string()))])
    }
    pub fn btn_delete(self, id: i64) -> String {
        self.msg("btn-delete", &[("id", Arg::Html(&id.to_string()))])
    }
    pub fn btn_prev_page(self) -> String {
        self.get("btn-prev-page")
    }
    pub fn btn_next_page(self) -> String {
        self.get("btn-next-page")
    }
    pub fn studio(self) -> String {
        self.get("studio")
    }

    // ------------------------------------------------------------- wizard

    /// A wizard screen: "New search · step/steps" over `id`'s text.
    pub fn wizard_step(self, step: usize, steps: usize, id: &str) -> String {
        let head = self
            .msg("wizard-step", &[("step", Arg::Html(&step.to_string())), ("steps", Arg::Html(&steps.to_string()))]);
        format!("{head}\n{}", self.get(id))
    }
    /// Under the districts question: a location searches around a place.
    pub fn wizard_place_hint(self) -> String {
        self.get("wizard-place-hint")
    }
    /// The button that takes a `near=` place out of the wizard's search.
    pub fn btn_drop_place(self, radius: &str) -> String {
        self.msg("btn-drop-place", &[("radius", Arg::Text(radius))])
    }
    /// The texts of a `/market` chart about `what` (a filter in the
    /// one-line syntax, empty for every listing).
    pub fn market_labels(self, what: &str) -> crate::chart::Labels {
        let title = if what.is_empty() {
            self.get("market-all")
        } else {
            self.msg("market-title", &[("what", Arg::Text(&crate::delivery::render::cut(what, 90)))])
        };
        crate::chart::Labels {
            title: plain(&title),
            weekly: plain(&self.get("market-weekly")),
            per_m2: plain(&self.get("market-per-m2")),
            yours: plain(&self.get("market-yours")),
            listing: plain(&self.get("market-listing")),
            no_data: plain(&self.get("market-no-data")),
        }
    }
    /// Under a `/market` chart: how many listings, the medians.
    pub fn market_caption(self, listings: usize, median: Option<i64>, per_m2: Option<f64>) -> String {
        let median = median.map(|m| crate::delivery::render::money(m, None)).unwrap_or_else(|| "–".to_owned());
        let per_m2 = per_m2.map(|p| format!("{p:.1}")).unwrap_or_else(|| "–".to_owned());
        self.msg(
            "market-caption",
            &[("listings", Arg::Num(listings as f64)), ("median", Arg::Html(&median)), ("per_m2", Arg::Html(&per_m2))],
        )
    }
    /// A location sent while no wizard waits for one.
    pub fn place_without_wizard(self) -> String {
        self.get("place-without-wizard")
    }
    /// A location that is no place on earth, or came too late in the wizard.
    pub fn place_not_taken(self) -> String {
        self.get("place-not-taken")
    }
    pub fn wizard_price_prompt(self) -> String {
        self.get("wizard-price-prompt")
    }
    pub fn wizard_price_invalid(self, problem: &str) -> String {
        self.msg("wizard-price-invalid", &[("problem", Arg::Html(&sentence(problem)))])
    }
    pub fn wizard_price_too_low(self, min: i64) -> String {
        self.msg("wizard-price-too-low", &[("min", Arg::Html(&min.to_string()))])
    }
    /// A rental period's button label (`month`, `year`, `week`, `day`).
    pub fn period_label(self, period: &str) -> String {
        match period {
            "month" | "year" | "week" => self.get(&format!("period-{period}")),
            _ => self.get("period-day"),
        }
    }
    fn line_or_any(self, line: &str) -> String {
        if line.is_empty() { self.get("any-listing") } else { escape(line) }
    }
    pub fn wizard_summary(self, line: &str, matches: u64) -> String {
        self.msg(
            "wizard-summary",
            &[("line", Arg::Html(&self.line_or_any(line))), ("matches", Arg::Num(matches as f64))],
        )
    }
    pub fn wizard_cancelled(self) -> String {
        self.get("wizard-cancelled")
    }
    pub fn stale_button(self) -> String {
        self.get("stale-button")
    }

    // ----------------------------------------------------------- searches

    pub fn saved(self, id: i64, line: &str) -> String {
        self.msg("search-saved", &[("id", Arg::Html(&id.to_string())), ("line", Arg::Html(&self.line_or_any(line)))])
    }
    pub fn too_many(self) -> String {
        self.msg("too-many", &[("max", Arg::Html(&crate::db::searches::MAX_PER_CHAT.to_string()))])
    }
    /// "Not saved: PROBLEM. Valid form: FORM", all in the chat's language.
    pub fn syntax_error(self, e: &SyntaxError) -> String {
        let problem = match e {
            SyntaxError::TooLong => {
                self.msg("syntax-too-long", &[("max", Arg::Html(&crate::search::syntax::MAX_LINE.to_string()))])
            }
            SyntaxError::NotKeyValue(token) => self.msg("syntax-not-key-value", &[("token", Arg::Text(token))]),
            SyntaxError::UnknownKey(key) => self.msg("syntax-unknown-key", &[("key", Arg::Text(key))]),
            SyntaxError::Repeated { key } => self.msg("syntax-repeated", &[("key", Arg::Text(key))]),
            SyntaxError::Value { key, problem } => {
                self.msg("syntax-value", &[("key", Arg::Text(key)), ("problem", Arg::Html(&self.problem(problem)))])
            }
            SyntaxError::UnclosedQuote => self.get("problem-unclosed-quote"),
        };
        let form = self.get(&format!("form-{}", e.form_key().unwrap_or("line").replace('_', "-")));
        self.msg("syntax-error", &[("problem", Arg::Html(&sentence(&problem))), ("form", Arg::Html(&form))])
    }

    /// What is wrong with a value (no full stop: it may go on).
    pub fn problem(self, p: &Problem) -> String {
        let value = |id: &str, v: &str| self.msg(id, &[("value", Arg::Text(v))]);
        match p {
            Problem::NoValue => self.get("problem-no-value"),
            Problem::NoSources { name } => self.msg("problem-no-sources", &[("name", Arg::Text(name))]),
            Problem::UnknownSource { name, known } => {
                self.msg("problem-unknown-source", &[("name", Arg::Text(name)), ("known", Arg::Text(known))])
            }
            Problem::NotWhole { value: v } => value("problem-not-whole", v),
            Problem::NoDash { value: v } => value("problem-no-dash", v),
            Problem::NoBound => self.get("problem-no-bound"),
            Problem::MinAboveMax { min, max } => {
                self.msg("problem-min-above-max", &[("min", Arg::Text(min)), ("max", Arg::Text(max))])
            }
            Problem::NotNumber { value: v } => value("problem-not-number", v),
            Problem::OutOfRange { value: v } => value("problem-out-of-range", v),
            Problem::TooManyRooms { value: v } => value("problem-too-many-rooms", v),
            Problem::PlusTooBig { value: v } => value("problem-plus-too-big", v),
            Problem::EmptyItem => self.get("problem-empty-item"),
            Problem::UnclosedQuote => self.get("problem-unclosed-quote"),
            Problem::QuoteInside { value: v } => value("problem-quote-inside", v),
            Problem::ItemTooLong { value: v } => self.msg(
                "problem-item-too-long",
                &[("value", Arg::Text(v)), ("max", Arg::Num(crate::search::syntax::MAX_ITEM_CHARS as f64))],
            ),
            Problem::TooManyItems => {
                self.msg("problem-too-many-items", &[("max", Arg::Num(crate::search::syntax::MAX_ITEMS as f64))])
            }
            Problem::NotFurnished { value: v } => value("problem-not-furnished", v),
            Problem::NotPeriod { value: v } => value("problem-not-period", v),
            Problem::NoPeriod => self.get("problem-no-period"),
            Problem::NotNear { value: v } => value("problem-not-near", v),
            Problem::NotPlace { value: v } => value("problem-not-place", v),
            Problem::NotRadius { value: v } => value("problem-not-radius", v),
            Problem::NoRouter => self.get("problem-no-router"),
        }
    }
    pub fn searches_header(self, total: usize, page: usize, pages: usize) -> String {
        let mut text = self.msg("searches-header", &[("total", Arg::Html(&total.to_string()))]);
        if pages > 1 {
            text.push(' ');
            text.push_str(&self.msg(
                "searches-page",
                &[("page", Arg::Html(&(page + 1).to_string())), ("pages", Arg::Html(&pages.to_string()))],
            ));
        }
        text
    }
    pub fn search_line(self, id: i64, line: &str, paused: bool) -> String {
        let state = if paused { format!(" {}", self.get("search-paused-mark")) } else { String::new() };
        format!("<b>#{id}</b>{state}\n<code>/new {}</code>", self.line_or_any(line))
    }
    pub fn no_searches(self) -> String {
        self.get("no-searches")
    }
    pub fn not_found(self, id: &str) -> String {
        self.msg("not-found", &[("id", Arg::Text(id))])
    }
    pub fn deleted(self, id: i64) -> String {
        self.msg("deleted", &[("id", Arg::Html(&id.to_string()))])
    }
    pub fn search_paused(self, id: i64, paused: bool) -> String {
        let id_arg = [("id", Arg::Html(&id.to_string()))];
        self.msg(if paused { "search-paused" } else { "search-resumed" }, &id_arg)
    }
    pub fn delete_usage(self) -> String {
        self.get("delete-usage")
    }

    // ------------------------------------------------- access and payments

    pub fn btn_renew(self) -> String {
        self.get("btn-renew")
    }

    /// A reminder before the end: `left` is the time really left (not the
    /// configured offset), `ends_at` shown in the chat's `zone`.
    pub fn reminder(self, left: Duration, ends_at: chrono::DateTime<chrono::Utc>, zone: Tz) -> String {
        self.msg("reminder", &[("left", Arg::Html(&self.duration(left))), ("ends", Arg::Html(&self.at(ends_at, zone)))])
    }

    pub fn expired(self) -> String {
        self.get("expired")
    }

    pub fn plans(self, has_plans: bool) -> String {
        self.get(if has_plans { "plans" } else { "no-plans" })
    }

    /// A plan's name for people: `plan-NAME` of the resources where there
    /// is one ("month" → "Month"/"Месяц"), else the configured name.
    pub fn plan_name(self, name: &str) -> String {
        let id = format!("plan-{name}");
        if self.has(&id) { self.get(&id) } else { escape(&name.replace('_', " ")) }
    }

    pub fn plan_button(self, name: &str, duration: Duration, stars: u32) -> String {
        self.msg(
            "plan-button",
            &[
                ("name", Arg::Html(&self.plan_name(name))),
                ("duration", Arg::Html(&self.duration(duration))),
                ("stars", Arg::Html(&stars.to_string())),
            ],
        )
    }

    /// At most 32 characters (Telegram's limit; plan names are at most
    /// `config::MAX_PLAN_NAME`). Plain text: invoices are not HTML.
    pub fn invoice_title(self, name: &str) -> String {
        self.msg("invoice-title", &[("name", Arg::Html(&self.plan_label(name)))]).chars().take(32).collect()
    }

    /// A plan as users read it: its localised name where the resources
    /// have one (`plan-week`), else its id with spaces.
    pub fn plan_label(self, name: &str) -> String {
        if self.has(&format!("plan-{name}")) { self.plan_name(name) } else { name.replace('_', " ") }
    }

    pub fn private_only(self) -> String {
        self.get("private-only")
    }

    pub fn broken_link(self) -> String {
        self.get("broken-link")
    }

    /// Told to a user whose payment an admin refunded.
    pub fn refunded(self, stars: i64, ends_at: Option<chrono::DateTime<chrono::Utc>>, zone: Tz) -> String {
        let stars = stars.to_string();
        match ends_at {
            Some(end) => {
                self.msg("refunded", &[("stars", Arg::Html(&stars)), ("ends", Arg::Html(&self.at(end, zone)))])
            }
            None => self.msg("refunded-ended", &[("stars", Arg::Html(&stars))]),
        }
    }

    /// Plain text (an invoice's description is not HTML).
    pub fn invoice_description(self, duration: Duration) -> String {
        self.msg("invoice-description", &[("duration", Arg::Html(&self.duration(duration)))])
    }

    pub fn paid(self, duration: Duration, ends_at: chrono::DateTime<chrono::Utc>, zone: Tz) -> String {
        self.msg(
            "paid",
            &[("duration", Arg::Html(&self.duration(duration))), ("ends", Arg::Html(&self.at(ends_at, zone)))],
        )
    }

    pub fn pay_support(self) -> String {
        self.get("pay-support")
    }
    pub fn support_sent(self) -> String {
        self.get("support-sent")
    }
    pub fn support_unavailable(self) -> String {
        self.get("support-unavailable")
    }

    /// An admin's answer to a support request; `text` is the admin's own words.
    pub fn support_answer(self, text: &str) -> String {
        format!("{}\n{}", self.get("support-answer"), escape(text))
    }

    pub fn checkout_error(self) -> String {
        self.get("checkout-error")
    }

    // ------------------------------------------------------ pause, status

    pub fn all_paused(self, paused: bool) -> String {
        self.get(if paused { "all-paused" } else { "all-resumed" })
    }

    pub fn status(self, access: &crate::db::chats::Access, paused: bool, searches: usize, zone: Tz) -> String {
        use crate::db::chats::Access;
        use entity::status::access_kind;
        let mut text = match access {
            Access::Active { kind, ends_at } => {
                let id = match kind.as_str() {
                    k if k == access_kind::TRIAL => "status-trial",
                    k if k == access_kind::PAID => "status-paid",
                    _ => "status-granted",
                };
                let left = (*ends_at - chrono::Utc::now()).to_std().unwrap_or_default();
                self.msg(
                    id,
                    &[("ends", Arg::Html(&self.at(*ends_at, zone))), ("left", Arg::Html(&self.duration(left)))],
                )
            }
            Access::Expired { ended_at } => {
                self.msg("status-expired", &[("ended", Arg::Html(&self.at(*ended_at, zone)))])
            }
            Access::Never => self.get("status-never"),
        };
        if paused {
            text.push('\n');
            text.push_str(&self.get("status-paused"));
        }
        text.push('\n');
        text.push_str(&self.msg("status-searches", &[("n", Arg::Html(&searches.to_string()))]));
        text
    }

    /// When each source the chat's searches use was last checked.
    pub fn sources_checked(
        self,
        sources: &[(String, Option<chrono::DateTime<chrono::Utc>>)],
        now: chrono::DateTime<chrono::Utc>,
        zone: Tz,
    ) -> String {
        if sources.is_empty() {
            return String::new();
        }
        let ago = |at: &Option<chrono::DateTime<chrono::Utc>>| match at {
            None => self.get("checked-never"),
            Some(at) => match (now - *at).num_minutes().max(0) {
                0 => self.get("checked-now"),
                m if m < 120 => self.msg("checked-minutes", &[("n", Arg::Html(&m.to_string()))]),
                _ => self.at(*at, zone),
            },
        };
        let list: Vec<String> = sources.iter().map(|(name, at)| format!("{} {}", escape(name), ago(at))).collect();
        format!("\n{}", self.msg("sources-checked", &[("list", Arg::Html(&list.join("; ")))]))
    }
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::*;

    const EN: Texts = Texts(Lang::En);
    const RU: Texts = Texts(Lang::Ru);
    const DAY: u64 = 86_400;

    fn ids(text: &str) -> Vec<String> {
        let resource = FluentResource::try_new(text.to_owned()).unwrap_or_else(|(_, e)| panic!("syntax: {e:?}"));
        resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn both_languages_parse_and_have_the_same_messages() {
        let mut en = ids(RESOURCES[0].1);
        let mut ru = ids(RESOURCES[1].1);
        assert!(en.len() > 100, "{}", en.len());
        en.sort();
        ru.sort();
        assert_eq!(en, ru);
        for id in &en {
            for t in [EN, RU] {
                let text = t.get(id);
                assert!(!text.is_empty() && !text.contains('\u{2068}'), "{id}: {text:?}");
            }
        }
    }

    /// Each message's variables (`$name`), read with a work list.
    fn variables(text: &str) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
        use fluent_syntax::ast::{Entry, Expression, InlineExpression, PatternElement};
        let resource = FluentResource::try_new(text.to_owned()).unwrap_or_else(|(_, e)| panic!("syntax: {e:?}"));
        let mut all = std::collections::BTreeMap::new();
        for entry in resource.entries() {
            let Entry::Message(m) = entry else { continue };
            let mut found = std::collections::BTreeSet::new();
            let mut todo: Vec<&fluent_syntax::ast::Pattern<&str>> = m.value.iter().collect();
            while let Some(pattern) = todo.pop() {
                for element in &pattern.elements {
                    let PatternElement::Placeable { expression } = element else { continue };
                    let inline = match expression {
                        Expression::Select { selector, variants } => {
                            todo.extend(variants.iter().map(|v| &v.value));
                            selector
                        }
                        Expression::Inline(inline) => inline,
                    };
                    if let InlineExpression::VariableReference { id } = inline {
                        found.insert(id.name.to_owned());
                    }
                }
            }
            all.insert(m.id.name.to_owned(), found);
        }
        all
    }

    #[test]
    fn both_languages_take_the_same_arguments() {
        let (en, ru) = (variables(RESOURCES[0].1), variables(RESOURCES[1].1));
        for (id, vars) in &en {
            assert_eq!(Some(vars), ru.get(id), "{id}: English takes {vars:?}, Russian {:?}", ru.get(id));
        }
    }

    #[test]
    fn every_message_the_code_names_exists_in_both_languages() {
        let pattern = regex::Regex::new(r#"\b(?:msg|get)\(\s*"([a-z0-9]+(?:-[a-z0-9]+)+)""#).unwrap();
        let (en, ru) = (variables(RESOURCES[0].1), variables(RESOURCES[1].1));
        let mut todo = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        let mut named = 0;
        while let Some(path) = todo.pop() {
            if path.is_dir() {
                todo.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let code = std::fs::read_to_string(&path).unwrap();
            for id in pattern.captures_iter(&code).map(|c| c[1].to_owned()) {
                if id == "no-such-message" {
                    continue;
                }
                named += 1;
                assert!(en.contains_key(&id) && ru.contains_key(&id), "{}: {id} is missing", path.display());
            }
        }
        assert!(named > 150, "only {named} message ids found in the code");
    }

    #[test]
    fn durations_read_as_people_write_them() {
        let d = |s: u64| Duration::from_secs(s);
        assert_eq!(EN.duration(d(30 * DAY)), "30 days");
        assert_eq!(EN.duration(d(90 * DAY)), "90 days");
        assert_eq!(EN.duration(d(DAY)), "1 day");
        assert_eq!(EN.duration(d(DAY + 6 * 3600)), "1 day 6 hours");
        assert_eq!(EN.duration(d(30 * DAY - 120)), "29 days");
        assert_eq!(EN.duration(d(3600)), "1 hour");
        assert_eq!(EN.duration(d(5400)), "1 hour 30 minutes");
        assert_eq!(EN.duration(d(45)), "45 seconds");
        assert_eq!(RU.duration(d(30 * DAY)), "30 дней");
        assert_eq!(RU.duration(d(DAY)), "1 день");
        assert_eq!(RU.duration(d(2 * DAY)), "2 дня");
        assert_eq!(RU.duration(d(5 * DAY)), "5 дней");
        assert_eq!(RU.duration(d(21 * DAY)), "21 день");
        assert_eq!(RU.duration(d(3 * 3600)), "3 часа");
        assert_eq!(RU.duration(d(11 * 60)), "11 минут");
    }

    #[test]
    fn plurals_for_1_2_5_and_21() {
        let summary = |t: Texts, n| t.wizard_summary("price=-1500", n);
        assert!(summary(EN, 1).contains("<b>1</b> listing of"), "{}", summary(EN, 1));
        assert!(summary(EN, 2).contains("<b>2</b> listings of"));
        assert!(summary(EN, 21).contains("<b>21</b> listings of"));
        assert!(summary(RU, 1).contains("подошло бы <b>1</b> объявление."), "{}", summary(RU, 1));
        assert!(summary(RU, 2).contains("подошли бы <b>2</b> объявления."), "{}", summary(RU, 2));
        assert!(summary(RU, 5).contains("подошло бы <b>5</b> объявлений."), "{}", summary(RU, 5));
        assert!(summary(RU, 21).contains("подошло бы <b>21</b> объявление."), "{}", summary(RU, 21));
        assert!(RU.wizard_summary("", 3).contains("(любое объявление)"));
        let rooms = |t: Texts, n: f64| t.msg("alert-rooms", &[("n", Arg::Num(n))]);
        assert_eq!(rooms(EN, 1.0), "1 room");
        assert_eq!(rooms(EN, 2.0), "2 rooms");
        assert_eq!(rooms(RU, 1.0), "1 комната");
        assert_eq!(rooms(RU, 2.0), "2 комнаты");
        assert_eq!(rooms(RU, 5.0), "5 комнат");
        assert_eq!(rooms(RU, 21.0), "21 комната");
        assert_eq!(rooms(RU, 1.5), "1.5 комнаты");
        let joined =
            |n: f64| RU.msg("share-joined", &[("id", Arg::Html("3")), ("n", Arg::Num(n)), ("line", Arg::Html(""))]);
        assert!(joined(1.0).contains("вместе с ещё одним чатом:"), "{}", joined(1.0));
        assert!(joined(21.0).contains("вместе с ещё 21 чатом:"), "{}", joined(21.0));
        assert!(joined(5.0).contains("вместе с ещё 5 чатами:"), "{}", joined(5.0));
    }

    #[test]
    fn times_read_in_the_chats_zone_and_language() {
        use chrono::TimeZone;
        let moscow = chrono_tz::Europe::Moscow;
        let berlin = chrono_tz::Europe::Berlin;
        let year = chrono::Utc::now().year_ce().1 as i32;
        // 00:20 UTC on 5 February is 03:20 in Moscow, 01:20 in Berlin.
        let at = chrono::Utc.with_ymd_and_hms(year, 2, 5, 0, 20, 0).unwrap();
        assert_eq!(RU.at(at, moscow), "5 февраля, 03:20 (МСК)");
        assert_eq!(EN.at(at, moscow), "5 February, 03:20 (MSK)");
        assert_eq!(EN.at(at, berlin), "5 February, 01:20 (CET)");
        assert_eq!(EN.at(at, chrono_tz::UTC), "5 February, 00:20 (UTC)");
        assert_eq!(EN.at(at, chrono_tz::Asia::Dubai), "5 February, 04:20 (UTC+04)");
        let summer = chrono::Utc.with_ymd_and_hms(year, 7, 1, 12, 0, 0).unwrap();
        assert_eq!(EN.at(summer, berlin), "1 July, 14:00 (CEST)");
        let next_year = chrono::Utc.with_ymd_and_hms(year + 1, 1, 2, 9, 5, 0).unwrap();
        assert_eq!(RU.at(next_year, moscow), format!("2 января {} г., 12:05 (МСК)", year + 1));

        let end = chrono::Utc::now() + chrono::Duration::days(30);
        let access = crate::db::chats::Access::Active { kind: "paid".into(), ends_at: end };
        for text in [
            RU.status(&access, false, 1, moscow),
            RU.reminder(Duration::from_secs(3 * DAY), end, moscow),
            RU.paid(Duration::from_secs(30 * DAY), end, moscow),
            RU.refunded(50, Some(end), moscow),
        ] {
            assert_eq!(text.matches("(МСК)").count(), 1, "{text}");
            assert!(!text.contains("UTC"), "{text}");
        }
        assert!(EN.status(&access, false, 1, berlin).contains("(ends in 29 days)"));
        assert!(RU.status(&access, false, 1, moscow).contains("(осталось 29 дней)"));
        let old = chrono::Utc::now() - chrono::Duration::hours(5);
        let checked = RU.sources_checked(&[("a".into(), Some(old))], chrono::Utc::now(), moscow);
        assert_eq!(checked.matches("(МСК)").count(), 1, "{checked}");
    }

    #[test]
    fn plans_have_display_names_and_invoices_fit() {
        let week = Duration::from_secs(7 * DAY);
        assert_eq!(EN.plan_button("week", week, 50), "Week · 7 days · 50 ⭐");
        assert_eq!(RU.plan_button("week", week, 50), "Неделя · 7 дней · 50 ⭐");
        assert_eq!(EN.plan_button("summer_deal", week, 50), "summer deal · 7 days · 50 ⭐");
        assert_eq!(RU.invoice_title("month"), "homehound: Месяц");
        let long = EN.invoice_title("premium_quarterly_bundle_x");
        assert!(long.chars().count() <= 32, "{long}");
        assert_eq!(
            RU.invoice_description(Duration::from_secs(90 * DAY)),
            "90 дней уведомлений о новых объявлениях, добавляются к текущему доступу."
        );
    }

    #[test]
    fn welcome_escapes_the_name() {
        let text = EN.welcome(Some("<script>"), true, Duration::from_secs(3 * DAY));
        assert!(text.contains("Hi, &lt;script&gt;!"), "{text}");
        assert!(text.contains("<b>3 days</b> has started.\n\nTap"), "{text}");
        assert!(RU.welcome(None, true, Duration::from_secs(3 * DAY)).contains("<b>3 дня</b>"));
    }

    #[test]
    fn language_codes() {
        assert_eq!(Lang::from_code(Some("ru")), Lang::Ru);
        assert_eq!(Lang::from_code(Some("ru-RU")), Lang::Ru);
        assert_eq!(Lang::from_code(Some("de")), Lang::En);
        assert_eq!(Lang::from_code(Some("")), Lang::En);
        assert_eq!(Lang::from_code(None), Lang::En);
        assert!(RU.unknown().contains("не понял"));
    }

    #[test]
    fn interpolated_values_are_escaped() {
        assert!(EN.saved(1, "district=<b>").contains("&lt;b&gt;"));
        let err = crate::search::syntax::parse("furnished=<x>", &[]).expect_err("not yes or no");
        assert!(EN.syntax_error(&err).contains("“&lt;x&gt;” is not yes"), "{}", EN.syntax_error(&err));
        assert!(EN.not_found("<1>").contains("&lt;1&gt;"));
        assert_eq!(EN.get("no-such-message"), "no-such-message");
    }
}
