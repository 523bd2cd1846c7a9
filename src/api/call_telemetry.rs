//! What each call leaves behind: one log line (method, gRPC status code,
//! latency) and its count and duration in [`Metrics`].
//!
//! A tower layer rather than code in each handler, so reflection and health
//! calls are covered too, and a handler cannot forget. Both are measured once,
//! up to the response headers, so the log and the metrics always agree. Unary
//! handlers that fail answer with a trailers-only response, which puts
//! `grpc-status` in the headers; a response without it is a success whose
//! status follows in the trailers.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

use tonic::Code;
use tower::{Layer, Service};
use tracing::Instrument as _;

use crate::metrics::Metrics;

/// Wraps a service in [`CallTelemetry`].
#[derive(Debug, Clone)]
pub struct CallTelemetryLayer {
    metrics: Metrics,
}

impl CallTelemetryLayer {
    /// Logs each call and records it into `metrics`.
    pub fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for CallTelemetryLayer {
    type Service = CallTelemetry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallTelemetry {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// Logs and records each call that passes through it.
#[derive(Debug, Clone)]
pub struct CallTelemetry<S> {
    inner: S,
    metrics: Metrics,
}

impl<S, RequestBody, ResponseBody> Service<http::Request<RequestBody>> for CallTelemetry<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        let method = request.uri().path().to_owned();
        let span = tracing::info_span!("call", method = %method);
        let metrics = self.metrics.clone();
        let started = Instant::now();
        let response = span.in_scope(|| self.inner.call(request));
        Box::pin(
            async move {
                let result = response.await;
                let elapsed = started.elapsed();
                let latency_us = elapsed.as_micros() as u64;
                match &result {
                    Ok(response) => {
                        let code = response_code(response);
                        tracing::info!(code = ?code, latency_us, "call finished");
                        metrics.record_call(&method, code, elapsed);
                    }
                    // A transport failure has no gRPC status: a counter of it
                    // would mislabel the call, so it is only logged.
                    Err(error) => {
                        tracing::warn!(%error, latency_us, "call failed in transport");
                    }
                }
                result
            }
            .instrument(span),
        )
    }
}

/// The status code of a call as far as its response headers tell: a
/// trailers-only response carries `grpc-status` there; without it the call
/// succeeded so far and its status follows in the trailers.
fn response_code<B>(response: &http::Response<B>) -> Code {
    response
        .headers()
        .get("grpc-status")
        .map_or(Code::Ok, |value| Code::from_bytes(value.as_bytes()))
}
