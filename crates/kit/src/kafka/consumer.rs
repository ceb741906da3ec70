//! The consumer-group runner: fetch a batch, hand it to the handler, commit only after the handler
//! succeeded (at-least-once; handlers are idempotent by event id), repeat until shutdown.
//!
//! A failing batch is retried with capped backoff and its offsets are not committed, so a crash or a
//! bug never skips an event. Lag is measured per assigned partition after every commit and on a timer.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::Message;
use rdkafka::TopicPartitionList;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::BorrowedMessage;
use tokio::time::Instant;

use super::{client_config, lag};
use crate::telemetry::propagation::{self, KafkaHeaders};
use crate::telemetry::{metrics, names};

/// How often consumer lag is measured.
const LAG_INTERVAL: Duration = Duration::from_secs(5);

/// One consumed message, owned.
#[derive(Debug, Clone)]
pub struct Record {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub headers: KafkaHeaders,
}

impl Record {
    fn from_message(msg: &BorrowedMessage<'_>) -> Self {
        Self {
            topic: msg.topic().to_owned(),
            partition: msg.partition(),
            offset: msg.offset(),
            key: msg.key().map(<[u8]>::to_vec),
            payload: msg.payload().map(<[u8]>::to_vec).unwrap_or_default(),
            headers: KafkaHeaders::from_headers(msg.headers()),
        }
    }

    /// The producer's trace context, to parent or link the handling span.
    pub fn trace_context(&self) -> opentelemetry::Context {
        propagation::extract_kafka(&self.headers)
    }
}

/// What to consume and how to batch it.
#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    pub brokers: String,
    pub group: String,
    pub topics: Vec<String>,
    /// Largest batch handed to the handler.
    pub max_batch: usize,
    /// How long to wait for a batch to fill once it has its first record.
    pub max_wait: Duration,
}

impl ConsumerSpec {
    /// The group of `consumer` reading `topics` from `kafka`'s brokers.
    pub fn from_config(
        kafka: &crate::config::KafkaConfig,
        consumer: &crate::config::ConsumerConfig,
        topics: Vec<String>,
    ) -> Self {
        Self {
            brokers: kafka.brokers.clone(),
            group: consumer.group.clone(),
            topics,
            max_batch: consumer.max_batch,
            max_wait: Duration::from_millis(consumer.max_wait_ms),
        }
    }
}

