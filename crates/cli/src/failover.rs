//! The failover check (`clipfed failover`, and the last stage of `clipfed test`): with the stack up
//! and a second video instance (`video-2`, a process of its own), it proves through the router's
//! public port what `docs/discovery.md` promises, counting with the instances' own request
//! counters:
//!
//! - round robin: 100 video queries split 50 ± 2 between the two instances;
//! - kill -9 of `video-2` under a closed-loop load of 8 clients: the failures are at most the
//!   requests in flight (queries are retried on the other instance, so usually none), none later
//!   than 2 s after the kill, and the load goes on;
//! - `video-2` started again takes traffic again;
//! - etcd stopped: the router keeps serving on the instances it knew; etcd started again: both
//!   video instances are registered again without restarting anything.
//!
//! `video-2` is stopped at the end whatever happened. Failures are reported together.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::paths::Paths;
use crate::progress::Step;
use crate::services::{self, Instance, ROUTER_PORT, SERVICES};

/// Served by the video subgraph alone.
const VIDEO_ONLY: &str = "{ feed(pageSize: 1) { items { id } } }";
/// Clients of the closed-loop load.
const CLIENTS: usize = 8;
const ETCD: &str = "http://127.0.0.1:2379";

/// Runs the check; `Ok(false)` when something failed (each failure printed).
pub fn run(paths: &Paths) -> anyhow::Result<bool> {
    for service in SERVICES {
        services::start(paths, service)?;
    }
    let video = SERVICES
        .iter()
        .find(|s| s.name == "video")
        .expect("video is a service");
    let second = Instance {
        service: video,
        k: 2,
    };
    services::start_instance(paths, &second)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let outcome = runtime.block_on(check(paths, &second));
    crate::process::stop(paths, &second.name(), Duration::from_secs(15))?;
    let failures = outcome?;
    for failure in &failures {
        eprintln!("✘ {failure}");
    }
    Ok(failures.is_empty())
}

