//! OpenAI Codex CLI rollouts (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<local time>-<uuid>.jsonl`, append-only
//! JSONL, Codex 0.40 to 0.146). Every line is `{"timestamp", "type", "payload"}` (newer ones add `ordinal`).
//!
//! Rules:
//! - **Session**: the id is `payload.id` of the file's first `session_meta` (a file may hold several: resume,
//!   fork, subagent spawn; later ones only update the cwd and branch). Before it, the file stem's trailing UUID
//!   (or the whole stem). The cwd comes from `session_meta.cwd` and `turn_context.cwd`, the branch from
//!   `session_meta.git.branch` (latest wins). Messages are sidechain when the first `session_meta` has
//!   `source.subagent`.
//! - **Messages** come from `response_item`s: a `user` message is a human prompt (its `input_text` parts,
//!   images as `[image]`), minus injected context (`<environment_context>`, `<user_instructions>`,
//!   `<INSTRUCTIONS>`, `# AGENTS.md instructions`, `<permissions instructions>`, `<collaboration_mode>`,
//!   `<turn_aborted>`, `<subagent_notification>`, `<skill>`, `<plugins>`, `<subagents>`): a `!command`'s
//!   `<user_shell_command>` is kept without its tags, and the IDE extension's `# Context from my IDE setup:`
//!   keeps only what follows `## My request for Codex:`. `developer` / `system` messages are instructions and
//!   dropped; an `assistant` message is an answer (`output_text` parts). A message between agents (an
//!   `agent_message` item, a message whose only text is Codex's inter-agent JSON envelope, in either stream, or
//!   a top-level `inter_agent_communication` record) is an answer headed `[from <author> to <recipient>]`, not
//!   raw JSON and not the person's prompt (an encrypted one shows nothing). `function_call`,
//!   `custom_tool_call`, `local_shell_call`, `web_search_call` and `tool_search_call` are one tool-call message
//!   each; `function_call_output`, `custom_tool_call_output` and
//!   `tool_search_output` are tool results joined to their call by `call_id` (a window of 256 calls). An
//!   exec output `{"output", "metadata": {"exit_code"}}` is an error when the exit code is not 0, and so is a
//!   sandbox refusal (`failed in sandbox ...`).
//! - **Reasoning**: a `reasoning` item's readable summary is not a message of its own: it is held (at most 8
//!   summaries, 4,000 characters) and prepended as `[reasoning] ...` paragraphs to the next answer or tool
//!   call; a user prompt arriving first drops it. When an answer's event copy came first (Codex writes the
//!   event, then the reasoning and the answer's response item), the answer is already emitted: its reasoning is
//!   then an assistant message of its own at the response item's line, a child of the answer beside the
//!   conversation (the next message's parent is still the answer). Encrypted reasoning is ignored.
//! - **Duplicates**: prompts and answers are also written as `event_msg`s (`user_message`, `agent_message`,
//!   and in the newest versions `item_completed` with a `UserMessage` / `AgentMessage` item, sometimes
//!   alone), in either order. Each is normalized as above and hashed with its role; the first of a pair is
//!   emitted and its hash kept in a window of 32 with the streams it was seen in (response item, event,
//!   `item_completed`); a later one whose hash is in the window but not yet seen in its stream is a copy and
//!   skipped. The window starts over at each new prompt (copies never cross one), and a message repeated in one
//!   stream is kept each time (a prompt sent twice; a message between agents, which Codex writes only as an
//!   item). One event
//!   holds what nothing else does: a `hook_completed` run that reported something (`run.entries[].text`) is a
//!   `hook_feedback` message `[hook: <event>, <status>]\n<texts>`. Other events are skipped: Codex's rollout
//!   policy always writes tool calls and outputs as response items, so the command, MCP, web-search and
//!   file-change events (and `item_completed` items of those types) are copies; an `item_completed` `Plan`
//!   repeats the `<proposed_plan>` block of the raw assistant item; reasoning comes from `reasoning` items.
//! - **Compaction**: a `compacted` record's `message` is a summary message; its `replacement_history`
//!   replays earlier items and is skipped.
//! - **Identity**: lines have no uuids. A message's uuid is `codex:<byte offset of its line>` (stable: the
//!   files are append-only), its parent the previous message of the file, except after a
//!   `thread_rolled_back` event of N turns: the next message's parent is the message before the last N
//!   turns. As for Codex, a turn starts at a prompt or a message between agents, and a message holding a
//!   `!command` or injected context starts none; the parents of the last 512 turns are kept (a rollback past
//!   them is a warning and changes nothing); one past the first turn goes back to before it. Rolled-back messages keep their points (the store is an archive of what was
//!   seen, as for Gemini CLI rewinds); pending reasoning leaves with them.
//! - **Robustness**: blank lines are skipped, a BOM and a trailing CR removed, invalid UTF-8 replaced
//!   (`Repaired`); a line that is not a JSON object with a string `type`, or a known record whose payload has
//!   an unexpected shape, is `Malformed` and changes nothing; unknown record types are skipped.
//! - **Redaction**: every kept text (prompts, answers, reasoning, tool inputs and outputs, summaries, cwd,
//!   branch) is redacted as it is decoded, before it reaches the state or a message.
//!
//! Nothing is held open but pending reasoning, so `flush` emits nothing; the whole state is serializable and
//! a run resumes mid-file exactly as if it had never stopped.

