//! A producer whose `send` returns only once the broker acknowledged the message.

use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;

use super::client_config;
use crate::config::KafkaConfig;
use crate::telemetry::{metrics, names, propagation};

/// A cloneable producer (one per service is enough).
#[derive(Clone)]
pub struct Producer {
    inner: FutureProducer,
    timeout: Duration,
}

impl Producer {
    /// An idempotent producer (`acks=all`), so retries never duplicate a message within a partition.
    pub fn new(cfg: &KafkaConfig) -> Result<Self, KafkaError> {
        let inner = client_config(&cfg.brokers)
            .set("enable.idempotence", "true")
            .set(
                "message.timeout.ms",
                (cfg.delivery_timeout_secs * 1000).to_string(),
            )
            .create()?;
        Ok(Self {
            inner,
            timeout: Duration::from_secs(cfg.delivery_timeout_secs),
        })
    }

    /// Sends `payload` keyed by `key` (one key's messages stay ordered in one partition), with the
    /// current trace context in the headers; resolves to `(partition, offset)` once delivered.
    #[tracing::instrument(skip_all, fields(messaging.system = "kafka", messaging.destination.name = %topic))]
    pub async fn send(
        &self,
        topic: &str,
        key: &[u8],
        payload: &[u8],
    ) -> Result<(i32, i64), KafkaError> {
        let record = FutureRecord::to(topic)
            .key(key)
            .payload(payload)
            .headers(propagation::inject_kafka(OwnedHeaders::new()));
        let result = self.inner.send(record, Timeout::After(self.timeout)).await;
        let outcome = if result.is_ok() { "ok" } else { "error" };
        produced().with_label_values(&[topic, outcome]).inc();
        result
            .map(|delivery| (delivery.partition, delivery.offset))
            .map_err(|(err, _)| err)
    }
}

fn produced() -> prometheus::IntCounterVec {
    metrics::counter_vec(
        names::KAFKA_PRODUCED,
        "Kafka messages sent",
        &["messaging_destination_name", "outcome"],
    )
}
