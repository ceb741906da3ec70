//! JSON log lines joined to traces: every line written inside a span carries the W3C `trace_id`
//! and `span_id` of that span (as the trace viewer shows them), so a log line leads to its trace
//! and a trace to its log lines (`docs/observability.md`).

use std::sync::{Arc, OnceLock};

use opentelemetry::trace::TraceContextExt as _;
use tracing::dispatcher::WeakDispatch;
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The subscriber the formatter asks for span contexts. A formatter cannot use
/// `tracing::dispatcher::get_default` (inside an event callback it answers the no-op dispatcher,
/// to stop re-entry), so [`DispatchHandle`], a layer of the same subscriber, hands it over when the
/// subscriber is built.
type Shared = Arc<OnceLock<WeakDispatch>>;

/// Wraps a JSON event formatter: its object gets `trace_id` and `span_id` first when the event
/// happens inside a span that OpenTelemetry knows. Build it with [`pair`].
pub struct WithTraceIds<F> {
    inner: F,
    dispatch: Shared,
}

/// The layer that gives [`WithTraceIds`] its subscriber; add it to the same subscriber, as itself
/// (an `Option` of it would not pass the subscriber on). The default one serves no formatter.
#[derive(Default)]
pub struct DispatchHandle(Shared);

/// The formatter around `inner` and the layer it needs.
pub fn pair<F>(inner: F) -> (WithTraceIds<F>, DispatchHandle) {
    let dispatch = Shared::default();
    (
        WithTraceIds {
            inner,
            dispatch: Arc::clone(&dispatch),
        },
        DispatchHandle(dispatch),
    )
}

impl<S: Subscriber> Layer<S> for DispatchHandle {
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        let _ = self.0.set(subscriber.downgrade());
    }
}

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        // The OpenTelemetry layer keeps each span's context and hands it out through the
        // subscriber (no span extension is borrowed here, as `get_otel_context` requires).
        let ids = ctx.lookup_current().and_then(|span| {
            let dispatch = self.dispatch.get()?.upgrade()?;
            let cx = tracing_opentelemetry::get_otel_context(&span.id(), &dispatch)?;
            let sc = cx.span().span_context().clone();
            sc.is_valid().then(|| (sc.trace_id(), sc.span_id()))
        });
        match (ids, line.strip_prefix('{')) {
            (Some((trace, span)), Some(rest)) => {
                write!(
                    writer,
                    "{{\"trace_id\":\"{trace}\",\"span_id\":\"{span}\",{rest}"
                )
            }
            _ => writer.write_str(&line),
        }
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn a_line_inside_a_span_names_its_trace_and_span() {
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let lines = testkit::Captured::default();
        let sink = lines.clone();
        let json = tracing_subscriber::fmt::format()
            .json()
            .flatten_event(true)
            .with_current_span(false);
        let (format, handle) = pair(json);
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
            .with(handle)
            .with(
                tracing_subscriber::fmt::layer()
                    .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
                    .event_format(format)
                    .with_writer(move || sink.clone()),
            );
        let expected = tracing::subscriber::with_default(subscriber, || {
            tracing::info!("outside");
            let span = tracing::info_span!("request", http.route = "/like/action");
            let _entered = span.enter();
            tracing::info!(answer = 42, "inside");
            let cx = tracing_opentelemetry::OpenTelemetrySpanExt::context(&span);
            let sc = opentelemetry::trace::TraceContextExt::span(&cx)
                .span_context()
                .clone();
            (sc.trace_id().to_string(), sc.span_id().to_string())
        });
        let text = lines.text();
        let parsed: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
            .collect();
        assert_eq!(parsed.len(), 2, "{text}");
        assert_eq!(parsed[0]["message"], "outside");
        assert!(parsed[0].get("trace_id").is_none(), "{text}");
        assert_eq!(parsed[1]["message"], "inside");
        assert_eq!(parsed[1]["answer"], 42);
        assert_eq!(parsed[1]["trace_id"], expected.0.as_str(), "{text}");
        assert_eq!(parsed[1]["span_id"], expected.1.as_str());
        assert_ne!(expected.0, "00000000000000000000000000000000");
    }
}
