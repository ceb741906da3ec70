//! Concatenation over raw HTTP: partial uploads in parallel, then the final one, owned by one user.

use crate::helpers::*;

async fn partial(s: &Stack, user: i64, bytes: &[u8]) -> String {
    let res = s
        .http
        .post(s.url("/uploads"))
        .header(TUS.0, TUS.1)
        .header("Upload-Concat", "partial")
        .header("Upload-Length", bytes.len().to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .bearer_auth(s.token(user))
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    location(&res)
}

async fn final_of(s: &Stack, user: i64, parts: &[String]) -> reqwest::Response {
    let list = parts.iter().map(|p| s.url(p)).collect::<Vec<_>>().join(" ");
    s.http
        .post(s.url("/uploads"))
        .header(TUS.0, TUS.1)
        .header("Upload-Concat", format!("final;{list}"))
        .header("Upload-Metadata", metadata(&[("title", "joined")]))
        .bearer_auth(s.token(user))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn partials_sent_in_parallel_join_into_one_recorded_video() {
    let s = Stack::start().await;
    let user = some_user();
    let file = mp4(11 * MIB + 3, 21);
    // Uneven pieces, one smaller than a part and one larger: the final object is re-parted.
    let cuts = [0, 2 * MIB, 8 * MIB + 5, file.len()];
    let sends = cuts
        .windows(2)
        .map(|w| partial(&s, user, &file[w[0]..w[1]]));
    let parts: Vec<String> = futures::future::join_all(sends).await;
    let head = s
        .http
        .head(s.url(&parts[0]))
        .header(TUS.0, TUS.1)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&head, "upload-concat"), "partial");
    assert!(
        s.videos_of(user).await.is_empty(),
        "partials are not videos"
    );

    let res = final_of(&s, user, &parts).await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let path = location(&res);
    let head = s
        .http
        .head(s.url(&path))
        .header(TUS.0, TUS.1)
        .send()
        .await
        .unwrap();
    assert!(header(&head, "upload-concat").starts_with("final;"));
    assert_eq!(header(&head, "upload-offset"), file.len().to_string());
    let videos = s.videos_of(user).await;
    assert_eq!(videos.len(), 1);
    assert_eq!(s.fetch(videos[0]["videoUrl"].as_str().unwrap()).await, file);
    // The partials are consumed; a PATCH to the final is refused.
    assert_eq!(s.offset(&parts[0]).await, Err(404));
    assert_eq!(
        s.patch(&path, user, file.len(), vec![1]).await.status(),
        403
    );
}

#[tokio::test]
async fn a_final_upload_needs_finished_partials_of_the_same_user() {
    let s = Stack::start().await;
    let user = some_user();
    let done = partial(&s, user, &mp4(5000, 22)).await;
    let theirs = partial(&s, user + 1, &mp4(5000, 23)).await;
    let res = s
        .http
        .post(s.url("/uploads"))
        .header(TUS.0, TUS.1)
        .header("Upload-Concat", "partial")
        .header("Upload-Length", "100")
        .bearer_auth(s.token(user))
        .send()
        .await
        .unwrap();
    let unfinished = location(&res);
    assert_eq!(
        final_of(&s, user, &[done.clone(), theirs]).await.status(),
        400
    );
    assert_eq!(
        final_of(&s, user, &[done.clone(), unfinished])
            .await
            .status(),
        400
    );
    let plain = s.new_video(user, 10, "plain").await;
    assert_eq!(
        final_of(&s, user, &[done.clone(), plain]).await.status(),
        400
    );
    assert!(s.videos_of(user).await.is_empty());
    assert_eq!(
        s.offset(&done).await,
        Ok(5000),
        "refused finals consume nothing"
    );
}
