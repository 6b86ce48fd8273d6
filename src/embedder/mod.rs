//! The embedding model, run by ONNX Runtime through fastembed and loaded only from local files: by default
//! all-MiniLM-L6-v2 (int8 ONNX, 384-d, mean pooling, L2-normalized) as `make model` installs it, or any ONNX
//! sentence-embedding model `[embed.model]` names (files, pooling, dimension), with an optional second model for
//! questions in plain words (`[embed.model.plain_questions]`).
//!
//! With two models a text's vector is both models' unit vectors side by side, each scaled by `1/√2`, so it is a
//! unit vector and its cosine to a query embedded the same way is the mean of the two models' cosines. A query
//! asked of the first model alone leaves the second model's half zero ([`Embedder::embed_query`]): its cosine to
//! a stored vector is the first model's cosine divided by `√2`, which orders candidates as that model alone does.
//! The stores need no change: they hold one vector per point, as with one model.

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
    /// The second model, for questions in plain words, and the length of its vectors.
    second: Option<(TextEmbedding, usize)>,
    batch_size: usize,
    /// The vectors' id: the model's, or both models' joined by `+`.
    id: String,
    /// Length of the stored vectors (both models' together).
    dimension: usize,
    weak_cosine: Option<f32>,
    /// The second model's cut-off, for the mean cosine of a question in plain words.
    plain_weak_cosine: Option<f32>,
}

/// Each model's share of a two-model vector: `1/√2`, so the whole is a unit vector.
const HALF: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Loads one model's session and checks that its vectors are `files.dimension` long (`table` names its
/// configuration in the message).
fn load_model(
    files: &ModelFiles,
    settings: EmbedderSettings,
    table: &str,
) -> Result<TextEmbedding> {
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
    let mut model = TextEmbedding::try_new_from_user_defined(model, options)
        .map_err(|e| Error::embed(format!("loading {}", files.model.display()), e))?;
    // One probe: a model whose vectors are not `dimension` long is refused now, not after hours of syncing.
    let probe = model
        .embed(["dimension probe"], Some(1))
        .map_err(|e| Error::embed(files.model.display().to_string(), e))?;
    let got = probe.first().map_or(0, Vec::len);
    if got != files.dimension {
        return Err(Error::embed_result(format!(
            "{} returns {got}-dimensional vectors, but {table}.dimension is {}",
            files.model.display(),
            files.dimension
        )));
    }
    Ok(model)
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
        let model = load_model(files, settings, "embed.model")?;
        let second_files = files.plain_questions.as_deref();
        let second = second_files
            .map(|s| {
                load_model(s, settings, "embed.model.plain_questions").map(|m| (m, s.dimension))
            })
            .transpose()?;
        Ok(Embedder {
            model,
            batch_size: settings.batch_size.max(1),
            id: files.vectors_id(),
            dimension: files.vectors_dimension(),
            second,
            weak_cosine: files.weak_cosine,
            plain_weak_cosine: second_files.and_then(|s| s.weak_cosine),
        })
    }

    /// The vectors' id: `embed.model.id`, joined by `+` to the second model's when there is one.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Below this cosine to a query, a hit holding none of its words is a weak match (`embed.model.weak_cosine`).
    pub fn weak_cosine(&self) -> Option<f32> {
        self.weak_cosine
    }

    /// The weak-match cut-off for a query embedded by [`Embedder::embed_query`] with `plain`, on the scale of
    /// the stored vectors' cosines to it: with two models, the second model's cut-off for a question in plain
    /// words (a mean cosine), else the first model's divided by [`Embedder::cosine_scale`].
    pub fn weak_cosine_for(&self, plain: bool) -> Option<f32> {
        match (&self.second, plain) {
            (None, _) => self.weak_cosine,
            (Some(_), true) => self.plain_weak_cosine,
            (Some(_), false) => self.weak_cosine.map(|c| c / self.cosine_scale(false)),
        }
    }

    /// Whether a second model embeds beside the first, for questions in plain words.
    pub fn has_plain_questions_model(&self) -> bool {
        self.second.is_some()
    }

    /// What turns the stored vectors' cosine to a query embedded with `plain` into its models' own: `√2` for a
    /// query asked of the first of two models alone (the second model's half of each stored vector counts
    /// nothing), else 1.
    pub fn cosine_scale(&self, plain: bool) -> f32 {
        if self.second.is_some() && !plain {
            std::f32::consts::SQRT_2
        } else {
            1.0
        }
    }

    /// Length of every vector this embedder returns (both models' together).
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Embeds texts in the given order; each vector is L2-normalized (cosine = dot product).
    pub fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let mut vectors = self.embed_first(texts)?;
        if let Some((second, _)) = self.second.as_mut() {
            let more = second
                .embed(texts, Some(self.batch_size))
                .map_err(|e| Error::embed(format!("{} texts", texts.len()), e))?;
            if more.len() != vectors.len() {
                return Err(Error::embed_result(format!(
                    "the second model returned {} vectors for {} texts",
                    more.len(),
                    texts.len()
                )));
            }
            for (v, m) in vectors.iter_mut().zip(more) {
                v.iter_mut().for_each(|x| *x *= HALF);
                v.extend(m.into_iter().map(|x| x * HALF));
            }
        }
        self.checked(vectors, texts.len())
    }

    /// Embeds queries: as [`Embedder::embed`] does, except that with two models a query not in plain words is
    /// asked of the first model alone (its vector has the second model's half zero, and the second model does
    /// not run).
    pub fn embed_query(&mut self, texts: &[&str], plain: bool) -> Result<Vec<Vec<f32>>> {
        let Some((_, second_dimension)) = self.second.as_ref().filter(|_| !plain) else {
            return self.embed(texts);
        };
        let zeros = *second_dimension;
        let mut vectors = self.embed_first(texts)?;
        for v in &mut vectors {
            v.resize(v.len() + zeros, 0.0);
        }
        self.checked(vectors, texts.len())
    }

    /// The first model's vectors.
    fn embed_first(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        self.model
            .embed(texts, Some(self.batch_size))
            .map_err(|e| Error::embed(format!("{} texts", texts.len()), e))
    }

    /// `vectors`, if there is one of the full length per text.
    fn checked(&self, vectors: Vec<Vec<f32>>, texts: usize) -> Result<Vec<Vec<f32>>> {
        if vectors.len() != texts || vectors.iter().any(|v| v.len() != self.dimension) {
            return Err(Error::embed_result(format!(
                "model returned {} vectors for {} texts",
                vectors.len(),
                texts
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
