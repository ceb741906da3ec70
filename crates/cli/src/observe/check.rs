//! The live observability check (`clipfed observe`, and the last stage of `clipfed test`): with the
//! servers up, it starts every service and the router, drives a short mixed load through the
//! router's public port (REST and GraphQL: register, login, feed, an upload, like, comment, follow,
//! keyword and image search), then asks the real Prometheus and the real trace viewer whether what
//! a person would look at is there:
//!
//! - every query of every committed dashboard returns at least one series (no empty or misspelt
//!   panel);
//! - `up` is 1 for every service, the router and the three exporters;
//! - no metric carries an id-like label value, and no metric name has more than
//!   [`MAX_SERIES_PER_NAME`] series (labels stay bounded however many users and videos there are);
//! - the like, sent with a W3C `traceparent` of our own, is one trace in the viewer with spans from
//!   the router, the social subgraph, the outbox relay and the counter consumer.
//!
//! Failures are collected and reported together; any one fails the check.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

use crate::paths::Paths;
use crate::progress::Step;
use crate::services::{self, ROUTER_PORT, SERVICES};

const PROMETHEUS: &str = "http://127.0.0.1:9090";
const PHOENIX: &str = "http://127.0.0.1:6006";
/// The scrape interval `up` configures; the check waits a few of them after the load.
const SCRAPE: Duration = Duration::from_secs(5);
/// The most series one metric name may have after the load.
pub const MAX_SERIES_PER_NAME: usize = 400;
/// Jobs whose `up` must be 1 besides the services: the exporters.
const EXPORTER_JOBS: &[&str] = &["mysqld", "redis", "node"];

