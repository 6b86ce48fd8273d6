//! The hook queue: how hook events fold into one sync instead of piling up.
//!
//! A hook only records its event, `<data dir>/hook-queue/<session>.json` (the hook input, written to a temporary
//! file and renamed, so a reader never sees half of one), and returns. One drainer at a time, the process holding
//! `<data dir>/hook-runner.lock`, waits until the queue has been quiet for a moment, takes every entry and syncs
//! their sessions in one run. Events of a session already queued replace its entry (one sync covers them all);
//! events that arrive during a sync are taken by the drainer's next round.

use super::HookInput;
use crate::store::lock::{is_locked, try_lock_file};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const QUEUE_DIR: &str = "hook-queue";
const RUNNER_LOCK: &str = "hook-runner.lock";
/// An entry being taken (renamed first, so an event written meanwhile under the same name is a new entry).
const TAKING: &str = "taking";

fn queue_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(QUEUE_DIR)
}

/// The entry name of a session: its id when it is a plain one, else a hash of its transcript path.
fn entry_name(input: &HookInput) -> String {
    match input.session_id.as_deref() {
        Some(id)
            if !id.is_empty()
                && id.len() <= 128
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            id.to_string()
        }
        _ => {
            let path = input
                .transcript_path
                .as_deref()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            blake3::hash(path.as_bytes()).to_hex()[..32].to_string()
        }
    }
}

/// Records a hook event (replacing a queued event of the same session).
pub fn enqueue(data_dir: &Path, input: &HookInput) -> io::Result<()> {
    let raw = serde_json::to_string(input).map_err(io::Error::other)?;
    let dir = queue_dir(data_dir);
    crate::private::create_dir(&dir)?;
    let name = entry_name(input);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, raw)?;
    std::fs::rename(&tmp, dir.join(format!("{name}.json")))
}

/// Takes every queued event (they are removed): the hook inputs, oldest first, and the entries that could not be
/// read as one (returned as messages for the log).
pub fn take(data_dir: &Path) -> io::Result<(Vec<HookInput>, Vec<String>)> {
    let mut entries = queued(data_dir)?;
    entries.sort_by_key(|(_, modified)| *modified);
    let mut inputs = Vec::new();
    let mut bad = Vec::new();
    for (path, _) in entries {
        let taking = path.with_extension(TAKING);
        if std::fs::rename(&path, &taking).is_err() {
            continue; // another drainer took it
        }
        let text = std::fs::read_to_string(&taking);
        let _ = std::fs::remove_file(&taking);
        match text
            .map_err(|e| e.to_string())
            .and_then(|t| HookInput::parse(&t))
        {
            Ok(input) => inputs.push(input),
            Err(e) => bad.push(format!("{}: {e}", path.display())),
        }
    }
    Ok((inputs, bad))
}

/// How long ago the newest queued event was written; `None` when the queue is empty.
pub fn quiet_for(data_dir: &Path) -> io::Result<Option<Duration>> {
    let newest = queued(data_dir)?.into_iter().map(|(_, m)| m).max();
    Ok(newest.map(|m| SystemTime::now().duration_since(m).unwrap_or_default()))
}

/// Queued entries with their modification times.
fn queued(data_dir: &Path) -> io::Result<Vec<(PathBuf, SystemTime)>> {
    let entries = match std::fs::read_dir(queue_dir(data_dir)) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json") {
            if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                out.push((path, modified));
            }
        }
    }
    Ok(out)
}

/// The drainer's lock: held while a process drains the queue, released when dropped.
#[derive(Debug)]
pub struct RunnerLock {
    file: File,
}

impl RunnerLock {
    /// Takes the lock, or `None` when another process drains the queue.
    pub fn try_acquire(data_dir: &Path) -> io::Result<Option<Self>> {
        crate::private::create_dir(data_dir)?;
        Ok(try_lock_file(&data_dir.join(RUNNER_LOCK))?.map(|file| RunnerLock { file }))
    }

    /// True while a process drains the queue (checked without taking the lock from it).
    pub fn is_held(data_dir: &Path) -> bool {
        is_locked(&data_dir.join(RUNNER_LOCK))
    }
}

impl Drop for RunnerLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(session: &str) -> HookInput {
        let raw = format!(r#"{{"session_id":"{session}","transcript_path":"/t/{session}.jsonl"}}"#);
        HookInput::parse(&raw).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn events_of_one_session_fold_and_taking_empties_the_queue() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(quiet_for(dir.path()).ok().flatten(), None);
        for session in ["a", "b", "a", "a"] {
            enqueue(dir.path(), &input(session)).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(quiet_for(dir.path()).ok().flatten().is_some());
        let (taken, bad) = take(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let mut sessions: Vec<_> = taken.iter().filter_map(|i| i.session_id.clone()).collect();
        sessions.sort();
        assert_eq!(sessions, ["a", "b"]);
        assert!(bad.is_empty());
        assert_eq!(quiet_for(dir.path()).ok().flatten(), None);
        let (again, _) = take(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(again.is_empty());
    }

    #[test]
    fn an_odd_session_id_is_named_by_a_hash_and_one_drainer_at_a_time() {
        let i = input("../../etc/passwd");
        assert_eq!(entry_name(&i).len(), 32);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        enqueue(dir.path(), &i).unwrap_or_else(|e| panic!("{e}"));
        assert!(!RunnerLock::is_held(dir.path()));
        let held = RunnerLock::try_acquire(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(held.is_some());
        assert!(RunnerLock::is_held(dir.path()));
        assert!(RunnerLock::try_acquire(dir.path()).ok().flatten().is_none());
        drop(held);
        assert!(!RunnerLock::is_held(dir.path()));
    }
}
