//! Upload throughput: MiB/s through the tus endpoint for 1 and for N concurrent clients, next to a
//! direct aws-sdk-s3 multipart upload of the same bytes to the same S3 server (the limit to
//! approach). Needs the local stack (`cargo run -p clipfed -- up`): s3s-fs, MariaDB and the video
//! subgraph that records the uploads.
//!
//! `cargo run --release -p clipfed-upload --example throughput -- [MiB per upload] [clients]`
//! (defaults 256 and 8). Each tus upload is one PATCH streamed from memory in 64 KiB pieces.

use std::time::Instant;

use secrecy::SecretString;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let mib = args.first().copied().unwrap_or(256);
    let clients = args.get(1).copied().unwrap_or(8);
    let len = mib * 1024 * 1024;
    let mut config = upload::config::Config::load()?;
    config.db.database = format!("clipfed_upload_bench_{}", std::process::id());
    config.db.url = SecretString::from("mysql://clipfed:clipfed@127.0.0.1:3306".to_owned());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(upload::run(
        config.clone(),
        listener,
        std::future::pending(),
    ));
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The user service's development token key: the service in this process trusts its public key.
    let keys = testkit::signed::dev_tokens(3600);
    let data = bytes::Bytes::from(testkit::mp4(len, 1));

    let measured = measure(&config, &http, &base, &keys, data, mib, clients).await;
    // The service's bookkeeping is this run's alone (the S3 objects and the videos it recorded stay,
    // as any upload's would).
    testkit::drop_database(&config.db.database).await;
    measured
}

async fn measure(
    config: &upload::config::Config,
    http: &reqwest::Client,
    base: &str,
    keys: &kit::token::TokenKeys,
    data: bytes::Bytes,
    mib: usize,
    clients: usize,
) -> anyhow::Result<()> {
    let direct = direct_multipart(config, data.clone(), config.limits.part_size as usize).await?;
    println!(
        "direct aws-sdk-s3 multipart, 1 upload of {mib} MiB: {:.1} MiB/s",
        mib as f64 / direct
    );

    for n in [1, clients] {
        let started = Instant::now();
        let runs = (0..n).map(|i| tus_upload(http, base, keys, data.clone(), 900_000 + i as i64));
        for r in futures::future::join_all(runs).await {
            r?;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "tus, {n} concurrent upload(s) of {mib} MiB: {:.1} MiB/s in total ({:.1} s)",
            (n * mib) as f64 / secs,
            secs
        );
    }
    Ok(())
}

/// Seconds for one multipart upload of `data` straight to S3, parts sent one after another.
async fn direct_multipart(
    config: &upload::config::Config,
    data: bytes::Bytes,
    part: usize,
) -> anyhow::Result<f64> {
    let objects = upload::adapters::objects::Objects::new(&config.s3);
    let key = format!("bench/direct-{}", std::process::id());
    let started = Instant::now();
    let id = objects.create_multipart(&key, "video/mp4").await?;
    let mut parts = Vec::new();
    for (i, chunk) in data.chunks(part).enumerate() {
        let n = i as i32 + 1;
        let etag = objects
            .upload_part(&key, &id, n, data.slice_ref(chunk))
            .await?;
        parts.push((n, etag));
    }
    objects.complete(&key, &id, &parts).await?;
    let secs = started.elapsed().as_secs_f64();
    objects.delete(&key).await?;
    Ok(secs)
}

async fn tus_upload(
    http: &reqwest::Client,
    base: &str,
    keys: &kit::token::TokenKeys,
    data: bytes::Bytes,
    user: i64,
) -> anyhow::Result<()> {
    let token = keys
        .issue(user, 1, 1, chrono::Utc::now().timestamp())
        .access;
    let res = http
        .post(format!("{base}/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", data.len())
        .header("Upload-Metadata", "title YmVuY2g=")
        .bearer_auth(&token)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 201, "create: {}", res.status());
    let location = res.headers()["location"].to_str()?.to_owned();
    let pieces: Vec<Result<bytes::Bytes, std::io::Error>> = (0..data.len())
        .step_by(64 * 1024)
        .map(|at| Ok(data.slice(at..(at + 64 * 1024).min(data.len()))))
        .collect();
    let res = http
        .patch(format!("{base}{location}"))
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .bearer_auth(&token)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(pieces)))
        .send()
        .await?;
    anyhow::ensure!(
        res.status() == 204,
        "patch: {} {}",
        res.status(),
        res.text().await?
    );
    Ok(())
}
