//! The four stages and what flows between them. Each stage is one task; they are connected by bounded
//! `async-channel`s, so a slow embedder holds the parser back instead of letting queues grow.
//!
//! Order is preserved end to end (one task per stage, FIFO channels), which is what makes checkpointing simple:
//! a checkpoint marker travels *behind* the messages it covers, and the sink commits it in the same transaction
//! as the last of them.

pub mod embed;
pub mod enhance;
pub mod parse;
mod resume_state;
pub mod upsert;

pub use resume_state::ResumeState;

use crate::checkpoint::FileCheckpoint;
use crate::message::Message;
use crate::payload::Payload;
use crate::source::SourceState;
use crate::store::ValidationPatch;
use uuid::Uuid;

/// parse -> enhance.
#[derive(Debug, Clone)]
pub enum Parsed {
    /// A file starts; the enhancer resumes with this state.
    FileStart {
        path: String,
        enhancer: enhance::EnhancerState,
    },
    Message(Box<ParsedMessage>),
    /// Everything before this point of the file has been sent. The checkpoint's `state` is still empty: the
    /// enhancer adds its own state to the source's.
    Progress {
        checkpoint: Box<FileCheckpoint>,
        source: Box<SourceState>,
    },
}

/// A message and its chunks (each fits the model).
#[derive(Debug, Clone)]
pub struct ParsedMessage {
    pub message: Message,
    pub chunks: Vec<String>,
}

/// enhance -> embed.
#[derive(Debug, Clone)]
pub enum Enhanced {
    Chunk(Box<ChunkRecord>),
    Patch(ValidationPatch),
    Progress(Box<FileCheckpoint>),
}

/// One chunk of a message, with its full payload, waiting for its vector.
#[derive(Debug, Clone)]
pub struct ChunkRecord {
    pub id: Uuid,
    pub payload: Payload,
    /// What the model embeds for this chunk (its text with the context it answers), or `None` for a chunk kept
    /// for lexical search only (stored without a vector).
    pub embed_text: Option<String>,
}
