//! The release binary as an operator runs it, against a fake Telegram Bot
//! API on 127.0.0.1, a temp SQLite file and one source: time from start to
//! every component alive, idle memory, and time from SIGINT to exit.
//!
//! `cargo bench --bench service` prints the figures.

#[path = "../tests/support/telegram.rs"]
#[allow(dead_code)]
mod telegram;

use std::{
    io::{Read, Write},
    net::TcpStream,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn healthy(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if write!(s, "GET /healthz HTTP/1.0\r\n\r\n").is_err() {
        return false;
    }
    let mut r = String::new();
    let _ = s.read_to_string(&mut r);
    r.starts_with("HTTP/1.0 200") || r.starts_with("HTTP/1.1 200")
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let fake = telegram::FakeTelegram::start_detached();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    // One source (its site refuses connections: the scraper runs and waits).
    let sources = dir.path().join("sources.toml");
    std::fs::write(
        &sources,
        "[[sources]]\nname = \"agency\"\nkind = \"css\"\nurl = \"http://127.0.0.1:9/list\"\ninterval = \"10m\"\n\
         [sources.css]\ncard = \"article\"\nid = \"@data-id\"\nurl = \"a@href\"\ntitle = \"a\"\nprice = \".price\"\n",
    )
    .expect("sources file");
    let mut starts = Vec::new();
    let mut stops = Vec::new();
    let mut rss = Vec::new();
    for round in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
        let addr = format!("127.0.0.1:{port}");
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_homehound"))
            .current_dir(dir.path())
            .env("TELEGRAM_BOT_TOKEN", telegram::TOKEN)
            .env("TELEGRAM_API_URL", &fake.url)
            .env("DATABASE_URL", &db)
            .env("SOURCES_FILE", &sources)
            .env("HEALTH_ADDR", &addr)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn homehound");
        while !healthy(&addr) {
            assert!(started.elapsed() < Duration::from_secs(30), "not healthy");
            std::thread::sleep(Duration::from_millis(2));
        }
        starts.push(started.elapsed());
        std::thread::sleep(Duration::from_secs(if round == 0 { 10 } else { 2 }));
        rss.push(rss_kib(child.id()));
        if round == 0 {
            let rollup = std::fs::read_to_string(format!("/proc/{}/smaps_rollup", child.id())).unwrap_or_default();
            let field = |name: &str| {
                rollup.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)).unwrap_or("?")
            };
            let threads = std::fs::read_dir(format!("/proc/{}/task", child.id())).map(|d| d.count()).unwrap_or(0);
            let (rss, anon) = (field("Rss:").parse().unwrap_or(0u64), field("Anonymous:").parse().unwrap_or(0u64));
            println!(
                "idle RSS breakdown: {anon} KiB anonymous, {} KiB file-backed (code and libraries); {threads} threads",
                rss.saturating_sub(anon)
            );
        }
        let signalled = Instant::now();
        Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
        let status = child.wait().expect("wait");
        stops.push(signalled.elapsed());
        assert!(status.success(), "exit {status}");
    }
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    println!(
        "start to all components alive: median {:.0} ms ({:?} ms)",
        ms(&median(&mut starts.clone())),
        starts.iter().map(|d| ms(d).round()).collect::<Vec<_>>()
    );
    println!(
        "SIGINT to exit: median {:.0} ms ({:?} ms)",
        ms(&median(&mut stops.clone())),
        stops.iter().map(|d| ms(d).round()).collect::<Vec<_>>()
    );
    println!("idle RSS: {:?} KiB (first after 10 s idle)", rss);
    let size = std::fs::metadata(env!("CARGO_BIN_EXE_homehound")).map(|m| m.len()).unwrap_or(0);
    println!("binary size: {:.1} MiB", size as f64 / 1024.0 / 1024.0);
}
