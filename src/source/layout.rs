//! Where each agent keeps its history: a pipeline file's `[source]` roots (with environment overrides) and
//! globs, and which format a file found under a root is.

use super::formats::{self, FORMATS};
use crate::message::Agent;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// How a format's files change while its agent runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Growth {
    /// Lines are only ever appended (Claude Code, Codex CLI): a checkpoint is a byte offset.
    #[default]
    Append,
    /// The whole file is rewritten on every update (Gemini CLI's JSON chats): a checkpoint is the messages seen.
    Rewrite,
}

/// The default roots of `agent` (its built-in pipeline file's), in the form `[source] roots` takes: `~` is the
/// home directory, `${VAR}` an environment variable (a root naming an unset one is skipped; a comma-separated
/// value gives one root per item), `${VAR:-default}` one with a default.
pub fn default_roots(agent: Agent) -> Vec<String> {
    formats::defaults(agent).roots.clone().unwrap_or_default()
}

/// The default globs of `agent`'s files (its built-in pipeline file's), over a file's path below its root.
pub fn default_globs(agent: Agent) -> Vec<String> {
    formats::defaults(agent).globs.clone().unwrap_or_default()
}

/// How `agent`'s files grow (as its built-in pipeline file says).
pub fn default_growth(agent: Agent) -> Growth {
    formats::defaults(agent).growth.unwrap_or_default()
}

/// The directories `root` (a `[source] roots` entry) names, with `env` looking variables up.
pub fn expand_root(root: &str, env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let mut out = vec![String::new()];
    let mut rest = root;
    if let Some(after) = rest.strip_prefix('~') {
        if after.is_empty() || after.starts_with('/') {
            out = vec![crate::paths::home().to_string_lossy().into_owned()];
            rest = after;
        }
    }
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let inner = &rest[start + 2..start + len];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        let values: Vec<String> = match env(name).filter(|v| !v.trim().is_empty()) {
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect(),
            None => match default {
                Some(d) => expand_root(d, env)
                    .into_iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect(),
                None => return Vec::new(),
            },
        };
        let prefix = &rest[..start];
        out = out
            .iter()
            .flat_map(|o| values.iter().map(move |v| format!("{o}{prefix}{v}")))
            .collect();
        rest = &rest[start + len + 1..];
    }
    out.into_iter()
        .map(|o| PathBuf::from(format!("{o}{rest}")))
        .collect()
}

/// The process environment, for [`expand_root`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Which format a file is, by the globs of each format in turn (the first match wins), and whether the run reads
/// it: a file of a format the run does not read is left alone, never read as another format.
#[derive(Debug, Clone)]
pub struct Formats {
    by_agent: Vec<(Agent, GlobSet)>,
    read: Vec<Agent>,
}

