//! Sources: one module per coding agent's history format. Each turns its files' records into conversation
//! [`Message`]s, one record at a time, with state that survives a restart; the enhance, embed and upsert stages,
//! the budget, the checkpoints and the stores are shared by all of them.
//!
//! Adding a format means one module here (a [`RecordAssembler`], its state and its [`formats::Format`]), one
//! pipeline file (`pipelines/<agent>.toml`, which also gives the format's default roots and globs), and the
//! names the store keeps: an [`Agent`] and a [`SourceState`] variant, and an entry in [`formats::FORMATS`].

pub mod claude_code;
pub mod codex;
pub mod config;
pub mod formats;
pub mod gemini;
pub mod layout;
pub mod rewritten;
#[cfg(test)]
pub mod testing;

use crate::message::{Agent, Message};
use crate::redact::{Counts, Redactor};
use crate::transcript::{AssemblerState, LineOutcome};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Turns one file's records (JSONL lines) into messages. The parse stage feeds it every complete line in file
/// order and saves [`RecordAssembler::state`] with each checkpoint, so a later run resumes mid-file exactly as if
/// it had never stopped.
pub trait RecordAssembler: Send {
    /// Feeds one complete line (without its `\n`) that starts at byte `offset`. Messages it completes are pushed
    /// to `out`. Bad input is an outcome (the caller warns with file and offset), never a panic.
    fn feed(&mut self, offset: u64, line: &[u8], out: &mut Vec<Message>) -> LineOutcome;
    /// Emits what is still open at the end of the bytes available (it may be emitted again, under the same id,
    /// if more of it arrives later).
    fn flush(&mut self, out: &mut Vec<Message>);
    /// The redactions made since the last call, by kind.
    fn take_redactions(&mut self) -> Counts;
    /// The carry-over state to save with a checkpoint.
    fn state(&self) -> SourceState;
}

/// A format's carry-over state, saved in a file's checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SourceState {
    ClaudeCode(AssemblerState),
    Codex(codex::CodexState),
    GeminiLog(gemini::GeminiLogState),
    /// A file read whole each time it changes (not line by line): what it held at the last read.
    Rewritten(rewritten::SeenMessages),
}

/// First byte of a checkpoint's carry-over state (`stages::ResumeState`), whose first field is the
/// [`SourceState`]: so the byte after it is the state's variant. The state's first encoding (Claude Code only)
/// starts with a bincode varint, which is never 255.
pub const STATE_TAG: u8 = 0xff;

impl SourceState {
    /// The agent whose files this state reads.
    pub fn agent(&self) -> Agent {
        match self {
            SourceState::ClaudeCode(_) => Agent::ClaudeCode,
            SourceState::Codex(_) => Agent::Codex,
            SourceState::GeminiLog(_) | SourceState::Rewritten(_) => Agent::GeminiCli,
        }
    }

    /// The agent of an encoded checkpoint state, without decoding it (`None`: no state yet). A file whose
    /// checkpoint was written for another agent's format is read again from the start.
    pub fn agent_of_encoded(state: &[u8]) -> Option<Agent> {
        match state {
            [] => None,
            [STATE_TAG, variant, ..] => match variant {
                0 => Some(Agent::ClaudeCode),
                1 => Some(Agent::Codex),
                2 | 3 => Some(Agent::GeminiCli),
                _ => None,
            },
            [STATE_TAG] => None,
            _ => Some(Agent::ClaudeCode),
        }
    }
}

impl Default for SourceState {
    fn default() -> Self {
        SourceState::ClaudeCode(AssemblerState::default())
    }
}

/// Whether a file of `agent` is rewritten in place on every update, so it is read whole each time it changes
/// (Gemini CLI's JSON chats) instead of line by line from a byte offset.
pub fn read_whole(agent: Agent, path: &str) -> bool {
    (formats::format(agent).read_whole)(path)
}

/// The assembler for a file of `agent`'s format, resuming from `state` (a state of another format, as a
/// checkpoint written before the file's format was known, starts fresh).
pub fn assembler(
    agent: Agent,
    source_path: &str,
    state: SourceState,
    redactor: Option<Arc<Redactor>>,
) -> Box<dyn RecordAssembler> {
    (formats::format(agent).assembler)(source_path, state, redactor)
}