/// Runs the whole check; `Ok(false)` when something was missing (each failure printed).
pub fn run(paths: &Paths) -> anyhow::Result<bool> {
    for service in SERVICES {
        services::start(paths, service)?;
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(check(paths))
}

async fn check(paths: &Paths) -> anyhow::Result<bool> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let step = Step::start("driving a short mixed load through the router");
    let traced = load(paths, &http).await.inspect_err(|_| step.fail())?;
    step.done(&format!("the like is trace {}", traced.trace_id));

    let mut failures = Vec::new();
    let step = Step::start("waiting for Prometheus to scrape the load");
    tokio::time::sleep(SCRAPE * 3).await;
    step.done("");

    let step = Step::start("running every dashboard query against Prometheus");
    let mut queries = 0;
    for (file, json) in committed_dashboards(paths)? {
        for (title, expr) in super::grafana::expressions(&json) {
            queries += 1;
            let resolved = super::grafana::resolve(&expr);
            match instant_query(&http, &resolved).await {
                Ok(series) if series.is_empty() => failures.push(format!(
                    "{file}: \"{title}\" returned no series: {resolved}"
                )),
                Ok(_) => {}
                Err(err) => failures.push(format!("{file}: \"{title}\": {err:#}: {resolved}")),
            }
        }
    }
    step.done(&format!("{queries} queries"));

    let step = Step::start("checking every target is up");
    let up = instant_query(&http, "up").await?;
    let mut seen = BTreeMap::new();
    for series in &up {
        seen.insert(
            series["metric"]["job"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            series["value"][1].as_str().unwrap_or_default().to_owned(),
        );
    }
    let wanted = SERVICES
        .iter()
        .map(|s| s.name)
        .chain(EXPORTER_JOBS.iter().copied());
    for job in wanted {
        match seen.get(job).map(String::as_str) {
            Some("1") => {}
            other => failures.push(format!("up{{job=\"{job}\"}} is {other:?}, not 1")),
        }
    }
    step.done(&format!("{} targets", seen.len()));

    let step = Step::start("checking that labels stay bounded");
    let jobs: Vec<&str> = SERVICES.iter().map(|s| s.name).collect();
    failures.extend(cardinality(&http, &jobs).await?);
    step.done("");

    let step = Step::start("finding the like's trace in the trace viewer");
    match like_trace(&http, &traced.trace_id).await {
        Ok(summary) => step.done(&summary),
        Err(err) => {
            step.fail();
            failures.push(format!("trace {}: {err:#}", traced.trace_id));
        }
    }

    for failure in &failures {
        eprintln!("  ✘ {failure}");
    }
    Ok(failures.is_empty())
}

/// What the load leaves for the checks.
struct Traced {
    trace_id: String,
}

fn router(path: &str) -> String {
    format!("http://127.0.0.1:{ROUTER_PORT}{path}")
}

/// Sends a REST form and wants code 10000; returns the envelope and the response headers.
async fn form(
    http: &reqwest::Client,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    fields: &[(&str, &str)],
    extra: &[(&str, String)],
) -> anyhow::Result<(Value, reqwest::header::HeaderMap)> {
    let mut req = http.request(method, router(path)).form(fields);
    if let Some(token) = token {
        req = req.header("Access-Token", token);
    }
    for (name, value) in extra {
        req = req.header(*name, value);
    }
    answer(req, path).await
}

async fn answer(
    req: reqwest::RequestBuilder,
    what: &str,
) -> anyhow::Result<(Value, reqwest::header::HeaderMap)> {
    let res = req
        .send()
        .await
        .with_context(|| format!("{what}: no answer"))?;
    let headers = res.headers().clone();
    let body: Value = res
        .json()
        .await
        .with_context(|| format!("{what}: not JSON"))?;
    if body["base"]["code"] != 10000 {
        bail!("{what}: {body}");
    }
    Ok((body, headers))
}

async fn get(http: &reqwest::Client, path: &str) -> anyhow::Result<Value> {
    Ok(answer(http.get(router(path)), path).await?.0)
}

/// A user of the load: registered and logged in.
struct User {
    id: String,
    token: String,
}

async fn user(http: &reqwest::Client, name: &str) -> anyhow::Result<User> {
    let password = "observe-Passw0rd";
    let creds = [("username", name), ("password", password)];
    form(
        http,
        reqwest::Method::POST,
        "/user/register",
        None,
        &creds,
        &[],
    )
    .await?;
    let (body, headers) = form(
        http,
        reqwest::Method::POST,
        "/user/login",
        None,
        &creds,
        &[],
    )
    .await?;
    let token = headers
        .get("Access-Token")
        .and_then(|v| v.to_str().ok())
        .context("login answered no Access-Token header")?
        .to_owned();
    let id = body["data"]["id"]
        .as_str()
        .context("login data has no id")?
        .to_owned();
    Ok(User { id, token })
}

/// Makes a one-second video and a small picture with ffmpeg (installed with the stack).
fn media(paths: &Paths, dir: &std::path::Path) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let ffmpeg = crate::stack::tool_path(paths, "ffmpeg").context("ffmpeg is not a tool")?;
    let video = dir.join("clip.mp4");
    let picture = dir.join("still.png");
    for (args, out) in [
        (
            &[
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=96x64:rate=5",
                "-t",
                "1",
                "-pix_fmt",
                "yuv420p",
            ][..],
            &video,
        ),
        (
            &["-f", "lavfi", "-i", "testsrc=size=96x64", "-frames:v", "1"][..],
            &picture,
        ),
    ] {
        let status = Command::new(&ffmpeg)
            .args(["-loglevel", "error", "-y"])
            .args(args)
            .arg(out)
            .status()
            .context("running ffmpeg")?;
        if !status.success() {
            bail!("ffmpeg could not write {}", out.display());
        }
    }
    Ok((std::fs::read(video)?, std::fs::read(picture)?))
}

