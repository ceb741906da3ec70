//! The process-wide Prometheus registry, the metric families `kit` itself records, and `/metrics`.
//!
//! Gauges that mirror some other state (Tokio runtime, DB pools, consumer lag) are refreshed by
//! *scrape hooks* just before encoding, so they cost nothing between scrapes.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Mutex, Once, OnceLock};

use prometheus::{
    CounterVec, Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use super::names;

/// The metric types the constructors below return, for callers that keep a family.
pub use prometheus::{IntCounter, IntCounterVec as CounterFamily};

/// Duration buckets (seconds) shared by the HTTP and GraphQL histograms: 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

type Hook = Box<dyn Fn() + Send + Sync>;

/// The registry every clipfed metric is registered in.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::new)
}

fn hooks() -> &'static Mutex<Vec<Hook>> {
    static HOOKS: OnceLock<Mutex<Vec<Hook>>> = OnceLock::new();
    HOOKS.get_or_init(Mutex::default)
}

/// Runs `hook` before every scrape (refresh a mirrored gauge).
pub fn on_scrape(hook: impl Fn() + Send + Sync + 'static) {
    hooks()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Box::new(hook));
}

/// Registers `collector` in the clipfed registry and returns it.
fn register<C: prometheus::core::Collector + Clone + 'static>(collector: C) -> C {
    if let Err(err) = registry().register(Box::new(collector.clone())) {
        tracing::warn!(error.message = %err, "metric registration failed");
    }
    collector
}

/// The family registered under `name`, created by `make` on first use: a family exists once per
/// process however many call sites ask for it.
fn family<C>(name: &str, make: impl FnOnce() -> C) -> C
where
    C: prometheus::core::Collector + Clone + Send + 'static,
{
    static FAMILIES: OnceLock<Mutex<HashMap<String, Box<dyn Any + Send>>>> = OnceLock::new();
    let mut families = FAMILIES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(existing) = families.get(name).and_then(|f| f.downcast_ref::<C>()) {
        return existing.clone();
    }
    let created = register(make());
    families.insert(name.to_owned(), Box::new(created.clone()));
    created
}

/// A counter without labels.
pub fn counter(name: &str, help: &str) -> prometheus::IntCounter {
    family(name, || {
        prometheus::IntCounter::with_opts(Opts::new(name, help)).expect("valid metric definition")
    })
}

/// A counter family labelled by `labels`.
pub fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    family(name, || {
        IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric definition")
    })
}

/// A counter family kept in a `static` where it is recorded: registered (through [`counter_vec`])
/// on first use, then one atomic load per record instead of the family map's lock, lookup and
/// clone, for counters on a hot path.
pub struct StaticCounters {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    family: OnceLock<IntCounterVec>,
}

impl StaticCounters {
    pub const fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            help,
            labels,
            family: OnceLock::new(),
        }
    }

    /// Adds one to the series of `values` (one per label, in order).
    pub fn inc(&self, values: &[&str]) {
        self.family
            .get_or_init(|| counter_vec(self.name, self.help, self.labels))
            .with_label_values(values)
            .inc();
    }
}

/// A gauge family labelled by `labels`.
pub fn gauge_vec(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    family(name, || {
        IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric definition")
    })
}

/// A latency histogram family labelled by `labels`, with the shared buckets.
pub fn latency_histogram(name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec());
    family(name, || {
        HistogramVec::new(opts, labels).expect("valid metric definition")
    })
}

/// RED metrics of the HTTP server and the GraphQL executor.
pub struct Red {
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub graphql_operations: IntCounterVec,
    pub graphql_duration: HistogramVec,
}

