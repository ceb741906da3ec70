//! Load run of likes (see docs/performance.md): sustained likes per second, and how long the
//! counters take to converge once the load stops.
//!
//! ```sh
//! cargo run -p clipfed-social --example likes_load -- [SECONDS] [CLIENTS] [VIDEOS] [SHARDS]
//! ```
//! Defaults: 20 s, 32 clients, 100 videos, 4 shards. The run starts the social service in-process
//! on a fresh database and fresh topics (MariaDB and tansu as `clipfed test` starts them;
//! `CLIPFED_TEST_MYSQL_URL` / `CLIPFED_TEST_KAFKA_BROKERS` override), announces VIDEOS videos,
//! then CLIENTS clients like random videos as distinct users for SECONDS (one in ten requests
//! cancels a like it made). It prints likes/s, latency percentiles, and the time from the last
//! request until every video's `likeCount` equals what the successful requests add up to.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use kit::caller::Caller;
use secrecy::SecretString;
use serde_json::{Value, json};

const LIKE: &str = "mutation($v: ID, $a: Int!) { likeAction(videoId: $v, actionType: $a) }";
const COUNTS: &str =
    "query($r: [_Any!]!) { _entities(representations: $r) { ... on Video { id likeCount } } }";

struct Client {
    url: String,
    signer: testkit::signed::Signer,
}

impl Client {
    async fn gql(&self, caller: &Caller, query: &str, variables: Value) -> anyhow::Result<Value> {
        let signer = &self.signer;
        let body = signer
            .try_graphql(&self.url, caller, query, variables)
            .await;
        body.map_err(anyhow::Error::msg)
    }

    /// Sum of `likeCount` over `videos`.
    async fn total_likes(&self, videos: &[i64]) -> anyhow::Result<i64> {
        let reps: Vec<Value> = videos
            .iter()
            .map(|v| json!({"__typename": "Video", "id": v.to_string()}))
            .collect();
        let body = self
            .gql(&Caller::Anonymous, COUNTS, json!({"r": reps}))
            .await?;
        Ok(body["data"]["_entities"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v["likeCount"].as_i64()).sum())
            .unwrap_or(0))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let secs = args.first().copied().unwrap_or(20);
    let clients = args.get(1).copied().unwrap_or(32);
    let n_videos = args.get(2).copied().unwrap_or(100);
    let shards = args.get(3).copied().unwrap_or(4) as u32;

    let mut config: social::config::Config =
        kit::config::load_from(social::config::DEFAULTS, None, Vec::new())?;
    config.db.url = SecretString::from(testkit::mysql_url());
    config.db.database = testkit::unique("clipfed_load_social");
    config.db.max_connections = 20;
    config.kafka.brokers = testkit::kafka_brokers();
    config.topics.interactions = testkit::unique("load_interactions");
    config.topics.videos = testkit::unique("load_videos");
    config.topics.users = testkit::unique("load_users");
    config.counters.group = testkit::unique("load_counters");
    config.known.group = testkit::unique("load_known");
    config.shards.count = shards;
    let database = config.db.database.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/graphql", listener.local_addr()?);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients as usize)
        .build()?;
    let client = Arc::new(Client {
        url: url.clone(),
        signer: testkit::signed::Signer::with_http(http),
    });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let service = tokio::spawn(social::run(config.clone(), listener, async move {
        let _ = stop_rx.await;
    }));
    testkit::wait_ready(&url.replace("/graphql", "/readyz")).await;

    // Announce the videos as the video service would, and wait until they are known.
    let videos: Vec<i64> = (0..n_videos).map(|_| kit::id::next_id()).collect();
    let producer = kit::kafka::Producer::new(&config.kafka)?;
    for v in &videos {
        let m = json!({"type": "published", "id": kit::id::next_id(), "video_id": v,
            "author_id": 1, "title": "t", "description": "d", "created_at_ms": 0});
        producer
            .send(
                &config.topics.videos,
                v.to_string().as_bytes(),
                &serde_json::to_vec(&m)?,
            )
            .await?;
    }
    let last = *videos.last().expect("at least one video");
    while client
        .gql(
            &Caller::User(1),
            LIKE,
            json!({"v": last.to_string(), "a": 1}),
        )
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected = Arc::new(AtomicI64::new(1));

    println!("{clients} clients, {n_videos} videos, {shards} shards, {secs} s of likes");
    let videos = Arc::new(videos);
    let until = Instant::now() + Duration::from_secs(secs);
    let next_user = Arc::new(AtomicI64::new(1_000_000));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, videos, expected, next_user) = (
            client.clone(),
            videos.clone(),
            expected.clone(),
            next_user.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut i = c as usize;
            while Instant::now() < until {
                let user = next_user.fetch_add(1, Ordering::Relaxed);
                let video = videos[i % videos.len()];
                i = i.wrapping_mul(31).wrapping_add(7);
                let t = Instant::now();
                let ok = client
                    .gql(
                        &Caller::User(user),
                        LIKE,
                        json!({"v": video.to_string(), "a": 1}),
                    )
                    .await
                    .is_ok();
                latencies.push(t.elapsed());
                if !ok {
                    errors += 1;
                    continue;
                }
                expected.fetch_add(1, Ordering::Relaxed);
                if user % 10 == 0 {
                    let t = Instant::now();
                    let ok = client
                        .gql(
                            &Caller::User(user),
                            LIKE,
                            json!({"v": video.to_string(), "a": 2}),
                        )
                        .await
                        .is_ok();
                    latencies.push(t.elapsed());
                    if ok {
                        expected.fetch_sub(1, Ordering::Relaxed);
                    } else {
                        errors += 1;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    let stopped = Instant::now();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    println!(
        "requests {} in {:.1} s: {:.0} req/s, errors {errors}; p50 {:?} p95 {:?} p99 {:?}",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.95),
        pct(0.99)
    );
    let want = expected.load(Ordering::Relaxed);
    loop {
        let have = client.total_likes(&videos).await?;
        if have == want {
            println!(
                "counters converged to {want} likes {:.2} s after the load stopped",
                stopped.elapsed().as_secs_f64()
            );
            break;
        }
        anyhow::ensure!(
            stopped.elapsed() < Duration::from_secs(300),
            "counters stuck at {have} of {want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop_tx.send(());
    let _ = service.await;
    testkit::drop_database(&database).await;
    Ok(())
}