impl Formats {
    /// `sources` in order: (agent, globs), every one read. A bad glob is an error naming it.
    pub fn new(sources: &[(Agent, Vec<String>)]) -> Result<Self, String> {
        let mut by_agent = Vec::new();
        for (agent, globs) in sources {
            let mut builder = GlobSetBuilder::new();
            for g in globs {
                let glob = GlobBuilder::new(g)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| format!("[source] globs: {g:?}: {e}"))?;
                builder.add(glob);
            }
            let set = builder
                .build()
                .map_err(|e| format!("[source] globs: {e}"))?;
            by_agent.push((*agent, set));
        }
        let read = by_agent.iter().map(|(a, _)| *a).collect();
        Ok(Formats { by_agent, read })
    }

    /// Every built-in format, with `sources`' globs for theirs, the catch-all (Claude Code's) last; only
    /// `sources`' agents are read.
    pub fn reading(sources: &[(Agent, Vec<String>)]) -> Result<Self, String> {
        let all: Vec<(Agent, Vec<String>)> = FORMATS
            .iter()
            .map(|f| {
                let own = sources
                    .iter()
                    .find(|(s, _)| *s == f.agent)
                    .map(|(_, g)| g.clone());
                (f.agent, own.unwrap_or_else(|| default_globs(f.agent)))
            })
            .collect();
        let mut formats = Formats::new(&all)?;
        formats.read = sources.iter().map(|(a, _)| *a).collect();
        Ok(formats)
    }

    /// Every built-in format with its default globs, the catch-all (Claude Code's `**/*.jsonl`) last.
    pub fn builtin() -> Self {
        let sources: Vec<_> = FORMATS
            .iter()
            .map(|f| (f.agent, default_globs(f.agent)))
            .collect();
        Formats::new(&sources).unwrap_or(Formats {
            by_agent: Vec::new(),
            read: Vec::new(),
        })
    }

    /// The format of `file`, found under `root` (a file given as a root is matched by its name), if the run
    /// reads it.
    pub fn classify(&self, root: &Path, file: &Path) -> Option<Agent> {
        self.format_of(root, file).filter(|a| self.read.contains(a))
    }

    fn format_of(&self, root: &Path, file: &Path) -> Option<Agent> {
        // Below the root, else (a root inside an agent's layout, or a file given as a root) the whole path.
        let relative = file
            .strip_prefix(root)
            .ok()
            .filter(|r| !r.as_os_str().is_empty());
        self.by_agent
            .iter()
            .find(|(_, set)| {
                relative.is_some_and(|r| set.is_match(r) || set.is_match(Path::new("x").join(r)))
                    || set.is_match(file)
            })
            .map(|(agent, _)| *agent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "CODEX_HOME" => Some("/opt/codex".into()),
            "CLAUDE_CONFIG_DIR" => Some("/a, /b".into()),
            _ => None,
        }
    }

    #[test]
    fn roots_expand_variables_defaults_lists_and_the_home_directory() {
        let home = crate::paths::home();
        assert_eq!(
            expand_root("${CODEX_HOME:-~/.codex}/sessions", &env),
            vec![PathBuf::from("/opt/codex/sessions")]
        );
        assert_eq!(
            expand_root("${GEMINI_CLI_HOME:-~}/.gemini/tmp", &env),
            vec![home.join(".gemini/tmp")]
        );
        assert_eq!(
            expand_root("${CLAUDE_CONFIG_DIR}/projects", &env),
            vec![PathBuf::from("/a/projects"), PathBuf::from("/b/projects")]
        );
        assert!(expand_root("${UNSET_HERE}/projects", &env).is_empty());
        assert_eq!(expand_root("~/x", &env), vec![home.join("x")]);
        assert_eq!(
            expand_root("/plain/dir", &env),
            vec![PathBuf::from("/plain/dir")]
        );
    }

    #[test]
    fn a_file_is_the_format_of_the_first_source_whose_globs_match() {
        let f = Formats::builtin();
        let root = Path::new("/r");
        let at = |p: &str| f.classify(root, &root.join(p));
        assert_eq!(
            at("2025/09/24/rollout-2025-09-24T19-22-20-x.jsonl"),
            Some(Agent::Codex)
        );
        assert_eq!(at("-home-me-proj/0f3c.jsonl"), Some(Agent::ClaudeCode));
        assert_eq!(
            at("-home-me-proj/0f3c/subagents/agent-a1.jsonl"),
            Some(Agent::ClaudeCode)
        );
        assert_eq!(
            at("0b7d/chats/session-2026-04-29T21-39-x.json"),
            Some(Agent::GeminiCli)
        );
        assert_eq!(
            at("0b7d/chats/session-2026-04-29T21-39-x.jsonl"),
            Some(Agent::GeminiCli)
        );
        assert_eq!(at("0b7d/logs.json"), None);
        assert_eq!(at("notes.txt"), None);
        assert_eq!(
            f.classify(Path::new("/r/x.jsonl"), Path::new("/r/x.jsonl")),
            Some(Agent::ClaudeCode),
            "a file given as a root is matched by its name"
        );
        assert_eq!(at("rollout-1.jsonl"), Some(Agent::Codex));
        assert_eq!(
            at("0b7d/chats/5f2a/sub-agent.jsonl"),
            Some(Agent::GeminiCli),
            "a subagent chat"
        );
        let chats = Path::new("/home/me/.gemini/tmp/0b7d/chats");
        assert_eq!(
            f.classify(chats, &chats.join("session-2026-04-29T21-39-x.jsonl")),
            Some(Agent::GeminiCli),
            "a root inside Gemini's layout"
        );
        let single = Path::new("/home/me/.gemini/tmp/0b7d/chats/session-1.json");
        assert_eq!(
            f.classify(single, single),
            Some(Agent::GeminiCli),
            "a chat given as a root"
        );
    }

    #[test]
    fn a_run_reads_only_its_formats_and_never_reads_a_file_as_another() {
        let claude_only =
            Formats::reading(&[(Agent::ClaudeCode, default_globs(Agent::ClaudeCode))])
                .unwrap_or_else(|e| panic!("{e}"));
        let root = Path::new("/r");
        assert_eq!(
            claude_only.classify(root, &root.join("p/s.jsonl")),
            Some(Agent::ClaudeCode)
        );
        assert_eq!(
            claude_only.classify(root, &root.join("2025/01/01/rollout-x.jsonl")),
            None,
            "a rollout is Codex's, left alone by a Claude Code pipeline"
        );
        let codex = Formats::reading(&[(Agent::Codex, vec!["**/*.jsonl".into()])])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            codex.classify(root, &root.join("a/b.jsonl")),
            Some(Agent::Codex)
        );
        assert!(Formats::reading(&[(Agent::Codex, vec!["a{".into()])]).is_err());
    }
}
