//! `pipeline run`.

use super::progress::Display;
use super::{Common, EXIT_OK, EXIT_USAGE, EXIT_WORK_LEFT};
use clap::Args;
use pipeline::embedder::default_model_dir;
use pipeline::error::Error;
use pipeline::history;
use pipeline::progress::Counters;
use pipeline::session::{SessionSpec, WriterSession};
use pipeline::sync::{RunSettings, RunSummary, SyncJob};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Transcript directory to scan (repeatable) [default: $CLAUDE_CONFIG_DIR/projects, ~/.claude/projects,
    /// ~/.config/claude/projects, those that exist].
    #[arg(long = "source", value_name = "DIR")]
    pub sources: Vec<PathBuf>,
    /// Wall-clock budget from process start (e.g. 110s, 2m); the run commits and exits before it ends.
    #[arg(long, value_parser = super::parse_budget, value_name = "DUR")]
    pub budget: Option<Duration>,
    /// Process at most this many files (newest first).
    #[arg(long, value_name = "N")]
    pub max_files: Option<usize>,
    /// Print one machine-readable summary object on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(common: &Common, args: RunArgs) -> anyhow::Result<u8> {
    let Some(sources) = super::transcript_sources(&args.sources, &common.config) else {
        return Ok(EXIT_USAGE);
    };
    for s in &sources {
        if !s.is_dir() {
            return Err(Error::Config(format!("--source {}: not a directory", s.display())).into());
        }
    }
    let settings = RunSettings {
        sources,
        budget: args.budget,
        max_files: args.max_files,
    };
    let report = if args.json {
        Report::Json
    } else {
        Report::Text
    };
    sync(common, settings, report, Remember::Yes)
}

/// How a run reports its summary on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Text,
    Json,
    /// Nothing on stdout (the hook: Claude Code reads a hook's stdout).
    Silent,
}

/// Whether a run's sources and settings become the data dir's defaults (for `resume`, `stats`, the MCP sync).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remember {
    Yes,
    /// The hook's one-file sync: it must not replace the directories the user syncs.
    No,
}

/// Longest wait for a `pipeline watch` cycle to release the data dir when no budget says otherwise.
const WATCH_WAIT: Duration = Duration::from_secs(30);

/// Runs the pipeline with `settings` and reports; shared by `run`, `resume` and the hook.
pub fn sync(
    common: &Common,
    settings: RunSettings,
    report: Report,
    remember: Remember,
) -> anyhow::Result<u8> {
    let chosen = common.chosen_sink()?;
    let budget = common.config.budget.budget(common.started, settings.budget);
    // A watch cycle holding the data dir ends within seconds: wait for it (never past the budget).
    let until = budget.lock_wait_until(std::time::Instant::now(), WATCH_WAIT);
    let rt = super::runtime()?;
    let spec = SessionSpec {
        data_dir: &common.data_dir,
        sink: &chosen.config,
        dimension: common.config.embed.model.vectors_dimension(),
        budget,
    };
    let session = WriterSession::open(&spec, until, rt.handle().clone())?;
    if remember == Remember::Yes {
        history::save_resume(session.state(), &settings)?;
        history::save_sources(session.state(), &settings.sources)?;
    }
    let reporter = Display::detect(common.quiet || report != Report::Text)
        .reporter(Arc::new(Counters::default()));
    let job = SyncJob {
        settings,
        config: common.config.clone(),
        model_dir: default_model_dir(),
        budget,
        publish_snapshots: session.is_embedded(),
        model_slot: None,
    };
    let result = rt.block_on(session.run(job, reporter, stop_signal()));
    // A late embed batch may still be running on a blocking thread: do not wait for it.
    rt.shutdown_timeout(Duration::from_millis(20));
    let summary = result?;
    session.record(&summary, remember == Remember::Yes)?;
    if let Err(e) = session.publish_snapshot(&summary, None) {
        eprintln!("warning: could not publish the search snapshot: {e}");
    }
    drop(session);
    if report != Report::Silent {
        print_summary(&summary, report == Report::Json)?;
    }
    Ok(if summary.work_left {
        EXIT_WORK_LEFT
    } else {
        EXIT_OK
    })
}

/// Resolves on SIGINT or SIGTERM.
pub(super) async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

fn print_summary(s: &RunSummary, json: bool) -> anyhow::Result<()> {
    if json {
        outln!("{}", serde_json::to_string(s)?);
        return Ok(());
    }
    let reason = match s.stop_reason {
        pipeline::sync::StopReason::CaughtUp => "caught up",
        pipeline::sync::StopReason::Budget => {
            "stopped by the budget, work left: run `pipeline resume`"
        }
        pipeline::sync::StopReason::Signal => "interrupted, work left: run `pipeline resume`",
        pipeline::sync::StopReason::MaxFiles => {
            "--max-files reached, work left: run `pipeline resume`"
        }
    };
    outln!(
        "{reason}\n  {:.1}s: {} of {} pending files completed, {} committed, {} messages ({:.0}/s), {} points stored\n  embedded {} texts in {:.1}s, {} reused from the cache, {} malformed lines, {} warnings",
        s.duration_secs,
        s.files_completed,
        s.files_pending_at_start,
        indicatif::HumanBytes(s.bytes_committed),
        s.messages,
        s.messages_per_sec,
        s.points_committed,
        s.texts_embedded,
        s.embed_secs,
        s.cache_hits,
        s.malformed_lines,
        s.warnings,
    );
    if s.chunks_awaiting_vectors > 0 {
        outln!(
            "  {} stored chunk(s) are searchable by their words and wait for their vectors: `pipeline resume` embeds them, newest first",
            s.chunks_awaiting_vectors
        );
    }
    if s.files_unreadable > 0 {
        outln!(
            "  {} file(s) could not be read (see the warnings); the next run tries them again",
            s.files_unreadable
        );
    }
    let r = &s.reapplied;
    if r.rewritten > 0 || !r.done {
        outln!(
            "  {} stored point(s) brought to the current redaction rules ({} lost a secret, {} embedded again){}",
            r.rewritten,
            r.changed,
            r.reembedded,
            if r.done { "" } else { "; more next run" }
        );
    }
    if s.files_excluded > 0 {
        outln!(
            "  {} transcript(s) excluded ([source] exclude or a {} marker): not read",
            s.files_excluded,
            pipeline::exclude::MARKER
        );
    }
    if s.redactions > 0 {
        outln!(
            "  {} secret(s) redacted before storing ([REDACTED:<kind>] markers)",
            s.redactions
        );
    }
    Ok(())
}
