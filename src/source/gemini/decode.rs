//! Decoding a chat message, or a JSONL line, into owned records: everything it contributes, decided before any
//! state changes (so a message or line that fails to decode changes nothing).

use super::tools::{self, CallParts, Output};
use super::MAX_ID_BYTES;
use crate::redact::{Counts, Redactor};
use serde_json::{Map, Value};

/// Longest decode error kept in a [`crate::transcript::LineOutcome::Malformed`] (serde quotes values).
const MAX_ERROR_CHARS: usize = 240;
/// Longest timestamp kept; a longer value is not a timestamp.
const MAX_TIMESTAMP_BYTES: usize = 64;

/// One chat message, owned and not yet redacted.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// The message's `id`, when it is a usable one (a non-empty string of at most [`MAX_ID_BYTES`] bytes).
    pub id: Option<String>,
    pub timestamp: Option<String>,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `info`, `error`, `warning` and unknown types: a position in the conversation, no message.
    Skip,
    User {
        text: String,
    },
    Gemini {
        text: String,
        /// `subject: description` of each thought (and the text of content parts marked `thought`).
        thoughts: Vec<String>,
        calls: Vec<Call>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The call's `id`, when usable.
    pub id: Option<String>,
    pub parts: CallParts,
    /// `None`: the call has no result (yet).
    pub result: Option<Output>,
}

/// Session metadata: the first line of a JSONL file, a `$set` patch, or the top of a JSON chat.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub session_id: Option<String>,
    pub project_hash: Option<String>,
}

/// What one JSONL line contributes.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A metadata object or a `$set` patch.
    Meta(Meta),
    /// `$rewindTo`: the message id the conversation goes back to (that message and all after it are dropped).
    Rewind(String),
    Message(Turn),
}

impl Turn {
    /// Redacts every free text the message keeps (ids and timestamps are left as they are).
    pub fn redact(&mut self, r: &Redactor, counts: &mut Counts) {
        match &mut self.body {
            Body::Skip => {}
            Body::User { text } => r.redact_in_place(text, counts),
            Body::Gemini {
                text,
                thoughts,
                calls,
            } => {
                r.redact_in_place(text, counts);
                for t in thoughts {
                    r.redact_in_place(t, counts);
                }
                for c in calls {
                    r.redact_in_place(&mut c.parts.input, counts);
                    if let Some(p) = &mut c.parts.file_path {
                        r.redact_in_place(p, counts);
                    }
                    if let Some(o) = &mut c.result {
                        r.redact_in_place(&mut o.text, counts);
                    }
                }
            }
        }
    }
}

impl Meta {
    /// The project hash stands in for the working directory: it is redacted as one.
    pub fn redact(&mut self, r: &Redactor, counts: &mut Counts) {
        if let Some(h) = &mut self.project_hash {
            r.redact_in_place(h, counts);
        }
    }
}

/// A non-empty id of at most [`MAX_ID_BYTES`] bytes: longer ones are not used as identities (nor kept in state).
pub fn usable_id(s: &str) -> Option<String> {
    (!s.is_empty() && s.len() <= MAX_ID_BYTES).then(|| s.to_string())
}

/// A decode error, cut short: serde quotes the offending value, which may be a whole huge string.
pub fn short(e: &impl std::fmt::Display) -> String {
    let s = e.to_string();
    match s.char_indices().nth(MAX_ERROR_CHARS) {
        Some((at, _)) => format!("{}...", s.get(..at).unwrap_or("")),
        None => s,
    }
}

/// What a JSON value is, for error messages.
pub fn what(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Decodes one JSONL line (valid UTF-8, BOM and CR already removed). `Err` says what is wrong with it.
pub fn line(text: &str) -> Result<Line, String> {
    // Anything else (a huge string, an array) is refused before it is parsed.
    if !text.trim_start().starts_with('{') {
        return Err("not a JSON object line".to_string());
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("not a JSON object line: {}", short(&e)))?;
    let Value::Object(o) = value else {
        return Err("not a JSON object line".to_string());
    };
    if let Some(to) = o.get("$rewindTo") {
        return match to {
            Value::String(id) => Ok(Line::Rewind(id.clone())),
            other => Err(format!("`$rewindTo` is {}, not a string", what(other))),
        };
    }
    if let Some(set) = o.get("$set") {
        return match set {
            Value::Object(fields) => {
                Ok(Line::Meta(meta(fields).map_err(|e| format!("$set: {e}"))?))
            }
            other => Err(format!("`$set` is {}, not an object", what(other))),
        };
    }
    if o.contains_key("id") || o.contains_key("type") {
        return message(&o).map(Line::Message);
    }
    if o.contains_key("sessionId") || o.contains_key("projectHash") {
        return meta(&o).map(Line::Meta);
    }
    Err("neither session metadata, a message, `$set` nor `$rewindTo`".to_string())
}

/// The session fields of a metadata object (other fields are ignored).
pub fn meta(o: &Map<String, Value>) -> Result<Meta, String> {
    let field = |key: &str| match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(usable_id(s)),
        Some(other) => Err(format!("`{key}` is {}, not a string", what(other))),
    };
    Ok(Meta {
        session_id: field("sessionId")?,
        project_hash: field("projectHash")?,
    })
}

