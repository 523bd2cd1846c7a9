//! Counts each call and times it into [`Metrics`], by method and status code.
//!
//! A sibling of [`super::call_log`], measured the same way (up to the response
//! headers, reading the code from a trailers-only response), so the log line
//! and the metrics of a call always agree.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

use tower::{Layer, Service};

use super::call_log::response_code;
use crate::metrics::Metrics;

/// Wraps a service in [`CallMetrics`].
#[derive(Debug, Clone)]
pub struct CallMetricsLayer {
    metrics: Metrics,
}

impl CallMetricsLayer {
    /// Records into `metrics`.
    pub fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for CallMetricsLayer {
    type Service = CallMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallMetrics {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// Records each call that passes through it.
#[derive(Debug, Clone)]
pub struct CallMetrics<S> {
    inner: S,
    metrics: Metrics,
}

impl<S, RequestBody, ResponseBody> Service<http::Request<RequestBody>> for CallMetrics<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        let path = request.uri().path().to_owned();
        let metrics = self.metrics.clone();
        let started = Instant::now();
        let response = self.inner.call(request);
        Box::pin(async move {
            let result = response.await;
            // A transport failure has no gRPC status; the connection's
            // error is logged by the call log, and a counter of it would
            // mislabel the call.
            if let Ok(response) = &result {
                metrics.record_call(&path, response_code(response), started.elapsed());
            }
            result
        })
    }
}
