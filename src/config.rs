//! Pipeline definitions (`pipelines/*.toml`): typed, every default a named constant, unknown keys rejected.

use crate::error::{Error, Result};
pub use crate::redact::config::{CustomRule, RedactConfig};
pub use crate::source::config::{SourceConfig, SourceSet};
use serde::Deserialize;

mod model;
pub use model::{
    vectors_id, ModelConfig, PoolingKind, DEFAULT_DIMENSION, DEFAULT_MODEL_ID, DEFAULT_WEAK_COSINE,
};
use std::path::Path;

/// The definition shipped in `pipelines/claude-code.toml`, compiled in. The other built-in formats' pipeline
/// files (`source::formats::FORMATS`) are its companions: the built-in pipeline also reads their sources, into
/// the same store.
const BUILTIN: &str = include_str!("../pipelines/claude-code.toml");

/// A pipeline definition (`pipelines/*.toml`): every setting of a run, with defaults for what the file omits.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    pub name: String,
    pub source: SourceConfig,
    pub parse: ParseConfig,
    pub embed: EmbedConfig,
    pub channels: ChannelConfig,
    pub budget: BudgetConfig,
    pub snapshot: SnapshotConfig,
    pub redact: RedactConfig,
    /// Where points go. Absent: the store this data dir already syncs to, else the embedded store.
    pub sink: Option<SinkConfig>,
    /// The sources of the other built-in pipelines, read alongside `source` (only by the built-in pipeline: a
    /// pipeline file reads its own source).
    #[serde(skip)]
    pub companions: Vec<SourceConfig>,
}

/// Which store a pipeline writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    /// The sled database in the data dir (no server).
    Embedded,
    /// A Qdrant server, over gRPC.
    Qdrant,
}

/// `[sink]`: the store, and for Qdrant how to reach it and how hard to try.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SinkConfig {
    pub kind: SinkKind,
    /// Qdrant's gRPC address (port 6334 by default; `https://` for TLS).
    pub url: String,
    pub collection: String,
    /// The environment variable holding the API key (never the key itself: pipeline files get shared).
    pub api_key_env: String,
    /// Use TLS even if `url` says `http://`.
    pub tls: bool,
    /// Longest wait for one request.
    pub timeout_ms: u64,
    pub connect_timeout_ms: u64,
    /// Retries of a failed request (unreachable, overloaded, timed out) before the run stops with an error.
    pub retries: u32,
    /// First pause between retries; it doubles each time (never past the run's budget).
    pub backoff_ms: u64,
}

impl Default for SinkConfig {
    fn default() -> Self {
        SinkConfig {
            kind: SinkKind::Embedded,
            url: "http://localhost:6334".to_string(),
            collection: "claude_code".to_string(),
            api_key_env: "QDRANT_API_KEY".to_string(),
            tls: false,
            timeout_ms: 10_000,
            connect_timeout_ms: 3_000,
            retries: 4,
            backoff_ms: 200,
        }
    }
}

/// `[parse]`: line size limit, chunk size and how often the parse stage emits a checkpoint.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ParseConfig {
    pub max_line_bytes: usize,
    pub chunk_max_tokens: usize,
    pub checkpoint_every_messages: usize,
}

/// `[embed]`: the model, its threads, batch sizes and token limit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbedConfig {
    pub threads: usize,
    pub max_length: usize,
    pub batch_size: usize,
    pub window_texts: usize,
    pub memory_arena: bool,
    /// Which model embeds, and where its files are.
    pub model: ModelConfig,
}

/// `[channels]`: the capacity of each bounded channel between stages (backpressure).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelConfig {
    pub parsed: usize,
    pub enhanced: usize,
    pub embedded: usize,
}

/// `[snapshot]`: how often a run republishes the search snapshot (0: only at the end).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SnapshotConfig {
    pub every_secs: u64,
}

impl Default for SnapshotConfig {
    fn default() -> Self {
        SnapshotConfig { every_secs: 30 }
    }
}

/// `[budget]`: the time kept at the end of a budget for the last commit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetConfig {
    pub commit_reserve_ms: u64,
}

