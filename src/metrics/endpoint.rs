//! The scrape endpoint: `GET /metrics` over plain HTTP/1.1 on its own
//! listener, so it can stay on a private network while gRPC is public.

use axum::{Router, http::header, response::IntoResponse, routing::get};
use tokio::net::TcpListener;

use super::Metrics;

/// What Prometheus expects for the OpenMetrics text format.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serves `metrics` at `/metrics` on `listener` until the task is dropped or
/// the listener fails.
pub async fn serve_metrics(listener: TcpListener, metrics: Metrics) -> std::io::Result<()> {
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move { ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.render()).into_response() }
        }),
    );
    axum::serve(listener, app).await
}
