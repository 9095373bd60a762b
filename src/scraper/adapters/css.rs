//! `kind = "css"`: any site described by selectors.
//!
//! A selector is `"SEL"` (text of the first match), `"SEL@attr"` (an
//! attribute of the first match that has it) or `"@attr"` (an attribute of
//! the card); `@style` gives the `url(…)` inside a style attribute. A field
//! is one selector or a table with several, tried in turn, and processing
//! (see [`super::field`]).

use std::{collections::BTreeMap, sync::LazyLock};

use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use serde::Deserialize;

use super::{
    Page, Parsed,
    field::{FIELDS, FieldConfig, Process, raw_listing},
    own_attr, sel_attr, text_of,
};

/// The `[sources.css]` table as written in the sources file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CssConfig {
    pub card: String,
    /// Cards to leave out: a card matching one of these selectors, or inside
    /// an element matching one (an ad block, a sponsored class).
    #[serde(default)]
    pub skip: Vec<String>,
    pub id: Option<FieldConfig>,
    pub url: Option<FieldConfig>,
    pub title: Option<FieldConfig>,
    pub price: Option<FieldConfig>,
    pub currency: Option<FieldConfig>,
    pub period: Option<FieldConfig>,
    pub rooms: Option<FieldConfig>,
    pub area: Option<FieldConfig>,
    pub district: Option<FieldConfig>,
    pub photo: Option<FieldConfig>,
    pub photos: Option<FieldConfig>,
    pub description: Option<FieldConfig>,
    pub furnished: Option<FieldConfig>,
    pub phone: Option<FieldConfig>,
    /// Latitude and longitude apart, or `geo` as "lat,lon".
    pub lat: Option<FieldConfig>,
    pub lon: Option<FieldConfig>,
    pub geo: Option<FieldConfig>,
    pub next_page: Option<FieldConfig>,
}

impl CssConfig {
    fn field(&self, name: &str) -> Option<&FieldConfig> {
        match name {
            "id" => self.id.as_ref(),
            "url" => self.url.as_ref(),
            "title" => self.title.as_ref(),
            "price" => self.price.as_ref(),
            "currency" => self.currency.as_ref(),
            "period" => self.period.as_ref(),
            "rooms" => self.rooms.as_ref(),
            "area" => self.area.as_ref(),
            "district" => self.district.as_ref(),
            "photo" => self.photo.as_ref(),
            "photos" => self.photos.as_ref(),
            "description" => self.description.as_ref(),
            "furnished" => self.furnished.as_ref(),
            "phone" => self.phone.as_ref(),
            "lat" => self.lat.as_ref(),
            "lon" => self.lon.as_ref(),
            "geo" => self.geo.as_ref(),
            "next_page" => self.next_page.as_ref(),
            _ => None,
        }
    }
}

/// The pick that reads the address of the page itself.
pub const PAGE: &str = ":page";

/// One compiled selector: `"SEL"`, `"SEL@attr"`, `"@attr"` or `":page"`.
#[derive(Debug, Clone)]
pub struct Pick {
    selector: Option<Selector>,
    attr: Option<String>,
    /// `:page`: the address of the page being read (an exposé's own).
    page: bool,
}

