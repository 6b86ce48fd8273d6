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
    /// Stored without its vector for now: the text the model must embed for it, queued
    /// ([`super::embed_queue`]). `None`: not queued (it has its vector, or is kept for lexical search only).
    pub embed_later: Option<String>,
}

/// A queued chunk's vector, once computed ([`super::embed_queue`]).
#[derive(Debug, Clone, PartialEq)]
pub struct VectorWrite {
    pub id: Uuid,
    pub vector: Vec<f32>,
    /// The hash of the text it is the embedding of: stored only if the point still waits for that text.
    pub text_hash: [u8; 32],
    /// Computed in this run: remember it in the embedding cache under this key.
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
    /// The vector of a point stored earlier without one.
    SetVector(VectorWrite),
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
