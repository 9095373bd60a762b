//! Runs the real `homehound` binary and reads its output and `/healthz`.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// A running `homehound` process; killed on drop.
pub struct Proc {
    child: Child,
    output: Arc<Mutex<String>>,
    pub started: Instant,
    _cwd: tempfile::TempDir,
}

/// Variables the binary reads; cleared so the caller's environment never leaks in.
const VARS: [&str; 14] = [
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "DATABASE_URL",
    "SOURCES_FILE",
    "ADMIN_CHAT_IDS",
    "TRIAL_DURATION",
    "REMINDER_OFFSETS",
    "EXPIRY_CHECK_INTERVAL",
    "PLANS",
    "TELEGRAM_RATE_LIMIT",
    "HEALTH_ADDR",
    "RUST_LOG",
    "TELEGRAM_WEBHOOK_URL",
    "WEBHOOK_ADDR",
];

impl Proc {
    /// Starts `homehound ARGS` in an empty temp directory (no `.env`) with `envs`.
    pub fn spawn(args: &[&str], envs: &[(&str, &str)]) -> Self {
        let cwd = tempfile::tempdir().expect("temp dir");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_homehound"));
        cmd.args(args).current_dir(cwd.path()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for var in VARS {
            cmd.env_remove(var);
        }
        cmd.env("RUST_LOG", "info");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let mut child = cmd.spawn().expect("spawn homehound");
        let output = Arc::new(Mutex::new(String::new()));
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>),
            child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut out = output.lock().unwrap();
                    out.push_str(&line);
                    out.push('\n');
                }
            });
        }
        Self { child, output, started, _cwd: cwd }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything printed on stdout and stderr so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Sends a signal by name (`INT`, `TERM`, `KILL`).
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill").args(["-s", sig, &self.pid().to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -s {sig} failed");
    }

    /// Waits for the process to exit, up to `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Let the reader threads drain the pipes.
                std::thread::sleep(Duration::from_millis(50));
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until the output contains `text`.
    pub fn wait_output(&self, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.output().contains(text) {
            assert!(Instant::now() < deadline, "no {text:?} in {timeout:?}; output:\n{}", self.output());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until `/healthz` answers 200 (every component alive).
    pub fn wait_healthy(&mut self, addr: SocketAddr, timeout: Duration) -> Duration {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some((200, _)) = http_get(addr, "/healthz") {
                return self.started.elapsed();
            }
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!("homehound exited early with {status}; output:\n{}", self.output());
            }
            assert!(Instant::now() < deadline, "not healthy in {timeout:?}; output:\n{}", self.output());
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port on 127.0.0.1.
pub fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr")
}

/// A minimal HTTP/1.0 GET; `None` when nothing listens.
pub fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Some((status, body))
}
