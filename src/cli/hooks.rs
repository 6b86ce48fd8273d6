//! `pipeline hooks install | uninstall | run`.

use super::run::{sync, Remember, Report};
use super::{Common, EXIT_OK};
use clap::{Args, Subcommand, ValueEnum};
use pipeline::hooks::queue::{self, RunnerLock};
use pipeline::hooks::{self, Edit, HookInput, Scope};
use pipeline::store::SyncState;
use pipeline::sync::RunSettings;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Args)]
pub struct HooksArgs {
    #[command(subcommand)]
    pub command: HooksCommand,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScopeArg {
    /// ~/.claude/settings.json: every project.
    User,
    /// <project>/.claude/settings.json: shared with the project.
    Project,
    /// <project>/.claude/settings.local.json: this machine only.
    Local,
}

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// Add a Stop and a SessionEnd hook that sync the session just finished (idempotent).
    Install {
        #[arg(long, value_enum, default_value = "user")]
        scope: ScopeArg,
        /// The project directory for --scope project/local [default: the current directory].
        #[arg(long, value_name = "DIR")]
        project_dir: Option<PathBuf>,
        /// Budget of each hook sync.
        #[arg(long, default_value_t = 20, value_name = "SECONDS")]
        budget: u64,
    },
    /// Remove exactly what `install` added (idempotent).
    Uninstall {
        #[arg(long, value_enum, default_value = "user")]
        scope: ScopeArg,
        #[arg(long, value_name = "DIR")]
        project_dir: Option<PathBuf>,
    },
    /// The hook itself: reads Claude Code's hook input on stdin, queues the session and returns at once; a
    /// background `hooks drain` syncs it. Always exits 0 (a hook must never block Claude Code); problems go to
    /// stderr and <data dir>/hooks.log.
    Run {
        /// Budget of each background sync.
        #[arg(long, value_parser = super::parse_budget, default_value = "20s", value_name = "DUR")]
        budget: Duration,
    },
    /// What `hooks run` starts in the background: syncs the queued sessions, one drainer at a time, until the
    /// queue stays empty.
    #[command(hide = true)]
    Drain {
        #[arg(long, value_parser = super::parse_budget, default_value = "20s", value_name = "DUR")]
        budget: Duration,
    },
}

fn scope(s: ScopeArg) -> Scope {
    match s {
        ScopeArg::User => Scope::User,
        ScopeArg::Project => Scope::Project,
        ScopeArg::Local => Scope::Local,
    }
}

pub fn execute(common: &Common, args: HooksArgs) -> anyhow::Result<u8> {
    match args.command {
        HooksCommand::Install {
            scope: s,
            project_dir,
            budget,
        } => {
            let path = settings_file(s, project_dir)?;
            let exe = std::env::current_exe()?.canonicalize()?;
            let data_dir = std::path::absolute(&common.data_dir)?;
            let command = hooks::hook_command(&exe, &data_dir, budget);
            let text = read_settings(&path)?;
            let edit = hooks::install(&text, &command, HOOK_TIMEOUT_SECS)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            apply(&path, edit, "installed", "already installed")
        }
        HooksCommand::Uninstall {
            scope: s,
            project_dir,
        } => {
            let path = settings_file(s, project_dir)?;
            if !path.exists() {
                outln!("nothing to remove: {} does not exist", path.display());
                return Ok(EXIT_OK);
            }
            let text = read_settings(&path)?;
            let edit =
                hooks::uninstall(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            apply(&path, edit, "removed", "nothing to remove")
        }
        HooksCommand::Run { budget } => Ok(run_hook(common, budget)),
        HooksCommand::Drain { budget } => {
            if let Err(e) = drain(common, budget) {
                log(&common.data_dir, &format!("pipeline hook drain: {e}"));
            }
            Ok(EXIT_OK)
        }
    }
}

fn settings_file(s: ScopeArg, project_dir: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let project = match project_dir {
        Some(d) => d,
        None => std::env::current_dir()?,
    };
    let path = hooks::settings_path(scope(s), &project);
    // A settings file that is a symlink (dotfiles managers) is edited where it points, not replaced by a copy.
    if path.is_symlink() {
        if let Ok(target) = std::fs::canonicalize(&path) {
            return Ok(target);
        }
    }
    Ok(path)
}

fn read_settings(path: &Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(anyhow::anyhow!("{}: {e}", path.display())),
    }
}

/// Writes an edit atomically (a temporary file renamed over the original, keeping its permissions).
fn apply(path: &Path, edit: Edit, done: &str, nothing: &str) -> anyhow::Result<u8> {
    let text = match edit {
        Edit::Unchanged => {
            outln!("{nothing}: {}", path.display());
            return Ok(EXIT_OK);
        }
        Edit::Changed(t) => t,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.pipeline-tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("settings.json")
    ));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(&tmp, meta.permissions())?;
    }
    std::fs::rename(&tmp, path)?;
    outln!(
        "{done}: Stop and SessionEnd hooks in {} (they run `pipeline hooks run`)",
        path.display()
    );
    Ok(EXIT_OK)
}

/// Claude Code's timeout for the hook process, which only queues its event and returns.
const HOOK_TIMEOUT_SECS: u64 = 10;
/// Quiet time before a drain round, so that events a moment apart fold into one sync.
const QUIET: Duration = Duration::from_secs(1);
/// Longest wait for quiet while events keep coming: a round starts anyway.
const MAX_QUIET_WAIT: Duration = Duration::from_secs(5);
/// Most rounds one drainer runs; what is left waits for the next event (or `pipeline run`).
const MAX_ROUNDS: usize = 10;

