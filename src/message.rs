//! The conversation model shared by every stage: what parse produces, what enhance annotates, what embed and
//! upsert store.

use serde::{Deserialize, Serialize};

/// What a stored message is. The names are the ones users filter on (`--kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A prompt typed by the person (not a tool result, command wrapper or meta line).
    Human,
    /// An assistant response that contains prose (it may also call tools).
    Assistant,
    /// An assistant response made only of tool calls.
    ToolCall,
    /// The output of a tool, returned to the model as a `user` line.
    ToolResult,
    /// A compaction summary (`isCompactSummary`): repeats earlier content.
    Summary,
    /// Output of a hook that Claude Code injected into the conversation (`PostToolUse:Edit hook additional
    /// context: [COMPILE ERROR] ...`, `Stop hook feedback: ...`): compiler, linter and test output that the
    /// transcript holds nowhere else.
    HookFeedback,
}

impl MessageKind {
    pub const ALL: [MessageKind; 6] = [
        MessageKind::Human,
        MessageKind::Assistant,
        MessageKind::ToolCall,
        MessageKind::ToolResult,
        MessageKind::Summary,
        MessageKind::HookFeedback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Human => "human",
            MessageKind::Assistant => "assistant",
            MessageKind::ToolCall => "tool_call",
            MessageKind::ToolResult => "tool_result",
            MessageKind::Summary => "summary",
            MessageKind::HookFeedback => "hook_feedback",
        }
    }
}

/// The coding agent whose history a message comes from: each has its own source format (`crate::source`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, Default,
)]
pub enum Agent {
    /// Claude Code (`~/.claude/projects`).
    #[default]
    #[serde(rename = "claude-code")]
    ClaudeCode,
    /// OpenAI Codex CLI (`$CODEX_HOME/sessions`).
    #[serde(rename = "codex")]
    Codex,
    /// Google Gemini CLI (`~/.gemini/tmp`).
    #[serde(rename = "gemini-cli")]
    GeminiCli,
}

impl Agent {
    pub const ALL: [Agent; 3] = [Agent::ClaudeCode, Agent::Codex, Agent::GeminiCli];

    /// The name users filter on (`--agent`) and pipeline files use (`[source] kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "claude-code",
            Agent::Codex => "codex",
            Agent::GeminiCli => "gemini-cli",
        }
    }

    /// The agent named `name` (as [`Agent::as_str`] writes it).
    pub fn parse(name: &str) -> Option<Agent> {
        Agent::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl std::fmt::Display for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One tool invocation made by the assistant: the real `tool_use` name and its most meaningful input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub name: String,
    /// The salient input rendered as text (a command, a pattern, a description), possibly truncated.
    pub input_summary: String,
    /// The file the call reads or writes, when the tool names one (`file_path`, `notebook_path`, `path`).
    pub file_path: Option<String>,
}

/// A conversation message assembled from one or more transcript lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Stable identity of the message: the `uuid` of its first line (an assistant message merged from several lines
    /// takes its first line's uuid), or the documented fallback `line:<file>:<byte offset>` for lines without one.
    /// Hook feedback is identified by its content instead (`hook:<hash>`), so the copies Claude Code leaves in a
    /// session and in its compaction log are stored once.
    pub uuid: String,
    /// The uuid of every line the message was assembled from, in file order.
    pub line_uuids: Vec<String>,
    /// `sessionId` of the first line (subagent files carry their parent's session id).
    pub session_id: String,
    /// Stable id of the message: UUIDv5 of session and uuid (see `ids`).
    pub message_id: uuid::Uuid,
    /// Id of the nearest stored ancestor message, following `parentUuid` through skipped lines.
    pub parent_message_id: Option<uuid::Uuid>,
    pub kind: MessageKind,
    /// Cleaned text: code punctuation intact, base64 payloads removed, tool results truncated.
    pub text: String,
    pub cwd: Option<String>,
    pub git_branch: Option<String>,
    /// ISO-8601 timestamp of the first line, as written by Claude Code.
    pub timestamp: Option<String>,
    pub is_sidechain: bool,
    pub agent_id: Option<String>,
    /// Tool calls made in this message (assistant / tool_call kinds).
    pub tool_calls: Vec<ToolCall>,
    /// For a tool result: the name of the tool that produced it, when known.
    pub result_of_tool: Option<String>,
    /// For a tool result: the files its calls read or wrote (their `file_path`), so the result is found as about
    /// that file too.
    #[serde(default)]
    pub result_files: Vec<String>,
    /// For a tool result: the tool reported an error.
    pub is_error: bool,
    /// Path of the transcript file the message came from.
    pub source_path: String,
    /// Byte offset of the message's first line in that file.
    pub line_offset: u64,
    /// The agent whose history the file is.
    #[serde(default)]
    pub agent: Agent,
}

/// One topic detected in a message, with a confidence in [0, 1].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicScore {
    pub topic: String,
    pub confidence: f32,
}

/// Sentiment of a human message that reacts to an assistant's solution attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sentiment {
    Positive,
    Negative,
    Partial,
    Neutral,
}

/// The feedback signal extracted from a human message's text.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FeedbackSignal {
    pub sentiment: Sentiment,
    /// How strongly the words express the sentiment, in [0, 1].
    pub strength: f32,
    /// How sure the classifier is, in [0, 1].
    pub confidence: f32,
}
