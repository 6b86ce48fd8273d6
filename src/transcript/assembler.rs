//! Turns transcript lines into conversation messages, one line at a time, with state that survives a restart.
//!
//! Rules (see `../shared/notes/transcript-format.md` §4):
//! - noise (`progress`, `file-history-snapshot`, `queue-operation`, `system`, `summary`, unknown types) is skipped
//!   after decoding only its head, but its `uuid -> parentUuid` link is kept so the conversation tree stays whole;
//! - assistant lines sharing `message.id` merge into one message, even across interleaved tool-result lines; the
//!   message stays *open* until a different assistant message or a human prompt arrives. At the end of the bytes
//!   available it is emitted anyway (and re-emitted, under the same id, if more of it arrives later);
//! - user lines are human prompts, tool results or compaction summaries; `isMeta` lines, command wrappers and
//!   interruption notices are skipped; so are synthetic API-error lines and compaction-run (`acompact`) files;
//! - except hook output (an `isMeta` reminder or a hook `attachment` line, in a session or in its compaction log):
//!   it becomes a `hook_feedback` message identified by its content, so its copies are stored once.
//!
//! The whole state is serializable: it is saved with the checkpoint so a run resumes mid-file exactly as if it
//! had never stopped.

use super::blocks::{content_blocks, Block};
use super::raw::{ConversationLine, LineHead};
use super::repair;
use super::{hook_feedback, text, tools};
use crate::ids;
use crate::message::{Message, MessageKind, ToolCall};
use crate::redact::{Counts, Redactor};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;
use uuid::Uuid;

/// How many recent line links are remembered to resolve `parentUuid` (real parents sit within ~70 lines).
const LINK_WINDOW: usize = 2048;
/// How many recent tool-call names are remembered to label tool results.
const TOOL_NAME_WINDOW: usize = 256;
/// Longest tool result kept, in characters: longer ones lose their middle (the command at the head and the error
/// at the tail are what is searched for).
pub const MAX_TOOL_RESULT_CHARS: usize = 100_000;

/// Why a line could not be used. The caller adds the file and byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOutcome {
    /// Decoded (whether or not it produced a message).
    Ok,
    /// Decoded after repairing it (invalid UTF-8 or lone surrogates replaced); worth a warning.
    Repaired(String),
    /// Not valid JSON / not an object of the expected shape: skipped, worth a warning.
    Malformed(String),
}

/// Saved between runs (bincode). Versioned by the checkpoint format.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AssemblerState {
    /// (line uuid key, message id the line resolves to), oldest first.
    links: VecDeque<(u128, Option<u128>)>,
    /// The tool calls whose results may still come, oldest first.
    tool_uses: VecDeque<ToolUse>,
    /// The assistant message still receiving lines.
    open: Option<OpenAssistant>,
}

impl AssemblerState {
    /// Where the assistant message still receiving lines starts (its first line's byte offset), if one is open
    /// and has changed since it was last emitted. A checkpoint's offset may lie past that line while the message
    /// is not yet stored: a later run emits it. (At the end of the available bytes the open message is emitted,
    /// and stays open for lines still to come; then this is `None`.)
    pub fn unemitted_open_message_offset(&self) -> Option<u64> {
        self.open
            .as_ref()
            .filter(|open| open.dirty)
            .map(|open| open.meta.line_offset)
    }
}

