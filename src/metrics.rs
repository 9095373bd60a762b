//! Process-wide counters, gauges and the alert-latency histogram for
//! `/metrics`, kept and written by `prometheus-client` (Prometheus text
//! format 0.0.4).
//!
//! One registry shared by every thread; a family is registered at its first
//! use, with its help text, and keyed by its label values. Every value is a
//! count, so counters and gauges are integers.

use std::{
    collections::HashMap,
    sync::{LazyLock, Mutex},
};

use prometheus_client::{
    encoding::prometheus_text,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

type Labels = Vec<(String, String)>;

/// Alert latency buckets, seconds (scrape to Telegram's accept).
const LATENCY_BUCKETS: [f64; 10] = [0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0];

/// Most sources the latency histogram keeps (one per configured source).
const MAX_LATENCY_SOURCES: usize = 1_000;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

struct Metrics {
    registry: Registry,
    counters: HashMap<&'static str, Family<Labels, Counter>>,
    gauges: HashMap<&'static str, Family<Labels, Gauge>>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    latency_sources: std::collections::HashSet<String>,
}

static METRICS: LazyLock<Mutex<Metrics>> = LazyLock::new(|| {
    let mut registry = Registry::default();
    let latency: Family<Labels, Histogram, fn() -> Histogram> = Family::new_with_constructor(latency_histogram);
    registry.register(
        "homehound_alert_latency_seconds",
        "From the scrape that found a listing to Telegram accepting its alert.",
        latency.clone(),
    );
    Mutex::new(Metrics {
        registry,
        counters: HashMap::new(),
        gauges: HashMap::new(),
        latency,
        latency_sources: Default::default(),
    })
});

fn with<T>(f: impl FnOnce(&mut Metrics) -> T) -> T {
    f(&mut METRICS.lock().unwrap_or_else(|p| p.into_inner()))
}

fn labels(labels: &[(&str, &str)]) -> Labels {
    labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// Adds `by` (a count) to counter `name{labels}`; `name` ends in `_total`.
pub fn inc(name: &'static str, help: &'static str, labels_: &[(&str, &str)], by: f64) {
    with(|m| {
        let family = m.counters.entry(name).or_insert_with(|| {
            let family = Family::<Labels, Counter>::default();
            // The text format adds `_total` to a counter's name.
            m.registry.register(name.strip_suffix("_total").unwrap_or(name), help, family.clone());
            family
        });
        family.get_or_create(&labels(labels_)).inc_by(by.max(0.0).round() as u64);
    });
}

/// Sets gauge `name{labels}` to `value` (a count).
pub fn set(name: &'static str, help: &'static str, labels_: &[(&str, &str)], value: f64) {
    with(|m| {
        let family = m.gauges.entry(name).or_insert_with(|| {
            let family = Family::<Labels, Gauge>::default();
            m.registry.register(name, help, family.clone());
            family
        });
        family.get_or_create(&labels(labels_)).set(value.round() as i64);
    });
}

/// The value of counter or gauge `name{labels}`, if recorded.
pub fn get(name: &str, labels_: &[(&str, &str)]) -> Option<f64> {
    let key = labels(labels_);
    with(|m| {
        let counter = m.counters.get(name).and_then(|f| f.get(&key).map(|c| c.get() as f64));
        counter.or_else(|| m.gauges.get(name).and_then(|f| f.get(&key).map(|g| g.get() as f64)))
    })
}

/// Records one alert's latency (the scrape that found the listing to
/// Telegram's accept) for `source`.
pub fn observe_latency(source: &str, seconds: f64) {
    with(|m| {
        if !m.latency_sources.contains(source) {
            if m.latency_sources.len() >= MAX_LATENCY_SOURCES {
                return;
            }
            m.latency_sources.insert(source.to_owned());
        }
        m.latency.get_or_create(&labels(&[("source", source)])).observe(seconds);
    });
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
    with(|m| {
        if let Err(e) = prometheus_text::encode(out, &m.registry) {
            tracing::warn!(error = %e, "the metrics could not be written");
        }
    });
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
