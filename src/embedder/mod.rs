//! The embedding model, run by ONNX Runtime through fastembed and loaded only from local files: by default
//! all-MiniLM-L6-v2 (int8 ONNX, 384-d, mean pooling, L2-normalized) as `make model` installs it, or any ONNX
//! sentence-embedding model `[embed.model]` names (files, pooling, dimension).

mod files;

pub use files::{default_model_dir, ModelFiles};

use crate::config::PoolingKind;
use crate::error::{Error, Result};
use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};

/// The default model's id and dimension (defined with the configuration's defaults).
pub use crate::config::{DEFAULT_DIMENSION as DIMENSION, DEFAULT_MODEL_ID as MODEL_ID};

/// Settings of the embedding session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbedderSettings {
    /// ONNX Runtime intra-op threads.
    pub threads: usize,
    /// Tokens per text the model sees (longer texts are truncated by the tokenizer; chunking keeps them shorter).
    pub max_length: usize,
    /// Texts per forward pass.
    pub batch_size: usize,
    /// ONNX Runtime's CPU memory arena: faster reuse of buffers, but it keeps the largest batch's worth of memory.
    pub memory_arena: bool,
}

impl EmbedderSettings {
    /// The settings a pipeline definition asks for.
    pub fn from_config(embed: &crate::config::EmbedConfig) -> Self {
        EmbedderSettings {
            threads: embed.threads,
            max_length: embed.max_length,
            batch_size: embed.batch_size,
            memory_arena: embed.memory_arena,
        }
    }
}

/// A loaded model, ready to embed. Not `Sync`: one stage owns it.
pub struct Embedder {
    model: TextEmbedding,
    batch_size: usize,
    id: String,
    dimension: usize,
    weak_cosine: Option<f32>,
}

impl Embedder {
    /// Loads the runtime library and the model. A missing file is a clear error naming `make model`; the runtime
    /// is loaded from an explicit path, so a broken install is an error, never a panic.
    pub fn load(files: &ModelFiles, settings: EmbedderSettings) -> Result<Self> {
        files.check()?;
        ort::init_from(&files.runtime).map_err(|e| Error::ModelMissing {
            message: format!(
                "cannot load ONNX Runtime from {}: {e}",
                files.runtime.display()
            ),
        })?;
        let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| Error::io(p, e));
        let tokenizer = TokenizerFiles {
            tokenizer_file: read(&files.tokenizer)?,
            config_file: read(&files.config)?,
            special_tokens_map_file: read(&files.special_tokens_map)?,
            tokenizer_config_file: read(&files.tokenizer_config)?,
        };
        let pooling = match files.pooling {
            PoolingKind::Mean => Pooling::Mean,
            PoolingKind::Cls => Pooling::Cls,
        };
        let model =
            UserDefinedEmbeddingModel::new(read(&files.model)?, tokenizer).with_pooling(pooling);
        let options = InitOptionsUserDefined::new()
            .with_max_length(settings.max_length)
            .with_intra_threads(settings.threads.max(1))
            .with_execution_providers(vec![ort::ep::CPU::default()
                .with_arena_allocator(settings.memory_arena)
                .build()]);
        let model = TextEmbedding::try_new_from_user_defined(model, options)
            .map_err(|e| Error::embed(format!("loading {}", files.model.display()), e))?;
        let mut embedder = Embedder {
            model,
            batch_size: settings.batch_size.max(1),
            id: files.id.clone(),
            dimension: files.dimension,
            weak_cosine: files.weak_cosine,
        };
        // One probe: a model whose vectors are not `dimension` long is refused now, not after hours of syncing.
        let probe = embedder
            .model
            .embed(["dimension probe"], Some(1))
            .map_err(|e| Error::embed(files.model.display().to_string(), e))?;
        let got = probe.first().map_or(0, Vec::len);
        if got != files.dimension {
            return Err(Error::embed_result(format!(
                "{} returns {got}-dimensional vectors, but embed.model.dimension is {}",
                files.model.display(),
                files.dimension
            )));
        }
        embedder.dimension = got;
        Ok(embedder)
    }

    /// The model's id (`embed.model.id`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Below this cosine to a query, a hit holding none of its words is a weak match (`embed.model.weak_cosine`).
    pub fn weak_cosine(&self) -> Option<f32> {
        self.weak_cosine
    }

    /// Length of every vector this model returns.
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Embeds texts in the given order; each vector is L2-normalized (cosine = dot product).
    pub fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let vectors = self
            .model
            .embed(texts, Some(self.batch_size))
            .map_err(|e| Error::embed(format!("{} texts", texts.len()), e))?;
        if vectors.len() != texts.len() || vectors.iter().any(|v| v.len() != self.dimension) {
            return Err(Error::embed_result(format!(
                "model returned {} vectors for {} texts",
                vectors.len(),
                texts.len()
            )));
        }
        Ok(vectors)
    }

    /// Real token counts (with `[CLS]`/`[SEP]`, before truncation), for batching and benchmarks.
    pub fn token_counts(&self, texts: &[&str]) -> Vec<usize> {
        texts
            .iter()
            .map(|t| {
                self.model
                    .tokenizer
                    .encode(*t, true)
                    .map(|e| e.get_ids().len())
                    .unwrap_or(0)
            })
            .collect()
    }
}

/// Cosine similarity of two vectors (plain dot product for normalized vectors, but safe for any).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}