mod copies;
mod decode;
mod inter_agent;
mod record;
mod text;
mod tools;

use super::{RecordAssembler, SourceState};
use crate::ids;
use crate::message::{Agent, Message, MessageKind, ToolCall};
use crate::redact::{Counts, Redactor};
use crate::transcript::assembler::MAX_TOOL_RESULT_CHARS;
use crate::transcript::repair;
use crate::transcript::{result_label, text as clean_text, tools as claude_tools, LineOutcome};
use copies::{RecentMessages, Speaker};
use decode::{Decoded, Record, Stream, UserPiece};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;
use uuid::Uuid;

/// How many recent tool calls are remembered to label their outputs.
const CALL_WINDOW: usize = 256;
/// Bounds on what the call window keeps of one call.
const MAX_CALL_ID_BYTES: usize = 256;
const MAX_CALL_NAME_CHARS: usize = 256;
const MAX_CALL_PATH_CHARS: usize = 4_096;
/// Most reasoning summaries held for the next message, and their most characters in all.
const MAX_REASONING_ITEMS: usize = 8;
const MAX_REASONING_CHARS: usize = 4_000;
/// Longest tool input kept, in characters (the middle is dropped).
const MAX_INPUT_CHARS: usize = 20_000;
/// How many turns' parents are remembered for a rollback.
const TURN_WINDOW: usize = 512;

/// Saved between runs (bincode).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CodexState {
    /// `payload.id` of the first `session_meta` (`None`: none seen yet, or it had no id).
    session_id: Option<String>,
    seen_session_meta: bool,
    is_sidechain: bool,
    cwd: Option<String>,
    git_branch: Option<String>,
    /// The last message emitted: the parent of the next one.
    last_message_id: Option<u128>,
    /// Reasoning summaries (cleaned, redacted) waiting for the next answer or tool call.
    reasoning: VecDeque<String>,
    /// Recent tool calls, oldest first.
    calls: VecDeque<CallRef>,
    /// Recently emitted prompts and answers whose copies in other streams may still come.
    recent: RecentMessages,
    /// The parent of each of the last turns (the message before its first), oldest first: where a rollback
    /// takes the conversation back to.
    turn_parents: VecDeque<Option<u128>>,
    /// Some turn's parent left [`Self::turn_parents`] (more than [`TURN_WINDOW`] turns).
    turns_forgotten: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CallRef {
    call_id: String,
    name: String,
    file_path: Option<String>,
}

/// A message before its identity is assigned.
struct Draft {
    kind: MessageKind,
    text: String,
    tool_calls: Vec<ToolCall>,
    result_of_tool: Option<String>,
    result_files: Vec<String>,
    is_error: bool,
}

impl Draft {
    fn new(kind: MessageKind, text: String) -> Draft {
        Draft {
            kind,
            text,
            tool_calls: Vec::new(),
            result_of_tool: None,
            result_files: Vec::new(),
            is_error: false,
        }
    }
}

/// Assembles messages for one rollout file.
/// Codex CLI's entry among the formats.
pub static FORMAT: super::formats::Format = super::formats::Format {
    agent: Agent::Codex,
    // 2: hook reports are indexed. 3: a rollback takes the next message's parent back (its state grew).
    // 4: a message holding a contextual fragment is no turn; a rollback past the first prompt keeps the prefix.
    // 5: messages between agents are shown under who sent them to whom, and count as turns.
    // 6: a copy is looked for in the other streams of the current turn only; `inter_agent_communication` records.
    // 7: reasoning written after its answer's event copy is kept (as a message of its own), not dropped.
    version: 7,
    pipeline_file: "codex.toml",
    pipeline: include_str!("../../../pipelines/codex.toml"),
    assembler: |path, state, redactor| {
        let state = match state {
            SourceState::Codex(s) => s,
            _ => CodexState::default(),
        };
        Box::new(CodexAssembler::new(path, state).with_redactor(redactor))
    },
    read_whole: |_| false,
};

