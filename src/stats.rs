//! `pipeline stats`: how far the sync is, what the store holds, and how the last runs went.

use crate::checkpoint::FileStat;
use crate::discover::FoundFile;
pub use crate::store::StoreStats;
use crate::store::{EmbeddedStore, SyncState};
use crate::sync::RunSummary;
use serde::Serialize;
use std::collections::BTreeMap;

/// Budget the "runs left" estimate is made for (the 2-minute tool-call limit, less a margin).
const ESTIMATE_BUDGET_SECS: f64 = 110.0;

/// Transcript files by progress: complete, partly stored, not started, with their bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileProgressStats {
    pub total: u64,
    pub complete: u64,
    pub partial: u64,
    pub pending: u64,
    /// Checkpointed files that no longer exist (their points are kept).
    pub deleted: u64,
    /// Transcripts left out by `[source] exclude` or an opt-out marker (not in `total`).
    pub excluded: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub percent_done: f64,
}

/// What `pipeline stats` (and the MCP `get_sync_stats` tool) reports: file progress, store counts, recent runs
/// and the number of budgeted runs still needed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub files: FileProgressStats,
    pub store: StoreStats,
    pub malformed_lines: u64,
    pub unreadable_checkpoints: u64,
    pub last_runs: Vec<RunSummary>,
    /// Runs of 110 s still needed at the speed of recent runs (None before any run made progress).
    pub estimated_runs_left: Option<u64>,
    /// Watch mode: lag, events handled, rescans (None if `pipeline watch` never ran here).
    pub watch: Option<crate::watch::WatchReport>,
}

impl StoreStats {
    /// What a Qdrant collection holds, counted on the server (on `handle`). Call it before opening the data
    /// dir's database: these requests may take a while when Qdrant is slow, and nothing else could open it meanwhile.
    pub fn of_qdrant(
        sink: &crate::config::SinkConfig,
        handle: tokio::runtime::Handle,
    ) -> crate::error::Result<StoreStats> {
        let q = crate::store::qdrant::QdrantStore::connect(sink, handle)?;
        q.verify_collection()?;
        q.store_stats()
    }

    /// What the embedded store holds (read point by point).
    pub fn of_embedded(store: &EmbeddedStore) -> StoreStats {
        let mut s = StoreStats::default();
        for (_, point) in store.points().filter_map(|p| p.ok()) {
            let p = &point.payload;
            s.points += 1;
            for kind in &p.redacted {
                *s.redactions.entry(kind.clone()).or_default() += 1;
            }
            if p.chunk_index != 0 {
                continue;
            }
            s.messages += 1;
            *s.by_kind.entry(p.kind.as_str().to_string()).or_default() += 1;
            s.with_topics += u64::from(!p.topics.is_empty());
            s.solution_attempts += u64::from(p.is_solution_attempt);
            if let Some(v) = &p.validation {
                if v.strength > 0.0 {
                    s.validated_solutions += 1;
                } else if v.strength < 0.0 {
                    s.refuted_solutions += 1;
                }
            }
            s.feedback_links += u64::from(p.feedback.is_some());
            s.adjacency_links += u64::from(p.parent_message_id.is_some());
        }
        s.size_on_disk_bytes = store.state().size_on_disk();
        s
    }
}

/// Progress of `found` (with `excluded` transcripts left out) against the data dir's checkpoints, with `store`
/// (what the store holds) and the last runs.
pub fn compute(
    local: &SyncState,
    store: StoreStats,
    (found, excluded): (&[FoundFile], u64),
    last_runs: Vec<RunSummary>,
) -> Stats {
    let mut s = Stats {
        files: FileProgressStats {
            excluded,
            ..FileProgressStats::default()
        },
        store,
        watch: crate::watch::WatchReport::of(local),
        ..Stats::default()
    };
    let store = local;
    let checkpoints: BTreeMap<String, _> = store.checkpoints().into_iter().collect();
    for f in found {
        s.files.total += 1;
        s.files.bytes_total += f.size;
        let stat = std::fs::File::open(&f.path)
            .ok()
            .and_then(|file| FileStat::of(&file).ok());
        match (checkpoints.get(&f.path), stat) {
            (Some(Ok(cp)), Some(stat)) => {
                s.files.bytes_done += cp.offset.min(f.size);
                if !cp.needs_work(&stat) {
                    s.files.complete += 1;
                } else if cp.offset > 0 {
                    s.files.partial += 1;
                } else {
                    s.files.pending += 1;
                }
            }
            _ => s.files.pending += 1,
        }
    }
    for (path, cp) in &checkpoints {
        match cp {
            Ok(cp) => {
                s.malformed_lines += cp.malformed_lines;
                if !found.iter().any(|f| &f.path == path) && !std::path::Path::new(path).exists() {
                    s.files.deleted += 1;
                }
            }
            Err(_) => s.unreadable_checkpoints += 1,
        }
    }
    s.files.percent_done = if s.files.bytes_total == 0 {
        100.0
    } else {
        100.0 * s.files.bytes_done as f64 / s.files.bytes_total as f64
    };

    let (bytes, secs) = last_runs
        .iter()
        .filter(|r| r.bytes_committed > 0)
        .fold((0u64, 0f64), |(b, t), r| {
            (b + r.bytes_committed, t + r.duration_secs)
        });
    let remaining = s.files.bytes_total.saturating_sub(s.files.bytes_done);
    s.estimated_runs_left = if remaining == 0 {
        Some(0)
    } else if bytes > 0 && secs > 0.0 {
        let per_run = bytes as f64 / secs * ESTIMATE_BUDGET_SECS;
        Some((remaining as f64 / per_run).ceil() as u64)
    } else {
        None
    };
    s.last_runs = last_runs;
    s
}
