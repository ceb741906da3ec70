//! Appending bytes to an upload: the one streaming path behind tus PATCH, creation-with-upload,
//! concatenation and the west2 forms.
//!
//! Bytes go from the body into a buffer that starts as the stored tail; each full part
//! (`limits.part_size`) is sent to S3 as it fills, so memory per request stays near one part.
//! Without a checksum, progress is saved after every part and, at the end of the body (or when
//! the client goes away), the bytes after the last part are saved as the tail: every offset HEAD
//! reports is durable. With `Upload-Checksum`, nothing is saved until the whole body matched: on
//! a mismatch (460) the chunk is discarded and parts already sent for it are overwritten by the
//! resend (they are never listed in the completion).
//!
//! The last byte completes the object (CompleteMultipartUpload, or one PutObject for a file
//! smaller than a part), and the upload is registered before the client hears of success.

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use sha2::digest::common::hazmat::{SerializableState, SerializedState};
use sha2::{Digest, Sha256};

use super::Uploads;
use crate::adapters::objects::S3Error;
use crate::adapters::register::Outcome as Registration;
use crate::domain::checksum::Expected;
use crate::domain::kind::{self, Kind, SNIFF_LEN};
use crate::error::UploadError;
use crate::metrics;
use crate::store::sessions::{self, ASSEMBLED, DONE, FINAL, PARTIAL, SentPart, Session};

/// A PATCH as the handler read it.
pub struct Append<'a> {
    pub id: &'a str,
    /// The caller, when one was presented (an upload URL is also its capability).
    pub owner: Option<i64>,
    pub offset: i64,
    /// `Upload-Length` sent with the PATCH (ends a deferred length).
    pub length: Option<i64>,
    pub content_length: Option<u64>,
    pub checksum: Option<Expected>,
}

/// Where an upload stands after a write.
pub struct Written {
    pub session: Session,
    /// The record's fields as the subgraph answered, once registered.
    pub record: Option<serde_json::Value>,
}

impl Uploads {
    /// Appends `body` at `req.offset`, holding the upload's lock and a streaming slot.
    pub async fn append<S, E>(&self, req: Append<'_>, body: S) -> Result<Written, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let _permit = self.permit()?;
        let guard = self.lock(req.id).await?;
        let result = self.append_locked(req, body).await;
        guard.release().await;
        result
    }

    async fn append_locked<S, E>(&self, req: Append<'_>, body: S) -> Result<Written, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut s = self.live(req.id, req.owner).await?;
        let _mine = self.owner_slot(s.owner_id)?;
        if s.concat == FINAL {
            return Err(UploadError::forbidden(
                "a final upload is assembled from its partial uploads and takes no PATCH",
            ));
        }
        if s.state == DONE {
            return Err(UploadError::forbidden("the upload is already complete"));
        }
        if s.all_received() {
            // Every byte is stored; completing or recording failed last time. The client resends
            // the last chunk to retry and learn the outcome.
            if req.offset != s.resume_at {
                return Err(UploadError::offset_mismatch(s.resume_at));
            }
            drain(body).await;
            if s.state == ASSEMBLED {
                return self.register_assembled(s).await;
            }
            let resume_at = s.resume_at;
            let w = Progress::resume(s, true, self.limits.part_size as usize)?;
            return self.finish(w, resume_at).await;
        }
        if req.offset != s.received {
            return Err(UploadError::offset_mismatch(s.received));
        }
        let kind = s.kind();
        if let Some(declared) = req.length {
            match s.length {
                None => {
                    self.check_length(kind, declared)?;
                    if declared < s.received {
                        return Err(UploadError::bad_request(
                            "Upload-Length is smaller than the bytes already received",
                        ));
                    }
                    s.length = Some(declared);
                }
                Some(l) if l != declared => {
                    return Err(UploadError::bad_request("Upload-Length cannot change"));
                }
                Some(_) => {}
            }
        }
        if let (Some(cl), Some(length)) = (req.content_length, s.length)
            && s.received as u64 + cl > length as u64
        {
            return Err(UploadError::too_large(format!(
                "the chunk would end past Upload-Length ({length} bytes)"
            )));
        }
        self.write(s, req.checksum, body).await
    }

    /// Ends an upload of deferred length at the bytes received (the west2 forms, whose size is
    /// known only when the file field ends), with its final title and description, then
    /// completes and records it.
    pub async fn seal(
        &self,
        id: &str,
        title: String,
        description: String,
    ) -> Result<Written, UploadError> {
        let guard = self.lock(id).await?;
        let result = async {
            let mut s = self.live(id, None).await?;
            if s.received == 0 {
                self.refuse(&s).await;
                return Err(UploadError::bad_request("the file is empty (0 bytes)"));
            }
            s.length = Some(s.received);
            s.title = title;
            s.description = description;
            s.resume_at = 0;
            let w = Progress::resume(s, true, self.limits.part_size as usize)?;
            self.finish(w, 0).await
        }
        .await;
        guard.release().await;
        result
    }

