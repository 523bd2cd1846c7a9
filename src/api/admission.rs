//! Admission control: whether a call may start at all.
//!
//! Two checks, both answering RESOURCE_EXHAUSTED at once rather than letting
//! work queue without bound: a per-client rate limit (keyed by the peer's IP
//! address) and a server-wide cap on calls in progress (load shedding). The
//! cap is global, unlike tonic's per-connection limit, because overload comes
//! from the sum of all connections.

use std::{
    future::Future,
    net::IpAddr,
    num::NonZeroU32,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;
use tonic::{
    Status,
    transport::server::{TcpConnectInfo, TlsConnectInfo},
};
use tower::{Layer, Service};

/// Above this many tracked clients, forget those whose bucket has refilled.
const RATE_LIMIT_CLIENTS_BEFORE_CLEANUP: usize = 10_000;

/// Shared admission state; cheap to clone.
#[derive(Debug, Clone)]
pub struct AdmissionLayer {
    calls_in_progress: Arc<Semaphore>,
    rate_limiter: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
}

impl AdmissionLayer {
    /// Admits at most `max_concurrent_calls` at once and, unless
    /// `calls_per_second` is 0, that many calls per second per client IP
    /// (with bursts of the same size).
    pub fn new(max_concurrent_calls: usize, calls_per_second: u32) -> Self {
        let rate_limiter = NonZeroU32::new(calls_per_second).map(|rate| {
            Arc::new(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(rate),
            ))
        });
        Self {
            calls_in_progress: Arc::new(Semaphore::new(max_concurrent_calls)),
            rate_limiter,
        }
    }
}

impl<S> Layer<S> for AdmissionLayer {
    type Service = Admission<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Admission {
            inner,
            policy: self.clone(),
        }
    }
}

/// Rejects calls over the rate limit or the concurrency cap.
#[derive(Debug, Clone)]
pub struct Admission<S> {
    inner: S,
    policy: AdmissionLayer,
}

impl<S, RequestBody, ResponseBody> Service<http::Request<RequestBody>> for Admission<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResponseBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        if let (Some(limiter), Some(peer)) = (&self.policy.rate_limiter, peer_ip(&request)) {
            if limiter.len() > RATE_LIMIT_CLIENTS_BEFORE_CLEANUP {
                limiter.retain_recent();
            }
            if limiter.check_key(&peer).is_err() {
                return reject("rate limit exceeded for this client; slow down and retry");
            }
        }
        // The permit lives as long as the call's future: released when the
        // handler finishes, whether it succeeds, fails or is cancelled.
        let Ok(permit) = self.policy.calls_in_progress.clone().try_acquire_owned() else {
            return reject("the server is at its limit of calls in progress; retry with backoff");
        };
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await;
            drop(permit);
            response
        })
    }
}

fn reject<ResponseBody, Error>(
    message: &'static str,
) -> Pin<Box<dyn Future<Output = Result<http::Response<ResponseBody>, Error>> + Send>>
where
    ResponseBody: Default + Send + 'static,
    Error: Send + 'static,
{
    let response = Status::resource_exhausted(message).into_http();
    Box::pin(std::future::ready(Ok(response)))
}

/// The caller's IP address, over plaintext or TLS.
fn peer_ip<B>(request: &http::Request<B>) -> Option<IpAddr> {
    let extensions = request.extensions();
    extensions
        .get::<TcpConnectInfo>()
        .or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .map(TlsConnectInfo::get_ref)
        })
        .and_then(TcpConnectInfo::remote_addr)
        .map(|addr| addr.ip())
}
