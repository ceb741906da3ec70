//! Recording: the client hears of success only once the video is recorded; while the video
//! subgraph is away the last chunk is answered 503, HEAD points back at it, and resending it
//! after the subgraph returns records the video once.

use crate::helpers::*;

#[tokio::test]
async fn success_waits_for_the_record_and_a_resent_last_chunk_records_it_once() {
    // A port with nothing behind it yet.
    let port = testkit::free_port();
    let s = Stack::start_with(false, |c| {
        c.register.video_url = format!("http://127.0.0.1:{port}/graphql");
        c.register.retry_secs = 1;
        // No background retry during the test: the client's resend does it.
        c.limits.sweep_secs = 3600;
    })
    .await;
    let user = some_user();
    let file = mp4(6 * MIB, 11);
    let path = s.new_video(user, file.len(), "late").await;
    assert_eq!(
        s.patch(&path, user, 0, file[..MIB].to_vec()).await.status(),
        204
    );
    let res = s.patch(&path, user, MIB, file[MIB..].to_vec()).await;
    assert_eq!(res.status(), 503, "not recorded yet: no success");
    assert!(res.headers().get("retry-after").is_some());
    assert_eq!(
        s.offset(&path).await,
        Ok(MIB),
        "HEAD points at the last chunk"
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM uploads WHERE state = 2")
            .await,
        1
    );

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let late_video = video_on(listener).await;
    let res = s.patch(&path, user, MIB, file[MIB..].to_vec()).await;
    assert_eq!(res.status(), 204, "{:?}", res.text().await);
    assert_eq!(header(&res, "upload-offset"), file.len().to_string());
    // A second resend is refused (complete), and the video exists once. The refusal comes before
    // the body is read, so a multi-MiB body may still be in flight when the server closes: the
    // client then sees a broken pipe instead of the 403. A short body makes the check exact.
    assert_eq!(
        s.patch(&path, user, MIB, file[MIB..MIB + 1024].to_vec())
            .await
            .status(),
        403
    );
    let videos = s.videos_at(&late_video.base, user).await;
    assert_eq!(videos.len(), 1);
    assert_eq!(s.fetch(videos[0]["videoUrl"].as_str().unwrap()).await, file);
}

#[tokio::test]
async fn the_sweeper_records_an_upload_whose_client_gave_up() {
    let port = testkit::free_port();
    let s = Stack::start_with(false, |c| {
        c.register.video_url = format!("http://127.0.0.1:{port}/graphql");
        c.register.retry_secs = 1;
        c.limits.sweep_secs = 1;
    })
    .await;
    let user = some_user();
    let file = mp4(10_000, 12);
    let path = s.new_video(user, file.len(), "swept").await;
    assert_eq!(s.patch(&path, user, 0, file.clone()).await.status(), 503);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let late_video = video_on(listener).await;
    testkit::eventually(20, "the sweeper records it", || async {
        s.videos_at(&late_video.base, user).await.len() == 1
    })
    .await;
    // The sweeper marks the upload done just after the video subgraph answers: HEAD may still
    // point at the last chunk for that moment.
    testkit::eventually(5, "HEAD reports the whole file", || async {
        s.offset(&path).await == Ok(file.len())
    })
    .await;
    assert_eq!(
        s.videos_at(&late_video.base, user).await.len(),
        1,
        "recorded once"
    );
}

#[tokio::test]
async fn a_refused_service_credential_keeps_the_finished_upload_for_a_retry() {
    // The upload service signs with a key the video service does not share (a rotation half
    // done): every registration call is refused as UNAUTHENTICATED, which the client did not cause.
    let s = Stack::start_with(false, |c| {
        c.auth.signing_key = Some(secrecy::SecretString::from(
            "rotated-signing-key-0123456789abcdef-xyz".to_owned(),
        ));
        c.register.retry_secs = 1;
        c.limits.sweep_secs = 3600;
    })
    .await;
    let user = some_user();
    let file = mp4(6 * MIB, 12);
    let path = s.new_video(user, file.len(), "kept").await;
    let res = s.patch(&path, user, 0, file.clone()).await;
    assert_eq!(
        res.status(),
        503,
        "pending, not refused: {:?}",
        res.text().await
    );
    assert_eq!(
        s.offset(&path).await,
        Ok(0),
        "HEAD points back at the last chunk"
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM uploads WHERE state = 2")
            .await,
        1,
        "the session waits for a retry"
    );
    let text = testkit::get_text(&s.http, &s.url("/metrics")).await;
    assert!(
        testkit::metric(
            &text,
            "clipfed_upload_registration_failures_total{kind=\"transient\"}"
        ) >= 1.0,
        "the failures are counted for an alert"
    );
    assert!(s.videos_of(user).await.is_empty());
}
