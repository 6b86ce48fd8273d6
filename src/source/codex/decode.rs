//! Decoding a line into a [`Record`]: everything the line contributes, owned, decided before any state changes
//! (so a line that fails to decode changes nothing).

use super::inter_agent;
use super::record::{
    short, typed, CallItem, Compacted, Head, HookCompleted, ItemCompleted, MessageItem, OutputItem,
    Part, PayloadHead, Reasoning, RolledBack, SessionMeta, TurnContext, UserEvent,
};
use super::text;
use super::tools::{self, CallParts};
use crate::redact::{Counts, Redactor};
use serde_json::Value;

/// Most `[image]` markers one user event adds (its image lists are only counted).
const MAX_IMAGE_MARKERS: usize = 64;

/// What one line contributes, owned and not yet redacted.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// Nothing (an unknown or skipped record type, or an item that is not conversation).
    Skip,
    SessionMeta {
        id: Option<String>,
        cwd: Option<String>,
        branch: Option<String>,
        /// `source.subagent` is present: the file is a spawned subagent's thread.
        subagent: bool,
    },
    TurnContext {
        cwd: Option<String>,
    },
    /// A user message (response item or event), injected context already removed. `turn`: Codex counts it as a
    /// turn (no part of it was a contextual fragment, see `text::is_contextual`). `stream`: where it was
    /// written, as Codex writes it in two of them.
    User {
        pieces: Vec<UserPiece>,
        turn: bool,
        stream: Stream,
    },
    /// An answer. `dedup`: the stream it was written in, when Codex may also write it in another one (so it
    /// takes part in deduplication). `turn`: a message between agents (see [`inter_agent`]), which Codex counts
    /// as a turn, even when it shows nothing (encrypted).
    Assistant {
        text: String,
        dedup: Option<Stream>,
        turn: bool,
    },
    /// Readable reasoning summaries.
    Reasoning {
        summaries: Vec<String>,
    },
    Call {
        call_id: Option<String>,
        parts: CallParts,
    },
    Output {
        call_id: Option<String>,
        text: String,
        is_error: bool,
    },
    /// A compaction summary.
    Summary {
        text: String,
    },
    /// What a hook (a command Codex runs at `stop`, `pre_tool_use`, ...) reported back.
    HookFeedback {
        text: String,
    },
    /// The last `turns` turns (prompts and messages between agents) left the conversation (`/undo`-like rollback; the next message follows
    /// what came before them).
    RolledBack {
        turns: u32,
    },
}

/// Where a prompt or answer was written. Codex writes most of them twice or more, each time in another of
/// these; a copy is only ever looked for in another stream, so a message said twice in one stream is kept twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// A `response_item`.
    Item,
    /// A `user_message` or `agent_message` event.
    Event,
    /// An `item_completed` event (the newest versions).
    Completed,
}

