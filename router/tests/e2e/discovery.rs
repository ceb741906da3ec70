//! Discovery, balancing and circuit breaking through the real router (`docs/discovery.md`): the
//! stack's instances are registered in the local etcd and the router balances over what it finds
//! there. Calls per instance are read from the router's own per-instance counter
//! (`clipfed_router_instance_calls_total`): the instances here share one process, so their own
//! counters are one; `clipfed discovery` counts with the instances' own counters, as processes.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::stack::{Stack, code};

/// Served by the video subgraph alone.
const VIDEO_ONLY: &str = "{ feed(pageSize: 1) { items { id } } }";

/// The router's `clipfed_router_instance_calls_total` for `instance` (`host:port`), any outcome.
async fn calls(s: &Stack, instance: &str) -> u64 {
    calls_with(s, instance, "").await
}

/// The router's calls to `instance` whose outcome label contains `outcome` (all when empty).
async fn calls_with(s: &Stack, instance: &str, outcome: &str) -> u64 {
    let text = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let label = format!("instance=\"{instance}\"");
    let outcome = format!("outcome=\"{outcome}");
    text.lines()
        .filter(|l| l.starts_with("clipfed_router_instance_calls_total{"))
        .filter(|l| l.contains(&label))
        .filter(|l| l.contains(&outcome))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

fn address(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

async fn video_only(s: &Stack) -> serde_json::Value {
    s.graphql(VIDEO_ONLY, json!({}), &[]).await
}

#[tokio::test]
async fn calls_go_round_robin_over_registered_instances() {
    let s = Stack::start().await;
    let first = address(s.service("video"));
    let second_instance = s.more_video().await;
    let second = address(&second_instance.base);

    // The new instance is registered once ready, and the router's watch sees it at once.
    let registered = Instant::now();
    while calls(&s, &second).await == 0 {
        assert!(
            registered.elapsed() < Duration::from_secs(2),
            "the new instance got no call within 2 s of registering"
        );
        assert!(video_only(&s).await["errors"].is_null());
    }

    let before = (calls(&s, &first).await, calls(&s, &second).await);
    let n = 40;
    for _ in 0..n {
        let answer = video_only(&s).await;
        assert!(answer["errors"].is_null(), "{answer}");
    }
    let served = (
        calls(&s, &first).await - before.0,
        calls(&s, &second).await - before.1,
    );
    assert_eq!(
        served.0 + served.1,
        n,
        "every call counted once: {served:?}"
    );
    for each in [served.0, served.1] {
        assert!(each.abs_diff(n / 2) <= 1, "round robin: {served:?}");
    }
}

#[tokio::test]
async fn a_graceful_stop_under_load_loses_no_request() {
    let s = Stack::start().await;
    let mut second = s.more_video().await;
    let second_address = address(&second.base);
    testkit::eventually(10, "the router uses the second instance", || async {
        video_only(&s).await;
        calls(&s, &second_address).await > 0
    })
    .await;

    let stop = tokio::sync::watch::channel(false);
    let load = (0..4).map(|_| {
        let mut stopped = stop.1.clone();
        let s = &s;
        async move {
            let mut failures = Vec::new();
            let mut sent = 0;
            while !*stopped.borrow_and_update() {
                let answer = video_only(s).await;
                sent += 1;
                if !answer["errors"].is_null() {
                    failures.push(answer);
                }
            }
            (sent, failures)
        }
    });
    // A call that reached the instance after it stopped listening fails (and is retried on the
    // other one, unseen by the client): the router counts it as a failed call of that instance.
    // Answered calls are not compared: the router counts one when it has read the answer, which on
    // a busy machine can be just after `halt` returns.
    let failed_before = calls_with(&s, &second_address, "failed").await;
    let stopping = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        second.halt().await;
        tokio::time::sleep(Duration::from_millis(700)).await;
        stop.0.send(true).unwrap();
    };
    let (results, ()) = tokio::join!(futures::future::join_all(load), stopping);
    let failed_after = calls_with(&s, &second_address, "failed").await;
    let sent: usize = results.iter().map(|(n, _)| n).sum();
    let failures: Vec<_> = results.into_iter().flat_map(|(_, f)| f).collect();
    assert!(sent > 20, "the load ran ({sent} requests)");
    assert!(failures.is_empty(), "failed during the stop: {failures:?}");
    assert_eq!(
        failed_after, failed_before,
        "no call reached the stopped instance"
    );
}

#[tokio::test]
async fn with_every_instance_of_a_subgraph_down_the_rest_of_a_query_still_answers_fast() {
    let mut s = Stack::start().await;
    let (user_id, token, _) = s.sign_up("degraded").await;
    s.halt("user").await;

    let query = "query($u: ID!) { feed(pageSize: 1) { items { id } } user(id: $u) { id } }";
    let mut slowest = Duration::ZERO;
    for attempt in 0..5 {
        let started = Instant::now();
        let answer = s.graphql(query, json!({"u": user_id}), &[]).await;
        let took = started.elapsed();
        // The first calls find no connection (fast on one machine); then the breaker is open.
        if attempt >= 3 {
            slowest = slowest.max(took);
        }
        assert!(
            answer["data"]["feed"]["items"].is_array(),
            "video still answers: {answer}"
        );
        assert!(answer["data"]["user"].is_null(), "{answer}");
        let errors = answer["errors"]
            .as_array()
            .expect("an error for the missing part");
        assert!(
            errors.iter().any(|e| e["extensions"]["code"] == 10009),
            "UNAVAILABLE: {answer}"
        );
    }
    assert!(
        slowest < Duration::from_millis(500),
        "refused at once: {slowest:?}"
    );

    // The REST facade says the same with the contract's envelope.
    let r = s
        .get(
            &format!("/user/info?user_id={user_id}"),
            &[("access-token", &token)],
        )
        .await;
    let (_, body) = crate::stack::envelope(r).await;
    assert_eq!(code(&body), 10009, "{body}");
}

#[tokio::test]
async fn a_resumed_tus_upload_served_by_two_upload_instances_arrives_whole() {
    let s = Stack::start().await;
    let (alice, access, _) = s.sign_up("twoloaders").await;
    let first = address(s.service("upload"));
    let second_instance = s.more_upload().await;
    let second = address(&second_instance.base);
    // Wait until the router balances over both (an OPTIONS is any tus call's cheapest).
    testkit::eventually(10, "the router uses the second upload instance", || async {
        s.http
            .request(reqwest::Method::OPTIONS, s.url("/uploads/"))
            .send()
            .await
            .unwrap();
        calls(&s, &second).await > 0
    })
    .await;
    let before = (calls(&s, &first).await, calls(&s, &second).await);

    // tus-js-client in 2 MiB chunks, aborted at about 40 % and resumed: its creation, PATCHes and
    // HEAD alternate between the two instances, which share the upload's state in MySQL and S3.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    let file = testkit::mp4(6 * 1024 * 1024 + 17, 5);
    std::fs::write(&path, &file).unwrap();
    let js = testkit::run_json(
        tokio::process::Command::new("node")
            .current_dir(testkit::tools_dir().join("node"))
            .arg("tus-upload.mjs")
            .arg(s.url("/uploads/"))
            .arg(&path)
            .arg(&access)
            .arg("resume")
            .arg("over two instances"),
        "the tus client",
    )
    .await;
    assert!(js["resumedFrom"].as_i64().unwrap() > 0, "{js}");
    let served = (
        calls(&s, &first).await - before.0,
        calls(&s, &second).await - before.1,
    );
    assert!(
        served.0 >= 2 && served.1 >= 2,
        "both instances served the upload: {served:?}"
    );

    let (_, list) =
        crate::stack::envelope(s.get(&format!("/video/list?user_id={alice}"), &[]).await).await;
    assert_eq!(list["data"]["total"], 1, "{list}");
    let url = list["data"]["items"][0]["video_url"].as_str().unwrap();
    let stored = s.http.get(url).send().await.unwrap().bytes().await.unwrap();
    assert!(
        stored == file,
        "the stored video is the file, byte for byte"
    );
}
