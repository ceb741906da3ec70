//! The social service's business metrics (kit registers them in the process registry).

use kit::telemetry::metrics;

/// One successful action: like, unlike, comment, delete_comment, follow, unfollow, chat_private,
/// chat_group, chat_group_create.
pub fn action(name: &str) {
    metrics::counter_vec(
        "clipfed_social_actions_total",
        "Successful social actions",
        &["action"],
    )
    .with_label_values(&[name])
    .inc();
}

/// Events folded into counters (each event id once).
pub fn events_folded(n: u64) {
    metrics::counter(
        "clipfed_social_events_folded_total",
        "Interaction events folded into counters",
    )
    .inc_by(n);
}

fn malformed_family() -> metrics::CounterFamily {
    metrics::counter_vec(
        "clipfed_social_malformed_events_total",
        "Consumed records that could not be decoded",
        &["messaging_destination_name"],
    )
}

/// A record of a consumed topic that could not be decoded (skipped).
pub fn malformed(topic: &str) {
    malformed_family().with_label_values(&[topic]).inc();
}

/// Makes the series that only errors or chats move exist at zero from start-up, so a dashboard
/// or an alert reads 0 rather than nothing.
pub fn init(consumed_topics: &[&str]) {
    for topic in consumed_topics {
        malformed_family().with_label_values(&[*topic]);
    }
    chat_connections(0);
}

/// Open chat connections, up (`1`) or down (`-1`).
pub fn chat_connections(delta: i64) {
    metrics::gauge_vec(
        "clipfed_social_chat_connections",
        "Open chat WebSocket connections",
        &[],
    )
    .with_label_values(&[] as &[&str])
    .add(delta);
}
