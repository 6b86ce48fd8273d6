//! Finding transcript files and deciding which hold work: every file under the sources that a format's globs
//! claim (Codex rollouts, Claude Code's `*.jsonl` with subagent logs in `<session>/subagents/`), recursively,
//! newest first so recent sessions become searchable first.

use crate::checkpoint::FileStat;
use crate::message::Agent;
use crate::progress::Reporter;
use crate::source::layout::Formats;
use crate::store::SyncState;
use std::path::{Path, PathBuf};

/// A transcript file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    pub path: String,
    pub size: u64,
    pub mtime_ns: i64,
    /// Whose history it is: which format reads it.
    pub agent: Agent,
}

/// A file with lines not yet covered by its checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingFile {
    pub path: String,
    pub size: u64,
    pub mtime_ns: i64,
    /// Bytes after the checkpoint (the whole file if it has none or was rewritten).
    pub pending_bytes: u64,
    pub agent: Agent,
}

/// Where transcripts are looked for, and which of them are left out.
#[derive(Debug, Clone)]
pub struct Sources {
    pub roots: Vec<PathBuf>,
    pub exclusions: crate::exclude::Exclusions,
    /// Which format each file is (files no format claims are not read).
    pub formats: Formats,
}

impl Sources {
    /// `roots` read with every built-in format.
    pub fn new(roots: Vec<PathBuf>, exclusions: crate::exclude::Exclusions) -> Self {
        Sources {
            roots,
            exclusions,
            formats: Formats::builtin(),
        }
    }

    /// The transcripts to read, by path, and how many the exclusions and the data dir's forgotten sessions and
    /// projects (`state`) left out.
    pub fn find(&self, state: &SyncState, reporter: &Reporter) -> (Vec<FoundFile>, u64) {
        // Every command that lists files names a Gemini chat's project the same way a sync does.
        crate::reindex::load_gemini_roots(state);
        let exclusions = self
            .exclusions
            .clone()
            .forgetting(crate::forget::tombstones(state));
        let (kept, left_out) =
            exclusions.separate(find_files(&self.roots, &self.formats, reporter));
        (kept, left_out.len() as u64)
    }
}

/// Lists the files under `sources` that one of `formats` claims. Unreadable directories are reported and
/// skipped.
pub fn find_files(sources: &[PathBuf], formats: &Formats, reporter: &Reporter) -> Vec<FoundFile> {
    let mut out = Vec::new();
    for source in sources {
        if source.is_file() {
            // A single transcript (the hook path names the session that just ended).
            if let Some(agent) = formats.classify(source, source) {
                push_file(source, agent, &mut out);
            }
        } else {
            let mut walk = Walk {
                root: source,
                formats,
                reporter,
                out: &mut out,
            };
            walk.dir(source);
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup_by(|a, b| a.path == b.path);
    out
}

struct Walk<'a> {
    root: &'a Path,
    formats: &'a Formats,
    reporter: &'a Reporter,
    out: &'a mut Vec<FoundFile>,
}

impl Walk<'_> {
    fn dir(&mut self, dir: &Path) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.reporter.warn(format!(
                    "{}: cannot list directory ({e}); skipped",
                    dir.display()
                ));
                return;
            }
        };
        let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let Ok(meta) = std::fs::metadata(&path) else {
                continue; // vanished, or a dangling link
            };
            if meta.is_dir() {
                self.dir(&path);
            } else if meta.is_file() {
                if let Some(agent) = self.formats.classify(self.root, &path) {
                    push_found(&path, &meta, agent, self.out);
                }
            }
        }
    }
}

