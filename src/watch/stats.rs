//! Watch metrics, kept in the data dir so that `pipeline stats` can show them: lag (first notification of a
//! change to its lines being stored), events handled, rescans, cycles.

use crate::error::Result;
use crate::store::SyncState;
use crate::sync::RunSummary;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

const KEY: &str = "watch_stats";
/// Lag samples kept (the most recent).
const LAG_SAMPLES: usize = 500;

/// The counters of one watch (saved, and shown as they are).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WatchTotals {
    pub pid: u32,
    pub started_unix: u64,
    pub last_cycle_unix: u64,
    pub cycles: u64,
    /// File notifications handled.
    pub events: u64,
    /// Cycles run by the periodic rescan.
    pub rescans: u64,
    /// Points a rescan stored: work the notifications missed.
    pub points_found_by_rescans: u64,
    pub points: u64,
}

/// What `pipeline watch` measured: cycles, triggers and the lag from a file change to its points being stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WatchStats {
    #[serde(flatten)]
    pub totals: WatchTotals,
    /// Recent lags, milliseconds.
    pub lag_ms: VecDeque<u64>,
}

/// Lag percentiles for display.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LagSummary {
    pub samples: usize,
    pub p50_secs: f64,
    pub p95_secs: f64,
    pub last_secs: f64,
}

/// What `pipeline stats` shows about watch mode.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchReport {
    /// A `pipeline watch` is running for this data dir now.
    pub running: bool,
    #[serde(flatten)]
    pub totals: WatchTotals,
    /// From a line being written (its file's first notification) to its point being stored.
    pub lag: Option<LagSummary>,
}

impl WatchReport {
    /// The metrics of the last (or current) watch of this data dir, if there ever was one.
    pub fn of(store: &SyncState) -> Option<WatchReport> {
        let s = WatchStats::load(store)?;
        Some(WatchReport {
            running: super::WatchLock::is_held(store.data_dir()),
            lag: s.lag(),
            totals: s.totals,
        })
    }
}

impl WatchStats {
    pub fn starting() -> Self {
        WatchStats {
            totals: WatchTotals {
                pid: std::process::id(),
                started_unix: super::unix_now(),
                ..Default::default()
            },
            lag_ms: VecDeque::new(),
        }
    }

    pub fn record(&mut self, trigger: &str, events: u64, summary: &RunSummary, lags: &[f64]) {
        let t = &mut self.totals;
        t.cycles += 1;
        t.events += events;
        t.points += summary.points_committed;
        if trigger == "rescan" {
            t.rescans += 1;
            t.points_found_by_rescans += summary.points_committed;
        }
        t.last_cycle_unix = super::unix_now();
        for lag in lags {
            if self.lag_ms.len() == LAG_SAMPLES {
                self.lag_ms.pop_front();
            }
            self.lag_ms.push_back((lag * 1000.0).round() as u64);
        }
    }

    pub fn lag(&self) -> Option<LagSummary> {
        let last = *self.lag_ms.back()?;
        let mut sorted: Vec<u64> = self.lag_ms.iter().copied().collect();
        sorted.sort_unstable();
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
        Some(LagSummary {
            samples: sorted.len(),
            p50_secs: at(0.5),
            p95_secs: at(0.95),
            last_secs: last as f64 / 1000.0,
        })
    }

    pub fn save(&self, store: &SyncState) -> Result<()> {
        store.meta_put(KEY, &crate::codec::json_bytes("watch statistics", self)?)
    }

    pub fn load(store: &SyncState) -> Option<WatchStats> {
        let bytes = store.meta_get(KEY).ok()??;
        serde_json::from_slice(&bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_percentiles_and_counters() {
        let mut s = WatchStats::starting();
        let summary = RunSummary {
            stop_reason: crate::sync::StopReason::CaughtUp,
            work_left: false,
            duration_secs: 0.1,
            budget_secs: None,
            files_pending_at_start: 1,
            files_completed: 1,
            bytes_pending_at_start: 10,
            bytes_committed: 10,
            lines: 1,
            malformed_lines: 0,
            messages: 1,
            messages_per_sec: 10.0,
            points_committed: 2,
            texts_embedded: 2,
            chunks_awaiting_vectors: 0,
            cache_hits: 0,
            embed_secs: 0.05,
            model_load_secs: None,
            first_embed_secs: None,
            batches_committed: 1,
            warnings: 0,
            files_unreadable: 0,
            redactions: 0,
            files_excluded: 0,
            reapplied: Default::default(),
            finished_at_unix: 0,
            first_warnings: vec![],
        };
        s.record("events", 3, &summary, &[0.5, 1.5]);
        s.record("rescan", 0, &summary, &[1.0]);
        let t = &s.totals;
        assert_eq!((t.cycles, t.events, t.rescans, t.points), (2, 3, 1, 4));
        assert_eq!(t.points_found_by_rescans, 2);
        let lag = s.lag().unwrap_or_else(|| panic!("lag"));
        assert_eq!(lag.samples, 3);
        assert!((lag.p50_secs - 1.0).abs() < 1e-9 && (lag.last_secs - 1.0).abs() < 1e-9);
        assert!((lag.p95_secs - 1.5).abs() < 1e-9);
    }
}
