//! Claude Code transcripts: reading complete lines, decoding them, and assembling conversation messages.
//!
//! Pure and synchronous: the async `stages::parse` drives it. See `../shared/notes/transcript-format.md`.

pub mod assembler;
mod blocks;
pub mod chunk;
pub mod hook_feedback;
pub mod lines;
pub mod raw;
pub mod repair;
pub mod result_label;
pub mod text;
pub mod tools;

pub use assembler::{Assembler, AssemblerState, LineOutcome};
pub use chunk::{chunk_text, estimate_tokens};
pub use lines::{LineReader, RawLineItem};
