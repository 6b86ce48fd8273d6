//! Deterministic, versioned metadata heuristics (pure functions of a message's text and tool calls).
//!
//! The stateful part of enhancement (conversation-tree links, feedback linking) lives in `stages::enhance`.

pub mod code;
pub mod quality;
pub mod sentiment;
pub mod solution;
pub mod topics;
pub mod words;

/// Bump whenever any rule in this module changes: it is stamped into every payload.
pub const ENHANCER_VERSION: u32 = 1;
