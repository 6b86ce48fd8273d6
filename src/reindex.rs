//! Re-indexing a data dir written by an older enhancer: automatic, resumable, and never a loss.
//!
//! The store remembers the [`ENHANCER_VERSION`] its points were written with. When a run finds another version, it
//! forgets the file checkpoints (not the points, nor the embedding cache), so every transcript that still exists
//! is read again from its start and its points are overwritten under the same ids with the new text; a budgeted
//! run that stops part-way simply leaves the rest to the next run, as for any backlog. Points of transcripts
//! Claude Code has since deleted are kept as they are: they cannot be re-derived, and losing them would be worse
//! than their older text. Searches keep working throughout (old points stay readable until replaced).

use crate::enhance::ENHANCER_VERSION;
use crate::error::Result;
use crate::message::Agent;
use crate::source::formats::FORMATS;
use crate::source::gemini;
use crate::source::SourceState;
use crate::store::SyncState;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Meta key: the enhancer version of the points the checkpoints cover.
pub const VERSION_KEY: &str = "index.enhancer_version";

/// What [`prepare`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reindex {
    /// The data dir is current (or new).
    Current,
    /// It was written by this older version (0: before versions were recorded): every file is read again.
    Started { from: u32 },
}

/// Starts a re-index when the data dir's points were written by another enhancer version. Crash-safe in either
/// order: the checkpoints are cleared before the new version is recorded, so a run killed in between clears them
/// again next time (a no-op), and one killed after it finds the files already pending.
pub fn prepare(store: &SyncState) -> Result<Reindex> {
    let stored = store
        .meta_get(VERSION_KEY)?
        .and_then(|v| <[u8; 4]>::try_from(v.as_slice()).ok())
        .map(u32::from_le_bytes);
    if stored == Some(ENHANCER_VERSION) {
        return Ok(Reindex::Current);
    }
    let has_history = !store.checkpoints().is_empty();
    if has_history {
        store.clear_checkpoints()?;
    }
    store.meta_put(VERSION_KEY, &ENHANCER_VERSION.to_le_bytes())?;
    Ok(if has_history {
        Reindex::Started {
            from: stored.unwrap_or(0),
        }
    } else {
        Reindex::Current
    })
}

/// Meta key: the version of `agent`'s format that its files' checkpoints were written with (absent: 1).
fn format_version_key(agent: Agent) -> String {
    format!("index.format_version.{agent}")
}

/// Reads again, once, the files of every format whose rules changed since the data dir's checkpoints of it were
/// written ([`crate::source::formats::Format::version`]): their checkpoints are forgotten (the points stay until
/// the files' new points overwrite them under the same ids). Returns the formats re-read, with the version they
/// had. Crash-safe as [`prepare`] is: checkpoints first, then the version.
pub fn prepare_formats(store: &SyncState) -> Result<Vec<(Agent, u32)>> {
    let mut started = Vec::new();
    for format in FORMATS {
        let key = format_version_key(format.agent);
        let stored = store
            .meta_get(&key)?
            .and_then(|v| <[u8; 4]>::try_from(v.as_slice()).ok())
            .map(u32::from_le_bytes)
            .unwrap_or(1);
        if stored == format.version {
            continue;
        }
        let paths: Vec<String> = store
            .checkpoints()
            .into_iter()
            .filter_map(|(path, cp)| {
                let cp = cp.ok()?;
                (SourceState::agent_of_encoded(&cp.state) == Some(format.agent)).then_some(path)
            })
            .collect();
        if !paths.is_empty() {
            store.remove_checkpoints(paths.iter().map(String::as_str))?;
            started.push((format.agent, stored));
        }
        store.meta_put(&key, &format.version.to_le_bytes())?;
    }
    Ok(started)
}

/// Before files are listed: the Gemini CLI roots earlier runs found are the answers again, even once the chats
/// that named them are gone.
pub fn load_gemini_roots(store: &SyncState) {
    for (key, root) in store.meta_scan(GEMINI_ROOT_FOUND) {
        let (Some(dir), Ok(root)) = (key.strip_prefix(GEMINI_ROOT_FOUND), String::from_utf8(root))
        else {
            continue;
        };
        if !root.is_empty() {
            gemini::remember_root(Path::new(dir), &root);
        }
    }
}