/// Runs the consumer until `shutdown` resolves. `handler` receives non-empty batches in offset order
/// per partition and must be idempotent: a batch is redelivered if it fails or the process dies
/// before the commit. Only set-up failures (bad config, subscription) end it with an error; receive
/// and commit errors are logged and retried.
pub async fn run_consumer<H, F, E>(
    spec: ConsumerSpec,
    handler: H,
    shutdown: impl Future<Output = ()>,
) -> Result<(), KafkaError>
where
    H: Fn(Vec<Record>) -> F,
    F: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let consumer: Arc<StreamConsumer> = Arc::new(
        client_config(&spec.brokers)
            .set("group.id", &spec.group)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .create()?,
    );
    let topics: Vec<&str> = spec.topics.iter().map(String::as_str).collect();
    consumer.subscribe(&topics)?;
    let consumed = metrics::counter_vec(
        names::KAFKA_CONSUMED,
        "Kafka messages processed",
        &[
            "messaging_consumer_group_name",
            "messaging_destination_name",
            "outcome",
        ],
    );
    tokio::pin!(shutdown);
    // Lag costs broker round trips: measure it at most once per interval, whether the consumer is
    // busy (after commits), stuck (while retrying a batch) or idle (on the timer).
    let mut lag = lag::Throttled::new(Arc::clone(&consumer), &spec.group, LAG_INTERVAL);
    let mut lag_timer = tokio::time::interval(LAG_INTERVAL);
    loop {
        // Only the wait for a batch's first message races shutdown and the lag timer: `recv` is
        // cancel-safe (a message is taken only when it is returned). Filling the rest of the batch
        // is never cancelled, because a dropped partial batch would be skipped for good once a
        // later batch commits past it.
        let first = tokio::select! {
            _ = &mut shutdown => break,
            _ = lag_timer.tick() => { lag.publish().await; continue; }
            first = consumer.recv() => first.map(|m| Record::from_message(&m)),
        };
        let batch = match first {
            Ok(first) => fill_batch(&consumer, first, spec.max_batch, spec.max_wait).await,
            Err(err) => {
                // Broker restarts and transport errors are transient: keep the consumer alive.
                tracing::warn!(messaging.consumer.group.name = %spec.group, error.message = %err, "receive failed; retrying");
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        let commit = commit_list(&batch)?;
        let counts = topic_counts(&batch);
        let count = |outcome: &str| {
            for (topic, n) in &counts {
                consumed
                    .with_label_values(&[spec.group.as_str(), topic.as_str(), outcome])
                    .inc_by(*n);
            }
        };
        // One span per record that came with a trace context, open while its batch is handled:
        // the producer's trace (the request that wrote the outbox row) continues into the fold.
        let _record_spans = record_spans(&batch, &spec.group);
        let mut backoff = Duration::from_millis(100);
        // The handler gets its own copy per attempt; the batch stays here for a retry.
        while let Err(err) = handler(batch.clone()).await {
            count("error");
            tracing::warn!(messaging.consumer.group.name = %spec.group, error.message = %err, "batch failed; retrying");
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(10));
            lag.maybe_publish().await;
        }
        count("ok");
        // A failed commit (e.g. the partition moved to another member in a rebalance) only means the
        // batch may be delivered again, which idempotent handlers absorb: log it and go on.
        if let Err(err) = consumer.commit(&commit, CommitMode::Sync) {
            tracing::warn!(messaging.consumer.group.name = %spec.group, error.message = %err, "offset commit failed");
        }
        lag.maybe_publish().await;
    }
    Ok(())
}

/// A `consume` span for each record of `batch` whose producer sent a trace context, parented
/// to it; the spans end when the returned list is dropped (after the batch is handled).
fn record_spans(batch: &[Record], group: &str) -> Vec<tracing::Span> {
    use opentelemetry::trace::TraceContextExt as _;
    batch
        .iter()
        .filter_map(|r| {
            let cx = r.trace_context();
            if !cx.span().span_context().is_valid() {
                return None;
            }
            let span = tracing::info_span!(
                "consume",
                messaging.consumer.group.name = %group,
                messaging.destination.name = %r.topic,
                messaging.destination.partition.id = r.partition,
                messaging.kafka.offset = r.offset,
            );
            propagation::set_parent(&span, cx);
            Some(span)
        })
        .collect()
}

/// Adds to `first` what arrives within `wait`, up to `max` records. A receive error ends the
/// batch early (what was received is still handled; the error shows again on the next receive).
async fn fill_batch(
    consumer: &StreamConsumer,
    first: Record,
    max: usize,
    wait: Duration,
) -> Vec<Record> {
    let mut batch = vec![first];
    let deadline = Instant::now() + wait;
    while batch.len() < max {
        match tokio::time::timeout_at(deadline, consumer.recv()).await {
            Ok(Ok(msg)) => batch.push(Record::from_message(&msg)),
            Ok(Err(_)) | Err(_) => break,
        }
    }
    batch
}

/// Offsets to commit after `batch`: the next offset to read, per partition.
fn commit_list(batch: &[Record]) -> Result<TopicPartitionList, KafkaError> {
    let mut next: BTreeMap<(&str, i32), i64> = BTreeMap::new();
    for r in batch {
        let slot = next.entry((r.topic.as_str(), r.partition)).or_insert(0);
        *slot = (*slot).max(r.offset + 1);
    }
    let mut tpl = TopicPartitionList::new();
    for ((topic, partition), offset) in next {
        tpl.add_partition_offset(topic, partition, rdkafka::Offset::Offset(offset))?;
    }
    Ok(tpl)
}

fn topic_counts(batch: &[Record]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for r in batch {
        *counts.entry(r.topic.clone()).or_insert(0) += 1;
    }
    counts
}
