//! The messages one chat message becomes, before their identity and place in the conversation are assigned.

use super::decode::{Body, Call};
use super::MAX_INPUT_CHARS;
use crate::message::{MessageKind, ToolCall};
use crate::transcript::assembler::MAX_TOOL_RESULT_CHARS;
use crate::transcript::{result_label, text as clean_text, tools as claude_tools};

/// A message before its identity is assigned.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub uuid: String,
    pub kind: MessageKind,
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub result_of_tool: Option<String>,
    pub result_files: Vec<String>,
    pub is_error: bool,
}

impl Draft {
    fn new(uuid: String, kind: MessageKind, text: String) -> Draft {
        Draft {
            uuid,
            kind,
            text,
            tool_calls: Vec::new(),
            result_of_tool: None,
            result_files: Vec::new(),
            is_error: false,
        }
    }
}

/// The messages of the chat message `uuid`, in conversation order: its prompt, or its answer (thoughts first),
/// then each tool call followed by its result. Empty texts give no message.
pub fn drafts(uuid: &str, body: Body) -> Vec<Draft> {
    match body {
        Body::Skip => Vec::new(),
        Body::User { text } => {
            let text = clean_text::clean(&text);
            if text.is_empty() {
                return Vec::new();
            }
            vec![Draft::new(uuid.to_string(), MessageKind::Human, text)]
        }
        Body::Gemini {
            text,
            thoughts,
            calls,
        } => gemini(uuid, &text, &thoughts, calls),
    }
}

fn gemini(uuid: &str, text: &str, thoughts: &[String], calls: Vec<Call>) -> Vec<Draft> {
    let mut out = Vec::new();
    let mut held: Vec<String> = thoughts
        .iter()
        .map(|t| clean_text::clean(t))
        .filter(|t| !t.is_empty())
        .map(|t| format!("[thinking] {t}"))
        .collect();
    let text = clean_text::clean(text);
    // The thoughts go before the answer; without one, before the first tool call; without either, alone.
    if !text.is_empty() || (calls.is_empty() && !held.is_empty()) {
        let mut parts = std::mem::take(&mut held);
        if !text.is_empty() {
            parts.push(text);
        }
        out.push(Draft::new(
            uuid.to_string(),
            MessageKind::Assistant,
            parts.join("\n\n"),
        ));
    }
    for (i, c) in calls.into_iter().enumerate() {
        let key = c.id.unwrap_or_else(|| i.to_string());
        let call = ToolCall {
            name: c.parts.name,
            input_summary: clean_text::truncate_middle(
                &clean_text::clean(&c.parts.input),
                MAX_INPUT_CHARS,
            ),
            file_path: c.parts.file_path,
        };
        let mut parts = std::mem::take(&mut held);
        parts.push(claude_tools::render_call(&call));
        let name = call.name.clone();
        let file = call.file_path.clone();
        out.push(Draft {
            tool_calls: vec![call],
            ..Draft::new(
                format!("{uuid}#call:{key}"),
                MessageKind::ToolCall,
                parts.join("\n\n"),
            )
        });
        let Some(result) = c.result else {
            continue;
        };
        let body = clean_text::clean(&clean_text::truncate_middle(
            &result.text,
            MAX_TOOL_RESULT_CHARS,
        ));
        if body.is_empty() {
            continue;
        }
        let label = result_label::label(Some(&name), result.is_error);
        out.push(Draft {
            result_of_tool: Some(name),
            result_files: file.into_iter().collect(),
            is_error: result.is_error,
            ..Draft::new(
                format!("{uuid}#result:{key}"),
                MessageKind::ToolResult,
                format!("{label}\n{body}"),
            )
        });
    }
    out
}
