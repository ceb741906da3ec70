//! Trace context crossing HTTP headers and Kafka (through tansu), and OTLP/HTTP export.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use kit::config::{KafkaConfig, LogFormat, TelemetryConfig};
use kit::kafka::{self, ConsumerSpec, Producer, Record, TopicSpec};
use kit::telemetry::propagation;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

/// A subscriber that gives spans real OpenTelemetry contexts (no export).
fn otel_subscriber() -> impl tracing::Subscriber + Send + Sync {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let provider = SdkTracerProvider::builder().build();
    tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
}

fn trace_id_of(span: &tracing::Span) -> String {
    span.context().span().span_context().trace_id().to_string()
}

#[test]
fn http_headers_carry_the_trace_across_a_hop() {
    tracing::subscriber::with_default(otel_subscriber(), || {
        let span = tracing::info_span!("client");
        let mut headers = http::HeaderMap::new();
        span.in_scope(|| propagation::inject_http(&mut headers));
        let traceparent = headers
            .get("traceparent")
            .expect("traceparent injected")
            .to_str()
            .unwrap()
            .to_owned();
        assert!(traceparent.contains(&trace_id_of(&span)), "{traceparent}");

        let server = tracing::info_span!("server");
        propagation::set_parent(&server, propagation::extract_http(&headers));
        assert_eq!(
            trace_id_of(&server),
            trace_id_of(&span),
            "server span joins the client's trace"
        );
    });
}

#[test]
fn kafka_headers_carry_the_trace_from_producer_to_consumer() {
    testkit::require_kafka();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = tracing::subscriber::set_default(otel_subscriber());
    rt.block_on(async {
        let topic = testkit::unique("clipfed.test");
        kafka::ensure_topics(&testkit::kafka_brokers(), &[TopicSpec::new(&topic, 1)])
            .await
            .unwrap();
        let producer = Producer::new(&KafkaConfig {
            brokers: testkit::kafka_brokers(),
            delivery_timeout_secs: 10,
        })
        .unwrap();
        let span = tracing::info_span!("like.publish");
        producer
            .send(&topic, b"k", b"liked")
            .instrument(span.clone())
            .await
            .unwrap();

        let got: Arc<Mutex<Option<Record>>> = Arc::default();
        let sink = Arc::clone(&got);
        let spec = ConsumerSpec {
            brokers: testkit::kafka_brokers(),
            group: testkit::unique("group"),
            topics: vec![topic.clone()],
            max_batch: 1,
            max_wait: Duration::from_millis(50),
        };
        let watch = Arc::clone(&got);
        let done = async move {
            while watch.lock().unwrap().is_none() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        let handler = move |mut batch: Vec<Record>| {
            let sink = Arc::clone(&sink);
            async move {
                *sink.lock().unwrap() = batch.pop();
                Ok::<(), String>(())
            }
        };
        tokio::time::timeout(
            Duration::from_secs(60),
            kafka::run_consumer(spec, handler, done),
        )
        .await
        .expect("consumed within a minute")
        .unwrap();
        let record = got.lock().unwrap().take().unwrap();
        let consumer_span = tracing::info_span!("like.count");
        propagation::set_parent(&consumer_span, record.trace_context());
        assert_eq!(
            trace_id_of(&consumer_span),
            trace_id_of(&span),
            "consumer continues the producer's trace"
        );
    });
}

/// One OTLP request: content type and body.
type Captured = (String, Vec<u8>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_are_exported_over_otlp_http() {
    // The receiving end is a capture endpoint in this test: what is checked is that our exporter
    // configuration (endpoint path, protocol, flush) sends the span; collectors are exercised in the
    // stack's end-to-end tests.
    let bodies: Arc<Mutex<Vec<Captured>>> = Arc::default();
    let sink = Arc::clone(&bodies);
    let app = Router::new().route(
        "/v1/traces",
        post(move |headers: http::HeaderMap, body: axum::body::Bytes| {
            let sink = Arc::clone(&sink);
            async move {
                let ct = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                sink.lock().unwrap().push((ct, body.to_vec()));
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let cfg = TelemetryConfig {
        log_format: LogFormat::Json,
        log_filter: "info".into(),
        otlp_endpoint: format!("http://{addr}/"),
        sample_ratio: 1.0,
    };
    let provider =
        tokio::task::spawn_blocking(move || kit::telemetry::tracer_provider("clipfed-test", &cfg))
            .await
            .unwrap()
            .unwrap()
            .expect("exporter configured");
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    tracing::subscriber::with_default(subscriber, || {
        tracing::info_span!("exported.span.name").in_scope(|| {});
    });
    let flushed = tokio::task::spawn_blocking(move || {
        let r = provider.force_flush();
        let _ = provider.shutdown();
        r
    });
    flushed.await.unwrap().expect("flush");
    let bodies = bodies.lock().unwrap();
    assert!(!bodies.is_empty(), "no OTLP request arrived");
    let (content_type, body) = &bodies[0];
    assert_eq!(content_type, "application/x-protobuf");
    let needle = b"exported.span.name";
    assert!(
        body.windows(needle.len()).any(|w| w == needle),
        "span name not in the exported payload"
    );
    let service = b"clipfed-test";
    assert!(
        body.windows(service.len()).any(|w| w == service),
        "service.name not in the exported payload"
    );
}
