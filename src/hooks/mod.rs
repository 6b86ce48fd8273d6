//! Claude Code hooks: `pipeline hooks install` adds a `Stop` and a `SessionEnd` hook to a Claude Code settings
//! file (the documented `settings.json` format); each runs `pipeline hooks run`, which queues the session that just
//! stopped or ended and returns at once; a background drainer syncs the queue ([`queue`]). `uninstall` removes exactly the entries `install` adds, recognized by a
//! marker comment at the end of their command; everything else in the file is left as it was (key order included).

pub mod payload;
pub mod queue;
pub mod settings;

pub use payload::HookInput;
pub use settings::{install, uninstall, Edit};

/// The events whose hooks sync the session.
pub const EVENTS: [&str; 2] = ["Stop", "SessionEnd"];

/// Ends every command `install` writes (a shell comment: harmless when run, how `uninstall` finds them).
pub const MARKER: &str = "# added by `pipeline hooks install`";

/// Where a settings file is, by scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `~/.claude/settings.json` (or `$CLAUDE_CONFIG_DIR/settings.json`): every project.
    User,
    /// `<project>/.claude/settings.json`: shared with the project.
    Project,
    /// `<project>/.claude/settings.local.json`: this machine only.
    Local,
}

/// The settings file of `scope` (`project` is the project directory for the project scopes).
pub fn settings_path(scope: Scope, project: &std::path::Path) -> std::path::PathBuf {
    match scope {
        Scope::User => match std::env::var_os("CLAUDE_CONFIG_DIR").filter(|v| !v.is_empty()) {
            Some(dir) => std::path::PathBuf::from(dir).join("settings.json"),
            None => crate::paths::home().join(".claude").join("settings.json"),
        },
        Scope::Project => project.join(".claude").join("settings.json"),
        Scope::Local => project.join(".claude").join("settings.local.json"),
    }
}

/// Quotes `s` for a POSIX shell.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:=,@%".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The command a hook runs.
pub fn hook_command(exe: &std::path::Path, data_dir: &std::path::Path, budget_secs: u64) -> String {
    format!(
        "{} --data-dir {} --quiet hooks run --budget {budget_secs}s {MARKER}",
        shell_quote(&exe.to_string_lossy()),
        shell_quote(&data_dir.to_string_lossy()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_spaces_and_quotes() {
        assert_eq!(shell_quote("/usr/bin/pipeline"), "/usr/bin/pipeline");
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
        let c = hook_command(
            std::path::Path::new("/x y/pipeline"),
            std::path::Path::new("/d"),
            20,
        );
        assert!(c.starts_with("'/x y/pipeline' --data-dir /d --quiet hooks run --budget 20s"));
        assert!(c.ends_with(MARKER));
    }
}
