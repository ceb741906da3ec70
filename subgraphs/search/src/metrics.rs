//! The search service's business metrics (kit registers them in the process registry).

use std::time::Duration;

use kit::telemetry::metrics;

/// Time of one image-search stage: `embed` (the CNN or remote model), `milvus` (the vector search)
/// or `records` (ids → URLs in MySQL).
pub fn stage(name: &str, took: Duration) {
    metrics::latency_histogram(
        "clipfed_search_image_stage_seconds",
        "Image search time per stage",
        &["stage"],
    )
    .with_label_values(&[name])
    .observe(took.as_secs_f64());
}

/// Time of one Milvus call (`upsert`, `delete`, `search`).
pub fn milvus(op: &str, took: Duration) {
    metrics::latency_histogram(
        "clipfed_search_milvus_seconds",
        "Milvus call time per operation",
        &["operation"],
    )
    .with_label_values(&[op])
    .observe(took.as_secs_f64());
}

/// One search served: `keyword` or `image`.
pub fn searched(kind: &str) {
    metrics::counter_vec(
        "clipfed_search_searches_total",
        "Searches served",
        &["kind"],
    )
    .with_label_values(&[kind])
    .inc();
}

/// One image indexed, by source (`cover`, `avatar`, `import`).
pub fn indexed(source: &str) {
    metrics::counter_vec(
        "clipfed_search_images_indexed_total",
        "Images embedded and stored in Milvus",
        &["source"],
    )
    .with_label_values(&[source])
    .inc();
}

fn malformed_family() -> metrics::CounterFamily {
    metrics::counter_vec(
        "clipfed_search_malformed_events_total",
        "Consumed records that could not be decoded",
        &["messaging_destination_name"],
    )
}

/// A record of a consumed topic that could not be decoded (skipped).
pub fn malformed(topic: &str) {
    malformed_family().with_label_values(&[topic]).inc();
}

/// Makes the malformed-record series exist at zero from start-up (a dashboard reads 0, not
/// nothing).
pub fn init(consumed_topics: &[&str]) {
    for topic in consumed_topics {
        malformed_family().with_label_values(&[*topic]);
    }
}
