//! Google Gemini CLI chats (`~/.gemini/tmp/<project hash or id>/chats/session-*.json[l]`), in two forms:
//! - **Legacy JSON** (`session-*.json`): one object `{sessionId, projectHash, startTime, lastUpdated, messages,
//!   kind?}`, rewritten in place on every update, so it is read whole ([`read_chat`]) and its messages upserted
//!   again each time (same ids: the store overwrites them).
//! - **JSONL** (`session-*.jsonl`, newer): the metadata object first, then one record a line, only ever appended:
//!   a message object; `{"$set": {...}}` (a metadata patch); `{"$rewindTo": "<message id>"}` (that message and
//!   everything after it leave the conversation). A repeated message id replaces the earlier message (Gemini CLI
//!   appends a message again as its tool calls progress). Read line by line ([`GeminiLogAssembler`]).
//!
//! Rules (the same for both forms, so a conversation gives the same messages in either):
//! - **Session**: `sessionId` (a `$set` may change it; a metadata line later in the file patches it too), else
//!   the file stem. The cwd is the project root Gemini CLI recorded for the chat's directory ([`project_root`]),
//!   else, for a directory named by hash, the root that hash was made from when a registry or a path in the
//!   project's chats names it ([`resolve_root`]), else the `projectHash`'s first 12 characters (so the project
//!   is at least named by its hash, briefly; once a later chat names the root, a run reads the directory's
//!   chats again: `crate::reindex::prepare_gemini_roots`). No branch; never a sidechain.
//! - **Messages**: `type: user` is a prompt (its content: a string, or its text parts joined by newlines, inline
//!   data as `[image]` / `[file]`). `type: gemini` is an answer: its `thoughts` as `[thinking] subject:
//!   description` paragraphs (and content parts marked `thought`), then its content; then each of its
//!   `toolCalls` is a tool-call message, followed by a tool-result message when it has a `result` (the
//!   `functionResponse`'s `response.output`, else `response.error`, else the response as JSON; an error when
//!   the call's `status` is `error` or the response has an `error`; at most `MAX_TOOL_RESULT_CHARS`, the middle
//!   dropped). A gemini message without content puts its thoughts in front of its first tool call (with no tool
//!   call either, the thoughts alone are its answer). Empty texts give no message. `info`, `error`, `warning`
//!   and unknown types give none either, but keep their place in the conversation.
//! - **Identity**: a prompt's or answer's uuid is the Gemini message `id` (without one: `gemini:<index in
//!   messages>` in JSON, `gemini:<byte offset of its line>` in JSONL); a tool call's is `<id>#call:<call id>`,
//!   its result's `<id>#result:<call id>` (the call's index when it has no id). An id longer than 512 bytes is
//!   not used. The message id is `ids::message_id(session, uuid)`; the line offset is the line's (JSONL) or 0
//!   (JSON).
//! - **Parents**: each message's parent is the previous message of the conversation (the messages one chat
//!   message gives are chained in order). A replaced message keeps the parent it had. After `$rewindTo X`, the
//!   next message's parent is the last message before X. The messages of a rewound branch are kept (the store
//!   is an archive of what was seen); only the conversation goes back. To find X, the state keeps the last 512
//!   chat messages' places (key of their uuid, the message before them, their last message); a rewind to an id
//!   not among them is a warning (`Repaired`) and changes nothing.
//! - **Robustness**: blank lines are skipped, a BOM and a trailing CR removed, invalid UTF-8 and lone surrogate
//!   escapes replaced (`Repaired`); a line that is not a JSON object, or whose record has an unexpected shape
//!   (a non-string `id`, `type` or `$rewindTo`, a `content` that is a number, `toolCalls` that are not a list,
//!   ...) is `Malformed` and changes nothing. A JSON chat that does not parse is [`ChatError::Incomplete`]
//!   (most likely read mid-rewrite); one that is not an object with a `messages` list is
//!   [`ChatError::Malformed`]; a bad message inside a good chat is skipped and the others kept.
//! - **Redaction**: every kept text (prompts, answers, thoughts, tool inputs, paths and results, the project
//!   root and hash) is redacted as it is decoded, before it reaches the state or a message.
//!
//! Nothing is held open, so `flush` emits nothing; the whole state is serializable and bounded, and a run
//! resumes mid-file exactly as if it had never stopped.

mod decode;
mod draft;
mod hash_root;
mod project;
mod tools;

pub use hash_root::{forget_unresolved, hash_named_dir, remember_root, resolve_root};
pub use project::project_root;

