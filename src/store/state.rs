//! The data dir's sled database as a sync's state: per-file checkpoints, the embedding cache and run metadata
//! (history, resume settings, the model record). Every sync keeps its state here, whichever store its points go
//! to; the embedded point store ([`super::EmbeddedStore`]) keeps its points in a tree of the same database, so
//! that a batch's points and checkpoints commit in one transaction.

use super::embed_queue::{self, QueuedChunk};
use super::point::{CommitBatch, SinkOp};
use crate::checkpoint::{self, FileCheckpoint};
use crate::error::{Error, Result};
use sled::transaction::ConflictableTransactionError::{self, Abort};
use sled::transaction::TransactionError;
use sled::Transactional;
use std::path::{Path, PathBuf};

/// Longest wait for a `pipeline watch` cycle (at most `--cycle`, 5 s by default) before a reader gives up.
const WATCH_CYCLE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

pub(super) const POINTS: &str = "points";
const CACHE: &str = "embed_cache";
const CHECKPOINTS: &str = "checkpoints";
const META: &str = "meta";
const INDEX_PENDING: &str = "index_pending";

/// The data dir's sled database: checkpoints, the embedding cache and run metadata (and the embedded point
/// store's tree, which only [`super::EmbeddedStore`] reads and writes). A clone is another handle on the same
/// open database, which closes when the last handle is dropped.
#[derive(Clone)]
pub struct SyncState {
    pub(super) db: sled::Db,
    pub(super) points: sled::Tree,
    pub(super) cache: sled::Tree,
    pub(super) checkpoints: sled::Tree,
    /// Point ids changed (written, patched or deleted) since the published search index's base was built, each
    /// with a number that changes on every change (see [`super::snapshot`]).
    pub(super) index_pending: sled::Tree,
    /// Chunks stored without their vector yet, newest first, with the text to embed ([`embed_queue`]).
    pub(super) embed_queue: sled::Tree,
    /// Queued point id -> its key in `embed_queue`.
    pub(super) embed_queued: sled::Tree,
    meta: sled::Tree,
    path: PathBuf,
    /// Whether this process has marked the published search index as behind the points (see
    /// [`Self::points_changing`]); shared by every handle.
    index_behind: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl SyncState {
    /// Opens (creating) the database in `data_dir`. Fails fast with [`Error::Locked`] when another process has it.
    pub fn open(data_dir: &Path) -> Result<Self> {
        crate::private::create_dir(data_dir).map_err(|e| Error::io(data_dir, e))?;
        let path = data_dir.join("store");
        // Only a writer finishes an interrupted compaction; nothing else may create a store meanwhile.
        if super::compact::interrupted(data_dir)
            || super::sled_files::held_elsewhere_or_cleaned(&path)?
        {
            return Err(Error::Locked {
                data_dir: data_dir.to_path_buf(),
            });
        }
        let db = sled::Config::new()
            .path(&path)
            .cache_capacity(64 << 20)
            .flush_every_ms(Some(1000))
            .open()
            .map_err(|e| open_error(data_dir, &path, e))?;
        let tree = |name: &str| db.open_tree(name).map_err(|e| database_error(&path, e));
        Ok(SyncState {
            points: tree(POINTS)?,
            cache: tree(CACHE)?,
            checkpoints: tree(CHECKPOINTS)?,
            index_pending: tree(INDEX_PENDING)?,
            embed_queue: tree(embed_queue::QUEUE)?,
            embed_queued: tree(embed_queue::QUEUED)?,
            meta: tree(META)?,
            db,
            index_behind: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(
                super::snapshot::is_behind(data_dir),
            )),
            path,
        })
    }

