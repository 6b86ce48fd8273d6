//! How a run's progress is drawn on the command line: an indicatif bar when stderr is a terminal, a plain status
//! line every ten seconds when it is a pipe or a file, warnings only with `--quiet`.

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use pipeline::progress::{Counters, ProgressView, QuietView, Reporter, Status};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the plain view prints its status line.
const LINE_EVERY: Duration = Duration::from_secs(10);

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
    /// The bar on a terminal, lines elsewhere, nothing when `quiet`.
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Display::Quiet
        } else if std::io::stderr().is_terminal() {
            Display::Bar
        } else {
            Display::Lines
        }
    }

    /// A reporter drawing this way.
    pub fn reporter(self, counters: Arc<Counters>) -> Reporter {
        let view: Arc<dyn ProgressView> = match self {
            Display::Bar => Arc::new(BarView::new()),
            Display::Lines => Arc::new(LinesView {
                last_line: Mutex::new(Instant::now()),
            }),
            Display::Quiet => Arc::new(QuietView),
        };
        Reporter::new(view, counters)
    }
}

/// The status as one line.
fn status_line(s: &Status) -> String {
    format!(
        "files {}/{}  {} / {}  {} msgs ({:.0}/s)  {} points{}",
        s.files_read,
        s.files_total,
        HumanBytes(s.bytes_read),
        HumanBytes(s.bytes_total),
        s.messages,
        s.messages_per_sec,
        s.points_committed,
        match s.budget_left_secs {
            Some(left) => format!("  budget left {left:.0}s"),
            None => String::new(),
        }
    )
}

/// An indicatif bar over the bytes read; lines printed above it.
struct BarView(ProgressBar);

impl BarView {
    fn new() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(5));
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        BarView(bar)
    }
}

impl ProgressView for BarView {
    fn warning(&self, line: &str) {
        self.0.println(line);
    }
    fn info(&self, line: &str) {
        self.0.println(line);
    }
    fn status(&self, s: &Status) {
        self.0.set_length(s.bytes_total.max(1));
        self.0.set_position(s.bytes_read);
        self.0.set_message(status_line(s));
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Plain lines on stderr: every notice and warning, and the status every [`LINE_EVERY`].
struct LinesView {
    last_line: Mutex<Instant>,
}

impl ProgressView for LinesView {
    fn warning(&self, line: &str) {
        eprintln!("{line}");
    }
    fn info(&self, line: &str) {
        eprintln!("{line}");
    }
    fn status(&self, s: &Status) {
        let Ok(mut last) = self.last_line.lock() else {
            return;
        };
        if last.elapsed() >= LINE_EVERY {
            *last = Instant::now();
            eprintln!("progress: {}", status_line(s));
        }
    }
    fn finish(&self) {}
}
