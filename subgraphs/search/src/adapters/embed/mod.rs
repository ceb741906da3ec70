//! Image → vector. [`Embedder`] has two implementations: [`onnx::OnnxEmbedder`] runs a CNN in
//! this process with tract (pure Rust), [`remote::RemoteEmbedder`] asks a model served over HTTP.
//! Both return unit-length vectors, so Milvus's cosine metric and the inner product agree.
//!
//! [`check`] is the gate every image passes first: not empty, not over the size limit, and really
//! an image by its bytes (JPEG, PNG, GIF or WebP), whatever its name or declared type says.

pub mod onnx;
pub mod remote;

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use kit::{AppError, ErrorCode};

/// The image formats accepted, by their sniffed MIME type.
pub const ACCEPTED: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

/// Why an image could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The bytes are not a decodable image (the client's fault).
    #[error("the image could not be decoded: {0}")]
    Unreadable(String),
    /// The model failed or could not be reached.
    #[error("embedding failed: {0}")]
    Failed(String),
}

impl From<EmbedError> for AppError {
    fn from(err: EmbedError) -> Self {
        match err {
            EmbedError::Unreadable(why) => AppError::with_message(
                ErrorCode::ImageUnreadable,
                format!("the image could not be decoded: {why}"),
            ),
            // A remote model's error names its address: logged at the response edge, not answered.
            EmbedError::Failed(why) => AppError::with_message(
                ErrorCode::Unavailable,
                "the image model is unavailable, retry later",
            )
            .caused(why),
        }
    }
}

/// A boxed embedding in progress.
pub type Embedding<'a> = Pin<Box<dyn Future<Output = Result<Vec<f32>, EmbedError>> + Send + 'a>>;

/// Turns checked image bytes into a unit-length vector of [`Embedder::dimension`] floats.
pub trait Embedder: Send + Sync {
    /// Names the model (logs, metrics, docs).
    fn name(&self) -> &str;
    /// Length of every vector.
    fn dimension(&self) -> usize;
    /// Embeds one image that passed [`check`].
    fn embed(&self, image: Bytes) -> Embedding<'_>;
}

/// Refuses what is not an image worth embedding; returns the sniffed MIME type.
pub fn check(bytes: &[u8], max_bytes: usize) -> Result<&'static str, AppError> {
    if bytes.is_empty() {
        return Err(AppError::with_message(
            ErrorCode::InvalidParameter,
            "the image is empty",
        ));
    }
    if bytes.len() > max_bytes {
        return Err(too_large(max_bytes));
    }
    match infer::get(bytes).map(|t| t.mime_type()) {
        Some(mime) if ACCEPTED.contains(&mime) => Ok(ACCEPTED
            .iter()
            .find(|m| **m == mime)
            .copied()
            .unwrap_or("image/jpeg")),
        Some(other) => Err(AppError::with_message(
            ErrorCode::UnsupportedMediaType,
            format!("not an image: the bytes are {other}; send JPEG, PNG, GIF or WebP"),
        )),
        None => Err(AppError::with_message(
            ErrorCode::UnsupportedMediaType,
            "not an image: the bytes match no known format; send JPEG, PNG, GIF or WebP",
        )),
    }
}

/// The error for an image over `max_bytes`.
pub fn too_large(max_bytes: usize) -> AppError {
    AppError::with_message(
        ErrorCode::PayloadTooLarge,
        format!("the image is larger than {} MiB", max_bytes >> 20),
    )
}

/// Scales `v` to unit length; a zero vector cannot be compared and is an error.
pub fn normalise(mut v: Vec<f32>) -> Result<Vec<f32>, EmbedError> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !norm.is_finite() || norm == 0.0 {
        return Err(EmbedError::Failed(
            "the model returned a zero or non-finite vector".into(),
        ));
    }
    v.iter_mut().for_each(|x| *x /= norm);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_model_call_is_answered_without_its_text() {
        let err = AppError::from(EmbedError::Failed(
            "POST http://10.0.3.7:8500/embed: connection refused".into(),
        ));
        assert_eq!(err.code(), ErrorCode::Unavailable);
        assert!(!err.message().contains("10.0.3.7"), "{}", err.message());
    }

    #[test]
    fn check_sniffs_bytes_not_names() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(check(png, 1024).unwrap(), "image/png");
        let err = check(b"just some text", 1024).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnsupportedMediaType);
        let pdf = b"%PDF-1.4 hello";
        assert!(
            check(pdf, 1024)
                .unwrap_err()
                .message()
                .contains("application/pdf")
        );
        assert_eq!(
            check(b"", 1024).unwrap_err().code(),
            ErrorCode::InvalidParameter
        );
        assert_eq!(
            check(png, 4).unwrap_err().code(),
            ErrorCode::PayloadTooLarge
        );
    }

    #[test]
    fn normalise_gives_unit_length_and_refuses_zero() {
        let v = normalise(vec![3.0, 4.0]).unwrap();
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        assert!(normalise(vec![0.0, 0.0]).is_err());
    }
}
