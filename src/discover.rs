//! Finding transcript files and deciding which hold work: every `*.jsonl` under the sources, recursively
//! (subagent logs live in `<session>/subagents/`), newest first so recent sessions become searchable first.

use crate::checkpoint::FileStat;
use crate::progress::Reporter;
use crate::store::SyncState;
use std::path::{Path, PathBuf};

/// A transcript file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    pub path: String,
    pub size: u64,
    pub mtime_ns: i64,
}

/// A file with lines not yet covered by its checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingFile {
    pub path: String,
    pub size: u64,
    pub mtime_ns: i64,
    /// Bytes after the checkpoint (the whole file if it has none or was rewritten).
    pub pending_bytes: u64,
}

/// Where transcripts are looked for, and which of them are left out.
#[derive(Debug, Clone)]
pub struct Sources {
    pub roots: Vec<PathBuf>,
    pub exclusions: crate::exclude::Exclusions,
}

impl Sources {
    /// The transcripts to read, by path, and how many the exclusions and the data dir's forgotten sessions and
    /// projects (`state`) left out.
    pub fn find(&self, state: &SyncState, reporter: &Reporter) -> (Vec<FoundFile>, u64) {
        let exclusions = self
            .exclusions
            .clone()
            .forgetting(crate::forget::tombstones(state));
        let (kept, left_out) = exclusions.separate(find_files(&self.roots, reporter));
        (kept, left_out.len() as u64)
    }
}

/// Lists `*.jsonl` files under `sources`. Unreadable directories are reported and skipped.
pub fn find_files(sources: &[PathBuf], reporter: &Reporter) -> Vec<FoundFile> {
    let mut out = Vec::new();
    for source in sources {
        if source.is_file() {
            // A single transcript (the hook path names the session that just ended).
            push_file(source, &mut out);
        } else {
            walk(source, reporter, &mut out);
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup_by(|a, b| a.path == b.path);
    out
}

fn walk(dir: &Path, reporter: &Reporter, out: &mut Vec<FoundFile>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            reporter.warn(format!(
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
            walk(&path, reporter, out);
        } else if meta.is_file() && path.extension().is_some_and(|e| e == "jsonl") {
            push_found(&path, &meta, out);
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
            let pending_bytes = crate::checkpoint::pending_bytes(cp.as_ref(), &stat)?;
            Some(PendingFile {
                path: f.path.clone(),
                size: stat.size,
                mtime_ns: stat.mtime_ns,
                pending_bytes,
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

fn push_file(path: &Path, out: &mut Vec<FoundFile>) {
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_file() {
            push_found(path, &meta, out);
        }
    }
}

fn push_found(path: &Path, meta: &std::fs::Metadata, out: &mut Vec<FoundFile>) {
    use std::os::unix::fs::MetadataExt;
    out.push(FoundFile {
        path: path.to_string_lossy().into_owned(),
        size: meta.len(),
        mtime_ns: meta
            .mtime()
            .saturating_mul(1_000_000_000)
            .saturating_add(meta.mtime_nsec()),
    });
}
