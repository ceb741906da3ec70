//! Every error status tus defines, and bad input: each gets its status and changes nothing.

use crate::helpers::*;

/// A fresh stack with one video upload of `len` bytes half-sent; returns (stack, user, path, file).
async fn half_sent(len: usize) -> (Stack, i64, String, Vec<u8>) {
    let s = Stack::start().await;
    let user = some_user();
    let file = mp4(len, 9);
    let path = s.new_video(user, len, "half").await;
    assert_eq!(
        s.patch(&path, user, 0, file[..len / 2].to_vec())
            .await
            .status(),
        204
    );
    (s, user, path, file)
}

#[tokio::test]
async fn protocol_errors_get_their_tus_status_and_leave_the_offset_alone() {
    let (s, user, path, file) = half_sent(1000).await;
    let half = 500;
    let patch = |h: &[(&str, &str)], body: Vec<u8>| {
        let mut req = s.http.patch(s.url(&path)).bearer_auth(s.token(user));
        for (k, v) in h {
            req = req.header(*k, *v);
        }
        req.body(body).send()
    };
    let ct = ("Content-Type", "application/offset+octet-stream");
    let at = |o: usize| o.to_string();
    let half_s = at(half);
    // 412: no or another tus version (with Tus-Version telling what is spoken).
    let res = patch(&[ct, ("Upload-Offset", &half_s)], vec![1])
        .await
        .unwrap();
    assert_eq!(res.status(), 412);
    let res = patch(
        &[("Tus-Resumable", "0.2.2"), ct, ("Upload-Offset", &half_s)],
        vec![1],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 412);
    assert_eq!(header(&res, "tus-version"), "1.0.0");
    // 415: not the offset stream.
    let res = patch(
        &[
            TUS,
            ("Content-Type", "application/json"),
            ("Upload-Offset", &half_s),
        ],
        vec![1],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 415);
    // 409: an offset in the past or in the future.
    for wrong in [at(0), at(half + 10), at(5000)] {
        let res = patch(&[TUS, ct, ("Upload-Offset", &wrong)], vec![1])
            .await
            .unwrap();
        assert_eq!(res.status(), 409, "offset {wrong}");
    }
    // 400: missing, negative or non-numeric offset; malformed checksum header; unknown algorithm.
    for h in [
        vec![TUS, ct],
        vec![TUS, ct, ("Upload-Offset", "-1")],
        vec![TUS, ct, ("Upload-Offset", "1e3")],
        vec![
            TUS,
            ct,
            ("Upload-Offset", &half_s),
            ("Upload-Checksum", "sha1"),
        ],
        vec![
            TUS,
            ct,
            ("Upload-Offset", &half_s),
            ("Upload-Checksum", "crc32 AAAAAA=="),
        ],
    ] {
        assert_eq!(patch(&h, vec![1]).await.unwrap().status(), 400, "{h:?}");
    }
    // 413: a body that goes past Upload-Length (the length lied).
    let res = patch(&[TUS, ct, ("Upload-Offset", &half_s)], vec![7; 600])
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // 400: Upload-Length cannot change.
    let res = patch(
        &[
            TUS,
            ct,
            ("Upload-Offset", &half_s),
            ("Upload-Length", "2000"),
        ],
        vec![1],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        s.offset(&path).await,
        Ok(half),
        "no refused request moved the offset"
    );
    // Finishing still works, and a PATCH after completion is refused.
    assert_eq!(
        s.patch(&path, user, half, file[half..].to_vec())
            .await
            .status(),
        204
    );
    assert_eq!(s.patch(&path, user, 1000, vec![1]).await.status(), 403);
    assert_eq!(s.videos_of(user).await.len(), 1);
}

