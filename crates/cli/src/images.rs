//! `clipfed images import DIR`: bulk-loads the images of a folder (and its subfolders) into image
//! search through the search service's `POST /images`, a few files per request, with a progress
//! bar. Files are chosen by extension (jpg, jpeg, png, gif, webp); the service checks the bytes.
//! Importing the same file twice stores it once (objects are keyed by content). Files the service
//! refuses are listed at the end and make the exit status non-zero.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;

/// Files per request.
const PER_REQUEST: usize = 8;
const EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "gif", "webp"];

pub struct Args {
    pub dir: PathBuf,
    pub endpoint: String,
    pub token: String,
}

#[derive(Deserialize)]
struct Envelope {
    base: Base,
    data: Option<Outcomes>,
}

#[derive(Deserialize)]
struct Base {
    code: i32,
    msg: String,
}

#[derive(Deserialize)]
struct Outcomes {
    items: Vec<Outcome>,
}

#[derive(Deserialize)]
struct Outcome {
    code: i32,
    msg: String,
}

/// The image files under `dir`, sorted (so runs are repeatable).
pub fn image_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot read {}", folder.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn run(args: Args) -> anyhow::Result<std::process::ExitCode> {
    let files = image_files(&args.dir)?;
    if files.is_empty() {
        bail!(
            "no .jpg, .jpeg, .png, .gif or .webp file under {}",
            args.dir.display()
        );
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let failed = rt.block_on(import(&args, &files))?;
    if failed.is_empty() {
        eprintln!("indexed {} images", files.len());
        return Ok(std::process::ExitCode::SUCCESS);
    }
    eprintln!(
        "indexed {} of {} images; refused:",
        files.len() - failed.len(),
        files.len()
    );
    for (path, why) in &failed {
        eprintln!("  {}: {why}", path.display());
    }
    Ok(std::process::ExitCode::FAILURE)
}

async fn import(args: &Args, files: &[PathBuf]) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()?;
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} images  {per_sec}  eta {eta}",
    )?);
    let mut failed = Vec::new();
    for batch in files.chunks(PER_REQUEST) {
        let mut form = reqwest::multipart::Form::new();
        for path in batch {
            let bytes = tokio::fs::read(path)
                .await
                .with_context(|| format!("cannot read {}", path.display()))?;
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            form = form.part(
                "data",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        }
        let response = http
            .post(&args.endpoint)
            .bearer_auth(&args.token)
            .multipart(form)
            .send()
            .await
            .with_context(|| format!("cannot reach {}", args.endpoint))?;
        let status = response.status();
        let envelope: Envelope = response
            .json()
            .await
            .with_context(|| format!("{} answered {status} without an envelope", args.endpoint))?;
        if envelope.base.code != 10000 {
            bar.abandon();
            bail!(
                "the search service refused the import: {} ({})",
                envelope.base.msg,
                envelope.base.code
            );
        }
        let items = envelope.data.map(|d| d.items).unwrap_or_default();
        for (path, item) in batch.iter().zip(items) {
            if item.code != 10000 {
                failed.push((path.clone(), format!("{} ({})", item.msg, item.code)));
            }
        }
        bar.inc(batch.len() as u64);
    }
    bar.finish();
    Ok(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_files_are_found_by_extension_in_subfolders_sorted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        for name in ["b.PNG", "a.jpg", "sub/c.webp", "notes.txt", "sub/d"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let found: Vec<String> = image_files(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(found, ["a.jpg", "b.PNG", "sub/c.webp"]);
    }
}
