//! Default locations: data dir, model dir and transcript sources.

use std::path::PathBuf;

pub fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `$XDG_DATA_HOME`, else `~/.local/share`.
pub fn xdg_data_home() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".local").join("share"))
}

/// `$PIPELINE_DATA_DIR`, else `$XDG_DATA_HOME/pipeline/data`.
pub fn default_data_dir() -> PathBuf {
    std::env::var_os("PIPELINE_DATA_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| xdg_data_home().join("pipeline").join("data"))
}

/// Source directories made absolute, so that a file is keyed (checkpoint, `source_path`) the same whatever the
/// working directory of the command that reads it.
pub fn absolute_sources(sources: &[PathBuf]) -> Vec<PathBuf> {
    sources
        .iter()
        .map(|s| std::path::absolute(s).unwrap_or_else(|_| s.clone()))
        .collect()
}
