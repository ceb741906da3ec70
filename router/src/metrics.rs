//! The plugin's own metrics, recorded through the OpenTelemetry meter provider Hive Router installs
//! globally, so its `/metrics` serves them beside Hive's (HTTP server and client durations, GraphQL
//! errors, circuit breaker). Hive's exporter adds no unit or `_total` suffix, so the instrument
//! names carry them, as Hive's own do. Prometheus names: `clipfed_router_rest_requests_total{route,code}`,
//! `clipfed_router_renewals_total{outcome}`, `clipfed_router_passthrough_bytes_total{service,direction}`;
//! for discovery (`docs/discovery.md`): `clipfed_router_instance_calls_total{service,instance,outcome}`,
//! `clipfed_router_breaker_transitions_total{service,instance,state}`,
//! `clipfed_router_breaker_open{service,instance}`, `clipfed_router_registry_instances{service}` and
//! `clipfed_router_registry_reachable`. Every label value comes from a fixed set (route ids, error
//! codes, service names) or from the deployment (instance `host:port`, never a user's value).

use std::sync::OnceLock;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge};

struct Instruments {
    rest: Counter<u64>,
    renewals: Counter<u64>,
    passthrough: Counter<u64>,
    instance_calls: Counter<u64>,
    transitions: Counter<u64>,
    breaker_open: Gauge<i64>,
    registry_instances: Gauge<i64>,
    registry_reachable: Gauge<i64>,
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
            instance_calls: meter
                .u64_counter("clipfed.router.instance.calls_total")
                .with_description(
                    "Calls to service instances (subgraph and pass-through), by outcome",
                )
                .build(),
            transitions: meter
                .u64_counter("clipfed.router.breaker.transitions_total")
                .with_description("Instance circuit breaker state changes, by the state entered")
                .build(),
            breaker_open: meter
                .i64_gauge("clipfed.router.breaker.open")
                .with_description("1 while an instance's circuit breaker is open or half-open")
                .build(),
            registry_instances: meter
                .i64_gauge("clipfed.router.registry.instances")
                .with_description("Instances the registry lists, by service")
                .build(),
            registry_reachable: meter
                .i64_gauge("clipfed.router.registry.reachable")
                .with_description("1 while the router's watch on etcd is up")
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

/// One call to an instance of `service` ended with `outcome` (`ok`, `failed`).
pub fn instance_call(service: &str, instance: &str, outcome: &'static str) {
    instruments().instance_calls.add(
        1,
        &[
            KeyValue::new("service", service.to_owned()),
            KeyValue::new("instance", instance.to_owned()),
            KeyValue::new("outcome", outcome),
        ],
    );
}

/// An instance's breaker entered `state`.
pub fn breaker_transition(service: &str, instance: &str, state: &'static str) {
    let labels = [
        KeyValue::new("service", service.to_owned()),
        KeyValue::new("instance", instance.to_owned()),
    ];
    instruments().transitions.add(
        1,
        &[
            labels[0].clone(),
            labels[1].clone(),
            KeyValue::new("state", state),
        ],
    );
    instruments()
        .breaker_open
        .record(i64::from(state != "closed"), &labels);
}

/// The registry's view: instances per service, and whether etcd is reachable.
pub fn registry(sizes: &[(String, usize)], reachable: bool) {
    for (service, n) in sizes {
        instruments().registry_instances.record(
            i64::try_from(*n).unwrap_or(i64::MAX),
            &[KeyValue::new("service", service.clone())],
        );
    }
    instruments()
        .registry_reachable
        .record(i64::from(reachable), &[]);
}
