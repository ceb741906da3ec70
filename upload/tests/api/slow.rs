//! Slow clients: a body trickling below the minimum rate is cut and gives its slot back, and one
//! user cannot take every streaming slot.

use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::helpers::*;

/// A PATCH of `total` bytes at `offset`, sent `chunk` bytes every `every`.
async fn paced_patch(
    s: &Stack,
    path: &str,
    user: i64,
    offset: usize,
    total: usize,
    chunk: usize,
    every: Duration,
) -> Result<reqwest::Response, reqwest::Error> {
    let pieces = total.div_ceil(chunk);
    let body = futures::stream::iter(0..pieces).then(move |i| async move {
        tokio::time::sleep(every).await;
        let n = chunk.min(total - i * chunk);
        Ok::<_, std::io::Error>(bytes::Bytes::from(mp4(n.max(16), i as u64)[..n].to_vec()))
    });
    reqwest::Client::new()
        .patch(s.url(path))
        .header(TUS.0, TUS.1)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Length", total.to_string())
        .bearer_auth(s.token(user))
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
}

async fn streaming(s: &Stack) -> f64 {
    let text = testkit::get_text(&s.http, &s.url("/metrics")).await;
    testkit::metric(&text, "clipfed_upload_active{what=\"streaming\"}")
}

#[tokio::test]
async fn a_trickling_body_is_cut_and_gives_its_slot_back() {
    let s = Stack::start_with(false, |c| {
        c.http.min_read_bytes = 1024;
        c.http.read_window_secs = 2;
        // The streaming gauge is refreshed by each sweep.
        c.limits.sweep_secs = 1;
    })
    .await;
    let user = some_user();
    let path = s.new_video(user, MIB, "trickle").await;
    let started = Instant::now();
    // 16 bytes every 400 ms: 40 bytes a second, far below 1 KiB per 2 s, for 26 s if allowed.
    let answer = paced_patch(&s, &path, user, 0, 1024, 16, Duration::from_millis(400)).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "cut after about one window, not after the whole trickle ({:?}, {answer:?})",
        started.elapsed()
    );
    if let Ok(res) = answer {
        assert_eq!(res.status(), 400, "{:?}", res.text().await);
    }
    testkit::eventually(5, "the streaming slot is free again", || async {
        streaming(&s).await == 0.0
    })
    .await;
    // The upload itself is fine: it resumes where HEAD says, at full speed.
    let at = s.offset(&path).await.unwrap();
    let file = mp4(MIB, 3);
    let res = s.patch(&path, user, at, file[at..].to_vec()).await;
    assert_eq!(res.status(), 204, "{:?}", res.text().await);
}

#[tokio::test]
async fn one_user_cannot_take_every_streaming_slot() {
    let s = Stack::start_with(false, |c| {
        c.limits.max_active_per_user = 2;
        c.limits.sweep_secs = 1;
    })
    .await;
    let (greedy, other) = (some_user(), some_user());
    let mut paths = Vec::new();
    for title in ["a", "b", "c"] {
        paths.push(s.new_video(greedy, MIB, title).await);
    }
    let theirs = s.new_video(other, MIB, "d").await;
    // Two steady PATCHes of the same user hold its two slots for a few seconds.
    let holding: Vec<_> = paths[..2]
        .iter()
        .map(|p| {
            paced_patch(
                &s,
                p,
                greedy,
                0,
                64 * 1024,
                8 * 1024,
                Duration::from_millis(400),
            )
        })
        .collect();
    let held = futures::future::join_all(holding);
    let probe = async {
        testkit::eventually(5, "both PATCHes stream", || async {
            streaming(&s).await == 2.0
        })
        .await;
        let third = s.patch(&paths[2], greedy, 0, vec![0; 1024]).await;
        let status = third.status();
        let mine = s.patch(&theirs, other, 0, mp4(MIB, 9)).await;
        (status, mine.status())
    };
    let (results, (third, mine)) = tokio::join!(held, probe);
    assert_eq!(third, 503, "the user's third upload waits");
    assert_eq!(mine, 204, "another user is not held up");
    for r in results {
        assert_eq!(r.unwrap().status(), 204);
    }
}

#[tokio::test]
async fn streaming_uploads_take_no_connection_the_queries_need() {
    // Two connections for queries and six streaming slots: each stream holds its upload's lock
    // on a connection of the lock pool, so four streams at once leave the queries theirs.
    let s = Stack::start_with(false, |c| {
        c.db.max_connections = 2;
        c.db.acquire_timeout_secs = 2;
        c.limits.max_active = 6;
        c.limits.sweep_secs = 1;
    })
    .await;
    let users: Vec<i64> = (0..4).map(|_| some_user()).collect();
    let mut paths = Vec::new();
    for (i, user) in users.iter().enumerate() {
        paths.push(s.new_video(*user, MIB, &format!("stream {i}")).await);
    }
    // 16 KiB every 300 ms for about 5 s: steady, well above the minimum rate, longer than the
    // pool's acquire timeout.
    let held = futures::future::join_all(paths.iter().zip(&users).map(|(path, user)| {
        paced_patch(
            &s,
            path,
            *user,
            0,
            256 * 1024,
            16 * 1024,
            Duration::from_millis(300),
        )
    }));
    let probe = async {
        testkit::eventually(5, "four PATCHes stream", || async {
            streaming(&s).await == 4.0
        })
        .await;
        // Creation and HEAD run queries while every stream holds its lock.
        let created = s
            .create(some_user(), MIB, &[("filename", "clip.mp4")])
            .await
            .status();
        (created, s.offset(&paths[0]).await)
    };
    let (results, (created, head)) = tokio::join!(held, probe);
    assert_eq!(created, 201, "an upload is created while four stream");
    assert!(head.is_ok(), "HEAD answers while four stream: {head:?}");
    for r in results {
        let r = r.unwrap();
        assert_eq!(r.status(), 204, "{:?}", r.text().await);
    }
}
