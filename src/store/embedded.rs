//! The embedded default point store: points live in a tree of the data dir's sled database, beside the sync's
//! state ([`SyncState`]), and every batch is one multi-tree transaction (points, cache entries, checkpoints)
//! followed by a flush, so a checkpoint can never be ahead of the points it covers (nor behind them: a replay
//! overwrites the same ids).

use super::embed_queue;
use super::point::{CommitBatch, SinkOp, StoredPoint};
use super::state::{encode_vector, SyncState};
use super::Sink;
use crate::checkpoint;
use crate::error::{Error, Result};
use crate::ids;
use sled::transaction::ConflictableTransactionError::{self, Abort};
use sled::transaction::TransactionalTree;
use sled::Transactional;
use std::path::Path;
use uuid::Uuid;

/// Encoding version of stored points (first byte of each value). Every older format is still read.
const POINT_FORMAT: u8 = 4;

/// The fields each format added at the end of the payload (which ends a point's encoding), as the bincode bytes
/// of their defaults: `ADDED_FIELDS[f - 1]` turns a body of format `f` into one of format `f + 1`. Format 2 added
/// `line_uuids` (an empty list is one byte, its length 0); format 3 `redaction_version` (an empty string, length 0) and
/// `redacted` (an empty list); format 4 `agent` (variant 0, Claude Code: every older point is one of its). So
/// fields are only ever added at the end of [`crate::payload::Payload`].
const ADDED_FIELDS: [&[u8]; POINT_FORMAT as usize - 1] = [&[0], &[0, 0], &[0]];

/// The points of the embedded store, over the data dir's [`SyncState`].
#[derive(Clone)]
pub struct EmbeddedStore {
    state: SyncState,
}

impl EmbeddedStore {
    /// The point store of the data dir whose state is open as `state` (another handle on the same database).
    pub fn of(state: &SyncState) -> Self {
        EmbeddedStore {
            state: state.clone(),
        }
    }

    /// Opens a data dir's points to read them (see [`SyncState::open_reader`]).
    pub fn open_reader(data_dir: &Path) -> Result<Self> {
        SyncState::open_reader(data_dir).map(|state| EmbeddedStore { state })
    }

    /// The sync state in the same database.
    pub fn state(&self) -> &SyncState {
        &self.state
    }

    /// The data dir this store lives in.
    pub fn data_dir(&self) -> &Path {
        self.state.data_dir()
    }

    pub fn point(&self, id: Uuid) -> Result<Option<StoredPoint>> {
        match self
            .state
            .points
            .get(id.as_bytes())
            .map_err(|e| self.state.err(e))?
        {
            None => Ok(None),
            Some(v) => decode_point(&v)
                .map(Some)
                .map_err(|e| self.state.corrupt(e)),
        }
    }

    pub fn point_count(&self) -> usize {
        self.state.points.len()
    }

    /// Every point in id order.
    pub fn points(&self) -> impl Iterator<Item = Result<(Uuid, StoredPoint)>> + '_ {
        self.state.points.iter().map(move |kv| {
            let (k, v) = kv.map_err(|e| self.state.err(e))?;
            let id =
                Uuid::from_slice(&k).map_err(|e| self.state.corrupt(format!("point key: {e}")))?;
            let p = decode_point(&v).map_err(|e| self.state.corrupt(format!("point {id}: {e}")))?;
            Ok((id, p))
        })
    }

    /// Writes points as given (for `pipeline migrate`), durably.
    pub fn put_points(&self, points: &[(Uuid, StoredPoint)]) -> Result<()> {
        self.state.points_changing()?;
        // Not listed for the published index point by point: the next publish rebuilds it.
        super::snapshot::remove(self.data_dir())?;
        let mut batch = sled::Batch::default();
        for (id, p) in points {
            batch.insert(id.as_bytes().as_slice(), encode_point(p)?);
        }
        self.state
            .points
            .apply_batch(batch)
            .map_err(|e| self.state.err(e))?;
        self.state.flush()
    }

    /// Points after `after` (exclusive) in id order, at most `limit`.
    pub fn points_after(
        &self,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<(Uuid, StoredPoint)>> {
        let range = match after {
            Some(a) => self.state.points.range((
                std::ops::Bound::Excluded(a.as_bytes().to_vec()),
                std::ops::Bound::Unbounded,
            )),
            None => self.state.points.range::<Vec<u8>, _>(..),
        };
        range
            .take(limit)
            .map(|kv| {
                let (k, v) = kv.map_err(|e| self.state.err(e))?;
                let id = Uuid::from_slice(&k)
                    .map_err(|e| self.state.corrupt(format!("point key: {e}")))?;
                let p =
                    decode_point(&v).map_err(|e| self.state.corrupt(format!("point {id}: {e}")))?;
                Ok((id, p))
            })
            .collect()
    }

    /// Deletes every point (not the checkpoints, the cache or the history).
    pub fn clear_points(&self) -> Result<()> {
        self.state.points_changing()?;
        super::snapshot::remove(self.data_dir())?;
        self.state.index_pending_clear()?;
        for tree in [&self.state.embed_queue, &self.state.embed_queued] {
            tree.clear().map_err(|e| self.state.err(e))?;
        }
        self.state.points.clear().map_err(|e| self.state.err(e))?;
        self.state.flush()
    }
}