async fn load(paths: &Paths, http: &reqwest::Client) -> anyhow::Result<Traced> {
    use reqwest::Method;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis()
        .to_string();
    let author = user(http, &format!("obs{stamp}a")).await?;
    let fan = user(http, &format!("obs{stamp}b")).await?;
    let dir = tempdir()?;
    let made = media(paths, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    let (video, picture) = made?;
    let title = format!("observability {stamp}");

    // The upload through the west2 form (router -> upload service -> S3 -> registerVideo).
    let upload = reqwest::multipart::Form::new()
        .text("title", title.clone())
        .text("description", "a one-second test pattern")
        .part(
            "data",
            reqwest::multipart::Part::bytes(video)
                .file_name("clip.mp4")
                .mime_str("video/mp4")?,
        );
    answer(
        http.post(router("/video/publish"))
            .header("Access-Token", &author.token)
            .multipart(upload),
        "/video/publish",
    )
    .await?;
    let video_id = wait_for_video(http, &author.id).await?;

    for _ in 0..5 {
        get(http, "/video/feed?page_size=5").await?;
        get(http, "/video/popular").await?;
    }
    let query = serde_json::json!({
        "query": "query ObserveFeed { feed(pageSize: 5) { items { id title author { username } } } }"
    });
    for _ in 0..5 {
        let res: Value = http
            .post(router("/graphql"))
            .json(&query)
            .send()
            .await?
            .json()
            .await?;
        if res.get("errors").is_some() {
            bail!("GraphQL feed: {res}");
        }
    }

    // The like carries a traceparent of our own: its trace id is what the viewer must show.
    let trace_id = format!("{:032x}", rand_u128());
    let traceparent = format!("00-{trace_id}-{:016x}-01", rand_u128() as u64 | 1);
    // Social learns of a new video from `video.events`, a moment after the upload: until then a
    // like answers VIDEO_NOT_FOUND, and is retried (in the same trace).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let liked = form(
            http,
            Method::POST,
            "/like/action",
            Some(&fan.token),
            &[("video_id", video_id.as_str()), ("action_type", "1")],
            &[("traceparent", traceparent.clone())],
        )
        .await;
        match liked {
            Ok(_) => break,
            Err(err) if err.to_string().contains("12001") && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(err) => return Err(err),
        }
    }
    form(
        http,
        Method::POST,
        "/comment/publish",
        Some(&fan.token),
        &[("video_id", video_id.as_str()), ("content", "nice pattern")],
        &[],
    )
    .await?;
    form(
        http,
        Method::POST,
        "/relation/action",
        Some(&fan.token),
        &[("to_user_id", author.id.as_str()), ("action_type", "0")],
        &[],
    )
    .await?;
    get(http, &format!("/comment/list?video_id={video_id}")).await?;
    get(http, &format!("/like/list?user_id={}", fan.id)).await?;
    get(http, &format!("/follower/list?user_id={}", author.id)).await?;
    form(
        http,
        Method::POST,
        "/video/search",
        None,
        &[("keywords", title.as_str())],
        &[],
    )
    .await?;
    image_search(http, picture).await?;
    // Bad input is part of real traffic: error outcomes must show in the panels too.
    let bad = http
        .post(router("/like/action"))
        .header("Access-Token", &fan.token)
        .form(&[("video_id", "not-a-number"), ("action_type", "1")])
        .send()
        .await?
        .json::<Value>()
        .await?;
    if bad["base"]["code"] == 10000 {
        bail!("a malformed like was accepted: {bad}");
    }
    Ok(Traced { trace_id })
}

/// Searches by `picture` until an image is indexed (the uploaded video's cover reaches the search
/// index through `video.events` a moment after the upload).
async fn image_search(http: &reqwest::Client, picture: Vec<u8>) -> anyhow::Result<()> {
    const NO_IMAGES_INDEXED: i64 = 16002;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let form = reqwest::multipart::Form::new().part(
            "data",
            reqwest::multipart::Part::bytes(picture.clone())
                .file_name("still.png")
                .mime_str("image/png")?,
        );
        let body: Value = http
            .post(router("/user/image/search"))
            .multipart(form)
            .send()
            .await?
            .json()
            .await?;
        match body["base"]["code"].as_i64() {
            Some(10000) => return Ok(()),
            Some(NO_IMAGES_INDEXED) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            _ => bail!("/user/image/search: {body}"),
        }
    }
}

