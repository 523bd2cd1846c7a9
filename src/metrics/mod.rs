//! Prometheus metrics: a counter and a latency histogram per gRPC method, and
//! gauges of the store's read pool and write queue, served on their own port
//! by [`serve_metrics`] in the OpenMetrics text format.
//!
//! The call metrics take the names and labels of go-grpc-prometheus
//! (`grpc_server_handled_total`, `grpc_server_handling_seconds`, labels
//! `grpc_service`, `grpc_method`, `grpc_code`), so the gRPC dashboards and
//! alerts a team already runs work on qbank unchanged.

mod endpoint;
mod store_gauges;

use std::{sync::Arc, time::Duration};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::{Registry, Unit},
};
use tonic::Code;

use crate::store::Store;

pub use endpoint::serve_metrics;

/// Every `/package.Service/Method` path the server routes: the contract's,
/// health's and reflection's, read from the descriptor sets it serves.
fn routed_methods() -> &'static std::collections::HashSet<String> {
    use prost::Message as _;
    static ROUTED: std::sync::LazyLock<std::collections::HashSet<String>> =
        std::sync::LazyLock::new(|| {
            [
                crate::pb::FILE_DESCRIPTOR_SET,
                tonic_health::pb::FILE_DESCRIPTOR_SET,
                tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
                tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
            ]
            .into_iter()
            .filter_map(|encoded| prost_types::FileDescriptorSet::decode(encoded).ok())
            .flat_map(|set| set.file)
            .flat_map(|file| {
                let package = file.package().to_owned();
                file.service.into_iter().flat_map(move |service| {
                    let service_name = format!("{package}.{}", service.name());
                    service
                        .method
                        .into_iter()
                        .map(move |method| format!("/{service_name}/{}", method.name()))
                })
            })
            .collect()
        });
    &ROUTED
}

/// Upper bounds of the latency buckets, in seconds: from a primary-key read
/// (about 100 µs) through a durable group commit (milliseconds) to a call
/// that waited on a busy database (seconds).
const LATENCY_BUCKETS: [f64; 15] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0,
];

/// Labels of a finished call.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    grpc_service: String,
    grpc_method: String,
    grpc_code: &'static str,
}

/// Labels of a method's latency.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    grpc_service: String,
    grpc_method: String,
}

type LatencyFamily = Family<MethodLabels, Histogram, fn() -> Histogram>;

/// The server's metrics. Cheap to clone; every clone records into the same
/// registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    handled: Family<CallLabels, Counter>,
    handling_seconds: LatencyFamily,
}

impl Metrics {
    /// A registry with the call metrics and gauges read from `store` at
    /// each scrape.
    pub fn new(store: Store) -> Self {
        let mut registry = Registry::default();
        let handled = Family::<CallLabels, Counter>::default();
        registry.register(
            "grpc_server_handled",
            "Calls completed on the server, by method and gRPC status code",
            handled.clone(),
        );
        let handling_seconds: LatencyFamily =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        registry.register_with_unit(
            "grpc_server_handling",
            "Time from a call's arrival to its response headers, by method",
            Unit::Seconds,
            handling_seconds.clone(),
        );
        registry.register_collector(Box::new(store_gauges::StoreGauges::new(store)));
        Self {
            registry: Arc::new(registry),
            handled,
            handling_seconds,
        }
    }

    /// Records one finished call to `path` (`/package.Service/Method`).
    pub fn record_call(&self, path: &str, code: Code, latency: Duration) {
        // Callers choose the path, and every distinct label value is a new
        // time series held forever: paths the server does not route share
        // one series instead of growing it, whatever their call's code (a
        // call can end before routing, cancelled or out of time).
        let (service, method) = match path.trim_start_matches('/').split_once('/') {
            Some((service, method)) if routed_methods().contains(path) => (service, method),
            _ => ("unknown", "unknown"),
        };
        let method = MethodLabels {
            grpc_service: service.to_owned(),
            grpc_method: method.to_owned(),
        };
        self.handling_seconds
            .get_or_create(&method)
            .observe(latency.as_secs_f64());
        self.handled
            .get_or_create(&CallLabels {
                grpc_service: method.grpc_service,
                grpc_method: method.grpc_method,
                grpc_code: code_name(code),
            })
            .inc();
    }

    /// Every metric, in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail; a collector could, and then
        // the scrape gets what was written so far rather than nothing.
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::warn!(%error, "cannot encode the metrics");
        }
        text
    }
}

/// The canonical code names, as grpc-go and go-grpc-prometheus spell them
/// (tonic's `Debug` says `Ok` and `Cancelled`; dashboards expect `OK` and
/// `Canceled`).
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "Canceled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> Metrics {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = Store::open(&dir.path().join("qbank.db"), &[]).expect("open a store");
        Metrics::new(store)
    }

    #[test]
    fn a_call_is_counted_by_service_method_and_code() {
        let metrics = metrics();

        metrics.record_call(
            "/qbank.v1.QuestionBank/GetQuestion",
            Code::NotFound,
            Duration::from_millis(2),
        );

        let text = metrics.render();
        assert!(
            text.contains(
                "grpc_server_handled_total{grpc_service=\"qbank.v1.QuestionBank\",\
                 grpc_method=\"GetQuestion\",grpc_code=\"NotFound\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "grpc_server_handling_seconds_bucket{le=\"0.0025\",\
                 grpc_service=\"qbank.v1.QuestionBank\",grpc_method=\"GetQuestion\"} 1"
            ),
            "{text}"
        );
    }

    #[test]
    fn unrouted_paths_share_one_series() {
        let metrics = metrics();

        for path in ["/no.Such/Thing", "/qbank.v1.QuestionBank/Nope", "garbage"] {
            metrics.record_call(path, Code::Unimplemented, Duration::ZERO);
        }

        let text = metrics.render();
        assert!(
            text.contains(
                "grpc_server_handled_total{grpc_service=\"unknown\",grpc_method=\"unknown\",\
                 grpc_code=\"Unimplemented\"} 3"
            ),
            "{text}"
        );
        assert!(!text.contains("no.Such"), "{text}");
    }

    #[test]
    fn code_names_match_grpc_go() {
        assert_eq!(code_name(Code::Ok), "OK");
        assert_eq!(code_name(Code::Cancelled), "Canceled");
        assert_eq!(code_name(Code::ResourceExhausted), "ResourceExhausted");
    }
}
