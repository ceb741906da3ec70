//! Consumer lag per group, topic and partition: high watermark minus committed offset, computed by
//! the consumer itself (no external exporter), published as `messaging_kafka_consumer_lag`.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::Offset;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;

use crate::telemetry::{metrics, names};

const TIMEOUT: Duration = Duration::from_secs(5);

/// Lag of one assigned partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// Messages after the committed offset (all retained messages when nothing is committed yet).
    pub lag: i64,
}

/// Measures the lag of every partition assigned to `consumer` (blocking calls: run off the runtime).
pub fn measure_lag(consumer: &StreamConsumer) -> Result<Vec<PartitionLag>, KafkaError> {
    let assignment = consumer.assignment()?;
    let committed = consumer.committed_offsets(assignment, TIMEOUT)?;
    let mut out = Vec::new();
    for elem in committed.elements() {
        let (low, high) = consumer.fetch_watermarks(elem.topic(), elem.partition(), TIMEOUT)?;
        let start = match elem.offset() {
            Offset::Offset(o) => o,
            _ => low,
        };
        out.push(PartitionLag {
            topic: elem.topic().to_owned(),
            partition: elem.partition(),
            lag: (high - start).max(0),
        });
    }
    Ok(out)
}

/// Publishes a consumer's lag, at most once per interval.
pub(crate) struct Throttled {
    consumer: Arc<StreamConsumer>,
    group: String,
    interval: Duration,
    last: Option<std::time::Instant>,
}

impl Throttled {
    pub(crate) fn new(consumer: Arc<StreamConsumer>, group: &str, interval: Duration) -> Self {
        Self {
            consumer,
            group: group.to_owned(),
            interval,
            last: None,
        }
    }

    /// Measures now.
    pub(crate) async fn publish(&mut self) {
        self.last = Some(std::time::Instant::now());
        publish(Arc::clone(&self.consumer), &self.group).await;
    }

    /// Measures unless the last measurement is younger than the interval.
    pub(crate) async fn maybe_publish(&mut self) {
        if self.last.is_none_or(|t| t.elapsed() >= self.interval) {
            self.publish().await;
        }
    }
}

/// Measures and publishes the lag gauges of `group`; failures are logged, never fatal.
async fn publish(consumer: Arc<StreamConsumer>, group: &str) {
    let gauge = metrics::gauge_vec(
        names::KAFKA_LAG,
        "Messages not yet processed by the group",
        &[
            "messaging_consumer_group_name",
            "messaging_destination_name",
            "messaging_destination_partition_id",
        ],
    );
    match tokio::task::spawn_blocking(move || measure_lag(&consumer)).await {
        Ok(Ok(lags)) => {
            for l in lags {
                gauge
                    .with_label_values(&[group, l.topic.as_str(), &l.partition.to_string()])
                    .set(l.lag);
            }
        }
        Ok(Err(err)) => {
            tracing::warn!(messaging.consumer.group.name = %group, error.message = %err, "lag measurement failed")
        }
        Err(err) => tracing::warn!(error.message = %err, "lag task failed"),
    }
}
