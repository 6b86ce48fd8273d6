//! A window of a conversation around one stored message, as a model reads it: the message's text (a part of it when
//! long, with where to continue), and its neighbours in the conversation tree in short, within a byte budget.

use super::corpus::Corpus;
use super::report::{short_time, text_start, ReportFormat};
use crate::error::Result;
use crate::message::MessageKind;
use crate::payload::Payload;
use serde::Serialize;

/// Most neighbours on each side.
pub const MAX_NEIGHBOURS: usize = 20;
/// Length of a neighbour's snippet, in characters.
const NEIGHBOUR_CHARS: usize = 200;
/// Bytes kept for the text form's headings and closing line.
const FRAME_ROOM: usize = 400;
/// The least of the message's own text shown, in characters, however many neighbours were asked for.
const MIN_TEXT_CHARS: usize = 150;

/// What to show around which message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRequest {
    pub message_id: String,
    pub before: usize,
    pub after: usize,
    /// First character of the message's text to show (to continue a long message).
    pub start: usize,
    pub max_bytes: usize,
    pub format: ReportFormat,
}

/// A message and its neighbours.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversationWindow {
    pub message: WindowMessage,
    /// Ancestors, oldest first.
    pub before: Vec<WindowNeighbour>,
    /// Replies (following the first child), in conversation order.
    pub after: Vec<WindowNeighbour>,
    /// Neighbours asked for but left out to keep within the byte budget (the farthest ones).
    pub neighbours_left_out: usize,
}

/// The message itself, its text from `text_start`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowMessage {
    pub message_id: String,
    pub session_id: String,
    pub project: Option<String>,
    pub timestamp: Option<String>,
    pub kind: MessageKind,
    /// The text shown, from character `text_start`.
    pub text: String,
    pub text_start: usize,
    /// The whole text's length, in characters.
    pub text_chars: usize,
    /// The text continues: ask again with `start` set to this.
    pub next_start: Option<usize>,
}

/// A neighbouring message, in short.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowNeighbour {
    pub message_id: String,
    pub kind: MessageKind,
    pub timestamp: Option<String>,
    /// The start of its text, at most 200 characters.
    pub snippet: String,
}

impl ConversationWindow {
    /// Reads the window; `None` when no stored message has that id.
    pub fn read(corpus: &dyn Corpus, req: &WindowRequest) -> Result<Option<Self>> {
        let Some(first) = corpus.message(&req.message_id)? else {
            return Ok(None);
        };
        let text = corpus.message_text(&req.message_id)?.unwrap_or_default();
        let (before, after) = corpus.context(&req.message_id, req.before.max(req.after))?;
        let skip = before.len().saturating_sub(req.before);
        let mut before: Vec<WindowNeighbour> = before
            .into_iter()
            .skip(skip)
            .map(WindowNeighbour::of)
            .collect();
        let mut after: Vec<WindowNeighbour> = after
            .into_iter()
            .take(req.after)
            .map(WindowNeighbour::of)
            .collect();
        // Neighbours give way to the message's own text: the farthest go first, from the longer side.
        let mut neighbours_left_out = 0;
        let mut neighbours_bytes: usize = before.iter().chain(&after).map(neighbour_bytes).sum();
        while neighbours_bytes + FRAME_ROOM + MIN_TEXT_CHARS * 4 > req.max_bytes {
            let dropped = if before.len() >= after.len() && !before.is_empty() {
                before.remove(0)
            } else if let Some(n) = after.pop() {
                n
            } else {
                break;
            };
            neighbours_bytes -= neighbour_bytes(&dropped);
            neighbours_left_out += 1;
        }
        let room = req
            .max_bytes
            .saturating_sub(FRAME_ROOM + neighbours_bytes)
            .max(MIN_TEXT_CHARS * 4);
        let text_chars = text.chars().count();
        let start = req.start.min(text_chars);
        let shown = prefix_within(text.chars().skip(start), room, req.format);
        let shown_chars = shown.chars().count();
        let end = start + shown_chars;
        Ok(Some(ConversationWindow {
            message: WindowMessage {
                message_id: first.message_id,
                session_id: first.session_id,
                project: first.project_name,
                timestamp: first.timestamp,
                kind: first.kind,
                text: shown,
                text_start: start,
                text_chars,
                next_start: (end < text_chars).then_some(end),
            },
            before,
            after,
            neighbours_left_out,
        }))
    }

    /// The compact text form.
    pub fn to_text(&self) -> String {
        let m = &self.message;
        let mut out = String::new();
        if !self.before.is_empty() {
            out.push_str("Before (oldest first):\n");
            for n in &self.before {
                out.push_str(&neighbour_line(n));
            }
        }
        out.push_str(&format!(
            "> [{}] {} · {} · session {} · id {}\n",
            m.kind.as_str(),
            m.project.as_deref().unwrap_or("?"),
            short_time(m.timestamp.as_deref()),
            m.session_id.get(..8).unwrap_or(&m.session_id),
            m.message_id
        ));
        if m.text_start > 0 {
            out.push_str(&format!("[from character {}]\n", m.text_start));
        }
        out.push_str(&m.text);
        out.push('\n');
        if let Some(next) = m.next_start {
            out.push_str(&format!(
                "[{} of {} characters shown; the rest with start={next}]\n",
                next - m.text_start,
                m.text_chars
            ));
        }
        if !self.after.is_empty() {
            out.push_str("After:\n");
            for n in &self.after {
                out.push_str(&neighbour_line(n));
            }
        }
        if self.neighbours_left_out > 0 {
            out.push_str(&format!(
                "[{} farther neighbours left out for the byte budget; raise max_bytes to see them]\n",
                self.neighbours_left_out
            ));
        }
        out
    }
}

impl WindowNeighbour {
    fn of(p: Payload) -> Self {
        WindowNeighbour {
            snippet: text_start(&p.text, NEIGHBOUR_CHARS),
            message_id: p.message_id,
            kind: p.kind,
            timestamp: p.timestamp,
        }
    }
}

fn neighbour_line(n: &WindowNeighbour) -> String {
    format!(
        "  [{}] {} · id {}: {}\n",
        n.kind.as_str(),
        short_time(n.timestamp.as_deref()),
        n.message_id,
        n.snippet
    )
}

/// A neighbour's size in either form, with room for its JSON field names.
fn neighbour_bytes(n: &WindowNeighbour) -> usize {
    neighbour_line(n).len() + 60
}

/// The longest prefix of `chars` whose encoding (raw for text, escaped for JSON) takes at most `room` bytes.
fn prefix_within(chars: impl Iterator<Item = char>, room: usize, format: ReportFormat) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in chars {
        let size = match format {
            ReportFormat::Text => c.len_utf8(),
            // JSON escapes quotes, backslashes and control characters (at most 6 bytes: \u001f).
            ReportFormat::Json if c == '"' || c == '\\' => 2,
            ReportFormat::Json if (c as u32) < 0x20 => 6,
            ReportFormat::Json => c.len_utf8(),
        };
        if used + size > room {
            break;
        }
        used += size;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_fits_its_encoded_room() {
        let text = "ab\"c\nd é";
        assert_eq!(prefix_within(text.chars(), 3, ReportFormat::Text), "ab\"");
        assert_eq!(prefix_within(text.chars(), 3, ReportFormat::Json), "ab");
        let all = prefix_within(text.chars(), 100, ReportFormat::Json);
        assert_eq!(all, text);
        let json = serde_json::to_string(&all).unwrap_or_default();
        assert!(json.len() - 2 <= 100);
    }
}
