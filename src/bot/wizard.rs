//! The `/new` wizard: one message edited in place, one step per screen.
//!
//! The state is plain data, stored as JSON in `dialogues` after every step,
//! so a restart mid-wizard resumes where the user was. Buttons carry
//! `w:<nonce>:<action>`; a button whose nonce is not the open wizard's (from
//! an older wizard, or after Save/Cancel) is stale and answered as such.
//! This module is pure: the bot loads what a step needs (districts, the
//! 7-day match count) and sends what [`Wizard::view`] draws.

use serde::{Deserialize, Serialize};

use crate::{
    search::{Near, PERIODS, Rooms, SearchFilter, syntax},
    texts::Texts,
};

/// Most district buttons offered.
pub const MAX_DISTRICTS: usize = 24;
/// Price presets (highest monthly price).
const PRICES: &[i64] = &[500, 750, 1000, 1250, 1500, 2000, 2500, 3000];
/// The lowest price a user may type (below it is a slip, such as `-5`).
pub const MIN_TYPED_PRICE: i64 = 10;
/// Area presets (smallest m²).
const AREAS: &[u32] = &[20, 30, 40, 50, 60, 80, 100];
/// Radius presets around a shared location, in metres.
pub const RADII: &[i32] = &[1_000, 2_000, 5_000, 10_000];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    Source,
    Districts,
    /// How far from the location the user shared (📎 → Location).
    Radius,
    Price,
    Rooms,
    Area,
    Furnished,
    Period,
    Summary,
}

impl Step {
    fn back(self) -> Step {
        match self {
            Step::Source | Step::Districts => Step::Source,
            Step::Radius | Step::Price => Step::Districts,
            Step::Rooms => Step::Price,
            Step::Area => Step::Rooms,
            Step::Furnished => Step::Area,
            Step::Period => Step::Furnished,
            Step::Summary => Step::Period,
        }
    }
}

/// An open wizard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wizard {
    pub nonce: u32,
    /// The message the wizard edits.
    pub message_id: Option<i32>,
    pub step: Step,
    pub filter: SearchFilter,
    /// The sources offered (names), fixed when the wizard opened so button
    /// indexes stay valid.
    pub sources: Vec<String>,
    /// The districts offered for the chosen source.
    pub districts: Vec<String>,
    /// The next text message is the typed price.
    pub awaiting_price: bool,
    /// The location the user shared, until a radius is picked.
    #[serde(default)]
    pub place: Option<(f64, f64)>,
}

/// What a button press asks the bot to do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Redraw the wizard (after loading districts when on that step).
    Redraw,
    /// Ask for a typed price (redraw with the prompt).
    AskPrice,
    Save,
    Cancel,
    /// The button does not belong to this wizard's current screen.
    Stale,
    /// The press changed nothing (a choice already made): no edit, which
    /// Telegram would refuse as "message is not modified".
    Unchanged,
}

/// A keyboard: rows of (label, callback data).
pub type Keyboard = Vec<Vec<(String, String)>>;

impl Wizard {
    /// A new wizard on its first step (the source step is skipped when
    /// there is at most one source: nothing to choose).
    /// With one source, the search names none (it is that source, and
    /// stays right if sources are added later).
    pub fn new(nonce: u32, sources: Vec<String>) -> Self {
        let step = if sources.len() > 1 { Step::Source } else { Step::Districts };
        let filter = SearchFilter::default();
        Self {
            nonce,
            message_id: None,
            step,
            filter,
            sources,
            districts: Vec::new(),
            awaiting_price: false,
            place: None,
        }
    }

    /// The step's number and the number of steps the user goes through.
    pub fn counter(&self) -> (usize, usize) {
        let skipped = usize::from(self.sources.len() <= 1);
        let index = match self.step {
            Step::Source => 1,
            Step::Districts | Step::Radius => 2,
            Step::Price => 3,
            Step::Rooms => 4,
            Step::Area => 5,
            Step::Furnished => 6,
            Step::Period | Step::Summary => 7,
        };
        (index - skipped, 7 - skipped)
    }

