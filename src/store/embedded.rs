//! The embedded default store: points, the embedding cache and the checkpoints live in one sled database, and
//! every batch is one multi-tree transaction followed by a flush, so a checkpoint can never be ahead of the
//! points it covers (nor behind them: a replay overwrites the same ids).

use super::point::{CommitBatch, SinkOp, StoredPoint};
use super::Sink;
use crate::checkpoint::{self, FileCheckpoint};
use crate::error::{Error, Result};
use crate::ids;
use sled::transaction::ConflictableTransactionError::{self, Abort};
use sled::transaction::{TransactionError, TransactionalTree};
use sled::Transactional;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Longest wait for a `pipeline watch` cycle (at most `--cycle`, 5 s by default) before a reader gives up.
const WATCH_CYCLE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Encoding version of stored points (first byte of each value). Format 1 (no `line_uuids`) is still read.
const POINT_FORMAT: u8 = 2;

const POINTS: &str = "points";
const CACHE: &str = "embed_cache";
const CHECKPOINTS: &str = "checkpoints";
const META: &str = "meta";

/// The data dir's sled database: points, the embedding cache, checkpoints and run metadata.
pub struct EmbeddedStore {
    db: sled::Db,
    points: sled::Tree,
    cache: sled::Tree,
    checkpoints: sled::Tree,
    meta: sled::Tree,
    path: PathBuf,
}

impl EmbeddedStore {
    /// Opens (creating) the store in `data_dir`. Fails fast with [`Error::Locked`] when another process has it.
    pub fn open(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| Error::io(data_dir, e))?;
        let path = data_dir.join("store");
        if lock_held_elsewhere(&path) {
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
        Ok(EmbeddedStore {
            points: tree(POINTS)?,
            cache: tree(CACHE)?,
            checkpoints: tree(CHECKPOINTS)?,
            meta: tree(META)?,
            db,
            path,
        })
    }

