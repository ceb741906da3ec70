//! The search service's ways out to other systems: [`embed`] (image → vector: ONNX in process or
//! a remote model), [`vectors`] (Milvus), [`objects`] (image bytes in S3).

pub mod embed;
pub mod objects;
pub mod vectors;
