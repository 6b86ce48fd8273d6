//! Deterministic, versioned metadata heuristics (pure functions of a message's text and tool calls).
//!
//! The stateful part of enhancement (conversation-tree links, feedback linking) lives in `stages::enhance`.

pub mod code;
pub mod embedding;
pub mod head_noise;
pub mod lists;
pub mod project;
pub mod quality;
pub mod sentiment;
pub mod solution;
pub mod topics;
pub mod words;

/// Bump whenever any rule in this module or the stored text changes: it is stamped into every payload, and a data
/// dir holding points of another version is re-indexed by the next run (see `crate::reindex`).
/// Version 6: secrets are redacted as lines are read (`crate::redact`).
/// Version 7: a worktree's project name is its repository's ([`project`]).
/// Version 8: a shell command's call and result touch the first file it names (`crate::file_names`).
/// Version 9: environment noise at the head of tool results is left out of their embeddings ([`head_noise`]).
/// Version 10: the shell-command files of version 8 skip directories, task names, modules, packages, option
/// values and words holding a space or an expansion; a patch's file is named in its text again; only shell tools
/// take a file from their command (Gemini CLI's other tools too, since before any release).
/// Version 11: a tool result's stored text names its call's file in its label ([`crate::transcript::result_label`]).
pub const ENHANCER_VERSION: u32 = 11;
