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
}

#[derive(Clone, Default)]
pub struct FakeSite {
    pub base: String,
    pages: Arc<Mutex<HashMap<String, Page>>>,
    hits: Arc<Mutex<Vec<(String, HeaderMap)>>>,
}

impl FakeSite {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake site");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let site = Self { base, ..Default::default() };
        let app = Router::new().fallback(serve).with_state(site.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        site
    }

    pub fn set(&self, path: &str, page: Page) {
        self.pages.lock().unwrap().insert(path.to_owned(), page);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Paths requested so far, in order.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().iter().map(|(p, _)| p.clone()).collect()
    }
}

async fn serve(State(site): State<FakeSite>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    site.hits.lock().unwrap().push((path.clone(), headers));
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
    }
}
