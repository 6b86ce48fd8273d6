//! Seeded generator of synthetic Claude Code transcript corpora, for benchmarks, scale and crash
//! tests and demo data.
//!
//! Output mirrors `~/.claude/projects/<project-dir>/<session>.jsonl` (plus
//! `<session>/subagents/agent-<id>.jsonl`) and the line mix of real 2.1.x files (see
//! `shared/notes/transcript-format.md` §2-4): ~70% `progress` lines (hook and bash progress,
//! chained in the `parentUuid` tree); human prompts (questions with exact error strings, file
//! names and identifiers; feedback such as "that works, thanks"); assistant responses streamed
//! one content block per line under a shared `message.id`/`requestId`, sometimes with a tool
//! result between two of its lines; tool calls with matching `toolUseResult`s; long code answers
//! and tool outputs; base64 images; snapshots, queue operations, system lines, compaction
//! (boundary + `isCompactSummary`), `isMeta` and command-wrapper lines, synthetic API-error
//! lines, `summary` headers and subagent files.
//!
//! Everything derives from a splitmix64 stream, so a seed always yields the same bytes. The
//! [`SynthManifest`] returned by [`generate`] counts what a correct parser should extract.

use std::path::{Path, PathBuf};

mod calls;
mod lines;
mod rng;
pub mod secrets;
#[cfg(test)]
mod tests;
mod text;
mod vocabulary;

use lines::Ctx;
pub use rng::Rng;
use vocabulary::PROJECTS;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthSpec {
    pub seed: u64,
    /// Approximate total size of all files; generation stops adding sessions once reached.
    pub target_bytes: u64,
    /// Number of project directories to spread sessions over (>= 1).
    pub projects: usize,
    /// Approximate lines per main session file (the real big session has ~1500); vary +-50% per
    /// session.
    pub lines_per_session: usize,
}

impl SynthSpec {
    /// About 1.5 MB over 3 projects, ~300 lines per session.
    pub fn small(seed: u64) -> Self {
        let (target_bytes, projects, lines_per_session) = (1_500_000, 3, 300);
        SynthSpec {
            seed,
            target_bytes,
            projects,
            lines_per_session,
        }
    }
}

/// What was generated: ground truth for tests.
#[derive(Debug, Clone, Default)]
pub struct SynthManifest {
    pub files: Vec<PathBuf>,
    pub total_bytes: u64,
    pub total_lines: u64,
    /// User lines that are real prompts (not tool results, not isMeta, not compact summaries, not
    /// `<command-...>` wrappers or interruption notices); a subagent file's opening prompt counts
    /// too.
    pub human_prompts: u64,
    /// Distinct assistant `message.id` values (excluding synthetic error lines).
    pub assistant_messages: u64,
    /// User lines carrying tool_result blocks.
    pub tool_results: u64,
    /// `isCompactSummary` user lines.
    pub compact_summaries: u64,
    /// progress + file-history-snapshot + queue-operation + system + summary lines.
    pub noise_lines: u64,
}

impl SynthManifest {
    fn write(&mut self, path: PathBuf, c: &Ctx) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &c.out)?;
        self.files.push(path);
        self.total_bytes += c.out.len() as u64;
        self.total_lines += c.m.total_lines;
        self.human_prompts += c.m.human_prompts;
        self.assistant_messages += c.m.assistant_messages;
        self.tool_results += c.m.tool_results;
        self.compact_summaries += c.m.compact_summaries;
        self.noise_lines += c.m.noise_lines;
        Ok(())
    }
}

/// Writes the corpus under `root` (creating project dirs); returns the manifest.
pub fn generate(root: &Path, spec: &SynthSpec) -> std::io::Result<SynthManifest> {
    let mut rng = Rng::new(spec.seed ^ 0x5EED_C0DE_0000_0001);
    let names: Vec<&str> = PROJECTS.split('|').collect();
    let first = rng.below(names.len());
    let mut man = SynthManifest::default();
    let (mut main_lines, mut index) = (0u64, 0u64);
    while man.total_bytes < spec.target_bytes {
        // Size sessions to the remaining budget, so the total lands near the target.
        let per_line = man
            .total_bytes
            .checked_div(main_lines)
            .unwrap_or(1500)
            .max(200);
        let fit = ((spec.target_bytes - man.total_bytes) / per_line) as usize;
        let lines = spec.lines_per_session.max(20) * rng.range(50, 150) / 100;
        let p = rng.below(spec.projects.max(1));
        let name = names.get((first + p) % names.len()).unwrap_or(&"proj");
        let cwd = match p / names.len() {
            0 => format!("/home/user/projects/{name}"),
            round => format!("/home/user/projects/{name}-{round}"),
        };
        let c = Ctx::session(spec.seed, index, &cwd, lines.min(fit.max(20)));
        let dir = root.join(project_dir_name(&cwd));
        main_lines += c.m.total_lines;
        man.write(dir.join(format!("{}.jsonl", c.sid)), &c)?;
        for s in &c.subs {
            let name = format!("agent-{}.jsonl", s.agent.as_deref().unwrap_or("a"));
            man.write(dir.join(&c.sid).join("subagents").join(name), s)?;
        }
        index += 1;
    }
    Ok(man)
}

/// Renders one session as JSONL bytes (the building block of `generate`), for tests that need to
/// append to or split a file: `session_index` makes ids unique.
pub fn session_bytes(seed: u64, session_index: u64, project_cwd: &str, lines: usize) -> Vec<u8> {
    Ctx::session(seed, session_index, project_cwd, lines).out
}

/// `/home/user/projects/x` -> `-home-user-projects-x`, as Claude Code names project directories.
fn project_dir_name(cwd: &str) -> String {
    let keep = |c: char| c.is_ascii_alphanumeric() || c == '-';
    cwd.chars().map(|c| if keep(c) { c } else { '-' }).collect()
}
