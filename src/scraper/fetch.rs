//! Fetching listing pages politely and safely.
//!
//! - connect and total timeouts (the total covers a slow trickle of a body);
//! - a body size cap, read chunk by chunk, never buffering past it;
//! - gzip and brotli, a browser User-Agent, at most 5 redirects;
//! - one request at a time per host, with a politeness delay between them;
//! - retries with exponential backoff and jitter on timeouts, network errors
//!   and 5xx; `Retry-After` honoured on 429 and 503;
//! - conditional GET (`If-None-Match`, `If-Modified-Since`);
//! - 401/403 reported as blocked (captcha and consent walls are recognised
//!   by content in the adapters).
//!
//! Every wait races the shutdown signal.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use reqwest::{StatusCode, Url, header};
use tokio::sync::Mutex as AsyncMutex;

pub use super::request::HttpRequest;
use crate::shutdown::Shutdown;

/// Limits of one [`Fetcher`].
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub connect_timeout: Duration,
    /// From connecting until the last byte of the body.
    pub total_timeout: Duration,
    pub max_body: usize,
    pub max_redirects: usize,
    /// Least time between two requests to one host.
    pub politeness: Duration,
    /// Attempts per fetch (1 = no retry).
    pub attempts: u32,
    pub backoff_base: Duration,
    /// A `Retry-After` longer than this ends the run instead of waiting.
    pub max_retry_after: Duration,
    pub user_agent: String,
    /// A whole run (every page, retries and waits included) ends as failed
    /// after this.
    pub run_timeout: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_body: 8 * 1024 * 1024,
            max_redirects: 5,
            politeness: Duration::from_secs(3),
            attempts: 3,
            backoff_base: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(120),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0".to_owned(),
            run_timeout: Duration::from_secs(5 * 60),
        }
    }
}

pub use crate::listing::Validators;

/// A fetched page.
#[derive(Debug)]
pub enum Fetched {
    Page {
        body: String,
        url: Url,
        validators: Validators,
    },
    /// 304: unchanged since the validators were issued.
    NotModified,
}

/// Why a fetch failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("timed out")]
    Timeout,
    #[error("HTTP {0}")]
    Status(u16),
    #[error("blocked by the site (HTTP {0})")]
    Blocked(u16),
    #[error("rate limited; the site asks to wait {0:?}")]
    RateLimited(Duration),
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    #[error("too many redirects")]
    Redirects,
    #[error("redirected to another host ({0}) with a request body holding a secret: not followed")]
    SecretRedirect(String),
    #[error("network error: {0}")]
    Network(String),
    #[error("shutting down")]
    Shutdown,
}

impl FetchError {
    fn retryable(&self) -> bool {
        match self {
            FetchError::Timeout | FetchError::Network(_) => true,
            FetchError::Status(code) => *code >= 500,
            _ => false,
        }
    }
}

/// An HTTP client for listing sites, shared by every source of one thread.
pub struct Fetcher {
    client: reqwest::Client,
    options: FetchOptions,
    /// Per host: held during a request; holds when the host may be asked again.
    hosts: Mutex<HashMap<String, Arc<AsyncMutex<Option<Instant>>>>>,
    shutdown: Shutdown,
}

