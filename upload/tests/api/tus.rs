//! The tus core and its extensions on the happy path: discovery, chunked upload across part
//! boundaries, deferred length, creation-with-upload, checksums, termination, and what gets recorded.

use crate::helpers::*;

#[tokio::test]
async fn options_advertise_exactly_what_is_implemented() {
    let s = Stack::start().await;
    let res = s
        .http
        .request(reqwest::Method::OPTIONS, s.url("/uploads"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(header(&res, "tus-version"), "1.0.0");
    assert_eq!(header(&res, "tus-resumable"), "1.0.0");
    assert_eq!(
        header(&res, "tus-max-size"),
        s.config.limits.max_size.to_string()
    );
    assert_eq!(header(&res, "tus-checksum-algorithm"), "sha1,sha256,md5");
    let mut ext: Vec<String> = header(&res, "tus-extension")
        .split(',')
        .map(str::to_owned)
        .collect();
    ext.sort();
    assert_eq!(
        ext,
        [
            "checksum",
            "concatenation",
            "creation",
            "creation-defer-length",
            "creation-with-upload",
            "expiration",
            "termination"
        ]
    );
}

#[tokio::test]
async fn a_video_sent_in_uneven_chunks_is_recorded_byte_identical_with_its_checksum() {
    let s = Stack::start().await;
    let user = some_user();
    let file = mp4(12 * MIB + 12_345, 1);
    let path = s.new_video(user, file.len(), "猫 and dog").await;
    assert_eq!(s.offset(&path).await, Ok(0));
    // Chunks that end inside parts, exactly on a part boundary and past it.
    let cuts = [0, 3 * MIB + 7, 5 * MIB, 11 * MIB + 1, file.len()];
    for w in cuts.windows(2) {
        let res = s.patch(&path, user, w[0], file[w[0]..w[1]].to_vec()).await;
        assert_eq!(res.status(), 204, "{:?}", res.text().await);
        assert_eq!(header(&res, "upload-offset"), w[1].to_string());
        assert!(header(&res, "upload-expires").ends_with(" GMT"));
        if w[1] < file.len() {
            assert_eq!(s.offset(&path).await, Ok(w[1]));
        }
    }
    let videos = s.videos_of(user).await;
    assert_eq!(videos.len(), 1, "{videos:?}");
    assert_eq!(videos[0]["title"], "猫 and dog");
    assert_eq!(videos[0]["sizeBytes"], file.len() as i64);
    assert_eq!(videos[0]["contentType"], "video/mp4");
    let stored = s.fetch(videos[0]["videoUrl"].as_str().unwrap()).await;
    assert_eq!(sha256_hex(&stored), sha256_hex(&file));
    let checksum: String = {
        let pool = sqlx::MySqlPool::connect(&format!(
            "{}/{}",
            testkit::mysql_url(),
            s.config.db.database
        ))
        .await
        .unwrap();
        sqlx::query_scalar("SELECT checksum FROM uploads")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(
        checksum,
        sha256_hex(&file),
        "the whole-file hash survives part-by-part saving"
    );
    // HEAD after completion reports the full length; no S3 part is left pending.
    assert_eq!(s.offset(&path).await, Ok(file.len()));
    assert_eq!(
        s.count("SELECT COUNT(*) FROM uploads WHERE state = 3 AND tail = ''")
            .await,
        1
    );
}

#[tokio::test]
async fn a_small_video_in_one_creation_with_upload_request_is_recorded() {
    let s = Stack::start().await;
    let user = some_user();
    let file = mp4(100_000, 2);
    let res = s
        .http
        .post(s.url("/uploads"))
        .header(TUS.0, TUS.1)
        .header("Upload-Length", file.len().to_string())
        .header("Upload-Metadata", metadata(&[("filename", "tiny.mp4")]))
        .header("Content-Type", "application/offset+octet-stream")
        .header("Access-Token", s.token(user))
        .body(file.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    assert_eq!(header(&res, "upload-offset"), file.len().to_string());
    assert!(location(&res).starts_with("/uploads/"));
    let videos = s.videos_of(user).await;
    assert_eq!(
        videos[0]["title"], "tiny",
        "the title defaults to the filename stem"
    );
    assert_eq!(s.fetch(videos[0]["videoUrl"].as_str().unwrap()).await, file);
}

#[tokio::test]
async fn a_deferred_length_is_set_by_a_later_patch() {
    let s = Stack::start().await;
    let user = some_user();
    let file = mp4(6 * MIB, 3);
    let res = s
        .http
        .post(s.url("/uploads"))
        .header(TUS.0, TUS.1)
        .header("Upload-Defer-Length", "1")
        .header("Upload-Metadata", metadata(&[("title", "deferred")]))
        .bearer_auth(s.token(user))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let path = location(&res);
    let head = s
        .http
        .head(s.url(&path))
        .header(TUS.0, TUS.1)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&head, "upload-defer-length"), "1");
    assert!(head.headers().get("upload-length").is_none());
    let res = s.patch(&path, user, 0, file[..MIB].to_vec()).await;
    assert_eq!(res.status(), 204);
    let res = s
        .http
        .patch(s.url(&path))
        .header(TUS.0, TUS.1)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", MIB.to_string())
        .header("Upload-Length", file.len().to_string())
        .body(file[MIB..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "{:?}", res.text().await);
    assert_eq!(s.videos_of(user).await.len(), 1);
}

#[tokio::test]
async fn checksummed_chunks_are_verified_and_a_mismatch_is_discarded() {
    use base64::Engine;
    use sha1::Digest;
    let s = Stack::start().await;
    let user = some_user();
    let file = mp4(7 * MIB, 4);
    let path = s.new_video(user, file.len(), "checked").await;
    let send = |bytes: Vec<u8>, offset: usize, digest: String| {
        s.http
            .patch(s.url(&path))
            .header(TUS.0, TUS.1)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .header("Upload-Checksum", digest)
            .body(bytes)
            .send()
    };
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    let first = &file[..6 * MIB];
    // A chunk longer than a part with a wrong sha1: 460, and nothing of it counts.
    let wrong = format!("sha1 {}", b64(&sha1::Sha1::digest(b"something else")));
    let res = send(first.to_vec(), 0, wrong).await.unwrap();
    assert_eq!(res.status(), 460);
    assert_eq!(s.offset(&path).await, Ok(0));
    let right = format!("sha1 {}", b64(&sha1::Sha1::digest(first)));
    assert_eq!(send(first.to_vec(), 0, right).await.unwrap().status(), 204);
    let rest = &file[6 * MIB..];
    let md5 = format!("md5 {}", b64(&md5::Md5::digest(rest)));
    assert_eq!(
        send(rest.to_vec(), 6 * MIB, md5).await.unwrap().status(),
        204
    );
    let videos = s.videos_of(user).await;
    assert_eq!(s.fetch(videos[0]["videoUrl"].as_str().unwrap()).await, file);
}

#[tokio::test]
async fn termination_removes_the_upload_and_its_parts() {
    let s = Stack::start().await;
    let user = some_user();
    let file = mp4(8 * MIB, 5);
    let path = s.new_video(user, file.len(), "to delete").await;
    assert_eq!(
        s.patch(&path, user, 0, file[..6 * MIB].to_vec())
            .await
            .status(),
        204
    );
    let other = s
        .http
        .delete(s.url(&path))
        .header(TUS.0, TUS.1)
        .bearer_auth(s.token(user + 1))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404, "someone else cannot terminate it");
    let res = s
        .http
        .delete(s.url(&path))
        .header(TUS.0, TUS.1)
        .bearer_auth(s.token(user))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(s.offset(&path).await, Err(404));
    assert_eq!(s.count("SELECT COUNT(*) FROM uploads").await, 0);
    assert_eq!(s.count("SELECT COUNT(*) FROM upload_parts").await, 0);
    assert!(s.videos_of(user).await.is_empty());
}

#[tokio::test]
async fn expired_uploads_are_aborted_and_forgotten() {
    let s = Stack::start_with(false, |c| {
        c.limits.expiry_secs = 2;
        c.limits.sweep_secs = 1;
    })
    .await;
    let user = some_user();
    let file = mp4(6 * MIB, 6);
    let path = s.new_video(user, file.len(), "abandoned").await;
    assert_eq!(
        s.patch(&path, user, 0, file[..5 * MIB + 10].to_vec())
            .await
            .status(),
        204
    );
    assert_eq!(s.count("SELECT COUNT(*) FROM upload_parts").await, 1);
    testkit::eventually(15, "the expired upload is swept", || async {
        s.count("SELECT COUNT(*) FROM uploads").await == 0
    })
    .await;
    assert_eq!(s.offset(&path).await, Err(404));
    assert_eq!(
        s.patch(&path, user, 5 * MIB + 10, vec![0; 10])
            .await
            .status(),
        404
    );
    let metrics = testkit::get_text(&s.http, &s.url("/metrics")).await;
    assert!(
        testkit::metric(
            &metrics,
            "clipfed_upload_uploads_total{outcome=\"expired\"}"
        ) >= 1.0
    );
}

#[tokio::test]
async fn method_override_lets_post_only_clients_patch() {
    let s = Stack::start().await;
    let user = some_user();
    let file = mp4(50_000, 7);
    let path = s.new_video(user, file.len(), "override").await;
    let res = s
        .http
        .post(s.url(&path))
        .header(TUS.0, TUS.1)
        .header("X-HTTP-Method-Override", "PATCH")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "{:?}", res.text().await);
    assert_eq!(s.videos_of(user).await.len(), 1);
}
