//! The service registry against the local etcd: an instance registers once ready, a directory
//! that follows the prefix sees it come and go, a lost lease is registered again, an unreachable
//! etcd leaves the service serving and says so, and a graceful stop deregisters first.

use std::net::SocketAddr;
use std::time::Duration;

use kit::registry::Directory;
use kit::registry::announce::{Announced, Announcer, Status};
use kit::registry::etcd::Etcd;

fn config(prefix: &str, ttl_secs: u64) -> kit::config::RegistryConfig {
    kit::config::RegistryConfig {
        ttl_secs,
        withdraw_delay_ms: 0,
        ..testkit::registry(prefix)
    }
}

fn prefix() -> String {
    format!("/clipfed-test/{}", testkit::unique("registry"))
}

/// A directory following `prefix` until the returned sender is dropped.
fn follow(prefix: &str) -> (Directory, tokio::sync::oneshot::Sender<()>) {
    let directory = Directory::new();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (d, p) = (directory.clone(), prefix.to_owned());
    tokio::spawn(async move {
        let etcd = Etcd::new(&testkit::etcd_endpoint()).unwrap();
        d.follow(&etcd, &p, async {
            let _ = stopped.await;
        })
        .await;
    });
    (directory, stop)
}

fn announced(addr: SocketAddr) -> Announced<'static> {
    Announced {
        service: "video",
        addr,
        graphql_path: Some("/graphql"),
    }
}

#[tokio::test]
async fn an_instance_registers_once_ready_and_leaves_before_it_stops() {
    testkit::require_etcd();
    let prefix = prefix();
    let (directory, _stop) = follow(&prefix);
    let ready = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = ready.clone();
    let addr: SocketAddr = "127.0.0.1:41234".parse().unwrap();
    let announcer = Announcer::start(&config(&prefix, 10), announced(addr), move || {
        let ready = flag.load(std::sync::atomic::Ordering::Relaxed);
        Box::pin(async move { ready })
    })
    .unwrap()
    .expect("endpoints are set");

    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(announcer.status(), Status::Waiting);
    assert!(
        directory.instances("video").is_empty(),
        "not before it is ready"
    );

    ready.store(true, std::sync::atomic::Ordering::Relaxed);
    testkit::eventually(5, "the directory lists the instance", || async {
        directory.instances("video").len() == 1
    })
    .await;
    let listed = directory.instances("video")[0].clone();
    assert_eq!(listed.http, "http://127.0.0.1:41234");
    assert_eq!(
        listed.graphql.as_deref(),
        Some("http://127.0.0.1:41234/graphql")
    );
    assert_eq!(announcer.status(), Status::Registered);
    assert!(directory.reachable());

    announcer.withdraw().await;
    testkit::eventually(5, "the directory drops the instance", || async {
        directory.instances("video").is_empty()
    })
    .await;
}

#[tokio::test]
async fn a_lost_lease_is_registered_again() {
    testkit::require_etcd();
    let prefix = prefix();
    let (directory, _stop) = follow(&prefix);
    let addr: SocketAddr = "127.0.0.1:41235".parse().unwrap();
    let announcer = Announcer::start(&config(&prefix, 3), announced(addr), || {
        Box::pin(async { true })
    })
    .unwrap()
    .unwrap();
    testkit::eventually(5, "registered", || async {
        directory.instances("video").len() == 1
    })
    .await;

    // Take the instance's lease away behind its back, as an etcd that lost it would.
    let key = kit::registry::key(&prefix, "video", &directory.instances("video")[0].id);
    let lease = lease_of(&key).await;
    Etcd::new(&testkit::etcd_endpoint())
        .unwrap()
        .revoke(lease)
        .await
        .unwrap();
    testkit::eventually(5, "the directory saw it go", || async {
        directory.instances("video").is_empty()
    })
    .await;
    testkit::eventually(5, "registered again on a new lease", || async {
        directory.instances("video").len() == 1
    })
    .await;
    announcer.withdraw().await;
}

/// The lease `key` is attached to (the client keeps only keys and values: read the gateway's
/// answer raw).
async fn lease_of(key: &str) -> i64 {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/v3/kv/range", testkit::etcd_endpoint()))
        .json(&serde_json::json!({"key": b64.encode(key)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["kvs"][0]["lease"]
        .as_str()
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("no lease in {answer}"))
}

#[tokio::test]
async fn an_unreachable_etcd_leaves_the_service_serving_and_says_so() {
    let port = testkit::free_port();
    let mut config = config(&prefix(), 3);
    config.endpoints = format!("http://127.0.0.1:{port}");
    let addr: SocketAddr = "127.0.0.1:41236".parse().unwrap();
    let announcer = Announcer::start(&config, announced(addr), || Box::pin(async { true }))
        .unwrap()
        .unwrap();
    testkit::eventually(5, "the registration failure is reported", || async {
        announcer.status() == Status::Unreachable
    })
    .await;
    let shown = kit::telemetry::metrics::render();
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with("clipfed_registry_failures_total{service=\"video\"}")),
        "{shown}"
    );
    let started = std::time::Instant::now();
    announcer.withdraw().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a stop does not hang on etcd"
    );
}
