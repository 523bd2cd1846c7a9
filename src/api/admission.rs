//! Admission control: whether a call may start at all, and what it holds
//! while it runs.
//!
//! Every check answers at once (RESOURCE_EXHAUSTED, or DEADLINE_EXCEEDED
//! for a request that never arrives) rather than letting work queue without
//! bound:
//! - a per-client rate limit, keyed by the peer's IP address (health checks
//!   are exempt: probes must not be throttled into "unhealthy");
//! - the call's first request message must arrive within
//!   `--request-read-timeout`, and only then does the call count against any
//!   budget, so streams that send headers and nothing else cannot hold the
//!   budget for everyone;
//! - separate budgets of calls in progress for reads and for writes, so a
//!   flood of writes never sheds reads; each budget is global (overload is
//!   the sum of all connections) and one client address may hold only
//!   `--client-call-share` percent of it;
//! - request bytes read before a call is admitted share one byte budget, so
//!   calls waiting for their message cannot hold unbounded memory;
//! - streams that live as long as the client wants (Health.Watch, and
//!   reflection's bidirectional stream) are capped in total and per
//!   connection on top of counting as calls.
//!
//! What a call holds is released when its response body ends, not when its
//! handler returns: a streaming response lives longer than its handler.

use std::{
    collections::HashMap,
    future::Future,
    hash::Hash,
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http_body::Frame;
use http_body_util::BodyExt as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{Status, body::Body, transport::server::TcpConnectInfo};
use tower::{Layer, Service};

use crate::config::Limits;

/// Above this many tracked clients, forget those whose bucket has refilled.
const RATE_LIMIT_CLIENTS_BEFORE_CLEANUP: usize = 10_000;
/// The methods that write: they draw on the write budget.
const WRITE_METHODS: &[&str] = &[
    "/qbank.v1.QuestionBank/SubmitAnswer",
    "/qbank.v1.QuestionBank/CreateQuestion",
    "/qbank.v1.QuestionBank/UpdateQuestion",
    "/qbank.v1.QuestionBank/DeleteQuestion",
    "/qbank.v1.QuestionBank/UndeleteQuestion",
    "/qbank.v1.QuestionBank/ImportQuestions",
    "/qbank.v1.QuestionBank/ReportQuestion",
    "/qbank.v1.QuestionBank/ResolveQuestionReport",
];
const HEALTH_SERVICE: &str = "/grpc.health.v1.Health/";
/// Methods whose stream stays open for as long as the client wants.
const OPEN_ENDED_METHODS: &[&str] = &[
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];
/// Request bytes buffered before admission, in messages of the largest
/// size: enough for every honest call (their requests are small), and a
/// bound on what calls that never finish their message can hold.
const PENDING_MESSAGES_OF_MAX_SIZE: usize = 256;
/// A gRPC message starts with a compression flag and a 4-byte length.
const MESSAGE_HEADER_BYTES: usize = 5;

/// Shared admission state; cheap to clone.
#[derive(Debug, Clone)]
pub struct AdmissionLayer {
    policy: Arc<Policy>,
}

#[derive(Debug)]
struct Policy {
    reads: Arc<Budget<IpAddr>>,
    writes: Arc<Budget<IpAddr>>,
    open_ended: Arc<Budget<SocketAddr>>,
    /// Bytes of requests read but not yet admitted, one permit a byte.
    pending_bytes: Arc<Semaphore>,
    rate_limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    request_read_timeout: Duration,
    max_message_bytes: usize,
}

impl AdmissionLayer {
    /// Admits calls within `limits`.
    pub fn new(limits: &Limits) -> Self {
        let per_client = |budget: usize| {
            (budget * usize::from(limits.client_call_share))
                .div_ceil(100)
                .max(1)
        };
        let rate_limiter = NonZeroU32::new(limits.rate_limit)
            .map(|rate| RateLimiter::keyed(Quota::per_second(rate).allow_burst(rate)));
        Self {
            policy: Arc::new(Policy {
                reads: Budget::new(
                    limits.max_concurrent_calls,
                    per_client(limits.max_concurrent_calls),
                ),
                writes: Budget::new(
                    limits.max_concurrent_writes,
                    per_client(limits.max_concurrent_writes),
                ),
                open_ended: Budget::new(
                    limits.max_streaming_calls,
                    limits.max_streaming_calls_per_connection as usize,
                ),
                pending_bytes: Arc::new(Semaphore::new(
                    (limits.max_message_bytes + MESSAGE_HEADER_BYTES)
                        .saturating_mul(PENDING_MESSAGES_OF_MAX_SIZE)
                        .min(Semaphore::MAX_PERMITS),
                )),
                rate_limiter,
                request_read_timeout: limits.request_read_timeout,
                max_message_bytes: limits.max_message_bytes,
            }),
        }
    }
}

impl<S> Layer<S> for AdmissionLayer {
    type Service = Admission<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Admission {
            inner,
            policy: self.policy.clone(),
        }
    }
}

