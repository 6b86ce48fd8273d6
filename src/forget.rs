//! `pipeline forget --session ID | --project NAME`: deletes a session's or a project's points, the checkpoints of
//! their transcripts and the embedding-cache entries of their vectors, and keeps them from coming back.
//!
//! The order makes it safe to kill at any instant: first a tombstone is recorded durably (from then on no run
//! reads the session's or project's transcripts, see `crate::exclude`); then the cache entries and checkpoints go;
//! the points go last, so a forget cut short still finds them and, run again, finishes the job. Last, the database
//! is rewritten without the deleted records, which a log-structured store would otherwise keep on disk. `--undo`
//! removes the tombstone: the next run reads what is still on disk.

use crate::error::{Error, Result};
use crate::exclude::Peeked;
use crate::search::filter::Filter;
use crate::store::qdrant::QdrantStore;
use crate::store::{Compacted, EmbeddedStore, StoredPoint, SyncState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

/// Where tombstones live in the run metadata.
pub const TOMBSTONE_PREFIX: &str = "forget/";

/// What is forgotten.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Forget {
    /// A session id: its transcript, its subagents' logs and every point of it.
    Session(String),
    /// A project name (any case: the last component of its working directory, or for a git worktree its
    /// repository's, see [`crate::enhance::project`]) or its full path.
    Project(String),
}

impl std::fmt::Display for Forget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Forget::Session(id) => write!(f, "session {id}"),
            Forget::Project(name) => write!(f, "project {name}"),
        }
    }
}

impl Forget {
    fn key(&self) -> String {
        match self {
            Forget::Session(id) => format!("{TOMBSTONE_PREFIX}session/{id}"),
            Forget::Project(name) => format!("{TOMBSTONE_PREFIX}project/{}", name.to_lowercase()),
        }
    }

    /// The points it covers, as a search filter (the same matching as `--session` and `--project`).
    pub fn filter(&self) -> Filter {
        match self {
            Forget::Session(id) => Filter {
                session: Some(id.clone()),
                ..Filter::default()
            },
            Forget::Project(name) => Filter {
                project: Some(name.clone()),
                ..Filter::default()
            },
        }
    }

    /// Whether a transcript at `path`, whose first lines say `peeked`, belongs to it. A session's transcript is
    /// `<id>.jsonl` (a Codex rollout `rollout-<time>-<id>.jsonl`), its subagents' logs are under `<id>/`, and each
    /// names the session in its lines.
    pub fn covers(&self, path: &std::path::Path, peeked: &Peeked) -> bool {
        match self {
            Forget::Session(id) => {
                peeked.session_id.as_deref() == Some(id.as_str())
                    || path.file_stem().is_some_and(|s| s == id.as_str())
                    || path.file_stem().is_some_and(|s| {
                        s.to_string_lossy()
                            .strip_suffix(id.as_str())
                            .is_some_and(|head| head.ends_with('-'))
                    })
                    || path
                        .ancestors()
                        .skip(1)
                        .any(|d| d.file_name().is_some_and(|n| n == id.as_str()))
            }
            Forget::Project(name) => {
                peeked.cwd.as_deref().is_some_and(|cwd| {
                    // The name search and the stored points give it (a worktree's is its repository's), or the
                    // directory's own last component, which older records name.
                    cwd == name
                        || crate::enhance::project::project_name(cwd)
                            .is_some_and(|n| n.eq_ignore_ascii_case(name))
                        || std::path::Path::new(cwd)
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case(name))
                }) || peeked.project_hash.as_deref() == Some(name.as_str())
            }
        }
    }
}

/// What a forget removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Removed {
    pub points: u64,
    pub checkpoints: u64,
    pub cache_entries: u64,
    /// The database rewritten without the deleted records (sizes in bytes).
    pub compacted: Compacted,
}

/// Every tombstone of this data dir.
pub fn tombstones(state: &SyncState) -> Vec<Forget> {
    state
        .meta_scan(TOMBSTONE_PREFIX)
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect()
}

/// Records durably that `target` is forgotten: from now on no run reads its transcripts.
pub fn record(state: &SyncState, target: &Forget) -> Result<()> {
    state.meta_put(
        &target.key(),
        &crate::codec::json_bytes("forget tombstone", target)?,
    )
}

