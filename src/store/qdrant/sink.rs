//! The Qdrant sink: a batch is applied to Qdrant and confirmed (`wait = true`) first; only then are its
//! checkpoints (and the embedding cache entries) committed to the data dir's sled database. A crash between the
//! two replays the batch next run, and the deterministic point ids make the replay an overwrite.

use super::client::QdrantStore;
use super::filter::{message_chunks, stale_chunks};
use crate::error::Result;
use crate::store::{CommitBatch, PointWrite, Sink, SinkOp, SyncState};
use qdrant_client::qdrant::Filter;
use std::sync::Arc;
use std::time::Instant;

/// The Qdrant sink: points go to the collection, checkpoints and the embedding cache to the local store, only
/// after Qdrant confirmed the points.
pub struct QdrantSink {
    qdrant: Arc<QdrantStore>,
    /// Checkpoints and the embedding cache.
    local: Arc<SyncState>,
    /// No request may still be running after this (the run's budget).
    deadline: Option<Instant>,
}

impl QdrantSink {
    pub fn new(qdrant: Arc<QdrantStore>, local: Arc<SyncState>, deadline: Option<Instant>) -> Self {
        QdrantSink {
            qdrant,
            local,
            deadline,
        }
    }

    /// Applies a run of consecutive upserts: first the chunks their messages no longer have, then the points.
    fn upsert_run(&self, ops: &[SinkOp]) -> Result<()> {
        let writes: Vec<&PointWrite> = ops
            .iter()
            .filter_map(|op| match op {
                SinkOp::Upsert(w) => Some(w.as_ref()),
                _ => None,
            })
            .collect();
        let stale: Vec<Filter> = writes
            .iter()
            .map(|w| &w.point.payload)
            .filter(|p| p.chunk_index == 0)
            .map(|p| stale_chunks(&p.session_id, &p.uuid, p.chunk_count))
            .collect();
        let points = self
            .qdrant
            .points_of(writes.iter().map(|w| (w.id, &w.point)))?;
        if !stale.is_empty() {
            let any = Filter::should(stale.into_iter().map(Into::into));
            self.qdrant.delete(any, self.deadline)?;
        }
        self.qdrant.upsert(points, self.deadline)
    }
}

impl QdrantSink {
    /// Applies a run of vectors for points stored without one: only to points that still wait for that text
    /// (the local queue says so) and still exist (a message re-emitted with fewer chunks lost the others).
    fn set_vectors(&self, ops: &[SinkOp]) -> Result<()> {
        let waiting: Vec<(uuid::Uuid, Vec<f32>)> = ops
            .iter()
            .filter_map(|op| match op {
                SinkOp::SetVector(v) if self.local.waits_for_vector(v.id, &v.text_hash) => {
                    Some((v.id, v.vector.clone()))
                }
                _ => None,
            })
            .collect();
        if waiting.is_empty() {
            return Ok(());
        }
        let ids: Vec<uuid::Uuid> = waiting.iter().map(|(id, _)| *id).collect();
        let existing = self.qdrant.existing(&ids)?;
        let present: Vec<(uuid::Uuid, Vec<f32>)> = waiting
            .into_iter()
            .filter(|(id, _)| existing.contains(id))
            .collect();
        if present.is_empty() {
            return Ok(());
        }
        self.qdrant.update_vectors(&present, self.deadline)
    }
}

impl Sink for QdrantSink {
    fn stale_redaction(
        &self,
        version: &str,
        _after: Option<uuid::Uuid>,
        limit: usize,
    ) -> Result<crate::store::StalePage> {
        // Filtered on the server: what the pass rewrote no longer matches, so every call starts over.
        let stale = Filter::must_not([super::filter::keyword("redaction_version", version)]);
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        let page = self.qdrant.scroll(Some(stale), None, limit, true)?;
        let next = page
            .points
            .last()
            .map(|(id, _)| *id)
            .filter(|_| page.next.is_some());
        Ok((page.points, next))
    }

    fn commit(&self, batch: &CommitBatch) -> Result<()> {
        let mut i = 0;
        while i < batch.ops.len() {
            match &batch.ops[i] {
                SinkOp::Upsert(_) => {
                    let end = upsert_run_end(&batch.ops, i);
                    self.upsert_run(&batch.ops[i..end])?;
                    i = end;
                }
                SinkOp::Patch(p) => {
                    let json = serde_json::json!({ "validation": p.validation });
                    let payload = qdrant_client::Payload::try_from(json).map_err(|e| {
                        crate::error::Error::Store {
                            path: self.qdrant.url().into(),
                            message: format!("validation payload: {e}"),
                        }
                    })?;
                    self.qdrant.set_payload(
                        message_chunks(&p.solution_session_id, &p.solution_uuid),
                        payload,
                        self.deadline,
                    )?;
                    i += 1;
                }
                SinkOp::SetVector(_) => {
                    let end = batch.ops[i..]
                        .iter()
                        .position(|op| !matches!(op, SinkOp::SetVector(_)))
                        .map_or(batch.ops.len(), |n| i + n);
                    self.set_vectors(&batch.ops[i..end])?;
                    i = end;
                }
            }
        }
        // Qdrant has confirmed everything above: now the checkpoints may move.
        self.local.commit_progress(batch)
    }
}

/// Where the run of upserts starting at `start` ends: at the first other op, or before a message whose first chunk
/// the run already holds (it was written again, maybe with fewer chunks: its stale-chunk delete must come after
/// the earlier version's upsert, as the embedded store applies them).
fn upsert_run_end(ops: &[SinkOp], start: usize) -> usize {
    let mut seen = std::collections::HashSet::new();
    for (n, op) in ops.iter().enumerate().skip(start) {
        let SinkOp::Upsert(w) = op else { return n };
        let p = &w.point.payload;
        if p.chunk_index == 0 && !seen.insert((p.session_id.as_str(), p.uuid.as_str())) {
            return n;
        }
    }
    ops.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::tests::payload;
    use crate::store::{PointWrite, StoredPoint, ValidationPatch};

    fn up(uuid: &str, chunk: u32, count: u32) -> SinkOp {
        SinkOp::Upsert(Box::new(PointWrite {
            id: crate::ids::point_id("s", uuid, chunk),
            point: StoredPoint {
                vector: vec![],
                payload: payload("s", uuid, chunk, count),
            },
            cache_key: None,
            embed_later: None,
        }))
    }

    #[test]
    fn runs_end_at_other_ops_and_at_a_message_written_again() {
        let patch = SinkOp::Patch(ValidationPatch {
            solution_session_id: "s".into(),
            solution_uuid: "a".into(),
            validation: crate::payload::Validation {
                feedback_message_id: "f".into(),
                sentiment: crate::message::Sentiment::Positive,
                strength: 1.0,
                certainty: 1.0,
            },
        });
        let ops = vec![
            up("a", 0, 3),
            up("a", 1, 3),
            up("b", 0, 1),
            up("a", 0, 1),
            patch,
            up("c", 0, 1),
        ];
        assert_eq!(upsert_run_end(&ops, 0), 3, "a is written again at 3");
        assert_eq!(upsert_run_end(&ops, 3), 4, "the patch ends the run");
        assert_eq!(upsert_run_end(&ops, 5), 6);
    }
}