pub struct CodexAssembler {
    source_path: String,
    /// Session id until a `session_meta` gives one: the file stem's trailing UUID, or the stem.
    default_session: String,
    state: CodexState,
    redactor: Option<Arc<Redactor>>,
    redactions: Counts,
}

impl CodexAssembler {
    pub fn new(source_path: &str, state: CodexState) -> Self {
        CodexAssembler {
            source_path: source_path.to_string(),
            default_session: stem_session(source_path),
            state,
            redactor: None,
            redactions: Counts::new(),
        }
    }

    /// Redacts secrets from every text this assembler keeps, before it reaches its state or its messages.
    pub fn with_redactor(mut self, redactor: Option<Arc<Redactor>>) -> Self {
        self.redactor = redactor;
        self
    }

    /// Applies one decoded line; a warning when it could only be partly applied.
    fn apply(&mut self, offset: u64, decoded: Decoded, out: &mut Vec<Message>) -> Option<String> {
        let Decoded { timestamp, record } = decoded;
        let at = (offset, timestamp);
        match record {
            Record::Skip => {}
            Record::RolledBack { turns } => {
                // Reasoning waiting for a message of the rolled-back turns goes with them.
                self.state.reasoning.clear();
                if !self.roll_back(turns) {
                    return Some(format!(
                        "rollback of {turns} turns, more than the last {TURN_WINDOW} remembered: the next message keeps the previous one as its parent"
                    ));
                }
            }
            Record::SessionMeta {
                id,
                cwd,
                branch,
                subagent,
            } => {
                if !self.state.seen_session_meta {
                    self.state.seen_session_meta = true;
                    self.state.session_id = id.filter(|s| !s.is_empty());
                    self.state.is_sidechain = subagent;
                }
                if let Some(cwd) = cwd.filter(|s| !s.is_empty()) {
                    self.state.cwd = Some(cwd);
                }
                if let Some(branch) = branch.filter(|s| !s.is_empty()) {
                    self.state.git_branch = Some(branch);
                }
            }
            Record::TurnContext { cwd } => {
                if let Some(cwd) = cwd.filter(|s| !s.is_empty()) {
                    self.state.cwd = Some(cwd);
                }
            }
            Record::User {
                pieces,
                turn,
                stream,
            } => self.user(at, &pieces, turn, stream, out),
            Record::Assistant { text, dedup, turn } => {
                let text = clean_text::clean(&text);
                if let Some(stream) = dedup.filter(|_| !text.is_empty()) {
                    if let Some(earlier) =
                        self.state.recent.copy_of(Speaker::Assistant, stream, &text)
                    {
                        // Codex 0.40 writes an answer's event, then its reasoning, then its response item: the
                        // reasoning is the answer's, which is already emitted, so it is a message of its own,
                        // beside the answer, rather than lost at the next prompt.
                        let event_first = earlier == Stream::Event.bit();
                        if stream == Stream::Item && event_first && !turn {
                            let reasoning = self.take_reasoning();
                            if !reasoning.is_empty() {
                                let draft =
                                    Draft::new(MessageKind::Assistant, reasoning.join("\n\n"));
                                self.emit_aside(at, draft, out);
                            }
                        }
                        return None;
                    }
                }
                if turn {
                    // A message between agents starts a turn, as a prompt does, even when it shows nothing
                    // (encrypted): reasoning no answer followed is dropped, not given to it.
                    self.state.reasoning.clear();
                    self.mark_turn();
                    if !text.is_empty() {
                        self.emit(at, Draft::new(MessageKind::Assistant, text), out);
                    }
                    return None;
                }
                if text.is_empty() {
                    return None;
                }
                let mut parts = self.take_reasoning();
                parts.push(text);
                self.emit(
                    at,
                    Draft::new(MessageKind::Assistant, parts.join("\n\n")),
                    out,
                );
            }
            Record::Reasoning { summaries } => {
                for s in summaries {
                    self.hold_reasoning(&s);
                }
            }
            Record::Call { call_id, parts } => {
                let call = ToolCall {
                    name: parts.name,
                    input_summary: clean_text::truncate_middle(
                        &clean_text::clean(&parts.input),
                        MAX_INPUT_CHARS,
                    ),
                    file_path: parts.file_path,
                };
                // Real call ids are short; a longer one is not remembered, so the window stays small.
                if let Some(id) = call_id.filter(|s| !s.is_empty() && s.len() <= MAX_CALL_ID_BYTES)
                {
                    push_bounded(
                        &mut self.state.calls,
                        CallRef {
                            call_id: id,
                            name: prefix_chars(&call.name, MAX_CALL_NAME_CHARS),
                            file_path: call
                                .file_path
                                .as_deref()
                                .map(|p| prefix_chars(p, MAX_CALL_PATH_CHARS)),
                        },
                        CALL_WINDOW,
                    );
                }
                let mut text = self.take_reasoning();
                text.push(claude_tools::render_call(&call));
                let draft = Draft {
                    tool_calls: vec![call],
                    ..Draft::new(MessageKind::ToolCall, text.join("\n\n"))
                };
                self.emit(at, draft, out);
            }
            Record::Output {
                call_id,
                text,
                is_error,
            } => self.output(at, call_id.as_deref(), &text, is_error, out),
            Record::Summary { text } => {
                let text = clean_text::clean(&text);
                if !text.is_empty() {
                    self.emit(at, Draft::new(MessageKind::Summary, text), out);
                }
            }
            Record::HookFeedback { text } => {
                let text = clean_text::clean(&text);
                if !text.is_empty() {
                    self.emit(at, Draft::new(MessageKind::HookFeedback, text), out);
                }
            }
        }
        None
    }

