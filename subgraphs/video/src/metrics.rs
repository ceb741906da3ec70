//! Business metrics of the video service (RED metrics per operation come from kit's middleware).

use kit::telemetry::metrics::counter;

pub fn published() {
    counter("clipfed_video_published_total", "Videos registered").inc();
}

pub fn deleted() {
    counter("clipfed_video_deleted_total", "Videos deleted").inc();
}

pub fn visits_applied(n: u64) {
    counter(
        "clipfed_video_visits_applied_total",
        "Visit events folded into counts (replays excluded)",
    )
    .inc_by(n);
}

fn malformed_visits() -> kit::telemetry::metrics::IntCounter {
    counter(
        "clipfed_video_visits_malformed_total",
        "Visit records skipped because they could not be parsed",
    )
}

pub fn malformed_visit() {
    malformed_visits().inc();
}

/// Makes the malformed-visit series exist at zero from start-up (a dashboard reads 0, not
/// nothing).
pub fn init() {
    malformed_visits();
}

pub fn visit_not_counted() {
    counter(
        "clipfed_video_visits_over_limit_total",
        "Visits not counted because the viewer passed visit_limit for the video",
    )
    .inc();
}

pub fn popular_fallback() {
    counter(
        "clipfed_video_popular_fallbacks_total",
        "Popular pages served from MySQL because Redis failed",
    )
    .inc();
}

pub fn ranking_rebuilt() {
    counter(
        "clipfed_video_ranking_rebuilds_total",
        "Times the Redis ranking was rebuilt from MySQL",
    )
    .inc();
}

/// `outcome`: `extracted`, `default` (no ffmpeg or undecodable) or `error` (retried at restart).
/// A feed page or total looked up in the Redis feed cache: `hit`, `miss` or `error`. On every
/// feed request, so the family is looked up once, not in kit's registry map each time.
pub fn feed_cache(result: &str) {
    static FAMILY: std::sync::OnceLock<kit::telemetry::metrics::CounterFamily> =
        std::sync::OnceLock::new();
    FAMILY
        .get_or_init(|| {
            kit::telemetry::metrics::counter_vec(
                "clipfed_video_feed_cache_total",
                "Feed cache lookups by result (error: Redis failed and MySQL answered)",
                &["result"],
            )
        })
        .with_label_values(&[result])
        .inc();
}

pub fn cover(outcome: &str) {
    kit::telemetry::metrics::counter_vec(
        "clipfed_video_covers_total",
        "Cover extractions by outcome",
        &["outcome"],
    )
    .with_label_values(&[outcome])
    .inc();
}
