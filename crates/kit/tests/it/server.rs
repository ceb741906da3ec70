//! kit's server: health and readiness endpoints, `/metrics` with RED metrics, graceful shutdown,
//! load shedding at capacity and panics answered 500.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use kit::server::Check;
use serde_json::Value;

use crate::helpers::{client, spawn};

#[tokio::test]
async fn healthz_answers_ok() {
    let server = spawn(Router::new(), vec![], 1024).await;
    let res = client().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn readyz_is_503_naming_the_failed_dependency() {
    let checks = vec![
        Check::new("fine", || async { Ok(()) }),
        Check::new("broken", || async { Err("connection refused".to_owned()) }),
    ];
    let server = spawn(Router::new(), checks, 1024).await;
    let res = client().get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["checks"]["fine"], "ok");
    // Named, but without the dependency's own error text (addresses, versions): that is logged.
    assert_eq!(body["checks"]["broken"], "unavailable");
    assert!(!body.to_string().contains("refused"), "{body}");
}

#[tokio::test]
async fn readyz_is_200_when_every_dependency_answers() {
    let server = spawn(
        Router::new(),
        vec![Check::new("fine", || async { Ok(()) })],
        1024,
    )
    .await;
    let res = client().get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_not_raw_path() {
    let routes = Router::new().route("/items/{id}", get(|| async { "item" }));
    let server = spawn(routes, vec![], 1024).await;
    for id in ["1", "2", "3"] {
        assert_eq!(
            client()
                .get(server.url(&format!("/items/{id}")))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let text = testkit::get_text(&client(), &server.url("/metrics")).await;
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("http_server_requests_total") && l.contains("http_route=\"/items/{id}\"")
        })
        .unwrap_or_else(|| panic!("no request counter for the route in:\n{text}"));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 3.0, "{line}");
    assert!(
        !text.contains("http_route=\"/items/1\""),
        "raw paths must not label metrics"
    );
    assert!(text.contains("http_server_request_duration_seconds_bucket"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_include_process_and_tokio_runtime_gauges() {
    kit::telemetry::metrics::register_process_metrics();
    let server = spawn(Router::new(), vec![], 1024).await;
    let text = testkit::get_text(&client(), &server.url("/metrics")).await;
    assert!(
        text.contains("process_resident_memory_bytes"),
        "no process metrics in:\n{text}"
    );
    let workers = text
        .lines()
        .find(|l| l.starts_with("tokio_runtime_workers "))
        .expect("tokio worker gauge");
    assert_eq!(workers, "tokio_runtime_workers 2");
    for name in [
        "process_open_fds",
        "process_threads",
        "process_cpu_seconds_total",
    ] {
        assert!(text.contains(name), "no {name} in:\n{text}");
    }
    // Busy time and parks per worker, one series per worker index.
    for worker in ["0", "1"] {
        for name in [
            "tokio_runtime_worker_busy_seconds_total",
            "tokio_runtime_worker_parks_total",
        ] {
            let series = format!("{name}{{worker=\"{worker}\"}}");
            assert!(text.contains(&series), "no {series} in:\n{text}");
        }
    }
    let parks: f64 = text
        .lines()
        .find(|l| l.starts_with("tokio_runtime_worker_parks_total{worker=\"0\"}"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .expect("a park count");
    assert!(parks > 0.0, "a worker that served a request has parked");
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let routes = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(800)).await;
            "done"
        }),
    );
    let server = spawn(routes, vec![], 1024).await;
    let url = server.url("/slow");
    let in_flight = tokio::spawn(async move {
        client()
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let addr = server.addr;
    server.shutdown().await.unwrap();
    assert_eq!(
        in_flight.await.unwrap(),
        "done",
        "the in-flight request was cut off"
    );
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
}

#[tokio::test]
async fn oversized_body_is_rejected_with_413() {
    let routes = Router::new().route(
        "/echo",
        axum::routing::post(|body: String| async move { body }),
    );
    let server = spawn(routes, vec![], 1024).await;
    let res = client()
        .post(server.url("/echo"))
        .body("x".repeat(4096))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn at_capacity_a_request_is_refused_at_once_and_the_service_recovers() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    // `/hold` keeps its request in flight until the test opens the gate.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let inside = Arc::new(AtomicUsize::new(0));
    let (g, i) = (gate.clone(), inside.clone());
    let routes = Router::new().route(
        "/hold",
        get(move || {
            let (g, i) = (g.clone(), i.clone());
            async move {
                i.fetch_add(1, Ordering::SeqCst);
                let _ = g.acquire().await.unwrap();
                "done"
            }
        }),
    );
    let limits = kit::server::Limits {
        body: kit::server::BodyLimits::new(1024),
        max_in_flight: 2,
    };
    let server = crate::helpers::spawn_with(routes, vec![], limits).await;
    let held: Vec<_> = (0..2)
        .map(|_| tokio::spawn(client().get(server.url("/hold")).send()))
        .collect();
    while inside.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Two are running: a third is refused while they still are, not queued behind them.
    let refused = client().get(server.url("/hold")).send().await.unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["base"]["code"], 10009, "{body}");
    assert_eq!(
        inside.load(Ordering::SeqCst),
        2,
        "the refused one never ran"
    );
    let health = client().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "probes are not shed");
    let shown = client().get(server.url("/metrics")).send().await.unwrap();
    let shown = shown.text().await.unwrap();
    assert!(shown.contains("http_server_shed_requests_total"), "{shown}");

    gate.add_permits(3);
    for h in held {
        assert_eq!(h.await.unwrap().unwrap().status(), 200);
    }
    let again = client().get(server.url("/hold")).send().await.unwrap();
    assert_eq!(
        again.status(),
        200,
        "capacity is back once the load is gone"
    );
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_service_goes_on() {
    let routes = Router::new()
        .route(
            "/boom",
            get(|| async {
                if std::hint::black_box(true) {
                    panic!("a bug in one handler");
                }
                "unreachable"
            }),
        )
        .route("/fine", get(|| async { "fine" }));
    let server = spawn(routes, vec![], 1024).await;
    for _ in 0..3 {
        let boom = client().get(server.url("/boom")).send().await.unwrap();
        assert_eq!(boom.status(), 500);
        let body: Value = boom.json().await.unwrap();
        assert_eq!(body["base"]["code"], 10001, "{body}");
    }
    let fine = client().get(server.url("/fine")).send().await.unwrap();
    assert_eq!(fine.text().await.unwrap(), "fine");
}
