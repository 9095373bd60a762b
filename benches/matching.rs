//! Matching 1,000 new listings against 100,000 saved searches on SQLite:
//! the candidate query (one per run) plus the in-memory filter, as the
//! scraper does when it stores a run. Prints time and memory.
//!
//! `cargo bench --bench matching`

use std::time::{Duration, Instant};

use chrono::Utc;
use entity::{access_period, chat, search};
use homehound::{
    db::{self, PoolRole},
    scraper::{listing::Listing, normalize::Period},
};
use sea_orm::{ActiveValue::Set, EntityTrait};

const SEARCHES: i64 = 100_000;
const LISTINGS: usize = 1_000;
const DISTRICTS: [&str; 8] = ["Mitte", "Kreuzberg", "Neukölln", "Pankow", "Wedding", "Moabit", "Spandau", "Steglitz"];

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// A small deterministic generator, so every run measures the same data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    rt.block_on(async {
        let db = db::connect(&url, PoolRole::Admin).await.expect("connect");
        db::migrate(&db).await.expect("migrate");
        let now = Utc::now();
        let mut rng = Lcg(42);
        let started = Instant::now();
        for chunk in (1..=SEARCHES).collect::<Vec<_>>().chunks(2_000) {
            let chats = chunk.iter().map(|&id| chat::ActiveModel {
                id: Set(id),
                language: Set("en".into()),
                paused: Set(false),
                blocked: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
            chat::Entity::insert_many(chats).exec_without_returning(&db).await.expect("chats");
            let periods = chunk.iter().map(|&id| access_period::ActiveModel {
                chat_id: Set(id),
                kind: Set("trial".into()),
                starts_at: Set(now - chrono::Duration::hours(1)),
                ends_at: Set(now + chrono::Duration::days(3)),
                status: Set("active".into()),
                created_at: Set(now),
                ..Default::default()
            });
            access_period::Entity::insert_many(periods).exec_without_returning(&db).await.expect("periods");
            let searches: Vec<search::ActiveModel> = chunk
                .iter()
                .map(|&id| {
                    let max = 600 + rng.next(2_000) as i64;
                    let district = DISTRICTS[rng.next(DISTRICTS.len() as u64) as usize];
                    search::ActiveModel {
                        chat_id: Set(id),
                        price_max: Set(Some(max)),
                        rooms_min: Set(Some(1.0 + rng.next(3) as f64)),
                        area_min: Set(Some(30.0 + rng.next(40) as f64)),
                        districts: Set(Some(serde_json::json!([district]).to_string())),
                        exclude: Set(Some(r#"["tausch","wbs"]"#.to_owned())),
                        paused: Set(false),
                        created_at: Set(now),
                        updated_at: Set(now),
                        ..Default::default()
                    }
                })
                .collect();
            search::Entity::insert_many(searches).exec_without_returning(&db).await.expect("searches");
        }
        println!("setup: {SEARCHES} chats, access periods and searches in {:?}", started.elapsed());

        let listings: Vec<Listing> = (0..LISTINGS)
            .map(|i| Listing {
                source: "s".into(),
                id: i.to_string(),
                url: format!("https://x.example/{i}"),
                title: format!("Schöne Wohnung {i} mit Balkon"),
                title_is_fallback: false,
                price: None,
                currency: Some("EUR".into()),
                period: Some(Period::Month),
                monthly_price: Some(500 + rng.next(2_500) as i64),
                rooms: Some(1.0 + rng.next(4) as f64),
                area_m2: Some(25.0 + rng.next(80) as f64),
                district: Some(DISTRICTS[rng.next(DISTRICTS.len() as u64) as usize].to_owned()),
                photo: None,
                photos: Vec::new(),
                description: None,
                furnished: None,
                phone: None,
                lat: None,
                lon: None,
            })
            .collect();
        let new: Vec<(i64, &Listing)> = listings.iter().enumerate().map(|(i, l)| (i as i64, l)).collect();
        let rss_before = rss_kib();
        // Reset the peak (VmHWM) so the matching's own peak is what is read.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let mut times = Vec::new();
        let mut matches = 0usize;
        for _ in 0..3 {
            let started = Instant::now();
            // As a run does: a page of candidates at a time.
            let (mut loaded, mut after) = (Duration::ZERO, 0);
            matches = 0;
            let load = Instant::now();
            let reachable = db::listings::reachable_chats(&db, Utc::now()).await.expect("reachable");
            loaded += load.elapsed();
            loop {
                let load = Instant::now();
                let mut page = db::listings::candidate_searches(&db, "s", after, db::listings::CANDIDATE_PAGE)
                    .await
                    .expect("candidates");
                loaded += load.elapsed();
                let Some(last) = page.last() else { break };
                after = last.id;
                let full = page.len() as u64 == db::listings::CANDIDATE_PAGE;
                page.retain(|s| reachable.contains(&s.chat_id));
                matches += homehound::search::match_new("s", &new, &page).len();
                if !full {
                    break;
                }
            }
            times.push((loaded, started.elapsed()));
        }
        let best = times.iter().min_by_key(|t| t.1).copied().unwrap_or((Duration::ZERO, Duration::ZERO));
        println!(
            "{LISTINGS} listings x {SEARCHES} searches: {:?} in all ({:?} loading candidates, {:?} matching), {matches} matches",
            best.1,
            best.0,
            best.1 - best.0
        );
        let peak = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
            .unwrap_or(0u64);
        println!(
            "rss: {rss_before} KiB before, peak {peak} KiB while matching (candidates read {} at a time)",
            db::listings::CANDIDATE_PAGE
        );
    });
}