use super::{RecordAssembler, SourceState};
use crate::ids;
use crate::message::{Agent, Message};
use crate::redact::{Counts, Redactor};
use crate::transcript::repair::{self, repair_lone_surrogates};
use crate::transcript::LineOutcome;
use decode::{Line, Meta, Turn};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

/// Longest message, call, session id or project hash used, in bytes.
const MAX_ID_BYTES: usize = 512;
/// How many chat messages' places in the conversation are remembered (to replace or rewind to them).
const CONVERSATION_WINDOW: usize = 512;
/// Longest tool input kept, in characters (the middle is dropped).
const MAX_INPUT_CHARS: usize = 20_000;
/// Longest message id quoted in a warning.
const MAX_QUOTED_ID_CHARS: usize = 80;

/// Why a JSON chat gave no messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatError {
    /// Not (yet) valid JSON: most likely read in the middle of a rewrite; retry later, never a failure.
    Incomplete(String),
    /// Valid JSON of an unexpected shape: reported (with what is wrong), skipped.
    Malformed(String),
}

impl std::fmt::Display for ChatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChatError::Incomplete(why) => write!(f, "incomplete Gemini chat: {why}"),
            ChatError::Malformed(why) => write!(f, "malformed Gemini chat: {why}"),
        }
    }
}

impl std::error::Error for ChatError {}

/// The legacy JSON form, read whole: every message the file holds now, in order.
pub fn read_chat(
    source_path: &str,
    bytes: &[u8],
    redactor: Option<&Redactor>,
    redactions: &mut Counts,
) -> Result<Vec<Message>, ChatError> {
    let doc = parse_document(bytes)?;
    let Value::Object(top) = &doc else {
        return Err(ChatError::Malformed(format!(
            "the chat is {}, not an object",
            decode::what(&doc)
        )));
    };
    let messages = match top.get("messages") {
        Some(Value::Array(m)) => m,
        None => return Err(ChatError::Malformed("no `messages` list".to_string())),
        Some(other) => {
            return Err(ChatError::Malformed(format!(
                "`messages` is {}, not a list",
                decode::what(other)
            )))
        }
    };
    let mut meta = decode::meta(top).map_err(ChatError::Malformed)?;
    let mut root = resolve_root(Path::new(source_path), meta.project_hash.as_deref());
    if let Some(r) = redactor {
        meta.redact(r, redactions);
        if let Some(root) = &mut root {
            r.redact_in_place(root, redactions);
        }
    }
    let default_session = stem_session(source_path);
    let ctx = Ctx {
        source_path,
        default_session: &default_session,
        root: root.as_deref(),
    };
    let mut state = GeminiLogState::default();
    state.apply_meta(meta);
    let mut out = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        // A bad message is skipped; the others are still the conversation.
        let Ok(mut turn) = decode::turn(m) else {
            continue;
        };
        if let Some(r) = redactor {
            turn.redact(r, redactions);
        }
        let uuid = turn.id.clone().unwrap_or_else(|| format!("gemini:{i}"));
        state.message(&ctx, uuid, 0, turn, &mut out);
    }
    Ok(keep_latest(out))
}

/// The chat's JSON value; bytes that do not parse (after repairing invalid UTF-8 and lone surrogate escapes)
/// are incomplete.
fn parse_document(bytes: &[u8]) -> Result<Value, ChatError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let err = match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let text = String::from_utf8_lossy(bytes);
    let fixed = repair_lone_surrogates(&text);
    if matches!(text, Cow::Owned(_)) || fixed.is_some() {
        if let Ok(v) = serde_json::from_str::<Value>(fixed.as_deref().unwrap_or(&text)) {
            return Ok(v);
        }
    }
    Err(ChatError::Incomplete(decode::short(&err)))
}

/// A message id appearing twice in a JSON chat: the later message replaces the earlier one, in its place.
fn keep_latest(messages: Vec<Message>) -> Vec<Message> {
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Message> = Vec::with_capacity(messages.len());
    for m in messages {
        match at.get(&m.uuid).copied() {
            Some(i) => {
                if let Some(slot) = out.get_mut(i) {
                    *slot = m;
                }
            }
            None => {
                at.insert(m.uuid.clone(), out.len());
                out.push(m);
            }
        }
    }
    out
}

