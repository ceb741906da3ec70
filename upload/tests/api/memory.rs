//! A 1 GiB upload in one PATCH, made on the fly, while the service's resident memory stays under
//! 128 MiB (it holds at most about one part per request, whatever the file size).

use sha2::Digest;

use crate::helpers::*;

const BOUND: u64 = 128 * 1024 * 1024;

#[tokio::test]
async fn a_one_gib_upload_keeps_the_service_under_128_mib() {
    let video = video().await;
    let c = config(&video, None);
    let _db = testkit::ScratchDatabase::adopt(c.db.database.clone());
    let dir = tempfile::tempdir().unwrap();
    let mut p = Process::start(&c, &dir.path().join("upload.log")).await;
    let s = Stack::start().await;
    let user = some_user();
    let len = 1024 * MIB;
    let create = s
        .http
        .post(format!("{}/uploads", p.base))
        .header(TUS.0, TUS.1)
        .header("Upload-Length", len.to_string())
        .header("Upload-Metadata", metadata(&[("title", "one gibibyte")]))
        .bearer_auth(s.token(user))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), 201);
    let url = format!("{}{}", p.base, location(&create));

    // Hash what is sent, as it is sent.
    let hasher = std::sync::Arc::new(std::sync::Mutex::new(sha2::Sha256::new()));
    let h = hasher.clone();
    let body = futures::StreamExt::map(generated(len, 51), move |chunk| {
        if let Ok(c) = &chunk {
            h.lock().unwrap().update(c);
        }
        chunk
    });
    let send = s
        .http
        .patch(&url)
        .header(TUS.0, TUS.1)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(reqwest::Body::wrap_stream(body))
        .send();
    let send = tokio::spawn(send);
    let mut peak_seen = 0;
    while !send.is_finished() {
        peak_seen = peak_seen.max(p.rss().0);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let res = send.await.unwrap().unwrap();
    assert_eq!(res.status(), 204, "{:?}", res.text().await);
    let (_, high_water) = p.rss();
    eprintln!(
        "upload service RSS: peak sampled {} MiB, high-water {} MiB",
        peak_seen >> 20,
        high_water >> 20
    );
    assert!(high_water < BOUND, "peak RSS {} MiB", high_water >> 20);

    let sent: String = hasher
        .lock()
        .unwrap()
        .clone()
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let videos = s.videos_at(&video.base, user).await;
    assert_eq!(videos[0]["sizeBytes"], len as i64);
    let stored: String = {
        let pool = sqlx::MySqlPool::connect(&format!("{}/{}", testkit::mysql_url(), c.db.database))
            .await
            .unwrap();
        sqlx::query_scalar("SELECT checksum FROM uploads")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(stored, sent, "the service hashed exactly the bytes sent");
    p.kill9();
}
