//! Built-in kinds written in the css/json model (`presets.toml`, compiled
//! into the binary). A source names one as its `kind` and may override any
//! of its keys in the sources file; a layout change is then fixed there.

use std::sync::LazyLock;

use toml::{Table, Value};

use crate::scraper::slim::Prune;

const PRESETS_TOML: &str = include_str!("../presets/presets.toml");

static PRESETS: LazyLock<Table> = LazyLock::new(|| {
    // The file is part of the binary and checked by a unit test.
    PRESETS_TOML.parse::<Table>().unwrap_or_default()
});

/// The names of every preset.
pub fn names() -> Vec<&'static str> {
    PRESETS.keys().map(String::as_str).collect()
}

/// The preset's table (its `home` removed), if `kind` is a preset.
pub fn table(kind: &str) -> Option<Table> {
    let mut table = PRESETS.get(kind)?.as_table()?.clone();
    table.remove("home");
    Some(table)
}

/// The site's home page: the base for links in a saved page of it.
pub fn home(kind: &str) -> Option<&'static str> {
    PRESETS.get(kind)?.get("home")?.as_str()
}

/// The pre-pass of a preset whose selectors are used unchanged: what of the
/// page it never reads. An overridden preset is parsed whole.
pub fn prune(kind: &str) -> Prune {
    match kind {
        // 420 KB, most of it header, filters, dialogs, link lists and a
        // print-only copy of every card: parsing starts at the first card.
        "wg-gesucht" => Prune {
            start_at: Some("wgg_card offer_list_item"),
            // "bottom" is each card's row of the advertiser's avatar and name.
            drop_classes: &["printonly", "bottom", "modal", "ul-bottomlinks", "ul-quickfilter", "dropdown-menu"],
            drop_tags: &["img", "form", "select"],
            keep_attrs: Some(&["class", "href", "title", "style", "data-id", "aria-label"]),
            ..Prune::default()
        },
        _ => Prune::default(),
    }
}

/// `over` merged into `base`: tables key by key, anything else replaced.
pub fn merge(base: &mut Table, over: Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(b)), Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_have_a_home() {
        assert!(PRESETS_TOML.parse::<Table>().is_ok());
        for name in names() {
            assert!(home(name).is_some_and(|h| h.starts_with("https://")), "{name}");
            let kind = table(name).and_then(|t| t.get("kind").and_then(Value::as_str).map(str::to_owned));
            assert!(matches!(kind.as_deref(), Some("css" | "json")), "{name}: {kind:?}");
        }
        assert!(names().contains(&"wg-gesucht") && names().contains(&"bayut"));
    }

    #[test]
    fn merge_is_key_by_key() {
        let mut base: Table = "a = 1\n[t]\nx = 1\ny = 2".parse().unwrap();
        merge(&mut base, "b = 2\n[t]\ny = 3".parse().unwrap());
        assert_eq!(base.to_string(), "a = 1\nb = 2\n\n[t]\nx = 1\ny = 3\n");
    }
}
