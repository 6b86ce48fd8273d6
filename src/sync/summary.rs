//! The end-of-run summary: the figures known when the run starts, completed with its counters and outcome.

use super::{RunSummary, StopReason};
use crate::progress::{Counters, Reporter};
use crate::stages::upsert;
use std::time::{Duration, Instant};

/// What a run knows when it starts.
pub(super) struct SummaryBase {
    pub(super) started: Instant,
    pub(super) budget: Option<Duration>,
    pub(super) files_pending: u64,
    pub(super) files_excluded: u64,
    pub(super) reapplied: crate::redact::reapply::Reapplied,
    pub(super) bytes_pending: u64,
    /// Each pending file's checkpointed offset at the start.
    pub(super) start_offsets: Vec<(String, u64)>,
}

impl SummaryBase {
    pub(super) fn finish(
        &mut self,
        reporter: &Reporter,
        reason: StopReason,
        work_left: bool,
        up: &upsert::UpsertOutcome,
    ) -> RunSummary {
        let c = reporter.counters();
        let duration = self.started.elapsed().as_secs_f64();
        let messages = Counters::get(&c.messages);
        let bytes_committed = self
            .start_offsets
            .iter()
            .filter_map(|(path, start)| {
                up.last_offsets
                    .get(path)
                    .map(|end| end.saturating_sub(*start))
            })
            .sum();
        RunSummary {
            stop_reason: reason,
            work_left,
            duration_secs: duration,
            budget_secs: self.budget.map(|b| b.as_secs_f64()),
            files_pending_at_start: self.files_pending,
            files_completed: up.files_completed,
            bytes_pending_at_start: self.bytes_pending,
            bytes_committed,
            lines: Counters::get(&c.lines),
            malformed_lines: Counters::get(&c.malformed_lines),
            messages,
            messages_per_sec: messages as f64 / duration.max(0.001),
            points_committed: up.points,
            texts_embedded: Counters::get(&c.texts_embedded),
            chunks_awaiting_vectors: 0,
            cache_hits: Counters::get(&c.cache_hits),
            embed_secs: Counters::get(&c.embed_nanos) as f64 / 1e9,
            model_load_secs: Counters::seconds(&c.model_load_nanos),
            first_embed_secs: Counters::seconds(&c.first_embed_done_ns).map(|since_epoch| {
                since_epoch
                    + c.epoch
                        .0
                        .saturating_duration_since(self.started)
                        .as_secs_f64()
            }),
            batches_committed: up.batches,
            warnings: Counters::get(&c.warnings),
            files_unreadable: Counters::get(&c.files_unreadable),
            redactions: Counters::get(&c.redactions),
            files_excluded: self.files_excluded,
            reapplied: self.reapplied,
            finished_at_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            first_warnings: reporter.kept_warnings(),
        }
    }
}