    fn user(
        &mut self,
        at: (u64, Option<String>),
        pieces: &[UserPiece],
        turn: bool,
        stream: Stream,
        out: &mut Vec<Message>,
    ) {
        let shown = clean_text::clean(
            &pieces
                .iter()
                .map(|p| p.text().unwrap_or("[image]"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        if shown.is_empty() {
            return;
        }
        // A new prompt: reasoning that no answer or call followed is dropped.
        self.state.reasoning.clear();
        let key = clean_text::clean(
            &pieces
                .iter()
                .filter_map(UserPiece::text)
                .collect::<Vec<_>>()
                .join("\n"),
        );
        if self
            .state
            .recent
            .copy_of(Speaker::User, stream, &key)
            .is_some()
        {
            return;
        }
        // Codex counts no turn for a message holding a contextual fragment (a `!command`, injected context).
        if turn {
            self.mark_turn();
        }
        self.emit(at, Draft::new(MessageKind::Human, shown), out);
    }

    /// The message about to be emitted starts a turn: remember its parent, where a rollback of this turn goes
    /// back to.
    fn mark_turn(&mut self) {
        if self.state.turn_parents.len() >= TURN_WINDOW {
            self.state.turns_forgotten = true;
        }
        push_bounded(
            &mut self.state.turn_parents,
            self.state.last_message_id,
            TURN_WINDOW,
        );
    }

    /// Takes the conversation back to before the last `turns` turns (prompts and messages between agents): the
    /// next message's parent is the message before the first of them. Their messages keep their points (the
    /// store is an archive of what was seen). False when the turns are not known (a rollback past the remembered
    /// window), which changes nothing.
    fn roll_back(&mut self, turns: u32) -> bool {
        let known = self.state.turn_parents.len();
        let Ok(turns) = usize::try_from(turns) else {
            return false;
        };
        if turns > known && self.state.turns_forgotten {
            return false;
        }
        // With no turn (or none to drop), Codex changes nothing; past the first turn, it goes back to before it
        // (what came before any turn stays).
        if turns == 0 || known == 0 {
            return true;
        }
        let first = known.saturating_sub(turns);
        self.state.last_message_id = self.state.turn_parents.get(first).copied().flatten();
        self.state.turn_parents.truncate(first);
        true
    }

    fn output(
        &mut self,
        at: (u64, Option<String>),
        call_id: Option<&str>,
        raw: &str,
        is_error: bool,
        out: &mut Vec<Message>,
    ) {
        let body = clean_text::clean(&clean_text::truncate_middle(raw, MAX_TOOL_RESULT_CHARS));
        if body.is_empty() {
            return;
        }
        let call = call_id.and_then(|id| self.state.calls.iter().rev().find(|c| c.call_id == id));
        let name = call.map(|c| c.name.clone());
        let result_files: Vec<String> =
            call.and_then(|c| c.file_path.clone()).into_iter().collect();
        let label = result_label::label(name.as_deref(), is_error);
        let draft = Draft {
            result_of_tool: name,
            result_files,
            is_error,
            ..Draft::new(MessageKind::ToolResult, format!("{label}\n{body}"))
        };
        self.emit(at, draft, out);
    }

    fn hold_reasoning(&mut self, summary: &str) {
        let t = clean_text::clean(summary);
        if t.is_empty() {
            return;
        }
        let held = &mut self.state.reasoning;
        held.push_back(clean_text::truncate_middle(&t, MAX_REASONING_CHARS));
        // The newest summary always stays; older ones go when the bounds are passed.
        while held.len() > 1
            && (held.len() > MAX_REASONING_ITEMS
                || held.iter().map(|s| s.chars().count()).sum::<usize>() > MAX_REASONING_CHARS)
        {
            held.pop_front();
        }
    }

    fn take_reasoning(&mut self) -> Vec<String> {
        self.state
            .reasoning
            .drain(..)
            .map(|r| format!("[reasoning] {r}"))
            .collect()
    }

    /// Emits a message beside the conversation: a child of the last message that is not the parent of the next
    /// (reasoning that came after its answer: the next prompt still answers the answer, for feedback linking).
    fn emit_aside(&mut self, at: (u64, Option<String>), draft: Draft, out: &mut Vec<Message>) {
        let last = self.state.last_message_id;
        self.emit(at, draft, out);
        self.state.last_message_id = last;
    }

    fn emit(&mut self, at: (u64, Option<String>), draft: Draft, out: &mut Vec<Message>) {
        let (offset, timestamp) = at;
        let uuid = format!("codex:{offset}");
        let session_id = self
            .state
            .session_id
            .clone()
            .unwrap_or_else(|| self.default_session.clone());
        let message_id = ids::message_id(&session_id, &uuid);
        let parent = self.state.last_message_id.map(Uuid::from_u128);
        self.state.last_message_id = Some(message_id.as_u128());
        out.push(Message {
            line_uuids: vec![uuid.clone()],
            uuid,
            session_id,
            message_id,
            parent_message_id: parent,
            kind: draft.kind,
            text: draft.text,
            cwd: self.state.cwd.clone(),
            git_branch: self.state.git_branch.clone(),
            timestamp,
            is_sidechain: self.state.is_sidechain,
            agent_id: None,
            tool_calls: draft.tool_calls,
            result_of_tool: draft.result_of_tool,
            result_files: draft.result_files,
            is_error: draft.is_error,
            source_path: self.source_path.clone(),
            line_offset: offset,
            agent: Agent::Codex,
        });
    }
}

impl RecordAssembler for CodexAssembler {
    fn feed(&mut self, offset: u64, line: &[u8], out: &mut Vec<Message>) -> LineOutcome {
        let Some(line) = repair::content(line) else {
            return LineOutcome::Ok;
        };
        // Decoded whole before anything changes: a malformed line leaves the state as it was.
        let (mut decoded, repaired) = match repair::decode_repairing(line, decode::decode) {
            Ok(d) => d,
            Err(e) => return LineOutcome::Malformed(e),
        };
        if let Some(r) = &self.redactor {
            decoded.record.redact(r, &mut self.redactions);
        }
        let partly = self.apply(offset, decoded, out);
        match (repaired, partly) {
            (Some(r), Some(p)) => LineOutcome::Repaired(format!("{r}; {p}")),
            (Some(w), None) | (None, Some(w)) => LineOutcome::Repaired(w),
            (None, None) => LineOutcome::Ok,
        }
    }

    /// Nothing is held open but reasoning, which waits for its message.
    fn flush(&mut self, _out: &mut Vec<Message>) {}

    fn take_redactions(&mut self) -> Counts {
        std::mem::take(&mut self.redactions)
    }

    fn state(&self) -> SourceState {
        SourceState::Codex(self.state.clone())
    }
}

/// The session id of a file before its `session_meta`: the stem's trailing UUID
/// (`rollout-2025-09-24T19-22-20-<uuid>`), else the stem.
fn stem_session(source_path: &str) -> String {
    let stem = std::path::Path::new(source_path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tail = stem
        .len()
        .checked_sub(36)
        .and_then(|at| stem.get(at..))
        .filter(|t| Uuid::try_parse(t).is_ok());
    match tail {
        Some(t) => t.to_string(),
        None => stem,
    }
}

/// The first `max` characters of `s`.
fn prefix_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => s.get(..at).unwrap_or(s).to_string(),
        None => s.to_string(),
    }
}

fn push_bounded<T>(q: &mut VecDeque<T>, item: T, cap: usize) {
    if q.len() >= cap {
        q.pop_front();
    }
    q.push_back(item);
}

#[cfg(test)]
mod tests;
