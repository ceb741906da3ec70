//! An embedder served by someone else over HTTP (e.g. a GPU model an AI team runs).
//!
//! Protocol: `POST <url>` with the image bytes as the body (`Content-Type` the sniffed image type);
//! the answer is `{"embedding": [f32, ...]}` of exactly `dimension` numbers. Non-2xx answers,
//! timeouts and wrong lengths are failures (`UNAVAILABLE` to the client); a 422 answer means the
//! server could not decode the image (`IMAGE_UNREADABLE`).

use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;

use super::{EmbedError, Embedder, Embedding, normalise};

/// The remote model's endpoint.
pub struct RemoteEmbedder {
    client: reqwest::Client,
    url: String,
    dimension: usize,
}

#[derive(Deserialize)]
struct Answer {
    embedding: Vec<f32>,
}

impl RemoteEmbedder {
    pub fn new(url: &str, dimension: usize, timeout: Duration) -> anyhow::Result<Self> {
        if !url.starts_with("http://") && !url.starts_with("https://") {
            anyhow::bail!("embedder.remote_url must be an http(s) URL, not {url:?}");
        }
        if dimension == 0 {
            anyhow::bail!("embedder.remote_dimension must be set for a remote embedder");
        }
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self {
            client,
            url: url.to_owned(),
            dimension,
        })
    }

    async fn call(&self, image: Bytes) -> Result<Vec<f32>, EmbedError> {
        let mime = super::ACCEPTED
            .iter()
            .find(|m| infer::get(&image).is_some_and(|t| t.mime_type() == **m))
            .copied()
            .unwrap_or("application/octet-stream");
        let response = self
            .client
            .post(&self.url)
            .header("content-type", mime)
            .body(image)
            .send()
            .await
            .map_err(|e| EmbedError::Failed(e.to_string()))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNPROCESSABLE_ENTITY {
            return Err(EmbedError::Unreadable(
                "the remote model could not decode it".into(),
            ));
        }
        if !status.is_success() {
            return Err(EmbedError::Failed(format!(
                "the remote model answered {status}"
            )));
        }
        let answer: Answer = response
            .json()
            .await
            .map_err(|e| EmbedError::Failed(format!("the remote model's answer: {e}")))?;
        if answer.embedding.len() != self.dimension {
            return Err(EmbedError::Failed(format!(
                "the remote model returned {} numbers, expected {}",
                answer.embedding.len(),
                self.dimension
            )));
        }
        normalise(answer.embedding)
    }
}

impl Embedder for RemoteEmbedder {
    fn name(&self) -> &str {
        "remote"
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn embed(&self, image: Bytes) -> Embedding<'_> {
        Box::pin(self.call(image))
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::post;

    use super::*;

    /// A stand-in model server for this one function: answers by the first byte it receives.
    async fn serve() -> String {
        let app = Router::new().route(
            "/embed",
            post(|body: Bytes| async move {
                match body.first() {
                    Some(b'a') => (200, r#"{"embedding":[3.0,4.0]}"#).into_response_parts(),
                    Some(b'b') => (200, r#"{"embedding":[1.0]}"#).into_response_parts(),
                    Some(b'c') => (422, "").into_response_parts(),
                    _ => (500, "").into_response_parts(),
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/embed", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    trait Parts {
        fn into_response_parts(self) -> (axum::http::StatusCode, String);
    }
    impl Parts for (u16, &str) {
        fn into_response_parts(self) -> (axum::http::StatusCode, String) {
            (
                axum::http::StatusCode::from_u16(self.0).unwrap(),
                self.1.to_owned(),
            )
        }
    }

    #[tokio::test]
    async fn answers_are_normalised_and_bad_ones_are_failures() {
        let url = serve().await;
        let embedder = RemoteEmbedder::new(&url, 2, Duration::from_secs(5)).unwrap();
        let v = embedder.embed(Bytes::from_static(b"a")).await.unwrap();
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        let short = embedder.embed(Bytes::from_static(b"b")).await.unwrap_err();
        assert!(
            short.to_string().contains("returned 1 numbers, expected 2"),
            "{short}"
        );
        let unreadable = embedder.embed(Bytes::from_static(b"c")).await.unwrap_err();
        assert!(matches!(unreadable, EmbedError::Unreadable(_)));
        let failed = embedder.embed(Bytes::from_static(b"d")).await.unwrap_err();
        assert!(matches!(failed, EmbedError::Failed(_)));
        assert!(RemoteEmbedder::new("ftp://x", 2, Duration::from_secs(1)).is_err());
    }
}