impl Sink for EmbeddedStore {
    fn stale_redaction(
        &self,
        version: &str,
        mut after: Option<Uuid>,
        limit: usize,
    ) -> Result<crate::store::StalePage> {
        let mut stale = Vec::new();
        loop {
            let page = self.points_after(after, 1024)?;
            if page.is_empty() {
                return Ok((stale, None));
            }
            for (id, point) in page {
                after = Some(id);
                if point.payload.redaction_version != version {
                    stale.push((id, point));
                    if stale.len() == limit {
                        return Ok((stale, after));
                    }
                }
            }
        }
    }

    fn commit(&self, batch: &CommitBatch) -> Result<()> {
        let st = &self.state;
        if !batch.ops.is_empty() {
            st.points_changing()?;
        }
        let trees = (
            &st.points,
            &st.cache,
            &st.checkpoints,
            &st.index_pending,
            &st.embed_queue,
            &st.embed_queued,
        );
        let outcome = trees.transaction(|(points, cache, checkpoints, pending, queue, queued)| {
            // Every changed id is listed for the published index, with a number that differs on every change.
            let change = pending.generate_id()?.to_be_bytes();
            let changed = |id: Uuid| pending.insert(id.as_bytes().as_slice(), change.as_slice());
            for op in &batch.ops {
                match op {
                    SinkOp::Upsert(w) => {
                        if w.point.payload.chunk_index == 0 {
                            for stale in delete_stale_chunks(points, w.id, &w.point)? {
                                changed(stale)?;
                                embed_queue::dequeue(queue, queued, stale)?;
                            }
                        }
                        changed(w.id)?;
                        points.insert(
                            w.id.as_bytes().as_slice(),
                            encode_point(&w.point).map_err(Abort)?,
                        )?;
                        if let Some(key) = &w.cache_key {
                            cache.insert(key.as_slice(), encode_vector(&w.point.vector))?;
                        }
                        embed_queue::follow(queue, queued, w)?;
                    }
                    SinkOp::SetVector(v) => {
                        // Only for the text the point still waits for (and only while it exists).
                        if !embed_queue::take_if(queue, queued, v.id, &v.text_hash)? {
                            continue;
                        }
                        let Some(stored) = points.get(v.id.as_bytes())? else {
                            continue;
                        };
                        let mut point = decode_point(&stored)
                            .map_err(|e| Abort(st.corrupt(format!("point {}: {e}", v.id))))?;
                        point.vector.clone_from(&v.vector);
                        changed(v.id)?;
                        points.insert(
                            v.id.as_bytes().as_slice(),
                            encode_point(&point).map_err(Abort)?,
                        )?;
                        if let Some(key) = &v.cache_key {
                            cache.insert(key.as_slice(), encode_vector(&v.vector))?;
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
                                    changed(id)?;
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
        st.finish_transaction(outcome)
    }
}

/// When a message is re-emitted with fewer chunks than before, its extra chunks are deleted; returns their ids.
fn delete_stale_chunks(
    points: &TransactionalTree,
    first_id: Uuid,
    new: &StoredPoint,
) -> std::result::Result<Vec<Uuid>, ConflictableTransactionError<Error>> {
    let Some(old) = points.get(first_id.as_bytes())? else {
        return Ok(Vec::new());
    };
    let old_count = decode_point(&old)
        .map(|p| p.payload.chunk_count)
        .unwrap_or(0);
    let p = &new.payload;
    let mut removed = Vec::new();
    for i in p.chunk_count..old_count {
        let id = ids::point_id(&p.session_id, &p.uuid, i);
        if points.remove(id.as_bytes().as_slice())?.is_some() {
            removed.push(id);
        }
    }
    Ok(removed)
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
        Some((&old, body)) if (1..POINT_FORMAT).contains(&old) => {
            let mut current = body.to_vec();
            for added in &ADDED_FIELDS[usize::from(old) - 1..] {
                current.extend_from_slice(added);
            }
            bincode::serde::decode_from_slice(&current, bincode::config::standard())
                .map(|(p, _)| p)
                .map_err(|e| format!("point of format {old}: {e}"))
        }
        Some((v, _)) => Err(format!("unknown point format {v}")),
        None => Err("empty point record".to_string()),
    }
}

#[cfg(test)]
pub(crate) mod tests;
