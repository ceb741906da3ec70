//! The upload service's metrics (kit registers them in the process registry).

use std::time::Duration;

use kit::telemetry::metrics;

/// Bytes accepted into uploads (durably or not yet: every byte read from a body).
pub fn bytes_received(n: u64) {
    metrics::counter(
        "clipfed_upload_bytes_received_total",
        "Bytes read from upload bodies",
    )
    .inc_by(n);
}

/// An upload's life: started, completed, failed (refused content, registration refused),
/// expired, terminated.
pub fn upload(outcome: &str) {
    metrics::counter_vec(
        "clipfed_upload_uploads_total",
        "Uploads by outcome",
        &["outcome"],
    )
    .with_label_values(&[outcome])
    .inc();
}

/// A registration call that failed: `transient` (retried; the object is kept) or `refused`.
/// Transient failures that last mean an operator should look (signing keys, clocks, the subgraph).
pub fn registration_failure(kind: &str) {
    metrics::counter_vec(
        "clipfed_upload_registration_failures_total",
        "Failed calls recording a finished upload, by kind",
        &["kind"],
    )
    .with_label_values(&[kind])
    .inc();
}

/// One part sent to S3.
pub fn part_sent(elapsed: Duration) {
    metrics::latency_histogram(
        "clipfed_upload_part_duration_seconds",
        "Time to send one part to the object store",
        &[],
    )
    .with_label_values(&[] as &[&str])
    .observe(elapsed.as_secs_f64());
}

/// Sessions not yet done, and requests streaming right now.
pub fn set_active(sessions: i64, streaming: i64) {
    let g = metrics::gauge_vec(
        "clipfed_upload_active",
        "Upload sessions not yet done, and requests streaming bytes",
        &["what"],
    );
    g.with_label_values(&["sessions"]).set(sessions);
    g.with_label_values(&["streaming"]).set(streaming);
}
