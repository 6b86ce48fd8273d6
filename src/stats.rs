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
    /// Complete files that end in an unfinished line (no newline yet), and its bytes: a session still being
    /// written, or one whose writer stopped mid-line. The line is stored once it ends.
    pub unfinished_last_lines: u64,
    pub bytes_in_unfinished_lines: u64,
    /// Of those, the files not written to for [`STALE_AFTER_SECS`]: their writer most likely stopped for good
    /// (a crash), and that line will not be stored unless the file grows.
    pub stale_unfinished_lines: u64,
}

/// How long an unfinished last line may wait for its end before it counts as stale.
pub const STALE_AFTER_SECS: i64 = 3600;

/// The two watermarks in points: stored with their text (searchable by their words), and of those, still
/// waiting for their vectors (found by meaning once embedded).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EmbeddingProgress {
    pub points_stored: u64,
    pub points_awaiting_vectors: u64,
    /// Of the stored points that get a vector, the share that has it (100 when none waits).
    pub percent_embedded: f64,
}

/// What `pipeline stats` (and the MCP `get_sync_stats` tool) reports: file progress, store counts, recent runs
/// and the number of budgeted runs still needed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub files: FileProgressStats,
    pub store: StoreStats,
    pub embedding: EmbeddingProgress,
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
            *s.by_agent.entry(p.agent.as_str().to_string()).or_default() += 1;
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
    let now_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
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
                    let unfinished = stat.size.saturating_sub(cp.offset);
                    if unfinished > 0 {
                        s.files.unfinished_last_lines += 1;
                        s.files.bytes_in_unfinished_lines += unfinished;
                        let idle_ns = now_ns.saturating_sub(stat.mtime_ns);
                        if idle_ns >= STALE_AFTER_SECS.saturating_mul(1_000_000_000) {
                            s.files.stale_unfinished_lines += 1;
                        }
                    }
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

    let waiting = store.embed_queue_len() as u64;
    s.embedding = EmbeddingProgress {
        points_stored: s.store.points,
        points_awaiting_vectors: waiting,
        percent_embedded: if waiting == 0 {
            100.0
        } else {
            100.0 * s.store.points.saturating_sub(waiting) as f64 / s.store.points.max(1) as f64
        },
    };
    let remaining = s.files.bytes_total.saturating_sub(s.files.bytes_done);
    s.estimated_runs_left = runs_left(
        remaining,
        waiting,
        s.files.bytes_done,
        s.store.points,
        &last_runs,
    );
    s.last_runs = last_runs;
    s
}

/// Budgeted runs still needed: reading the `remaining_bytes` at the recent runs' reading speed, then embedding
/// what waits plus what those bytes will bring (at the points per byte stored so far) at their embedding speed.
/// `None` while recent runs measured no speed that is needed.
fn runs_left(
    remaining_bytes: u64,
    waiting: u64,
    bytes_done: u64,
    points: u64,
    last_runs: &[RunSummary],
) -> Option<u64> {
    if remaining_bytes == 0 && waiting == 0 {
        return Some(0);
    }
    let (bytes, read_secs, texts, embed_secs) =
        last_runs
            .iter()
            .fold((0u64, 0f64, 0u64, 0f64), |(b, r, t, e), run| {
                (
                    b + run.bytes_committed,
                    r + (run.duration_secs - run.embed_secs).max(0.0),
                    t + run.texts_embedded,
                    e + run.embed_secs,
                )
            });
    let read = match remaining_bytes {
        0 => 0.0,
        _ if bytes > 0 && read_secs > 0.0 => remaining_bytes as f64 / (bytes as f64 / read_secs),
        _ => return None,
    };
    let to_embed =
        waiting as f64 + remaining_bytes as f64 * points as f64 / bytes_done.max(1) as f64;
    let embed = if to_embed < 1.0 {
        0.0
    } else if texts > 0 && embed_secs > 0.0 {
        to_embed / (texts as f64 / embed_secs)
    } else {
        return None;
    };
    Some(((read + embed) / ESTIMATE_BUDGET_SECS).ceil().max(1.0) as u64)
}
