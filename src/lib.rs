//! `pipeline`: a resumable, checkpointed semantic index of coding agents' conversation history (Claude Code,
//! Codex CLI, Gemini CLI).
//!
//! Four stages (parse -> enhance -> embed -> upsert) run concurrently, connected by bounded channels. Each file's
//! progress is checkpointed per byte offset in the same sled transaction as the points it covers, so a run can
//! be killed at any instant and resumed with nothing lost and nothing duplicated.

pub mod budget;
pub mod checkpoint;
pub mod codec;
pub mod config;
pub mod discover;
pub mod embedder;
pub mod enhance;
pub mod error;
pub mod exclude;
pub mod file_names;
pub mod forget;
pub mod health;
pub mod history;
pub mod hooks;
pub mod ids;
pub mod lexical;
pub mod mcp;
pub mod message;
pub mod paths;
pub mod payload;
pub mod private;
pub mod progress;
pub mod redact;
pub mod reindex;
pub mod search;
pub mod session;
pub mod shutdown;
pub mod source;
pub mod stages;
pub mod stats;
pub mod store;
pub mod sync;
pub mod synth;
pub mod transcript;
pub mod watch;

pub use error::{Error, Result};
