//! Run history and resume settings, kept in the store's `meta` tree.

use crate::error::Result;
use crate::store::SyncState;
use crate::sync::{RunSettings, RunSummary};

const RUN_PREFIX: &str = "run/";
const RESUME_KEY: &str = "resume";
const SOURCES_KEY: &str = "sources";
/// Runs kept in the history.
const KEEP_RUNS: usize = 50;

/// Appends a run to the history (dropping the oldest beyond `KEEP_RUNS`).
pub fn record_run(store: &SyncState, summary: &RunSummary) -> Result<()> {
    let runs = store.meta_scan(RUN_PREFIX);
    let next = runs
        .last()
        .and_then(|(k, _)| k.strip_prefix(RUN_PREFIX)?.parse::<u64>().ok())
        .map_or(1, |n| n + 1);
    let json = crate::codec::json_bytes("run summary", summary)?;
    store.meta_put(&format!("{RUN_PREFIX}{next:016}"), &json)?;
    if runs.len() + 1 > KEEP_RUNS {
        for (k, _) in runs.iter().take(runs.len() + 1 - KEEP_RUNS) {
            store.meta_remove(k)?;
        }
    }
    Ok(())
}

/// The most recent runs, oldest first.
pub fn recent_runs(store: &SyncState, n: usize) -> Vec<RunSummary> {
    let runs = store.meta_scan(RUN_PREFIX);
    let skip = runs.len().saturating_sub(n);
    runs.into_iter()
        .skip(skip)
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect()
}

/// The transcript directories of the last run.
pub fn saved_sources(store: &SyncState) -> Option<Vec<std::path::PathBuf>> {
    store
        .meta_get(SOURCES_KEY)
        .ok()
        .flatten()
        .and_then(|v| serde_json::from_slice(&v).ok())
}

pub fn save_sources(store: &SyncState, sources: &[std::path::PathBuf]) -> Result<()> {
    store.meta_put(
        SOURCES_KEY,
        &crate::codec::json_bytes("source list", sources)?,
    )
}

/// Remembers the settings of a run that stopped early, for `pipeline resume`.
pub fn save_resume(store: &SyncState, settings: &RunSettings) -> Result<()> {
    store.meta_put(
        RESUME_KEY,
        &crate::codec::json_bytes("resume settings", settings)?,
    )
}

pub fn clear_resume(store: &SyncState) -> Result<()> {
    store.meta_remove(RESUME_KEY)
}

pub fn load_resume(store: &SyncState) -> Result<Option<RunSettings>> {
    Ok(store
        .meta_get(RESUME_KEY)?
        .and_then(|v| serde_json::from_slice(&v).ok()))
}
