//! Publishing the search index ([`super::index_file`]): the writer builds it from every point after a run (and
//! now and then during a long one), under a temporary name, synced, then renamed into place, so a search never
//! waits for a sync and never sees a half-written batch. While a run holds the database, searches read the last
//! published index. When no writer runs, they read it only if no point changed after it was built: a writer marks
//! it as behind (`search.index.behind`, created durably before its first change) and clears the mark only after
//! publishing everything ([`publish_current`]); otherwise searches load the database itself.

use super::index_file::read::MappedIndex;
use super::index_file::Identity;
use super::{EmbeddedStore, StoredPoint};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;
use uuid::Uuid;

const FILE: &str = "search.index";
/// The points changed since `FILE` was built.
const DELTA_FILE: &str = "search.index.delta";
/// What earlier versions published (a bincode copy of every point, loaded whole); removed by the next publish.
const LEGACY_FILE: &str = "search.snapshot";

/// Present while the points have changed since the index was last published in full.
const BEHIND: &str = "search.index.behind";

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

pub fn delta_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DELTA_FILE)
}

/// Whether a base of the current format is published (one of an older version is replaced by the next run).
pub fn is_published(data_dir: &Path) -> bool {
    MappedIndex::open(&path(data_dir)).is_ok_and(|i| i.is_some())
}