    /// Opens the store for a writer that holds the writer lock: the database itself may still be open for a
    /// moment by a reader that is loading, or by the end of a watch cycle that just released the lock, so this
    /// waits (up to 5 s) instead of failing at once.
    pub fn open_writer(data_dir: &Path) -> Result<Self> {
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

    /// The data dir this store lives in.
    pub fn data_dir(&self) -> &Path {
        self.path.parent().unwrap_or(&self.path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: sled::Error) -> Error {
        database_error(&self.path, e)
    }

    /// A stored record that does not decode.
    fn corrupt(&self, what: String) -> Error {
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
    /// pipeline writes checkpoints through [`Sink::commit`] and [`Self::put_checkpoint_now`].
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

    pub fn point(&self, id: Uuid) -> Result<Option<StoredPoint>> {
        match self.points.get(id.as_bytes()).map_err(|e| self.err(e))? {
            None => Ok(None),
            Some(v) => decode_point(&v).map(Some).map_err(|e| self.corrupt(e)),
        }
    }

    pub fn point_count(&self) -> usize {
        self.points.len()
    }

    /// Every point in id order.
    pub fn points(&self) -> impl Iterator<Item = Result<(Uuid, StoredPoint)>> + '_ {
        self.points.iter().map(move |kv| {
            let (k, v) = kv.map_err(|e| self.err(e))?;
            let id = Uuid::from_slice(&k).map_err(|e| self.corrupt(format!("point key: {e}")))?;
            let p = decode_point(&v).map_err(|e| self.corrupt(format!("point {id}: {e}")))?;
            Ok((id, p))
        })
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

    /// Deletes everything: points, cache, checkpoints and run history.
    pub fn clear(&self) -> Result<()> {
        for t in [&self.points, &self.cache, &self.checkpoints, &self.meta] {
            t.clear().map_err(|e| self.err(e))?;
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
}

impl EmbeddedStore {
    /// Commits what a batch means for this data dir when its points went to another store: the embedding cache
    /// entries and the checkpoints, in one transaction, durably. Only call it once that store confirmed them.
    pub fn commit_progress(&self, batch: &CommitBatch) -> Result<()> {
        let trees = (&self.cache, &self.checkpoints);
        let outcome = trees.transaction(|(cache, checkpoints)| {
            for op in &batch.ops {
                if let SinkOp::Upsert(w) = op {
                    if let Some(key) = &w.cache_key {
                        cache.insert(key.as_slice(), encode_vector(&w.point.vector))?;
                    }
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
    fn finish_transaction(
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

    /// Writes points as given (for `pipeline migrate`), durably.
    pub fn put_points(&self, points: &[(Uuid, StoredPoint)]) -> Result<()> {
        let mut batch = sled::Batch::default();
        for (id, p) in points {
            batch.insert(id.as_bytes().as_slice(), encode_point(p)?);
        }
        self.points.apply_batch(batch).map_err(|e| self.err(e))?;
        self.flush()
    }

    /// Points after `after` (exclusive) in id order, at most `limit`.
    pub fn points_after(
        &self,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<(Uuid, StoredPoint)>> {
        let range = match after {
            Some(a) => self.points.range((
                std::ops::Bound::Excluded(a.as_bytes().to_vec()),
                std::ops::Bound::Unbounded,
            )),
            None => self.points.range::<Vec<u8>, _>(..),
        };
        range
            .take(limit)
            .map(|kv| {
                let (k, v) = kv.map_err(|e| self.err(e))?;
                let id =
                    Uuid::from_slice(&k).map_err(|e| self.corrupt(format!("point key: {e}")))?;
                let p = decode_point(&v).map_err(|e| self.corrupt(format!("point {id}: {e}")))?;
                Ok((id, p))
            })
            .collect()
    }

    /// Deletes every point (not the checkpoints, the cache or the history).
    pub fn clear_points(&self) -> Result<()> {
        self.points.clear().map_err(|e| self.err(e))?;
        self.flush()
    }
}

impl Sink for EmbeddedStore {
    fn commit(&self, batch: &CommitBatch) -> Result<()> {
        let trees = (&self.points, &self.cache, &self.checkpoints);
        let outcome = trees.transaction(|(points, cache, checkpoints)| {
            for op in &batch.ops {
                match op {
                    SinkOp::Upsert(w) => {
                        if w.point.payload.chunk_index == 0 {
                            delete_stale_chunks(points, w.id, &w.point)?;
                        }
                        points.insert(
                            w.id.as_bytes().as_slice(),
                            encode_point(&w.point).map_err(Abort)?,
                        )?;
                        if let Some(key) = &w.cache_key {
                            cache.insert(key.as_slice(), encode_vector(&w.point.vector))?;
                        }
                    }
                    SinkOp::Patch(p) => {
                        let first = ids::point_id(&p.solution_session_id, &p.solution_uuid, 0);
                        let Some(stored) = points.get(first.as_bytes())? else {
                            continue;
                        };
                        let count = decode_point(&stored)
                            .map(|s| s.payload.chunk_count)
                            .unwrap_or(1);
                        for i in 0..count {
                            let id = ids::point_id(&p.solution_session_id, &p.solution_uuid, i);
                            if let Some(v) = points.get(id.as_bytes())? {
                                if let Ok(mut sp) = decode_point(&v) {
                                    sp.payload.validation = Some(p.validation.clone());
                                    points.insert(
                                        id.as_bytes().as_slice(),
                                        encode_point(&sp).map_err(Abort)?,
                                    )?;
                                }
                            }
                        }
                    }
                }
            }
            for cp in &batch.checkpoints {
                checkpoints.insert(cp.path.as_bytes(), checkpoint::encode(cp).map_err(Abort)?)?;
            }
            Ok::<(), ConflictableTransactionError<Error>>(())
        });
        self.finish_transaction(outcome)
    }
}

/// When a message is re-emitted with fewer chunks than before, its extra chunks are deleted.
fn delete_stale_chunks(
    points: &TransactionalTree,
    first_id: Uuid,
    new: &StoredPoint,
) -> std::result::Result<(), ConflictableTransactionError<Error>> {
    let Some(old) = points.get(first_id.as_bytes())? else {
        return Ok(());
    };
    let old_count = decode_point(&old)
        .map(|p| p.payload.chunk_count)
        .unwrap_or(0);
    let p = &new.payload;
    for i in p.chunk_count..old_count {
        points.remove(
            ids::point_id(&p.session_id, &p.uuid, i)
                .as_bytes()
                .as_slice(),
        )?;
    }
    Ok(())
}

fn encode_point(p: &StoredPoint) -> Result<Vec<u8>> {
    let mut out = vec![POINT_FORMAT];
    out.extend(crate::codec::bincode_bytes("point", p)?);
    Ok(out)
}

fn decode_point(bytes: &[u8]) -> std::result::Result<StoredPoint, String> {
    match bytes.split_first() {
        Some((&POINT_FORMAT, body)) => {
            bincode::serde::decode_from_slice(body, bincode::config::standard())
                .map(|(p, _)| p)
                .map_err(|e| e.to_string())
        }
        Some((1, body)) => legacy::decode_v1(body),
        Some((v, _)) => Err(format!("unknown point format {v}")),
        None => Err("empty point record".to_string()),
    }
}

fn encode_vector(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn decode_vector(bytes: &[u8]) -> Vec<f32> {
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

/// Whether another open database (in this process or another) holds sled's lock on `store/db`, tested by the lock
/// itself: the same exclusive `flock` sled takes, taken and released at once. sled 0.34 reports a held lock only
/// as text (`ErrorKind::Other`, "could not acquire lock ..."), so this is how contention is recognised by its kind.
fn lock_held_elsewhere(store: &Path) -> bool {
    let Ok(file) = std::fs::File::open(store.join("db")) else {
        return false;
    };
    matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}

/// A failed sled open. The lock is probed before opening ([`lock_held_elsewhere`]); sled's own lock text is
/// matched only for the moment between that probe and sled's attempt.
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

mod legacy;
#[cfg(test)]
pub(crate) mod tests;