impl Pick {
    /// Compiles `"SEL"`, `"SEL@attr"` or `"@attr"`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let spec = spec.trim();
        if spec == PAGE {
            return Ok(Self { selector: None, attr: None, page: true });
        }
        let (sel, attr) = match spec.rfind('@') {
            // An "@" inside brackets belongs to the selector (a[href*="@"]).
            Some(at) if !spec[at..].contains(']') => (&spec[..at], Some(spec[at + 1..].trim())),
            _ => (spec, None),
        };
        if attr.is_some_and(str::is_empty) {
            return Err(format!("{spec:?}: nothing after '@'"));
        }
        let sel = sel.trim();
        let selector = if sel.is_empty() {
            if attr.is_none() {
                return Err("empty selector".to_owned());
            }
            None
        } else {
            Some(parse_selector(sel)?)
        };
        Ok(Self { selector, attr: attr.map(str::to_owned), page: false })
    }

    /// The values on `card` of the page at `page`, one per matching
    /// element, in document order and read lazily. A `style` attribute
    /// gives the `url(…)` inside it.
    fn values<'a>(&'a self, card: ElementRef<'a>, page: &'a str) -> Box<dyn Iterator<Item = String> + 'a> {
        if self.page {
            return Box::new(std::iter::once(page.to_owned()).filter(|p| !p.is_empty()));
        }
        let values: Box<dyn Iterator<Item = String> + 'a> = match (&self.selector, &self.attr) {
            (None, Some(attr)) => Box::new(own_attr(card, attr).into_iter()),
            (Some(sel), Some(attr)) => Box::new(
                card.select(sel)
                    .filter_map(move |el| el.value().attr(attr))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned),
            ),
            (Some(sel), None) => Box::new(card.select(sel).map(text_of).filter(|t| !t.is_empty())),
            (None, None) => Box::new(std::iter::empty()),
        };
        if self.attr.as_deref() == Some("style") { Box::new(values.filter_map(|v| style_url(&v))) } else { values }
    }

    /// The value anywhere in the document (for `next_page`).
    fn get_in(&self, doc: &Html) -> Option<String> {
        let root = doc.root_element();
        match (&self.selector, &self.attr) {
            (Some(sel), Some(attr)) => sel_attr(root, sel, attr),
            (Some(sel), None) => doc.select(sel).map(text_of).find(|t| !t.is_empty()),
            (None, Some(attr)) => own_attr(root, attr),
            (None, None) => None,
        }
    }
}

