//! One machine, 100,000 users: seeds 100,000 chats with access, 300,000
//! saved searches and 1,000,000 listings, then prints what the README
//! quotes: storing and matching a run of 1,000 new listings, one expiry
//! pass, `/stats`, `/searches` p95, the wizard summary p95, RSS and the
//! database's size.
//!
//! `cargo bench --bench scale` (SQLite, a temp file);
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench scale`
//! (a fresh schema, dropped at the end). `SCALE_CHATS`, `SCALE_LISTINGS`
//! make it smaller.

use std::time::{Duration, Instant};

use chrono::Utc;
use entity::{access_period, chat, listing, search, source};
use homehound::{
    db::{self, PoolRole, listings::RunResult},
    listing::{Listing, Period, Validators},
    search::SearchFilter,
};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait, Statement};

const DISTRICTS: [&str; 12] = [
    "Mitte",
    "Kreuzberg",
    "Neukölln",
    "Pankow",
    "Wedding",
    "Moabit",
    "Spandau",
    "Steglitz",
    "Friedrichshain",
    "Charlottenburg",
    "Schöneberg",
    "Lichtenberg",
];

fn env_or(name: &str, default: i64) -> i64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// Resets the peak RSS (`VmHWM`) so the next step's own peak can be read.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A small deterministic generator, so every run measures the same data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn p95(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[(times.len() * 95 / 100).min(times.len() - 1)]
}

async fn database() -> (String, DatabaseConnection, Option<(String, String)>, Option<tempfile::TempDir>) {
    match std::env::var("BENCH_DATABASE_URL").ok().filter(|s| !s.is_empty()) {
        Some(server) => {
            let schema = format!("bench_scale_{}", std::process::id());
            let admin = Database::connect(&server).await.expect("connect to BENCH_DATABASE_URL");
            admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.expect("schema");
            let _ = admin.close().await;
            let sep = if server.contains('?') { '&' } else { '?' };
            let url = format!("{server}{sep}options=-c%20search_path%3D{schema}");
            let db = db::connect(&url, PoolRole::Scraper).await.expect("connect");
            (url, db, Some((server, schema)), None)
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("scale.db").display());
            let db = db::connect(&url, PoolRole::Scraper).await.expect("connect");
            (url, db, None, Some(dir))
        }
    }
}

async fn size_mib(db: &DatabaseConnection, dir: Option<&tempfile::TempDir>) -> f64 {
    if let Some(dir) = dir {
        let bytes: u64 = std::fs::read_dir(dir.path())
            .map(|d| d.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum())
            .unwrap_or(0);
        return bytes as f64 / 1_048_576.0;
    }
    let sql = "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT AS n FROM pg_class c \
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'";
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect("size").expect("row");
    row.try_get::<i64>("", "n").unwrap_or(0) as f64 / 1_048_576.0
}

fn main() {
    // The run's own log line says how long reading and matching, and the
    // writing in chunks, took.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("homehound::db::listings=debug"))
        .with_writer(std::io::stdout)
        .init();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(bench());
}

async fn bench() {
    let chats = env_or("SCALE_CHATS", 100_000);
    let total_listings = env_or("SCALE_LISTINGS", 1_000_000);
    let (url, db, schema, dir) = database().await;
    db::migrate(&db).await.expect("migrate");
    let backend = db.get_database_backend().as_str();
    let now = Utc::now();
    let rows =
        db::sources::sync(&db, &[("s".into(), "css".into(), "https://s.example/".into())], now).await.expect("source");
    let source_id = rows[0].id;
    let mut seeded: source::ActiveModel = rows[0].clone().into();
    seeded.seeded_at = Set(Some(now - chrono::Duration::days(90)));
    source::Entity::update(seeded).exec(&db).await.expect("seeded");

    let mut rng = Lcg(42);
    let started = Instant::now();
    for chunk in (1..=chats).collect::<Vec<_>>().chunks(500) {
        let rows = chunk.iter().map(|&id| chat::ActiveModel {
            id: Set(id),
            language: Set(if id % 3 == 0 { "ru" } else { "en" }.into()),
            paused: Set(false),
            blocked: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        chat::Entity::insert_many(rows).exec_without_returning(&db).await.expect("chats");
        // 1 % of the chats' access ends within the hour: their reminder is due.
        let periods = chunk.iter().map(|&id| access_period::ActiveModel {
            chat_id: Set(id),
            kind: Set("trial".into()),
            starts_at: Set(now - chrono::Duration::days(2)),
            ends_at: Set(if id % 100 == 0 {
                now + chrono::Duration::minutes(30)
            } else {
                now + chrono::Duration::days(5 + id % 20)
            }),
            status: Set("active".into()),
            created_at: Set(now),
            ..Default::default()
        });
        access_period::Entity::insert_many(periods).exec_without_returning(&db).await.expect("periods");
        let searches: Vec<search::ActiveModel> = chunk
            .iter()
            .flat_map(|&id| std::iter::repeat_n(id, 3))
            .map(|id| {
                // Selective, as a flat hunter's search is: one district,
                // one room count, a price window, a minimum area; half
                // want it furnished (about 1 in 1,700 listings passes).
                let district = DISTRICTS[rng.next(DISTRICTS.len() as u64) as usize];
                let low = 500 + rng.next(2_000) as i64;
                search::ActiveModel {
                    chat_id: Set(id),
                    price_min: Set(Some(low)),
                    price_max: Set(Some(low + 300)),
                    rooms: Set(Some(format!("[\"{}\"]", 1 + rng.next(4)))),
                    area_min: Set(Some(30.0 + rng.next(40) as f64)),
                    districts: Set(Some(serde_json::json!([district]).to_string())),
                    furnished: Set((rng.next(2) == 0).then_some(true)),
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
    let seeded_chats = started.elapsed();
    let started = Instant::now();
    for first in (0..total_listings).step_by(1_000) {
        let rows = (first..(first + 1_000).min(total_listings)).map(|i| {
            let seen = now - chrono::Duration::minutes(i * 90 * 1440 / total_listings.max(1));
            listing::ActiveModel {
                source_id: Set(source_id),
                external_id: Set(format!("old{i}")),
                url: Set(format!("https://s.example/l/{i}")),
                title: Set(format!("{} rooms in {}", 1 + i % 4, DISTRICTS[(i % 12) as usize])),
                price: Set(Some(500 + (i * 7919) % 2_500)),
                currency: Set(Some("EUR".into())),
                period: Set(Some("month".into())),
                monthly_price: Set(Some(500 + (i * 7919) % 2_500)),
                rooms: Set(Some((1 + i % 4) as f64)),
                area_m2: Set(Some((25 + i % 90) as f64)),
                district: Set(Some(DISTRICTS[(i % 12) as usize].into())),
                first_seen_at: Set(seen),
                last_seen_at: Set(seen),
                updated_at: Set(seen),
                ..Default::default()
            }
        });
        listing::Entity::insert_many(rows).exec_without_returning(&db).await.expect("listings");
    }
    println!(
        "scale ({backend}): seeded {chats} chats with access and {} searches in {seeded_chats:.1?}, \
         {total_listings} listings in {:.1?}",
        chats * 3,
        started.elapsed()
    );
    // The run is measured on a settled database, as a live one is: the
    // seeding's dead tuples and hint bits vacuumed, its WAL checkpointed
    // (right after a bulk load of 1,000,000 rows, autovacuum and the
    // checkpointer would be working through it during the run).
    let started = Instant::now();
    if db.get_database_backend() == DbBackend::Postgres {
        // This schema's tables only (a bare VACUUM would go through every
        // schema of the database).
        let sql = "SELECT string_agg(quote_ident(tablename), ', ') AS t FROM pg_tables \
                   WHERE schemaname = current_schema()";
        let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.expect("tables");
        let tables: String = row.expect("row").try_get("", "t").expect("table names");
        db.execute_unprepared(&format!("VACUUM ANALYZE {tables}")).await.expect("vacuum");
        db.execute_unprepared("CHECKPOINT").await.expect("checkpoint");
    } else {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await.expect("checkpoint");
    }
    println!("  settled (vacuum, checkpoint) in {:.1?}", started.elapsed());

    // A run of 1,000 new listings: stored, matched, alerts queued.
    let new: Vec<Listing> = (0..1_000)
        .map(|i| Listing {
            source: "s".into(),
            id: format!("new{i}"),
            url: format!("https://s.example/n/{i}"),
            title: format!("Flat {i}"),
            title_is_fallback: false,
            price: Some(500.0 + rng.next(2_500) as f64),
            currency: Some("EUR".into()),
            period: Some(Period::Month),
            monthly_price: Some(500 + rng.next(2_500) as i64),
            rooms: Some(1.0 + rng.next(4) as f64),
            area_m2: Some(25.0 + rng.next(80) as f64),
            district: Some(DISTRICTS[rng.next(DISTRICTS.len() as u64) as usize].to_owned()),
            photo: None,
            photos: Vec::new(),
            description: None,
            furnished: Some(rng.next(2) == 0),
            phone: None,
            lat: None,
            lon: None,
        })
        .collect();
    let policy = homehound::scraper::run_policy(3, &[]);
    let result = RunResult::Listings { listings: new, validators: Validators::default() };
    let rss_before = status_kib("VmRSS:");
    reset_peak();
    // Meanwhile the bot writes, as users do (a /pause, a /resume), from its
    // own thread and pool, every 20 ms: how long each waits for the run.
    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (running, url) = (running.clone(), url.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let bot = db::connect(&url, PoolRole::Bot).await.expect("connect");
                let mut waits = Vec::new();
                let mut paused = false;
                while running.load(std::sync::atomic::Ordering::Acquire) {
                    paused = !paused;
                    let started = Instant::now();
                    db::chats::set_paused(&bot, 1, paused, Utc::now()).await.expect("a bot write");
                    waits.push(started.elapsed());
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                waits
            })
        })
    };
    let started = Instant::now();
    let report = db::listings::record_run(&db, source_id, Utc::now(), &result, &policy, Utc::now()).await.expect("run");
    let run_time = started.elapsed();
    running.store(false, std::sync::atomic::Ordering::Release);
    let mut waits = writer.join().expect("writer");
    let peak = status_kib("VmHWM:");
    println!(
        "  a run of 1,000 new listings against {} searches: {run_time:.1?} ({} alerts queued); RSS {} -> peak {} MiB",
        chats * 3,
        report.alerts_queued,
        rss_before / 1024,
        peak / 1024
    );
    waits.sort();
    let p99 = waits.get((waits.len() * 99 / 100).min(waits.len().saturating_sub(1))).copied().unwrap_or_default();
    println!(
        "  bot writes during the run: {} made, p99 {p99:.1?}, slowest {:.1?}",
        waits.len(),
        waits.last().copied().unwrap_or_default()
    );

    let started = Instant::now();
    let offsets = [Duration::from_secs(3 * 86_400), Duration::from_secs(86_400), Duration::from_secs(3600)];
    let pass = homehound::expiry::pass(&db, &offsets, Utc::now()).await.expect("pass");
    println!(
        "  one expiry pass over {chats} chats with access: {:.1?} ({} reminders queued)",
        started.elapsed(),
        pass.reminders
    );
    let started = Instant::now();
    let again = homehound::expiry::pass(&db, &offsets, Utc::now()).await.expect("pass");
    println!("  the next pass (nothing new due): {:.1?} ({} reminders)", started.elapsed(), again.reminders);

    let started = Instant::now();
    let stats = db::admin::stats(&db, Utc::now()).await.expect("stats");
    println!("  /stats: {:.1?} ({} chats, {} listings)", started.elapsed(), stats.chats, stats.listings);

    let mut times = Vec::new();
    for _ in 0..200 {
        let chat = 1 + rng.next(chats as u64) as i64;
        let started = Instant::now();
        let list = db::searches::list(&db, chat).await.expect("list");
        times.push(started.elapsed());
        assert_eq!(list.len(), 3);
    }
    println!("  /searches (the query): p95 {:.2?} over 200 chats", p95(times));

    let mut times = Vec::new();
    for i in 0..20 {
        let mut filter = SearchFilter { price_max: Some(1_500), area_min: Some(40.0), ..SearchFilter::default() };
        if i % 2 == 0 {
            filter.districts = vec![DISTRICTS[i % 12].to_owned()];
            filter.exclude = vec!["wbs".into()];
        }
        let started = Instant::now();
        db::searches::recent_matches(&db, &filter, Utc::now() - chrono::Duration::days(7)).await.expect("count");
        times.push(started.elapsed());
    }
    println!("  wizard summary (7-day count): p95 {:.1?} over 20 filters, half with districts", p95(times));

    // /market: the chart of one district (about 78,000 listings of the last
    // 12 weeks) and of every listing up to 2,000 a month (about 560,000: read
    // as a sample of 100,000), from the query to the PNG.
    let texts = homehound::texts::Texts(homehound::texts::Lang::En);
    for (what, filter) in [
        ("district=Mitte", SearchFilter { districts: vec!["Mitte".into()], ..Default::default() }),
        ("price=-2000", SearchFilter { price_max: Some(2_000), ..Default::default() }),
    ] {
        let (mut queries, mut draws, mut totals) = (Vec::new(), Vec::new(), Vec::new());
        let (mut listings, mut weight, mut bytes) = (0, 0, 0);
        for _ in 0..5 {
            let now = Utc::now();
            let started = Instant::now();
            let (points, w) =
                db::searches::market_points(&db, &filter, homehound::market::since(now)).await.expect("points");
            queries.push(started.elapsed());
            let drawn = Instant::now();
            let m = homehound::market::market(&points, w, now);
            let marks = homehound::chart::Marks {
                range: homehound::market::range_per_m2(filter.price_min, filter.price_max, m.median_area),
                listing: None,
            };
            let png = homehound::chart::render(&m, &texts.market_labels(what), marks).expect("chart");
            draws.push(drawn.elapsed());
            totals.push(started.elapsed());
            (listings, weight, bytes) = (m.listings, w, png.len());
        }
        println!(
            "  /market {what}: {listings} listings (read 1 in {weight}), query p95 {:.1?}, chart p95 {:.1?}, \
             total p95 {:.1?}; PNG {} KiB",
            p95(queries),
            p95(draws),
            p95(totals),
            bytes / 1024
        );
    }
    println!("  RSS now {} MiB; database {:.0} MiB", status_kib("VmRSS:") / 1024, size_mib(&db, dir.as_ref()).await);

    let _ = db.close().await;
    drop(url);
    if let Some((server, schema)) = schema {
        let admin = Database::connect(&server).await.expect("connect");
        let _ = admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
    }
}