#[tokio::test]
async fn unknown_and_other_users_uploads_are_not_found() {
    let (s, user, path, _) = half_sent(1000).await;
    for p in [
        "/uploads/0123456789abcdef0123456789abcdef",
        "/uploads/not-an-id",
        "/uploads/..%2F..",
    ] {
        assert_eq!(s.offset(p).await, Err(404), "{p}");
    }
    let res = s.patch(&path, user + 1, 500, vec![1; 10]).await;
    assert_eq!(res.status(), 404);
    let res = s
        .http
        .head(s.url(&path))
        .header(TUS.0, TUS.1)
        .bearer_auth(s.token(user + 1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(s.offset(&path).await, Ok(500));
}

#[tokio::test]
async fn creation_needs_a_valid_token_and_sound_metadata() {
    let s = Stack::start().await;
    let user = some_user();
    let create = |token: Option<String>, headers: Vec<(&'static str, String)>| {
        let mut req = s.http.post(s.url("/uploads")).header(TUS.0, TUS.1);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let ok_meta = metadata(&[("title", "t")]);
    let len = |n: &str| ("Upload-Length", n.to_owned());
    let meta = |m: String| ("Upload-Metadata", m);
    // 401: no token, a forged one, an expired one, a forged router header.
    assert_eq!(
        create(None, vec![len("10"), meta(ok_meta.clone())])
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        create(Some("abc.def.ghi".into()), vec![len("10")])
            .await
            .unwrap()
            .status(),
        401
    );
    let other_key =
        kit::token::TokenKeys::new(&secrecy::SecretString::from("k".repeat(40)), 60, 60).unwrap();
    let forged = other_key.issue(user, 1, 1, unix_now()).access;
    assert_eq!(
        create(Some(forged), vec![len("10")])
            .await
            .unwrap()
            .status(),
        401
    );
    let expired = testkit::signed::dev_tokens(60)
        .issue(user, 1, 1, unix_now() - 3600)
        .access;
    assert_eq!(
        create(Some(expired), vec![len("10")])
            .await
            .unwrap()
            .status(),
        401
    );
    let res = s
        .http
        .post(s.url("/uploads"))
        .header(TUS.0, TUS.1)
        .header(
            kit::caller::HEADER,
            format!("v2.router.u.{user}.9999999999.forged"),
        )
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // A token in the metadata works for clients that cannot set headers.
    let res = create(
        None,
        vec![
            len("10"),
            meta(metadata(&[("title", "t"), ("token", &s.token(user))])),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let token = Some(s.token(user));
    // 400: bad metadata, bad lengths, both or neither length headers, bad concat, image kind.
    for (headers, why) in [
        (vec![len("10"), meta("title !!!".into())], "not base64"),
        (
            vec![
                len("10"),
                meta(metadata(&[("filename", "../../etc/passwd")])),
            ],
            "path separators",
        ),
        (
            vec![len("10"), meta(metadata(&[("filename", "a\u{1}b.mp4")]))],
            "control characters",
        ),
        (
            vec![len("10"), meta(metadata(&[("title", &"x".repeat(101))]))],
            "long title",
        ),
        (
            vec![
                len("10"),
                meta(metadata(&[("kind", "exe"), ("title", "t")])),
            ],
            "unknown kind",
        ),
        (
            vec![len("10"), meta(metadata(&[("kind", "image")]))],
            "image kind",
        ),
        (vec![len("10")], "no title nor filename"),
        (vec![len("0"), meta(ok_meta.clone())], "0 bytes"),
        (vec![len("-5"), meta(ok_meta.clone())], "negative"),
        (vec![len("ten"), meta(ok_meta.clone())], "not a number"),
        (vec![meta(ok_meta.clone())], "no length"),
        (
            vec![
                len("10"),
                ("Upload-Defer-Length", "1".into()),
                meta(ok_meta.clone()),
            ],
            "both",
        ),
        (
            vec![("Upload-Defer-Length", "2".into()), meta(ok_meta.clone())],
            "defer 2",
        ),
        (
            vec![
                len("10"),
                ("Upload-Concat", "whole".into()),
                meta(ok_meta.clone()),
            ],
            "bad concat",
        ),
        (
            vec![
                meta(ok_meta.clone()),
                (
                    "Upload-Concat",
                    "final;/uploads/0123456789abcdef0123456789abcdef".into(),
                ),
            ],
            "unknown partial",
        ),
    ] {
        let res = create(token.clone(), headers).await.unwrap();
        assert_eq!(res.status(), 400, "{why}: {:?}", res.text().await);
    }
    // 413: over Tus-Max-Size, over the avatar limit.
    let too_big = (s.config.limits.max_size + 1).to_string();
    assert_eq!(
        create(token.clone(), vec![len(&too_big), meta(ok_meta.clone())])
            .await
            .unwrap()
            .status(),
        413
    );
    let avatar = meta(metadata(&[("kind", "avatar")]));
    let res = create(token.clone(), vec![len(&(11 * MIB).to_string()), avatar])
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // 412 at creation too.
    let res = s
        .http
        .post(s.url("/uploads"))
        .bearer_auth(s.token(user))
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 412);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM uploads").await,
        1,
        "only the metadata-token upload exists"
    );
}

#[tokio::test]
async fn bytes_that_are_not_a_video_are_refused_early_and_leave_nothing() {
    let s = Stack::start().await;
    let user = some_user();
    let text = b"this is a plain text file pretending to be a video ".repeat(200_000);
    let path = s.new_video(user, text.len(), "fake").await;
    let res = s.patch(&path, user, 0, text[..MIB].to_vec()).await;
    assert_eq!(
        res.status(),
        415,
        "refused at the first bytes, before the file is sent"
    );
    assert!(res.text().await.unwrap().contains("not a video"));
    assert_eq!(s.offset(&path).await, Err(404));
    assert_eq!(s.count("SELECT COUNT(*) FROM uploads").await, 0);
    // A PNG is an image, not a video (said so), and an MP4 is not an avatar.
    let png = png();
    let path = s.new_video(user, png.len(), "png").await;
    let res = s.patch(&path, user, 0, png).await;
    assert_eq!(res.status(), 415);
    assert!(res.text().await.unwrap().contains("image/png"));
    let res = s.create(user, 5000, &[("kind", "avatar")]).await;
    let path = location(&res);
    assert_eq!(s.patch(&path, user, 0, mp4(5000, 1)).await.status(), 415);
    assert!(s.videos_of(user).await.is_empty());
}

#[tokio::test]
async fn a_second_writer_of_the_same_upload_is_told_to_wait() {
    let (s, user, path, _) = half_sent(2000).await;
    // A PATCH whose body trickles in holds the upload's lock.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
    let slow = s
        .http
        .patch(s.url(&path))
        .header(TUS.0, TUS.1)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "1000")
        .body(body)
        .send();
    let slow = tokio::spawn(slow);
    tx.send(Ok(vec![1; 10])).await.unwrap();
    // The lock is taken before the body is read; give the request time to arrive.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let second = s.patch(&path, user, 1000, vec![2; 10]).await;
    assert_eq!(second.status(), 423);
    assert_eq!(header(&second, "retry-after"), "1");
    drop(tx);
    let res = slow.await.unwrap().unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(s.offset(&path).await, Ok(1010));
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
