//! The command line (the edge of the program: errors become messages and exit codes here).
//!
//! Exit codes: 0 everything caught up; 75 stopped early with work left (budget, signal or `--max-files`), so
//! `until pipeline resume; [ $? -ne 75 ]; do :; done`-style loops work; 2 bad usage or configuration; 3 busy:
//! another `pipeline` process holds the data dir (a writer, or a second `watch`), try again later; 1 any other
//! failure.

/// `println!` for command output that returns the write error instead of panicking, so a closed pipe
/// (`pipeline search ... | head`) ends the command quietly (see `fail`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod confirm;
mod export;
mod forget;
mod health;
mod hooks;
mod mcp;
mod migrate;
mod progress;
mod reset;
mod resume;
mod run;
mod search;
mod stats;
mod synth;
mod watch;

use clap::{Parser, Subcommand};
use pipeline::config::{PipelineConfig, SinkKind};
use pipeline::error::Error;
use pipeline::store::target::{self, ChosenSink, SinkOverrides};
use std::path::PathBuf;
use std::time::Instant;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILURE: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_BUSY: u8 = 3;
pub const EXIT_WORK_LEFT: u8 = 75;

#[derive(Debug, Parser)]
#[command(
    name = "pipeline",
    version,
    about = "Keeps a searchable, semantically indexed copy of your coding agents' history (Claude Code, Codex CLI, Gemini CLI)"
)]
pub struct Cli {
    /// Where checkpoints and the store live [default: $PIPELINE_DATA_DIR, else $XDG_DATA_HOME/pipeline/data].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Pipeline definition (TOML) [default: the built-in pipelines/claude-code.toml].
    #[arg(long, global = true, value_name = "FILE")]
    pub pipeline: Option<PathBuf>,
    /// No progress display (warnings are still printed).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The store: `embedded` (default) or `qdrant` [default: the pipeline file's [sink], else the store this
    /// data dir already syncs to].
    #[arg(long, global = true, value_enum, value_name = "KIND")]
    pub sink: Option<SinkArg>,
    /// Qdrant's gRPC URL, e.g. http://localhost:6334 (implies --sink qdrant).
    #[arg(long, global = true, value_name = "URL")]
    pub qdrant_url: Option<String>,
    /// Qdrant collection [default: claude_code] (implies --sink qdrant).
    #[arg(long, global = true, value_name = "NAME")]
    pub qdrant_collection: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SinkArg {
    Embedded,
    Qdrant,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Process all pending work: new files and bytes appended since the last run.
    Run(run::RunArgs),
    /// Continue the last run that stopped early, with its saved settings.
    Resume(resume::ResumeArgs),
    /// Progress per file, what the store holds, and the last runs.
    Stats(stats::StatsArgs),
    /// Delete checkpoints and store (with Qdrant: the collection).
    Reset(reset::ResetArgs),
    /// Delete a session's or a project's points, checkpoints and cached embeddings, and never read it again.
    Forget(forget::ForgetArgs),
    /// Every stored point as one JSON object per line: {"id", "payload"} (no vector).
    Export,
    /// Is the index usable: store, checkpoints, model, pending files, last run (exit 1 when unhealthy).
    Health(health::HealthArgs),
    /// Serve the Model Context Protocol on stdio (for Claude Code: `claude mcp add pipeline -- pipeline mcp`).
    Mcp,
    /// Follow the transcript directories and sync new lines within seconds (file notifications + rescans),
    /// locking the data dir only for short cycles.
    Watch(watch::WatchArgs),
    /// Claude Code hooks that sync a session when it stops or ends: install, uninstall, and the hook itself.
    Hooks(hooks::HooksArgs),
    /// Copy every point to another store (embedded <-> Qdrant), resumably, verified by counts; the data dir then
    /// syncs to that store.
    Migrate(migrate::MigrateArgs),
    /// Hybrid (semantic + lexical) search over the store, with filters that combine.
    Search(search::SearchArgs),
    /// Write a synthetic transcript corpus (for demos and benchmarks).
    #[command(hide = true)]
    Synth(synth::SynthArgs),
}

/// Options every command resolves the same way.
pub struct Common {
    pub data_dir: PathBuf,
    pub config: PipelineConfig,
    pub quiet: bool,
    pub started: Instant,
    /// `--sink`, `--qdrant-url`, `--qdrant-collection`.
    pub sink_overrides: SinkOverrides,
}

impl Common {
    /// The store this command works on (see [`pipeline::store::target`]).
    pub fn chosen_sink(&self) -> pipeline::error::Result<ChosenSink> {
        target::choose(
            &self.data_dir,
            self.config.sink.as_ref(),
            &self.sink_overrides,
        )
    }
}

/// Ends the process with `code` once stdout and stderr are flushed, without running exit-time destructors.
///
/// Everything the run must keep is durable by now (the store is flushed before a run returns). What may still be
/// running is work that was deliberately abandoned: an embedding batch past the deadline, or a model load that
/// nothing needed. Letting `exit()` tear down ONNX Runtime's globals under such a thread can crash the process,
/// so it ends here, at once.
pub fn exit_now(code: u8) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` only ends the process; no Rust invariant depends on destructors running here.
    unsafe { libc::_exit(i32::from(code)) }
}

/// Runs the CLI and returns the exit code.
pub fn main(started: Instant) -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let config = match &cli.pipeline {
        Some(path) => PipelineConfig::load(path),
        None => Ok(PipelineConfig::builtin()),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => return fail(&e.into()),
    };
    let common = Common {
        data_dir: cli
            .data_dir
            .clone()
            .unwrap_or_else(pipeline::paths::default_data_dir),
        config,
        quiet: cli.quiet,
        started,
        sink_overrides: SinkOverrides {
            kind: cli.sink.map(|k| match k {
                SinkArg::Embedded => SinkKind::Embedded,
                SinkArg::Qdrant => SinkKind::Qdrant,
            }),
            qdrant_url: cli.qdrant_url.clone(),
            qdrant_collection: cli.qdrant_collection.clone(),
        },
    };
    let result = match cli.command {
        Command::Run(args) => run::execute(&common, args),
        Command::Resume(args) => resume::execute(&common, args),
        Command::Stats(args) => stats::execute(&common, args),
        Command::Reset(args) => reset::execute(&common, args),
        Command::Forget(args) => forget::execute(&common, args),
        Command::Export => export::execute(&common),
        Command::Search(args) => search::execute(&common, args),
        Command::Health(args) => health::execute(&common, args),
        Command::Mcp => mcp::execute(&common),
        Command::Migrate(args) => migrate::execute(&common, args),
        Command::Watch(args) => watch::execute(&common, args),
        Command::Hooks(args) => hooks::execute(&common, args),
        Command::Synth(args) => synth::execute(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn fail(e: &anyhow::Error) -> u8 {
    if is_closed_pipe(e) {
        // The reader went away (`| head`): nothing more to say, as ripgrep does.
        return EXIT_OK;
    }
    if let Some(Error::CommitCutByBudget { .. }) = e.downcast_ref::<Error>() {
        eprintln!("stopped: {e}");
        return EXIT_WORK_LEFT;
    }
    eprintln!("error: {e}");
    match e.downcast_ref::<Error>() {
        Some(e) if e.is_usage() => EXIT_USAGE,
        Some(e) if e.is_busy() => EXIT_BUSY,
        _ => EXIT_FAILURE,
    }
}

/// The error is a write to a closed pipe.
fn is_closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A multi-threaded runtime sized for this work: the stages are light, the model uses its own threads.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// The transcript directories a command works on: `--source` (made absolute) or the defaults that exist. `None`
/// (after saying so) when there is none.
fn transcript_sources(given: &[PathBuf], config: &PipelineConfig) -> Option<Vec<PathBuf>> {
    let sources = if given.is_empty() {
        config.sources().existing_roots()
    } else {
        pipeline::paths::absolute_sources(given)
    };
    if sources.is_empty() {
        eprintln!(
            "error: no transcript directory found (looked for {}); pass --source DIR",
            config.sources().describe_roots()
        );
        return None;
    }
    Some(sources)
}

fn parse_budget(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text)
        .map_err(|e| format!("invalid duration {text:?} ({e}); examples: 110s, 2m, 1m30s"))
}

/// A `--project` value: a project name or path, which may start with one dash (a directory named so) but not
/// with two (that is the next option, and the value was forgotten).
fn parse_project(text: &str) -> Result<String, String> {
    if text.starts_with("--") {
        Err(format!(
            "{text:?} is an option, not a project: --project needs a value (a project name or path)"
        ))
    } else {
        Ok(text.to_string())
    }
}
