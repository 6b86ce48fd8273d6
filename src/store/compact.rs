//! Rewriting the database so that deleted records leave the disk. sled is log-structured: a removed or
//! overwritten value stays in its files until the space is reused, so after `pipeline forget` the forgotten text
//! would still be readable in the data dir's bytes. Compaction copies every live record into a fresh database and
//! swaps it in.
//!
//! The swap survives a kill at any instant. The fresh copy is flushed and synced, then a marker file
//! (`store.compacted`) says it is complete; then `store` becomes `store.old`, `store.compacting` becomes `store`,
//! `store.old` is deleted and the marker last. The next writer finishes or discards what a kill left
//! ([`recover`]): with the marker, the complete copy wins over whatever `store` is (even an empty database a
//! reader created in the window); without it, a `store.compacting` is an unfinished copy (deleted). Readers refuse
//! to open while the marker exists or the store is missing beside a copy ([`interrupted`]).

use super::state::SyncState;
use crate::error::{Error, Result};
use std::path::Path;

const STORE: &str = "store";
const COMPACTING: &str = "store.compacting";
const REPLACED: &str = "store.old";
/// Exists while the complete copy is being swapped in.
const COMPLETE: &str = "store.compacted";
/// Records copied per write batch.
const BATCH: usize = 4096;

/// What a compaction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Compacted {
    pub bytes_before: u64,
    pub bytes_after: u64,
}

impl SyncState {
    /// Copies every live record into a fresh database and swaps it in; returns the reopened state. The caller
    /// holds the writer lock and gives up every other handle on this database (they would keep the old one open).
    pub fn compact(self) -> Result<(SyncState, Compacted)> {
        let data_dir = self.data_dir().to_path_buf();
        let fresh = data_dir.join(COMPACTING);
        remove_dir_if_exists(&fresh)?;
        let bytes_before = self.size_on_disk();
        {
            let failed = |source| Error::Database {
                path: fresh.clone(),
                source,
            };
            let copy = sled::Config::new().path(&fresh).open().map_err(failed)?;
            copy_every_tree(&self, &copy).map_err(failed)?;
            copy.flush().map_err(failed)?;
        }
        sync_tree(&fresh)?;
        drop(self);
        let (store, replaced, complete) = (
            data_dir.join(STORE),
            data_dir.join(REPLACED),
            data_dir.join(COMPLETE),
        );
        remove_dir_if_exists(&replaced)?;
        std::fs::write(&complete, b"").map_err(|e| Error::io(&complete, e))?;
        sync_dir(&data_dir)?;
        std::fs::rename(&store, &replaced).map_err(|e| Error::io(&store, e))?;
        std::fs::rename(&fresh, &store).map_err(|e| Error::io(&fresh, e))?;
        sync_dir(&data_dir)?;
        remove_dir_if_exists(&replaced)?;
        std::fs::remove_file(&complete).map_err(|e| Error::io(&complete, e))?;
        sync_dir(&data_dir)?;
        let state = SyncState::open_writer(&data_dir)?;
        let bytes_after = state.size_on_disk();
        Ok((
            state,
            Compacted {
                bytes_before,
                bytes_after,
            },
        ))
    }
}

/// A compaction is swapping its copy in (or a kill interrupted it there): readers must not open the store.
pub(super) fn interrupted(data_dir: &Path) -> bool {
    data_dir.join(COMPLETE).exists()
        || (!data_dir.join(STORE).exists()
            && (data_dir.join(COMPACTING).exists() || data_dir.join(REPLACED).exists()))
}

/// Finishes or discards a compaction a kill interrupted (see the module's doc). Only a writer (holding the
/// writer lock) calls it, before it opens the database.
pub(super) fn recover(data_dir: &Path) -> Result<()> {
    let (store, fresh, replaced, complete) = (
        data_dir.join(STORE),
        data_dir.join(COMPACTING),
        data_dir.join(REPLACED),
        data_dir.join(COMPLETE),
    );
    if complete.exists() {
        // The copy is complete: it wins over whatever `store` is now.
        if fresh.exists() {
            remove_dir_if_exists(&store)?;
            std::fs::rename(&fresh, &store).map_err(|e| Error::io(&fresh, e))?;
            sync_dir(data_dir)?;
        }
        remove_dir_if_exists(&replaced)?;
        std::fs::remove_file(&complete).map_err(|e| Error::io(&complete, e))?;
        return sync_dir(data_dir);
    }
    // No complete copy: an unfinished one is discarded, and the store stays (or comes back).
    remove_dir_if_exists(&fresh)?;
    if !store.exists() && replaced.exists() {
        std::fs::rename(&replaced, &store).map_err(|e| Error::io(&replaced, e))?;
        sync_dir(data_dir)?;
    }
    remove_dir_if_exists(&replaced)
}

fn copy_every_tree(from: &SyncState, to: &sled::Db) -> sled::Result<()> {
    for name in from.db.tree_names() {
        let (source, target) = (from.db.open_tree(&name)?, to.open_tree(&name)?);
        let mut batch = sled::Batch::default();
        let mut in_batch = 0;
        for kv in source.iter() {
            let (k, v) = kv?;
            batch.insert(k, v);
            in_batch += 1;
            if in_batch == BATCH {
                target.apply_batch(std::mem::take(&mut batch))?;
                in_batch = 0;
            }
        }
        target.apply_batch(batch)?;
    }
    Ok(())
}

fn remove_dir_if_exists(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(dir, e)),
        _ => Ok(()),
    }
}

/// Makes the renames in `dir` durable.
fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// Makes every file and directory entry under `dir` durable (the copy, before it replaces the store).
fn sync_tree(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            sync_tree(&path)?;
        } else {
            std::fs::File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io(&path, e))?;
        }
    }
    sync_dir(dir)
}

#[cfg(test)]
mod tests;
