//! Image use cases: search by image, index uploaded bytes, index a stored object (covers and
//! avatars announced by events), forget a source's images.
//!
//! Indexing writes the MySQL record first (its id is the vector's id; the object key is unique, so
//! a retry or replay reuses the id) and the vector second: a crash between them leaves a record no
//! search can reach, which the retry completes. Forgetting deletes vectors first, records second.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use kit::s3::ObjectUrls;
use sha2::{Digest, Sha256};
use sqlx::MySqlPool;

use crate::adapters::embed::{self, Embedder};
use crate::adapters::objects::{ObjectError, Objects};
use crate::adapters::vectors::Vectors;
use crate::domain::events::Source;
use crate::error::SearchError;
use crate::metrics;
use crate::store::images;

/// A ranked search result.
#[derive(Debug, Clone)]
pub struct Found {
    pub id: i64,
    pub url: String,
    pub score: f32,
    pub source: String,
    pub source_id: Option<i64>,
}

/// An image stored and indexed by [`Images::import`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    pub id: String,
    pub url: String,
}

/// Everything the image use cases need.
#[derive(Clone)]
pub struct Images {
    pub pool: MySqlPool,
    pub vectors: Vectors,
    pub embedder: Arc<dyn Embedder>,
    pub objects: Objects,
    pub urls: ObjectUrls,
    /// Largest image accepted, bytes.
    pub max_bytes: usize,
    /// Most results one search may ask for.
    pub max_k: usize,
    /// Most files one import may carry.
    pub max_files: usize,
}

impl Images {
    /// The `k` stored images most like `bytes`, best first.
    pub async fn search(&self, bytes: Bytes, k: usize) -> Result<Vec<Found>, SearchError> {
        if k == 0 || k > self.max_k {
            return Err(SearchError::invalid(format!(
                "limit must be between 1 and {}",
                self.max_k
            )));
        }
        embed::check(&bytes, self.max_bytes)?;
        let started = Instant::now();
        let vector = self.embedder.embed(bytes).await?;
        metrics::stage("embed", started.elapsed());
        let started = Instant::now();
        let hits = self
            .vectors
            .search(vector, k)
            .await
            .map_err(SearchError::index)?;
        metrics::stage("milvus", started.elapsed());
        let started = Instant::now();
        let ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
        let rows = images::by_ids(&self.pool, &ids).await?;
        metrics::stage("records", started.elapsed());
        metrics::searched("image");
        Ok(hits
            .iter()
            .filter_map(|hit| {
                let row = rows.iter().find(|r| r.id == hit.id)?;
                Some(Found {
                    id: hit.id,
                    url: self.urls.url(Some(&row.object_key)),
                    score: hit.score,
                    source: row.source.clone(),
                    source_id: row.source_id,
                })
            })
            .collect())
    }

    /// Stores uploaded image bytes under a content-addressed key and indexes them (importing the
    /// same bytes twice gives the same image).
    pub async fn import(&self, bytes: Bytes, owner: i64) -> Result<Imported, SearchError> {
        let mime = embed::check(&bytes, self.max_bytes)?;
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        let ext = mime.trim_start_matches("image/");
        let key = format!("images/{}.{ext}", hex(&digest));
        let vector = self.embedder.embed(bytes.clone()).await?;
        self.objects
            .put(&key, bytes, mime)
            .await
            .map_err(SearchError::index)?;
        let id = self
            .record(&key, Source::Import, Some(owner), &digest, vector)
            .await?;
        Ok(Imported {
            id: id.to_string(),
            url: self.urls.url(Some(&key)),
        })
    }

    /// Indexes a stored object announced by an event, then forgets the source's other images (a
    /// replaced avatar, an earlier cover). A missing, oversized or undecodable object is logged and
    /// skipped (retrying cannot help); store failures are returned, so the batch is retried.
    pub async fn index_object(
        &self,
        key: &str,
        source: Source,
        source_id: i64,
    ) -> Result<(), SearchError> {
        let bytes = match self.objects.get(key, self.max_bytes).await {
            Ok(bytes) => bytes,
            Err(err @ (ObjectError::Missing(_) | ObjectError::TooLarge(_))) => {
                tracing::warn!(error.message = %err, "image not indexed");
                return self.forget(source, source_id, Some(key)).await;
            }
            Err(err) => return Err(SearchError::index(err)),
        };
        if let Err(err) = embed::check(&bytes, self.max_bytes) {
            tracing::warn!(
                object.key = key,
                error.message = err.message(),
                "image not indexed"
            );
            return self.forget(source, source_id, Some(key)).await;
        }
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        let vector = match self.embedder.embed(bytes).await {
            Ok(v) => v,
            Err(embed::EmbedError::Unreadable(why)) => {
                tracing::warn!(object.key = key, error.message = %why, "image not indexed");
                return self.forget(source, source_id, Some(key)).await;
            }
            Err(err) => return Err(err.into()),
        };
        self.record(key, source, Some(source_id), &digest, vector)
            .await?;
        self.forget(source, source_id, Some(key)).await
    }

    /// Forgets every image of a source except the object `keep`.
    pub async fn forget(
        &self,
        source: Source,
        source_id: i64,
        keep: Option<&str>,
    ) -> Result<(), SearchError> {
        let ids = images::of_source(&self.pool, source, source_id, keep).await?;
        self.vectors
            .delete(&ids)
            .await
            .map_err(SearchError::index)?;
        Ok(images::remove(&self.pool, &ids).await?)
    }

    async fn record(
        &self,
        key: &str,
        source: Source,
        source_id: Option<i64>,
        digest: &[u8; 32],
        vector: Vec<f32>,
    ) -> Result<i64, SearchError> {
        let now = chrono::Utc::now().naive_utc();
        let id = images::upsert(
            &self.pool,
            kit::id::next_id(),
            key,
            source,
            source_id,
            digest,
            now,
        )
        .await?;
        self.vectors
            .upsert(&[(id, vector)])
            .await
            .map_err(SearchError::index)?;
        metrics::indexed(source.as_str());
        Ok(id)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
