//! The dashboards of `grafana/dashboards/`: what each panel shows, as PromQL over the metrics the
//! services, the router and the exporters export (`docs/observability.md` lists them). The JSON is
//! generated from here by `clipfed dashboards` and committed; a test fails when it is stale.

use super::grafana::{Dashboard, Panel, series};

/// The jobs of clipfed's own processes (the `service` variable).
const SERVICES: &str = "user|video|social|search|upload|router";
/// The label selector every service panel applies.
const SEL: &str = r#"job=~"$service",instance=~"$instance""#;

/// `rate(metric{SEL,extra}[$__rate_interval])`.
fn rate(metric: &str, extra: &str) -> String {
    format!("rate({metric}{{{SEL}{extra}}}[$__rate_interval])")
}

/// `metric`'s rate summed by `by`.
fn sum_rate(by: &str, metric: &str) -> String {
    format!("sum by ({by}) ({})", rate(metric, ""))
}

/// The `q` quantile of histogram `metric`, summed by `by`.
fn quantile(q: f64, metric: &str, by: &str) -> String {
    format!(
        "histogram_quantile({q}, sum by ({by}, le) ({}))",
        rate(&format!("{metric}_bucket"), "")
    )
}

/// The share of `metric`'s rate whose `extra` selector matches, by `by`; 0 (not empty) when
/// nothing matched, so an idle error panel still draws.
fn ratio(metric: &str, extra: &str, by: &str) -> String {
    let all = sum_rate(by, metric);
    format!(
        "(sum by ({by}) ({}) or {all} * 0) / {all}",
        rate(metric, extra)
    )
}

