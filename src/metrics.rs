//! Process-wide counters and gauges for `/metrics` (Prometheus text).
//!
//! One registry shared by every thread; a counter is named once with its
//! help text and keyed by its label values.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{LazyLock, Mutex},
};

struct Family {
    help: &'static str,
    kind: &'static str,
    values: BTreeMap<String, f64>,
}

static REGISTRY: LazyLock<Mutex<BTreeMap<&'static str, Family>>> = LazyLock::new(Default::default);

fn labels_key(labels: &[(&str, &str)]) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', " ")))
        .collect::<Vec<_>>()
        .join(",")
}

fn update(
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    labels: &[(&str, &str)],
    f: impl FnOnce(&mut f64),
) {
    let mut registry = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    let family = registry.entry(name).or_insert_with(|| Family { help, kind, values: BTreeMap::new() });
    f(family.values.entry(labels_key(labels)).or_insert(0.0));
}

/// Adds `by` to counter `name{labels}`.
pub fn inc(name: &'static str, help: &'static str, labels: &[(&str, &str)], by: f64) {
    update(name, help, "counter", labels, |v| *v += by);
}

/// Sets gauge `name{labels}`.
pub fn set(name: &'static str, help: &'static str, labels: &[(&str, &str)], value: f64) {
    update(name, help, "gauge", labels, |v| *v = value);
}

/// The value of `name{labels}`, if recorded.
pub fn get(name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let registry = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    registry.get(name).and_then(|f| f.values.get(&labels_key(labels)).copied())
}

/// Recent alert latencies (listing stored → Telegram accepted), seconds.
static LATENCIES: LazyLock<Mutex<std::collections::VecDeque<f64>>> = LazyLock::new(Default::default);
const LATENCY_WINDOW: usize = 10_000;

/// Records one alert's latency.
pub fn observe_latency(seconds: f64) {
    let mut l = LATENCIES.lock().unwrap_or_else(|p| p.into_inner());
    if l.len() == LATENCY_WINDOW {
        l.pop_front();
    }
    l.push_back(seconds);
}

/// The `q` quantile of the recent latencies.
pub fn latency_quantile(q: f64) -> Option<f64> {
    let l = LATENCIES.lock().unwrap_or_else(|p| p.into_inner());
    if l.is_empty() {
        return None;
    }
    let mut v: Vec<f64> = l.iter().copied().collect();
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v.get(i).copied()
}

/// Appends every family in Prometheus text format.
pub fn render(out: &mut String) {
    if let (Some(p50), Some(p95)) = (latency_quantile(0.5), latency_quantile(0.95)) {
        let _ =
            writeln!(out, "# HELP homehound_alert_latency_seconds Listing stored to Telegram accepted, recent alerts.");
        let _ = writeln!(out, "# TYPE homehound_alert_latency_seconds summary");
        let _ = writeln!(out, "homehound_alert_latency_seconds{{quantile=\"0.5\"}} {p50:.3}");
        let _ = writeln!(out, "homehound_alert_latency_seconds{{quantile=\"0.95\"}} {p95:.3}");
    }
    let registry = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    for (name, family) in registry.iter() {
        let _ = writeln!(out, "# HELP {name} {}", family.help);
        let _ = writeln!(out, "# TYPE {name} {}", family.kind);
        for (labels, value) in &family.values {
            if labels.is_empty() {
                let _ = writeln!(out, "{name} {value}");
            } else {
                let _ = writeln!(out, "{name}{{{labels}}} {value}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_escaped_labels() {
        inc("homehound_test_total", "A test counter.", &[("source", "a\"b")], 2.0);
        inc("homehound_test_total", "A test counter.", &[("source", "a\"b")], 1.0);
        assert_eq!(get("homehound_test_total", &[("source", "a\"b")]), Some(3.0));
        let mut out = String::new();
        render(&mut out);
        assert!(out.contains("# TYPE homehound_test_total counter"), "{out}");
        assert!(out.contains("homehound_test_total{source=\"a\\\"b\"} 3"), "{out}");
    }
}
