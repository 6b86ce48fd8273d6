//! Where points go. A [`Sink`] applies one batch atomically and durably; the checkpoint advances it carries are
//! committed only together with the points they cover (acknowledgement-driven checkpointing).

pub mod embedded;
pub mod lock;
pub mod migrate;
pub mod model_record;
pub mod point;
pub mod qdrant;
pub mod snapshot;
pub mod target;

pub use embedded::EmbeddedStore;
pub use lock::{Holder, WriterLock};
pub use point::{CommitBatch, PointWrite, SinkOp, StoredPoint, ValidationPatch};

use crate::error::Result;

/// A destination for points.
pub trait Sink: Send + Sync {
    /// Applies `batch` (ops in order, then checkpoints) atomically; returns once it is durable. On error nothing
    /// of the batch is applied and no checkpoint moves.
    fn commit(&self, batch: &CommitBatch) -> Result<()>;
}
