//! The built-in formats, one [`Format`] each: the only list the rest of the program reads them from. A format's
//! default roots, globs and growth are the `[source]` of its own pipeline file (compiled in), so the shipped
//! files and the defaults cannot disagree.

use super::config::SourceConfig;
use super::{RecordAssembler, SourceState};
use crate::message::Agent;
use crate::redact::Redactor;
use serde::Deserialize;
use std::sync::{Arc, OnceLock};

/// Builds the assembler for a file at a path, resuming a state (a state of another format starts fresh).
pub type NewAssembler = fn(&str, SourceState, Option<Arc<Redactor>>) -> Box<dyn RecordAssembler>;

/// One history format.
pub struct Format {
    pub agent: Agent,
    /// Raised when the format's rules change what its files give (new content, another project): a data dir
    /// whose checkpoints of this format were written by an older version reads those files again, once
    /// ([`crate::reindex::prepare_formats`]). Starts at 1.
    pub version: u32,
    /// Its pipeline file's name under `pipelines/`, and its text.
    pub pipeline_file: &'static str,
    pub pipeline: &'static str,
    pub assembler: NewAssembler,
    /// Whether the file at `path` is rewritten in place, so it is read whole each time it changes.
    pub read_whole: fn(&str) -> bool,
}

/// Every built-in format, in the order a file is matched against their globs: the first whose globs claim it
/// wins, so Claude Code's `**/*.jsonl` comes last.
pub static FORMATS: [&Format; 3] = [
    &super::codex::FORMAT,
    &super::gemini::FORMAT,
    &super::claude_code::FORMAT,
];

/// The format of `agent`'s files.
pub fn format(agent: Agent) -> &'static Format {
    FORMATS
        .iter()
        .copied()
        .find(|f| f.agent == agent)
        .unwrap_or(&super::claude_code::FORMAT)
}

/// The `[source]` of `agent`'s built-in pipeline file: its default roots, globs and growth.
pub fn defaults(agent: Agent) -> &'static SourceConfig {
    static PARSED: OnceLock<Vec<SourceConfig>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| FORMATS.iter().map(|f| source_of(f)).collect());
    FORMATS
        .iter()
        .position(|f| f.agent == agent)
        .and_then(|i| parsed.get(i))
        .unwrap_or_else(|| empty())
}

fn empty() -> &'static SourceConfig {
    static EMPTY: OnceLock<SourceConfig> = OnceLock::new();
    EMPTY.get_or_init(SourceConfig::default)
}

/// Only the `[source]` table of a pipeline file (the rest is the pipeline's settings, read by `crate::config`).
#[derive(Deserialize)]
struct SourceTable {
    #[serde(default)]
    source: SourceConfig,
}

/// The `[source]` of a built-in pipeline file. The files are compiled in and checked by a test; one that did not
/// parse would give an empty source (no roots), never a panic.
fn source_of(format: &Format) -> SourceConfig {
    toml::from_str::<SourceTable>(format.pipeline)
        .map(|t| t.source)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_pipeline_file_names_its_agent_roots_globs_and_growth() {
        for f in FORMATS {
            let s = source_of(f);
            assert_eq!(s.kind, f.agent, "{}", f.pipeline_file);
            assert!(
                s.roots.as_ref().is_some_and(|r| !r.is_empty()),
                "{}",
                f.pipeline_file
            );
            assert!(
                s.globs.as_ref().is_some_and(|g| !g.is_empty()),
                "{}",
                f.pipeline_file
            );
            assert!(s.growth.is_some(), "{}", f.pipeline_file);
            assert!(std::ptr::eq(format(f.agent), f));
            let on_disk = std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("pipelines")
                    .join(f.pipeline_file),
            )
            .unwrap_or_default();
            assert_eq!(
                on_disk, f.pipeline,
                "{} is the file shipped",
                f.pipeline_file
            );
        }
        let agents: Vec<Agent> = FORMATS.iter().map(|f| f.agent).collect();
        assert_eq!(
            agents.last(),
            Some(&Agent::ClaudeCode),
            "the catch-all last"
        );
        assert_eq!(agents.len(), Agent::ALL.len(), "every agent has a format");
    }
}
