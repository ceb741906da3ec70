//! kill -9 mid-upload: the service restarts, HEAD reports an offset it really holds, the client
//! resumes from it and the object ends byte-identical.

use crate::helpers::*;

#[tokio::test]
async fn a_killed_service_resumes_from_a_durable_offset_to_a_byte_identical_object() {
    let video = video().await;
    let c = config(&video, None);
    let _db = testkit::ScratchDatabase::adopt(c.db.database.clone());
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("upload.log");
    let mut p = Process::start(&c, &log).await;
    let s = Stack::start().await; // only for its token keys and helpers' HTTP client
    let user = some_user();
    let file = mp4(23 * MIB + 777, 41);
    let create = s
        .http
        .post(format!("{}/uploads", p.base))
        .header(TUS.0, TUS.1)
        .header("Upload-Length", file.len().to_string())
        .header("Upload-Metadata", metadata(&[("title", "crash")]))
        .bearer_auth(s.token(user))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), 201);
    let url = format!("{}{}", p.base, location(&create));

    // Feed 17 MiB and a bit through one PATCH, then kill the service while it waits for more.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(8);
    let body = reqwest::Body::wrap_stream(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let patch = s
        .http
        .patch(&url)
        .header(TUS.0, TUS.1)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(body)
        .send();
    let patch = tokio::spawn(patch);
    let fed = 17 * MIB + 12_345;
    for chunk in file[..fed].chunks(256 * 1024) {
        tx.send(Ok(chunk.to_vec())).await.unwrap();
    }
    // Wait until the service saved the third part (15 MiB), however loaded the machine is.
    testkit::eventually(60, "three parts saved", || async {
        count_in(&c.db.database, "SELECT received FROM uploads").await >= 15 * MIB as i64
    })
    .await;
    p.kill9();
    assert!(
        patch.await.unwrap().is_err(),
        "the connection died with the service"
    );

    p.restart(&log).await;
    let head = s.http.head(&url).header(TUS.0, TUS.1).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let offset: usize = header(&head, "upload-offset").parse().unwrap();
    assert!(
        offset >= 15 * MIB && offset <= fed,
        "every sent part is durable: {offset}"
    );
    let res = s
        .http
        .patch(&url)
        .header(TUS.0, TUS.1)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", offset.to_string())
        .body(file[offset..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "{:?}", res.text().await);
    let videos = s.videos_at(&video.base, user).await;
    assert_eq!(videos.len(), 1);
    let stored = s.fetch(videos[0]["videoUrl"].as_str().unwrap()).await;
    assert_eq!(sha256_hex(&stored), sha256_hex(&file));
}