/// Removes the tombstone of `target`, and those recorded with it; returns whether there was one.
pub fn undo(state: &SyncState, target: &Forget) -> Result<bool> {
    let existed = state.meta_get(&target.key())?.is_some();
    for (key, _) in state.meta_scan(&format!("{}/", target.key())) {
        state.meta_remove(&key)?;
    }
    state.meta_remove(&target.key())?;
    Ok(existed)
}

/// For a forgotten project, a tombstone (recorded under the project's, so `--undo` takes it too) for the short
/// hash of every Gemini CLI project root among the matched points: a chat of that project is stored under its
/// root once a path names it, but under the hash while none does (when the chat that named it is deleted, for
/// one), and must stay forgotten either way.
fn record_gemini_hashes(
    state: &SyncState,
    target: &Forget,
    matched: &[(Uuid, StoredPoint)],
) -> Result<()> {
    let Forget::Project(name) = target else {
        return Ok(());
    };
    let roots: BTreeSet<&str> = matched
        .iter()
        .filter(|(_, p)| p.payload.agent == crate::message::Agent::GeminiCli)
        .filter_map(|(_, p)| p.payload.project.as_deref())
        .filter(|root| root.starts_with('/'))
        .collect();
    for root in roots {
        let short = crate::source::gemini::short_hash_of_root(root);
        if short.eq_ignore_ascii_case(name) {
            continue;
        }
        let also = Forget::Project(short.clone());
        state.meta_put(
            &format!("{}/gemini/{short}", target.key()),
            &crate::codec::json_bytes("forget tombstone", &also)?,
        )?;
    }
    Ok(())
}

/// Forgets `target` in the data dir of `state` and in its store (Qdrant when `qdrant` is given), then rewrites the
/// database so that the deleted records leave the disk (see `crate::store::compact`). Returns the reopened state.
pub fn forget(
    state: SyncState,
    qdrant: Option<&QdrantStore>,
    target: &Forget,
) -> Result<(SyncState, Removed)> {
    let mut removed = match qdrant {
        Some(q) => forget_qdrant(&state, q, target)?,
        None => forget_embedded(&state, target)?,
    };
    let (state, compacted) = state.compact()?;
    removed.compacted = compacted;
    Ok((state, removed))
}

/// Forgets `target` in the embedded store of `state`'s data dir.
fn forget_embedded(state: &SyncState, target: &Forget) -> Result<Removed> {
    record(state, target)?;
    // The search snapshot holds the text too: it goes before anything else can be read from it.
    crate::store::snapshot::remove(state.data_dir())?;
    let store = EmbeddedStore::of(state);
    let filter = target.filter();
    let mut matched: Vec<(Uuid, StoredPoint)> = Vec::new();
    for point in store.points() {
        let (id, point) = point?;
        if filter.matches(&point.payload) {
            matched.push((id, point));
        }
    }
    record_gemini_hashes(state, target, &matched)?;
    let mut removed = remove_local(state, target, &matched)?;
    let ids: Vec<Uuid> = matched.iter().map(|(id, _)| *id).collect();
    store.remove_points(&ids)?;
    removed.points = ids.len() as u64;
    Ok(removed)
}

/// Forgets `target` in a Qdrant collection (the checkpoints and the cache are in `state`'s data dir).
fn forget_qdrant(state: &SyncState, qdrant: &QdrantStore, target: &Forget) -> Result<Removed> {
    record(state, target)?;
    crate::store::snapshot::remove(state.data_dir())?;
    let filter = crate::search::qdrant::to_qdrant(&target.filter())
        .ok_or_else(|| Error::Config(format!("{target}: nothing to match")))?;
    let matched = qdrant.scroll_all_with_vectors(Some(filter.clone()))?;
    record_gemini_hashes(state, target, &matched)?;
    let mut removed = remove_local(state, target, &matched)?;
    qdrant.delete(filter, None)?;
    removed.points = matched.len() as u64;
    Ok(removed)
}