    /// A wizard opened on its summary with `filter` (deep links).
    pub fn prefilled(nonce: u32, sources: Vec<String>, filter: SearchFilter) -> Self {
        Self { step: Step::Summary, filter, ..Self::new(nonce, sources) }
    }

    /// The callback data of `action` on this wizard.
    fn data(&self, action: &str) -> String {
        format!("w:{}:{action}", self.nonce)
    }

    /// Applies a button's action (the part after `w:<nonce>:`).
    pub fn press(&mut self, action: &str) -> Outcome {
        let before = self.clone();
        match self.apply(action) {
            Outcome::Redraw | Outcome::AskPrice if *self == before => Outcome::Unchanged,
            outcome => outcome,
        }
    }

    fn apply(&mut self, action: &str) -> Outcome {
        self.awaiting_price = false;
        let (verb, arg) = action.split_once(':').unwrap_or((action, ""));
        match (self.step, verb) {
            (_, "cancel") => return Outcome::Cancel,
            (_, "back") => self.step = self.first_step_at_or_before(self.step.back()),
            (Step::Source, "src") => {
                self.filter.source = match arg {
                    "any" => None,
                    i => match i.parse::<usize>().ok().and_then(|i| self.sources.get(i)) {
                        Some(name) => Some(name.clone()),
                        None => return Outcome::Stale,
                    },
                };
                self.filter.districts.clear();
                self.step = Step::Districts;
            }
            (Step::Districts, "d") => match arg {
                "any" => self.filter.districts.clear(),
                i => {
                    let Some(name) = i.parse::<usize>().ok().and_then(|i| self.districts.get(i)).cloned() else {
                        return Outcome::Stale;
                    };
                    match self.filter.districts.iter().position(|d| *d == name) {
                        Some(at) => {
                            self.filter.districts.remove(at);
                        }
                        None => self.filter.districts.push(name),
                    }
                }
            },
            (Step::Districts, "next") => self.step = Step::Price,
            (Step::Districts, "noplace") => self.filter.near = None,
            (Step::Radius, "km") => {
                let (Some(radius_m), Some((lat, lon))) =
                    (arg.parse::<i32>().ok().filter(|r| RADII.contains(r)), self.place)
                else {
                    return Outcome::Stale;
                };
                self.filter.near = Some(Near { lat, lon, radius_m });
                self.step = Step::Price;
            }
            (Step::Price, "p") => match arg {
                "any" => {
                    (self.filter.price_min, self.filter.price_max) = (None, None);
                    self.step = Step::Rooms;
                }
                "type" => {
                    self.awaiting_price = true;
                    return Outcome::AskPrice;
                }
                n => match n.parse::<i64>() {
                    Ok(max) if PRICES.contains(&max) => {
                        (self.filter.price_min, self.filter.price_max) = (None, Some(max));
                        self.step = Step::Rooms;
                    }
                    _ => return Outcome::Stale,
                },
            },
            (Step::Rooms, "r") => {
                let (mut counts, mut four_plus) = match self.filter.rooms.take() {
                    Some(Rooms::Set { counts, four_plus }) => (counts, four_plus),
                    _ => (Vec::new(), false),
                };
                match arg {
                    "any" => (counts, four_plus) = (Vec::new(), false),
                    "4p" => four_plus = !four_plus,
                    n => match n.parse::<u8>() {
                        Ok(n @ 0..=3) => {
                            let n = f64::from(n);
                            match counts.iter().position(|c| *c == n) {
                                Some(at) => {
                                    counts.remove(at);
                                }
                                None => counts.push(n),
                            }
                            counts.sort_by(f64::total_cmp);
                        }
                        _ => return Outcome::Stale,
                    },
                }
                self.filter.rooms = (!counts.is_empty() || four_plus).then_some(Rooms::Set { counts, four_plus });
            }
            (Step::Rooms, "next") => self.step = Step::Area,
            (Step::Area, "a") => {
                self.filter.area_min = match arg {
                    "any" => None,
                    n => match n.parse::<u32>() {
                        Ok(n) if AREAS.contains(&n) => Some(f64::from(n)),
                        _ => return Outcome::Stale,
                    },
                };
                self.filter.area_max = None;
                self.step = Step::Furnished;
            }
            (Step::Furnished, "f") => {
                self.filter.furnished = match arg {
                    "yes" => Some(true),
                    "no" => Some(false),
                    "any" => None,
                    _ => return Outcome::Stale,
                };
                self.step = Step::Period;
            }
            (Step::Period, "t") => match arg {
                "any" => self.filter.periods.clear(),
                p => {
                    let Some(period) = PERIODS.iter().find(|x| **x == p) else { return Outcome::Stale };
                    match self.filter.periods.iter().position(|x| x == period) {
                        Some(at) => {
                            self.filter.periods.remove(at);
                        }
                        None => self.filter.periods.push((*period).to_owned()),
                    }
                    // The same order as the one-line syntax.
                    self.filter.periods.sort_by_key(|x| PERIODS.iter().position(|p| p == x));
                }
            },
            (Step::Period, "next") => self.step = Step::Summary,
            (Step::Summary, "save") => return Outcome::Save,
            _ => return Outcome::Stale,
        }
        Outcome::Redraw
    }

