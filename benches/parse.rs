//! Parse throughput of every saved fixture page (and the Bayut JSON answer)
//! through its built-in kind or preset,
//! the process's memory while parsing, and the wall time of a whole
//! `homehound check-source --file` process on the wg-gesucht page.
//!
//! `cargo bench --bench parse` prints one line per page. One core: pages are
//! parsed one after another on this thread.

use std::{
    path::PathBuf,
    process::Command,
    time::{Duration, Instant},
};

use homehound::scraper::adapters::{Adapter, Page, PageOutcome};
use reqwest::Url;

const PAGES: &[(&str, &str)] = &[
    ("wg-gesucht", "wg-gesucht/berlin-wohnungen-search-with-spotahome.html"),
    ("zillow", "zillow/boston-rentals-search-2025-11.html"),
    ("rightmove", "rightmove/london-to-rent-search.html"),
    ("rightmove", "rightmove/archway-studio-to-rent-search-single-result.html"),
    ("rightmove", "rightmove/to-rent-detail-145459589.html"),
    ("idealista", "idealista/lleida-casas-pisos-search.html"),
    ("otodom", "otodom/warszawa-mieszkania-sprzedaz-search.html"),
    ("otodom", "otodom/detail-targowek-2-pokoje.html"),
    ("olx-pl", "olx-pl/warszawa-mieszkania-sprzedaz-search.html"),
    ("olx-ua", "olx-ua/kvartiry-search.html"),
    ("dom-ria", "dom-ria/kvartiry-search.html"),
    ("realestate-com-au", "realestate-com-au/nsw-buy-search-2017.html"),
    ("bazaraki", "bazaraki/limassol-houses-sale-search-2020.html"),
    ("zonaprop", "zonaprop/santa-fe-departamentos-alquiler-search-2024.html"),
    ("craigslist", "craigslist/boston-for-sale-search.html"),
    ("gewobag", "gewobag/mietangebote-search-2020.html"),
    ("inberlinwohnen", "inberlinwohnen/wohnungsfinder-search.html"),
    ("pararius", "pararius/amsterdam-hoofdweg-to-rent-detail.html"),
    // A JSON API answer (Algolia), read by JSONPath: listings/s = hits/s.
    ("bayut", "bayut/algolia-response.json"),
    // 2026 pages.
    ("immoscout", "immobilienscout24/duesseldorf-wohnung-mieten-search-mobile-api-2026.json"),
    ("kleinanzeigen", "kleinanzeigen/duesseldorf-wohnung-search-2026.html"),
    ("immowelt", "immowelt/classified-list-api-2026.json"),
    ("inberlinwohnen", "inberlinwohnen/wohnungsfinder-search-2026.html"),
    ("deutsche-wohnen", "deutsche-wohnen/berlin-mietangebote-api-list-2026.json"),
    ("flatfox", "flatfox/zuerich-rent-public-listings-api-2026.json"),
    ("immobilien-de", "immobilien-de/berlin-wohnung-mieten-search-2026.html"),
    ("schwarzesbrett-bremen", "schwarzesbrett-bremen/mietobjekte-search-2026.html"),
    ("immo-swp", "immo-swp/muenchen-mietwohnungen-search-2026.html"),
    ("ohne-makler", "ohne-makler/duesseldorf-wohnung-kaufen-search-2026.html"),
    ("mcmakler", "mcmakler/duesseldorf-kaufen-search-2026.html"),
    ("regionalimmobilien24", "regionalimmobilien24/rostock-haus-kaufen-search-2026.html"),
    ("sparkasse-immobilien", "sparkasse-immobilien/duesseldorf-wohnung-kaufen-search-2026.html"),
    ("engelvoelkers", "engelvoelkers/berlin-kaufen-search-2026.html"),
    ("imaxx", "imaxx/wohnung-kaufen-search-2026.html"),
    ("neubaukompass", "neubaukompass/duesseldorf-wohnung-kaufen-search-2026.html"),
    // 2026 exposés, through each preset's `detail` reading.
    ("immoscout", "immobilienscout24/expose-detail-mobile-api-2026.json"),
    ("immowelt", "immowelt/expose-detail-serverstate-trimmed-2026.html"),
    ("immowelt", "immowelt/expose-detail-trimmed-2026.html"),
    ("deutsche-wohnen", "deutsche-wohnen/expose-detail-2026.html"),
    ("engelvoelkers", "engelvoelkers/expose-detail-2026.html"),
    ("imaxx", "imaxx/expose-detail-2026.html"),
    ("immobilien-de", "immobilien-de/detail-2026.html"),
    ("schwarzesbrett-bremen", "schwarzesbrett-bremen/detail-2026.html"),
    ("sparkasse-immobilien", "sparkasse-immobilien/expose-detail-2026.html"),
    ("inberlinwohnen", "inberlinwohnen/howoge-expose-detail-2026.html"),
];