/// The cache entries of the matched points' vectors, and the checkpoints of their transcripts and of any other
/// checkpointed transcript the target covers by its path.
fn remove_local(
    state: &SyncState,
    target: &Forget,
    matched: &[(Uuid, StoredPoint)],
) -> Result<Removed> {
    let vectors: Vec<Vec<f32>> = matched.iter().map(|(_, p)| p.vector.clone()).collect();
    let cache_entries = state.forget_cached_vectors(&vectors)?;
    // Texts still waiting for their vectors are copies too.
    let ids: Vec<Uuid> = matched.iter().map(|(id, _)| *id).collect();
    state.dequeue_points(&ids)?;
    let mut paths: BTreeSet<String> = matched
        .iter()
        .map(|(_, p)| p.payload.source_path.clone())
        .collect();
    for (path, _) in state.checkpoints() {
        if target.covers(std::path::Path::new(&path), &Peeked::default()) {
            paths.insert(path);
        }
    }
    let checkpoints = state.remove_checkpoints(paths.iter().map(String::as_str))?;
    Ok(Removed {
        checkpoints,
        cache_entries,
        ..Removed::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn said(cwd: Option<&str>, session: Option<&str>) -> Peeked {
        Peeked {
            cwd: cwd.map(str::to_string),
            session_id: session.map(str::to_string),
            project_hash: None,
        }
    }

    #[test]
    fn a_session_covers_its_transcript_and_its_subagents_logs_only() {
        let s = Forget::Session("0f3c".into());
        let nothing = Peeked::default();
        assert!(s.covers(Path::new("/p/-home-x/0f3c.jsonl"), &nothing));
        assert!(s.covers(
            Path::new("/p/-home-x/0f3c/subagents/agent-a1.jsonl"),
            &nothing
        ));
        assert!(s.covers(
            Path::new("/p/-home-x/renamed.jsonl"),
            &said(None, Some("0f3c"))
        ));
        assert!(!s.covers(Path::new("/p/-home-x/0f3cd.jsonl"), &nothing));
        assert!(!s.covers(
            Path::new("/p/-home-x/other.jsonl"),
            &said(Some("/home/x/0f3c"), Some("9"))
        ));
    }

    #[test]
    fn a_forgotten_gemini_project_stays_forgotten_under_its_hash_until_undone() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let state = SyncState::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let root = "/home/dev/shop";
        let mut p = crate::store::embedded::tests::payload("g", "u1", 0, 1);
        p.agent = crate::message::Agent::GeminiCli;
        p.project = Some(root.into());
        let point = StoredPoint {
            vector: vec![1.0],
            payload: p,
        };
        let target = Forget::Project("shop".into());
        record(&state, &target).unwrap_or_else(|e| panic!("{e}"));
        record_gemini_hashes(&state, &target, &[(Uuid::from_u128(1), point)])
            .unwrap_or_else(|e| panic!("{e}"));
        let short = crate::source::gemini::short_hash_of_root(root);
        let all = tombstones(&state);
        assert!(all.contains(&Forget::Project(short.clone())), "{all:?}");
        let chat_under_hash = Peeked {
            cwd: Some(short.clone()),
            session_id: None,
            project_hash: Some(short.clone()),
        };
        assert!(all
            .iter()
            .any(|f| f.covers(Path::new("/g/chats/session-1.json"), &chat_under_hash)));
        assert!(undo(&state, &target).unwrap_or_else(|e| panic!("{e}")));
        assert!(tombstones(&state).is_empty(), "undo takes the hash too");
    }

    #[test]
    fn a_project_is_its_directory_name_in_any_case_or_its_path() {
        let p = Forget::Project("Shop".into());
        assert!(p.covers(Path::new("/p/a.jsonl"), &said(Some("/home/dev/shop"), None)));
        assert!(!p.covers(
            Path::new("/p/a.jsonl"),
            &said(Some("/home/dev/shopping"), None)
        ));
        assert!(
            !p.covers(Path::new("/p/shop/a.jsonl"), &Peeked::default()),
            "the working directory decides"
        );
        let worktree = said(Some("/home/dev/shop-worktrees/fix-cart"), None);
        assert!(
            p.covers(Path::new("/p/a.jsonl"), &worktree),
            "a worktree is its repository's project, as search names it"
        );
        assert!(Forget::Project("fix-cart".into()).covers(Path::new("/p/a.jsonl"), &worktree));
        let by_path = Forget::Project("/home/dev/shop".into());
        assert!(by_path.covers(Path::new("/p/a.jsonl"), &said(Some("/home/dev/shop"), None)));
        assert_eq!(
            p.key(),
            Forget::Project("shop".into()).key(),
            "one tombstone per project"
        );
    }
}
