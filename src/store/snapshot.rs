//! Publishing the search index ([`super::index_file`]): the writer builds it from every point after a run (and
//! now and then during a long one), under a temporary name, synced, then renamed into place, so a search never
//! waits for a sync and never sees a half-written batch. While a run holds the database, searches read the last
//! published index. When no writer runs, they read it only if no point changed after it was built: a writer marks
//! it as behind (`search.index.behind`, created durably before its first change) and clears the mark only after
//! publishing everything ([`publish_current`]); otherwise searches load the database itself.

use super::index_file::read::MappedIndex;
use super::{EmbeddedStore, StoredPoint};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use uuid::Uuid;

const FILE: &str = "search.index";
/// What earlier versions published (a bincode copy of every point, loaded whole); removed by the next publish.
const LEGACY_FILE: &str = "search.snapshot";

/// Present while the points have changed since the index was last published in full.
const BEHIND: &str = "search.index.behind";

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// Whether points changed after the published index was built (so it is current only if this is false and no
/// writer is running).
pub fn is_behind(data_dir: &Path) -> bool {
    data_dir.join(BEHIND).exists()
}

/// Creates the marker durably (file and directory entry synced) before any point changes.
pub(super) fn mark_behind(data_dir: &Path) -> Result<()> {
    let marker = data_dir.join(BEHIND);
    let f = std::fs::File::create(&marker).map_err(|e| Error::io(&marker, e))?;
    f.sync_all().map_err(|e| Error::io(&marker, e))?;
    if let Ok(dir) = std::fs::File::open(data_dir) {
        dir.sync_all().map_err(|e| Error::io(data_dir, e))?;
    }
    Ok(())
}

pub(super) fn clear_behind(data_dir: &Path) -> Result<()> {
    let marker = data_dir.join(BEHIND);
    match std::fs::remove_file(&marker) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(&marker, e)),
    }
}

/// Publishes every point and records that the index is current. Only for a writer whose points cannot change
/// while it publishes (the end of a run, a migration): a mid-run refresh uses [`publish`], which leaves the index
/// marked as behind.
pub fn publish_current(store: &EmbeddedStore) -> Result<()> {
    publish(store.data_dir(), store)?;
    store.state().points_published()
}

/// Deletes half-written snapshots other processes left behind (killed while publishing). A publisher holds the
/// store open, which only one process can, so a temporary file of another process id is never being written.
fn remove_stale_temporaries(data_dir: &Path) {
    let snapshots = format!("{FILE}.");
    let ours = format!("{FILE}.{}.", std::process::id());
    let Ok(entries) = std::fs::read_dir(data_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&snapshots) && name.ends_with(".tmp") && !name.starts_with(&ours) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Publishes every point of `store` as the new search index ([`super::index_file`]).
pub fn publish(data_dir: &Path, store: &EmbeddedStore) -> Result<()> {
    let created_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // A name of its own, so two publishers (the end of a run and a mid-run refresh) never share a file.
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    remove_stale_temporaries(data_dir);
    let tmp = data_dir.join(format!("{FILE}.{}.{unique}.tmp", std::process::id()));
    let written = super::index_file::write::write(&tmp, store.points(), created_unix)
        .and_then(|()| std::fs::rename(&tmp, path(data_dir)).map_err(|e| Error::io(&tmp, e)));
    if let Err(e) = written {
        // A full disk must not leave half an index behind.
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Ok(dir) = std::fs::File::open(data_dir) {
        let _ = dir.sync_all();
    }
    let _ = std::fs::remove_file(data_dir.join(LEGACY_FILE));
    Ok(())
}

/// A snapshot as read back.
pub struct Published {
    /// When it was published, Unix seconds.
    pub created_unix: u64,
    pub points: Vec<(Uuid, StoredPoint)>,
}

/// Every point of the last published index (for `export` while a sync runs). None if none was published yet.
pub fn load(data_dir: &Path) -> Result<Option<Published>> {
    let Some(index) = MappedIndex::open(&path(data_dir))? else {
        return Ok(None);
    };
    let points = (0..index.doc_count())
        .map(|doc| {
            let record = index.doc(doc);
            let vector = if MappedIndex::has_row(&record) {
                index.vector(record.row)?
            } else {
                Vec::new()
            };
            Ok((
                index.id(doc),
                StoredPoint {
                    vector,
                    payload: index.payload(doc)?,
                },
            ))
        })
        .collect::<Result<_>>()?;
    Ok(Some(Published {
        created_unix: index.created_unix(),
        points,
    }))
}

/// Removes the published index (after a reset).
pub fn remove(data_dir: &Path) -> Result<()> {
    let _ = std::fs::remove_file(data_dir.join(LEGACY_FILE));
    match std::fs::remove_file(path(data_dir)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path(data_dir), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_removes_what_a_killed_publisher_left_and_keeps_nothing_of_its_own() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = EmbeddedStore::of(
            &crate::store::SyncState::open(dir.path()).unwrap_or_else(|e| panic!("{e}")),
        );
        let stale = dir.path().join(format!("{FILE}.4194304.17.tmp"));
        std::fs::write(&stale, b"half a snapshot").unwrap_or_else(|e| panic!("{e}"));
        let unrelated = dir.path().join("notes.tmp");
        std::fs::write(&unrelated, b"not ours").unwrap_or_else(|e| panic!("{e}"));
        publish(dir.path(), &store).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!stale.exists(), "{names:?}");
        assert!(unrelated.exists());
        assert!(names.iter().any(|n| n == FILE), "{names:?}");
        assert!(
            !names
                .iter()
                .any(|n| n.starts_with(FILE) && n.ends_with(".tmp")),
            "{names:?}"
        );
    }
}
