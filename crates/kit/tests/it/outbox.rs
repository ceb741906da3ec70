//! kit::outbox against the real MariaDB and tansu: only committed events are published, in order
//! per key, marked sent, and in the trace of the request that wrote them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kit::config::{DbConfig, KafkaConfig};
use kit::kafka::{self, ConsumerSpec, Producer, Record, TopicSpec};
use kit::outbox::{self, Relay};
use kit::telemetry::propagation;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use secrecy::SecretString;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

static NO_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

fn trace_id_of(span: &tracing::Span) -> String {
    span.context().span().span_context().trace_id().to_string()
}

/// Reads every record of `topic` until `n` arrived.
async fn read(topic: &str, n: usize) -> Vec<Record> {
    let got: Arc<Mutex<Vec<Record>>> = Arc::default();
    let sink = Arc::clone(&got);
    let watch = Arc::clone(&got);
    let spec = ConsumerSpec {
        brokers: testkit::kafka_brokers(),
        group: testkit::unique("outbox_reader"),
        topics: vec![topic.to_owned()],
        max_batch: 100,
        max_wait: Duration::from_millis(50),
    };
    let done = async move {
        while watch.lock().unwrap().len() < n {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let handler = move |batch: Vec<Record>| {
        let sink = Arc::clone(&sink);
        async move {
            sink.lock().unwrap().extend(batch);
            Ok::<(), String>(())
        }
    };
    tokio::time::timeout(
        Duration::from_secs(60),
        kafka::run_consumer(spec, handler, done),
    )
    .await
    .expect("records within a minute")
    .unwrap();
    std::mem::take(&mut *got.lock().unwrap())
}

#[test]
fn committed_events_are_published_in_order_within_their_trace() {
    testkit::require_mysql();
    testkit::require_kafka();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let provider = SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    let _guard = tracing::subscriber::set_default(subscriber);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let database = testkit::unique("clipfed_test_outbox");
        let db = DbConfig {
            url: SecretString::from(testkit::mysql_url()),
            database: database.clone(),
            max_connections: 3,
            acquire_timeout_secs: 5,
        };
        let pool = kit::db::connect(&db, &NO_MIGRATIONS).await.unwrap();
        outbox::migrate(&pool).await.unwrap();
        outbox::migrate(&pool).await.expect("migrate is idempotent");
        let topic = testkit::unique("clipfed.test.outbox");
        kafka::ensure_topics(&testkit::kafka_brokers(), &[TopicSpec::new(&topic, 2)])
            .await
            .unwrap();

        let request = tracing::info_span!("request");
        async {
            // A rolled-back change takes its event with it.
            let mut tx = pool.begin().await.unwrap();
            outbox::enqueue(&mut tx, kit::id::next_id(), &topic, b"a", b"rolled back")
                .await
                .unwrap();
            tx.rollback().await.unwrap();
            let mut tx = pool.begin().await.unwrap();
            for i in 0..5 {
                let key: &[u8] = if i % 2 == 0 { b"a" } else { b"b" };
                outbox::enqueue(
                    &mut tx,
                    kit::id::next_id(),
                    &topic,
                    key,
                    format!("e{i}").as_bytes(),
                )
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
        }
        .instrument(request.clone())
        .await;
        assert_eq!(outbox::backlog(&pool).await.unwrap(), 5);

        let producer = Producer::new(&KafkaConfig {
            brokers: testkit::kafka_brokers(),
            delivery_timeout_secs: 10,
        })
        .unwrap();
        let relay = Relay::new(pool.clone(), producer);
        assert_eq!(relay.relay_once().await.unwrap(), 5);
        assert_eq!(
            relay.relay_once().await.unwrap(),
            0,
            "sent rows are not sent again"
        );
        assert_eq!(outbox::backlog(&pool).await.unwrap(), 0);

        let records = read(&topic, 5).await;
        let of_key = |k: &[u8]| -> Vec<Vec<u8>> {
            records
                .iter()
                .filter(|r| r.key.as_deref() == Some(k))
                .map(|r| r.payload.clone())
                .collect()
        };
        assert_eq!(
            of_key(b"a"),
            [b"e0".to_vec(), b"e2".to_vec(), b"e4".to_vec()]
        );
        assert_eq!(of_key(b"b"), [b"e1".to_vec(), b"e3".to_vec()]);
        assert_eq!(records.len(), 5, "the rolled-back event never left");
        for r in &records {
            let consumer = tracing::info_span!("consume");
            propagation::set_parent(&consumer, r.trace_context());
            assert_eq!(
                trace_id_of(&consumer),
                trace_id_of(&request),
                "same trace as the request"
            );
        }
        pool.close().await;
        testkit::drop_database(&database).await;
    });
}

/// Writers never wait for the relay: a round stuck on an unreachable broker (until its delivery
/// timeout) must not block a new `enqueue` and commit.
#[tokio::test]
async fn enqueue_does_not_wait_for_a_relay_round_stuck_on_kafka() {
    testkit::require_mysql();
    let database = testkit::unique("clipfed_test_outbox_stuck");
    let db = DbConfig {
        url: SecretString::from(testkit::mysql_url()),
        database: database.clone(),
        max_connections: 3,
        acquire_timeout_secs: 5,
    };
    let pool = kit::db::connect(&db, &NO_MIGRATIONS).await.unwrap();
    outbox::migrate(&pool).await.unwrap();
    let write = |payload: &'static [u8]| {
        let pool = pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            outbox::enqueue(&mut tx, kit::id::next_id(), "t", b"k", payload)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    write(b"first").await;
    // Nothing listens on this port: the send waits for its delivery timeout.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let brokers = dead.local_addr().unwrap().to_string();
    drop(dead);
    let producer = Producer::new(&KafkaConfig {
        brokers,
        delivery_timeout_secs: 20,
    })
    .unwrap();
    let relay = Relay::new(pool.clone(), producer);
    let round = tokio::spawn(async move { relay.relay_once().await });
    // Let the round take its locks, then write again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!round.is_finished(), "the round waits on the broker");
    tokio::time::timeout(Duration::from_secs(5), write(b"second"))
        .await
        .expect("the write did not wait for the relay round");
    assert!(!round.is_finished(), "the write finished first");
    assert_eq!(outbox::backlog(&pool).await.unwrap(), 2);
    round.abort();
    pool.close().await;
    testkit::drop_database(&database).await;
}
