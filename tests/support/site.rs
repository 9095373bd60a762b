//! A fake listing site on 127.0.0.1: serves registered pages, or a fault.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};

/// What a path answers.
#[derive(Debug, Clone)]
pub enum Page {
    Html(String),
    Status(u16),
    /// 429 or 503 with a `Retry-After` header in seconds.
    RetryAfter(u16, u64),
    /// The page, after a delay (to trigger timeouts).
    Slow(Duration, String),
    /// Raw bytes as text/html (garbage, or a page in another encoding).
    Bytes(Vec<u8>),
    /// `len` bytes streamed without a Content-Length.
    Huge(usize),
    /// One byte every `every`, forever (a slow trickle).
    Trickle(Duration),
    /// 302 to another path.
    Redirect(String),
    /// A redirect with this status (301, 302, 307, 308) to a full URL,
    /// another host's as well.
    RedirectTo(u16, String),
    /// The page with an ETag; a matching If-None-Match gets 304.
    WithEtag(String, String),
    /// A JSON answer chosen by the request body: the first answer whose
    /// needle the body contains, else the last answer (an API's pages).
    JsonByBody(Vec<(String, String)>),
}

/// One request the site received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

#[derive(Clone, Default)]
pub struct FakeSite {
    pub base: String,
    pages: Arc<Mutex<HashMap<String, Page>>>,
    hits: Arc<Mutex<Vec<Request>>>,
}

impl FakeSite {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1").await
    }

    /// Starts on another loopback address, so it is another "host" for the
    /// fetcher's one-request-per-host rule.
    pub async fn start_on(ip: &str) -> Self {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.expect("bind fake site");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let site = Self { base, ..Default::default() };
        let app = Router::new().fallback(serve).with_state(site.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        site
    }

    /// Starts the site on its own thread and runtime (for synchronous tests).
    pub fn start_detached() -> Self {
        Self::start_detached_on("127.0.0.1")
    }

    /// [`Self::start_detached`] on another loopback address (another host).
    pub fn start_detached_on(ip: &'static str) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                tx.send(FakeSite::start_on(ip).await).expect("send site");
                std::future::pending::<()>().await;
            });
        });
        rx.recv().expect("fake site started")
    }

    pub fn set(&self, path: &str, page: Page) {
        self.pages.lock().unwrap().insert(path.to_owned(), page);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// How many times `path` was requested.
    pub fn hits_of(&self, path: &str) -> usize {
        self.hits.lock().unwrap().iter().filter(|r| r.path == path).count()
    }

    /// Paths requested so far, in order.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().iter().map(|r| r.path.clone()).collect()
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.hits.lock().unwrap().clone()
    }
}

async fn serve(
    State(site): State<FakeSite>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let path = uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    site.hits.lock().unwrap().push(Request {
        method: method.to_string(),
        path: path.clone(),
        headers: headers.clone(),
        body: body.clone(),
    });
    let page = site.pages.lock().unwrap().get(&path).cloned();
    match page {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(Page::Html(body)) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Some(Page::Status(code)) => {
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR).into_response()
        }
        Some(Page::RetryAfter(code, secs)) => (
            StatusCode::from_u16(code).unwrap_or(StatusCode::TOO_MANY_REQUESTS),
            [(header::RETRY_AFTER, secs.to_string())],
        )
            .into_response(),
        Some(Page::Slow(delay, body)) => {
            tokio::time::sleep(delay).await;
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
        }
        Some(Page::Bytes(bytes)) => ([(header::CONTENT_TYPE, "text/html")], bytes).into_response(),
        Some(Page::Huge(len)) => {
            let chunk = axum::body::Bytes::from(vec![b'a'; 64 * 1024]);
            let chunks = len.div_ceil(chunk.len());
            let stream = futures_util::stream::iter((0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
            ([(header::CONTENT_TYPE, "text/html")], axum::body::Body::from_stream(stream)).into_response()
        }
        Some(Page::Trickle(every)) => {
            let stream = futures_util::stream::unfold((), move |()| async move {
                tokio::time::sleep(every).await;
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"<")), ()))
            });
            ([(header::CONTENT_TYPE, "text/html")], axum::body::Body::from_stream(stream)).into_response()
        }
        Some(Page::Redirect(to)) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
        Some(Page::RedirectTo(code, to)) => {
            (StatusCode::from_u16(code).unwrap_or(StatusCode::FOUND), [(header::LOCATION, to)]).into_response()
        }
        Some(Page::JsonByBody(answers)) => {
            let answer = answers
                .iter()
                .find(|(needle, _)| body.contains(needle.as_str()))
                .or(answers.last())
                .map(|(_, a)| a.clone())
                .unwrap_or_default();
            ([(header::CONTENT_TYPE, "application/json")], answer).into_response()
        }
        Some(Page::WithEtag(etag, body)) => {
            if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
                return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
            }
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()), (header::ETAG, etag)], body)
                .into_response()
        }
    }
}