    /// Streams `body` into the session at its current offset (the lock is held by the caller).
    pub(super) async fn write<S, E>(
        &self,
        s: Session,
        mut checksum: Option<Expected>,
        mut body: S,
    ) -> Result<Written, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let kind = s.kind();
        let limit = s.length.map_or(self.max_for(kind), |l| l as u64);
        let started_at = s.received;
        let mut w = Progress::resume(s, checksum.is_none(), self.limits.part_size as usize)?;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(err) => {
                    tracing::info!(upload.id = %w.s.id, error.message = %err, "body ended early");
                    if w.save_each_part {
                        // Keep what arrived: HEAD reports it and the client resumes there.
                        w.save(self).await?;
                    }
                    return Err(UploadError::bad_request("the request body ended early"));
                }
            };
            if w.s.received as u64 + chunk.len() as u64 > limit {
                return Err(UploadError::too_large(match w.s.length {
                    Some(l) => format!("the body goes past Upload-Length ({l} bytes)"),
                    None => format!("the upload is larger than the limit ({limit} bytes)"),
                }));
            }
            metrics::bytes_received(chunk.len() as u64);
            if let Some(c) = checksum.as_mut() {
                c.update(&chunk);
            }
            w.push(&chunk);
            if let Err(refused) = w.sniff(kind) {
                self.refuse(&w.s).await;
                return Err(refused);
            }
            while w.buf.len() >= w.part_size {
                w.send_part(self).await?;
            }
        }
        if let Some(c) = checksum
            && !c.matches()
        {
            return Err(UploadError::checksum_mismatch());
        }
        let complete = w.s.length == Some(w.s.received);
        if complete {
            // Until recorded, HEAD reports the start of this chunk (see `Session::reported_offset`).
            w.s.resume_at = started_at;
        }
        w.save(self).await?;
        if complete {
            return self.finish(w, started_at).await;
        }
        Ok(Written {
            session: w.s,
            record: None,
        })
    }

    /// The last byte is in: completes the object, then registers it.
    async fn finish(&self, mut w: Progress, resume_at: i64) -> Result<Written, UploadError> {
        let kind = w.s.kind();
        if let Err(refused) = w.sniff_final(kind) {
            self.refuse(&w.s).await;
            return Err(refused);
        }
        let tail = w.buf.split().freeze();
        let content_type = w.s.content_type.clone().unwrap_or_else(octet_stream);
        match w.s.s3_upload_id.clone() {
            None => {
                self.objects
                    .put(&w.s.object_key, &content_type, tail)
                    .await?
            }
            Some(upload_id) => {
                let mut parts = sessions::parts(&self.pool, &w.s.id).await?;
                let completed = async {
                    if !tail.is_empty() {
                        let n = w.s.parts + 1;
                        let etag = self
                            .objects
                            .upload_part(&w.s.object_key, &upload_id, n, tail)
                            .await?;
                        parts.push((n, etag));
                    }
                    self.objects
                        .complete(&w.s.object_key, &upload_id, &parts)
                        .await
                }
                .await;
                if let Err(err) = completed {
                    self.check_completed(&w.s, err).await?;
                }
            }
        }
        w.s.checksum = hex(&w.sha.clone().finalize());
        w.s.state = ASSEMBLED;
        w.s.resume_at = resume_at;
        w.s.s3_upload_id = None;
        w.s.tail.clear();
        w.s.sha256_state = w.sha.serialize().to_vec();
        w.s.expires_at = self.expiry();
        sessions::save_progress(&self.pool, &w.s, &[]).await?;
        if w.s.concat == PARTIAL {
            w.s.state = DONE;
            sessions::save_progress(&self.pool, &w.s, &[]).await?;
            return Ok(Written {
                session: w.s,
                record: None,
            });
        }
        self.register_assembled(w.s).await
    }

    /// A completion that failed because an earlier attempt completed it (a crash between S3 and
    /// MySQL) is a success when the object has the full length.
    async fn check_completed(&self, s: &Session, err: S3Error) -> Result<(), UploadError> {
        if err.is_no_such_upload() && self.objects.size(&s.object_key).await? == s.length {
            return Ok(());
        }
        Err(err.into())
    }

    /// Records an assembled upload; the client hears of success only once it is recorded.
    pub async fn register_assembled(&self, mut s: Session) -> Result<Written, UploadError> {
        match self.registrar.register(&s).await {
            Registration::Recorded { id, answer } => {
                s.state = DONE;
                s.result_id = id;
                s.received = s.length.unwrap_or(s.received);
                s.resume_at = s.received;
                sessions::save_progress(&self.pool, &s, &[]).await?;
                metrics::upload("completed");
                tracing::info!(upload.id = %s.id, result.id = ?id, bytes = s.received, "upload recorded");
                Ok(Written {
                    session: s,
                    record: Some(answer),
                })
            }
            Registration::Refused(msg) => {
                tracing::warn!(upload.id = %s.id, error.message = %msg, "registration refused");
                self.refuse(&s).await;
                Err(UploadError::bad_request(format!(
                    "the upload was refused: {msg}"
                )))
            }
            Registration::Unreachable(msg) => {
                tracing::warn!(upload.id = %s.id, error.message = %msg, "registration pending");
                Err(UploadError::unavailable(
                    "the file is complete but could not be recorded yet; resend the last chunk to retry",
                ))
            }
        }
    }

    /// Drops an upload whose content was refused (wrong type, registration refused).
    async fn refuse(&self, s: &Session) {
        metrics::upload("failed");
        if let Err(err) = self.discard(s).await {
            tracing::warn!(upload.id = %s.id, error.message = %err.message, "cleanup after refusal failed; the sweeper retries");
        }
    }
}

