//! Load run of `feed` and `popular` against a running video service (see docs/performance.md).
//!
//! ```sh
//! cargo run -p clipfed-video --example feed_load -- [URL] [SECONDS] [CONCURRENCY] [VIDEOS]
//! ```
//! URL defaults to `http://127.0.0.1:8102/graphql`. The run seeds VIDEOS videos (as the upload
//! service, signing with the development key testkit holds) and a few hundred visits, waits until the
//! popular ranking holds them, then drives each query with CONCURRENCY clients for SECONDS and
//! prints throughput and latency percentiles, plus how many MySQL queries the service made during
//! each phase (from its `/metrics`, after one warm-up request per page): popular should make none.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kit::caller::Caller;
use serde_json::{Value, json};

struct Client {
    http: reqwest::Client,
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

    async fn metrics(&self) -> anyhow::Result<String> {
        let url = self.url.replace("/graphql", "/metrics");
        Ok(self.http.get(url).send().await?.text().await?)
    }

    /// Cover extractions finished so far, whatever their outcome.
    async fn covers_done(&self) -> anyhow::Result<f64> {
        Ok(self
            .metrics()
            .await?
            .lines()
            .filter(|l| l.starts_with("clipfed_video_covers_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum())
    }

    /// The service's `db_client_operations_total` series, by operation.
    async fn db_operations(&self) -> anyhow::Result<BTreeMap<String, f64>> {
        Ok(self
            .metrics()
            .await?
            .lines()
            .filter_map(|l| l.strip_prefix("db_client_operations_total{db_operation_name=\""))
            .filter_map(|l| {
                let (op, rest) = l.split_once('"')?;
                Some((op.to_owned(), rest.rsplit(' ').next()?.parse().ok()?))
            })
            .collect())
    }
}

/// The operations that ran between two snapshots, e.g. `videos.by_ids 5`.
fn delta(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) -> String {
    let ran: Vec<String> = after
        .iter()
        .filter_map(|(op, n)| {
            let d = n - before.get(op).copied().unwrap_or(0.0);
            (d > 0.0).then(|| format!("{op} {d}"))
        })
        .collect();
    if ran.is_empty() {
        "none".into()
    } else {
        ran.join(", ")
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = args
        .first()
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:8102/graphql".into());
    let seconds: u64 = args.get(1).map_or(Ok(20), |s| s.parse())?;
    let concurrency: usize = args.get(2).map_or(Ok(32), |s| s.parse())?;
    let videos: usize = args.get(3).map_or(Ok(500), |s| s.parse())?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let client = Arc::new(Client {
        http: http.clone(),
        url,
        signer: testkit::signed::Signer::with_http(http),
    });

    eprintln!("seeding {videos} videos and visits ...");
    let run = kit::id::next_id();
    let covers_before = client.covers_done().await?;
    let upload = Caller::Service("upload".into());
    let mut ids = Vec::new();
    for i in 0..videos {
        let input = json!({
            "uploadId": format!("load{run}_{i}"),
            "authorId": (1 + i % 50).to_string(),
            "objectKey": format!("videos/load/{run}/{i}.mp4"),
            "title": format!("load video {i}"),
            "description": "seeded by the load run",
        });
        let body = client
            .gql(
                &upload,
                "mutation($i: RegisterVideoInput!) { registerVideo(input: $i) { id } }",
                json!({"i": input}),
            )
            .await?;
        ids.push(
            body["data"]["registerVideo"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    for (i, id) in ids.iter().take(200).enumerate() {
        for _ in 0..(1 + i % 5) {
            client
                .gql(
                    &Caller::Anonymous,
                    "mutation($v: ID!) { recordVisit(videoId: $v) }",
                    json!({"v": id}),
                )
                .await?;
        }
    }
    let seeded = Instant::now();
    let deadline = seeded + Duration::from_secs(120);
    loop {
        let body = client
            .gql(&Caller::Anonymous, "query { popular { total } }", json!({}))
            .await?;
        if body["data"]["popular"]["total"].as_i64().unwrap_or(0) >= 200 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "ranking did not fill within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Cover extraction of the seeded videos runs in the background; let it finish so that its
    // queries do not show up in the phases.
    while client.covers_done().await? < covers_before + videos as f64 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "covers did not settle within 120 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "ranking filled and covers settled {:.1} s after the last visit",
        seeded.elapsed().as_secs_f64()
    );
    let fields = "items { id title videoUrl coverUrl visitCount createdAt author { id } }";
    let phases = [
        (
            "feed",
            format!("query($n: Int) {{ feed(pageNum: $n, pageSize: 10) {{ {fields} }} }}"),
        ),
        (
            "popular",
            format!("query($n: Int) {{ popular(pageNum: $n, pageSize: 10) {{ {fields} }} }}"),
        ),
    ];
    println!("{seconds} s per phase, {concurrency} clients, {videos} seeded videos, page size 10");
    println!(
        "| query | requests/s | p50 ms | p90 ms | p99 ms | max ms | errors | MySQL queries during the phase |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, query) in phases {
        // One request per page first: the popular row cache fills on first touch.
        for n in 0..5 {
            client
                .gql(&Caller::Anonymous, &query, json!({"n": n}))
                .await?;
        }
        let before = client.db_operations().await?;
        let (lat, errors, elapsed) = drive(&client, &query, seconds, concurrency).await;
        let after = client.db_operations().await?;
        let pct =
            |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] as f64 / 1000.0;
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {errors} | {} |",
            lat.len() as f64 / elapsed,
            pct(0.50),
            pct(0.90),
            pct(0.99),
            *lat.last().unwrap_or(&0) as f64 / 1000.0,
            delta(&before, &after),
        );
    }
    Ok(())
}

/// Runs `query` from `concurrency` clients for `seconds` (pages 0-4 in turn); returns the sorted
/// latencies in microseconds, the error count and the elapsed seconds.
async fn drive(
    client: &Arc<Client>,
    query: &str,
    seconds: u64,
    concurrency: usize,
) -> (Vec<u64>, u64, f64) {
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..concurrency)
        .map(|w| {
            let client = Arc::clone(client);
            let query = query.to_owned();
            tokio::spawn(async move {
                let (mut lat, mut errors, mut n) = (Vec::new(), 0u64, w);
                while Instant::now() < end {
                    let t = Instant::now();
                    match client
                        .gql(&Caller::Anonymous, &query, json!({"n": n % 5}))
                        .await
                    {
                        Ok(_) => lat.push(t.elapsed().as_micros() as u64),
                        Err(_) => errors += 1,
                    }
                    n += 1;
                }
                (lat, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for t in tasks {
        if let Ok((lat, e)) = t.await {
            all.extend(lat);
            errors += e;
        }
    }
    all.sort_unstable();
    if all.is_empty() {
        all.push(0);
    }
    (all, errors, start.elapsed().as_secs_f64())
}
