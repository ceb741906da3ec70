//! Telemetry: the tracing subscriber (pretty or JSON logs), OTLP trace export, W3C propagation and
//! Prometheus metrics.
//!
//! Logging rules: short fixed messages, data in fields named after OpenTelemetry attributes
//! (`http.request.method`, `messaging.destination.name`, `error.message`), never interpolated.

pub mod log_ids;
pub mod metrics;
#[cfg(feature = "server")]
pub mod middleware;
pub mod names;
pub mod propagation;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, TelemetryConfig};

/// Flushes and stops trace export when dropped or shut down; keep it alive for the process lifetime.
#[must_use = "dropping the guard stops trace export"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Flushes pending spans and stops the exporter.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(err) = provider.shutdown()
        {
            tracing::warn!(error.message = %err, "trace exporter shutdown failed");
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Builds the OTLP/HTTP tracer provider for `service`, or `None` when `cfg.otlp_endpoint` is empty.
pub fn tracer_provider(
    service: &str,
    cfg: &TelemetryConfig,
) -> anyhow::Result<Option<SdkTracerProvider>> {
    use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
    if cfg.otlp_endpoint.is_empty() {
        return Ok(None);
    }
    let endpoint = format!("{}/v1/traces", cfg.otlp_endpoint.trim_end_matches('/'));
    // The batch exporter sends from a thread of its own, without a Tokio runtime: the blocking
    // client, always (a build with Hive Router would otherwise pick the async one and panic). It
    // owns a runtime, which may be neither built nor dropped inside an async context: build it on
    // a plain thread (it is dropped on the exporter's thread).
    let client = std::thread::spawn(|| {
        reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
    })
    .join()
    .map_err(|_| anyhow::anyhow!("building the OTLP HTTP client panicked"))??;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_endpoint(endpoint)
        .build()?;
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
        cfg.sample_ratio.clamp(0.0, 1.0),
    )));
    let provider = SdkTracerProvider::builder()
        .with_span_processor(ServiceAttribute(service.to_owned()))
        .with_batch_exporter(exporter)
        .with_sampler(sampler)
        .with_resource(
            Resource::builder()
                .with_service_name(service.to_owned())
                .build(),
        )
        .build();
    Ok(Some(provider))
}

/// Puts `service.name` on every span as an attribute too: viewers that keep span attributes but not
/// the resource (Phoenix) still show which service a span came from.
#[derive(Debug)]
struct ServiceAttribute(String);

impl opentelemetry_sdk::trace::SpanProcessor for ServiceAttribute {
    fn on_start(&self, span: &mut opentelemetry_sdk::trace::Span, _cx: &opentelemetry::Context) {
        use opentelemetry::trace::Span as _;
        span.set_attribute(opentelemetry::KeyValue::new("service.name", self.0.clone()));
    }

    fn on_end(&self, _span: opentelemetry_sdk::trace::SpanData) {}

    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(
        &self,
        _timeout: std::time::Duration,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
}

/// Installs the global subscriber, the W3C propagator and (when configured) OTLP export.
///
/// Call once, from `main`; tests that need spans build their own provider with [`tracer_provider`].
pub fn init(service: &'static str, cfg: &TelemetryConfig) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_new(&cfg.log_filter)?;
    let (fmt, ids) = match cfg.log_format {
        LogFormat::Pretty => (
            tracing_subscriber::fmt::layer().with_target(true).boxed(),
            log_ids::DispatchHandle::default(),
        ),
        LogFormat::Json => {
            let (format, handle) = log_ids::pair(
                tracing_subscriber::fmt::format()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false),
            );
            let layer = tracing_subscriber::fmt::layer()
                .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
                .event_format(format)
                .boxed();
            (layer, handle)
        }
    };
    let provider = tracer_provider(service, cfg)?;
    let otel = provider
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer(service)));
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(ids)
        .with(otel)
        .try_init()?;
    if let Some(p) = &provider {
        opentelemetry::global::set_tracer_provider(p.clone());
    }
    metrics::register_process_metrics();
    Ok(TelemetryGuard { provider })
}
