//! Serde views of one JSONL line: a cheap head (type and tree links) decoded for every line, and the full line
//! decoded only for conversation lines.

use crate::redact::{Counts, Redactor};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

/// The fields every line is decoded into first. Unknown fields are skipped without allocation.
#[derive(Debug, Deserialize)]
pub struct LineHead<'a> {
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub uuid: Option<Cow<'a, str>>,
    #[serde(rename = "parentUuid", borrow, default)]
    pub parent_uuid: Option<Cow<'a, str>>,
    #[serde(rename = "logicalParentUuid", borrow, default)]
    pub logical_parent_uuid: Option<Cow<'a, str>>,
}

/// A `user` or `assistant` line, fully decoded.
#[derive(Debug, Deserialize)]
pub struct ConversationLine {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub uuid: Option<String>,
    #[serde(rename = "sessionId", default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(rename = "gitBranch", default)]
    pub git_branch: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(rename = "isSidechain", default)]
    pub is_sidechain: Option<bool>,
    #[serde(rename = "agentId", default)]
    pub agent_id: Option<String>,
    #[serde(rename = "isMeta", default)]
    pub is_meta: Option<bool>,
    #[serde(rename = "isCompactSummary", default)]
    pub is_compact_summary: Option<bool>,
    #[serde(rename = "isApiErrorMessage", default)]
    pub is_api_error: Option<bool>,
    #[serde(rename = "requestId", default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub message: Option<ApiMessage>,
    /// On an `attachment` line: what was attached (hook output among others).
    #[serde(default)]
    pub attachment: Option<Value>,
}

impl ConversationLine {
    /// Redacts every free-text field: the message content (text, tool inputs and results, at any depth), the
    /// attachment, the working directory and the branch. Ids and timestamps are left as they are.
    pub fn redact(&mut self, redactor: &Redactor, counts: &mut Counts) {
        if let Some(content) = self.message.as_mut().and_then(|m| m.content.as_mut()) {
            redactor.redact_json(content, counts);
        }
        if let Some(attachment) = self.attachment.as_mut() {
            redactor.redact_json(attachment, counts);
        }
        for field in [&mut self.cwd, &mut self.git_branch].into_iter().flatten() {
            redactor.redact_in_place(field, counts);
        }
    }
}

/// The `message` object of a user or assistant line (the API message Claude Code logged).
#[derive(Debug, Deserialize)]
pub struct ApiMessage {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub content: Option<Value>,
}
