//! The Qdrant sink: a batch is applied to Qdrant and confirmed (`wait = true`) first; only then are its
//! checkpoints (and the embedding cache entries) committed to the data dir's sled database. A crash between the
//! two replays the batch next run, and the deterministic point ids make the replay an overwrite.

use super::client::QdrantStore;
use super::filter::{message_chunks, stale_chunks};
use crate::error::Result;
use crate::store::{CommitBatch, EmbeddedStore, Sink, SinkOp};
use qdrant_client::qdrant::{Filter, PointStruct};
use std::sync::Arc;
use std::time::Instant;

pub struct QdrantSink {
    qdrant: Arc<QdrantStore>,
    /// Checkpoints and the embedding cache.
    local: Arc<EmbeddedStore>,
    /// No request may still be running after this (the run's budget).
    deadline: Option<Instant>,
}

impl QdrantSink {
    pub fn new(
        qdrant: Arc<QdrantStore>,
        local: Arc<EmbeddedStore>,
        deadline: Option<Instant>,
    ) -> Self {
        QdrantSink {
            qdrant,
            local,
            deadline,
        }
    }

    /// Applies a run of consecutive upserts: first the chunks their messages no longer have, then the points.
    fn upsert_run(&self, ops: &[SinkOp]) -> Result<()> {
        let mut points: Vec<PointStruct> = Vec::with_capacity(ops.len());
        let mut stale: Vec<Filter> = Vec::new();
        for op in ops {
            if let SinkOp::Upsert(w) = op {
                let p = &w.point.payload;
                if p.chunk_index == 0 {
                    stale.push(stale_chunks(&p.session_id, &p.uuid, p.chunk_count));
                }
                points.extend(self.qdrant.points_of(&[(w.id, &w.point)])?);
            }
        }
        if !stale.is_empty() {
            let any = Filter::should(stale.into_iter().map(Into::into));
            self.qdrant.delete(any, self.deadline)?;
        }
        self.qdrant.upsert(points, self.deadline)
    }
}

impl Sink for QdrantSink {
    fn commit(&self, batch: &CommitBatch) -> Result<()> {
        let mut i = 0;
        while i < batch.ops.len() {
            match &batch.ops[i] {
                SinkOp::Upsert(_) => {
                    let end = batch.ops[i..]
                        .iter()
                        .position(|o| !matches!(o, SinkOp::Upsert(_)))
                        .map_or(batch.ops.len(), |n| i + n);
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
            }
        }
        // Qdrant has confirmed everything above: now the checkpoints may move.
        self.local.commit_progress(batch)
    }
}

/// Points of stored data, for migration.
pub fn encode_all(
    qdrant: &QdrantStore,
    points: &[(uuid::Uuid, crate::store::StoredPoint)],
) -> Result<Vec<PointStruct>> {
    let refs: Vec<(uuid::Uuid, &crate::store::StoredPoint)> =
        points.iter().map(|(id, p)| (*id, p)).collect();
    qdrant.points_of(&refs)
}