/// `background-image: url('…')` → the URL.
fn style_url(style: &str) -> Option<String> {
    static URL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"url\(\s*['"]?([^'")]+)"#).unwrap_or_else(|e| panic!("built-in regex: {e}")));
    URL.captures(style).and_then(|c| c.get(1)).map(|m| m.as_str().trim().to_owned())
}

/// A compiled field: picks tried in turn, or a fixed value, then processing.
#[derive(Debug, Clone)]
pub struct Field {
    picks: Vec<Pick>,
    value: Option<String>,
    process: Process,
}

impl Field {
    pub fn compile(config: &FieldConfig) -> Result<Self, String> {
        if let FieldConfig::Full(t) = config
            && t.path.is_some()
        {
            return Err("`path` is for JSON sources; a css field takes `sel`".to_owned());
        }
        let (from, value, process) = config.split()?;
        let picks = from.iter().map(|s| Pick::parse(s)).collect::<Result<Vec<_>, _>>()?;
        if !process.template_names().is_empty() {
            return Err("a css template takes only `{}` (the value)".to_owned());
        }
        Ok(Self { picks, value, process })
    }

    /// The field's value on `card` of the page at `page`: the first match
    /// of its selectors, tried in turn, that the processing accepts (`not`,
    /// `regex`, `map`).
    pub fn get(&self, card: ElementRef<'_>, page: &str) -> Option<String> {
        match &self.value {
            Some(value) => self.process.apply(Some(value.clone()), &|_| None),
            None => self.process.apply_first(self.picks.iter().flat_map(|p| p.values(card, page)).map(Some), &|_| None),
        }
    }

    fn get_in(&self, doc: &Html) -> Option<String> {
        let raw = self.value.clone().or_else(|| self.picks.iter().find_map(|p| p.get_in(doc)));
        self.process.apply(raw, &|_| None)
    }

    /// Every value on `card`: each match of the first pick that has any,
    /// processed.
    pub fn get_all(&self, card: ElementRef<'_>, page: &str) -> Vec<String> {
        self.picks
            .iter()
            .map(|p| p.values(card, page).filter_map(|v| self.process.apply(Some(v), &|_| None)).collect())
            .find(|values: &Vec<String>| !values.is_empty())
            .unwrap_or_default()
    }
}

/// `css` as a selector; the error says what is wrong in words (the parser's
/// own message for some mistakes is "please report this to the developer").
pub fn parse_selector(css: &str) -> Result<Selector, String> {
    use scraper::error::SelectorErrorKind as E;
    Selector::parse(css).map_err(|e| {
        let why = match &e {
            E::EndOfLine => "it ends too early (an unclosed bracket, parenthesis or quote?)".to_owned(),
            E::UnexpectedToken => "a character or word that does not belong there".to_owned(),
            E::ExpectedColonOnPseudoElement | E::ExpectedIdentityOnPseudoElement => {
                "a pseudo-element needs `::name`".to_owned()
            }
            E::UnexpectedSelectorParseError(kind) => match format!("{kind:?}").as_str() {
                "DanglingCombinator" => "a combinator (`>`, `+`, `~`) with nothing after it".to_owned(),
                "EmptySelector" => "an empty selector (a comma with nothing after it?)".to_owned(),
                "ClassNeedsIdent" => "a `.` that is not followed by a class name".to_owned(),
                "NoIdentForPseudo" | "UnsupportedPseudoClassOrElement" => {
                    "a pseudo-class this parser does not know (`:contains` and jQuery extensions are not CSS)"
                        .to_owned()
                }
                "UnexpectedIdent" => "a name that does not belong there".to_owned(),
                "NoQualifiedNameInAttributeSelector"
                | "UnexpectedTokenInAttributeSelector"
                | "ExpectedBarInAttr"
                | "BadValueInAttr"
                | "InvalidQualNameInAttr" => {
                    "an attribute test that is not `[name]`, `[name=\"value\"]`, `[name*=\"value\"]` or the like"
                        .to_owned()
                }
                other => format!("not a selector ({other})"),
            },
            other => other.to_string(),
        };
        format!("{css:?} is not a valid CSS selector: {why}; {}", where_invalid(css))
    })
}

/// Where `css` stops being a selector: after its longest valid start (a
/// mistake at the load of a sources file, never on a hot path).
fn where_invalid(css: &str) -> String {
    let valid = css
        .char_indices()
        .map(|(i, _)| i)
        .chain([css.len()])
        .rev()
        .find(|&i| css[..i].trim().is_empty() || Selector::parse(&css[..i]).is_ok())
        .unwrap_or(0);
    let column = css[..valid].chars().count() + 1;
    let rest: String = css[valid..].chars().take(24).collect();
    format!("from character {column}: `{}`", rest.trim_end())
}

/// A compiled `[sources.css]` table.
#[derive(Debug, Clone)]
pub struct CssSpec {
    pub card: Selector,
    pub skip: Vec<Selector>,
    /// The selectors as written, for explanations.
    card_css: String,
    skip_css: Vec<String>,
    pub fields: BTreeMap<&'static str, Field>,
    pub next_page: Option<Field>,
}

impl CssSpec {
    /// Compiles every selector; the error names the field.
    pub fn compile(config: &CssConfig) -> Result<Self, (String, String)> {
        let card = parse_selector(&config.card).map_err(|e| ("card".to_owned(), e))?;
        let skip = config
            .skip
            .iter()
            .map(|s| parse_selector(s).map_err(|e| ("skip".to_owned(), e)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut fields = BTreeMap::new();
        for name in FIELDS {
            if let Some(spec) = config.field(name) {
                spec.check_values(name).map_err(|e| ((*name).to_owned(), e))?;
                fields.insert(*name, Field::compile(spec).map_err(|e| ((*name).to_owned(), e))?);
            }
        }
        if !fields.contains_key("url") {
            return Err((
                "url".to_owned(),
                "is required: every listing needs its link (alerts open it; `id` alone is not enough)".to_owned(),
            ));
        }
        let next_page =
            config.field("next_page").map(Field::compile).transpose().map_err(|e| ("next_page".to_owned(), e))?;
        Ok(Self { card, skip, card_css: config.card.clone(), skip_css: config.skip.clone(), fields, next_page })
    }

    /// Why `doc` gave no listings, in the operator's words.
    pub fn explain_empty(&self, doc: &Html) -> String {
        let cards: Vec<ElementRef<'_>> = doc.select(&self.card).collect();
        if cards.is_empty() {
            return format!("the card selector `{}` matched nothing on the page", self.card_css);
        }
        let n = cards.len();
        let kept: Vec<ElementRef<'_>> = cards.iter().copied().filter(|c| !self.skipped(*c)).collect();
        if kept.is_empty() {
            let ancestor_of_all =
                |s: &Selector| cards.iter().all(|c| c.ancestors().filter_map(ElementRef::wrap).any(|a| s.matches(&a)));
            return match self.skip.iter().zip(&self.skip_css).find(|(s, _)| ancestor_of_all(s)) {
                Some((_, css)) => {
                    format!("skip removed all {n} cards (selector `{css}` matches an ancestor of the cards)")
                }
                None => format!("skip removed all {n} cards ({})", self.skip_css.join(", ")),
            };
        }
        let no_url = kept.iter().filter(|c| self.fields.get("url").and_then(|f| f.get(**c, "")).is_none()).count();
        format!(
            "{} cards matched, {no_url} dropped: no url (the `url` field found nothing on them){}",
            kept.len(),
            if kept.len() < n { format!("; {} more removed by skip", n - kept.len()) } else { String::new() }
        )
    }

    fn skipped(&self, card: ElementRef<'_>) -> bool {
        if self.skip.is_empty() {
            return false;
        }
        std::iter::once(card)
            .chain(card.ancestors().filter_map(ElementRef::wrap))
            .any(|el| self.skip.iter().any(|s| s.matches(&el)))
    }

    pub fn extract(&self, doc: &Html, page: Page<'_>) -> Parsed {
        let at = page.url.as_str();
        let get = |card: ElementRef<'_>, name: &str| self.fields.get(name).and_then(|f| f.get(card, at));
        let all =
            |card: ElementRef<'_>, name: &str| self.fields.get(name).map(|f| f.get_all(card, at)).unwrap_or_default();
        let listings = doc
            .select(&self.card)
            .filter(|card| !self.skipped(*card))
            .map(|card| raw_listing(|name| get(card, name), |name| all(card, name)))
            .collect();
        Parsed { listings, next_page: self.next_page.as_ref().and_then(|f| f.get_in(doc)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_specs() {
        assert!(Pick::parse("a.title@href").unwrap().attr.as_deref() == Some("href"));
        assert!(Pick::parse("@data-id").unwrap().selector.is_none());
        assert!(Pick::parse("a[href*=\"@\"]").unwrap().attr.is_none());
        assert!(Pick::parse("h3 >> ,").is_err());
        for (css, words) in [
            ("h3 >> ,", "a combinator"),
            ("a..b", "not followed by a class name"),
            ("div[", "ends too early"),
            ("a:contains(x)", "pseudo-class"),
        ] {
            let e = Pick::parse(css).unwrap_err();
            assert!(e.contains(words) && !e.to_lowercase().contains("report this"), "{css}: {e}");
        }
        // Where the mistake is.
        let e = Pick::parse("div.card a..title").unwrap_err();
        assert!(e.contains("from character 11: `..title`"), "{e}");
        let e = Pick::parse("li[data id]").unwrap_err();
        assert!(e.contains("from character 9: `id]`"), "{e}");
        assert!(Pick::parse("a@").is_err());
        assert!(Pick::parse("").is_err());
    }

    #[test]
    fn photos_are_every_match_of_the_first_selector_that_has_any() {
        let doc = Html::parse_document(
            r#"<div class="c"><img src="/a.jpg"><img src="/b.jpg"><img src="/a.jpg">
               <i style="background-image: url('/s1.jpg')"></i><i style="background-image: url(/s2.jpg)"></i></div>"#,
        );
        let card = doc.select(&Selector::parse("div.c").unwrap()).next().unwrap();
        let field = |spec: &str| Field::compile(&FieldConfig::Short(spec.to_owned())).unwrap();
        assert_eq!(field("img@src").get_all(card, ""), ["/a.jpg", "/b.jpg", "/a.jpg"]);
        assert_eq!(field("i@style").get_all(card, ""), ["/s1.jpg", "/s2.jpg"]);
        let listed = Field::compile(&FieldConfig::List(vec!["picture img@src".into(), "img@src".into()])).unwrap();
        assert_eq!(listed.get_all(card, "").len(), 3, "the first selector with matches");
        assert!(field("video@src").get_all(card, "").is_empty());
    }

    #[test]
    fn style_urls() {
        assert_eq!(style_url("background-image: url('https://x/a.jpg');").as_deref(), Some("https://x/a.jpg"));
        assert_eq!(style_url("background-image:url(/b.png)").as_deref(), Some("/b.png"));
        assert_eq!(style_url("color: red"), None);
    }
}
