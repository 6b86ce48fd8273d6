//! A read-only copy of the points, published by the writer after each run (write to a temporary file, fsync,
//! rename), so that searches never wait for a sync and never see a half-written batch: while a run holds the
//! database, readers load the last published snapshot, which holds only committed points.

use super::{EmbeddedStore, StoredPoint};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use uuid::Uuid;

const FILE: &str = "search.snapshot";
/// 2: payloads carry `line_uuids`.
const FORMAT: u32 = 2;

/// The first field of every format, read before the rest: a snapshot of another format is ignored, not an error.
#[derive(Debug, Deserialize)]
struct Header {
    format: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct Snapshot {
    format: u32,
    /// When it was published, Unix seconds.
    created_unix: u64,
    points: Vec<(u128, StoredPoint)>,
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
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

/// Publishes every point of `store` as the new snapshot.
pub fn publish(data_dir: &Path, store: &EmbeddedStore) -> Result<()> {
    let points = store
        .points()
        .map(|p| p.map(|(id, sp)| (id.as_u128(), sp)))
        .collect::<Result<Vec<_>>>()?;
    let snapshot = Snapshot {
        format: FORMAT,
        created_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        points,
    };
    let bytes = crate::codec::bincode_bytes("search snapshot", &snapshot)?;
    // A name of its own, so two publishers (the end of a run and a mid-run refresh) never share a file.
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    remove_stale_temporaries(data_dir);
    let tmp = data_dir.join(format!("{FILE}.{}.{unique}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path(data_dir))
    })();
    if let Err(e) = written {
        // A full disk must not leave half a snapshot behind.
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(&tmp, e));
    }
    if let Ok(dir) = std::fs::File::open(data_dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// A snapshot as read back.
pub struct Published {
    /// When it was published, Unix seconds.
    pub created_unix: u64,
    pub points: Vec<(Uuid, StoredPoint)>,
}

/// The last published snapshot. None if none was published yet.
pub fn load(data_dir: &Path) -> Result<Option<Published>> {
    let p = path(data_dir);
    let bytes = match std::fs::read(&p) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&p, e)),
    };
    let format =
        bincode::serde::decode_from_slice::<Header, _>(&bytes, bincode::config::standard())
            .map(|(h, _)| h.format);
    if format.is_ok_and(|f| f != FORMAT) {
        return Ok(None);
    }
    let (snapshot, _): (Snapshot, usize) =
        bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).map_err(|e| {
            Error::Store {
                path: p.clone(),
                message: format!("unreadable snapshot: {e}"),
            }
        })?;
    if snapshot.format != FORMAT {
        return Ok(None);
    }
    Ok(Some(Published {
        created_unix: snapshot.created_unix,
        points: snapshot
            .points
            .into_iter()
            .map(|(id, sp)| (Uuid::from_u128(id), sp))
            .collect(),
    }))
}

/// Removes the snapshot (after a reset).
pub fn remove(data_dir: &Path) -> Result<()> {
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
