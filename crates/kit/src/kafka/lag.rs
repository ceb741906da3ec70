//! Consumer lag per group, topic and partition: high watermark minus committed offset, computed by
//! the consumer itself (no external exporter), published as `messaging_kafka_consumer_lag`.
//!
//! Only partitions the consumer owns report: after a rebalance, a partition that moved to another
//! member of the group is removed from the gauge here (its new owner reports it), so a stale value
//! never lingers beside the live one.

use std::collections::HashSet;
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
    /// The (topic, partition) pairs this consumer reported last time.
    reported: HashSet<(String, i32)>,
}

impl Throttled {
    pub(crate) fn new(consumer: Arc<StreamConsumer>, group: &str, interval: Duration) -> Self {
        Self {
            consumer,
            group: group.to_owned(),
            interval,
            last: None,
            reported: HashSet::new(),
        }
    }

    /// Measures now.
    pub(crate) async fn publish(&mut self) {
        self.last = Some(std::time::Instant::now());
        let consumer = Arc::clone(&self.consumer);
        match tokio::task::spawn_blocking(move || measure_lag(&consumer)).await {
            Ok(Ok(lags)) => self.reported = report(&self.group, &lags, &self.reported),
            Ok(Err(err)) => {
                tracing::warn!(messaging.consumer.group.name = %self.group, error.message = %err, "lag measurement failed")
            }
            Err(err) => tracing::warn!(error.message = %err, "lag task failed"),
        }
    }

    /// Measures unless the last measurement is younger than the interval.
    pub(crate) async fn maybe_publish(&mut self) {
        if self.last.is_none_or(|t| t.elapsed() >= self.interval) {
            self.publish().await;
        }
    }
}

/// Sets the lag gauge of every partition in `lags` and removes the ones in `before` that are no
/// longer assigned; returns what is reported now. Failures to measure are logged by the caller and
/// leave the gauges as they were.
fn report(
    group: &str,
    lags: &[PartitionLag],
    before: &HashSet<(String, i32)>,
) -> HashSet<(String, i32)> {
    let gauge = metrics::gauge_vec(
        names::KAFKA_LAG,
        "Messages not yet processed by the group",
        &[
            "messaging_consumer_group_name",
            "messaging_destination_name",
            "messaging_destination_partition_id",
        ],
    );
    let now: HashSet<(String, i32)> = lags
        .iter()
        .map(|l| (l.topic.clone(), l.partition))
        .collect();
    for l in lags {
        gauge
            .with_label_values(&[group, l.topic.as_str(), &l.partition.to_string()])
            .set(l.lag);
    }
    for (topic, partition) in before.difference(&now) {
        let _ = gauge.remove_label_values(&[group, topic.as_str(), &partition.to_string()]);
    }
    now
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lag(topic: &str, partition: i32, lag: i64) -> PartitionLag {
        PartitionLag {
            topic: topic.to_owned(),
            partition,
            lag,
        }
    }

    /// (topic, partition, lag) of every series of `group`, read from the `/metrics` text.
    fn reported_partitions(group: &str) -> Vec<(String, String, i64)> {
        let label = |line: &str, key: &str| -> String {
            let start = line.find(&format!("{key}=\"")).expect("label present") + key.len() + 2;
            line[start..]
                .split('"')
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        let mut out: Vec<_> = metrics::render()
            .lines()
            .filter(|l| l.starts_with(names::KAFKA_LAG) && l.contains(&format!("\"{group}\"")))
            .map(|l| {
                (
                    label(l, "messaging_destination_name"),
                    label(l, "messaging_destination_partition_id"),
                    l.rsplit(' ')
                        .next()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(-1),
                )
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_partition_lost_in_a_rebalance_stops_reporting() {
        let group = "lag-test-rebalance";
        let first = report(group, &[lag("t", 0, 5), lag("t", 1, 7)], &HashSet::new());
        assert_eq!(
            reported_partitions(group),
            vec![("t".into(), "0".into(), 5), ("t".into(), "1".into(), 7)]
        );
        // The rebalance moved partition 1 to another member and gave this one partition 2.
        let second = report(group, &[lag("t", 0, 3), lag("t", 2, 1)], &first);
        assert_eq!(
            reported_partitions(group),
            vec![("t".into(), "0".into(), 3), ("t".into(), "2".into(), 1)]
        );
        // Losing every partition leaves nothing behind.
        report(group, &[], &second);
        assert_eq!(reported_partitions(group), vec![]);
    }
}