/// Decodes one message object. `Err` says what is wrong with it.
pub fn turn(v: &Value) -> Result<Turn, String> {
    match v {
        Value::Object(o) => message(o),
        other => Err(format!("message is {}, not an object", what(other))),
    }
}

fn message(o: &Map<String, Value>) -> Result<Turn, String> {
    let id = match o.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => usable_id(s),
        Some(other) => return Err(format!("message `id` is {}, not a string", what(other))),
    };
    let kind = match o.get("type") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(other) => return Err(format!("message `type` is {}, not a string", what(other))),
    };
    let timestamp = o
        .get("timestamp")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty() && t.len() <= MAX_TIMESTAMP_BYTES)
        .map(str::to_string);
    let body = match kind {
        Some("user") => {
            let (text, _) = content(o.get("content"), false)?;
            Body::User { text }
        }
        Some("gemini") => gemini(o)?,
        // info, error, warning, and types from later versions.
        _ => Body::Skip,
    };
    Ok(Turn {
        id,
        timestamp,
        body,
    })
}

fn gemini(o: &Map<String, Value>) -> Result<Body, String> {
    let (text, mut thoughts) = content(o.get("content"), true)?;
    match o.get("thoughts") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            let mut listed: Vec<String> = items.iter().filter_map(thought).collect();
            listed.append(&mut thoughts);
            thoughts = listed;
        }
        Some(other) => return Err(format!("`thoughts` is {}, not an array", what(other))),
    }
    let calls = match o.get("toolCalls") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, c)| call(c).map_err(|e| format!("tool call {i}: {e}")))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("`toolCalls` is {}, not an array", what(other))),
    };
    Ok(Body::Gemini {
        text,
        thoughts,
        calls,
    })
}

/// `subject: description` of a thought (either alone when the other is empty).
fn thought(v: &Value) -> Option<String> {
    let field = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("")
    };
    match (field("subject"), field("description")) {
        ("", "") => None,
        (s, "") => Some(s.to_string()),
        ("", d) => Some(d.to_string()),
        (s, d) => Some(format!("{s}: {d}")),
    }
}

fn call(v: &Value) -> Result<Call, String> {
    let Value::Object(o) = v else {
        return Err(format!("{}, not an object", what(v)));
    };
    let id = o.get("id").and_then(Value::as_str).and_then(usable_id);
    let name = o
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or("unknown");
    let parts = tools::call_parts(name, o.get("args"));
    let result = tools::output(o.get("result"), o.get("status").and_then(Value::as_str))?;
    Ok(Call { id, parts, result })
}

/// The text of a message's `content` (a string, a part, or a list of parts or strings): text parts joined by
/// newlines, inline and file data as `[image]` / `[file]` markers. With `split_thoughts`, the text of parts
/// marked `thought` is returned apart.
fn content(v: Option<&Value>, split_thoughts: bool) -> Result<(String, Vec<String>), String> {
    let parts: &[Value] = match v {
        None | Some(Value::Null) => &[],
        Some(Value::String(s)) => return Ok((s.clone(), Vec::new())),
        Some(Value::Array(parts)) => parts,
        Some(part @ Value::Object(_)) => std::slice::from_ref(part),
        Some(other) => return Err(format!("message `content` is {}", what(other))),
    };
    let mut texts = Vec::new();
    let mut thoughts = Vec::new();
    for part in parts {
        if let Value::String(s) = part {
            texts.push(s.clone());
            continue;
        }
        if let Some(t) = part.get("text").and_then(Value::as_str) {
            if split_thoughts && part.get("thought").and_then(Value::as_bool) == Some(true) {
                thoughts.push(t.to_string());
            } else {
                texts.push(t.to_string());
            }
        } else if let Some(marker) = tools::data_marker(part) {
            texts.push(marker.to_string());
        }
    }
    Ok((texts.join("\n"), thoughts))
}
