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
        let span = tracing::info_span!("call", method = %request.uri().path());
        let mut record = CallRecord {
            method: request.uri().path().to_owned(),
            metrics: self.metrics.clone(),
            started: Instant::now(),
            finished: false,
        };
        let response = span.in_scope(|| self.inner.call(request));
        Box::pin(
            async move {
                let result = response.await;
                match &result {
                    Ok(response) => record.finish(response_code(response)),
                    // A transport failure has no gRPC status: a counter of it
                    // would mislabel the call, so it is only logged.
                    Err(error) => {
                        record.finished = true;
                        let latency_us = record.started.elapsed().as_micros() as u64;
                        tracing::warn!(%error, latency_us, "call failed in transport");
                    }
                }
                result
            }
            .instrument(span),
        )
    }
}

/// One call on its way: recorded once, when it finishes, or as CANCELLED
/// when its future is dropped first: the client reset the stream or went
/// away, or the call ran past `--call-timeout` (which tonic answers with
/// CANCELLED), and the server stopped working on it.
struct CallRecord {
    method: String,
    metrics: Metrics,
    started: Instant,
    finished: bool,
}

impl CallRecord {
    fn finish(&mut self, code: Code) {
        self.finished = true;
        let elapsed = self.started.elapsed();
        let latency_us = elapsed.as_micros() as u64;
        tracing::info!(code = ?code, latency_us, "call finished");
        self.metrics.record_call(&self.method, code, elapsed);
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        if !self.finished {
            // Dropped outside the call's span: name the method in the line.
            let method = std::mem::take(&mut self.method);
            let elapsed = self.started.elapsed();
            tracing::info!(
                method,
                code = ?Code::Cancelled,
                latency_us = elapsed.as_micros() as u64,
                "call ended without a response: cancelled by the client or past --call-timeout"
            );
            self.metrics.record_call(&method, Code::Cancelled, elapsed);
            self.finished = true;
        }
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
