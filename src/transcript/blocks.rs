//! A message's `content` as typed blocks: text, thinking, tool use, tool result, image, document.

use super::tools;
use serde_json::Value;

/// One content block, with only the fields the assembler reads.
pub(super) enum Block {
    Text(String),
    Thinking(String),
    ToolUse {
        id: Option<String>,
        name: String,
        input: Option<Value>,
    },
    ToolResult {
        tool_use_id: Option<String>,
        text: String,
        is_error: bool,
    },
    Image,
    Document,
    Other,
}

/// Content as blocks: a plain string is one text block; unknown block types are `Other`.
pub(super) fn content_blocks(content: Option<&Value>) -> Vec<Block> {
    match content {
        Some(Value::String(s)) => vec![Block::Text(s.clone())],
        Some(Value::Array(items)) => items.iter().map(block).collect(),
        _ => Vec::new(),
    }
}

fn block(v: &Value) -> Block {
    let str_field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    match v.get("type").and_then(Value::as_str) {
        Some("text") => str_field("text").map(Block::Text).unwrap_or(Block::Other),
        Some("thinking") => str_field("thinking")
            .map(Block::Thinking)
            .unwrap_or(Block::Other),
        Some("tool_use") => Block::ToolUse {
            id: str_field("id"),
            name: str_field("name").unwrap_or_else(|| "unknown".to_string()),
            input: v.get("input").cloned(),
        },
        Some("tool_result") => Block::ToolResult {
            tool_use_id: str_field("tool_use_id"),
            text: tools::result_text(v.get("content")),
            is_error: v.get("is_error").and_then(Value::as_bool).unwrap_or(false),
        },
        Some("image") => Block::Image,
        Some("document") => Block::Document,
        _ => Block::Other,
    }
}