fn p(
    title: &'static str,
    description: &'static str,
    unit: &'static str,
    queries: &[(String, &'static str)],
) -> Panel {
    let refs: Vec<(&str, &'static str)> = queries.iter().map(|(e, l)| (e.as_str(), *l)).collect();
    series(title, description, unit, &refs)
}

pub fn all() -> Vec<Dashboard> {
    vec![
        overview(),
        kafka(),
        runtime(),
        mysql(),
        redis(),
        node(),
        business(),
    ]
}

fn overview() -> Dashboard {
    // The services and the router both export OpenTelemetry's HTTP server histogram (method,
    // route, status); its `_count` is the request counter every panel below shares.
    let http = "http_server_request_duration_seconds_count";
    let http_duration = "http_server_request_duration_seconds";
    let gql_duration = "graphql_server_operation_duration_seconds";
    Dashboard {
        uid: "clipfed-overview",
        title: "clipfed / Overview",
        description: "Traffic, errors and latency of every service and of the router, per route and per GraphQL operation.",
        services: SERVICES,
        panels: vec![
            p("Requests per second by service", "HTTP requests answered, per service; the router's count is the public traffic.", "reqps",
              &[(sum_rate("job", http), "{{job}}")]),
            p("Error ratio by service", "Share of HTTP answers with a 5xx status. The REST facade answers business errors as 200 with an error code; those are in the GraphQL error panel.", "percentunit",
              &[(ratio(http, r#",http_response_status_code=~"5..""#, "job"), "{{job}}")]).red_above(0.01),
            p("Latency by service (p50, p95, p99)", "HTTP server request duration quantiles, per service.", "s",
              &[(quantile(0.5, http_duration, "job"), "{{job}} p50"),
                (quantile(0.95, http_duration, "job"), "{{job}} p95"),
                (quantile(0.99, http_duration, "job"), "{{job}} p99")]).red_above(0.5),
            p("Requests per second by route", "HTTP requests per service and route template (never a raw path).", "reqps",
              &[(sum_rate("job, http_route", http), "{{job}} {{http_route}}")]),
            p("p99 latency by route", "99th percentile request duration per route template.", "s",
              &[(quantile(0.99, http_duration, "job, http_route"), "{{job}} {{http_route}}")]).red_above(0.5),
            p("GraphQL operations per second by outcome", "Operations executed by the subgraphs, by name and outcome (ok, error: the response carried errors).", "ops",
              &[(sum_rate("job, graphql_operation_name, outcome", "graphql_server_operations_total"), "{{job}} {{graphql_operation_name}} {{outcome}}")]),
            p("GraphQL error ratio by service", "Share of GraphQL operations whose response carried errors (bad input included).", "percentunit",
              &[(ratio("graphql_server_operations_total", r#",outcome="error""#, "job"), "{{job}}")]).red_above(0.05),
            p("Top 10 slow operations (p95)", "The ten GraphQL operations with the highest 95th percentile duration.", "s",
              &[(format!("topk(10, {})", quantile(0.95, gql_duration, "job, graphql_operation_name")), "{{job}} {{graphql_operation_name}}")]).bars(),
            p("Router: subgraph requests per second", "Requests the router sends to each subgraph (Hive Router's HTTP client histogram).", "reqps",
              &[(sum_rate("subgraph_name", "http_client_request_duration_seconds_count"), "{{subgraph_name}}")]),
            p("Router: subgraph request duration (p95)", "Time the router waits for each subgraph, 95th percentile.", "s",
              &[(quantile(0.95, "http_client_request_duration_seconds", "subgraph_name"), "{{subgraph_name}}")]).red_above(0.5),
            p("Router: GraphQL errors per second by code", "Errors in the router's GraphQL responses, by error code (bad input included).", "ops",
              &[(sum_rate("code", "hive_router_graphql_errors_total"), "{{code}}")]),
            p("Router: REST facade answers by route and code", "West2 REST routes answered by the router's plugin, by route id (U1, V3, ...) and envelope code (10000 is success).", "reqps",
              &[(sum_rate("route, code", "clipfed_router_rest_requests_total"), "{{route}} {{code}}")]),
            p("Router: pass-through bytes per second", "Bytes the router streams to and from the upload and search services (file routes, tus).", "Bps",
              &[(sum_rate("service, direction", "clipfed_router_passthrough_bytes_total"), "{{service}} {{direction}}")]),
        ],
    }
}

fn kafka() -> Dashboard {
    Dashboard {
        uid: "clipfed-kafka",
        title: "clipfed / Kafka and the outbox",
        description: "Consumer lag, consume and produce rates, the transactional outbox and counter convergence.",
        services: SERVICES,
        panels: vec![
            p("Consumer lag by group, topic and partition", "Messages not yet processed: high watermark minus committed offset, measured by each consumer for the partitions it owns.", "short",
              &[(format!("max by (messaging_consumer_group_name, messaging_destination_name, messaging_destination_partition_id) (messaging_kafka_consumer_lag{{{SEL}}})"), "{{messaging_consumer_group_name}} {{messaging_destination_name}}/{{messaging_destination_partition_id}}")]).red_above(1000.0),
            p("Consumed per second by group and topic", "Messages processed by each consumer group (outcome error: the batch failed and is retried).", "ops",
              &[(sum_rate("messaging_consumer_group_name, messaging_destination_name, outcome", "messaging_client_consumed_messages_total"), "{{messaging_consumer_group_name}} {{messaging_destination_name}} {{outcome}}")]),
            p("Produced per second by topic", "Messages sent to Kafka, by topic and outcome.", "ops",
              &[(sum_rate("messaging_destination_name, outcome", "messaging_client_sent_messages_total"), "{{messaging_destination_name}} {{outcome}}")]),
            p("Outbox backlog by service", "Outbox rows written in a transaction but not yet published to Kafka; it should drain to zero.", "short",
              &[(format!("max by (job) (clipfed_outbox_backlog{{{SEL}}})"), "{{job}}")]).red_above(500.0),
            p("Outbox rows published per second", "Rows the outbox relay published to Kafka.", "ops",
              &[(sum_rate("job", "clipfed_outbox_published_total"), "{{job}}")]),
            p("Malformed events per second", "Consumed records that could not be decoded and were skipped (each is logged with its offset).", "ops",
              &[(sum_rate("job, messaging_destination_name", "clipfed_social_malformed_events_total"), "social {{messaging_destination_name}}"),
                (sum_rate("job, messaging_destination_name", "clipfed_search_malformed_events_total"), "search {{messaging_destination_name}}"),
                (sum_rate("job", "clipfed_video_visits_malformed_total"), "video visits")]).red_above(0.0),
            p("Counter convergence: events folded per second", "Interaction events folded into the like, comment and follow counters; with lag at zero, the counters have converged.", "ops",
              &[(sum_rate("job", "clipfed_social_events_folded_total"), "{{job}}")]),
        ],
    }
}

fn runtime() -> Dashboard {
    Dashboard {
        uid: "clipfed-runtime",
        title: "clipfed / Runtime",
        description: "The Tokio runtime and the process of every service and instance (Tokio's stable metrics; clipfed does not build with tokio_unstable).",
        services: SERVICES,
        panels: vec![
            p("Tokio worker utilisation", "Share of time each worker spent running tasks (1 = always busy).", "percentunit",
              &[(sum_rate("job, instance, worker", "tokio_runtime_worker_busy_seconds_total"), "{{job}} {{instance}} worker {{worker}}")]).red_above(0.9),
            p("Tokio tasks alive", "Tasks alive in the runtime (the goroutine count of a Go service).", "short",
              &[(format!("sum by (job, instance) (tokio_runtime_alive_tasks{{{SEL}}})"), "{{job}} {{instance}}")]),
            p("Tokio global queue depth", "Tasks waiting in the global queue for a worker; a growing queue means the workers cannot keep up.", "short",
              &[(format!("sum by (job, instance) (tokio_runtime_global_queue_depth{{{SEL}}})"), "{{job}} {{instance}}")]).red_above(100.0),
            p("Tokio worker parks per second", "How often workers ran out of work and parked.", "ops",
              &[(sum_rate("job, instance", "tokio_runtime_worker_parks_total"), "{{job}} {{instance}}")]),
            p("CPU", "Process CPU time per second (1 = one core).", "short",
              &[(sum_rate("job, instance", "process_cpu_seconds_total"), "{{job}} {{instance}}")]),
            p("Resident memory", "Process resident set size.", "bytes",
              &[(format!("max by (job, instance) (process_resident_memory_bytes{{{SEL}}})"), "{{job}} {{instance}}")]),
            p("Open file descriptors", "Open descriptors against the process limit.", "short",
              &[(format!("max by (job, instance) (process_open_fds{{{SEL}}})"), "{{job}} {{instance}} open"),
                (format!("max by (job, instance) (process_max_fds{{{SEL}}})"), "{{job}} {{instance}} limit")]),
            p("Threads", "OS threads of the process (Tokio workers, blocking pool, librdkafka).", "short",
              &[(format!("max by (job, instance) (process_threads{{{SEL}}})"), "{{job}} {{instance}}")]),
            p("Database pool connections", "Connections of each service's MySQL pool, idle and in use.", "short",
              &[(format!("sum by (job, state) (db_client_connection_count{{{SEL}}})"), "{{job}} {{state}}")]),
        ],
    }
}

fn mysql() -> Dashboard {
    let sel = r#"job="mysqld""#;
    Dashboard {
        uid: "clipfed-mysql",
        title: "clipfed / MySQL",
        description: "MariaDB, from prometheus-mysqld-exporter.",
        services: "",
        panels: vec![
            p(
                "Up",
                "1 when the exporter reaches the server.",
                "short",
                &[(format!("mysql_up{{{sel}}}"), "up")],
            ),
            p(
                "Queries per second",
                "Statements executed by the server.",
                "ops",
                &[(
                    format!("rate(mysql_global_status_queries{{{sel}}}[$__rate_interval])"),
                    "queries",
                )],
            ),
            p(
                "Connections",
                "Open connections against the limit.",
                "short",
                &[
                    (
                        format!("mysql_global_status_threads_connected{{{sel}}}"),
                        "connected",
                    ),
                    (
                        format!("mysql_global_variables_max_connections{{{sel}}}"),
                        "max",
                    ),
                ],
            ),
            p(
                "Slow queries per second",
                "Statements slower than long_query_time.",
                "ops",
                &[(
                    format!("rate(mysql_global_status_slow_queries{{{sel}}}[$__rate_interval])"),
                    "slow",
                )],
            )
            .red_above(1.0),
            p(
                "InnoDB buffer pool",
                "Buffer pool pages by state.",
                "short",
                &[(
                    format!("mysql_global_status_buffer_pool_pages{{{sel}}}"),
                    "{{state}}",
                )],
            ),
            p(
                "Commands per second",
                "Statements by command.",
                "ops",
                &[(
                    format!(
                        "topk(8, rate(mysql_global_status_commands_total{{{sel}}}[$__rate_interval]))"
                    ),
                    "{{command}}",
                )],
            ),
        ],
    }
}

fn redis() -> Dashboard {
    let sel = r#"job="redis""#;
    Dashboard {
        uid: "clipfed-redis",
        title: "clipfed / Redis",
        description: "Redis, from prometheus-redis-exporter.",
        services: "",
        panels: vec![
            p(
                "Up",
                "1 when the exporter reaches the server.",
                "short",
                &[(format!("redis_up{{{sel}}}"), "up")],
            ),
            p(
                "Memory used",
                "Memory Redis has allocated.",
                "bytes",
                &[(format!("redis_memory_used_bytes{{{sel}}}"), "used")],
            ),
            p(
                "Commands per second",
                "Commands processed.",
                "ops",
                &[(
                    format!("rate(redis_commands_processed_total{{{sel}}}[$__rate_interval])"),
                    "commands",
                )],
            ),
            p(
                "Keyspace hit ratio",
                "Share of key lookups that found their key.",
                "percentunit",
                &[(
                    format!(
                        "rate(redis_keyspace_hits_total{{{sel}}}[$__rate_interval]) / (rate(redis_keyspace_hits_total{{{sel}}}[$__rate_interval]) + rate(redis_keyspace_misses_total{{{sel}}}[$__rate_interval]))"
                    ),
                    "hit ratio",
                )],
            ),
            p(
                "Connected clients",
                "Client connections.",
                "short",
                &[(format!("redis_connected_clients{{{sel}}}"), "clients")],
            ),
            p(
                "Keys",
                "Keys per database.",
                "short",
                &[(format!("redis_db_keys{{{sel}}}"), "{{db}}")],
            ),
        ],
    }
}

fn node() -> Dashboard {
    let sel = r#"job="node""#;
    Dashboard {
        uid: "clipfed-node",
        title: "clipfed / Node",
        description: "The machine, from prometheus-node-exporter.",
        services: "",
        panels: vec![
            p("CPU busy", "Share of CPU time not idle, per mode.", "percentunit",
              &[(format!(r#"sum by (mode) (rate(node_cpu_seconds_total{{{sel},mode!="idle"}}[$__rate_interval])) / scalar(count(node_cpu_seconds_total{{{sel},mode="idle"}}))"#), "{{mode}}")]).red_above(0.9),
            p("Memory", "Available and total memory.", "bytes",
              &[(format!("node_memory_MemAvailable_bytes{{{sel}}}"), "available"),
                (format!("node_memory_MemTotal_bytes{{{sel}}}"), "total")]),
            p("Load average", "1-minute load average against the core count.", "short",
              &[(format!("node_load1{{{sel}}}"), "load1"),
                (format!(r#"count(node_cpu_seconds_total{{{sel},mode="idle"}})"#), "cores")]),
            p("Disk space free", "Free bytes per mounted filesystem.", "bytes",
              &[(format!(r#"node_filesystem_avail_bytes{{{sel},fstype!~"tmpfs|overlay"}}"#), "{{mountpoint}}")]),
            p("Disk I/O", "Bytes read and written per second per device.", "Bps",
              &[(format!("rate(node_disk_read_bytes_total{{{sel}}}[$__rate_interval])"), "{{device}} read"),
                (format!("rate(node_disk_written_bytes_total{{{sel}}}[$__rate_interval])"), "{{device}} written")]),
            p("Network", "Bytes received and sent per second per interface.", "Bps",
              &[(format!("rate(node_network_receive_bytes_total{{{sel}}}[$__rate_interval])"), "{{device}} in"),
                (format!("rate(node_network_transmit_bytes_total{{{sel}}}[$__rate_interval])"), "{{device}} out")]),
        ],
    }
}

fn business() -> Dashboard {
    Dashboard {
        uid: "clipfed-business",
        title: "clipfed / Business",
        description: "What users do: sign-ups, logins, likes, comments, follows, uploads, searches, chat.",
        services: SERVICES,
        panels: vec![
            p(
                "Registrations per second",
                "Accounts created.",
                "ops",
                &[(
                    format!("sum ({})", rate("clipfed_user_registrations_total", "")),
                    "registrations",
                )],
            ),
            p(
                "Logins per second by outcome",
                "Login attempts by outcome (ok, wrong password, MFA required, locked).",
                "ops",
                &[(
                    format!(
                        "sum by (outcome) ({})",
                        rate("clipfed_user_logins_total", "")
                    ),
                    "{{outcome}}",
                )],
            ),
            p(
                "Social actions per second",
                "Likes, comments and follows that succeeded.",
                "ops",
                &[(
                    format!(
                        "sum by (action) ({})",
                        rate("clipfed_social_actions_total", "")
                    ),
                    "{{action}}",
                )],
            ),
            p(
                "Uploads by outcome",
                "Upload sessions started, completed and failed.",
                "ops",
                &[(
                    format!(
                        "sum by (outcome) ({})",
                        rate("clipfed_upload_uploads_total", "")
                    ),
                    "{{outcome}}",
                )],
            ),
            p(
                "Upload bytes per second",
                "Bytes read from upload bodies.",
                "Bps",
                &[(
                    format!("sum ({})", rate("clipfed_upload_bytes_received_total", "")),
                    "bytes",
                )],
            ),
            p(
                "Videos published per second",
                "Videos recorded by the video service.",
                "ops",
                &[(
                    format!("sum ({})", rate("clipfed_video_published_total", "")),
                    "published",
                )],
            ),
            p(
                "Feed cache lookups per second by result",
                "Feed pages and totals looked up in the video service's Redis cache: hit, miss \
                 (loaded from MySQL, once per key at a time), error (Redis failed; MySQL answered).",
                "ops",
                &[(
                    format!(
                        "sum by (result) ({})",
                        rate("clipfed_video_feed_cache_total", "")
                    ),
                    "{{result}}",
                )],
            ),
            p(
                "Searches per second by kind",
                "Searches served, by kind (keyword, image).",
                "ops",
                &[(
                    format!(
                        "sum by (kind) ({})",
                        rate("clipfed_search_searches_total", "")
                    ),
                    "{{kind}}",
                )],
            ),
            p(
                "Open chat connections",
                "Chat WebSocket connections open now.",
                "short",
                &[(
                    format!("sum (clipfed_social_chat_connections{{{SEL}}})"),
                    "connections",
                )],
            ),
        ],
    }
}