/// Meta key prefix: a Gemini CLI project directory named by hash whose root was found (the directory follows; the
/// value is the root).
const GEMINI_ROOT_FOUND: &str = "index.gemini_root_found.";

/// Reads again the Gemini CLI `chats` of each project directory named by hash whose root was found since they were
/// read. Until some chat names a path in the project ([`crate::source::gemini::resolve_root`]), its chats are
/// stored under the hash; once one does, every chat of the directory read so far is read again from its start,
/// once, so that all of them move to the root, the project filters find them and a `.pipeline-ignore` there
/// applies (same ids: their points are overwritten). Returns those directories. Crash-safe as [`prepare`] is:
/// checkpoints first, then the mark.
pub fn prepare_gemini_roots<'a>(
    store: &SyncState,
    chats: impl Iterator<Item = &'a str>,
) -> Result<Vec<PathBuf>> {
    let mut dirs: BTreeMap<PathBuf, Vec<&str>> = BTreeMap::new();
    for chat in chats {
        if let Some(dir) = gemini::hash_named_dir(Path::new(chat)) {
            dirs.entry(dir).or_default().push(chat);
        }
    }
    let mut read_again = Vec::new();
    for (dir, chats) in dirs {
        let key = format!("{GEMINI_ROOT_FOUND}{}", dir.display());
        let mark = store.meta_get(&key)?;
        if mark.as_ref().is_some_and(|root| !root.is_empty()) {
            continue;
        }
        let Some(chat) = chats.first().map(Path::new) else {
            continue;
        };
        // Where Gemini CLI recorded the root, its chats were always stored under it.
        if gemini::project_root(chat).is_some() {
            continue;
        }
        let Some(root) = gemini::resolve_root(chat, None) else {
            continue;
        };
        // An empty mark (written before marks held the root) means the chats were read again already.
        if mark.is_none() && store.remove_checkpoints(chats.iter().copied())? > 0 {
            read_again.push(dir.clone());
        }
        store.meta_put(&key, root.as_bytes())?;
    }
    Ok(read_again)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{FileCheckpoint, CHECKPOINT_FORMAT};

    fn checkpoint(path: &str) -> FileCheckpoint {
        FileCheckpoint {
            version: CHECKPOINT_FORMAT,
            path: path.into(),
            dev: 1,
            inode: 2,
            head_len: 0,
            head_hash: [0; 16],
            offset: 10,
            tail_len: 0,
            tail_hash: [0; 16],
            size: 10,
            mtime_ns: 0,
            complete: true,
            state: vec![],
            lines: 1,
            malformed_lines: 0,
            messages: 1,
            restarts: 0,
        }
    }

    #[test]
    fn an_old_data_dir_is_read_again_once_and_a_new_one_never() {
        let dir = tempfile::tempdir().unwrap();
        let store = SyncState::open(dir.path()).unwrap();
        assert_eq!(prepare(&store).unwrap(), Reindex::Current, "empty data dir");
        store.put_checkpoint_now(&checkpoint("/a.jsonl")).unwrap();
        assert_eq!(prepare(&store).unwrap(), Reindex::Current);
        assert_eq!(
            store.checkpoints().len(),
            1,
            "a current data dir keeps its checkpoints"
        );

        store.meta_remove(VERSION_KEY).unwrap();
        assert_eq!(prepare(&store).unwrap(), Reindex::Started { from: 0 });
        assert!(store.checkpoints().is_empty());
        store.put_checkpoint_now(&checkpoint("/a.jsonl")).unwrap();
        assert_eq!(prepare(&store).unwrap(), Reindex::Current, "only once");
        assert_eq!(store.checkpoints().len(), 1);

        store.meta_put(VERSION_KEY, &1u32.to_le_bytes()).unwrap();
        assert_eq!(prepare(&store).unwrap(), Reindex::Started { from: 1 });
    }

    #[test]
    fn a_format_whose_rules_changed_has_only_its_own_files_read_again_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = SyncState::open(dir.path()).unwrap();
        let with_state = |path: &str, source: SourceState| {
            let mut cp = checkpoint(path);
            cp.state = crate::stages::ResumeState {
                source,
                enhancer: Default::default(),
            }
            .to_bytes()
            .unwrap();
            store.put_checkpoint_now(&cp).unwrap();
        };
        with_state("/claude.jsonl", SourceState::default());
        with_state("/rollout-1.jsonl", SourceState::Codex(Default::default()));
        with_state("/chat.json", SourceState::Rewritten(Default::default()));
        // A data dir from before format versions: every format was at version 1.
        let mut started = prepare_formats(&store).unwrap();
        started.sort();
        let expected: Vec<(Agent, u32)> = FORMATS
            .iter()
            .filter(|f| f.version > 1)
            .map(|f| (f.agent, 1))
            .collect();
        let mut expected_sorted = expected.clone();
        expected_sorted.sort();
        assert_eq!(started, expected_sorted);
        let left: Vec<String> = store.checkpoints().into_iter().map(|(p, _)| p).collect();
        assert!(left.contains(&"/claude.jsonl".to_string()), "{left:?}");
        for (agent, _) in &expected {
            let path = match agent {
                Agent::Codex => "/rollout-1.jsonl",
                Agent::GeminiCli => "/chat.json",
                Agent::ClaudeCode => "/claude.jsonl",
            };
            assert!(!left.contains(&path.to_string()), "{agent}: {left:?}");
        }
        with_state("/rollout-1.jsonl", SourceState::Codex(Default::default()));
        assert!(prepare_formats(&store).unwrap().is_empty(), "only once");
        assert_eq!(store.checkpoints().len(), left.len() + 1);
    }

    #[test]
    fn gemini_chats_under_a_hash_are_read_again_once_when_their_root_is_found() {
        use crate::source::testing::write;
        let (home, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let store = SyncState::open(dir.path()).unwrap();
        let tmp = home.path().join(".gemini/tmp");
        let chat = |root: &str, name: &str, body: &str| {
            let path = tmp
                .join(gemini::hash_of_root(root))
                .join("chats")
                .join(name);
            write(&path, body);
            path.to_string_lossy().into_owned()
        };
        let named = chat(
            "/srv/found-app",
            "session-2025-01-01T10-00-aaaa.json",
            r#"{"messages": [{"toolCalls": [{"args": {"absolute_path": "/srv/found-app/main.rs"}}]}]}"#,
        );
        let quiet = chat(
            "/srv/quiet-app",
            "session-2025-01-01T10-00-bbbb.json",
            r#"{"messages": [{"content": "no path here"}]}"#,
        );
        let files = [named.as_str(), quiet.as_str()];
        store.put_checkpoint_now(&checkpoint(&named)).unwrap();
        store.put_checkpoint_now(&checkpoint(&quiet)).unwrap();
        let again = prepare_gemini_roots(&store, files.iter().copied()).unwrap();
        assert_eq!(again.len(), 1, "{again:?}");
        assert!(store.checkpoint(&named).unwrap().is_none());
        assert!(
            store.checkpoint(&quiet).unwrap().is_some(),
            "no root found: kept"
        );
        store.put_checkpoint_now(&checkpoint(&named)).unwrap();
        assert!(
            prepare_gemini_roots(&store, files.iter().copied())
                .unwrap()
                .is_empty(),
            "only once"
        );
        assert!(store.checkpoint(&named).unwrap().is_some());
        // The mark holds the root, and the next run gives it back.
        let dir = gemini::hash_named_dir(Path::new(&named)).unwrap();
        let key = format!("{GEMINI_ROOT_FOUND}{}", dir.display());
        assert_eq!(
            store.meta_get(&key).unwrap().as_deref(),
            Some(&b"/srv/found-app"[..])
        );
        // An empty mark (from before marks held the root) gets the root without another re-read.
        store.meta_put(&key, b"").unwrap();
        assert!(prepare_gemini_roots(&store, files.iter().copied())
            .unwrap()
            .is_empty());
        assert!(store.checkpoint(&named).unwrap().is_some());
        assert_eq!(
            store.meta_get(&key).unwrap().as_deref(),
            Some(&b"/srv/found-app"[..])
        );
    }
}
