//! Kafka: topic admin, a producer that waits for delivery, a consumer-group runner that commits only
//! after processing, and the consumer-lag gauge.
//!
//! Locally the broker is tansu (Kafka wire protocol, sqlite storage); rdkafka's bundled librdkafka
//! talks to it (Debian's librdkafka 2.0 does not).

mod admin;
mod consumer;
mod lag;
mod producer;

pub use admin::{TopicSpec, ensure_topics};

/// Partitions of an announcement topic (`user.events`, `video.events`) that a consumer creates
/// before its producer did: the producers' default `events_partitions`.
pub const EVENT_TOPIC_PARTITIONS: i32 = 3;
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

/// Creates `topics`, retrying with backoff while the broker is away; false when `stop` came first.
pub async fn ensure_topics_retrying(
    brokers: &str,
    topics: &[TopicSpec],
    stop: impl std::future::Future<Output = ()>,
) -> bool {
    tokio::pin!(stop);
    let mut wait = std::time::Duration::from_millis(200);
    loop {
        match ensure_topics(brokers, topics).await {
            Ok(()) => return true,
            Err(err) => tracing::warn!(error.message = %err, "creating topics failed; retrying"),
        }
        tokio::select! {
            _ = &mut stop => return false,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(std::time::Duration::from_secs(10));
    }
}

/// Decodes each record's JSON payload into `T`. A record that does not decode could never succeed:
/// it is logged, reported to `malformed` (with its topic, for the service's metric) and skipped.
pub fn decode_json<T: serde::de::DeserializeOwned>(
    records: &[Record],
    malformed: impl Fn(&str),
) -> Vec<T> {
    records
        .iter()
        .filter_map(|r| match serde_json::from_slice(&r.payload) {
            Ok(value) => Some(value),
            Err(err) => {
                tracing::warn!(messaging.destination.name = %r.topic, messaging.kafka.offset = r.offset, error.message = %err, "malformed record skipped");
                malformed(&r.topic);
                None
            }
        })
        .collect()
}

/// A service's consumer: creates `topics` ([`ensure_topics_retrying`]), then runs
/// [`run_consumer`] until `stop`. Failures are logged; it never ends the service.
pub async fn serve_consumer<H, F, E>(
    spec: ConsumerSpec,
    topics: Vec<TopicSpec>,
    handler: H,
    stop: impl std::future::Future<Output = ()>,
) where
    H: Fn(Vec<Record>) -> F,
    F: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    tokio::pin!(stop);
    if !ensure_topics_retrying(&spec.brokers, &topics, &mut stop).await {
        return;
    }
    let group = spec.group.clone();
    if let Err(err) = run_consumer(spec, handler, stop).await {
        tracing::error!(messaging.consumer.group.name = %group, error.message = %err, "consumer stopped");
    }
}
