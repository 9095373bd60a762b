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

/// Alert latency buckets, seconds (scrape to Telegram's accept).
const LATENCY_BUCKETS: [f64; 10] = [0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0];

/// One source's latency histogram: counts per bucket (cumulative when
/// rendered), sum and count.
#[derive(Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// Per source; bounded by the number of configured sources.
static LATENCIES: LazyLock<Mutex<BTreeMap<String, Histogram>>> = LazyLock::new(Default::default);

/// Records one alert's latency (the scrape that found the listing to
/// Telegram's accept) for `source`.
pub fn observe_latency(source: &str, seconds: f64) {
    let mut all = LATENCIES.lock().unwrap_or_else(|p| p.into_inner());
    if !all.contains_key(source) && all.len() >= 1_000 {
        return;
    }
    let h = all.entry(source.to_owned()).or_default();
    if let Some(i) = LATENCY_BUCKETS.iter().position(|b| seconds <= *b) {
        h.buckets[i] += 1;
    }
    h.sum += seconds;
    h.count += 1;
}

fn render_latencies(out: &mut String) {
    let all = LATENCIES.lock().unwrap_or_else(|p| p.into_inner());
    if all.is_empty() {
        return;
    }
    let name = "homehound_alert_latency_seconds";
    let _ = writeln!(out, "# HELP {name} From the scrape that found a listing to Telegram accepting its alert.");
    let _ = writeln!(out, "# TYPE {name} histogram");
    for (source, h) in all.iter() {
        let source = labels_key(&[("source", source)]);
        let mut cumulative = 0;
        for (le, n) in LATENCY_BUCKETS.iter().zip(h.buckets) {
            cumulative += n;
            let _ = writeln!(out, "{name}_bucket{{{source},le=\"{le}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{source},le=\"+Inf\"}} {}", h.count);
        let _ = writeln!(out, "{name}_sum{{{source}}} {:.3}", h.sum);
        let _ = writeln!(out, "{name}_count{{{source}}} {}", h.count);
    }
}

/// The `q` quantile of `values` (sorted in place); `None` when empty.
pub fn quantile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(((values.len() - 1) as f64 * q).round() as usize).copied()
}

/// Appends every family in Prometheus text format.
pub fn render(out: &mut String) {
    render_latencies(out);
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
    fn latency_is_a_histogram_per_source() {
        observe_latency("hist-a", 0.7);
        observe_latency("hist-a", 3.0);
        observe_latency("hist-a", 4000.0);
        let mut out = String::new();
        render(&mut out);
        assert!(out.contains("# TYPE homehound_alert_latency_seconds histogram"), "{out}");
        assert!(out.contains(r#"homehound_alert_latency_seconds_bucket{source="hist-a",le="0.5"} 0"#), "{out}");
        assert!(out.contains(r#"homehound_alert_latency_seconds_bucket{source="hist-a",le="1"} 1"#), "{out}");
        assert!(out.contains(r#"homehound_alert_latency_seconds_bucket{source="hist-a",le="5"} 2"#), "{out}");
        assert!(out.contains(r#"homehound_alert_latency_seconds_bucket{source="hist-a",le="+Inf"} 3"#), "{out}");
        assert!(out.contains(r#"homehound_alert_latency_seconds_count{source="hist-a"} 3"#), "{out}");
        assert_eq!(quantile(&mut [3.0, 1.0, 2.0], 0.5), Some(2.0));
    }

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
