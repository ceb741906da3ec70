//! tus concatenation: a client uploads parts of a file in parallel as partial uploads, then creates
//! the final upload listing them. The partials must be finished and the caller's. Their objects are
//! streamed, in order, through the same write path as a PATCH (so the final object is one multipart
//! upload with full-size parts, sniffed and hashed like any other), then deleted. The final upload
//! is recorded before creation answers.

use bytes::Bytes;
use futures::Stream;

use super::{NewUpload, Uploads};
use crate::adapters::objects::Objects;
use crate::domain::kind::Kind;
use crate::domain::metadata::Described;
use crate::error::UploadError;
use crate::store::sessions::{DONE, FINAL, PARTIAL, Session};
use crate::usecases::write::Written;

/// A final upload as the handler read it.
pub struct Final {
    pub owner: i64,
    pub described: Described,
    pub metadata: String,
    /// The `Upload-Concat` header as sent (echoed by HEAD).
    pub header: String,
    /// The partial upload ids, in order.
    pub partials: Vec<String>,
}

impl Uploads {
    /// Creates the final upload and assembles it.
    pub async fn concatenate(&self, f: Final) -> Result<Written, UploadError> {
        if f.partials.is_empty() {
            return Err(UploadError::bad_request(
                "Upload-Concat: final lists no partial uploads",
            ));
        }
        let _permit = self.permit()?;
        let mut partials = Vec::with_capacity(f.partials.len());
        let mut length: i64 = 0;
        for id in &f.partials {
            let p = self.live(id, Some(f.owner)).await.map_err(|_| {
                UploadError::bad_request(format!("partial upload {id} does not exist"))
            })?;
            if p.concat != PARTIAL {
                return Err(UploadError::bad_request(format!(
                    "upload {id} is not a partial upload"
                )));
            }
            if p.state != DONE {
                return Err(UploadError::bad_request(format!(
                    "partial upload {id} is not finished"
                )));
            }
            length += p.length.unwrap_or(p.received);
            partials.push(p);
        }
        let kind = f.described.kind;
        let session = self
            .create(NewUpload {
                owner: f.owner,
                kind,
                concat: FINAL,
                concat_of: f.header,
                length: Some(length),
                metadata: f.metadata,
                described: Some(f.described),
            })
            .await?;
        let guard = self.lock(&session.id).await?;
        let body = chained(
            self.objects.clone(),
            partials.iter().map(|p| p.object_key.clone()).collect(),
        );
        let written = self.write(session, None, Box::pin(body)).await;
        guard.release().await;
        let written = written?;
        for p in &partials {
            if let Err(err) = self.discard(p).await {
                tracing::warn!(upload.id = %p.id, error.message = %err.message, "partial cleanup failed; it expires");
            }
        }
        debug_assert!(kind != Kind::Partial);
        Ok(written)
    }
}

/// The objects at `keys`, one after another, as one body.
fn chained(objects: Objects, keys: Vec<String>) -> impl Stream<Item = Result<Bytes, String>> {
    futures::stream::unfold(
        (
            objects,
            keys.into_iter(),
            None::<aws_sdk_s3::primitives::ByteStream>,
        ),
        |(objects, mut keys, mut current)| async move {
            loop {
                if let Some(body) = current.as_mut() {
                    match body.next().await {
                        Some(Ok(bytes)) => return Some((Ok(bytes), (objects, keys, current))),
                        Some(Err(err)) => {
                            return Some((Err(err.to_string()), (objects, keys, None)));
                        }
                        None => {}
                    }
                }
                let key = keys.next()?;
                match objects.get(&key).await {
                    Ok(body) => current = Some(body),
                    Err(err) => return Some((Err(err.to_string()), (objects, keys, None))),
                }
            }
        },
    )
}

/// The partial upload ids of an `Upload-Concat: final;<url> <url>` header (URLs or bare paths).
pub fn partial_ids(list: &str) -> Vec<String> {
    list.split_whitespace()
        .map(|url| {
            url.trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

/// A session that was a partial of some final upload (for HEAD's `Upload-Concat`).
pub fn concat_header(s: &Session) -> Option<String> {
    match s.concat {
        PARTIAL => Some("partial".into()),
        FINAL => Some(s.concat_of.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_ids_come_from_urls_or_paths() {
        let a = "0123456789abcdef0123456789abcdef";
        let b = "fedcba9876543210fedcba9876543210";
        assert_eq!(
            partial_ids(&format!("http://h:1/uploads/{a} /uploads/{b}/")),
            vec![a.to_owned(), b.to_owned()]
        );
    }
}