/// The RED metric families (created on first use).
pub fn red() -> &'static Red {
    static RED: OnceLock<Red> = OnceLock::new();
    RED.get_or_init(|| Red {
        http_requests: counter_vec(
            names::HTTP_SERVER_REQUESTS,
            "HTTP requests answered",
            &[
                "http_request_method",
                "http_route",
                "http_response_status_code",
            ],
        ),
        http_duration: latency_histogram(
            names::HTTP_SERVER_DURATION,
            "HTTP server request duration",
            // The labels OpenTelemetry's `http.server.request.duration` has, as the router's.
            &[
                "http_request_method",
                "http_route",
                "http_response_status_code",
            ],
        ),
        graphql_operations: counter_vec(
            names::GRAPHQL_OPERATIONS,
            "GraphQL operations executed",
            &["graphql_operation_name", "outcome"],
        ),
        graphql_duration: latency_histogram(
            names::GRAPHQL_DURATION,
            "GraphQL operation duration",
            &["graphql_operation_name"],
        ),
    })
}

/// A counter family of fractional values (seconds) labelled by `labels`.
pub fn float_counter_vec(name: &str, help: &str, labels: &[&str]) -> CounterVec {
    family(name, || {
        CounterVec::new(Opts::new(name, help), labels).expect("valid metric definition")
    })
}

/// Raises `counter` to `total` (a running total read from elsewhere); never lowers it.
fn catch_up(counter: &prometheus::Counter, total: f64) {
    let delta = total - counter.get();
    if delta > 0.0 {
        counter.inc_by(delta);
    }
}

/// Registers process CPU/memory/fd/thread metrics and the Tokio runtime metrics (once per process).
///
/// Every Tokio figure here is part of Tokio's stable API (`num_workers`, `num_alive_tasks`,
/// `global_queue_depth`, and per worker `worker_total_busy_duration` and `worker_park_count`);
/// clipfed does not build with `tokio_unstable`, so per-task poll histograms and blocking-pool
/// figures are not exported.
pub fn register_process_metrics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let process = prometheus::process_collector::ProcessCollector::for_self();
        if let Err(err) = registry().register(Box::new(process)) {
            tracing::warn!(error.message = %err, "process metrics registration failed");
        }
        let gauge = |name: &str, help: &str| {
            family(name, || {
                IntGauge::new(name, help).expect("valid metric definition")
            })
        };
        let workers = gauge(names::TOKIO_WORKERS, "Tokio worker threads");
        let alive = gauge(names::TOKIO_ALIVE_TASKS, "Tokio tasks alive");
        let queue = gauge(
            names::TOKIO_GLOBAL_QUEUE_DEPTH,
            "Tokio tasks waiting in the global queue",
        );
        let busy = float_counter_vec(
            names::TOKIO_WORKER_BUSY,
            "Time each Tokio worker spent running tasks",
            &["worker"],
        );
        let parks = counter_vec(
            names::TOKIO_WORKER_PARKS,
            "Times each Tokio worker parked (ran out of work)",
            &["worker"],
        );
        on_scrape(move || {
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                let m = handle.metrics();
                workers.set(m.num_workers() as i64);
                alive.set(m.num_alive_tasks() as i64);
                queue.set(m.global_queue_depth() as i64);
                for worker in 0..m.num_workers() {
                    let label = worker.to_string();
                    catch_up(
                        &busy.with_label_values(&[label.as_str()]),
                        m.worker_total_busy_duration(worker).as_secs_f64(),
                    );
                    let parked = parks.with_label_values(&[label.as_str()]);
                    let total = m.worker_park_count(worker);
                    parked.inc_by(total.saturating_sub(parked.get()));
                }
            }
        });
    });
}

/// Refreshes mirrored gauges and encodes the registry in the Prometheus text format.
pub fn render() -> String {
    for hook in hooks().lock().unwrap_or_else(|e| e.into_inner()).iter() {
        hook();
    }
    let mut buf = Vec::new();
    if let Err(err) = TextEncoder::new().encode(&registry().gather(), &mut buf) {
        tracing::warn!(error.message = %err, "metrics encoding failed");
    }
    String::from_utf8(buf).unwrap_or_default()
}

/// The `/metrics` handler.
#[cfg(feature = "server")]
pub async fn handler() -> impl axum::response::IntoResponse {
    (
        [(
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(),
    )
}