/// One request's view of the session while it streams.
struct Progress {
    s: Session,
    /// The tail plus the bytes not yet sent as a part.
    buf: BytesMut,
    sha: Sha256,
    /// Saved after every part (no checksum) or only at the end (checksum).
    save_each_part: bool,
    unsaved_parts: Vec<SentPart>,
    part_size: usize,
}

impl Progress {
    fn resume(mut s: Session, save_each_part: bool, part_size: usize) -> Result<Self, UploadError> {
        let state = SerializedState::<Sha256>::try_from(s.sha256_state.as_slice())
            .map_err(|_| UploadError::internal("stored hash state has the wrong size"))?;
        let sha = Sha256::deserialize(&state)
            .map_err(|_| UploadError::internal("stored hash state does not load"))?;
        let mut buf = BytesMut::with_capacity(part_size + 64 * 1024);
        buf.extend_from_slice(&std::mem::take(&mut s.tail));
        Ok(Self {
            s,
            buf,
            sha,
            save_each_part,
            unsaved_parts: Vec::new(),
            part_size,
        })
    }

    fn push(&mut self, chunk: &[u8]) {
        self.sha.update(chunk);
        self.buf.extend_from_slice(chunk);
        self.s.received += chunk.len() as i64;
    }

    /// Checks the type as soon as enough bytes are in (before the first part is sent).
    fn sniff(&mut self, kind: Kind) -> Result<(), UploadError> {
        if self.s.content_type.is_some() || kind == Kind::Partial || self.buf.len() < SNIFF_LEN {
            return Ok(());
        }
        self.decide_type(kind)
    }

    /// At the end: a file smaller than the sniff window is checked whole.
    fn sniff_final(&mut self, kind: Kind) -> Result<(), UploadError> {
        if self.s.content_type.is_some() || kind == Kind::Partial {
            return Ok(());
        }
        self.decide_type(kind)
    }

    fn decide_type(&mut self, kind: Kind) -> Result<(), UploadError> {
        let head = &self.buf[..self.buf.len().min(SNIFF_LEN)];
        match kind::sniff(kind, head) {
            Ok(Some(t)) => {
                self.s.content_type = Some(t.mime.to_owned());
                self.s.object_key = format!("{}.{}", self.s.object_key, t.extension);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(refused) => Err(UploadError::unsupported_media(refused.0)),
        }
    }

    /// Sends the next full part, and saves progress unless a checksum is pending.
    async fn send_part(&mut self, up: &Uploads) -> Result<(), UploadError> {
        let part = self.buf.split_to(self.part_size).freeze();
        let upload_id = match &self.s.s3_upload_id {
            Some(id) => id.clone(),
            None => {
                let content_type = self.s.content_type.clone().unwrap_or_else(octet_stream);
                let id = up
                    .objects
                    .create_multipart(&self.s.object_key, &content_type)
                    .await?;
                self.s.s3_upload_id = Some(id.clone());
                id
            }
        };
        let number = self.s.parts + 1;
        let size = part.len() as i64;
        let etag = up
            .objects
            .upload_part(&self.s.object_key, &upload_id, number, part)
            .await?;
        self.s.parts = number;
        self.unsaved_parts.push(SentPart { number, etag, size });
        if self.save_each_part {
            self.save(up).await?;
        }
        Ok(())
    }

    /// Saves parts, offset, tail and hash state in one transaction.
    async fn save(&mut self, up: &Uploads) -> Result<(), UploadError> {
        self.s.tail = self.buf.to_vec();
        self.s.sha256_state = self.sha.serialize().to_vec();
        self.s.expires_at = up.expiry();
        sessions::save_progress(&up.pool, &self.s, &self.unsaved_parts).await?;
        self.s.tail.clear();
        self.unsaved_parts.clear();
        Ok(())
    }
}

fn octet_stream() -> String {
    "application/octet-stream".to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a body to its end, discarding it.
async fn drain<S, E>(mut body: S)
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    while let Some(Ok(_)) = body.next().await {}
}
