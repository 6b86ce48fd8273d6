//! What is stored with each point. Only values derived from the transcript (no ingest time, no run id), so two
//! syncs of the same files export identically however they were interrupted.

use crate::enhance::solution::SolutionCategory;
use crate::message::{Agent, MessageKind, Sentiment, TopicScore};
use serde::{Deserialize, Serialize};

/// Everything stored with one chunk of one message: identity, place in the conversation, text and enrichments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    pub message_id: String,
    pub parent_message_id: Option<String>,
    pub session_id: String,
    pub uuid: String,
    pub kind: MessageKind,
    pub chunk_index: u32,
    pub chunk_count: u32,
    pub text: String,
    /// Project path, from the line's `cwd`.
    pub project: Option<String>,
    /// Last component of `project`.
    pub project_name: Option<String>,
    pub git_branch: Option<String>,
    pub timestamp: Option<String>,
    pub timestamp_unix: Option<i64>,
    pub is_sidechain: bool,
    pub agent_id: Option<String>,
    pub source_path: String,
    pub line_offset: u64,
    /// Real `tool_use` names in this message (or the tool a result came from).
    pub tools_used: Vec<String>,
    pub files_touched: Vec<String>,
    pub has_code: bool,
    pub topics: Vec<TopicScore>,
    pub primary_topic: Option<String>,
    pub solution_quality: f32,
    pub is_solution_attempt: bool,
    pub solution_category: Option<SolutionCategory>,
    /// On a human message answering a solution attempt.
    pub feedback: Option<Feedback>,
    /// On a solution attempt, copied back from the feedback that answered it.
    pub validation: Option<Validation>,
    /// blake3 of the chunk text (hex, 32 chars).
    pub content_hash: String,
    pub enhancer_version: u32,
    pub embedding_model: String,
    /// The uuid of every transcript line merged into this message, in file order (the first is `uuid`). Hooks,
    /// links and other tools name lines, so any of them finds the message. Empty in points written before it
    /// existed (then `uuid` is the only one known).
    #[serde(default)]
    pub line_uuids: Vec<String>,
    /// The redaction rules the text went through ([`crate::redact::Redactor::version`]; `off` when redaction was
    /// turned off; empty in points written before it was recorded). A point of another version is re-redacted.
    #[serde(default)]
    pub redaction_version: String,
    /// The kinds (rule ids) of the `[REDACTED:<kind>]` markers in `text`, sorted, each once: what `stats` counts,
    /// never the values.
    #[serde(default)]
    pub redacted: Vec<String>,
    /// The coding agent whose history the message is (points written before it existed are Claude Code's).
    #[serde(default)]
    pub agent: Agent,
}

impl Payload {
    /// Whether `uuid` names one of the lines of this message.
    pub fn has_uuid(&self, uuid: &str) -> bool {
        self.uuid == uuid || self.line_uuids.iter().any(|u| u == uuid)
    }
}

/// The user's reaction a human message expresses (to the answer before it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub sentiment: Sentiment,
    pub strength: f32,
    pub confidence: f32,
    /// The solution attempt this message reacts to.
    pub solution_message_id: String,
}

/// A later human message's verdict on a solution attempt, copied onto the attempt's chunks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    pub feedback_message_id: String,
    pub sentiment: Sentiment,
    /// Positive for validated, negative for refuted, in [-1, 1].
    pub strength: f32,
    pub certainty: f32,
}

/// Hex content hash used in payloads and cache keys.
pub fn content_hash(text: &str) -> String {
    let h = blake3::hash(text.as_bytes());
    h.to_hex()[..32].to_string()
}
