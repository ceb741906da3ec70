//! The plugin's own metrics, recorded through the OpenTelemetry meter provider Hive Router installs
//! globally, so its `/metrics` serves them beside Hive's (HTTP server and client durations, GraphQL
//! errors, circuit breaker). Hive's exporter adds no unit or `_total` suffix, so the instrument
//! names carry them, as Hive's own do. Prometheus names: `clipfed_router_rest_requests_total{route,code}`,
//! `clipfed_router_renewals_total{outcome}`, `clipfed_router_passthrough_bytes_total{service,direction}`.
//! Every label value comes from a fixed set (route ids, error codes, service names).

use std::sync::OnceLock;

use opentelemetry::KeyValue;
use opentelemetry::metrics::Counter;

struct Instruments {
    rest: Counter<u64>,
    renewals: Counter<u64>,
    passthrough: Counter<u64>,
}

fn instruments() -> &'static Instruments {
    static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();
    INSTRUMENTS.get_or_init(|| {
        let meter = opentelemetry::global::meter("clipfed-router");
        Instruments {
            rest: meter
                .u64_counter("clipfed.router.rest.requests_total")
                .with_description("West2 REST requests answered, by route id and answer code")
                .build(),
            renewals: meter
                .u64_counter("clipfed.router.renewals_total")
                .with_description(
                    "Expired access tokens presented with a refresh token, by outcome",
                )
                .build(),
            passthrough: meter
                .u64_counter("clipfed.router.passthrough.bytes_total")
                .with_description(
                    "Bytes streamed through the pass-through routes, by service and direction",
                )
                .build(),
        }
    })
}

/// One REST answer of route `id` (U1, V3, ...) with envelope code `code`.
pub fn rest_answer(id: &'static str, code: i64) {
    instruments().rest.add(
        1,
        &[KeyValue::new("route", id), KeyValue::new("code", code)],
    );
}

/// One renewal attempt: `renewed` or `refused`.
pub fn renewal(renewed: bool) {
    let outcome = if renewed { "renewed" } else { "refused" };
    instruments()
        .renewals
        .add(1, &[KeyValue::new("outcome", outcome)]);
}

/// `bytes` streamed to (`request`) or from (`response`) `service`.
pub fn passthrough(service: &'static str, direction: &'static str, bytes: u64) {
    instruments().passthrough.add(
        bytes,
        &[
            KeyValue::new("service", service),
            KeyValue::new("direction", direction),
        ],
    );
}