impl Stream {
    /// Its bit in a set of streams.
    pub fn bit(self) -> u8 {
        match self {
            Stream::Item => 1,
            Stream::Event => 2,
            Stream::Completed => 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum UserPiece {
    Text(String),
    Image,
}

impl UserPiece {
    /// The piece for one user text part: `None` for injected context or a blank part.
    fn of_text(raw: &str) -> Option<UserPiece> {
        let t = text::user_part(raw).filter(|t| !t.is_empty())?;
        Some(UserPiece::Text(t.to_string()))
    }

    /// Its text (`None` for an image).
    pub fn text(&self) -> Option<&str> {
        match self {
            UserPiece::Text(t) => Some(t),
            UserPiece::Image => None,
        }
    }
}

/// A decoded line: its timestamp (when it is one) and its record.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub timestamp: Option<String>,
    pub record: Record,
}

impl Record {
    /// Redacts every free text the record keeps (ids and timestamps are left as they are).
    pub fn redact(&mut self, r: &Redactor, counts: &mut Counts) {
        let mut fields: Vec<&mut String> = Vec::new();
        match self {
            Record::Skip | Record::RolledBack { .. } => {}
            Record::SessionMeta { cwd, branch, .. } => fields.extend(cwd.iter_mut().chain(branch)),
            Record::TurnContext { cwd } => fields.extend(cwd.iter_mut()),
            Record::User { pieces, .. } => {
                fields.extend(pieces.iter_mut().filter_map(|p| match p {
                    UserPiece::Text(t) => Some(t),
                    UserPiece::Image => None,
                }))
            }
            Record::Assistant { text, .. }
            | Record::Summary { text }
            | Record::HookFeedback { text } => fields.push(text),
            Record::Reasoning { summaries } => fields.extend(summaries.iter_mut()),
            Record::Call { parts, .. } => {
                fields.push(&mut parts.input);
                fields.extend(parts.file_path.iter_mut());
            }
            Record::Output { text, .. } => fields.push(text),
        }
        for f in fields {
            r.redact_in_place(f, counts);
        }
    }
}

/// Decodes one line (valid UTF-8, BOM and CR already removed). `Err` says what is wrong with it.
pub fn decode(line: &str) -> Result<Decoded, String> {
    // A derived struct would also accept an array positionally.
    if !line.trim_start().starts_with('{') {
        return Err("not a JSON object line".to_string());
    }
    let head: Head =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object line: {}", short(&e)))?;
    let kind = head
        .kind
        .0
        .ok_or_else(|| "not a JSON object line: no string `type`".to_string())?;
    let timestamp = head.timestamp.0.filter(|t| text::is_timestamp(t));
    if kind == "inter_agent_communication" {
        let c: inter_agent::Communication = typed(line, "inter_agent_communication")?;
        return Ok(Decoded {
            timestamp,
            // Its own history item in Codex, written once: never taken for a copy of anything.
            record: Record::Assistant {
                text: c.shown(),
                dedup: None,
                turn: true,
            },
        });
    }
    if !matches!(
        kind.as_str(),
        "session_meta" | "turn_context" | "compacted" | "response_item" | "event_msg"
    ) {
        // `world_state`, `inter_agent_communication_metadata`, and types from later versions.
        return Ok(Decoded {
            timestamp,
            record: Record::Skip,
        });
    }
    let sub = match head.payload {
        PayloadHead::Object { kind: sub } => sub,
        PayloadHead::Missing => return Err(format!("{kind} record without a payload")),
        PayloadHead::NotObject(what) => {
            return Err(format!("{kind} payload is {what}, not an object"))
        }
    };
    let record = match kind.as_str() {
        "session_meta" => {
            let m: SessionMeta = typed(line, "session_meta")?;
            Record::SessionMeta {
                id: m.id,
                cwd: m.cwd,
                branch: m.git.and_then(|g| g.branch),
                subagent: m
                    .source
                    .as_ref()
                    .is_some_and(|s| s.get("subagent").is_some()),
            }
        }
        "turn_context" => {
            let t: TurnContext = typed(line, "turn_context")?;
            Record::TurnContext { cwd: t.cwd }
        }
        "compacted" => {
            let c: Compacted = typed(line, "compacted")?;
            match c.message {
                Some(text) if !text.trim().is_empty() => Record::Summary { text },
                _ => Record::Skip,
            }
        }
        _ => {
            let sub = sub.ok_or_else(|| format!("{kind} payload without a string `type`"))?;
            if kind == "response_item" {
                response_item(line, &sub)?
            } else {
                event_msg(line, &sub)?
            }
        }
    };
    Ok(Decoded { timestamp, record })
}

fn response_item(line: &str, sub: &str) -> Result<Record, String> {
    let what = format!("response_item {sub}");
    let record = match sub {
        "message" => {
            let m: MessageItem = typed(line, &what)?;
            let content = m.content.unwrap_or_default();
            let envelope = match m.role.as_deref() {
                Some("user" | "assistant") => inter_agent::of_parts(&content),
                _ => None,
            };
            match m.role.as_deref() {
                _ if envelope.is_some() => Record::Assistant {
                    text: envelope.unwrap_or_default(),
                    dedup: Some(Stream::Item),
                    turn: true,
                },
                Some("user") => Record::User {
                    pieces: user_pieces(&content),
                    turn: !content.iter().any(|p| {
                        p.kind.as_deref() == Some("input_text")
                            && p.text.as_deref().is_some_and(text::is_contextual)
                    }),
                    stream: Stream::Item,
                },
                Some("assistant") => Record::Assistant {
                    text: join_text(&content, &["output_text"]),
                    dedup: Some(Stream::Item),
                    turn: false,
                },
                Some(_) => Record::Skip,
                None => return Err(format!("{what} without a string `role`")),
            }
        }
        "agent_message" => {
            let m: MessageItem = typed(line, &what)?;
            let body = join_text(
                &m.content.unwrap_or_default(),
                &["input_text", "output_text"],
            );
            Record::Assistant {
                text: inter_agent::headed(
                    m.author.as_deref().unwrap_or(""),
                    m.recipient.as_deref().unwrap_or(""),
                    &body,
                ),
                dedup: None,
                turn: true,
            }
        }
        "reasoning" => {
            let r: Reasoning = typed(line, &what)?;
            Record::Reasoning {
                summaries: r
                    .summary
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| p.text)
                    .collect(),
            }
        }
        "function_call" | "custom_tool_call" => {
            let c: CallItem = typed(line, &what)?;
            let name = c
                .name
                .filter(|n| !n.is_empty())
                .ok_or_else(|| format!("{what} without a `name`"))?;
            let parts = if sub == "function_call" {
                tools::function_call(&name, c.arguments.as_ref())
            } else {
                tools::custom_call(&name, c.input.as_deref().unwrap_or(""))
            };
            Record::Call {
                call_id: c.call_id,
                parts,
            }
        }
        "tool_search_call" => {
            let c: CallItem = typed(line, &what)?;
            Record::Call {
                call_id: c.call_id,
                parts: tools::function_call("tool_search", c.arguments.as_ref()),
            }
        }
        "local_shell_call" => {
            let c: CallItem = typed(line, &what)?;
            Record::Call {
                call_id: c.call_id,
                parts: tools::local_shell_call(c.action.as_ref()),
            }
        }
        "web_search_call" => {
            let c: CallItem = typed(line, &what)?;
            Record::Call {
                call_id: c.call_id,
                parts: tools::web_search_call(c.action.as_ref()),
            }
        }
        "function_call_output" | "custom_tool_call_output" => {
            let o: OutputItem = typed(line, &what)?;
            let (text, is_error) =
                tools::output_text(o.output.as_ref()).map_err(|e| format!("{what}: {e}"))?;
            Record::Output {
                call_id: o.call_id,
                text,
                is_error,
            }
        }
        "tool_search_output" => {
            let o: OutputItem = typed(line, &what)?;
            Record::Output {
                call_id: o.call_id,
                text: tools::tool_list(o.tools.as_ref()),
                is_error: false,
            }
        }
        // ghost_snapshot, image_generation_call, compaction items, and later item types.
        _ => Record::Skip,
    };
    Ok(record)
}

fn event_msg(line: &str, sub: &str) -> Result<Record, String> {
    let what = format!("event_msg {sub}");
    let record = match sub {
        "user_message" => {
            let m: UserEvent = typed(line, &what)?;
            if let Some(record) = m
                .message
                .as_deref()
                .and_then(|t| inter_agent_event(t, Stream::Event))
            {
                return Ok(record);
            }
            let mut pieces = Vec::new();
            pieces.extend(m.message.as_deref().and_then(UserPiece::of_text));
            let turn = !m.message.as_deref().is_some_and(text::is_contextual);
            let images = m.images.map_or(0, |v| v.len()) + m.local_images.map_or(0, |v| v.len());
            pieces.extend(std::iter::repeat_n(
                UserPiece::Image,
                images.min(MAX_IMAGE_MARKERS),
            ));
            Record::User {
                pieces,
                turn,
                stream: Stream::Event,
            }
        }
        "agent_message" => {
            let m: UserEvent = typed(line, &what)?;
            let text = m.message.unwrap_or_default();
            inter_agent_event(&text, Stream::Event).unwrap_or(Record::Assistant {
                text,
                dedup: Some(Stream::Event),
                turn: false,
            })
        }
        "item_completed" => {
            let c: ItemCompleted = typed(line, &what)?;
            let Some(item) = c.item else {
                return Ok(Record::Skip);
            };
            let kind = item.kind.0.as_deref();
            if !matches!(kind, Some("UserMessage" | "AgentMessage")) {
                // Plans (the raw assistant item keeps them, in `<proposed_plan>` tags), reasoning, commands,
                // tool calls, file changes: the response items hold them.
                return Ok(Record::Skip);
            }
            let parts = match &item.content {
                None | Some(Value::Null) => &[][..],
                Some(Value::Array(parts)) => parts.as_slice(),
                Some(_) => return Err(format!("{what}: message content is not a list")),
            };
            if let [only] = parts {
                let text = only.get("text").and_then(Value::as_str);
                if let Some(record) = text.and_then(|t| inter_agent_event(t, Stream::Completed)) {
                    return Ok(record);
                }
            }
            if kind == Some("UserMessage") {
                Record::User {
                    pieces: parts.iter().filter_map(value_user_piece).collect(),
                    turn: !parts.iter().any(|p| {
                        p.get("text")
                            .and_then(Value::as_str)
                            .is_some_and(text::is_contextual)
                    }),
                    stream: Stream::Completed,
                }
            } else {
                Record::Assistant {
                    text: parts
                        .iter()
                        .filter_map(|p| p.get("text").and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    dedup: Some(Stream::Completed),
                    turn: false,
                }
            }
        }
        "thread_rolled_back" => {
            let r: RolledBack = typed(line, &what)?;
            Record::RolledBack { turns: r.num_turns }
        }
        "hook_completed" => {
            let h: HookCompleted = typed(line, &what)?;
            h.run.as_ref().map_or(Record::Skip, hook_feedback)
        }
        // token_count, agent_reasoning, exec_command_end, patch_apply_end, turn_aborted, task_started, ...:
        // tool activity comes from response items, reasoning from `reasoning` items.
        _ => Record::Skip,
    };
    Ok(record)
}

/// The event copy of an inter-agent envelope (see [`inter_agent`]): the same answer as its response item, so the
/// second of the two is skipped whichever comes first.
fn inter_agent_event(text: &str, stream: Stream) -> Option<Record> {
    inter_agent::of_text(text).map(|text| Record::Assistant {
        text,
        dedup: Some(stream),
        turn: true,
    })
}

/// A hook run's report (`run.entries[].text`, headed by the hook's event and status), or `Skip` when it
/// reported nothing (most runs pass silently).
fn hook_feedback(run: &Value) -> Record {
    let texts: Vec<&str> = run
        .get("entries")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .filter_map(|e| e.get("text").and_then(Value::as_str))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if texts.is_empty() {
        return Record::Skip;
    }
    let field = |k: &str| run.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let head = match (field("event_name"), field("status")) {
        (Some(e), Some(s)) => format!("[hook: {e}, {s}]"),
        (Some(e), None) => format!("[hook: {e}]"),
        (None, Some(s)) => format!("[hook, {s}]"),
        (None, None) => "[hook]".to_string(),
    };
    Record::HookFeedback {
        text: format!("{head}\n{}", texts.join("\n")),
    }
}

/// The pieces of a `role: user` message's content: its text parts that are the person's words, and images.
fn user_pieces(content: &[Part]) -> Vec<UserPiece> {
    content
        .iter()
        .filter_map(|p| match p.kind.as_deref() {
            Some("input_text") => p.text.as_deref().and_then(UserPiece::of_text),
            Some("input_image") => Some(UserPiece::Image),
            _ => None,
        })
        .collect()
}

/// A content part of an `item_completed` user message (`{type: text, text}`, or an image).
fn value_user_piece(part: &Value) -> Option<UserPiece> {
    if let Some(t) = part.get("text").and_then(Value::as_str) {
        return UserPiece::of_text(t);
    }
    let kind = part.get("type").and_then(Value::as_str)?;
    kind.to_ascii_lowercase()
        .contains("image")
        .then_some(UserPiece::Image)
}

fn join_text(content: &[Part], kinds: &[&str]) -> String {
    content
        .iter()
        .filter(|p| p.kind.as_deref().is_some_and(|k| kinds.contains(&k)))
        .filter_map(|p| p.text.as_deref())
        .collect::<Vec<_>>()
        .join("\n")
}
