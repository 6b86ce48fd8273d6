//! `[source]` of a pipeline file: which agent's history it reads, where, which files, how they grow, and which
//! are never read.

use super::layout::{self, Formats, Growth};
use crate::error::{Error, Result};
use crate::message::Agent;
use serde::Deserialize;
use std::path::PathBuf;

/// `[source]`: every key but `kind` defaults to what the agent itself uses.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceConfig {
    /// Whose history: `claude-code`, `codex` or `gemini-cli`.
    pub kind: Agent,
    /// Where its files are (see [`layout::expand_root`]); absent: the agent's own locations.
    pub roots: Option<Vec<String>>,
    /// Which files below a root are its (globs over the path below the root); absent: the agent's naming.
    pub globs: Option<Vec<String>>,
    /// How its files change; absent: how the agent writes them. Stated in a pipeline file to document it: a
    /// format is read one way, so another value is an error.
    pub growth: Option<Growth>,
    /// Globs over a transcript's path and its directories, and over the session's working directory and its
    /// parents: never read.
    pub exclude: Vec<String>,
}

impl SourceConfig {
    /// The compiled exclusions (checked when the pipeline file loads).
    pub fn exclusions(&self) -> Result<crate::exclude::Exclusions> {
        crate::exclude::Exclusions::new(&self.exclude).map_err(|e| Error::Config(e.to_string()))
    }

    pub fn roots(&self) -> Vec<String> {
        self.roots
            .clone()
            .unwrap_or_else(|| layout::default_roots(self.kind))
    }

    pub fn globs(&self) -> Vec<String> {
        self.globs
            .clone()
            .unwrap_or_else(|| layout::default_globs(self.kind))
    }

    /// Errors naming the key: an unread format, a growth the format is not read with, bad globs.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let growth = layout::default_growth(self.kind);
        if self.growth.is_some_and(|g| g != growth) {
            return Err(format!(
                "[source] growth: {} files are read as {growth:?} (append or rewrite is a property of the format)",
                self.kind
            ));
        }
        Formats::new(&[(self.kind, self.globs())])?;
        self.exclusions().map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// The sources one run reads: a pipeline file's own, plus (for the built-in pipeline) every other built-in.
#[derive(Debug, Clone)]
pub struct SourceSet<'a> {
    pub sources: Vec<&'a SourceConfig>,
}

impl SourceSet<'_> {
    /// The directories that exist among every source's roots, each once, in order.
    pub fn existing_roots(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        let mut seen: Vec<PathBuf> = Vec::new();
        for source in &self.sources {
            for root in source.roots() {
                for dir in layout::expand_root(&root, &layout::process_env) {
                    let canonical = std::fs::canonicalize(&dir).unwrap_or(dir.clone());
                    if dir.is_dir() && !seen.contains(&canonical) {
                        seen.push(canonical);
                        out.push(dir);
                    }
                }
            }
        }
        out
    }

    /// Which format each file is (see [`Formats::reading`]).
    pub fn formats(&self) -> Result<Formats> {
        let globs: Vec<(Agent, Vec<String>)> =
            self.sources.iter().map(|s| (s.kind, s.globs())).collect();
        Formats::reading(&globs).map_err(Error::Config)
    }

    /// Every source's exclusions together.
    pub fn exclusions(&self) -> Result<crate::exclude::Exclusions> {
        let all: Vec<String> = self
            .sources
            .iter()
            .flat_map(|s| s.exclude.iter().cloned())
            .collect();
        crate::exclude::Exclusions::new(&all).map_err(|e| Error::Config(e.to_string()))
    }

    /// The names of the agents, for messages.
    pub fn describe_roots(&self) -> String {
        self.sources
            .iter()
            .map(|s| format!("{}: {}", s.kind, s.roots().join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    }
}
