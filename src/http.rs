//! `HEALTH_ADDR`: `/healthz` (JSON; 200 only while every component is alive,
//! else 503) and `/metrics` (Prometheus text).

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use serde::Serialize;
use tokio::net::TcpListener;

use crate::{
    health::{ComponentStatus, Health},
    shutdown::Shutdown,
};

#[derive(Serialize)]
struct HealthBody {
    status: &'static str,
    components: Vec<ComponentStatus>,
}

async fn healthz(State(health): State<Arc<Health>>) -> impl IntoResponse {
    let ok = health.all_alive();
    let body = HealthBody { status: if ok { "ok" } else { "degraded" }, components: health.snapshot() };
    let code = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(body))
}

async fn metrics(State(health): State<Arc<Health>>) -> impl IntoResponse {
    let mut text = String::with_capacity(2048);
    health.render_prometheus(&mut text);
    crate::metrics::render(&mut text);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

pub fn router(health: Arc<Health>) -> Router {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics)).with_state(health)
}

/// Serves health and metrics on `listener` until shutdown.
pub async fn serve(listener: TcpListener, health: Arc<Health>, shutdown: Shutdown) -> std::io::Result<()> {
    axum::serve(listener, router(health)).with_graceful_shutdown(async move { shutdown.wait().await }).await
}
