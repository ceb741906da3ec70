//! Kafka: topic admin, a producer that waits for delivery, a consumer-group runner that commits only
//! after processing, and the consumer-lag gauge.
//!
//! Locally the broker is tansu (Kafka wire protocol, sqlite storage); rdkafka's bundled librdkafka
//! talks to it (Debian's librdkafka 2.0 does not).

mod admin;
mod consumer;
mod lag;
mod producer;

pub use admin::{TopicSpec, broker_ready, ensure_topics};
pub use consumer::{ConsumerSpec, Record, run_consumer};
pub use lag::{PartitionLag, measure_lag};
pub use producer::Producer;

use rdkafka::ClientConfig;

/// Settings every client shares.
pub(crate) fn client_config(brokers: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", brokers)
        .set("client.id", "clipfed")
        // Loopback brokers: fail fast instead of librdkafka's long defaults.
        .set("socket.timeout.ms", "10000")
        .set("log_level", "4");
    cfg
}
