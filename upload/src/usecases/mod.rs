//! The upload use cases, shared by tus and the west2 forms: create a session ([`Uploads::create`]),
//! append a body ([`write`]), assemble a concatenation ([`concat`]), terminate, and the sweeper
//! ([`sweep`]) that registers pending uploads and removes expired ones.
//!
//! Invariants: one request writes an upload at a time (a MySQL named lock, else 423); at most
//! `limits.max_active` requests stream at once, `limits.max_active_per_user` of one user (else 503);
//! a session's `received`, tail, hash state
//! and part list change together in one transaction, after S3 holds the parts they name.

pub mod concat;
pub mod sweep;
pub mod write;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sha2::Sha256;
use sha2::digest::common::hazmat::SerializableState;
use sqlx::MySqlPool;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::adapters::objects::Objects;
use crate::adapters::register::Registrar;
use crate::config::Limits;
use crate::domain::kind::Kind;
use crate::domain::metadata::Described;
use crate::error::UploadError;
use crate::metrics;
use crate::store::lock::{self, UploadLock};
use crate::store::sessions::{self, DONE, PARTIAL, Session};

/// Requests streaming per owner.
type Owners = Arc<std::sync::Mutex<std::collections::HashMap<i64, usize>>>;

/// Connections of the lock pool: one per streaming request (`limits.max_active`), and a few for
/// the short locks of HEAD-less operations that take no streaming slot (termination, sealing a
/// form, the sweeper).
pub fn lock_pool_size(limits: &Limits) -> u32 {
    u32::try_from(limits.max_active)
        .unwrap_or(u32::MAX)
        .saturating_add(4)
}

/// Everything the use cases need.
#[derive(Clone)]
pub struct Uploads {
    pub pool: MySqlPool,
    /// The pool the per-upload locks hold their connections from ([`lock_pool_size`]), apart from
    /// `pool`, so streaming requests never take a connection the queries need.
    locks: MySqlPool,
    pub objects: Objects,
    pub registrar: Registrar,
    pub limits: Limits,
    permits: Arc<Semaphore>,
    owners: Owners,
}

/// One of an owner's streaming slots, given back when dropped.
pub struct OwnerSlot {
    owners: Owners,
    owner: i64,
}

impl Drop for OwnerSlot {
    fn drop(&mut self) {
        let mut owners = self
            .owners
            .lock()
            .expect("the slot table is never poisoned");
        if let Some(n) = owners.get_mut(&self.owner) {
            *n -= 1;
            if *n == 0 {
                owners.remove(&self.owner);
            }
        }
    }
}

/// What a new session is.
pub struct NewUpload {
    pub owner: i64,
    pub kind: Kind,
    /// `sessions::PLAIN`, `PARTIAL` or `FINAL`.
    pub concat: i8,
    pub concat_of: String,
    /// `None`: deferred.
    pub length: Option<i64>,
    pub metadata: String,
    pub described: Option<Described>,
}

impl Uploads {
    pub fn new(
        pool: MySqlPool,
        locks: MySqlPool,
        objects: Objects,
        registrar: Registrar,
        limits: Limits,
    ) -> Self {
        let permits = Arc::new(Semaphore::new(limits.max_active));
        Self {
            pool,
            locks,
            objects,
            registrar,
            limits,
            permits,
            owners: Arc::default(),
        }
    }

    /// The largest upload of `kind`.
    pub fn max_for(&self, kind: Kind) -> u64 {
        match kind {
            Kind::Avatar => self.limits.max_avatar,
            Kind::Video => self.limits.max_video,
            Kind::Partial => self.limits.max_size,
        }
    }

    /// Checks a declared length against the kind's limit; 0 bytes is never a video or an image.
    pub fn check_length(&self, kind: Kind, length: i64) -> Result<(), UploadError> {
        if length == 0 && kind != Kind::Partial {
            return Err(UploadError::bad_request("the file is empty (0 bytes)"));
        }
        if length < 0 {
            return Err(UploadError::bad_request(
                "Upload-Length must not be negative",
            ));
        }
        let max = self.max_for(kind);
        if length as u64 > max {
            return Err(UploadError::too_large(format!(
                "the upload is {length} bytes; the limit for this kind is {max}"
            )));
        }
        Ok(())
    }

