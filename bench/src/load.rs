//! The load generator: `concurrency` callers spread over `connections` HTTP/2
//! connections, each calling again as soon as its previous call returns
//! (a closed loop), through a warm-up and then a measured window. The server's
//! CPU time is read at the edges of the window, so it covers the same calls.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use tonic::transport::{Channel, Endpoint};

use crate::{
    BenchResult,
    client::DiscardingClient,
    process::{ServerProcess, cpu_time},
    workload::{Rpc, Workload},
};

/// Latencies are recorded in nanoseconds, from 1 µs to a minute, to three
/// significant digits.
const LOWEST_LATENCY_NS: u64 = 1_000;
const HIGHEST_LATENCY_NS: u64 = 60_000_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;

/// How hard and for how long to drive a server.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoadShape {
    /// HTTP/2 connections to the server.
    pub(crate) connections: usize,
    /// Calls in flight at any moment.
    pub(crate) concurrency: usize,
    /// Load before the window, not counted: connections warm, caches fill.
    pub(crate) warmup: Duration,
    /// The measured window.
    pub(crate) duration: Duration,
}

/// What one measurement saw in its window.
#[derive(Debug, Clone)]
pub(crate) struct Measurement {
    /// Successful calls that completed in the window.
    pub(crate) calls: u64,
    /// Failed calls that completed in the window.
    pub(crate) errors: u64,
    /// Bytes of the successful calls' response messages.
    pub(crate) response_bytes: u64,
    /// The first failure, for the report.
    pub(crate) first_error: Option<String>,
    /// The window's actual length.
    pub(crate) window: Duration,
    /// Latency of the successful calls, in nanoseconds.
    pub(crate) latency: Histogram<u64>,
    /// CPU time the server used in the window.
    pub(crate) server_cpu: Duration,
    /// CPU time the load generator used in the window: near a whole CPU, the
    /// generator and not the server may be the limit.
    pub(crate) load_cpu: Duration,
    /// The server's peak resident set size at the end of the window, in KiB.
    pub(crate) server_peak_rss_kib: u64,
}

impl Measurement {
    /// Successful calls per second.
    pub(crate) fn calls_per_second(&self) -> f64 {
        self.calls as f64 / self.window.as_secs_f64()
    }

    /// The latency at `quantile` (0.5 is the median), in microseconds.
    pub(crate) fn latency_us(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1_000.0
    }

    /// Mean size of a response message, in bytes: the same for both servers
    /// if the baseline's constant responses are like the real ones.
    pub(crate) fn mean_response_bytes(&self) -> f64 {
        self.response_bytes as f64 / self.calls.max(1) as f64
    }

    /// Server CPU per successful call, in microseconds.
    pub(crate) fn server_cpu_per_call_us(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1e6 / self.calls.max(1) as f64
    }

    /// The server's CPU use in the window, as a share of one CPU.
    pub(crate) fn server_cpu_share(&self) -> f64 {
        self.server_cpu.as_secs_f64() / self.window.as_secs_f64()
    }

    /// The load generator's CPU use in the window, as a share of one CPU.
    pub(crate) fn load_cpu_share(&self) -> f64 {
        self.load_cpu.as_secs_f64() / self.window.as_secs_f64()
    }
}

/// What one caller saw in the window.
struct Tally {
    calls: u64,
    errors: u64,
    response_bytes: u64,
    first_error: Option<String>,
    latency: Histogram<u64>,
}

impl Tally {
    fn new() -> BenchResult<Self> {
        Ok(Self {
            calls: 0,
            errors: 0,
            response_bytes: 0,
            first_error: None,
            latency: Histogram::new_with_bounds(
                LOWEST_LATENCY_NS,
                HIGHEST_LATENCY_NS,
                SIGNIFICANT_DIGITS,
            )?,
        })
    }

    fn add(&mut self, other: &Self) -> BenchResult<()> {
        self.calls += other.calls;
        self.errors += other.errors;
        self.response_bytes += other.response_bytes;
        if self.first_error.is_none() {
            self.first_error.clone_from(&other.first_error);
        }
        self.latency.add(&other.latency)?;
        Ok(())
    }
}

/// Drives `server` with calls of kind `rpc` as `shape` says.
pub(crate) async fn measure(
    server: &ServerProcess,
    workload: &Arc<Workload>,
    rpc: Rpc,
    shape: LoadShape,
) -> BenchResult<Measurement> {
    let mut measurements = measure_alternating(server, workload, &[rpc], shape).await?;
    measurements.pop().ok_or_else(|| "no measurement".into())
}

