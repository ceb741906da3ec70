//! Slow clients against kit's server: a request head trickled past the header timeout is
//! disconnected, and a body arriving below the minimum rate ends its request.

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use futures::StreamExt;
use kit::body_rate::MinRate;
use kit::server::BodyLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{HEADER_READ, client, spawn, spawn_with};

#[tokio::test]
async fn a_request_head_trickled_past_the_header_timeout_is_disconnected() {
    let server = spawn(Router::new(), vec![], 1024).await;
    let mut conn = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 512];
    // One more header byte every 300 ms, never finishing the head, until the server hangs up (or
    // answers, then hangs up).
    loop {
        assert!(
            started.elapsed() < HEADER_READ * 4,
            "the connection stayed open"
        );
        if conn.write_all(b"X").await.is_err() {
            break;
        }
        if tokio::time::timeout(Duration::from_millis(300), conn.read(&mut buf))
            .await
            .is_ok()
        {
            break;
        }
    }
    assert!(
        started.elapsed() >= HEADER_READ - Duration::from_millis(500),
        "closed by the header timeout, after {:?}",
        started.elapsed()
    );
    // A client that sends its head at once is served as before.
    let ok = client().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn a_body_below_the_minimum_rate_ends_its_request() {
    let routes = Router::new().route(
        "/echo",
        post(|body: axum::body::Bytes| async move { body.len().to_string() }),
    );
    let limits = BodyLimits {
        max_bytes: 1 << 20,
        min_rate: MinRate {
            min_bytes: 100,
            window: Duration::from_millis(800),
        },
    };
    let server = spawn_with(routes, vec![], kit::server::Limits::body(limits)).await;
    let send = |every_ms: u64| {
        let url = server.url("/echo");
        async move {
            let chunks = futures::stream::iter(0..20).then(move |_| async move {
                tokio::time::sleep(Duration::from_millis(every_ms)).await;
                Ok::<_, std::io::Error>(bytes::Bytes::from_static(&[b'x'; 50]))
            });
            client()
                .post(url)
                .header("content-length", "1000")
                .body(reqwest::Body::wrap_stream(chunks))
                .send()
                .await
        }
    };
    // 50 bytes every 100 ms is 500 bytes per window: served.
    let steady = send(100).await.unwrap();
    assert_eq!(steady.status(), 200);
    assert_eq!(steady.text().await.unwrap(), "1000");
    // 50 bytes every 700 ms stays under 100 bytes per 800 ms: cut well before it would end.
    let started = Instant::now();
    let slow = send(700).await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    if let Ok(answer) = slow {
        assert!(answer.status().is_client_error(), "{}", answer.status());
    }
}
