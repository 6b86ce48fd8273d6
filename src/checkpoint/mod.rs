//! Per-file progress, checkpointed per byte offset.
//!
//! A checkpoint records where the next run starts reading a file (`offset`: the end of the last complete line
//! whose messages are all durably stored), how to tell whether the file is still the one that was read (dev/inode,
//! a hash of its head, a hash of the bytes just before the offset, size, mtime), and the parser's carry-over
//! state, so message merging and conversation links continue exactly mid-file. Checkpoints are written by the
//! sink in the same transaction as the points they cover; see `store::embedded`. Whether a file holds work and
//! where its next read starts are decided here too ([`pending_bytes`], [`starting_point`]).

mod identity;
mod record;
mod resume;

pub use identity::{
    head_fingerprint, tail_hash, validate, FileStat, Validity, HEAD_BYTES, TAIL_BYTES,
};
pub use record::{decode, encode, FileCheckpoint, CHECKPOINT_FORMAT};
pub use resume::{fresh, pending_bytes, starting_point, Start};