/// Drives `server` as `shape` says, each caller taking `rpcs` in turn, and
/// measures each kind of call in the same window: what differs between them
/// is then the calls, not the moment (on a shared machine, two windows a few
/// seconds apart can differ by a quarter). The window's server CPU is shared
/// among them by their calls, so their CPU per call is the mix's.
pub(crate) async fn measure_alternating(
    server: &ServerProcess,
    workload: &Arc<Workload>,
    rpcs: &[Rpc],
    shape: LoadShape,
) -> BenchResult<Vec<Measurement>> {
    let endpoint = Endpoint::from_shared(format!("http://{}", server.addr()))?.tcp_nodelay(true);
    let mut channels: Vec<Channel> = Vec::with_capacity(shape.connections);
    for _ in 0..shape.connections.max(1) {
        // connect(), not a lazy channel: the handshakes happen before the warm-up.
        channels.push(endpoint.connect().await?);
    }
    let rpcs: Arc<[Rpc]> = rpcs.into();
    let measuring = Arc::new(AtomicBool::new(false));
    let stopping = Arc::new(AtomicBool::new(false));
    let callers: Vec<_> = (0..shape.concurrency.max(1))
        .map(|caller| {
            let client = DiscardingClient::new(channels[caller % channels.len()].clone());
            let workload = workload.clone();
            let rpcs = rpcs.clone();
            let measuring = measuring.clone();
            let stopping = stopping.clone();
            // Seeded per caller and run, so callers do not ask for the same ids.
            let rng = fastrand::Rng::with_seed(fastrand::u64(..) ^ caller as u64);
            tokio::spawn(call_in_a_loop(
                client, workload, rpcs, rng, measuring, stopping,
            ))
        })
        .collect();
    tokio::time::sleep(shape.warmup).await;
    let server_before = server.cpu_time()?;
    let load_before = cpu_time("self")?;
    let opened = Instant::now();
    measuring.store(true, Ordering::Relaxed);
    tokio::time::sleep(shape.duration).await;
    measuring.store(false, Ordering::Relaxed);
    let window = opened.elapsed();
    let server_cpu = server.cpu_time()?.saturating_sub(server_before);
    let load_cpu = cpu_time("self")?.saturating_sub(load_before);
    let server_peak_rss_kib = server.peak_rss_kib()?;
    stopping.store(true, Ordering::Relaxed);
    let mut totals = rpcs
        .iter()
        .map(|_| Tally::new())
        .collect::<BenchResult<Vec<_>>>()?;
    for caller in callers {
        for (total, tally) in totals.iter_mut().zip(caller.await??) {
            total.add(&tally)?;
        }
    }
    let all_calls: u64 = totals.iter().map(|total| total.calls).sum();
    Ok(totals
        .into_iter()
        .map(|total| {
            let share = total.calls as f64 / all_calls.max(1) as f64;
            Measurement {
                calls: total.calls,
                errors: total.errors,
                response_bytes: total.response_bytes,
                first_error: total.first_error,
                window,
                latency: total.latency,
                server_cpu: server_cpu.mul_f64(share),
                load_cpu: load_cpu.mul_f64(share),
                server_peak_rss_kib,
            }
        })
        .collect())
}

/// One caller: a call, then the next, until `stopping`, taking `rpcs` in
/// turn; counts, for each, only the calls that complete while `measuring`.
async fn call_in_a_loop(
    mut client: DiscardingClient,
    workload: Arc<Workload>,
    rpcs: Arc<[Rpc]>,
    mut rng: fastrand::Rng,
    measuring: Arc<AtomicBool>,
    stopping: Arc<AtomicBool>,
) -> BenchResult<Vec<Tally>> {
    let mut tallies = rpcs
        .iter()
        .map(|_| Tally::new())
        .collect::<BenchResult<Vec<_>>>()?;
    for turn in (0..rpcs.len()).cycle() {
        if stopping.load(Ordering::Relaxed) {
            break;
        }
        let started = Instant::now();
        let outcome = workload.call(&mut client, rpcs[turn], &mut rng).await;
        if !measuring.load(Ordering::Relaxed) {
            continue;
        }
        let tally = &mut tallies[turn];
        match outcome {
            Ok(response_bytes) => {
                tally.calls += 1;
                tally.response_bytes += response_bytes as u64;
                let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                tally.latency.saturating_record(nanos);
            }
            Err(status) => {
                tally.errors += 1;
                tally.first_error.get_or_insert_with(|| status.to_string());
            }
        }
    }
    Ok(tallies)
}
