//! `pipeline hooks install | uninstall | run`.

use super::run::{sync, Remember, Report};
use super::{Common, EXIT_OK};
use crate::hooks::{self, Edit, HookInput, Scope};
use crate::store::EmbeddedStore;
use crate::sync::RunSettings;
use clap::{Args, Subcommand, ValueEnum};
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
    /// The hook itself: reads Claude Code's hook input on stdin and syncs that session within the budget. Always
    /// exits 0 (a hook must never block Claude Code); problems go to stderr and <data dir>/hooks.log.
    Run {
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
            // Claude Code's timeout (seconds) leaves room for the process to start and report.
            let edit = hooks::install(&text, &command, budget + 10)
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

/// The hook. Never fails the caller: every problem is reported and the exit code stays 0.
fn run_hook(common: &Common, budget: Duration) -> u8 {
    if let Err(e) = hook_sync(common, budget) {
        let message = format!("pipeline hook: {e}");
        eprintln!("{message}");
        log(&common.data_dir, &message);
    }
    EXIT_OK
}

fn hook_sync(common: &Common, budget: Duration) -> anyhow::Result<()> {
    if std::io::stdin().is_terminal() {
        anyhow::bail!("`pipeline hooks run` reads Claude Code's hook input (JSON) on stdin");
    }
    let mut text = String::new();
    std::io::stdin().take(1 << 20).read_to_string(&mut text)?;
    let input = HookInput::parse(&text).map_err(|e| anyhow::anyhow!(e))?;
    let sources = match EmbeddedStore::open_reader(&common.data_dir) {
        Ok(store) => crate::history::saved_sources(&store),
        Err(_) => None,
    }
    .unwrap_or_else(crate::paths::default_sources);
    let files = input.files(&sources).map_err(|e| anyhow::anyhow!(e))?;
    let settings = RunSettings {
        sources: files,
        budget: Some(budget),
        max_files: None,
    };
    let code = sync(common, settings, Report::Silent, Remember::No)?;
    if code != EXIT_OK && code != super::EXIT_WORK_LEFT {
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
        let _ = writeln!(f, "{} {message}", crate::watch::unix_now());
    }
}
