//! W3C trace-context propagation across HTTP headers and Kafka message headers.
//!
//! Inject on the way out (`traceparent`, `tracestate`), extract on the way in and make the extracted
//! context the parent of the handling span, so one trace follows a request through the router, the
//! subgraphs and the Kafka consumers.

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector};
#[cfg(feature = "kafka")]
use rdkafka::message::{Headers, OwnedHeaders};
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct HeaderMapInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderMapInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct HeaderMapExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderMapExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Writes the current span's context into outgoing HTTP headers.
pub fn inject_http(headers: &mut http::HeaderMap) {
    let cx = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(&cx, &mut HeaderMapInjector(headers))
    });
}

/// Reads a remote context from incoming HTTP headers.
pub fn extract_http(headers: &http::HeaderMap) -> Context {
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderMapExtractor(headers)))
}

/// Kafka headers as collected key/value pairs (borrowed or owned messages alike).
#[derive(Debug, Clone, Default)]
pub struct KafkaHeaders(Vec<(String, String)>);

impl KafkaHeaders {
    /// Collects the UTF-8 headers of a message.
    #[cfg(feature = "kafka")]
    pub fn from_headers<H: Headers>(headers: Option<&H>) -> Self {
        let pairs = headers
            .map(|h| {
                h.iter()
                    .filter_map(|hdr| {
                        let value = std::str::from_utf8(hdr.value?).ok()?;
                        Some((hdr.key.to_owned(), value.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self(pairs)
    }

    /// The value of header `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl Extractor for KafkaHeaders {
    fn get(&self, key: &str) -> Option<&str> {
        KafkaHeaders::get(self, key)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_str()).collect()
    }
}

struct KafkaInjector(Vec<(String, String)>);

impl Injector for KafkaInjector {
    fn set(&mut self, key: &str, value: String) {
        self.0.push((key.to_owned(), value));
    }
}

/// Adds the current span's context to outgoing Kafka headers.
#[cfg(feature = "kafka")]
pub fn inject_kafka(mut headers: OwnedHeaders) -> OwnedHeaders {
    let cx = tracing::Span::current().context();
    let mut injector = KafkaInjector(Vec::new());
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut injector));
    for (key, value) in &injector.0 {
        headers = headers.insert(rdkafka::message::Header {
            key,
            value: Some(value.as_bytes()),
        });
    }
    headers
}

/// Reads a remote context from a Kafka message's headers.
pub fn extract_kafka(headers: &KafkaHeaders) -> Context {
    opentelemetry::global::get_text_map_propagator(|p| p.extract(headers))
}

/// The current span's W3C `traceparent`, to store with work that continues later (the outbox).
pub fn current_traceparent() -> Option<String> {
    let cx = tracing::Span::current().context();
    let mut injector = KafkaInjector(Vec::new());
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut injector));
    injector
        .0
        .into_iter()
        .find_map(|(k, v)| (k == "traceparent").then_some(v))
}

/// The remote context a stored `traceparent` names.
pub fn from_traceparent(traceparent: &str) -> Context {
    extract_kafka(&KafkaHeaders(vec![(
        "traceparent".to_owned(),
        traceparent.to_owned(),
    )]))
}

/// Makes `cx` the parent of `span` (a no-op when `cx` carries no remote span).
pub fn set_parent(span: &tracing::Span, cx: Context) {
    let _ = span.set_parent(cx);
}
