//! Removal primitives for `pipeline forget` (see `crate::forget`): points by id, checkpoints by path, and the
//! embedding-cache entries that hold given vectors.

use super::state::SyncState;
use super::EmbeddedStore;
use crate::error::Result;
use uuid::Uuid;

/// Two vectors are the same cached embedding when no component differs by more than this. A store may hand a
/// vector back re-normalized (Qdrant does for cosine), so the last bits can differ from the cache's copy.
const SAME_VECTOR: f32 = 1e-5;

impl EmbeddedStore {
    /// Deletes the points `ids`, durably.
    pub fn remove_points(&self, ids: &[Uuid]) -> Result<()> {
        let st = self.state();
        st.points_changing()?;
        // Not listed for the published index point by point: the next publish rebuilds it.
        super::snapshot::remove(st.data_dir())?;
        let mut batch = sled::Batch::default();
        for id in ids {
            batch.remove(id.as_bytes().as_slice());
        }
        st.points.apply_batch(batch).map_err(|e| st.err(e))?;
        st.flush()
    }
}

impl SyncState {
    /// Takes the points `ids` off the embedding queue (their queued texts go), durably.
    pub fn dequeue_points(&self, ids: &[Uuid]) -> Result<()> {
        use sled::Transactional;
        // Only ids that are queued: no write (and no flush) when none is.
        let queued: Vec<Uuid> = ids
            .iter()
            .copied()
            .filter(|id| {
                self.embed_queued
                    .contains_key(id.as_bytes())
                    .unwrap_or(true)
            })
            .collect();
        for ids in queued.chunks(1024) {
            let outcome = (&self.embed_queue, &self.embed_queued).transaction(|(queue, queued)| {
                for id in ids {
                    super::embed_queue::dequeue(queue, queued, *id)?;
                }
                Ok(())
            });
            self.finish_transaction(outcome)?;
        }
        Ok(())
    }

    /// Deletes the checkpoints of `paths`, durably; returns how many existed.
    pub fn remove_checkpoints<'a>(&self, paths: impl Iterator<Item = &'a str>) -> Result<u64> {
        let mut removed = 0;
        for path in paths {
            removed += u64::from(
                self.checkpoints
                    .remove(path.as_bytes())
                    .map_err(|e| self.err(e))?
                    .is_some(),
            );
        }
        self.flush()?;
        Ok(removed)
    }

    /// Deletes every embedding-cache entry whose vector is one of `vectors` (each component within 1e-5), durably;
    /// returns how many. One pass over the cache; each entry is compared only with the vectors whose first
    /// component is that close to its own.
    pub fn forget_cached_vectors(&self, vectors: &[Vec<f32>]) -> Result<u64> {
        let mut sorted: Vec<&Vec<f32>> = vectors.iter().filter(|v| !v.is_empty()).collect();
        sorted.sort_by(|a, b| a[0].total_cmp(&b[0]));
        if sorted.is_empty() {
            return Ok(0);
        }
        let mut doomed = Vec::new();
        for entry in self.cache.iter() {
            let (key, value) = entry.map_err(|e| self.err(e))?;
            let cached = super::state::decode_vector(&value);
            let Some(&first) = cached.first() else {
                continue;
            };
            let from = sorted.partition_point(|v| v[0] < first - SAME_VECTOR);
            let same = sorted[from..]
                .iter()
                .take_while(|v| v[0] <= first + SAME_VECTOR)
                .any(|v| {
                    v.len() == cached.len()
                        && v.iter()
                            .zip(&cached)
                            .all(|(a, b)| (a - b).abs() <= SAME_VECTOR)
                });
            if same {
                doomed.push(key);
            }
        }
        let mut batch = sled::Batch::default();
        for key in &doomed {
            batch.remove(key.clone());
        }
        self.cache.apply_batch(batch).map_err(|e| self.err(e))?;
        self.flush()?;
        Ok(doomed.len() as u64)
    }
}
