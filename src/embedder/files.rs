//! Where the model and the runtime live: one directory shared by every data dir.

use crate::config::{ModelConfig, PoolingKind};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// `$PIPELINE_MODEL_DIR`, else `$XDG_DATA_HOME/pipeline/models`, else `~/.local/share/pipeline/models`.
pub fn default_model_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PIPELINE_MODEL_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    crate::paths::xdg_data_home()
        .join("pipeline")
        .join("models")
}

/// The files the embedder needs, and what the model produces.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub model: PathBuf,
    pub tokenizer: PathBuf,
    pub config: PathBuf,
    pub special_tokens_map: PathBuf,
    pub tokenizer_config: PathBuf,
    pub runtime: PathBuf,
    /// Names the vectors (cache keys, payloads, the data dir's model record).
    pub id: String,
    pub pooling: PoolingKind,
    pub dimension: usize,
    /// Below this cosine a hit with none of the query's words is a weak match ([`ModelConfig::weak_cosine`]).
    pub weak_cosine: Option<f32>,
    /// The second model, for questions in plain words (`embed.model.plain_questions`).
    pub plain_questions: Option<Box<ModelFiles>>,
}

impl ModelFiles {
    /// The default model (all-MiniLM-L6-v2) in the layout `scripts/install-model.sh` writes under `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self::from_config(dir, &ModelConfig::default())
    }

    /// The model a pipeline definition names; relative paths are under `dir`, the model directory. The runtime is
    /// `dir/onnxruntime/libonnxruntime.so` unless `ORT_DYLIB_PATH` names another.
    pub fn from_config(dir: &Path, model: &ModelConfig) -> Self {
        let m = dir.join(&model.dir);
        let tokenizer = m.join(&model.tokenizer);
        let beside = tokenizer
            .parent()
            .map_or_else(|| m.clone(), Path::to_path_buf);
        let runtime = std::env::var_os("ORT_DYLIB_PATH")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| dir.join("onnxruntime").join("libonnxruntime.so"));
        ModelFiles {
            model: m.join(&model.onnx),
            tokenizer,
            config: beside.join("config.json"),
            special_tokens_map: beside.join("special_tokens_map.json"),
            tokenizer_config: beside.join("tokenizer_config.json"),
            runtime,
            id: model.id.clone(),
            pooling: model.pooling,
            dimension: model.dimension,
            weak_cosine: model.weak_cosine(),
            // The second model's cut-off is for a mean cosine: only its own, never the default model's 0.25.
            plain_questions: model.plain_questions.as_ref().map(|second| {
                Box::new(ModelFiles {
                    weak_cosine: second.weak_cosine,
                    ..Self::from_config(dir, second)
                })
            }),
        }
    }

    /// The id the vectors are stored under ([`crate::config::ModelConfig::vectors_id`]).
    pub fn vectors_id(&self) -> String {
        crate::config::vectors_id(
            &self.id,
            self.plain_questions.as_ref().map(|s| s.id.as_str()),
        )
    }

    /// Length of the stored vectors: both models' together.
    pub fn vectors_dimension(&self) -> usize {
        self.dimension + self.plain_questions.as_ref().map_or(0, |s| s.dimension)
    }

    /// Every file exists and is readable, the second model's too.
    pub fn check(&self) -> Result<()> {
        let second = self.plain_questions.iter().flat_map(|s| s.all());
        for path in self.all().into_iter().chain(second) {
            if let Err(e) = std::fs::File::open(path) {
                return Err(Error::ModelMissing {
                    message: format!("model file {} is not readable ({e})", path.display()),
                });
            }
        }
        Ok(())
    }

    pub fn all(&self) -> [&PathBuf; 6] {
        [
            &self.model,
            &self.tokenizer,
            &self.config,
            &self.special_tokens_map,
            &self.tokenizer_config,
            &self.runtime,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_name_the_make_target() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let err = ModelFiles::in_dir(dir.path())
            .check()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("make model"), "{err}");
        assert!(err.contains("model.onnx"), "{err}");
    }

    #[test]
    fn a_second_model_keeps_only_its_own_cut_off() {
        let pair = ModelConfig {
            id: "mpnet".into(),
            dir: "all-mpnet-base-v2".into(),
            dimension: 768,
            plain_questions: Some(Box::new(ModelConfig::default())),
            ..ModelConfig::default()
        };
        let files = ModelFiles::from_config(Path::new("/models"), &pair);
        assert_eq!(ModelConfig::default().weak_cosine(), Some(0.25));
        let second = files.plain_questions.as_deref();
        assert_eq!(
            second.map(|s| s.weak_cosine),
            Some(None),
            "MiniLM's 0.25 is for its own cosines, not for the mean of two"
        );
        assert_eq!(
            files.vectors_id(),
            format!("mpnet+{}", ModelConfig::default().id)
        );
        assert_eq!(files.vectors_dimension(), 768 + 384);
    }
}
