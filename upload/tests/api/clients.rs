//! The official tus clients, unchanged: tus-js-client (npm, `tools/node`) and tuspy (PyPI, in the
//! project venv), driven by small scripts: plain and checksummed uploads, resume after an
//! interrupted upload, parallel upload through concatenation, and tuspy's empty metadata header.

use serde_json::Value;

use crate::helpers::*;

async fn node(s: &Stack, file: &std::path::Path, user: i64, mode: &str) -> Value {
    let dir = testkit::tools_dir().join("node");
    assert!(
        dir.join("node_modules/tus-js-client").is_dir(),
        "tus-js-client is not installed in tools/node: run the tests with `cargo run -p clipfed -- test`"
    );
    run(tokio::process::Command::new("node")
        .current_dir(&dir)
        .arg("tus-upload.mjs")
        .arg(s.url("/uploads/"))
        .arg(file)
        .arg(s.token(user))
        .arg(mode))
    .await
}

async fn tuspy(s: &Stack, file: &std::path::Path, user: i64, mode: &str) -> Value {
    let python = std::env::var("CLIPFED_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    run(tokio::process::Command::new(python)
        .arg(testkit::tools_dir().join("python/tuspy_upload.py"))
        .arg(s.url("/uploads/"))
        .arg(file)
        .arg(s.token(user))
        .arg(mode))
    .await
}

async fn run(cmd: &mut tokio::process::Command) -> Value {
    testkit::run_json(cmd, "the tus client").await
}

fn write_file(dir: &tempfile::TempDir, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join("clip.mp4");
    std::fs::write(&path, bytes).unwrap();
    path
}

async fn assert_one_identical_video(s: &Stack, user: i64, file: &[u8]) {
    let videos = s.videos_of(user).await;
    assert_eq!(videos.len(), 1, "{videos:?}");
    let stored = s.fetch(videos[0]["videoUrl"].as_str().unwrap()).await;
    assert_eq!(sha256_hex(&stored), sha256_hex(file));
}

async fn bytes_received(s: &Stack) -> f64 {
    let text = testkit::get_text(&s.http, &s.url("/metrics")).await;
    testkit::metric(&text, "clipfed_upload_bytes_received_total")
}

#[tokio::test]
async fn tus_js_client_uploads_resumes_and_uploads_in_parallel() {
    let s = Stack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = mp4(9 * MIB + 321, 61);
    let path = write_file(&dir, &file);

    let user = some_user();
    node(&s, &path, user, "plain").await;
    assert_one_identical_video(&s, user, &file).await;

    let user = some_user();
    let before = bytes_received(&s).await;
    let out = node(&s, &path, user, "resume").await;
    assert_eq!(out["url"], out["firstUrl"], "the same upload was resumed");
    assert_one_identical_video(&s, user, &file).await;
    let sent = bytes_received(&s).await - before;
    assert!(
        sent < file.len() as f64 * 1.6,
        "resumed, not restarted: {sent} bytes for {}",
        file.len()
    );

    let user = some_user();
    node(&s, &path, user, "parallel").await;
    assert_one_identical_video(&s, user, &file).await;
}

#[tokio::test]
async fn tuspy_uploads_with_checksums_resumes_and_sends_empty_metadata() {
    let s = Stack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = mp4(7 * MIB + 5, 62);
    let path = write_file(&dir, &file);

    let user = some_user();
    tuspy(&s, &path, user, "plain").await;
    assert_one_identical_video(&s, user, &file).await;

    let user = some_user();
    let out = tuspy(&s, &path, user, "resume").await;
    assert_eq!(out["url"], out["first_url"]);
    assert_eq!(
        out["resumed_from"],
        4 * MIB,
        "resumed after the two chunks sent"
    );
    assert_one_identical_video(&s, user, &file).await;

    // Without metadata a video has no title: tuspy's empty header parses, and the refusal is clear.
    let user = some_user();
    let out = tuspy(&s, &path, user, "nometa").await;
    assert_eq!(out["refused"], 400, "{out}");
    assert!(out["content"].as_str().unwrap().contains("title"), "{out}");
}