/// The files that need reading, newest first (by mtime, then path for a stable order).
pub fn pending(found: &[FoundFile], store: &SyncState) -> Vec<PendingFile> {
    let mut out: Vec<PendingFile> = found
        .iter()
        .filter_map(|f| {
            let cp = store.checkpoint(&f.path).ok().flatten();
            let stat = std::fs::File::open(&f.path)
                .ok()
                .and_then(|file| FileStat::of(&file).ok());
            let stat = stat.unwrap_or(FileStat {
                dev: 0,
                inode: 0,
                size: f.size,
                mtime_ns: f.mtime_ns,
            });
            // A checkpoint written for another agent's format (the file was reached from another root, or by
            // an older version) is no progress for this one: the file is read again, whole.
            let other_agent = cp
                .as_ref()
                .and_then(|c| crate::source::SourceState::agent_of_encoded(&c.state))
                .is_some_and(|a| a != f.agent);
            let mut pending_bytes = match crate::checkpoint::pending_bytes(cp.as_ref(), &stat) {
                Some(bytes) => bytes,
                None if other_agent => stat.size,
                None => return None,
            };
            if other_agent || crate::source::read_whole(f.agent, &f.path) {
                // Rewritten in place: it is read whole again.
                pending_bytes = stat.size;
            }
            Some(PendingFile {
                path: f.path.clone(),
                size: stat.size,
                mtime_ns: stat.mtime_ns,
                pending_bytes,
                agent: f.agent,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.mtime_ns
            .cmp(&a.mtime_ns)
            .then_with(|| a.path.cmp(&b.path))
    });
    out
}

fn push_file(path: &Path, agent: Agent, out: &mut Vec<FoundFile>) {
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_file() {
            push_found(path, &meta, agent, out);
        }
    }
}

fn push_found(path: &Path, meta: &std::fs::Metadata, agent: Agent, out: &mut Vec<FoundFile>) {
    use std::os::unix::fs::MetadataExt;
    out.push(FoundFile {
        path: path.to_string_lossy().into_owned(),
        size: meta.len(),
        mtime_ns: meta
            .mtime()
            .saturating_mul(1_000_000_000)
            .saturating_add(meta.mtime_nsec()),
        agent,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceState;
    use crate::stages::ResumeState;

    /// A file read to its end, under a checkpoint whose state is `source`'s.
    fn caught_up(dir: &Path, agent: Agent, source: SourceState) -> (SyncState, FoundFile) {
        let path = dir.join("rollout-2026-01-01T00-00-00-abc.jsonl");
        std::fs::write(
            &path,
            b"{\"type\":\"session_meta\",\"payload\":{\"id\":\"abc\"}}\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let state = SyncState::open(&dir.join("data")).unwrap_or_else(|e| panic!("{e}"));
        let name = path.to_string_lossy().into_owned();
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let stat = FileStat::of(&file).unwrap_or_else(|e| panic!("{e}"));
        let mut cp =
            crate::checkpoint::fresh(&name, &file, &stat, 0).unwrap_or_else(|e| panic!("{e}"));
        cp.offset = stat.size;
        cp.complete = true;
        cp.state = ResumeState {
            source,
            ..ResumeState::default()
        }
        .to_bytes()
        .unwrap_or_default();
        state
            .put_checkpoint_now(&cp)
            .unwrap_or_else(|e| panic!("{e}"));
        let found = FoundFile {
            path: name,
            size: stat.size,
            mtime_ns: stat.mtime_ns,
            agent,
        };
        (state, found)
    }

    #[test]
    fn a_file_checkpointed_as_another_agents_is_read_again_whole() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (state, found) = caught_up(
            dir.path(),
            Agent::Codex,
            SourceState::Codex(Default::default()),
        );
        assert!(
            pending(std::slice::from_ref(&found), &state).is_empty(),
            "caught up"
        );
        drop(state);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (state, found) = caught_up(dir.path(), Agent::Codex, SourceState::default());
        let again = pending(std::slice::from_ref(&found), &state);
        assert_eq!(
            again.len(),
            1,
            "read before as Claude Code's: pending again"
        );
        assert_eq!(again[0].pending_bytes, found.size);
    }
}