/// Saved between runs (bincode). Bounded: two ids of at most 512 bytes and 512 places.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GeminiLogState {
    /// `sessionId` of the metadata (`None`: none seen yet).
    session_id: Option<String>,
    /// `projectHash` of the metadata, redacted.
    project_hash: Option<String>,
    /// The last message of the conversation: the parent of the next one.
    last_message_id: Option<u128>,
    /// The places of the last chat messages, in conversation order.
    conversation: VecDeque<Place>,
}

/// A chat message's place in the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Place {
    /// `ids::line_key` of its uuid.
    key: u128,
    /// The last message before it (the parent of its first message).
    before: Option<u128>,
    /// The last message of the conversation once it is in (its own last message, or `before`).
    after: Option<u128>,
}

/// What every message of one file shares.
struct Ctx<'a> {
    source_path: &'a str,
    default_session: &'a str,
    /// The project root (redacted), when it is known ([`resolve_root`]).
    root: Option<&'a str>,
}

impl GeminiLogState {
    fn apply_meta(&mut self, meta: Meta) {
        if let Some(id) = meta.session_id {
            self.session_id = Some(id);
        }
        if let Some(hash) = meta.project_hash {
            self.project_hash = Some(hash);
        }
    }

    /// Emits the messages of one chat message with uuid `uuid`, in its place: a known uuid replaces the
    /// message (under the same parent), a new one goes at the end of the conversation.
    fn message(
        &mut self,
        ctx: &Ctx,
        uuid: String,
        offset: u64,
        turn: Turn,
        out: &mut Vec<Message>,
    ) {
        let key = ids::line_key(&uuid);
        let at = self.conversation.iter().position(|p| p.key == key);
        let before = match at.and_then(|i| self.conversation.get(i)) {
            Some(place) => place.before,
            None => self.last_message_id,
        };
        let session_id = self
            .session_id
            .clone()
            .unwrap_or_else(|| ctx.default_session.to_string());
        let cwd = ctx
            .root
            .map(str::to_string)
            .or_else(|| self.project_hash.as_deref().map(short_hash));
        let mut parent = before;
        for d in draft::drafts(&uuid, turn.body) {
            let message_id = ids::message_id(&session_id, &d.uuid);
            out.push(Message {
                line_uuids: vec![d.uuid.clone()],
                uuid: d.uuid,
                session_id: session_id.clone(),
                message_id,
                parent_message_id: parent.map(Uuid::from_u128),
                kind: d.kind,
                text: d.text,
                cwd: cwd.clone(),
                git_branch: None,
                timestamp: turn.timestamp.clone(),
                is_sidechain: false,
                agent_id: None,
                tool_calls: d.tool_calls,
                result_of_tool: d.result_of_tool,
                result_files: d.result_files,
                is_error: d.is_error,
                source_path: ctx.source_path.to_string(),
                line_offset: offset,
                agent: Agent::GeminiCli,
            });
            parent = Some(message_id.as_u128());
        }
        match at {
            Some(i) => {
                let is_last = i + 1 == self.conversation.len();
                if let Some(place) = self.conversation.get_mut(i) {
                    place.after = parent;
                }
                if is_last {
                    self.last_message_id = parent;
                }
            }
            None => {
                if self.conversation.len() >= CONVERSATION_WINDOW {
                    self.conversation.pop_front();
                }
                self.conversation.push_back(Place {
                    key,
                    before,
                    after: parent,
                });
                self.last_message_id = parent;
            }
        }
    }

    /// Takes the conversation back to before the chat message `id`; false when its place is not known.
    fn rewind(&mut self, id: &str) -> bool {
        let key = ids::line_key(id);
        let Some(i) = self.conversation.iter().position(|p| p.key == key) else {
            return false;
        };
        self.last_message_id = self.conversation.get(i).and_then(|p| p.before);
        self.conversation.truncate(i);
        true
    }
}

/// Gemini CLI's entry among the formats: JSON chats are read whole ([`read_chat`]), JSONL logs line by line.
pub static FORMAT: super::formats::Format = super::formats::Format {
    agent: Agent::GeminiCli,
    // 2: a hash-named project directory is matched back to its root.
    version: 2,
    pipeline_file: "gemini-cli.toml",
    pipeline: include_str!("../../../pipelines/gemini-cli.toml"),
    assembler: |path, state, redactor| {
        let state = match state {
            SourceState::GeminiLog(s) => s,
            _ => GeminiLogState::default(),
        };
        Box::new(GeminiLogAssembler::new(path, state).with_redactor(redactor))
    },
    read_whole: |path| path.ends_with(".json"),
};