async fn check(paths: &Paths, second: &Instance<'_>) -> anyhow::Result<Vec<String>> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let ports = [second.service.port, second.port()];
    let mut failures = Vec::new();

    let step = Step::start("waiting until the router sends to both video instances");
    let started = Instant::now();
    let before = graphql_counts(&http, ports).await?;
    loop {
        query(&http).await?;
        let now = graphql_counts(&http, ports).await?;
        if now[1] > before[1] {
            break;
        }
        if started.elapsed() > Duration::from_secs(10) {
            step.fail();
            anyhow::bail!("the router never sent to video-2 within 10 s of it being ready");
        }
    }
    step.done(&format!("{} ms", started.elapsed().as_millis()));

    let step = Step::start("100 queries round robin over the two instances");
    let before = graphql_counts(&http, ports).await?;
    for _ in 0..100 {
        query(&http).await?;
    }
    let after = graphql_counts(&http, ports).await?;
    let served = [after[0] - before[0], after[1] - before[1]];
    step.done(&format!("{} and {}", served[0], served[1]));
    if served.iter().any(|n| n.abs_diff(50) > 2) {
        failures.push(format!(
            "round robin: the instances served {served:?} of 100"
        ));
    }

    let step = Step::start("kill -9 of video-2 under a load of 8 clients");
    let (killed, results) = kill_under_load(paths, &http, second).await?;
    let failed: Vec<_> = results.iter().filter(|(_, ok)| !ok).collect();
    let late = failed
        .iter()
        .filter(|(at, _)| *at > killed + Duration::from_secs(2))
        .count();
    let after_kill = results.iter().filter(|(at, _)| *at > killed).count();
    step.done(&format!(
        "{} requests, {} failed, {after_kill} after the kill",
        results.len(),
        failed.len()
    ));
    if failed.len() > CLIENTS || late > 0 {
        failures.push(format!(
            "kill -9: {} requests failed ({late} more than 2 s after the kill); at most {CLIENTS} (those in flight) may",
            failed.len()
        ));
    }
    if after_kill < 100 {
        failures.push(format!(
            "kill -9: only {after_kill} requests succeeded or failed after the kill"
        ));
    }

    let step = Step::start("starting video-2 again");
    services::start_instance(paths, second)?;
    let back = wait_for_traffic(&http, ports, 1).await?;
    step.done(&format!("serving again after {} ms", back.as_millis()));

    let step = Step::start("stopping etcd: the router keeps the instances it knew");
    crate::process::stop(paths, "etcd", Duration::from_secs(15))?;
    let mut refused = 0;
    for _ in 0..50 {
        if query(&http).await.is_err() {
            refused += 1;
        }
    }
    step.done(&format!("{refused} of 50 queries failed"));
    if refused > 0 {
        failures.push(format!("etcd down: {refused} of 50 queries failed"));
    }

    let step = Step::start("starting etcd again: both instances registered again");
    crate::commands::start_server(paths, "etcd")?;
    let started = Instant::now();
    let live = ports.map(|port| format!("http://127.0.0.1:{port}"));
    let registered = loop {
        let listed = registered_videos().await.unwrap_or_default();
        let both = live.iter().all(|l| listed.contains(l));
        if both || started.elapsed() > Duration::from_secs(30) {
            break both;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    step.done(&format!("after {} ms", started.elapsed().as_millis()));
    if !registered {
        failures.push("etcd back: the two live video instances are not both registered".to_owned());
    }
    wait_for_traffic(&http, ports, 1)
        .await
        .map_err(|e| anyhow::anyhow!("after etcd came back: {e}"))?;
    Ok(failures)
}

/// One video query through the router; an error for anything but a clean answer.
async fn query(http: &reqwest::Client) -> anyhow::Result<()> {
    let answer: Value = http
        .post(format!("http://127.0.0.1:{ROUTER_PORT}/graphql"))
        .json(&json!({"query": VIDEO_ONLY}))
        .send()
        .await?
        .json()
        .await?;
    if answer["errors"].is_null() && answer["data"]["feed"].is_object() {
        Ok(())
    } else {
        anyhow::bail!("the router answered {answer}")
    }
}

/// `/graphql` requests each instance answered, from its own `http_server_requests_total`.
async fn graphql_counts(http: &reqwest::Client, ports: [u16; 2]) -> anyhow::Result<[u64; 2]> {
    let mut counts = [0; 2];
    for (count, port) in counts.iter_mut().zip(ports) {
        let text = http
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await?
            .text()
            .await?;
        *count = text
            .lines()
            .filter(|l| l.starts_with("http_server_requests_total{"))
            .filter(|l| l.contains("http_route=\"/graphql\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .map(|v| v as u64)
            .sum();
    }
    Ok(counts)
}

/// Waits (up to 10 s, querying) until instance `which` of `ports` answers a query; how long.
async fn wait_for_traffic(
    http: &reqwest::Client,
    ports: [u16; 2],
    which: usize,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let before = graphql_counts(http, ports).await?[which];
    while started.elapsed() < Duration::from_secs(10) {
        query(http).await?;
        if graphql_counts(http, ports).await?[which] > before {
            return Ok(started.elapsed());
        }
    }
    anyhow::bail!("instance on port {} got no query within 10 s", ports[which])
}

/// Runs [`CLIENTS`] closed loops for 4 s and kills `second` with SIGKILL after 1 s; when it was
/// killed, and every request's end (since the start) and success.
async fn kill_under_load(
    paths: &Paths,
    http: &reqwest::Client,
    second: &Instance<'_>,
) -> anyhow::Result<(Duration, Vec<(Duration, bool)>)> {
    let start = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (http, done) = (http.clone(), Arc::clone(&done));
            tokio::spawn(async move {
                let mut ends = Vec::new();
                while !done.load(Ordering::Relaxed) {
                    let ok = query(&http).await.is_ok();
                    ends.push((start.elapsed(), ok));
                }
                ends
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pid = crate::process::running(paths, &second.name())
        .ok_or_else(|| anyhow::anyhow!("{} is not running", second.name()))?;
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()?;
    let killed = start.elapsed();
    anyhow::ensure!(status.success(), "kill -9 {pid} failed");
    tokio::time::sleep(Duration::from_secs(3)).await;
    done.store(true, Ordering::Relaxed);
    let mut results = Vec::new();
    for client in clients {
        results.extend(client.await?);
    }
    Ok((killed, results))
}

/// The base URLs of the video instances listed in the registry now (a killed instance's stays
/// until its lease runs out).
async fn registered_videos() -> anyhow::Result<Vec<String>> {
    use kit::registry::{DEFAULT_PREFIX, Instance, etcd::Etcd, services_prefix};
    let prefix = format!("{}video/", services_prefix(DEFAULT_PREFIX));
    let (_, pairs) = Etcd::new(ETCD)?.list(&prefix).await?;
    Ok(pairs
        .iter()
        .filter_map(|(_, value)| serde_json::from_slice::<Instance>(value).ok())
        .map(|i| i.http)
        .collect())
}