/// The hook. Never fails the caller: every problem is reported and the exit code stays 0.
fn run_hook(common: &Common, budget: Duration) -> u8 {
    if let Err(e) = queue_event(common, budget) {
        let message = format!("pipeline hook: {e}");
        eprintln!("{message}");
        log(&common.data_dir, &message);
    }
    EXIT_OK
}

/// Queues the event and makes sure a drainer runs; no store is opened, so Claude Code never waits on one.
fn queue_event(common: &Common, budget: Duration) -> anyhow::Result<()> {
    if std::io::stdin().is_terminal() {
        anyhow::bail!("`pipeline hooks run` reads Claude Code's hook input (JSON) on stdin");
    }
    let mut text = String::new();
    std::io::stdin().take(1 << 20).read_to_string(&mut text)?;
    let input = HookInput::parse(&text).map_err(|e| anyhow::anyhow!(e))?;
    if input.transcript_path.is_none() {
        anyhow::bail!("hook input has no transcript_path");
    }
    queue::enqueue(&common.data_dir, &input)?;
    if !RunnerLock::is_held(&common.data_dir) {
        spawn_drainer(budget)?;
    }
    Ok(())
}

/// Starts `hooks drain` with this process's global options, detached (its own process group, no stdio), and does
/// not wait for it: it outlives the hook.
fn spawn_drainer(budget: Duration) -> std::io::Result<()> {
    use std::os::unix::process::CommandExt;
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let global = args.iter().position(|a| a == "hooks").unwrap_or(args.len());
    std::process::Command::new(std::env::current_exe()?)
        .args(&args[..global])
        .args(["hooks", "drain", "--budget"])
        .arg(format!("{}ms", budget.as_millis()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .map(drop)
}

/// Syncs queued sessions, one round per quiet moment, while events keep coming; one drainer at a time.
fn drain(common: &Common, budget: Duration) -> anyhow::Result<()> {
    let Some(mut lock) = RunnerLock::try_acquire(&common.data_dir)? else {
        return Ok(());
    };
    for _ in 0..MAX_ROUNDS {
        wait_for_quiet(&common.data_dir)?;
        let (inputs, unreadable) = queue::take(&common.data_dir)?;
        for problem in unreadable {
            log(&common.data_dir, &format!("pipeline hook: {problem}"));
        }
        if inputs.is_empty() {
            drop(lock);
            // An event queued after the take, by a hook that saw the lock held, must not wait for the next one.
            if queue::quiet_for(&common.data_dir)?.is_none() {
                return Ok(());
            }
            match RunnerLock::try_acquire(&common.data_dir)? {
                Some(again) => lock = again,
                None => return Ok(()),
            }
            continue;
        }
        if let Err(e) = sync_sessions(common, &inputs, budget) {
            // Most likely a long `pipeline run` holds the data dir: the sessions wait for the next event.
            log(
                &common.data_dir,
                &format!("pipeline hook: {e}; the sessions stay queued"),
            );
            for input in &inputs {
                queue::enqueue(&common.data_dir, input)?;
            }
            return Ok(());
        }
    }
    Ok(())
}

/// Waits until no event was queued for [`QUIET`] (at most [`MAX_QUIET_WAIT`]).
fn wait_for_quiet(data_dir: &Path) -> std::io::Result<()> {
    let started = std::time::Instant::now();
    while let Some(quiet) = queue::quiet_for(data_dir)? {
        if quiet >= QUIET || started.elapsed() >= MAX_QUIET_WAIT {
            break;
        }
        std::thread::sleep(QUIET - quiet);
    }
    Ok(())
}

/// One budgeted sync of the sessions' transcripts and subagent logs. Sessions the budget did not finish are queued
/// again for the next round.
fn sync_sessions(common: &Common, inputs: &[HookInput], budget: Duration) -> anyhow::Result<()> {
    let sources = match SyncState::open_reader(&common.data_dir) {
        Ok(store) => pipeline::history::saved_sources(&store),
        Err(_) => None,
    }
    .unwrap_or_else(|| common.config.sources().existing_roots());
    let mut files: Vec<PathBuf> = Vec::new();
    for input in inputs {
        match input.files(&sources) {
            Ok(found) => {
                for f in found {
                    if !files.contains(&f) {
                        files.push(f);
                    }
                }
            }
            Err(e) => log(&common.data_dir, &format!("pipeline hook: {e}")),
        }
    }
    if files.is_empty() {
        return Ok(());
    }
    let settings = RunSettings {
        sources: files,
        budget: Some(budget),
        max_files: None,
    };
    let round = Common {
        data_dir: common.data_dir.clone(),
        config: common.config.clone(),
        quiet: true,
        started: std::time::Instant::now(),
        sink_overrides: common.sink_overrides.clone(),
    };
    let code = sync(&round, settings, Report::Silent, Remember::No)?;
    if code == super::EXIT_WORK_LEFT {
        for input in inputs {
            queue::enqueue(&common.data_dir, input)?;
        }
    } else if code != EXIT_OK {
        anyhow::bail!("sync exited {code}");
    }
    Ok(())
}

/// Appends a line to `<data dir>/hooks.log` (kept under 1 MB).
fn log(data_dir: &Path, message: &str) {
    let path = data_dir.join("hooks.log");
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > 1 << 20) {
        let _ = std::fs::remove_file(&path);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        let _ = writeln!(f, "{} {message}", pipeline::watch::unix_now());
    }
}
