//! Where points go. A [`Sink`] applies one batch atomically and durably; the checkpoint advances it carries are
//! committed only together with the points they cover (acknowledgement-driven checkpointing).

mod compact;
mod contents;
pub mod embed_queue;
pub mod embedded;
mod forget;
pub mod index_file;
pub mod lock;
pub mod migrate;
pub mod model_record;
pub mod point;
pub mod qdrant;
mod sled_files;
pub mod snapshot;
mod state;
pub mod target;

pub use compact::Compacted;
pub use contents::StoreStats;
pub use embedded::EmbeddedStore;
pub use lock::{Holder, WriterLock};
pub use point::{CommitBatch, PointWrite, SinkOp, StoredPoint, ValidationPatch, VectorWrite};
pub use state::SyncState;

use crate::error::Result;

/// A destination for points.
///
/// The contract every sink keeps: `commit` applies the batch's ops in order and then moves its checkpoints, and
/// returns once all of it is durable. **On error no checkpoint moves**, but the ops may be partly applied (the
/// embedded store applies none, in one sled transaction; Qdrant has no multi-request transaction, so upserts it
/// confirmed before a failing request stay). That is safe because a batch is **replay-idempotent**: the next run
/// re-reads from the unmoved checkpoint and commits the same ops again, with the same deterministic point ids,
/// whole payloads and stale-chunk deletes, which leaves the store exactly as one successful commit would have.
/// (tests/qdrant/faults.rs: a_failed_batch_partly_applied_is_replayed_to_the_same_store.)
pub trait Sink: Send + Sync {
    /// Applies `batch` (ops in order, then checkpoints); returns once it is durable. On error no checkpoint has
    /// moved; ops may have been partly applied, and committing the same batch again yields the state of one
    /// successful commit.
    fn commit(&self, batch: &CommitBatch) -> Result<()>;

    /// Up to `limit` stored points whose payload's `redaction_version` is not `version`, scanning in id order after
    /// `after`; and where to continue (`None`: the scan reached the end). For the re-redaction pass
    /// (`crate::redact::reapply`), which rewrites what it gets, so a store that filters on the server may start
    /// over each time.
    fn stale_redaction(
        &self,
        version: &str,
        after: Option<uuid::Uuid>,
        limit: usize,
    ) -> Result<StalePage>;
}

/// Points found by [`Sink::stale_redaction`], and where its scan continues (`None`: at the end).
pub type StalePage = (Vec<(uuid::Uuid, StoredPoint)>, Option<uuid::Uuid>);
