//! Live counters shared by the stages, and their display: an indicatif bar on a terminal, a plain line every
//! few seconds otherwise, nothing with `--quiet`.

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    /// Latest measured embedding speed, estimated tokens per second (f64 bits).
    pub embed_speed_bits: AtomicU64,
    /// The window being embedded now: its estimated tokens (0 when idle) and when it started (ns since the
    /// counters were created), so a run that has to abandon it still learns how slow the model is today.
    pub inflight_tokens: AtomicU64,
    pub inflight_started_ns: AtomicU64,
    /// How long the model took to load (0 until loaded).
    pub model_load_nanos: AtomicU64,
    /// When the first embedded window finished, ns since the counters were created (0 until then).
    pub first_embed_done_ns: AtomicU64,
    pub epoch: OnceInstant,
}

/// The moment the counters were created (for in-flight timing).
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

    /// An upper bound on today's embedding speed when a window is still running: tokens / time so far.
    pub fn inflight_speed_bound(&self) -> Option<f64> {
        let tokens = Counters::get(&self.inflight_tokens);
        if tokens == 0 {
            return None;
        }
        let elapsed = self
            .now_ns()
            .saturating_sub(Counters::get(&self.inflight_started_ns));
        (elapsed > 0).then(|| tokens as f64 / (elapsed as f64 / 1e9))
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// How progress and warnings are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// An interactive bar (stderr is a terminal).
    Bar,
    /// A plain status line every few seconds (stderr is a pipe or file).
    Lines,
    /// Warnings only.
    Quiet,
}

impl Display {
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Display::Quiet
        } else if std::io::stderr().is_terminal() {
            Display::Bar
        } else {
            Display::Lines
        }
    }
}

/// Prints warnings without breaking the bar, and keeps the first ones for the summary.
#[derive(Clone)]
pub struct Reporter {
    bar: Option<ProgressBar>,
    display: Display,
    counters: Arc<Counters>,
    kept: Arc<Mutex<Vec<String>>>,
}

/// Warnings kept for the run summary.
const KEPT_WARNINGS: usize = 50;
/// Warnings printed per run; later ones are counted only (a file of garbage must not flood the terminal).
const PRINTED_WARNINGS: u64 = 200;

impl Reporter {
    pub fn new(display: Display, counters: Arc<Counters>) -> Self {
        let bar = (display == Display::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(5));
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{bar:30}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        });
        Reporter {
            bar,
            display,
            counters,
            kept: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    pub fn warn(&self, message: String) {
        let n = self.counters.warnings.fetch_add(1, Ordering::Relaxed) + 1;
        if n > PRINTED_WARNINGS {
            if n == PRINTED_WARNINGS + 1 {
                self.print(format!(
                    "warning: more than {PRINTED_WARNINGS} warnings; the rest are only counted (see the summary)"
                ));
            }
            return;
        }
        self.print(format!("warning: {message}"));
        if let Ok(mut kept) = self.kept.lock() {
            if kept.len() < KEPT_WARNINGS {
                kept.push(message);
            }
        }
    }

    fn print(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(&line),
            None => eprintln!("{line}"),
        }
    }

    pub fn info(&self, message: &str) {
        match (&self.bar, self.display) {
            (Some(bar), _) => bar.println(message),
            (None, Display::Lines) => eprintln!("{message}"),
            _ => {}
        }
    }

    pub fn kept_warnings(&self) -> Vec<String> {
        self.kept.lock().map(|k| k.clone()).unwrap_or_default()
    }

    /// Redraws with the current counters. `deadline`: when the budget ends.
    pub fn tick(&self, started: Instant, deadline: Option<Instant>, last_line: &mut Instant) {
        let c = &self.counters;
        let elapsed = started.elapsed().as_secs_f64().max(0.001);
        let msgs = Counters::get(&c.messages);
        let status = format!(
            "files {}/{}  {} / {}  {} msgs ({:.0}/s)  {} points{}",
            Counters::get(&c.files_read),
            Counters::get(&c.files_total),
            HumanBytes(Counters::get(&c.bytes_read)),
            HumanBytes(Counters::get(&c.bytes_total)),
            msgs,
            msgs as f64 / elapsed,
            Counters::get(&c.points_committed),
            match deadline {
                Some(d) => format!(
                    "  budget left {:.0}s",
                    d.saturating_duration_since(Instant::now()).as_secs_f64()
                ),
                None => String::new(),
            }
        );
        match &self.bar {
            Some(bar) => {
                bar.set_length(Counters::get(&c.bytes_total).max(1));
                bar.set_position(Counters::get(&c.bytes_read));
                bar.set_message(status);
            }
            None if self.display == Display::Lines
                && last_line.elapsed() >= Duration::from_secs(10) =>
            {
                *last_line = Instant::now();
                eprintln!("progress: {status}");
            }
            None => {}
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
