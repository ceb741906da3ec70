//! The image vectors in Milvus (milvus-lite locally) through `milvus-sdk-rust`'s V2 client.
//!
//! One collection, `<milvus.collection>_<dimension>d` (a model with another width never mixes
//! with the old vectors): `id` INT64 primary key (the image record's id) and `embedding`
//! FLOAT_VECTOR, HNSW index, cosine metric. It is created and loaded at start-up when missing; the
//! index is declared with the collection, so nothing waits on an index build (milvus-lite lacks the
//! call the SDK would poll).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use milvus::v2 as sdk;
use milvus::v2::prelude::{
    ClientV2, ConnectConfig, ConsistencyLevel, HasCollectionRequest, IndexParam, IndexType,
    LoadCollectionRequest, MetricType, ResultValue, SearchRequest, SearchVectors,
};
use serde::Deserialize;

const ID: &str = "id";
const EMBEDDING: &str = "embedding";

/// `[milvus]`: where the vectors live and how the index is built and searched.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilvusConfig {
    pub uri: String,
    /// Collection name prefix; the vector width is appended.
    pub collection: String,
    /// HNSW graph degree.
    pub hnsw_m: u32,
    /// HNSW candidate list while building.
    pub hnsw_ef_construction: u32,
    /// HNSW candidate list while searching (at least the k asked for).
    pub search_ef: u32,
    /// Deadline of each call.
    pub timeout_ms: u64,
}

/// A hit: the image id and its cosine similarity (1 is identical).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub score: f32,
}

/// The connected collection.
#[derive(Clone)]
pub struct Vectors {
    client: std::sync::Arc<ClientV2>,
    collection: String,
    dimension: usize,
    search_ef: u32,
}

type Failure = milvus::v2::error::Error;

impl Vectors {
    /// Connects, creates the collection and its index when missing, and loads it.
    pub async fn open(config: &MilvusConfig, dimension: usize) -> Result<Self, Failure> {
        let client = ClientV2::new(&ConnectConfig::new().uri(config.uri.clone())).await?;
        client.set_rpc_deadline(Duration::from_millis(config.timeout_ms));
        let collection = format!("{}_{dimension}d", config.collection);
        let exists = client
            .has_collection(
                HasCollectionRequest::builder()
                    .collection_name(&collection)
                    .build()?,
            )
            .await?
            .exists();
        if !exists {
            let schema = sdk::CollectionSchema::new()
                .add_field(
                    sdk::FieldSchema::new()
                        .name(ID)
                        .data_type(sdk::DataType::Int64)
                        .primary_key(true),
                )
                .add_field(
                    sdk::FieldSchema::new()
                        .name(EMBEDDING)
                        .data_type(sdk::DataType::FloatVector)
                        .dimension(dimension as u32),
                );
            let index = IndexParam::new()
                .field_name(EMBEDDING)
                .index_type(IndexType::Hnsw)
                .metric_type(MetricType::Cosine)
                .extra_params(HashMap::from([
                    ("M".into(), config.hnsw_m.to_string()),
                    (
                        "efConstruction".into(),
                        config.hnsw_ef_construction.to_string(),
                    ),
                ]));
            client
                .create_collection(
                    sdk::request::collection::CreateCollectionRequest::builder()
                        .collection_name(&collection)
                        .description("clipfed image embeddings")
                        .schema(schema)
                        .index_params(vec![index])
                        .consistency_level(ConsistencyLevel::Strong)
                        .build()?,
                )
                .await?;
            tracing::info!(milvus.collection = %collection, dimension, "created the image collection");
        }
        client
            .load_collection(
                LoadCollectionRequest::builder()
                    .collection_name(&collection)
                    .build()?,
            )
            .await?;
        Ok(Self {
            client: std::sync::Arc::new(client),
            collection,
            dimension,
            search_ef: config.search_ef,
        })
    }

    /// The collection's name.
    pub fn collection(&self) -> &str {
        &self.collection
    }

    /// Stores (or replaces) the vectors of `rows`.
    pub async fn upsert(&self, rows: &[(i64, Vec<f32>)]) -> Result<(), Failure> {
        if rows.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        let json: Vec<_> = rows
            .iter()
            .map(|(id, v)| serde_json::json!({ ID: id, EMBEDDING: v }))
            .collect();
        self.client
            .upsert(
                sdk::request::dml::UpsertRequest::builder()
                    .insert(
                        sdk::request::dml::InsertRequest::builder()
                            .collection_name(&self.collection)
                            .rows(json)
                            .build()?,
                    )
                    .build()?,
            )
            .await?;
        crate::metrics::milvus("upsert", started.elapsed());
        Ok(())
    }

    /// Removes the vectors of `ids` (absent ids are fine).
    pub async fn delete(&self, ids: &[i64]) -> Result<(), Failure> {
        if ids.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        // A literal list: milvus-lite does not take filter templates.
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        self.client
            .delete(
                sdk::request::dml::DeleteRequest::builder()
                    .collection_name(&self.collection)
                    .filter(format!("{ID} in [{}]", list.join(",")))
                    .build()?,
            )
            .await?;
        crate::metrics::milvus("delete", started.elapsed());
        Ok(())
    }

    /// The `k` nearest vectors by cosine similarity, best first.
    pub async fn search(&self, vector: Vec<f32>, k: usize) -> Result<Vec<Hit>, Failure> {
        debug_assert_eq!(vector.len(), self.dimension);
        let started = Instant::now();
        let ef = self.search_ef.max(k as u32);
        let answer = self
            .client
            .search(
                SearchRequest::builder()
                    .collection_name(&self.collection)
                    .vector_field(EMBEDDING)
                    .vectors(SearchVectors::Float(vec![vector]))
                    .limit(k as i64)
                    .metric_type(MetricType::Cosine)
                    .extra_params(HashMap::from([("ef".into(), ef.to_string())]))
                    .consistency_level(ConsistencyLevel::Strong)
                    .build()?,
            )
            .await?;
        let mut hits = Vec::new();
        for result in answer.results() {
            for row in result.rows()? {
                if let (ResultValue::Int64(id), ResultValue::Float(score)) =
                    (row.get(ID)?, row.get("score")?)
                {
                    hits.push(Hit { id, score });
                }
            }
        }
        crate::metrics::milvus("search", started.elapsed());
        Ok(hits)
    }
}