    /// Creates a session.
    pub async fn create(&self, n: NewUpload) -> Result<Session, UploadError> {
        if let Some(length) = n.length {
            self.check_length(n.kind, length)?;
        }
        let id = new_id();
        let now = Utc::now().naive_utc();
        let d = n.described.unwrap_or(Described {
            kind: n.kind,
            title: String::new(),
            description: String::new(),
            filename: String::new(),
        });
        let session = Session {
            object_key: format!("{}/{}/{id}", n.kind.prefix(), n.owner),
            id,
            owner_id: n.owner,
            kind: n.kind.code(),
            concat: n.concat,
            concat_of: n.concat_of,
            length: n.length,
            received: 0,
            resume_at: 0,
            metadata: n.metadata,
            title: d.title,
            description: d.description,
            filename: d.filename,
            s3_upload_id: None,
            parts: 0,
            content_type: None,
            tail: Vec::new(),
            sha256_state: Sha256::default().serialize().to_vec(),
            checksum: String::new(),
            state: sessions::RECEIVING,
            result_id: None,
            expires_at: self.expiry(),
            created_at: now,
        };
        sessions::insert(&self.pool, &session).await?;
        metrics::upload("started");
        Ok(session)
    }

    /// When a session written now expires.
    pub fn expiry(&self) -> chrono::NaiveDateTime {
        (Utc::now() + Duration::from_secs(self.limits.expiry_secs)).naive_utc()
    }

    /// A live session of `owner` (any owner when `None`): unknown, expired and other users'
    /// uploads are all "not found".
    pub async fn live(&self, id: &str, owner: Option<i64>) -> Result<Session, UploadError> {
        if !is_id(id) {
            return Err(UploadError::not_found());
        }
        match sessions::get(&self.pool, id).await? {
            Some(s) if !s.is_expired() && owner.is_none_or(|o| o == s.owner_id) => Ok(s),
            _ => Err(UploadError::not_found()),
        }
    }

    /// A streaming slot (503 when all are taken).
    pub fn permit(&self) -> Result<OwnedSemaphorePermit, UploadError> {
        self.permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| UploadError::busy())
    }

    /// One of `owner`'s `limits.max_active_per_user` slots (503 when they are all taken).
    pub fn owner_slot(&self, owner: i64) -> Result<OwnerSlot, UploadError> {
        let mut owners = self
            .owners
            .lock()
            .expect("the slot table is never poisoned");
        let n = owners.entry(owner).or_default();
        if *n >= self.limits.max_active_per_user.max(1) {
            return Err(UploadError::busy());
        }
        *n += 1;
        Ok(OwnerSlot {
            owners: Arc::clone(&self.owners),
            owner,
        })
    }

    /// Requests streaming right now.
    pub fn streaming(&self) -> i64 {
        (self.limits.max_active - self.permits.available_permits()) as i64
    }

    /// The upload's lock (423 while another request holds it).
    pub async fn lock(&self, id: &str) -> Result<UploadLock, UploadError> {
        self.try_lock(id).await?.ok_or_else(UploadError::locked)
    }

    /// The upload's lock, or `None` while another request holds it.
    pub async fn try_lock(&self, id: &str) -> Result<Option<UploadLock>, sqlx::Error> {
        lock::try_lock(&self.locks, id).await
    }

    /// Terminates an unfinished upload (tus termination): S3 parts freed, session gone.
    pub async fn terminate(&self, id: &str, owner: Option<i64>) -> Result<(), UploadError> {
        let guard = self.lock(id).await?;
        let result = async {
            let s = self.live(id, owner).await?;
            if s.state == DONE && s.concat != PARTIAL {
                return Err(UploadError::forbidden(
                    "the upload is finished and recorded; delete the video instead",
                ));
            }
            self.discard(&s).await?;
            metrics::upload("terminated");
            Ok(())
        }
        .await;
        guard.release().await;
        result
    }

    /// Removes everything an unfinished (or partial) upload left: its multipart upload, its object
    /// unless it is a recorded video or avatar, and its rows.
    pub async fn discard(&self, s: &Session) -> Result<(), UploadError> {
        if let Some(upload_id) = &s.s3_upload_id {
            self.objects.abort(&s.object_key, upload_id).await?;
        }
        if s.state != DONE || s.concat == PARTIAL {
            self.objects.delete(&s.object_key).await?;
        }
        sessions::delete(&self.pool, &s.id).await?;
        Ok(())
    }
}

/// 128 random bits, hex.
fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Whether `id` could be an upload id (32 lowercase hex digits).
pub fn is_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
