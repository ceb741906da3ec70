//! Business metrics of the video service (RED metrics per operation come from kit's middleware).

use kit::telemetry::metrics::{StaticCounters, counter};

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

/// A feed page or total looked up in the Redis feed cache: `hit`, `miss` or `error`. On every
/// feed request, so the family lives in a static.
pub fn feed_cache(result: &str) {
    static FEED_CACHE: StaticCounters = StaticCounters::new(
        "clipfed_video_feed_cache_total",
        "Feed cache lookups by result (error: Redis failed and MySQL answered)",
        &["result"],
    );
    FEED_CACHE.inc(&[result]);
}

/// `outcome`: `extracted`, `default` (no ffmpeg or undecodable) or `error` (retried at restart).
pub fn cover(outcome: &str) {
    static COVERS: StaticCounters = StaticCounters::new(
        "clipfed_video_covers_total",
        "Cover extractions by outcome",
        &["outcome"],
    );
    COVERS.inc(&[outcome]);
}
