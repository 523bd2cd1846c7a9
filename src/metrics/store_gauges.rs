//! Gauges of the store's read pool and write queue, read at each scrape.
//!
//! A collector rather than gauges updated by the store: the numbers already
//! live in the pool and the channel, so reading them when Prometheus asks
//! costs nothing between scrapes and can never drift.

use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeMetric as _},
    metrics::gauge::ConstGauge,
};

use crate::store::Store;

/// Reads [`Store::usage`] into gauges.
#[derive(Debug)]
pub(super) struct StoreGauges {
    store: Store,
}

impl StoreGauges {
    pub(super) fn new(store: Store) -> Self {
        Self { store }
    }
}

impl Collector for StoreGauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let usage = self.store.usage();
        let gauges = [
            (
                "qbank_db_read_connections",
                "Read connections open in the pool, idle or in use.",
                usage.read_connections as i64,
            ),
            (
                "qbank_db_read_connections_idle",
                "Read connections open in the pool and idle.",
                usage.idle_read_connections as i64,
            ),
            (
                "qbank_db_read_connections_max",
                "The most read connections the pool opens.",
                usage.max_read_connections as i64,
            ),
            (
                "qbank_db_write_queue_depth",
                "Writes waiting for the writer thread.",
                usage.queued_writes as i64,
            ),
            (
                "qbank_db_write_queue_capacity",
                "Writes that may wait before callers wait to enqueue.",
                usage.write_queue_capacity as i64,
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            let metric = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
            gauge.encode(metric)?;
        }
        Ok(())
    }
}
