//! Tool calls and tool results: the real `tool_use` name, the input that matters, and bounded output text.

use super::text;
use crate::file_names::file_of_shell_call;
use crate::message::ToolCall;
use serde_json::Value;

/// Longest rendering of one tool input (a command, a prompt, the whole of a file written): longer ones lose their
/// middle. Lexical search covers all of it; the embedding only the head and tail of a tool-call message.
const MAX_INPUT_CHARS: usize = 20_000;

/// Input keys naming the file a tool touches, in order of preference.
const PATH_KEYS: [&str; 3] = ["file_path", "notebook_path", "path"];

/// Input keys worth showing, in order of preference, after the path. The text an edit replaced comes last, marked:
/// code that was removed is searched for too ("where did the old handler go?").
const SALIENT_KEYS: [&str; 11] = [
    "command",
    "pattern",
    "query",
    "url",
    "description",
    "prompt",
    "skill",
    "new_string",
    "content",
    "new_source",
    "old_string",
];

/// Heads the replaced text of an edit.
const REPLACED_MARK: &str = "[replaced]";

/// Builds a [`ToolCall`] from a `tool_use` block's `name` and `input`.
pub fn tool_call(name: &str, input: Option<&Value>) -> ToolCall {
    let obj = input.and_then(Value::as_object);
    let file_path = obj.and_then(|o| {
        PATH_KEYS
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .map(str::to_string)
            .or_else(|| file_of_shell_call(name, o.get("command")?.as_str()?))
    });
    let mut parts: Vec<String> = Vec::new();
    if let Some(o) = obj {
        for key in SALIENT_KEYS {
            if let Some(s) = o.get(key).and_then(Value::as_str) {
                let s = s.trim();
                if s.is_empty() {
                    continue;
                }
                if key == "old_string" {
                    parts.push(format!("{REPLACED_MARK}\n{s}"));
                } else {
                    parts.push(s.to_string());
                }
            }
        }
        if parts.is_empty() && file_path.is_none() {
            // An unfamiliar tool: keep its short string inputs in key order.
            for (_, v) in o.iter() {
                if let Some(s) = v.as_str() {
                    if !s.trim().is_empty() && s.len() < 300 {
                        parts.push(s.trim().to_string());
                    }
                }
            }
        }
    }
    let joined = parts.join("\n");
    ToolCall {
        name: name.to_string(),
        input_summary: text::truncate_middle(&text::clean(&joined), MAX_INPUT_CHARS),
        file_path,
    }
}

/// Whether `call`'s file is the one its shell command names (and not a patch's, or a path argument's).
fn file_is_the_command_s(call: &ToolCall, file: &str) -> bool {
    !call.input_summary.contains("*** Begin Patch")
        && file_of_shell_call(&call.name, &call.input_summary).as_deref() == Some(file)
}

/// How a tool call reads in the embedded text of an assistant message. The file is named after the tool, unless
/// it is the one the call's shell command names (the command already shows it).
pub fn render_call(call: &ToolCall) -> String {
    let mut out = format!("[tool: {}]", call.name);
    if let Some(p) = call
        .file_path
        .as_ref()
        .filter(|p| !file_is_the_command_s(call, p))
    {
        out.push(' ');
        out.push_str(p);
    }
    if !call.input_summary.is_empty() {
        out.push('\n');
        out.push_str(&call.input_summary);
    }
    out
}

/// Text of a `tool_result` block's `content` (a string or a list of text / image blocks); images become markers.
pub fn result_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| match b.get("type").and_then(Value::as_str) {
                Some("text") => b.get("text").and_then(Value::as_str).map(str::to_string),
                Some("image") => Some("[image]".to_string()),
                Some("document") => Some("[document]".to_string()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bash_call_keeps_command_and_description() {
        let call = tool_call(
            "Bash",
            Some(&json!({"command": "cargo test --all", "description": "Run tests"})),
        );
        assert_eq!(call.name, "Bash");
        assert_eq!(call.input_summary, "cargo test --all\nRun tests");
        assert_eq!(call.file_path, None);
        assert_eq!(
            render_call(&call),
            "[tool: Bash]\ncargo test --all\nRun tests"
        );
    }

    #[test]
    fn a_shell_command_touches_the_first_file_it_names_without_naming_it_twice() {
        let call = tool_call(
            "Bash",
            Some(&json!({"command": "cat src/main.rs | head -40", "description": "Show main"})),
        );
        assert_eq!(call.file_path.as_deref(), Some("src/main.rs"));
        assert_eq!(
            render_call(&call),
            "[tool: Bash]\ncat src/main.rs | head -40\nShow main",
            "the text is what it was before the file was known"
        );
        // A path argument still comes first, and is still named.
        let call = tool_call(
            "Grep",
            Some(&json!({"pattern": "fn main", "path": "/repo/src/lib.rs"})),
        );
        assert_eq!(call.file_path.as_deref(), Some("/repo/src/lib.rs"));
        assert_eq!(render_call(&call), "[tool: Grep] /repo/src/lib.rs\nfn main");
        // A patch's file is named as before, whatever its text looks like to a shell.
        let patch = "*** Begin Patch\n*** Update File: src/lib.rs\n@@\n-a\n+b\n*** End Patch";
        let call = ToolCall {
            name: "apply_patch".into(),
            input_summary: patch.into(),
            file_path: Some("src/lib.rs".into()),
        };
        assert_eq!(
            render_call(&call),
            format!("[tool: apply_patch] src/lib.rs\n{patch}")
        );
        // A tool that is not a shell takes no file from a `command` argument.
        let call = tool_call(
            "mcp__runner__run",
            Some(&json!({"command": "cat notes.md"})),
        );
        assert_eq!(call.file_path, None);
    }

    #[test]
    fn edit_call_names_the_file() {
        let call = tool_call(
            "Edit",
            Some(
                &json!({"file_path": "/src/lib.rs", "old_string": "a", "new_string": "fn b() {}"}),
            ),
        );
        assert_eq!(call.file_path.as_deref(), Some("/src/lib.rs"));
        assert_eq!(call.input_summary, "fn b() {}\n[replaced]\na");
    }

    #[test]
    fn a_long_write_keeps_its_head_and_tail() {
        let content = format!(
            "defmodule A do\n{}  def last_function, do: :ok\nend",
            "  # filler\n".repeat(5000)
        );
        let call = tool_call(
            "Write",
            Some(&json!({"file_path": "/a.ex", "content": content})),
        );
        assert!(call.input_summary.starts_with("defmodule A do"));
        assert!(call
            .input_summary
            .ends_with("def last_function, do: :ok\nend"));
        assert!(call.input_summary.chars().count() <= MAX_INPUT_CHARS + 100);
        assert!(call.input_summary.contains("characters omitted"));
    }

    #[test]
    fn unknown_tool_keeps_short_strings() {
        let call = tool_call("mcp__x__y", Some(&json!({"target": "prod", "n": 3})));
        assert_eq!(call.input_summary, "prod");
    }

    #[test]
    fn result_blocks_drop_images() {
        let content =
            json!([{"type": "text", "text": "ok"}, {"type": "image", "source": {"data": "AAAA"}}]);
        assert_eq!(result_text(Some(&content)), "ok\n[image]");
    }
}
