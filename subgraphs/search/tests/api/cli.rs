//! `clipfed images import DIR`: the bulk loader against the real service; refused files are listed
//! and make the exit status non-zero; a second run stores nothing twice.

use crate::helpers::{picture, png, spawn_app};

#[tokio::test]
async fn clipfed_images_import_indexes_a_folder_and_lists_refused_files() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    for (name, seed) in [("a.png", 31), ("b.PNG", 32), ("nested/c.png", 33)] {
        std::fs::write(dir.path().join(name), png(&picture(seed, 96, 96))).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), b"skipped: not an image name").unwrap();
    std::fs::write(dir.path().join("fake.jpg"), b"refused: not image bytes").unwrap();
    let run = |dir: std::path::PathBuf| {
        let mut cmd = tokio::process::Command::new(testkit::clipfed_binary());
        cmd.args(["images", "import"])
            .arg(dir)
            .args(["--endpoint", &format!("{}/images", app.base)])
            .env("CLIPFED_TOKEN", app.token(9))
            .kill_on_drop(true);
        cmd
    };
    let out = run(dir.path().to_owned()).output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a refused file fails the run: {err}");
    assert!(err.contains("indexed 3 of 4 images"), "{err}");
    assert!(err.contains("fake.jpg: not an image"), "{err}");

    std::fs::remove_file(dir.path().join("fake.jpg")).unwrap();
    let out = run(dir.path().to_owned()).output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("indexed 3 images"), "{err}");
    let pool = app.sql().await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM images")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 3, "the second run stored nothing new");

    // Without a token the service refuses the whole import.
    let out = run(dir.path().to_owned())
        .env_remove("CLIPFED_TOKEN")
        .env("CLIPFED_TOKEN", "not-a-token")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("refused the import") && err.contains("10003"),
        "{err}"
    );
    app.cleanup().await;
}
