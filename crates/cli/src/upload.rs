//! `clipfed upload FILE --title T --description D`: a resumable tus uploader with a progress bar.
//!
//! The upload URL of each file is remembered in `.clipfed/uploads.json` (or under
//! `CLIPFED_STATE_DIR`), keyed by the file's
//! canonical path, size and modification time. Run the command again after an interruption and
//! it asks the server where the upload stands (HEAD) and sends only the rest. Each chunk carries a
//! sha1 `Upload-Checksum`; transient failures (connection, 423, 5xx) are retried with backoff, and
//! an offset mismatch (409) re-reads the offset.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use indicatif::{ProgressBar, ProgressStyle};
use sha1::{Digest, Sha1};

use crate::paths::Paths;

/// Bytes per PATCH.
const CHUNK: usize = 8 * 1024 * 1024;
/// Attempts per request before giving up.
const ATTEMPTS: u32 = 6;

pub struct Args {
    pub file: PathBuf,
    pub title: String,
    pub description: String,
    pub endpoint: String,
    pub token: String,
}

pub fn run(paths: &Paths, args: Args) -> anyhow::Result<std::process::ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(upload(paths, args))?;
    Ok(std::process::ExitCode::SUCCESS)
}

async fn upload(paths: &Paths, args: Args) -> anyhow::Result<()> {
    let path = args
        .file
        .canonicalize()
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let meta = std::fs::metadata(&path)?;
    let len = meta.len();
    let fingerprint = format!(
        "{}:{len}:{}",
        path.display(),
        meta.modified()?
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis()
    );
    let state =
        std::env::var_os("CLIPFED_STATE_DIR").map_or_else(|| paths.state.clone(), PathBuf::from);
    let store = state.join("uploads.json");
    let mut known = read_store(&store);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()?;
    let endpoint = args.endpoint.trim_end_matches('/').to_owned() + "/";
    let base = origin(&endpoint);

    let mut url_offset = None;
    if let Some(url) = known.get(&fingerprint)
        && let Some(offset) = head(&http, url, &args.token).await?
    {
        eprintln!("resuming {url} at byte {offset}");
        url_offset = Some((url.clone(), offset));
    }
    let (url, mut offset) = match url_offset {
        Some(found) => found,
        None => {
            let url = create(&http, &endpoint, &base, &args, &path, len).await?;
            known.insert(fingerprint.clone(), url.clone());
            write_store(&store, &known)?;
            (url, 0)
        }
    };

    let bar = progress(len);
    bar.set_position(offset);
    let mut file = std::fs::File::open(&path)?;
    let mut buf = vec![0u8; CHUNK];
    while offset < len {
        file.seek(SeekFrom::Start(offset))?;
        let n = (len - offset).min(CHUNK as u64) as usize;
        file.read_exact(&mut buf[..n])?;
        offset = patch(&http, &url, &args.token, offset, &buf[..n]).await?;
        bar.set_position(offset);
    }
    bar.finish();
    known.remove(&fingerprint);
    write_store(&store, &known)?;
    eprintln!("uploaded {} ({len} bytes) as {url}", path.display());
    Ok(())
}

fn progress(len: u64) -> ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(len)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .expect("valid template"),
    );
    bar
}

/// The offset of a known upload; `None` when the server no longer has it.
async fn head(http: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<Option<u64>> {
    let res = retry(|| {
        http.head(url)
            .header("Tus-Resumable", "1.0.0")
            .bearer_auth(token)
            .send()
    })
    .await?;
    if res.status() == 404 || res.status() == 410 {
        return Ok(None);
    }
    if !res.status().is_success() {
        bail!("HEAD {url}: {}", res.status());
    }
    Ok(Some(header_u64(&res, "upload-offset")?))
}

async fn create(
    http: &reqwest::Client,
    endpoint: &str,
    base: &str,
    args: &Args,
    path: &Path,
    len: u64,
) -> anyhow::Result<String> {
    let filename = path.file_name().and_then(|n| n.to_str()).unwrap_or("video");
    let metadata = [
        ("filename", filename),
        ("title", &args.title),
        ("description", &args.description),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)))
    .collect::<Vec<_>>()
    .join(",");
    let res = retry(|| {
        http.post(endpoint)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", len)
            .header("Upload-Metadata", &metadata)
            .bearer_auth(&args.token)
            .send()
    })
    .await?;
    if res.status() != 201 {
        bail!(
            "creating the upload: {} {}",
            res.status(),
            res.text().await.unwrap_or_default().trim()
        );
    }
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .context("the server sent no Location")?;
    Ok(if location.starts_with("http") {
        location.to_owned()
    } else {
        format!("{base}{location}")
    })
}

/// Sends one chunk; returns the new offset (re-read from the server after a conflict).
async fn patch(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    offset: u64,
    chunk: &[u8],
) -> anyhow::Result<u64> {
    let checksum = format!("sha1 {}", STANDARD.encode(Sha1::digest(chunk)));
    let res = retry(|| {
        http.patch(url)
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset)
            .header("Upload-Checksum", &checksum)
            .bearer_auth(token)
            .body(chunk.to_vec())
            .send()
    })
    .await?;
    match res.status().as_u16() {
        204 => header_u64(&res, "upload-offset"),
        409 => head(http, url, token)
            .await?
            .context("the upload disappeared"),
        status => bail!(
            "PATCH {url}: {status} {}",
            res.text().await.unwrap_or_default().trim()
        ),
    }
}

/// Retries connection errors, 423, 460 and 5xx with backoff.
async fn retry<F, Fut>(mut send: F) -> anyhow::Result<reqwest::Response>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>>,
{
    let mut wait = Duration::from_millis(500);
    for attempt in 1..=ATTEMPTS {
        match send().await {
            Ok(res)
                if !(res.status() == 423
                    || res.status() == 460
                    || res.status().is_server_error()) =>
            {
                return Ok(res);
            }
            Ok(res) if attempt == ATTEMPTS => return Ok(res),
            Err(err) if attempt == ATTEMPTS => return Err(err.into()),
            Ok(res) => eprintln!("server answered {}; retrying in {wait:?}", res.status()),
            Err(err) => eprintln!("{err}; retrying in {wait:?}"),
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(10));
    }
    unreachable!("the last attempt returns")
}

fn header_u64(res: &reqwest::Response, name: &str) -> anyhow::Result<u64> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("the server sent no valid {name}"))
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

fn read_store(path: &Path) -> BTreeMap<String, String> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn write_store(path: &Path, known: &BTreeMap<String, String>) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, serde_json::to_vec_pretty(known)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_the_store_round_trip() {
        assert_eq!(
            origin("http://127.0.0.1:8105/uploads/"),
            "http://127.0.0.1:8105"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/uploads.json");
        assert!(read_store(&path).is_empty());
        let mut known = BTreeMap::new();
        known.insert("a:1:2".to_owned(), "http://h/uploads/x".to_owned());
        write_store(&path, &known).unwrap();
        assert_eq!(read_store(&path), known);
    }
}