impl Fetcher {
    pub fn new(options: FetchOptions, shutdown: Shutdown) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.total_timeout)
            // Redirects are followed by `request`, which keeps secrets at home.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(options.user_agent.clone())
            .gzip(true)
            .brotli(true)
            .cookie_store(true)
            .build()
            .map_err(|e| FetchError::Network(e.without_url().to_string()))?;
        Ok(Self { client, options, hosts: Mutex::new(HashMap::new()), shutdown })
    }

    fn host_slot(&self, url: &Url) -> Arc<AsyncMutex<Option<Instant>>> {
        let host = url.host_str().unwrap_or_default().to_owned();
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts.entry(host).or_default().clone()
    }

    /// GETs `url` with retries; `validators` make it conditional.
    pub async fn fetch(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        self.send(&HttpRequest::get(url.clone()), validators).await
    }

    /// Sends `req` with retries; `validators` make a GET conditional. Errors
    /// never hold the request's secrets.
    pub async fn send(&self, req: &HttpRequest, validators: &Validators) -> Result<Fetched, FetchError> {
        self.send_retrying(req, validators).await.map_err(|e| match e {
            FetchError::Network(text) => FetchError::Network(req.scrub(&text)),
            other => other,
        })
    }

    async fn send_retrying(&self, req: &HttpRequest, validators: &Validators) -> Result<Fetched, FetchError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.fetch_once(req, validators).await;
            let delay = match &result {
                Err(FetchError::RateLimited(wait)) if *wait <= self.options.max_retry_after => *wait,
                Err(e) if e.retryable() => self.backoff(attempt),
                _ => return result,
            };
            if attempt >= self.options.attempts {
                return result;
            }
            tracing::debug!(request = ?req, attempt, ?delay, error = ?result.as_ref().err().map(|e| req.scrub(&e.to_string())), "retrying fetch");
            if !self.shutdown.sleep(delay).await {
                return Err(FetchError::Shutdown);
            }
        }
    }

    /// Exponential backoff with ±25 % jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.options.backoff_base.saturating_mul(1 << attempt.saturating_sub(1).min(6));
        base.mul_f64(jitter(0.75, 1.25))
    }

    async fn fetch_once(&self, req: &HttpRequest, validators: &Validators) -> Result<Fetched, FetchError> {
        let slot = self.host_slot(&req.url);
        // One request at a time per host; wait out the politeness delay.
        let mut next_allowed = tokio::select! {
            guard = slot.lock() => guard,
            _ = self.shutdown.wait() => return Err(FetchError::Shutdown),
        };
        if let Some(at) = *next_allowed {
            let wait = at.saturating_duration_since(Instant::now());
            if !wait.is_zero() && !self.shutdown.sleep(wait).await {
                return Err(FetchError::Shutdown);
            }
        }
        let result = tokio::select! {
            r = self.request(req, validators) => r,
            _ = self.shutdown.wait() => Err(FetchError::Shutdown),
        };
        *next_allowed = Some(Instant::now() + self.options.politeness);
        result
    }

    /// One request of `spec`, following up to `max_redirects` redirects by
    /// hand: a header or body holding a secret goes only to the source's
    /// own host (a 307/308 to another host with a secret body is refused).
    async fn request(&self, spec: &HttpRequest, validators: &Validators) -> Result<Fetched, FetchError> {
        let mut url = spec.url.clone();
        let mut post = spec.post;
        let mut body = spec.body.clone();
        let mut redirects = 0;
        let mut response = loop {
            let response = self.send_one(spec, &url, post, body.as_deref(), validators).await?;
            let status = response.status();
            let location = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok());
            let redirect = status.is_redirection() && status != StatusCode::NOT_MODIFIED;
            let Some(next) = location.filter(|_| redirect).and_then(|l| url.join(l).ok()) else {
                break response;
            };
            redirects += 1;
            if redirects > self.options.max_redirects || !matches!(next.scheme(), "http" | "https") {
                return Err(FetchError::Redirects);
            }
            if matches!(status, StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT) {
                if !spec.at_home(&next) && body.as_deref().is_some_and(|b| spec.holds_secret(b)) {
                    return Err(FetchError::SecretRedirect(next.host_str().unwrap_or_default().to_owned()));
                }
            } else {
                // 301, 302, 303: the next request is a GET without a body.
                post = false;
                body = None;
            }
            url = next;
        };
        let status = response.status();
        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            return Err(FetchError::Status(status.as_u16()));
        }
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            let wait = retry_after(response.headers());
            return Err(match wait {
                Some(wait) => FetchError::RateLimited(wait),
                None if status == StatusCode::SERVICE_UNAVAILABLE => FetchError::Status(503),
                None => FetchError::RateLimited(self.options.backoff_base),
            });
        }
        if status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED {
            return Err(FetchError::Blocked(status.as_u16()));
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        if response.content_length().is_some_and(|len| len > self.options.max_body as u64) {
            return Err(FetchError::TooLarge(self.options.max_body));
        }
        let header_str = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let validators =
            Validators { etag: header_str(header::ETAG), last_modified: header_str(header::LAST_MODIFIED) };
        let final_url = response.url().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > self.options.max_body {
                return Err(FetchError::TooLarge(self.options.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        // Pages are decoded as UTF-8; invalid bytes become U+FFFD rather than
        // failing the run.
        let body = String::from_utf8(body).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok(Fetched::Page { body, url: final_url, validators })
    }

    /// One HTTP request of `spec` to `url` (no redirect followed): the
    /// headers that may go there, the body, and `validators` on a GET.
    async fn send_one(
        &self,
        spec: &HttpRequest,
        url: &Url,
        post: bool,
        body: Option<&str>,
        validators: &Validators,
    ) -> Result<reqwest::Response, FetchError> {
        let mut req = if post { self.client.post(url.clone()) } else { self.client.get(url.clone()) };
        req = req.header(header::ACCEPT, "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8");
        for (name, value) in spec.headers_for(url) {
            req = req.header(name.as_str(), value.as_str());
        }
        if let Some(body) = body {
            if !spec.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
                req = req.header(header::CONTENT_TYPE, "application/json");
            }
            req = req.body(body.to_owned());
        }
        if !post {
            if let Some(etag) = &validators.etag {
                req = req.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &validators.last_modified {
                req = req.header(header::IF_MODIFIED_SINCE, lm);
            }
        }
        req.send().await.map_err(classify)
    }
}

fn classify(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout
    } else if e.is_redirect() {
        FetchError::Redirects
    } else {
        FetchError::Network(error_chain(&e.without_url()))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `Retry-After` as seconds or an HTTP date (the time until it; a date
/// past is no wait). A value that is neither is read as "a minute".
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    Some(match httpdate::parse_http_date(value) {
        Ok(at) => at.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO),
        Err(_) => Duration::from_secs(60),
    })
}

/// A random factor in `[lo, hi)`, for jitter.
pub fn jitter(lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * fastrand::f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..1000 {
            let j = jitter(0.9, 1.1);
            assert!((0.9..1.1).contains(&j), "{j}");
        }
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut h = header::HeaderMap::new();
        h.insert(header::RETRY_AFTER, header::HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        // An HTTP date: the time until it.
        let at = std::time::SystemTime::now() + Duration::from_secs(120);
        h.insert(header::RETRY_AFTER, header::HeaderValue::from_str(&httpdate::fmt_http_date(at)).unwrap());
        let wait = retry_after(&h).unwrap();
        assert!((Duration::from_secs(118)..=Duration::from_secs(120)).contains(&wait), "{wait:?}");
        h.insert(header::RETRY_AFTER, header::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&h), Some(Duration::ZERO), "a date past");
        h.insert(header::RETRY_AFTER, header::HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(60)));
    }
}
