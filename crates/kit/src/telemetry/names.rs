//! Every metric name and label key `kit` registers, in one place (OpenTelemetry names, Prometheus style).

/// `http.server.request.duration`: histogram of server request durations, seconds.
pub const HTTP_SERVER_DURATION: &str = "http_server_request_duration_seconds";
/// Requests answered, by method, route and status code.
pub const HTTP_SERVER_REQUESTS: &str = "http_server_requests_total";
/// GraphQL operations executed, by operation name and outcome (`ok`, `error`).
pub const GRAPHQL_OPERATIONS: &str = "graphql_server_operations_total";
/// Histogram of GraphQL operation durations, seconds.
pub const GRAPHQL_DURATION: &str = "graphql_server_operation_duration_seconds";
/// Kafka messages produced, by topic and outcome.
pub const KAFKA_PRODUCED: &str = "messaging_client_sent_messages_total";
/// Kafka messages processed by a consumer, by group, topic and outcome.
pub const KAFKA_CONSUMED: &str = "messaging_client_consumed_messages_total";
/// Consumer lag: high watermark minus committed offset, by group, topic and partition.
pub const KAFKA_LAG: &str = "messaging_kafka_consumer_lag";
/// Connections in a database pool, by database and state (`idle`, `used`).
pub const DB_POOL_CONNECTIONS: &str = "db_client_connection_count";
/// Database queries by operation (`db_operation_name`), e.g. to prove a batch is one query.
pub const DB_CLIENT_OPERATIONS: &str = "db_client_operations_total";
/// Tokio runtime gauges (workers, alive tasks, global queue depth).
pub const TOKIO_WORKERS: &str = "tokio_runtime_workers";
pub const TOKIO_ALIVE_TASKS: &str = "tokio_runtime_alive_tasks";
pub const TOKIO_GLOBAL_QUEUE_DEPTH: &str = "tokio_runtime_global_queue_depth";
/// Seconds each Tokio worker spent busy, by `worker` (its index); `rate()` is its utilisation.
pub const TOKIO_WORKER_BUSY: &str = "tokio_runtime_worker_busy_seconds_total";
/// Times each Tokio worker parked, by `worker`.
pub const TOKIO_WORKER_PARKS: &str = "tokio_runtime_worker_parks_total";
/// Outbox rows not yet published to Kafka.
pub const OUTBOX_BACKLOG: &str = "clipfed_outbox_backlog";
/// Outbox rows published.
pub const OUTBOX_PUBLISHED: &str = "clipfed_outbox_published_total";
/// 1 while this instance's key is in the service registry, by service.
pub const REGISTRY_REGISTERED: &str = "clipfed_registry_registered";
/// Registrations and lease renewals that failed, by service.
pub const REGISTRY_FAILURES: &str = "clipfed_registry_failures_total";
/// Requests a service refused because it was at capacity (`http.max_in_flight`).
pub const HTTP_SHED: &str = "http_server_shed_requests_total";