    /// A location the user shared (📎 → Location) while the wizard is
    /// open: asks how far from it, on its own screen. `false` when the
    /// point is no place on earth, or the wizard is past the place's step.
    pub fn share_place(&mut self, lat: f64, lon: f64) -> bool {
        let open_step = matches!(self.step, Step::Source | Step::Districts | Step::Radius);
        let Some(point) = crate::geo::Point::new(lat, lon).filter(|_| open_step) else { return false };
        let point = point.rounded();
        self.place = Some((point.lat, point.lon));
        self.awaiting_price = false;
        self.step = Step::Radius;
        true
    }

    fn first_step_at_or_before(&self, step: Step) -> Step {
        if step == Step::Source && self.sources.len() <= 1 { Step::Districts } else { step }
    }

    /// A typed price while [`Self::awaiting_price`]: "1500" (the highest),
    /// "800-1500", "от 800 до 1500", "1 500 €" … (see
    /// [`syntax::typed_price`]). `Err` is the problem, in the user's
    /// language (HTML).
    pub fn type_price(&mut self, t: Texts, text: &str) -> Result<(), String> {
        let (min, max) = syntax::typed_price(text).map_err(|p| t.problem(&p))?;
        if min.into_iter().chain(max).any(|p| p < MIN_TYPED_PRICE) {
            return Err(t.wizard_price_too_low(MIN_TYPED_PRICE));
        }
        (self.filter.price_min, self.filter.price_max) = (min, max);
        self.awaiting_price = false;
        self.step = Step::Rooms;
        Ok(())
    }

