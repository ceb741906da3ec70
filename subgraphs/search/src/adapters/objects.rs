//! Image bytes in the object store, over presigned URLs (no S3 SDK needed for whole small objects):
//! covers and avatars are read to be embedded, imported images are written under a content key.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use kit::s3::Presigner;

/// Validity of the URLs this service signs for itself.
const URL_TTL: Duration = Duration::from_secs(300);

/// Why an object could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The object does not exist (a permanent condition for an event).
    #[error("object {0} does not exist")]
    Missing(String),
    /// The object is larger than the image limit.
    #[error("object {0} is larger than the image limit")]
    TooLarge(String),
    /// The store failed or could not be reached (worth retrying).
    #[error("object store: {0}")]
    Store(String),
}

/// Reads and writes objects of one bucket.
#[derive(Clone)]
pub struct Objects {
    http: reqwest::Client,
    presigner: Presigner,
}

impl Objects {
    pub fn new(presigner: Presigner) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self { http, presigner })
    }

    /// The object's bytes, refusing objects over `max_bytes` without reading them whole.
    pub async fn get(&self, key: &str, max_bytes: usize) -> Result<Bytes, ObjectError> {
        let response = self
            .http
            .get(self.presigner.get(key, URL_TTL))
            .send()
            .await
            .map_err(|e| ObjectError::Store(e.to_string()))?;
        match response.status() {
            s if s.is_success() => {}
            reqwest::StatusCode::NOT_FOUND => return Err(ObjectError::Missing(key.into())),
            s => return Err(ObjectError::Store(format!("GET {key}: {s}"))),
        }
        if response
            .content_length()
            .is_some_and(|n| n > max_bytes as u64)
        {
            return Err(ObjectError::TooLarge(key.into()));
        }
        let mut body = BytesMut::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ObjectError::Store(e.to_string()))?;
            if body.len() + chunk.len() > max_bytes {
                return Err(ObjectError::TooLarge(key.into()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    /// Stores `bytes` under `key`.
    pub async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<(), ObjectError> {
        let response = self
            .http
            .put(self.presigner.put(key, URL_TTL))
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .map_err(|e| ObjectError::Store(e.to_string()))?;
        if !response.status().is_success() {
            return Err(ObjectError::Store(format!(
                "PUT {key}: {}",
                response.status()
            )));
        }
        Ok(())
    }
}
