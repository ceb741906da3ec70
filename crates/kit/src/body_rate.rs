//! Request bodies that must keep arriving: at least `min_bytes` in every `window` once the
//! handler starts reading, else the next read fails and the handler ends the request (the upload
//! service keeps what arrived). A client trickling one byte every few seconds would otherwise hold
//! a request slot, and the resources behind it, for as long as it likes.
//!
//! The clock starts at the handler's first read, not at the request's arrival, so work a handler
//! does before reading (a lock, a database row) never counts against the client.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The slowest body a service accepts (config `http.min_read_bytes` per `http.read_window_secs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinRate {
    pub min_bytes: u64,
    pub window: Duration,
}

/// The error a too-slow body ends with.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived slower than {min_bytes} bytes per {window:?}")]
pub struct TooSlow {
    min_bytes: u64,
    window: Duration,
}

/// `inner` with the rate enforced.
pub fn wrap(inner: Body, rate: MinRate) -> Body {
    Body::new(Watched {
        inner,
        rate,
        got: 0,
        deadline: None,
    })
}

struct Watched {
    inner: Body,
    rate: MinRate,
    /// Bytes in the current window.
    got: u64,
    deadline: Option<Pin<Box<Sleep>>>,
}

impl Watched {
    fn restart(&mut self) {
        let at = Instant::now() + self.rate.window;
        match self.deadline.as_mut() {
            Some(deadline) => deadline.as_mut().reset(at),
            None => self.deadline = Some(Box::pin(tokio::time::sleep_until(at))),
        }
        self.got = 0;
    }
}

impl http_body::Body for Watched {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.deadline.is_none() {
            this.restart();
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.got += data.len() as u64;
                    if this.got >= this.rate.min_bytes {
                        this.restart();
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(err.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let expired = this
                    .deadline
                    .as_mut()
                    .is_some_and(|d| d.as_mut().poll(cx).is_ready());
                if expired {
                    Poll::Ready(Some(Err(TooSlow {
                        min_bytes: this.rate.min_bytes,
                        window: this.rate.window,
                    }
                    .into())))
                } else {
                    Poll::Pending
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    const RATE: MinRate = MinRate {
        min_bytes: 4,
        window: Duration::from_millis(300),
    };

    fn paced(chunks: Vec<(u64, &'static [u8])>) -> Body {
        let stream = futures::stream::iter(chunks).then(|(wait_ms, bytes)| async move {
            tokio::time::sleep(Duration::from_millis(wait_ms)).await;
            Ok::<_, std::io::Error>(Bytes::from_static(bytes))
        });
        Body::from_stream(stream)
    }

    async fn read(body: Body) -> Result<usize, String> {
        let mut stream = body.into_data_stream();
        let mut n = 0;
        while let Some(chunk) = stream.next().await {
            n += chunk.map_err(|e| e.to_string())?.len();
        }
        Ok(n)
    }

    #[tokio::test]
    async fn a_steady_body_passes_however_long_it_takes() {
        // Ten windows' worth of time, each window with its minimum.
        let chunks = (0..15).map(|_| (200, b"abcd" as &[u8])).collect();
        assert_eq!(read(wrap(paced(chunks), RATE)).await, Ok(60));
    }

    #[tokio::test]
    async fn a_trickle_fails_once_a_window_passes_short_of_the_minimum() {
        let chunks = vec![(10, b"ab" as &[u8]), (200, b"c"), (200, b"d")];
        let err = read(wrap(paced(chunks), RATE)).await.unwrap_err();
        assert!(err.contains("slower than 4 bytes per"), "{err}");
    }
}