/// The JSONL form: assembles messages for one `session-*.jsonl` file.
pub struct GeminiLogAssembler {
    source_path: String,
    /// Session id until the metadata gives one: the file stem.
    default_session: String,
    /// The project root Gemini CLI recorded (redacted once a redactor is set).
    root: Option<String>,
    state: GeminiLogState,
    redactor: Option<Arc<Redactor>>,
    redactions: Counts,
}

impl GeminiLogAssembler {
    pub fn new(source_path: &str, state: GeminiLogState) -> Self {
        GeminiLogAssembler {
            source_path: source_path.to_string(),
            default_session: stem_session(source_path),
            root: resolve_root(Path::new(source_path), None),
            state,
            redactor: None,
            redactions: Counts::new(),
        }
    }

    /// Redacts secrets from every text this assembler keeps, before it reaches its state or its messages.
    pub fn with_redactor(mut self, redactor: Option<Arc<Redactor>>) -> Self {
        if let (Some(r), Some(root)) = (&redactor, &mut self.root) {
            r.redact_in_place(root, &mut self.redactions);
        }
        self.redactor = redactor;
        self
    }
}

impl RecordAssembler for GeminiLogAssembler {
    fn feed(&mut self, offset: u64, line: &[u8], out: &mut Vec<Message>) -> LineOutcome {
        let Some(line) = repair::content(line) else {
            return LineOutcome::Ok;
        };
        // Decoded whole before anything changes: a malformed line leaves the state as it was.
        let (decoded, mut warning) = match repair::decode_repairing(line, decode::line) {
            Ok(d) => d,
            Err(e) => return LineOutcome::Malformed(e),
        };
        let ctx = Ctx {
            source_path: &self.source_path,
            default_session: &self.default_session,
            root: self.root.as_deref(),
        };
        match decoded {
            Line::Meta(mut meta) => {
                if let Some(r) = &self.redactor {
                    meta.redact(r, &mut self.redactions);
                }
                self.state.apply_meta(meta);
            }
            Line::Rewind(id) => {
                if !self.state.rewind(&id) {
                    let quoted: String = id.chars().take(MAX_QUOTED_ID_CHARS).collect();
                    let what = format!("rewind to an unknown message id {quoted:?}: ignored");
                    warning = Some(warning.map_or(what.clone(), |w| format!("{w}; {what}")));
                }
            }
            Line::Message(mut turn) => {
                if let Some(r) = &self.redactor {
                    turn.redact(r, &mut self.redactions);
                }
                let uuid = turn
                    .id
                    .clone()
                    .unwrap_or_else(|| format!("gemini:{offset}"));
                self.state.message(&ctx, uuid, offset, turn, out);
            }
        }
        match warning {
            Some(w) => LineOutcome::Repaired(w),
            None => LineOutcome::Ok,
        }
    }

    /// Nothing is held open.
    fn flush(&mut self, _out: &mut Vec<Message>) {}

    fn take_redactions(&mut self) -> Counts {
        std::mem::take(&mut self.redactions)
    }

    fn state(&self) -> SourceState {
        SourceState::GeminiLog(self.state.clone())
    }
}

/// The session id of a file before its metadata: the file stem.
fn stem_session(source_path: &str) -> String {
    Path::new(source_path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The project a chat at `chat_path` whose metadata names `project_hash` is stored under (its messages' `cwd`):
/// its root as the assemblers find it ([`resolve_root`]), else the short hash. `forget --project` and the
/// exclusions use it to recognise the chat before reading it.
pub fn project_cwd(chat_path: &std::path::Path, project_hash: &str) -> String {
    resolve_root(chat_path, Some(project_hash)).unwrap_or_else(|| short_hash(project_hash))
}

/// The name Gemini CLI (before short ids) gives the project directory of `root`: the SHA-256 of the path, in hex.
pub fn hash_of_root(root: &str) -> String {
    hash_root::sha256_hex(root)
}

/// The short hash a project directory named after `root` has (what a chat of it is stored under while its root
/// is unknown).
pub fn short_hash_of_root(root: &str) -> String {
    short_hash(&hash_of_root(root))
}

/// A project hash as a project name: a SHA-256 in hex is cut to its first 12 characters (plenty to tell a
/// person's projects apart, and short in every search hit); anything else is kept whole.
pub fn short_hash(hash: &str) -> String {
    if hash_root::is_sha256_hex(hash) {
        hash.get(..12).unwrap_or(hash).to_string()
    } else {
        hash.to_string()
    }
}

#[cfg(test)]
mod tests;