    /// Opens the store for a writer that holds the writer lock: the database itself may still be open for a
    /// moment by a reader that is loading, or by the end of a watch cycle that just released the lock, so this
    /// waits (up to 5 s) instead of failing at once.
    pub fn open_writer(data_dir: &Path) -> Result<Self> {
        super::compact::recover(data_dir)?;
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match Self::open(data_dir) {
                Err(Error::Locked { .. }) if std::time::Instant::now() < until => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    /// A store has been created in this data dir (by a sync; readers must not create one).
    pub fn exists(data_dir: &Path) -> bool {
        data_dir.join("store").is_dir()
    }

    /// Opens the store to read it: fails with [`Error::Locked`] at once while a writer runs (after waiting out a
    /// `pipeline watch` cycle, which is short), and retries for a few seconds while another reader has it open
    /// (readers hold it only to load what they need).
    pub fn open_reader(data_dir: &Path) -> Result<Self> {
        let mut attempts = 0;
        loop {
            if !super::WriterLock::wait_out_watch(data_dir, WATCH_CYCLE_WAIT) {
                return Err(Error::Locked {
                    data_dir: data_dir.to_path_buf(),
                });
            }
            match Self::open(data_dir) {
                Err(Error::Locked { .. }) if attempts < 100 => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    /// Called before points change: marks the published search index as behind them (a marker file, created
    /// and synced once until the next publish), so that a search never takes a stale index for a current one
    /// after a writer ends without publishing (killed, or out of budget).
    pub(super) fn points_changing(&self) -> Result<()> {
        use std::sync::atomic::Ordering;
        if self.index_behind.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        super::snapshot::mark_behind(self.data_dir()).inspect_err(|_| {
            self.index_behind.store(false, Ordering::SeqCst);
        })
    }

    /// Whether the published search index is behind the points.
    pub fn index_behind(&self) -> bool {
        self.index_behind.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Called after every point was published, with no change in between: the index is current again.
    pub(super) fn points_published(&self) -> Result<()> {
        super::snapshot::clear_behind(self.data_dir())?;
        self.index_behind
            .store(false, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// The point ids changed since the published index's base was built, each with its change number.
    pub(super) fn index_pending(&self) -> Result<Vec<(uuid::Uuid, sled::IVec)>> {
        self.index_pending
            .iter()
            .map(|kv| {
                let (k, v) = kv.map_err(|e| self.err(e))?;
                let id = uuid::Uuid::from_slice(&k)
                    .map_err(|e| self.corrupt(format!("pending index entry: {e}")))?;
                Ok((id, v))
            })
            .collect()
    }

    /// How many point ids changed since the published index's base was built.
    pub fn index_pending_count(&self) -> usize {
        self.index_pending.len()
    }

    /// Forgets the entries a new base covers, each only if it did not change again meanwhile.
    pub(super) fn index_pending_done(&self, entries: &[(uuid::Uuid, sled::IVec)]) -> Result<()> {
        for (id, seen) in entries {
            let _ = self
                .index_pending
                .compare_and_swap(id.as_bytes(), Some(seen), None::<&[u8]>)
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Forgets every entry (the points were replaced wholesale and the index will be rebuilt).
    pub(super) fn index_pending_clear(&self) -> Result<()> {
        self.index_pending.clear().map_err(|e| self.err(e))
    }

    /// The data dir this store lives in.
    pub fn data_dir(&self) -> &Path {
        self.path.parent().unwrap_or(&self.path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn err(&self, e: sled::Error) -> Error {
        database_error(&self.path, e)
    }

    /// A stored record that does not decode.
    pub(super) fn corrupt(&self, what: String) -> Error {
        Error::Store {
            path: self.path.clone(),
            message: what,
        }
    }

    /// The checkpoint of `path`, if any. A record that cannot be decoded is an error the caller can recover from
    /// (by starting the file over).
    pub fn checkpoint(&self, path: &str) -> Result<Option<FileCheckpoint>> {
        match self
            .checkpoints
            .get(path.as_bytes())
            .map_err(|e| self.err(e))?
        {
            None => Ok(None),
            Some(bytes) => checkpoint::decode(path, &bytes).map(Some),
        }
    }

    /// Writes a checkpoint outside a batch and makes it durable now (used to persist a reset at once).
    pub fn put_checkpoint_now(&self, cp: &FileCheckpoint) -> Result<()> {
        self.checkpoints
            .insert(cp.path.as_bytes(), checkpoint::encode(cp)?)
            .map_err(|e| self.err(e))?;
        self.flush()
    }

    /// Writes checkpoint bytes as given, durably. For fault injection in tests and repair tools only: the
    /// pipeline writes checkpoints through [`super::Sink::commit`] and [`Self::put_checkpoint_now`].
    pub fn put_raw_checkpoint(&self, path: &str, bytes: &[u8]) -> Result<()> {
        self.checkpoints
            .insert(path.as_bytes(), bytes)
            .map_err(|e| self.err(e))?;
        self.flush()
    }

    /// Every checkpoint, with its key, decoded or not.
    pub fn checkpoints(&self) -> Vec<(String, Result<FileCheckpoint>)> {
        self.checkpoints
            .iter()
            .filter_map(|kv| kv.ok())
            .map(|(k, v)| {
                let path = String::from_utf8_lossy(&k).into_owned();
                let decoded = checkpoint::decode(&path, &v);
                (path, decoded)
            })
            .collect()
    }

    pub fn cached_vector(&self, key: &[u8; 32]) -> Result<Option<Vec<f32>>> {
        Ok(self
            .cache
            .get(key)
            .map_err(|e| self.err(e))?
            .map(|v| decode_vector(&v)))
    }

    /// Vectors in the embedding cache: each distinct text embedded (and committed) once.
    pub fn cached_vector_count(&self) -> usize {
        self.cache.len()
    }

    /// Small named values (run history, resume settings).
    pub fn meta_get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .meta
            .get(key)
            .map_err(|e| self.err(e))?
            .map(|v| v.to_vec()))
    }

    pub fn meta_put(&self, key: &str, value: &[u8]) -> Result<()> {
        self.meta.insert(key, value).map_err(|e| self.err(e))?;
        self.flush()
    }

    pub fn meta_remove(&self, key: &str) -> Result<()> {
        self.meta.remove(key).map_err(|e| self.err(e))?;
        self.flush()
    }

    /// Values whose key starts with `prefix`, in key order.
    pub fn meta_scan(&self, prefix: &str) -> Vec<(String, Vec<u8>)> {
        self.meta
            .scan_prefix(prefix)
            .filter_map(|kv| kv.ok())
            .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), v.to_vec()))
            .collect()
    }

    /// Deletes everything: points (of the embedded store), cache, checkpoints and run history; but not what
    /// `pipeline forget` forgot (its tombstones), which must not come back after a reset either.
    pub fn clear(&self) -> Result<()> {
        // The published index goes first, so a kill in between never leaves it describing deleted points.
        self.points_changing()?;
        super::snapshot::remove(self.data_dir())?;
        let tombstones = self.meta_scan(crate::forget::TOMBSTONE_PREFIX);
        for t in [
            &self.points,
            &self.cache,
            &self.checkpoints,
            &self.index_pending,
            &self.embed_queue,
            &self.embed_queued,
            &self.meta,
        ] {
            t.clear().map_err(|e| self.err(e))?;
        }
        for (k, v) in tombstones {
            self.meta.insert(k, v).map_err(|e| self.err(e))?;
        }
        self.flush()
    }

    /// Deletes the checkpoints only: the next run re-reads every file and overwrites the same points.
    pub fn clear_checkpoints(&self) -> Result<()> {
        self.checkpoints.clear().map_err(|e| self.err(e))?;
        self.flush()
    }

    pub fn flush(&self) -> Result<()> {
        self.db.flush().map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Bytes on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    /// How many stored chunks wait for their vector (counts them: O(queue)).
    pub fn embed_queue_len(&self) -> usize {
        self.embed_queued.len()
    }

    /// Whether no stored chunk waits for its vector (looks at one key).
    pub fn embed_queue_is_empty(&self) -> bool {
        self.embed_queued.is_empty()
    }

    /// Up to `limit` chunks waiting for their vector, newest message first, after `after` (a chunk's
    /// [`QueuedChunk::key`]; `None`: from the start).
    pub fn embed_queue_page(&self, after: Option<&[u8]>, limit: usize) -> Result<Vec<QueuedChunk>> {
        embed_queue::page(&self.embed_queue, after, limit)
            .map_err(|e| self.corrupt(format!("embedding queue: {e}")))
    }

    /// The text queued to be embedded for point `id`, if it waits for its vector.
    pub fn queued_text(&self, id: uuid::Uuid) -> Result<Option<String>> {
        embed_queue::queued_text(&self.embed_queue, &self.embed_queued, id)
            .map_err(|e| self.corrupt(format!("embedding queue: {e}")))
    }

    /// Whether point `id` still waits for the vector of the text whose hash is `text_hash`.
    pub fn waits_for_vector(&self, id: uuid::Uuid, text_hash: &[u8; 32]) -> bool {
        embed_queue::waits_for(&self.embed_queue, &self.embed_queued, id, text_hash)
    }
}

impl SyncState {
    /// Commits what a batch means for this data dir when its points went to another store: the embedding cache
    /// entries and the checkpoints, in one transaction, durably. Only call it once that store confirmed them.
    pub fn commit_progress(&self, batch: &CommitBatch) -> Result<()> {
        let trees = (
            &self.cache,
            &self.checkpoints,
            &self.embed_queue,
            &self.embed_queued,
        );
        let outcome = trees.transaction(|(cache, checkpoints, queue, queued)| {
            for op in &batch.ops {
                match op {
                    SinkOp::Upsert(w) => {
                        if let Some(key) = &w.cache_key {
                            cache.insert(key.as_slice(), encode_vector(&w.point.vector))?;
                        }
                        embed_queue::follow(queue, queued, w)?;
                    }
                    SinkOp::SetVector(v) => {
                        if embed_queue::take_if(queue, queued, v.id, &v.text_hash)? {
                            if let Some(key) = &v.cache_key {
                                cache.insert(key.as_slice(), encode_vector(&v.vector))?;
                            }
                        }
                    }
                    SinkOp::Patch(_) => {}
                }
            }
            for cp in &batch.checkpoints {
                checkpoints.insert(cp.path.as_bytes(), checkpoint::encode(cp).map_err(Abort)?)?;
            }
            Ok::<(), ConflictableTransactionError<Error>>(())
        });
        self.finish_transaction(outcome)
    }

    /// The end of every write transaction: its error as ours, then a flush (a batch counts only once durable).
    pub(super) fn finish_transaction(
        &self,
        outcome: std::result::Result<(), TransactionError<Error>>,
    ) -> Result<()> {
        match outcome {
            Ok(()) => {}
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(self.err(e)),
        }
        self.flush()
    }
}

pub(super) fn encode_vector(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub(super) fn decode_vector(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn database_error(path: &Path, source: sled::Error) -> Error {
    Error::Database {
        path: path.to_path_buf(),
        source,
    }
}

/// A failed sled open. The lock is probed before opening ([`super::sled_files::held_elsewhere_or_cleaned`]);
/// sled's own lock text is matched only for the moment between that probe and sled's attempt.
fn open_error(data_dir: &Path, path: &Path, e: sled::Error) -> Error {
    let text = e.to_string();
    if text.contains("could not acquire lock")
        || text.contains("WouldBlock")
        || text.contains("Resource temporarily")
    {
        return Error::Locked {
            data_dir: data_dir.to_path_buf(),
        };
    }
    database_error(path, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_open_of_the_same_dir_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let first = SyncState::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        // The lock is sled's `flock` on store/db, held per open file: a second open is refused even in-process.
        let second = SyncState::open(dir.path());
        assert!(
            matches!(second, Err(Error::Locked { .. })),
            "{:?}",
            second.err()
        );
        assert!(
            super::super::sled_files::held_elsewhere_or_cleaned(&dir.path().join("store"))
                .unwrap_or_else(|e| panic!("{e}"))
        );
        drop(first);
        assert!(
            !super::super::sled_files::held_elsewhere_or_cleaned(&dir.path().join("store"))
                .unwrap_or_else(|e| panic!("{e}")),
            "released with the database"
        );
        assert!(SyncState::open(dir.path()).is_ok());
        // Between the probe and sled's own attempt, sled's lock message is recognised.
        let err = open_error(
            dir.path(),
            dir.path(),
            sled::Error::Io(std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                "could not acquire lock",
            )),
        );
        assert!(matches!(err, Error::Locked { .. }));
        assert!(err.to_string().contains("another `pipeline` process"));
    }

    #[test]
    fn corrupted_checkpoint_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = SyncState::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        store
            .checkpoints
            .insert("/p/x.jsonl", &b"\x01\x00\x00\x00garbage"[..])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            store.checkpoint("/p/x.jsonl"),
            Err(Error::CorruptCheckpoint { .. })
        ));
    }

    /// A database failure keeps sled's error as its source, and its text stays in the message the CLI prints.
    #[test]
    fn a_database_failure_keeps_its_cause() {
        let dir = tempfile::tempdir().expect("tempdir");
        // The database directory is a regular file: sled cannot open it.
        std::fs::write(dir.path().join("store"), b"not a database").expect("write");
        let e = match SyncState::open(dir.path()) {
            Ok(_) => panic!("a file in the database's place opened"),
            Err(e) => e,
        };
        assert!(matches!(e, Error::Database { .. }), "{e:?}");
        let cause = std::error::Error::source(&e).expect("the sled error is its source");
        assert!(e.to_string().contains(&cause.to_string()), "{e}");
        assert!(e.to_string().contains("store"), "{e}");
    }
}
