//! Points and the batches that carry them to a sink.

use crate::checkpoint::FileCheckpoint;
use crate::payload::{Payload, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A point as stored: vector and payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPoint {
    pub vector: Vec<f32>,
    pub payload: Payload,
}

/// One point to write.
#[derive(Debug, Clone, PartialEq)]
pub struct PointWrite {
    pub id: Uuid,
    pub point: StoredPoint,
    /// The vector was computed in this run (not found in the cache): remember it under this cache key.
    pub cache_key: Option<[u8; 32]>,
}

/// Copies a feedback's verdict onto every chunk of the solution message it answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationPatch {
    pub solution_session_id: String,
    pub solution_uuid: String,
    pub validation: Validation,
}

/// One operation of a commit batch.
#[derive(Debug, Clone, PartialEq)]
pub enum SinkOp {
    Upsert(Box<PointWrite>),
    Patch(ValidationPatch),
}

/// What a sink applies in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommitBatch {
    pub ops: Vec<SinkOp>,
    /// The furthest checkpoint of each file whose messages are all in this batch or committed before it.
    pub checkpoints: Vec<FileCheckpoint>,
}

impl CommitBatch {
    pub fn points(&self) -> usize {
        self.ops
            .iter()
            .filter(|o| matches!(o, SinkOp::Upsert(_)))
            .count()
    }
}