/// Whether points changed after the published index was built (so it is current only if this is false and no
/// writer is running).
pub fn is_behind(data_dir: &Path) -> bool {
    // An older version, which knows neither the marker nor the pending list, publishes `LEGACY_FILE` (a rebuild
    // removes it): after it wrote the store, the index is behind until the next rebuild.
    data_dir.join(BEHIND).exists() || data_dir.join(LEGACY_FILE).exists()
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

/// Publishes every change and records that the index is current. Only for a writer whose points cannot change
/// while it publishes (the end of a run, a migration): a mid-run refresh uses [`publish_refresh`], which leaves
/// the index marked as behind.
pub fn publish_current(store: &EmbeddedStore) -> Result<()> {
    publish_current_as(store, plan(store).0)
}

/// [`publish_current`], written as `how`.
pub fn publish_current_as(store: &EmbeddedStore, how: Publish) -> Result<()> {
    publish_as(store.data_dir(), store, how)?;
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

/// One publish at a time in a process (the end of a run and a mid-run refresh never interleave).
static PUBLISHING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A delta may hold this share of its base's documents (at least [`DELTA_MIN`]) before the next publish rebuilds
/// the base: publishing costs at most a tenth of a rebuild, and a rebuild happens once per tenth of new points.
const DELTA_SHARE: usize = 10;
const DELTA_MIN: usize = 2000;

/// An id no other published file of this data dir had: the time in nanoseconds, mixed with the process id,
/// never 0 (a base's `base_id`).
fn segment_id() -> u64 {
    let nanos = now().as_nanos() as u64;
    (nanos ^ (u64::from(std::process::id()) << 40)).max(1)
}

fn now() -> std::time::Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// How a publish writes the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publish {
    /// Only the points changed since the base was built (needs a base of the current format).
    Delta,
    /// Every point, as a new base.
    Rebuild,
}

/// What the next publish should do and what it would cost: a delta while the changed points are few (at most a
/// tenth of the base, at least 2,000), else a rebuild; and the cost of a delta instead, when there is a
/// base to apply one to (a run whose budget has no room for a rebuild publishes a larger delta).
pub fn plan(store: &EmbeddedStore) -> (Publish, Duration, Option<Duration>) {
    let data_dir = store.data_dir();
    let base = MappedIndex::open(&path(data_dir)).ok().flatten();
    let pending = store.state().index_pending_count();
    // Measured by `make bench` (store section): about 40 MB/s at a million points, where the whole store is
    // read into memory first; about 4 KB per point.
    let cost =
        |bytes: u64| Duration::from_millis(50) + Duration::from_secs_f64(bytes as f64 / 40e6);
    let delta = cost(pending as u64 * 4000);
    // A store an older version wrote to has changes the pending list lacks: only a rebuild covers them.
    let base = base.filter(|_| !data_dir.join(LEGACY_FILE).exists());
    match base {
        Some(b) if pending <= (b.doc_count() / DELTA_SHARE).max(DELTA_MIN) => {
            (Publish::Delta, delta, Some(delta))
        }
        Some(b) => {
            // The base's size, grown by the pending points.
            let bytes = std::fs::metadata(path(data_dir)).map_or(0, |m| m.len());
            let grown =
                bytes as f64 * (b.doc_count() + pending) as f64 / b.doc_count().max(1) as f64;
            (Publish::Rebuild, cost(grown as u64), Some(delta))
        }
        // sled's size on disk (cheap, unlike counting points), a little more than the index it becomes.
        None => (Publish::Rebuild, cost(store.state().size_on_disk()), None),
    }
}

/// Publishes the search index ([`super::index_file`]) as [`plan`] says.
pub fn publish(data_dir: &Path, store: &EmbeddedStore) -> Result<()> {
    publish_as(data_dir, store, plan(store).0)
}

/// A refresh during a run, within `room`: as [`plan`] says when that fits (a first import thus rebuilds its base
/// each time its delta passes a tenth of it, so the bytes written stay proportional to the store), else a delta
/// when that fits, else nothing. Returns whether it published.
pub fn publish_refresh(data_dir: &Path, store: &EmbeddedStore, room: Duration) -> Result<bool> {
    let (how, cost, delta) = plan(store);
    let how = if cost <= room {
        how
    } else if delta.is_some_and(|d| d <= room) {
        Publish::Delta
    } else {
        return Ok(false);
    };
    publish_as(data_dir, store, how)?;
    Ok(true)
}

/// Publishes the search index as `how` (a delta only when a base of the current format exists, else a rebuild).
pub fn publish_as(data_dir: &Path, store: &EmbeddedStore, how: Publish) -> Result<()> {
    let _one = PUBLISHING.lock().unwrap_or_else(|p| p.into_inner());
    remove_stale_temporaries(data_dir);
    let base = MappedIndex::open(&path(data_dir)).ok().flatten();
    // Read before the points: a change after this stays pending (its number changes), so nothing is lost.
    let pending = store.state().index_pending()?;
    match base.filter(|_| !data_dir.join(LEGACY_FILE).exists()) {
        Some(base) if how == Publish::Delta => {
            let ids: Vec<Uuid> = pending.iter().map(|(id, _)| *id).collect();
            let points = ids
                .iter()
                .filter_map(|id| store.point(*id).transpose().map(|p| p.map(|p| (*id, p))));
            let identity = Identity {
                created_unix: now().as_secs(),
                segment_id: segment_id(),
                base_id: base.identity().segment_id,
            };
            write_and_rename(data_dir, &delta_path(data_dir), points, identity, &ids)
        }
        _ => {
            let identity = Identity {
                created_unix: now().as_secs(),
                segment_id: segment_id(),
                base_id: 0,
            };
            write_and_rename(data_dir, &path(data_dir), store.points(), identity, &[])?;
            // A reader pairs a delta with its base only, so the old delta is ignored until it is gone.
            remove_file(&delta_path(data_dir))?;
            let _ = std::fs::remove_file(data_dir.join(LEGACY_FILE));
            store.state().index_pending_done(&pending)
        }
    }
}

fn write_and_rename(
    data_dir: &Path,
    to: &Path,
    points: impl Iterator<Item = Result<(Uuid, StoredPoint)>>,
    identity: Identity,
    superseded: &[Uuid],
) -> Result<()> {
    // A name of its own, so two publishers never share a file.
    let tmp = data_dir.join(format!(
        "{FILE}.{}.{}.tmp",
        std::process::id(),
        now().as_nanos()
    ));
    let written = super::index_file::write::write(&tmp, points, identity, superseded)
        .and_then(|()| std::fs::rename(&tmp, to).map_err(|e| Error::io(&tmp, e)));
    if let Err(e) = written {
        // A full disk must not leave half an index behind.
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Ok(dir) = std::fs::File::open(data_dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// The published base and, if one applies to it, its delta. The delta is opened first: a delta of another base
/// is then older than the base opened after it (a base is replaced only by a newer one), so the base alone is
/// the newer state.
pub fn open_published(data_dir: &Path) -> Result<Option<(MappedIndex, Option<MappedIndex>)>> {
    let delta = MappedIndex::open(&delta_path(data_dir))?;
    let Some(base) = MappedIndex::open(&path(data_dir))? else {
        return Ok(None);
    };
    let delta = delta.filter(|d| d.identity().base_id == base.identity().segment_id);
    Ok(Some((base, delta)))
}

/// A snapshot as read back.
pub struct Published {
    /// When it was published, Unix seconds.
    pub created_unix: u64,
    pub points: Vec<(Uuid, StoredPoint)>,
}

/// Every point of the last published index (for `export` while a sync runs), in id order. None if none was
/// published yet.
pub fn load(data_dir: &Path) -> Result<Option<Published>> {
    let Some((base, delta)) = open_published(data_dir)? else {
        return Ok(None);
    };
    let mut points = std::collections::BTreeMap::new();
    let superseded: std::collections::HashSet<Uuid> =
        delta.iter().flat_map(|d| d.superseded()).collect();
    for index in std::iter::once(&base).chain(delta.as_ref()) {
        let is_base = std::ptr::eq(index, &base);
        for doc in 0..index.doc_count() {
            let id = index.id(doc);
            if is_base && superseded.contains(&id) {
                continue;
            }
            let record = index.doc(doc);
            let vector = if MappedIndex::has_row(&record) {
                index.vector(record.row)?
            } else {
                Vec::new()
            };
            let payload = index.payload(doc)?;
            points.insert(id, StoredPoint { vector, payload });
        }
    }
    Ok(Some(Published {
        created_unix: delta.as_ref().unwrap_or(&base).created_unix(),
        points: points.into_iter().collect(),
    }))
}

fn remove_file(p: &Path) -> Result<()> {
    match std::fs::remove_file(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(p, e)),
    }
}

/// Removes the published index (after a reset, or before points change wholesale): the next publish rebuilds it.
pub fn remove(data_dir: &Path) -> Result<()> {
    let _ = std::fs::remove_file(data_dir.join(LEGACY_FILE));
    remove_file(&path(data_dir))?;
    remove_file(&delta_path(data_dir))
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
