//! Live counters shared by the stages, and the [`Reporter`] that hands progress, notices and warnings to a
//! [`ProgressView`]. The library only reports; how it is drawn (an indicatif bar on a terminal, a plain line now
//! and then, nothing) is the binary's choice.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Live counters a run's stages update and the progress display, the budget and the summary read.
#[derive(Debug, Default)]
pub struct Counters {
    pub files_total: AtomicU64,
    pub files_read: AtomicU64,
    pub bytes_total: AtomicU64,
    pub bytes_read: AtomicU64,
    pub lines: AtomicU64,
    pub malformed_lines: AtomicU64,
    pub messages: AtomicU64,
    pub chunks: AtomicU64,
    pub texts_embedded: AtomicU64,
    pub cache_hits: AtomicU64,
    pub embed_nanos: AtomicU64,
    pub points_committed: AtomicU64,
    pub batches_committed: AtomicU64,
    pub warnings: AtomicU64,
    /// Files skipped for this run because they could not be read (permission denied, an I/O error).
    pub files_unreadable: AtomicU64,
    /// Secrets replaced by a `[REDACTED:<kind>]` marker as lines were read.
    pub redactions: AtomicU64,
    /// How long the model took to load (0 until loaded).
    pub model_load_nanos: AtomicU64,
    /// When the first embedded window finished, ns since the counters were created (0 until then).
    pub first_embed_done_ns: AtomicU64,
    pub epoch: OnceInstant,
}

/// The moment the counters were created (for event times such as the first embedded window).
#[derive(Debug)]
pub struct OnceInstant(pub Instant);

impl Default for OnceInstant {
    fn default() -> Self {
        OnceInstant(Instant::now())
    }
}

impl Counters {
    /// A nanosecond counter in seconds; None while it is 0 (not happened yet).
    pub fn seconds(counter: &AtomicU64) -> Option<f64> {
        match Counters::get(counter) {
            0 => None,
            ns => Some(ns as f64 / 1e9),
        }
    }

    /// Nanoseconds since the counters were created.
    pub fn now_ns(&self) -> u64 {
        self.epoch.0.elapsed().as_nanos() as u64
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// A run's progress at one instant, for a [`ProgressView`] to draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Status {
    pub files_read: u64,
    pub files_total: u64,
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub messages: u64,
    pub messages_per_sec: f64,
    pub points_committed: u64,
    /// Seconds left of the budget, if the run has one.
    pub budget_left_secs: Option<f64>,
}

/// Where a run's progress, notices and warnings are shown. Implementations must not block for long: the stages
/// call them.
pub trait ProgressView: Send + Sync {
    /// A warning: always shown, without breaking the display.
    fn warning(&self, line: &str);
    /// A notice about the run (shown unless the view is quiet).
    fn info(&self, line: &str);
    /// The current progress, about five times a second.
    fn status(&self, status: &Status);
    /// The run ended: clear the display.
    fn finish(&self);
}

/// Warnings on stderr, nothing else: for `--quiet`, the MCP server, `watch` cycles and tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct QuietView;

impl ProgressView for QuietView {
    fn warning(&self, line: &str) {
        eprintln!("{line}");
    }
    fn info(&self, _line: &str) {}
    fn status(&self, _status: &Status) {}
    fn finish(&self) {}
}

/// Hands a run's progress and warnings to its view, counts the warnings, and keeps the first ones for the
/// summary.
#[derive(Clone)]
pub struct Reporter {
    view: Arc<dyn ProgressView>,
    counters: Arc<Counters>,
    kept: Arc<Mutex<Vec<String>>>,
}

/// Warnings kept for the run summary.
const KEPT_WARNINGS: usize = 50;
/// Warnings printed per run; later ones are counted only (a file of garbage must not flood the terminal).
const PRINTED_WARNINGS: u64 = 200;

impl Reporter {
    /// A reporter drawing with `view`.
    pub fn new(view: Arc<dyn ProgressView>, counters: Arc<Counters>) -> Self {
        Reporter {
            view,
            counters,
            kept: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// A reporter that shows warnings only ([`QuietView`]).
    pub fn quiet(counters: Arc<Counters>) -> Self {
        Self::new(Arc::new(QuietView), counters)
    }

    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// Counts a warning, shows it (the first `PRINTED_WARNINGS` of a run) and keeps it for the summary.
    pub fn warn(&self, message: String) {
        let n = self.counters.warnings.fetch_add(1, Ordering::Relaxed) + 1;
        if n > PRINTED_WARNINGS {
            if n == PRINTED_WARNINGS + 1 {
                self.view.warning(&format!(
                    "warning: more than {PRINTED_WARNINGS} warnings; the rest are only counted (see the summary)"
                ));
            }
            return;
        }
        self.view.warning(&format!("warning: {message}"));
        if let Ok(mut kept) = self.kept.lock() {
            if kept.len() < KEPT_WARNINGS {
                kept.push(message);
            }
        }
    }

    /// A notice about the run.
    pub fn info(&self, message: &str) {
        self.view.info(message);
    }

    pub fn kept_warnings(&self) -> Vec<String> {
        self.kept.lock().map(|k| k.clone()).unwrap_or_default()
    }

    /// Shows the current counters. `deadline`: when the budget ends.
    pub fn tick(&self, started: Instant, deadline: Option<Instant>) {
        let c = &self.counters;
        let elapsed = started.elapsed().as_secs_f64().max(0.001);
        let messages = Counters::get(&c.messages);
        self.view.status(&Status {
            files_read: Counters::get(&c.files_read),
            files_total: Counters::get(&c.files_total),
            bytes_read: Counters::get(&c.bytes_read),
            bytes_total: Counters::get(&c.bytes_total),
            messages,
            messages_per_sec: messages as f64 / elapsed,
            points_committed: Counters::get(&c.points_committed),
            budget_left_secs: deadline
                .map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64()),
        });
    }

    pub fn finish(&self) {
        self.view.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test double that records what it was shown.
    #[derive(Default)]
    struct RecordingView(Mutex<Vec<String>>);

    impl ProgressView for RecordingView {
        fn warning(&self, line: &str) {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(line.to_string());
        }
        fn info(&self, _line: &str) {}
        fn status(&self, _status: &Status) {}
        fn finish(&self) {}
    }

    #[test]
    fn warnings_past_the_printed_limit_are_counted_not_shown_and_the_first_are_kept() {
        let view = Arc::new(RecordingView::default());
        let counters = Arc::new(Counters::default());
        let reporter = Reporter::new(view.clone(), counters.clone());
        for i in 0..PRINTED_WARNINGS + 10 {
            reporter.warn(format!("w{i}"));
        }
        let shown = view.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(
            shown.len() as u64,
            PRINTED_WARNINGS + 1,
            "the limit, then one notice"
        );
        assert!(shown[shown.len() - 1].contains("only counted"));
        assert_eq!(Counters::get(&counters.warnings), PRINTED_WARNINGS + 10);
        assert_eq!(reporter.kept_warnings().len(), KEPT_WARNINGS);
        assert_eq!(reporter.kept_warnings()[0], "w0");
    }
}