/// The author's video once the upload service has recorded it.
async fn wait_for_video(http: &reqwest::Client, author: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = get(http, &format!("/video/list?user_id={author}")).await?;
        if let Some(id) = list["data"]["items"][0]["id"].as_str() {
            return Ok(id.to_owned());
        }
        if Instant::now() > deadline {
            bail!("the uploaded video was not recorded within a minute: {list}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn rand_u128() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    let mut a = state.build_hasher();
    a.write_u128(Instant::now().elapsed().as_nanos());
    let mut b = state.build_hasher();
    b.write_u64(a.finish());
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

fn tempdir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("clipfed-observe-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn committed_dashboards(paths: &Paths) -> anyhow::Result<Vec<(String, Value)>> {
    let dir = super::dashboards_dir(&paths.root);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let json = serde_json::from_slice(&std::fs::read(&path)?)
                .with_context(|| format!("{} is not JSON", path.display()))?;
            out.push((
                path.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                json,
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The series of an instant query.
async fn instant_query(http: &reqwest::Client, expr: &str) -> anyhow::Result<Vec<Value>> {
    let res: Value = http
        .get(format!("{PROMETHEUS}/api/v1/query"))
        .query(&[("query", expr)])
        .send()
        .await
        .context("Prometheus does not answer")?
        .json()
        .await?;
    if res["status"] != "success" {
        bail!("Prometheus refused the query: {}", res["error"]);
    }
    Ok(res["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// Label names that would make a series per user or per video.
const ID_LABELS: &[&str] = &[
    "user_id",
    "video_id",
    "comment_id",
    "username",
    "id",
    "upload_id",
];

/// Failures: a metric of `jobs` with more than [`MAX_SERIES_PER_NAME`] series, an id-like label
/// name, or a label value that is a long number (a snowflake id).
async fn cardinality(http: &reqwest::Client, jobs: &[&str]) -> anyhow::Result<Vec<String>> {
    let selector = format!("{{job=~\"{}\"}}", jobs.join("|"));
    let res: Value = http
        .get(format!("{PROMETHEUS}/api/v1/series"))
        .query(&[("match[]", selector.as_str())])
        .send()
        .await?
        .json()
        .await?;
    let mut per_name: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = BTreeSet::new();
    for series in res["data"].as_array().into_iter().flatten() {
        let Some(labels) = series.as_object() else {
            continue;
        };
        let name = labels["__name__"].as_str().unwrap_or_default().to_owned();
        *per_name.entry(name.clone()).or_default() += 1;
        for (label, value) in labels {
            let value = value.as_str().unwrap_or_default();
            if ID_LABELS.contains(&label.as_str()) {
                failures.insert(format!("{name} has a per-entity label {label}"));
            }
            if value.len() >= 12 && value.bytes().all(|b| b.is_ascii_digit()) {
                failures.insert(format!("{name} has an id-like value in {label}: {value}"));
            }
        }
    }
    if per_name.is_empty() {
        failures.insert("Prometheus holds no series of the services".to_owned());
    }
    for (name, count) in per_name {
        if count > MAX_SERIES_PER_NAME {
            failures.insert(format!("{name} has {count} series"));
        }
    }
    Ok(failures.into_iter().collect())
}

/// Polls the viewer until the trace holds spans of the router, the social subgraph, the outbox
/// relay and the counter consumer; returns a one-line summary.
async fn like_trace(http: &reqwest::Client, trace_id: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let spans = trace_spans(http, trace_id).await?;
        let services: BTreeSet<String> = spans.iter().filter_map(service_of).collect();
        let names: BTreeSet<&str> = spans.iter().filter_map(|s| s["name"].as_str()).collect();
        let relay = names.contains("outbox.publish");
        let consumer = spans.iter().any(|s| {
            s["name"].as_str().is_some_and(|n| n.starts_with("consume"))
                && service_of(s).as_deref() == Some("social")
        });
        let router = spans.iter().any(|s| service_of(s).is_none());
        if services.contains("social") && relay && consumer && router {
            return Ok(format!(
                "{} spans from {}; names: {}",
                spans.len(),
                services.into_iter().collect::<Vec<_>>().join(", "),
                names.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        if Instant::now() > deadline {
            bail!(
                "after a minute the trace has {} spans (services {services:?}, names {names:?}): \
                 want the router's, the social subgraph's, outbox.publish and the consumer's",
                spans.len()
            );
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The spans of one trace, as the viewer's REST API returns them (OTLP JSON).
async fn trace_spans(http: &reqwest::Client, trace_id: &str) -> anyhow::Result<Vec<Value>> {
    let res: Value = http
        .get(format!("{PHOENIX}/v1/projects/default/spans/otlpv1"))
        .query(&[("trace_id", trace_id), ("limit", "1000")])
        .send()
        .await
        .context("the trace viewer does not answer")?
        .json()
        .await?;
    Ok(res["data"].as_array().cloned().unwrap_or_default())
}

/// The `service.name` attribute kit puts on every span of a clipfed service (the router's spans
/// have none: the viewer keeps span attributes, not the resource).
fn service_of(span: &Value) -> Option<String> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == "service.name")?["value"]["string_value"]
        .as_str()
        .map(str::to_owned)
}
