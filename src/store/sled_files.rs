//! sled's own files, looked after before sled opens them.
//!
//! sled 0.34.7 saves a snapshot of its page table (at open, when the log moved since the last one) by writing
//! `snap.<lsn>.generating`, syncing it and renaming it to `snap.<lsn>`. A process killed before the rename leaves
//! the `.generating` file behind, often cut short. sled's next open lists every `snap.*` file, takes the last by
//! name (the `.generating` one), fails its checksum and refuses the whole database with `Corruption { at: None }`
//! (spacejam/sled#1527): one SIGKILL at the wrong instant and every later command fails.
//!
//! The snapshot only shortens recovery; the log is the data. Without the `.generating` file the previous snapshot
//! (or none) replays the log to the same state, exactly as when the kill came before the file was created. So a
//! `.generating` file that no open database is writing is deleted before sled opens the directory.

use crate::error::{Error, Result};
use std::fs::{File, TryLockError};
use std::path::Path;

/// Whether another open database (in this process or another) holds sled's lock on `store/db`: the same exclusive
/// `flock` sled takes. When none does, stale snapshot files are deleted while that lock is held here, so no sled
/// can start writing one meanwhile; the lock is released before returning. sled 0.34 reports a held lock only as
/// text, so contention is recognised here by its kind instead.
pub(super) fn held_elsewhere_or_cleaned(store: &Path) -> Result<bool> {
    let Ok(file) = File::open(store.join("db")) else {
        return Ok(false);
    };
    match file.try_lock() {
        Err(TryLockError::WouldBlock) => Ok(true),
        // Some filesystems have no flock; sled's own attempt will say what is wrong.
        Err(TryLockError::Error(_)) => Ok(false),
        Ok(()) => {
            // A compaction may have swapped another database in since `db` was opened: then the lock held here
            // is on the old one, and the files listed below would be the new one's (whose writer may be
            // saving a snapshot this instant). Report it held; the caller tries again.
            let swapped = !same_file(&file, &store.join("db"));
            if !swapped {
                remove_unfinished_snapshots(store)?;
            }
            let _ = file.unlock();
            Ok(swapped)
        }
    }
}

/// Whether the open `file` is the file at `path` now (same device and inode).
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(now)) => open.dev() == now.dev() && open.ino() == now.ino(),
        _ => false,
    }
}

/// Deletes every `snap.*.generating` file in `store`; the caller holds the database's lock.
fn remove_unfinished_snapshots(store: &Path) -> Result<()> {
    let entries = std::fs::read_dir(store).map_err(|e| Error::io(store, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(store, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(path: &Path) -> sled::Result<sled::Db> {
        sled::Config::new().path(path).open()
    }

    /// A database with one committed record whose log has moved past its last snapshot, as a killed writer
    /// leaves it.
    fn written_store(dir: &Path) -> std::path::PathBuf {
        let store = dir.join("store");
        let db = open(&store).unwrap_or_else(|e| panic!("{e}"));
        db.insert(b"kept", b"value")
            .unwrap_or_else(|e| panic!("{e}"));
        db.flush().unwrap_or_else(|e| panic!("{e}"));
        drop(db);
        store
    }

    fn plant_cut_snapshot(store: &Path) {
        std::fs::write(store.join("snap.00000000FFFFFFFF.generating"), [7u8; 40])
            .unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn sled_refuses_a_store_with_a_cut_snapshot_and_cleaning_lets_it_open_whole() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = written_store(dir.path());
        plant_cut_snapshot(&store);
        // The failure this module exists for.
        assert!(
            matches!(open(&store), Err(sled::Error::Corruption { .. })),
            "sled opened a store with a cut snapshot"
        );
        assert!(!held_elsewhere_or_cleaned(&store).unwrap_or_else(|e| panic!("{e}")));
        assert!(!store.join("snap.00000000FFFFFFFF.generating").exists());
        let db = open(&store).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            db.get(b"kept").unwrap_or_else(|e| panic!("{e}")).as_deref(),
            Some(&b"value"[..])
        );
    }

    #[test]
    fn an_open_database_is_reported_held_and_its_files_are_left_alone() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = written_store(dir.path());
        let db = open(&store).unwrap_or_else(|e| panic!("{e}"));
        plant_cut_snapshot(&store);
        assert!(held_elsewhere_or_cleaned(&store).unwrap_or_else(|e| panic!("{e}")));
        assert!(store.join("snap.00000000FFFFFFFF.generating").exists());
        drop(db);
        assert!(!held_elsewhere_or_cleaned(&store).unwrap_or_else(|e| panic!("{e}")));
        assert!(!store.join("snap.00000000FFFFFFFF.generating").exists());
        // A finished snapshot is kept.
        assert!(std::fs::read_dir(&store)
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().starts_with("snap.")));
    }

    #[test]
    fn the_file_a_probe_opened_is_told_from_a_database_swapped_in_after_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = written_store(dir.path());
        let old = File::open(store.join("db")).unwrap_or_else(|e| panic!("{e}"));
        // As compaction does: the old store moves aside and a fresh copy takes its place.
        std::fs::rename(&store, dir.path().join("store.old")).unwrap_or_else(|e| panic!("{e}"));
        written_store(dir.path());
        assert!(!same_file(&old, &store.join("db")));
        assert!(same_file(
            &File::open(store.join("db")).unwrap_or_else(|e| panic!("{e}")),
            &store.join("db")
        ));
    }

    #[test]
    fn a_missing_store_is_not_held() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !held_elsewhere_or_cleaned(&dir.path().join("store")).unwrap_or_else(|e| panic!("{e}"))
        );
    }
}
