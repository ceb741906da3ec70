//! `clipfed upload`: the project's own resumable uploader, interrupted and run again.

use crate::helpers::*;

#[tokio::test]
async fn an_interrupted_clipfed_upload_resumes_when_run_again() {
    let s = Stack::start().await;
    let user = some_user();
    let dir = tempfile::tempdir().unwrap();
    let file = mp4(40 * MIB + 99, 71);
    let path = dir.path().join("holiday.mp4");
    std::fs::write(&path, &file).unwrap();
    // The uploader keeps its resume state under the CLI's state folder; give it its own.
    let state = dir.path().join("state");
    let command = || {
        let mut cmd = tokio::process::Command::new(testkit::clipfed_binary());
        cmd.arg("upload")
            .arg(&path)
            .args(["--title", "假期", "--description", "beach"])
            .args(["--endpoint", &s.url("/uploads/")])
            .env("CLIPFED_TOKEN", s.token(user))
            .env("CLIPFED_STATE_DIR", &state)
            .kill_on_drop(true);
        cmd
    };
    // First run: stopped once some chunks are in.
    let mut first = command().spawn().unwrap();
    testkit::eventually(60, "some bytes arrived", || async {
        s.count("SELECT COALESCE(MAX(received), 0) FROM uploads")
            .await
            >= 16 * MIB as i64
    })
    .await;
    first.kill().await.unwrap();
    let partway = s.count("SELECT received FROM uploads").await;
    assert!(partway < file.len() as i64, "interrupted before the end");
    assert!(state.join("uploads.json").is_file());

    let out = command().output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("resuming"), "{err}");
    assert_eq!(
        s.count("SELECT COUNT(*) FROM uploads").await,
        1,
        "the same upload, resumed"
    );
    let videos = s.videos_of(user).await;
    assert_eq!(videos.len(), 1);
    assert_eq!(videos[0]["title"], "假期");
    assert_eq!(
        sha256_hex(&s.fetch(videos[0]["videoUrl"].as_str().unwrap()).await),
        sha256_hex(&file)
    );
}