/// A tool call, remembered so that its result can say which tool and which file it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ToolUse {
    id: String,
    name: String,
    file_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OpenAssistant {
    api_message_id: String,
    meta: LineMeta,
    message_id: u128,
    parent_message_id: Option<u128>,
    pieces: Vec<String>,
    /// Uuids of the lines merged so far, in file order.
    line_uuids: Vec<String>,
    has_prose: bool,
    tool_calls: Vec<ToolCall>,
    /// Changed since it was last emitted.
    dirty: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LineMeta {
    uuid: String,
    session_id: String,
    cwd: Option<String>,
    git_branch: Option<String>,
    timestamp: Option<String>,
    is_sidechain: bool,
    agent_id: Option<String>,
    line_offset: u64,
}

/// Assembles messages for one file.
pub struct Assembler {
    source_path: String,
    /// Session id for lines that lack one: the file stem.
    default_session: String,
    state: AssemblerState,
    /// Redacts every string of a conversation line as it is decoded (`None`: no redaction).
    redactor: Option<Arc<Redactor>>,
    /// Redactions made so far, by kind.
    redactions: Counts,
}

impl Assembler {
    pub fn new(source_path: &str, state: AssemblerState) -> Self {
        let default_session = std::path::Path::new(source_path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Assembler {
            source_path: source_path.to_string(),
            default_session,
            state,
            redactor: None,
            redactions: Counts::new(),
        }
    }

    /// Redacts secrets from every line this assembler decodes, before anything of the line reaches its state or
    /// its messages.
    pub fn with_redactor(mut self, redactor: Option<Arc<Redactor>>) -> Self {
        self.redactor = redactor;
        self
    }

    /// The redactions made since the last call, by kind.
    pub fn take_redactions(&mut self) -> Counts {
        std::mem::take(&mut self.redactions)
    }

    pub fn state(&self) -> &AssemblerState {
        &self.state
    }

    /// Feeds one complete line (without its `\n`) that starts at byte `offset`. Messages it completes are pushed
    /// to `out`.
    pub fn feed(&mut self, offset: u64, line: &[u8], out: &mut Vec<Message>) -> LineOutcome {
        let Some(line) = repair::content(line) else {
            return LineOutcome::Ok;
        };
        // Validated once there, so serde does not validate every string again. Decoding fails before any state
        // changes, so a repaired line can simply be fed again.
        match repair::decode_repairing(line, |text| self.feed_decoded(offset, text, out)) {
            Ok(((), None)) => LineOutcome::Ok,
            Ok(((), Some(r))) => LineOutcome::Repaired(r),
            Err(err) => LineOutcome::Malformed(err),
        }
    }

    /// Emits the open assistant message if it changed since it was last emitted (end of the available bytes).
    /// It stays open: if more of it arrives later, it is emitted again under the same id.
    pub fn flush(&mut self, out: &mut Vec<Message>) {
        let source = self.source_path.clone();
        if let Some(open) = self.state.open.as_mut() {
            if open.dirty {
                open.dirty = false;
                if let Some(m) = open_to_message(open, &source) {
                    out.push(m);
                }
            }
        }
    }

    fn feed_decoded(
        &mut self,
        offset: u64,
        line: &str,
        out: &mut Vec<Message>,
    ) -> Result<(), String> {
        let head: LineHead<'_> =
            serde_json::from_str(line).map_err(|e| format!("not a JSON object line: {e}"))?;
        let kind = head.kind.as_deref().unwrap_or("");
        if kind != "user" && kind != "assistant" && kind != "attachment" {
            // Noise: keep only the tree link. A compaction boundary has a null parent and a logical one.
            if let Some(uuid) = head.uuid.as_deref() {
                let parent = head
                    .parent_uuid
                    .as_deref()
                    .or(head.logical_parent_uuid.as_deref());
                let resolved = self.resolve(parent);
                self.link(uuid, resolved);
            }
            return Ok(());
        }
        let mut line: ConversationLine =
            serde_json::from_str(line).map_err(|e| format!("unexpected {kind} line shape: {e}"))?;
        if let Some(r) = &self.redactor {
            line.redact(r, &mut self.redactions);
        }
        let parent = self.resolve(head.parent_uuid.as_deref());
        let meta = LineMeta {
            uuid: line
                .uuid
                .clone()
                .unwrap_or_else(|| ids::fallback_uuid(&self.source_path, offset)),
            session_id: line
                .session_id
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| self.default_session.clone()),
            cwd: line.cwd.clone().filter(|s| !s.is_empty()),
            git_branch: line.git_branch.clone().filter(|s| !s.is_empty()),
            timestamp: line.timestamp.clone(),
            is_sidechain: line.is_sidechain.unwrap_or(false),
            agent_id: line.agent_id.clone(),
            line_offset: offset,
        };
        let compaction_run = meta
            .agent_id
            .as_deref()
            .is_some_and(|a| a.starts_with("acompact"));
        if kind == "attachment" {
            let hook = line
                .attachment
                .as_ref()
                .and_then(hook_feedback::from_attachment);
            self.hook_or_link(hook, meta, parent, out);
            return Ok(());
        }
        if compaction_run {
            // The summarizer's own run: its result reaches the parent session as the compaction summary. Only
            // the hook output it was shown may exist nowhere else.
            let hook = (kind == "user" && line.is_meta == Some(true))
                .then(|| meta_hook_text(&line))
                .flatten();
            self.hook_or_link(hook, meta, parent, out);
            return Ok(());
        }
        if kind == "assistant" {
            self.assistant_line(line, meta, parent, out);
        } else {
            self.user_line(line, meta, parent, out);
        }
        Ok(())
    }

    fn assistant_line(
        &mut self,
        line: ConversationLine,
        meta: LineMeta,
        parent: Option<u128>,
        out: &mut Vec<Message>,
    ) {
        let message = line.message.unwrap_or(super::raw::ApiMessage {
            id: None,
            model: None,
            content: None,
        });
        if line.is_api_error == Some(true) || message.model.as_deref() == Some("<synthetic>") {
            self.link(&meta.uuid, parent);
            return;
        }
        let api_id = message.id.clone().unwrap_or_else(|| meta.uuid.clone());
        let continues =
            self.state.open.as_ref().is_some_and(|o| {
                o.api_message_id == api_id && o.meta.session_id == meta.session_id
            });
        if !continues {
            self.close_open(out);
            let message_id = ids::message_id(&meta.session_id, &meta.uuid).as_u128();
            self.state.open = Some(OpenAssistant {
                api_message_id: api_id,
                meta: meta.clone(),
                message_id,
                parent_message_id: parent,
                pieces: Vec::new(),
                line_uuids: Vec::new(),
                has_prose: false,
                tool_calls: Vec::new(),
                dirty: false,
            });
        }
        let mut new_tools = Vec::new();
        if let Some(open) = self.state.open.as_mut() {
            if !open.line_uuids.contains(&meta.uuid) {
                open.line_uuids.push(meta.uuid.clone());
            }
            for block in content_blocks(message.content.as_ref()) {
                match block {
                    Block::Text(t) => {
                        let t = text::clean(&t);
                        if !t.is_empty() {
                            open.pieces.push(t);
                            open.has_prose = true;
                            open.dirty = true;
                        }
                    }
                    Block::Thinking(t) => {
                        let t = text::clean(&t);
                        if !t.is_empty() {
                            open.pieces.push(format!("[thinking] {t}"));
                            open.dirty = true;
                        }
                    }
                    Block::ToolUse { id, name, input } => {
                        let call = tools::tool_call(&name, input.as_ref());
                        open.pieces.push(tools::render_call(&call));
                        if let Some(id) = id {
                            new_tools.push(ToolUse {
                                id,
                                name,
                                file_path: call.file_path.clone(),
                            });
                        }
                        open.tool_calls.push(call);
                        open.dirty = true;
                    }
                    Block::ToolResult { .. } | Block::Image | Block::Document | Block::Other => {}
                }
            }
            let id = open.message_id;
            self.link(&meta.uuid, Some(id));
        }
        for tool_use in new_tools {
            push_bounded(&mut self.state.tool_uses, tool_use, TOOL_NAME_WINDOW);
        }
    }

    fn user_line(
        &mut self,
        line: ConversationLine,
        meta: LineMeta,
        parent: Option<u128>,
        out: &mut Vec<Message>,
    ) {
        if line.is_meta == Some(true) {
            let hook = meta_hook_text(&line);
            self.hook_or_link(hook, meta, parent, out);
            return;
        }
        let content = line.message.and_then(|m| m.content);
        let blocks = content_blocks(content.as_ref());
        let has_tool_result = blocks.iter().any(|b| matches!(b, Block::ToolResult { .. }));
        let mut tool_name = None;
        let mut result_files: Vec<String> = Vec::new();
        let mut is_error = false;
        let (kind, raw_text) = if has_tool_result {
            let mut parts = Vec::new();
            for block in blocks {
                match block {
                    Block::ToolResult {
                        tool_use_id,
                        text: t,
                        is_error: err,
                    } => {
                        let tool_use = tool_use_id.as_deref().and_then(|id| self.tool_use(id));
                        let name = tool_use.map(|u| u.name.clone());
                        if let Some(file) = tool_use.and_then(|u| u.file_path.as_ref()) {
                            if !result_files.contains(file) {
                                result_files.push(file.clone());
                            }
                        }
                        is_error |= err;
                        let label = super::result_label::label(name.as_deref(), err);
                        if tool_name.is_none() {
                            tool_name = name;
                        }
                        let body = text::truncate_middle(&text::clean(&t), MAX_TOOL_RESULT_CHARS);
                        parts.push(format!("{label}\n{body}"));
                    }
                    Block::Text(t) => parts.push(t),
                    _ => {}
                }
            }
            (MessageKind::ToolResult, parts.join("\n"))
        } else {
            let t = blocks
                .into_iter()
                .filter_map(|b| match b {
                    Block::Text(t) => Some(t),
                    Block::Image => Some("[image]".to_string()),
                    Block::Document => Some("[document]".to_string()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n");
            if line.is_compact_summary == Some(true) {
                (MessageKind::Summary, t)
            } else {
                (MessageKind::Human, t)
            }
        };
        if kind == MessageKind::Human && text::is_wrapper_text(&raw_text) {
            self.link(&meta.uuid, parent);
            return;
        }
        let cleaned = text::clean(&raw_text);
        if cleaned.is_empty() {
            self.link(&meta.uuid, parent);
            return;
        }
        if kind != MessageKind::ToolResult {
            // A new turn: the assistant message before it is complete.
            self.close_open(out);
        }
        let uuid = meta.uuid.clone();
        out.push(Message {
            result_of_tool: tool_name,
            result_files,
            is_error,
            ..self.line_message(meta, uuid, parent, kind, cleaned)
        });
    }

    /// The message of one transcript line (everything but a merged assistant message), under `uuid`, linked into
    /// the conversation tree in place of the line.
    fn line_message(
        &mut self,
        meta: LineMeta,
        uuid: String,
        parent: Option<u128>,
        kind: MessageKind,
        text: String,
    ) -> Message {
        let message_id = ids::message_id(&meta.session_id, &uuid);
        self.link(&meta.uuid, Some(message_id.as_u128()));
        Message {
            uuid,
            line_uuids: vec![meta.uuid],
            session_id: meta.session_id,
            message_id,
            parent_message_id: parent.map(Uuid::from_u128),
            kind,
            text,
            cwd: meta.cwd,
            git_branch: meta.git_branch,
            timestamp: meta.timestamp,
            is_sidechain: meta.is_sidechain,
            agent_id: meta.agent_id,
            tool_calls: Vec::new(),
            result_of_tool: None,
            result_files: Vec::new(),
            is_error: false,
            source_path: self.source_path.clone(),
            line_offset: meta.line_offset,
            agent: crate::message::Agent::ClaudeCode,
        }
    }

    /// Emits hook output as a `hook_feedback` message (identified by session and content), or, when the line
    /// carries none, only keeps its tree link.
    fn hook_or_link(
        &mut self,
        hook: Option<String>,
        meta: LineMeta,
        parent: Option<u128>,
        out: &mut Vec<Message>,
    ) {
        let Some(raw) = hook else {
            self.link(&meta.uuid, parent);
            return;
        };
        let cleaned = text::truncate_middle(&text::clean(&raw), hook_feedback::MAX_HOOK_CHARS);
        if cleaned.is_empty() {
            self.link(&meta.uuid, parent);
            return;
        }
        let uuid = format!("hook:{}", crate::payload::content_hash(&cleaned));
        let message = self.line_message(meta, uuid, parent, MessageKind::HookFeedback, cleaned);
        out.push(message);
    }

    fn close_open(&mut self, out: &mut Vec<Message>) {
        if let Some(mut open) = self.state.open.take() {
            if open.dirty {
                open.dirty = false;
                if let Some(m) = open_to_message(&open, &self.source_path) {
                    out.push(m);
                }
            }
        }
    }

    fn resolve(&self, parent_uuid: Option<&str>) -> Option<u128> {
        let key = ids::line_key(parent_uuid?);
        self.state
            .links
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| *v)
    }

    fn link(&mut self, uuid: &str, target: Option<u128>) {
        push_bounded(
            &mut self.state.links,
            (ids::line_key(uuid), target),
            LINK_WINDOW,
        );
    }

    fn tool_use(&self, tool_use_id: &str) -> Option<&ToolUse> {
        self.state
            .tool_uses
            .iter()
            .rev()
            .find(|u| u.id == tool_use_id)
    }
}

fn push_bounded<T>(q: &mut VecDeque<T>, item: T, cap: usize) {
    if q.len() >= cap {
        q.pop_front();
    }
    q.push_back(item);
}

fn open_to_message(open: &OpenAssistant, source_path: &str) -> Option<Message> {
    if open.pieces.is_empty() {
        return None;
    }
    let kind = if open.has_prose || open.tool_calls.is_empty() {
        MessageKind::Assistant
    } else {
        MessageKind::ToolCall
    };
    Some(Message {
        uuid: open.meta.uuid.clone(),
        line_uuids: open.line_uuids.clone(),
        session_id: open.meta.session_id.clone(),
        message_id: Uuid::from_u128(open.message_id),
        parent_message_id: open.parent_message_id.map(Uuid::from_u128),
        kind,
        text: open.pieces.join("\n\n"),
        cwd: open.meta.cwd.clone(),
        git_branch: open.meta.git_branch.clone(),
        timestamp: open.meta.timestamp.clone(),
        is_sidechain: open.meta.is_sidechain,
        agent_id: open.meta.agent_id.clone(),
        tool_calls: open.tool_calls.clone(),
        result_of_tool: None,
        result_files: Vec::new(),
        is_error: false,
        source_path: source_path.to_string(),
        line_offset: open.meta.line_offset,
        agent: crate::message::Agent::ClaudeCode,
    })
}

/// The hook output an `isMeta` user line carries, if any.
fn meta_hook_text(line: &ConversationLine) -> Option<String> {
    let content = line.message.as_ref()?.content.as_ref();
    let text = content_blocks(content)
        .into_iter()
        .filter_map(|b| match b {
            Block::Text(t) => Some(t),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    hook_feedback::from_meta_text(&text)
}

#[cfg(test)]
mod tests;
