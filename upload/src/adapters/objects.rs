//! The object store through aws-sdk-s3: multipart uploads part by part, single PUTs for small
//! files, streamed GETs (concatenation) and cleanup. Path-style addressing, endpoint and static
//! credentials from `[s3]`, so any S3-compatible server works (s3s-fs locally, MinIO in production).
//! Requests carry no optional checksums (`WhenRequired`): parts are verified by their ETags and the
//! service keeps its own SHA-256 of the whole file.

use std::time::Instant;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use secrecy::ExposeSecret;

use crate::metrics;

/// An S3 failure, with the service's error code when it gave one.
#[derive(Debug, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct S3Error {
    pub operation: &'static str,
    pub code: Option<String>,
    pub message: String,
}

impl S3Error {
    fn from_sdk<E, R>(operation: &'static str, err: aws_sdk_s3::error::SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        Self {
            operation,
            code: err.code().map(str::to_owned),
            message: DisplayErrorContext(&err).to_string(),
        }
    }

    /// The multipart upload is gone (completed or aborted).
    pub fn is_no_such_upload(&self) -> bool {
        self.code.as_deref() == Some("NoSuchUpload")
    }
}

/// One bucket.
#[derive(Clone)]
pub struct Objects {
    client: Client,
    bucket: String,
}

impl Objects {
    pub fn new(cfg: &kit::s3::S3Config) -> Self {
        let creds = Credentials::new(
            &cfg.access_key,
            cfg.secret_key.expose_secret(),
            None,
            None,
            "clipfed-config",
        );
        let conf = aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(cfg.region.clone()))
            .endpoint_url(cfg.endpoint.trim_end_matches('/'))
            .credentials_provider(creds)
            .force_path_style(true)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .build();
        Self {
            client: Client::from_conf(conf),
            bucket: cfg.bucket.clone(),
        }
    }

    /// Starts a multipart upload; returns its id.
    pub async fn create_multipart(&self, key: &str, content_type: &str) -> Result<String, S3Error> {
        let out = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(|e| S3Error::from_sdk("CreateMultipartUpload", e))?;
        out.upload_id().map(str::to_owned).ok_or_else(|| S3Error {
            operation: "CreateMultipartUpload",
            code: None,
            message: "no upload id in the answer".into(),
        })
    }

    /// Sends part `number` (from 1); returns its ETag.
    #[tracing::instrument(name = "s3 UploadPart", skip_all, fields(part = number, bytes = body.len()))]
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: i32,
        body: Bytes,
    ) -> Result<String, S3Error> {
        let started = Instant::now();
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| S3Error::from_sdk("UploadPart", e))?;
        metrics::part_sent(started.elapsed());
        Ok(out.e_tag().unwrap_or_default().to_owned())
    }

    /// Completes a multipart upload from its parts `(number, etag)` in order.
    #[tracing::instrument(name = "s3 CompleteMultipartUpload", skip_all, fields(parts = parts.len()))]
    pub async fn complete(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(i32, String)],
    ) -> Result<(), S3Error> {
        let parts = parts
            .iter()
            .map(|(n, etag)| CompletedPart::builder().part_number(*n).e_tag(etag).build())
            .collect();
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| S3Error::from_sdk("CompleteMultipartUpload", e))?;
        Ok(())
    }

    /// Aborts a multipart upload (its parts are freed); an upload already gone is fine.
    pub async fn abort(&self, key: &str, upload_id: &str) -> Result<(), S3Error> {
        match self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = S3Error::from_sdk("AbortMultipartUpload", e);
                if err.is_no_such_upload() {
                    Ok(())
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Stores a small object in one request.
    #[tracing::instrument(name = "s3 PutObject", skip_all, fields(bytes = body.len()))]
    pub async fn put(&self, key: &str, content_type: &str, body: Bytes) -> Result<(), S3Error> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| S3Error::from_sdk("PutObject", e))?;
        Ok(())
    }

    /// The size of an object, `None` when there is none.
    pub async fn size(&self, key: &str) -> Result<Option<i64>, S3Error> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(out.content_length()),
            Err(e) => {
                if e.as_service_error().is_some_and(|s| s.is_not_found()) {
                    Ok(None)
                } else {
                    Err(S3Error::from_sdk("HeadObject", e))
                }
            }
        }
    }

    /// Streams an object's bytes.
    pub async fn get(&self, key: &str) -> Result<ByteStream, S3Error> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| S3Error::from_sdk("GetObject", e))?;
        Ok(out.body)
    }

    /// Deletes an object (absent is fine).
    pub async fn delete(&self, key: &str) -> Result<(), S3Error> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| S3Error::from_sdk("DeleteObject", e))?;
        Ok(())
    }
}
