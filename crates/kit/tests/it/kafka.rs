//! kit::kafka against the real broker (tansu): topic creation, delivery-confirmed sends, the
//! consumer-group runner's commit-after-processing, trace headers and the lag gauge.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kit::config::KafkaConfig;
use kit::kafka::{self, ConsumerSpec, Producer, Record, TopicSpec};
use tokio::sync::oneshot;

fn producer() -> Producer {
    Producer::new(&KafkaConfig {
        brokers: testkit::kafka_brokers(),
        delivery_timeout_secs: 10,
    })
    .unwrap()
}

async fn topic(partitions: i32) -> String {
    testkit::require_kafka();
    let name = testkit::unique("clipfed.test");
    kafka::ensure_topics(
        &testkit::kafka_brokers(),
        &[TopicSpec::new(&name, partitions)],
    )
    .await
    .expect("create topic");
    name
}

fn spec(topic: &str, group: &str) -> ConsumerSpec {
    ConsumerSpec {
        brokers: testkit::kafka_brokers(),
        group: group.to_owned(),
        topics: vec![topic.to_owned()],
        max_batch: 4,
        max_wait: Duration::from_millis(100),
    }
}

/// Waits (bounded) until `cond` holds.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..300 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn lag_gauge(group: &str, topic: &str) -> Option<i64> {
    let text = kit::telemetry::metrics::render();
    let needle_group = format!("messaging_consumer_group_name=\"{group}\"");
    let needle_topic = format!("messaging_destination_name=\"{topic}\"");
    text.lines()
        .find(|l| {
            l.starts_with("messaging_kafka_consumer_lag{")
                && l.contains(&needle_group)
                && l.contains(&needle_topic)
        })
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_an_existing_topic_is_not_an_error() {
    let name = topic(1).await;
    kafka::ensure_topics(&testkit::kafka_brokers(), &[TopicSpec::new(&name, 1)])
        .await
        .expect("idempotent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produced_messages_round_trip_in_key_order() {
    let topic = topic(1).await;
    let producer = producer();
    let mut offsets = Vec::new();
    for i in 0..10 {
        let (_, offset) = producer
            .send(&topic, b"key", format!("msg-{i}").as_bytes())
            .await
            .expect("delivered");
        offsets.push(offset);
    }
    assert!(
        offsets.windows(2).all(|w| w[0] < w[1]),
        "offsets {offsets:?}"
    );

    let seen: Arc<Mutex<Vec<Record>>> = Arc::default();
    let (stop, stopped) = oneshot::channel::<()>();
    let sink = Arc::clone(&seen);
    let runner = tokio::spawn(kafka::run_consumer(
        spec(&topic, &testkit::unique("group")),
        move |batch: Vec<Record>| {
            let sink = Arc::clone(&sink);
            async move {
                sink.lock().unwrap().extend(batch);
                Ok::<(), String>(())
            }
        },
        async move {
            let _ = stopped.await;
        },
    ));
    eventually("10 records", || seen.lock().unwrap().len() >= 10).await;
    let _ = stop.send(());
    runner.await.unwrap().expect("consumer ran cleanly");
    let records = seen.lock().unwrap();
    let payloads: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8(r.payload.clone()).unwrap())
        .collect();
    assert_eq!(
        payloads,
        (0..10).map(|i| format!("msg-{i}")).collect::<Vec<_>>()
    );
    assert!(
        records
            .iter()
            .all(|r| r.key.as_deref() == Some(&b"key"[..]))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_batches_are_not_committed_and_lag_shows_what_is_left() {
    let topic = topic(1).await;
    let producer = producer();
    for i in 0..10 {
        producer
            .send(&topic, b"k", format!("{i}").as_bytes())
            .await
            .unwrap();
    }
    let group = testkit::unique("group");

    // First run: the handler accepts offsets 0..4 and fails from offset 4 on, so the group commits 4.
    let accepted: Arc<Mutex<Vec<i64>>> = Arc::default();
    let (stop, stopped) = oneshot::channel::<()>();
    let sink = Arc::clone(&accepted);
    let mut first = spec(&topic, &group);
    first.max_batch = 1;
    let runner = tokio::spawn(kafka::run_consumer(
        first,
        move |batch: Vec<Record>| {
            let sink = Arc::clone(&sink);
            async move {
                if batch.iter().any(|r| r.offset >= 4) {
                    return Err("refusing offset 4".to_owned());
                }
                sink.lock().unwrap().extend(batch.iter().map(|r| r.offset));
                Ok(())
            }
        },
        async move {
            let _ = stopped.await;
        },
    ));
    eventually("lag gauge of 6", || lag_gauge(&group, &topic) == Some(6)).await;
    let _ = stop.send(());
    runner.await.unwrap().unwrap();
    assert_eq!(*accepted.lock().unwrap(), vec![0, 1, 2, 3]);

    // Second run of the same group resumes at offset 4 (nothing skipped, nothing redone) and drains.
    let resumed: Arc<Mutex<Vec<i64>>> = Arc::default();
    let (stop, stopped) = oneshot::channel::<()>();
    let sink = Arc::clone(&resumed);
    let runner = tokio::spawn(kafka::run_consumer(
        spec(&topic, &group),
        move |batch: Vec<Record>| {
            let sink = Arc::clone(&sink);
            async move {
                sink.lock().unwrap().extend(batch.iter().map(|r| r.offset));
                Ok::<(), String>(())
            }
        },
        async move {
            let _ = stopped.await;
        },
    ));
    eventually("lag gauge of 0", || lag_gauge(&group, &topic) == Some(0)).await;
    let _ = stop.send(());
    runner.await.unwrap().unwrap();
    assert_eq!(*resumed.lock().unwrap(), vec![4, 5, 6, 7, 8, 9]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_to_an_unreachable_broker_fails_within_the_timeout() {
    let producer = Producer::new(&KafkaConfig {
        brokers: "127.0.0.1:1".to_owned(),
        delivery_timeout_secs: 2,
    })
    .unwrap();
    let started = std::time::Instant::now();
    let result = producer.send("nowhere", b"k", b"v").await;
    assert!(
        result.is_err(),
        "delivery to a dead broker reported success"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// Messages that arrive while a batch is filling are never dropped, however the batch's wait
/// lines up with the runner's other timers (the lag measurement ticks every 5 s): a steady trickle
/// for longer than two lag intervals must be consumed exactly, each message once.
#[tokio::test]
async fn a_steady_trickle_across_lag_ticks_loses_nothing() {
    let topic = topic(2).await;
    let group = testkit::unique("trickle");
    let seen = Arc::new(Mutex::new(Vec::<Vec<u8>>::new()));
    let sink = Arc::clone(&seen);
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let mut s = spec(&topic, &group);
    s.max_batch = 1000;
    s.max_wait = Duration::from_millis(300);
    let runner = tokio::spawn(kafka::run_consumer(
        s,
        move |batch: Vec<Record>| {
            let sink = Arc::clone(&sink);
            async move {
                // A handler that takes a while, like a database transaction.
                tokio::time::sleep(Duration::from_millis(30)).await;
                sink.lock()
                    .unwrap()
                    .extend(batch.into_iter().map(|r| r.payload));
                Ok::<(), String>(())
            }
        },
        async move {
            let _ = stop_rx.await;
        },
    ));
    let p = producer();
    let total = 600;
    for i in 0..total {
        p.send(
            &topic,
            format!("k{}", i % 7).as_bytes(),
            format!("m{i}").as_bytes(),
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eventually("every message consumed", || {
        seen.lock().unwrap().len() >= total
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop_tx.send(());
    runner.await.unwrap().unwrap();
    let mut got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), total, "each message exactly once");
    got.sort();
    got.dedup();
    assert_eq!(got.len(), total);
}