/// Rejects calls beyond the limits; see the module's documentation.
#[derive(Debug, Clone)]
pub struct Admission<S> {
    inner: S,
    policy: Arc<Policy>,
}

impl<S> Service<http::Request<Body>> for Admission<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let peer = peer_addr(&request);
        let path = request.uri().path();
        let is_health = path.starts_with(HEALTH_SERVICE);
        let is_open_ended = OPEN_ENDED_METHODS.contains(&path);
        let is_write = WRITE_METHODS.contains(&path);
        if let (Some(limiter), Some(peer), false) = (&self.policy.rate_limiter, peer, is_health) {
            if limiter.len() > RATE_LIMIT_CLIENTS_BEFORE_CLEANUP {
                limiter.retain_recent();
            }
            if limiter.check_key(&peer.ip()).is_err() {
                return reject(Status::resource_exhausted(
                    "rate limit exceeded for this client; slow down and retry",
                ));
            }
        }
        // The ready service goes into the future; this one stays for the
        // next call (tower's contract: call only what poll_ready readied).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let policy = self.policy.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = match first_message(body, &policy).await {
                Ok(body) => body,
                Err(status) => return Ok(status.into_http()),
            };
            let held = match policy.admit(peer, is_write, is_open_ended) {
                Ok(held) => held,
                Err(status) => return Ok(status.into_http()),
            };
            let response = inner.call(http::Request::from_parts(parts, body)).await?;
            Ok(response.map(|body| Body::new(Holding { body, _held: held })))
        })
    }
}

impl Policy {
    /// What a call draws on: its budget, and for an open-ended stream a
    /// slot of those.
    fn admit(
        &self,
        peer: Option<SocketAddr>,
        is_write: bool,
        is_open_ended: bool,
    ) -> Result<Held, Status> {
        let budget = if is_write { &self.writes } else { &self.reads };
        let call = budget.admit(peer.map(|peer| peer.ip())).ok_or_else(|| {
            Status::resource_exhausted(if is_write {
                "the server is at its limit of writes in progress; retry with backoff"
            } else {
                "the server is at its limit of calls in progress; retry with backoff"
            })
        })?;
        let open_ended = if is_open_ended {
            Some(self.open_ended.admit(peer).ok_or_else(|| {
                Status::resource_exhausted(
                    "too many open-ended streams (Health.Watch, reflection) are open; close one, \
                     or use Health.Check",
                )
            })?)
        } else {
            None
        };
        Ok(Held {
            _call: call,
            _open_ended: open_ended,
        })
    }
}

/// Slots in progress, at most `capacity` in all and `per_key` for any one
/// key (a client address, or a connection).
#[derive(Debug)]
struct Budget<K> {
    slots: Arc<Semaphore>,
    per_key: usize,
    by_key: Mutex<HashMap<K, usize>>,
}

impl<K: Eq + Hash + Copy> Budget<K> {
    fn new(capacity: usize, per_key: usize) -> Arc<Self> {
        Arc::new(Self {
            slots: Arc::new(Semaphore::new(capacity)),
            per_key,
            by_key: Mutex::default(),
        })
    }

    /// A slot, unless the budget or the key's share of it is used up. A
    /// call without a known key (not over TCP) only draws on the total.
    fn admit(self: &Arc<Self>, key: Option<K>) -> Option<Slot<K>> {
        let permit = self.slots.clone().try_acquire_owned().ok()?;
        if let Some(key) = key {
            let mut by_key = self.by_key.lock().unwrap_or_else(PoisonError::into_inner);
            // Checked before inserting: a refused key leaves no entry behind.
            if by_key.get(&key).copied().unwrap_or(0) >= self.per_key {
                return None;
            }
            *by_key.entry(key).or_default() += 1;
        }
        Some(Slot {
            budget: self.clone(),
            key,
            _permit: permit,
        })
    }
}