impl BudgetConfig {
    /// A run's budget of `length` from `started` (`None`: no budget), with this commit reserve.
    pub fn budget(
        &self,
        started: std::time::Instant,
        length: Option<std::time::Duration>,
    ) -> crate::budget::Budget {
        crate::budget::Budget::new(
            started,
            length,
            std::time::Duration::from_millis(self.commit_reserve_ms),
        )
    }
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            name: "claude-code".to_string(),
            source: SourceConfig::default(),
            parse: ParseConfig::default(),
            embed: EmbedConfig::default(),
            channels: ChannelConfig::default(),
            budget: BudgetConfig::default(),
            snapshot: SnapshotConfig::default(),
            redact: RedactConfig::default(),
            sink: None,
            companions: Vec::new(),
        }
    }
}

impl Default for ParseConfig {
    fn default() -> Self {
        ParseConfig {
            max_line_bytes: 32 << 20,
            chunk_max_tokens: 200,
            checkpoint_every_messages: 16,
        }
    }
}

impl Default for EmbedConfig {
    fn default() -> Self {
        EmbedConfig {
            threads: 2,
            max_length: 256,
            batch_size: 2,
            window_texts: 64,
            memory_arena: true,
            model: ModelConfig::default(),
        }
    }
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            parsed: 256,
            enhanced: 256,
            embedded: 2,
        }
    }
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            commit_reserve_ms: 500,
        }
    }
}

impl PipelineConfig {
    /// Parses a definition; names the file in errors.
    fn from_toml(text: &str, origin: &str) -> Result<Self> {
        let cfg: PipelineConfig = toml::from_str(text)
            .map_err(|e| Error::Config(format!("pipeline definition {origin}: {e}")))?;
        cfg.validate(origin)?;
        Ok(cfg)
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// The built-in pipeline: `pipelines/claude-code.toml`, also reading every other built-in pipeline's source.
    pub fn builtin() -> Self {
        let mut cfg = Self::from_toml(BUILTIN, "(built-in)").unwrap_or_default();
        cfg.companions = crate::source::formats::FORMATS
            .iter()
            .filter(|f| f.agent != cfg.source.kind)
            .filter_map(|f| Self::from_toml(f.pipeline, f.pipeline_file).ok())
            .map(|c| c.source)
            .collect();
        cfg
    }

    /// The sources a run of this pipeline reads.
    pub fn sources(&self) -> SourceSet<'_> {
        SourceSet {
            sources: std::iter::once(&self.source)
                .chain(self.companions.iter())
                .collect(),
        }
    }

    /// What a run reads under `roots`: every source's formats and exclusions.
    pub fn discovery(&self, roots: Vec<std::path::PathBuf>) -> Result<crate::discover::Sources> {
        let set = self.sources();
        Ok(crate::discover::Sources {
            roots,
            exclusions: set.exclusions()?,
            formats: set.formats()?,
        })
    }

    fn validate(&self, origin: &str) -> Result<()> {
        let positive = [
            ("parse.max_line_bytes", self.parse.max_line_bytes),
            ("parse.chunk_max_tokens", self.parse.chunk_max_tokens),
            (
                "parse.checkpoint_every_messages",
                self.parse.checkpoint_every_messages,
            ),
            ("embed.threads", self.embed.threads),
            ("embed.max_length", self.embed.max_length),
            ("embed.batch_size", self.embed.batch_size),
            ("embed.window_texts", self.embed.window_texts),
            ("channels.parsed", self.channels.parsed),
            ("channels.enhanced", self.channels.enhanced),
            ("channels.embedded", self.channels.embedded),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(Error::Config(format!(
                    "pipeline definition {origin}: {name} must be at least 1"
                )));
            }
        }
        if let Some(sink) = &self.sink {
            sink.validate(origin)?;
        }
        self.source
            .validate()
            .map_err(|e| Error::Config(format!("pipeline definition {origin}: {e}")))?;
        if self.redact != RedactConfig::default() {
            crate::redact::Redactor::configured(&self.redact).map_err(|e| {
                Error::Config(format!("pipeline definition {origin}: [redact]: {e}"))
            })?;
        }
        self.embed.model.validate(origin)?;
        if self.parse.chunk_max_tokens + 2 > self.embed.max_length {
            return Err(Error::Config(format!(
                "pipeline definition {origin}: parse.chunk_max_tokens ({}) must leave room for [CLS]/[SEP] within embed.max_length ({})",
                self.parse.chunk_max_tokens, self.embed.max_length
            )));
        }
        Ok(())
    }
}