/// Hostile pages: how long each takes to be refused (no listings).
fn hostile_pages() -> Vec<(&'static str, &'static str, String)> {
    let deep = 100_000;
    vec![
        (
            "HTML nested 100,000 deep (wg-gesucht)",
            "wg-gesucht",
            format!("<html><body>{}x{}</body></html>", "<div>".repeat(deep), "</div>".repeat(deep)),
        ),
        (
            "HTML nested 100,000 deep (jsonld)",
            "jsonld",
            format!("<html><body>{}x{}</body></html>", "<div>".repeat(deep), "</div>".repeat(deep)),
        ),
        (
            "JSON answer nested 100,000 deep (immoscout)",
            "immoscout",
            format!("{}1{}", "[".repeat(deep), "]".repeat(deep)),
        ),
    ]
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    let base = Url::parse("https://bench.example/").expect("url");
    println!("rss before parsing: {} KiB", rss_kib("VmRSS:"));
    println!(
        "{:<62} {:>6} {:>8} {:>9} {:>8} {:>9} {:>11}",
        "page", "KiB", "dom ms", "ms/page", "best ms", "pages/s", "listings/s"
    );
    let (mut total_pages, mut total_listings, mut total_time) = (0u64, 0u64, Duration::ZERO);
    // `PARSE_ONLY=wg-gesucht cargo bench --bench parse` measures one site.
    let only = std::env::var("PARSE_ONLY").ok();
    for (kind, file) in PAGES.iter().filter(|(kind, _)| only.as_deref().is_none_or(|o| o == *kind)) {
        let body = String::from_utf8_lossy(&std::fs::read(dir.join(file)).expect("fixture")).into_owned();
        let adapter = Adapter::builtin(kind).expect("adapter");
        let parse = || match adapter.parse(kind, Page { body: &body, url: &base }, None, None) {
            PageOutcome::Listings { listings, .. } => listings.len(),
            PageOutcome::Blocked(_) | PageOutcome::Invalid(_) => 0,
        };
        // The share of building the DOM alone (html5ever).
        let started = Instant::now();
        for _ in 0..10 {
            std::hint::black_box(scraper::Html::parse_document(&body));
        }
        let dom = started.elapsed() / 10;
        let dom = if file.ends_with(".json") { Duration::ZERO } else { dom };
        // Warm up, then five rounds of at least 200 ms each; this machine's
        // timings drift by tens of percent, so the median round and the best
        // round are both printed.
        let listings = parse();
        let (mut n, mut elapsed, mut rounds) = (0u64, Duration::ZERO, Vec::new());
        for _ in 0..5 {
            let started = Instant::now();
            let mut round = 0u64;
            while started.elapsed() < Duration::from_millis(200) || round < 3 {
                std::hint::black_box(parse());
                round += 1;
            }
            let took = started.elapsed();
            rounds.push(took / round as u32);
            n += round;
            elapsed += took;
        }
        rounds.sort();
        let per_page = rounds[2];
        let best = rounds[0];
        total_pages += n;
        total_listings += n * listings as u64;
        total_time += elapsed;
        println!(
            "{:<62} {:>6} {:>8.2} {:>9.2} {:>8.2} {:>9.0} {:>11.0}",
            file,
            body.len() / 1024,
            dom.as_secs_f64() * 1000.0,
            per_page.as_secs_f64() * 1000.0,
            best.as_secs_f64() * 1000.0,
            1.0 / per_page.as_secs_f64(),
            listings as f64 / per_page.as_secs_f64()
        );
    }
    println!(
        "all pages: {:.0} pages/s, {:.0} listings/s; rss while parsing {} KiB, peak {} KiB",
        total_pages as f64 / total_time.as_secs_f64(),
        total_listings as f64 / total_time.as_secs_f64(),
        rss_kib("VmRSS:"),
        rss_kib("VmHWM:")
    );

    for (what, kind, body) in hostile_pages() {
        let adapter = Adapter::builtin(kind).expect("adapter");
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let started = Instant::now();
                let outcome = adapter.parse(kind, Page { body: &body, url: &base }, None, None);
                let took = started.elapsed();
                assert!(!matches!(outcome, PageOutcome::Listings { ref listings, .. } if !listings.is_empty()));
                took
            })
            .collect();
        times.sort();
        println!("{what:<62} {:>6} KiB, refused in {:.2} ms", body.len() / 1024, times[2].as_secs_f64() * 1000.0);
    }

    // The whole process, as an operator runs it.
    let page = dir.join("wg-gesucht/berlin-wohnungen-search-with-spotahome.html");
    let runs = 20;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_homehound"))
            .args(["check-source", "--kind", "wg-gesucht", "--file"])
            .arg(&page)
            .output()
            .expect("run homehound");
        times.push(started.elapsed());
        assert!(out.status.success(), "check-source failed");
    }
    times.sort();
    println!(
        "check-source --file wg-gesucht process: median {:.1} ms, min {:.1} ms over {runs} runs",
        times[runs / 2].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0
    );
}
