//! Pipeline definitions (`pipelines/*.toml`): typed, every default a named constant, unknown keys rejected.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// The definition shipped in `pipelines/claude-code.toml`, compiled in.
pub const BUILTIN: &str = include_str!("../pipelines/claude-code.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    pub name: String,
    pub parse: ParseConfig,
    pub embed: EmbedConfig,
    pub channels: ChannelConfig,
    pub budget: BudgetConfig,
    pub snapshot: SnapshotConfig,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ParseConfig {
    pub max_line_bytes: usize,
    pub chunk_max_tokens: usize,
    pub checkpoint_every_messages: usize,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbedConfig {
    pub threads: usize,
    pub max_length: usize,
    pub batch_size: usize,
    pub window_texts: usize,
    pub memory_arena: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelConfig {
    pub parsed: usize,
    pub enhanced: usize,
    pub embedded: usize,
}

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

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetConfig {
    pub commit_reserve_ms: u64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            name: "claude-code".to_string(),
            parse: ParseConfig::default(),
            embed: EmbedConfig::default(),
            channels: ChannelConfig::default(),
            budget: BudgetConfig::default(),
            snapshot: SnapshotConfig::default(),
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
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        let cfg: PipelineConfig = toml::from_str(text)
            .map_err(|e| Error::Config(format!("pipeline definition {origin}: {e}")))?;
        cfg.validate(origin)?;
        Ok(cfg)
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_toml(&text, &path.display().to_string())
    }

    pub fn builtin() -> Self {
        Self::from_toml(BUILTIN, "(built-in)").unwrap_or_default()
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
        if self.parse.chunk_max_tokens + 2 > self.embed.max_length {
            return Err(Error::Config(format!(
                "pipeline definition {origin}: parse.chunk_max_tokens ({}) must leave room for [CLS]/[SEP] within embed.max_length ({})",
                self.parse.chunk_max_tokens, self.embed.max_length
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_definition_is_the_default() {
        let parsed = PipelineConfig::from_toml(BUILTIN, "builtin");
        assert_eq!(parsed.ok(), Some(PipelineConfig::default()));
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
}