/// One slot of a [`Budget`], given back when dropped.
#[derive(Debug)]
struct Slot<K: Eq + Hash + Copy> {
    budget: Arc<Budget<K>>,
    key: Option<K>,
    _permit: OwnedSemaphorePermit,
}

impl<K: Eq + Hash + Copy> Drop for Slot<K> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut by_key = self
            .budget
            .by_key
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(held) = by_key.get_mut(&key) {
            *held -= 1;
            // Forgotten at zero, so the map only holds active clients.
            if *held == 0 {
                by_key.remove(&key);
            }
        }
    }
}

/// What a call holds while it runs: its slot of a budget (keyed by client
/// address) and, for an open-ended stream, a slot of those (keyed by
/// connection).
#[derive(Debug)]
struct Held {
    _call: Slot<IpAddr>,
    _open_ended: Option<Slot<SocketAddr>>,
}

/// A response body that keeps its call's slots until it is done.
struct Holding {
    body: Body,
    _held: Held,
}

impl http_body::Body for Holding {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// Waits until the call's first request message has arrived whole (or the
/// request has ended), within `--request-read-timeout`, and returns a body
/// that replays what was read, then the rest. A message longer than the
/// size limit counts as arrived once its header has: tonic refuses it then.
async fn first_message(mut body: Body, policy: &Policy) -> Result<Body, Status> {
    let mut read = Vec::new();
    let mut header = [0_u8; MESSAGE_HEADER_BYTES];
    let mut received = 0_usize;
    // Released once the call is admitted or refused: from then on the call
    // budget bounds what it holds.
    let mut buffered: Option<OwnedSemaphorePermit> = None;
    let arrived = async {
        loop {
            if received >= MESSAGE_HEADER_BYTES {
                let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
                let length = usize::try_from(length).unwrap_or(usize::MAX);
                if length > policy.max_message_bytes || received - MESSAGE_HEADER_BYTES >= length {
                    return Ok(false);
                }
            }
            let Some(frame) = body.frame().await else {
                return Ok(true);
            };
            let frame = frame?;
            if let Some(data) = frame.data_ref() {
                let bytes = u32::try_from(data.len()).unwrap_or(u32::MAX);
                let permit = policy
                    .pending_bytes
                    .clone()
                    .try_acquire_many_owned(bytes)
                    .map_err(|_| {
                        Status::resource_exhausted(
                            "the server holds too many requests that have not fully arrived; \
                             retry with backoff",
                        )
                    })?;
                match &mut buffered {
                    Some(held) => held.merge(permit),
                    None => buffered = Some(permit),
                }
                for (index, byte) in data.iter().take(MESSAGE_HEADER_BYTES).enumerate() {
                    if let Some(slot) = header.get_mut(received + index) {
                        *slot = *byte;
                    }
                }
                received += data.len();
            }
            read.push(frame);
        }
    };
    let ended = match tokio::time::timeout(policy.request_read_timeout, arrived).await {
        Ok(Ok(ended)) => ended,
        Ok(Err(status)) => return Err(status),
        Err(_) => {
            return Err(Status::deadline_exceeded(format!(
                "the request message did not arrive within {:?} of its headers",
                policy.request_read_timeout
            )));
        }
    };
    Ok(Body::new(Replay {
        read: read.into(),
        rest: (!ended).then_some(body),
    }))
}

/// The frames already read, then the rest of the body.
struct Replay {
    read: std::collections::VecDeque<Frame<Bytes>>,
    rest: Option<Body>,
}

impl http_body::Body for Replay {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if let Some(frame) = self.read.pop_front() {
            return Poll::Ready(Some(Ok(frame)));
        }
        match &mut self.rest {
            Some(rest) => Pin::new(rest).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.read.is_empty() && self.rest.as_ref().is_none_or(Body::is_end_stream)
    }
}

fn reject<Error: Send + 'static>(
    status: Status,
) -> Pin<Box<dyn Future<Output = Result<http::Response<Body>, Error>> + Send>> {
    Box::pin(std::future::ready(Ok(status.into_http())))
}

/// The caller's address (and so its connection), as the transport tells.
fn peer_addr<B>(request: &http::Request<B>) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
}