impl SinkConfig {
    pub fn validate(&self, origin: &str) -> Result<()> {
        if self.kind == SinkKind::Embedded {
            return Ok(());
        }
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(Error::Config(format!(
                "{origin}: sink.url {:?} must start with http:// or https:// (Qdrant's gRPC port, 6334 by default)",
                self.url
            )));
        }
        let valid_name = !self.collection.is_empty()
            && self
                .collection
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid_name {
            return Err(Error::Config(format!(
                "{origin}: sink.collection {:?} must be letters, digits, '_', '-' or '.'",
                self.collection
            )));
        }
        if self.timeout_ms == 0 || self.connect_timeout_ms == 0 {
            return Err(Error::Config(format!(
                "{origin}: sink.timeout_ms and sink.connect_timeout_ms must be at least 1"
            )));
        }
        Ok(())
    }

    /// The URL to connect to: `tls = true` turns `http://` into `https://`.
    pub fn effective_url(&self) -> String {
        match self.url.strip_prefix("http://") {
            Some(rest) if self.tls => format!("https://{rest}"),
            _ => self.url.clone(),
        }
    }

    /// The API key, read from `api_key_env` now.
    pub fn api_key(&self) -> Option<String> {
        std::env::var(&self.api_key_env)
            .ok()
            .filter(|k| !k.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_definition_is_the_default() {
        let mut parsed =
            PipelineConfig::from_toml(BUILTIN, "builtin").unwrap_or_else(|e| panic!("{e}"));
        let source = &parsed.source;
        assert_eq!(
            source.roots(),
            crate::source::layout::default_roots(source.kind)
        );
        assert_eq!(
            source.globs(),
            crate::source::layout::default_globs(source.kind)
        );
        assert_eq!(source.growth, Some(crate::source::layout::Growth::Append));
        parsed.source = SourceConfig::default();
        assert_eq!(parsed, PipelineConfig::default());
        // Every built-in format's file is a whole, valid pipeline definition, and the built-in pipeline reads
        // them all, its own source first.
        for f in crate::source::formats::FORMATS {
            let cfg = PipelineConfig::from_toml(f.pipeline, f.pipeline_file)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(cfg.source.kind, f.agent, "{}", f.pipeline_file);
        }
        let builtin = PipelineConfig::builtin();
        let kinds: Vec<_> = builtin.sources().sources.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                crate::message::Agent::ClaudeCode,
                crate::message::Agent::Codex,
                crate::message::Agent::GeminiCli
            ]
        );
        assert_eq!(
            crate::source::layout::default_roots(crate::message::Agent::Codex),
            ["${CODEX_HOME:-~/.codex}/sessions"]
        );
        assert_eq!(
            crate::source::layout::default_growth(crate::message::Agent::GeminiCli),
            crate::source::layout::Growth::Rewrite
        );
    }

    #[test]
    fn a_model_is_named_by_its_files_pooling_and_dimension() {
        let text = include_str!("../pipelines/claude-code-mpnet.toml");
        let cfg = PipelineConfig::from_toml(text, "claude-code-mpnet.toml")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.embed.model.dimension, 768);
        assert_eq!(cfg.embed.model.dir, "all-mpnet-base-v2");
        let e = PipelineConfig::from_toml("[embed.model]\ndir = \"/opt/bge\"\n", "noid.toml").err();
        assert!(e.is_some_and(|e| e.to_string().contains("its own embed.model.id")));
        let bge =
            "[embed.model]\nid = \"bge-small-en-v1.5\"\ndir = \"/opt/bge\"\npooling = \"cls\"\n";
        let cfg = PipelineConfig::from_toml(bge, "bge.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.embed.model.pooling, PoolingKind::Cls);
        assert_eq!(
            cfg.embed.model.onnx, "model.onnx",
            "unnamed files keep their usual names"
        );
        let e = PipelineConfig::from_toml("[embed.model]\npooling = \"max\"\n", "p.toml").err();
        assert!(e.is_some_and(|e| e.to_string().contains("p.toml")));
        let e = PipelineConfig::from_toml("[embed.model]\nid = \" \"\n", "i.toml").err();
        assert!(e.is_some_and(|e| e.to_string().contains("embed.model.id")));
        let qdrant_768 = "[embed.model]\nid = \"m\"\ndimension = 768\n[sink]\nkind = \"qdrant\"\n";
        let cfg = PipelineConfig::from_toml(qdrant_768, "q.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            cfg.embed.model.dimension, 768,
            "a Qdrant collection is made for the model's dimension"
        );
    }

    #[test]
    fn each_model_has_its_own_weak_match_cut_off() {
        let builtin = PipelineConfig::builtin();
        assert_eq!(builtin.embed.model.weak_cosine(), Some(DEFAULT_WEAK_COSINE));
        let text = include_str!("../pipelines/claude-code-mpnet.toml");
        let mpnet = PipelineConfig::from_toml(text, "claude-code-mpnet.toml")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mpnet.embed.model.weak_cosine(), Some(0.20));
        let bge = "[embed.model]\nid = \"bge-small-en-v1.5\"\ndir = \"/opt/bge\"\n";
        let cfg = PipelineConfig::from_toml(bge, "bge.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            cfg.embed.model.weak_cosine(),
            None,
            "a model nobody measured hides nothing"
        );
        let own = "[embed.model]\nweak_cosine = 0.1\n";
        let cfg = PipelineConfig::from_toml(own, "own.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.embed.model.weak_cosine(), Some(0.1));
        let e = PipelineConfig::from_toml("[embed.model]\nweak_cosine = 1.5\n", "w.toml").err();
        assert!(e.is_some_and(|e| {
            let e = e.to_string();
            e.contains("w.toml") && e.contains("embed.model.weak_cosine")
        }));
    }

    #[test]
    fn unknown_keys_and_zero_values_are_errors() {
        let e = PipelineConfig::from_toml("[embed]\nthreadz = 2\n", "x.toml")
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|m| m.contains("x.toml") && m.contains("threadz")),
            "{e:?}"
        );
        let e = PipelineConfig::from_toml("[embed]\nbatch_size = 0\n", "y.toml")
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|m| m.contains("embed.batch_size")),
            "{e:?}"
        );
        assert!(PipelineConfig::from_toml("[parse]\nchunk_max_tokens = 400\n", "z").is_err());
    }

    #[test]
    fn the_qdrant_pipeline_file_parses_and_sink_values_are_checked() {
        let text = include_str!("../pipelines/claude-code-qdrant.toml");
        let cfg = PipelineConfig::from_toml(text, "claude-code-qdrant.toml");
        let sink = cfg.ok().and_then(|c| c.sink);
        assert_eq!(sink.as_ref().map(|s| s.kind), Some(SinkKind::Qdrant));
        let e = PipelineConfig::from_toml(
            "[sink]\nkind = \"qdrant\"\nurl = \"localhost:6334\"\n",
            "q.toml",
        )
        .err()
        .map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|m| m.contains("sink.url")),
            "{e:?}"
        );
        let e = PipelineConfig::from_toml(
            "[sink]\nkind = \"qdrant\"\ncollection = \"a b\"\n",
            "q.toml",
        );
        assert!(e.is_err());
        let e = PipelineConfig::from_toml("[sink]\nkind = \"mongo\"\n", "q.toml");
        assert!(e.is_err());
        let tls = SinkConfig {
            tls: true,
            url: "http://q.example:6334".into(),
            ..SinkConfig::default()
        };
        assert_eq!(tls.effective_url(), "https://q.example:6334");
    }
}