    /// The text and buttons of the current step. `matches` is the 7-day
    /// match count shown on the summary.
    pub fn view(&self, t: Texts, matches: u64) -> (String, Keyboard) {
        let (step, steps) = self.counter();
        let screen = |id: &str| t.wizard_step(step, steps, id);
        let button = |label: String, action: &str| (label, self.data(action));
        let mut rows: Keyboard = Vec::new();
        let text = match self.step {
            Step::Source => {
                for (i, name) in self.sources.iter().enumerate().take(30) {
                    rows.push(vec![button(name.clone(), &format!("src:{i}"))]);
                }
                rows.push(vec![button(format!("🌐 {}", t.btn_any()), "src:any")]);
                screen("wizard-source")
            }
            Step::Districts => {
                let mut row = Vec::new();
                for (i, name) in self.districts.iter().enumerate().take(MAX_DISTRICTS) {
                    let on = self.filter.districts.contains(name);
                    row.push(button(format!("{}{name}", if on { "✅ " } else { "" }), &format!("d:{i}")));
                    if row.len() == 2 {
                        rows.push(std::mem::take(&mut row));
                    }
                }
                if !row.is_empty() {
                    rows.push(row);
                }
                let any_on = self.filter.districts.is_empty();
                rows.push(vec![
                    button(format!("{}{}", if any_on { "✅ " } else { "" }, t.btn_any()), "d:any"),
                    button(t.btn_next().to_owned(), "next"),
                ]);
                if let Some(near) = &self.filter.near {
                    rows.push(vec![button(t.btn_drop_place(&syntax::format_radius(near.radius_m)), "noplace")]);
                }
                let question =
                    screen(if self.districts.is_empty() { "wizard-no-districts" } else { "wizard-districts" });
                format!("{question}\n\n{}", t.wizard_place_hint())
            }
            Step::Radius => {
                rows.push(RADII.iter().map(|r| button(format!("≤ {} km", r / 1000), &format!("km:{r}"))).collect());
                screen("wizard-radius")
            }
            Step::Price => {
                for chunk in PRICES.chunks(4) {
                    rows.push(chunk.iter().map(|p| button(format!("≤ {p}"), &format!("p:{p}"))).collect());
                }
                rows.push(vec![
                    button(t.btn_any().to_owned(), "p:any"),
                    button(t.btn_type_number().to_owned(), "p:type"),
                ]);
                if self.awaiting_price {
                    format!("{}\n\n{}", screen("wizard-price"), t.wizard_price_prompt())
                } else {
                    screen("wizard-price")
                }
            }
            Step::Rooms => {
                let (counts, four_plus) = match &self.filter.rooms {
                    Some(Rooms::Set { counts, four_plus }) => (counts.clone(), *four_plus),
                    _ => (Vec::new(), false),
                };
                let mark = |on: bool, label: String| format!("{}{label}", if on { "✅ " } else { "" });
                let mut row: Vec<(String, String)> = (0..=3u8)
                    .map(|n| {
                        let label = if n == 0 { t.studio().to_owned() } else { n.to_string() };
                        button(mark(counts.contains(&f64::from(n)), label), &format!("r:{n}"))
                    })
                    .collect();
                row.push(button(mark(four_plus, "4+".to_owned()), "r:4p"));
                rows.push(row);
                rows.push(vec![
                    button(mark(self.filter.rooms.is_none(), t.btn_any().to_owned()), "r:any"),
                    button(t.btn_next().to_owned(), "next"),
                ]);
                screen("wizard-rooms")
            }
            Step::Area => {
                let mut row: Vec<(String, String)> =
                    AREAS.iter().map(|a| button(format!("≥ {a} m²"), &format!("a:{a}"))).collect();
                let second = row.split_off(4);
                rows.push(row);
                rows.push(second);
                rows.push(vec![button(t.btn_any().to_owned(), "a:any")]);
                screen("wizard-area")
            }
            Step::Furnished => {
                rows.push(vec![
                    button(t.btn_any().to_owned(), "f:any"),
                    button(t.btn_yes().to_owned(), "f:yes"),
                    button(t.btn_no().to_owned(), "f:no"),
                ]);
                screen("wizard-furnished")
            }
            Step::Period => {
                let mark = |on: bool, label: &str| format!("{}{label}", if on { "✅ " } else { "" });
                rows.push(
                    PERIODS
                        .iter()
                        .map(|p| {
                            let on = self.filter.periods.iter().any(|x| x == p);
                            button(mark(on, &t.period_label(p)), &format!("t:{p}"))
                        })
                        .collect(),
                );
                rows.push(vec![
                    button(mark(self.filter.periods.is_empty(), &t.btn_any()), "t:any"),
                    button(t.btn_next().to_owned(), "next"),
                ]);
                screen("wizard-period")
            }
            Step::Summary => {
                rows.push(vec![button(t.btn_save().to_owned(), "save")]);
                t.wizard_summary(&syntax::format(&self.filter), matches)
            }
        };
        let mut nav = Vec::new();
        if self.step != self.first_step_at_or_before(Step::Source) {
            nav.push(button(t.btn_back().to_owned(), "back"));
        }
        nav.push(button(t.btn_cancel().to_owned(), "cancel"));
        rows.push(nav);
        (text, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texts::Lang;

    fn press_label(w: &mut Wizard, label: &str) -> Outcome {
        let (_, rows) = w.view(Texts(Lang::En), 0);
        let data = rows
            .iter()
            .flatten()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("no button {label:?} in {rows:?}"))
            .1
            .clone();
        let action = data.strip_prefix(&format!("w:{}:", w.nonce)).unwrap().to_owned();
        w.press(&action)
    }

    #[test]
    fn a_shared_location_asks_for_a_radius_and_becomes_near() {
        let mut w = Wizard::new(3, vec!["a".into()]);
        assert_eq!(w.step, Step::Districts);
        assert!(!w.share_place(95.0, 13.0), "no place on earth");
        assert!(w.share_place(52.520_000_04, 13.405), "at the districts step");
        assert_eq!((w.step, w.counter()), (Step::Radius, (1, 6)), "part of the districts step");
        assert_eq!(w.press("km:3000"), Outcome::Stale, "only the offered radii");
        press_label(&mut w, "≤ 2 km");
        assert_eq!(w.filter.near, Some(Near { lat: 52.52, lon: 13.405, radius_m: 2_000 }));
        assert_eq!(w.step, Step::Price);
        assert!(!w.share_place(52.5, 13.4), "past the districts step");
        press_label(&mut w, "‹ Back");
        let (text, _) = w.view(Texts(Lang::En), 0);
        assert!(text.contains("send a location"), "{text}");
        press_label(&mut w, "📍 2km around your place ✕");
        assert_eq!(w.filter.near, None);
        assert_eq!(w.press("km:2000"), Outcome::Stale, "no radius screen now");
    }

    #[test]
    fn a_full_run_builds_the_same_filter_as_the_one_line_syntax() {
        let mut w = Wizard::new(7, vec!["a".into(), "b".into()]);
        press_label(&mut w, "b");
        w.districts = vec!["Mitte".into(), "Kreuzberg".into(), "Pankow".into()];
        press_label(&mut w, "Mitte");
        press_label(&mut w, "Pankow");
        press_label(&mut w, "✅ Pankow");
        press_label(&mut w, "Kreuzberg");
        press_label(&mut w, "Next ›");
        assert_eq!(press_label(&mut w, "✏️ Type a number"), Outcome::AskPrice);
        assert!(w.type_price(Texts(Lang::En), "abc").is_err());
        w.awaiting_price = true;
        w.type_price(Texts(Lang::En), "800-1500").unwrap();
        press_label(&mut w, "1");
        press_label(&mut w, "2");
        press_label(&mut w, "4+");
        press_label(&mut w, "Next ›");
        press_label(&mut w, "≥ 40 m²");
        press_label(&mut w, "Furnished");
        assert_eq!(w.step, Step::Period);
        press_label(&mut w, "Yearly");
        press_label(&mut w, "Daily");
        press_label(&mut w, "Monthly");
        press_label(&mut w, "✅ Daily");
        press_label(&mut w, "Next ›");
        assert_eq!(w.step, Step::Summary);
        assert_eq!(press_label(&mut w, "💾 Save"), Outcome::Save);
        let expected = syntax::parse(
            "source=b price=800-1500 rooms=1,2,4+ area=40- district=Mitte,Kreuzberg furnished=yes period=month,year",
            &["a".into(), "b".into()],
        )
        .unwrap();
        assert_eq!(w.filter, expected);
    }

    #[test]
    fn back_cancel_and_stale_actions() {
        let mut w = Wizard::new(1, vec![]);
        assert_eq!(w.step, Step::Districts, "no source to choose");
        assert!(!w.view(Texts(Lang::En), 0).1.iter().flatten().any(|(l, _)| l == "‹ Back"));
        press_label(&mut w, "Next ›");
        assert_eq!(w.step, Step::Price);
        press_label(&mut w, "‹ Back");
        assert_eq!(w.step, Step::Districts);
        assert_eq!(w.press("save"), Outcome::Stale, "save is only on the summary");
        assert_eq!(w.press("d:99"), Outcome::Stale);
        assert_eq!(w.press("p:1234"), Outcome::Stale);
        assert_eq!(press_label(&mut w, "✖ Cancel"), Outcome::Cancel);
    }

    #[test]
    fn the_counter_and_the_summary_follow_what_the_user_chooses() {
        let t = Texts(Lang::En);
        let mut one = Wizard::new(1, vec!["only".into()]);
        assert!(one.view(t, 0).0.starts_with("<b>New search · 1/6</b>"), "{}", one.view(t, 0).0);
        let mut two = Wizard::new(2, vec!["a".into(), "b".into()]);
        assert!(two.view(t, 0).0.starts_with("<b>New search · 1/7</b>"));
        two.press("src:0");
        assert!(two.view(t, 0).0.starts_with("<b>New search · 2/7</b>"));
        // One source: the search names none (the user never chose it).
        for action in ["next", "p:any", "next", "a:any", "f:any", "next"] {
            assert_eq!(one.press(action), Outcome::Redraw, "{action}");
        }
        assert_eq!(one.step, Step::Summary);
        assert!(one.view(t, 0).0.contains("<code>(any listing)</code>"), "{}", one.view(t, 0).0);
        assert_eq!(one.filter.source, None);
    }

    #[test]
    fn a_typed_price_below_the_minimum_is_asked_again() {
        let t = Texts(Lang::En);
        let mut w = Wizard::new(1, vec![]);
        w.press("next");
        for typed in ["-5", "5", "3-8", " 0 €"] {
            w.awaiting_price = true;
            let problem = w.type_price(t, typed).expect_err(typed);
            assert!(problem.contains("below 10"), "{typed}: {problem}");
            assert_eq!(w.step, Step::Price, "{typed}");
        }
        w.type_price(t, "1500").unwrap();
        assert_eq!((w.filter.price_min, w.filter.price_max, w.step), (None, Some(1500), Step::Rooms));
    }

    #[test]
    fn a_typed_price_is_read_as_people_type_it_and_refused_in_their_language() {
        for (typed, want) in [
            ("1 500", (None, Some(1500))),
            ("1.500", (None, Some(1500))),
            ("1,500", (None, Some(1500))),
            ("€1200", (None, Some(1200))),
            ("1200 €", (None, Some(1200))),
            ("800 - 1500", (Some(800), Some(1500))),
            ("от 800 до 1500", (Some(800), Some(1500))),
            ("1500-800", (Some(800), Some(1500))),
            ("-1500", (None, Some(1500))),
        ] {
            let mut w = Wizard::new(1, vec![]);
            w.press("next");
            w.awaiting_price = true;
            w.type_price(Texts(Lang::Ru), typed).unwrap_or_else(|e| panic!("{typed}: {e}"));
            assert_eq!((w.filter.price_min, w.filter.price_max), want, "{typed}");
        }
        let mut w = Wizard::new(1, vec![]);
        w.press("next");
        w.awaiting_price = true;
        let ru = w.type_price(Texts(Lang::Ru), "дёшево").expect_err("words");
        assert_eq!(ru, "«дёшево» — не число");
        let en = w.type_price(Texts(Lang::En), "cheap").expect_err("words");
        assert_eq!(en, "“cheap” is not a number");
        let low = w.type_price(Texts(Lang::Ru), "5").expect_err("too low");
        assert_eq!(
            Texts(Lang::Ru).wizard_price_invalid(&low).split(" Отправьте").next(),
            Some("Не удалось прочитать цену: цена в месяц меньше 10 — это не цена.")
        );
    }

    #[test]
    fn a_press_that_changes_nothing_is_not_redrawn() {
        let mut w = Wizard::new(1, vec![]);
        w.districts = vec!["Mitte".into()];
        assert_eq!(w.press("d:any"), Outcome::Unchanged, "already any");
        assert_eq!(w.press("d:0"), Outcome::Redraw);
        assert_eq!(w.press("back"), Outcome::Unchanged, "no step before the first");
        w.press("next");
        w.press("p:any");
        assert_eq!(w.press("r:any"), Outcome::Unchanged);
        assert_eq!(w.press("r:1"), Outcome::Redraw);
    }

    #[test]
    fn state_survives_json() {
        let mut w = Wizard::new(3, vec!["a".into(), "b".into()]);
        w.press("src:0");
        let json = serde_json::to_string(&w).unwrap();
        assert_eq!(serde_json::from_str::<Wizard>(&json).unwrap(), w);
    }
}
