//! Covers: a frame extracted by ffmpeg off the registration path (also from videos shorter than
//! the seek point), the default cover when ffmpeg is missing or the bytes are not a video.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

/// A real MP4 of `secs` seconds, made by ffmpeg (installed by `clipfed test`).
fn make_video(secs: f64) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc=duration={secs}:size=320x240:rate=10"))
        .args(["-pix_fmt", "yuv420p"])
        .arg(&path)
        .status()
        .expect("ffmpeg is installed (`cargo run -p clipfed -- test` installs it)");
    assert!(status.success());
    std::fs::read(path).unwrap()
}

/// Puts `bytes` at `key` in the test bucket.
async fn put(app: &TestApp, key: &str, bytes: Vec<u8>) {
    let presigner = kit::s3::Presigner::new(&app.config.s3).unwrap();
    let res = reqwest::Client::new()
        .put(presigner.put(key, Duration::from_secs(300)))
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
}

async fn register_object(app: &TestApp, key: &str) -> i64 {
    let mut i = input(&testkit::unique("up"), 3, "cover test");
    i["objectKey"] = json!(key);
    let body = app.register_as(&upload_service(), i).await;
    id_in(&body["data"]["registerVideo"])
}

/// Registers the object at `key` and waits until its cover job settled on the default cover.
async fn register_with_default_cover(app: &TestApp, key: &str) -> i64 {
    // Read before registering: the extraction may finish before the next line runs.
    let series = "clipfed_video_covers_total{outcome=\"default\"}";
    let before = metric(&app.metrics().await, series);
    let id = register_object(app, key).await;
    eventually(30, "cover settled", || async {
        metric(&app.metrics().await, series) > before
    })
    .await;
    id
}

async fn cover_of(app: &TestApp, id: i64) -> Value {
    let body = app
        .gql(
            "query($id: ID!) { video(id: $id) { coverUrl durationMs } }",
            json!({"id": id.to_string()}),
        )
        .await;
    body["data"]["video"].clone()
}

/// Every event payload the service wrote to its outbox.
async fn outbox_payloads(app: &TestApp) -> Vec<String> {
    let pool = app.db().await;
    let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT payload FROM outbox ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    rows.into_iter()
        .map(|p| String::from_utf8(p).unwrap())
        .collect()
}

async fn fetch(url: &str) -> Vec<u8> {
    let res = reqwest::get(url).await.unwrap();
    assert!(res.status().is_success(), "GET {url}: {}", res.status());
    res.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn a_frame_becomes_the_cover_and_the_duration_is_probed() {
    testkit::require_s3();
    let app = spawn_app().await;
    let long_key = format!("videos/{}.mp4", testkit::unique("long"));
    let short_key = format!("videos/{}.mp4", testkit::unique("short"));
    put(&app, &long_key, make_video(2.0)).await;
    put(&app, &short_key, make_video(0.4)).await;
    let long = register_object(&app, &long_key).await;
    let short = register_object(&app, &short_key).await;
    for (id, min_ms, max_ms) in [(long, 1500, 2500), (short, 200, 900)] {
        let want = format!("covers/{id}.jpg");
        eventually(60, "cover extracted", || async {
            cover_of(&app, id).await["coverUrl"]
                .as_str()
                .is_some_and(|u| u.contains(&want))
        })
        .await;
        let video = cover_of(&app, id).await;
        let jpeg = fetch(video["coverUrl"].as_str().unwrap()).await;
        assert_eq!(&jpeg[..3], &[0xFF, 0xD8, 0xFF], "a JPEG");
        let ms = video["durationMs"].as_i64().unwrap();
        assert!((min_ms..=max_ms).contains(&ms), "duration {ms}");
        // The search indexer hears of it: a cover_ready event in the outbox, same transaction.
        let events = outbox_payloads(&app).await;
        assert!(
            events
                .iter()
                .any(|e| e.contains("\"cover_ready\"") && e.contains(&want)),
            "{events:?}"
        );
    }
    let text = app.metrics().await;
    assert_eq!(
        metric(&text, "clipfed_video_covers_total{outcome=\"extracted\"}"),
        2.0
    );
    app.cleanup().await;
}

#[tokio::test]
async fn without_ffmpeg_or_with_bad_bytes_the_default_cover_stays() {
    testkit::require_s3();
    for ffmpeg in ["ffmpeg", "/nonexistent/ffmpeg"] {
        let app = spawn_app_with(|c| c.cover.ffmpeg = ffmpeg.into()).await;
        let key = format!("videos/{}.mp4", testkit::unique("text"));
        put(&app, &key, b"this is not a video at all".to_vec()).await;
        let id = register_with_default_cover(&app, &key).await;
        let video = cover_of(&app, id).await;
        let url = video["coverUrl"].as_str().unwrap().to_owned();
        assert!(
            url.contains(&app.config.cover.default_key),
            "{ffmpeg}: {url}"
        );
        assert_eq!(video["durationMs"], Value::Null);
        // The service put the default cover in the bucket at start-up.
        assert_eq!(&fetch(&url).await[..4], b"\x89PNG");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_playlist_posing_as_a_video_makes_ffmpeg_fetch_nothing_else() {
    testkit::require_s3();
    // An internal address the playlist points at; it must never be asked for anything.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = listener.local_addr().unwrap();
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = std::sync::Arc::clone(&asked);
    tokio::spawn(async move {
        while let Ok((_conn, _)) = listener.accept().await {
            seen.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let app = spawn_app().await;
    let key = format!("videos/{}.mp4", testkit::unique("playlist"));
    let playlist = format!(
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nhttp://{target}/internal/secret.ts\n#EXT-X-ENDLIST\n"
    );
    put(&app, &key, playlist.into_bytes()).await;
    let id = register_with_default_cover(&app, &key).await;
    assert!(
        !asked.load(std::sync::atomic::Ordering::SeqCst),
        "ffmpeg followed the playlist to an internal address"
    );
    let video = cover_of(&app, id).await;
    assert!(
        video["coverUrl"]
            .as_str()
            .is_some_and(|u| u.contains(&app.config.cover.default_key)),
        "{video}"
    );
    app.cleanup().await;
}
