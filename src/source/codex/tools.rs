//! Tool calls and their outputs: the input that matters (a shell script, a patch, a query), the file a patch
//! touches, and the text and error status of an output in each of the shapes Codex has written.

use crate::file_names::file_of_shell_call;
use serde_json::{Map, Value};

/// Marks a patch in a tool input (`apply_patch` as a custom tool, a function argument or a shell heredoc).
const PATCH_BEGIN: &str = "*** Begin Patch";
/// Patch headers naming a file, in the order they are looked for on each line.
const PATCH_FILE_HEADERS: [&str; 3] = ["*** Update File: ", "*** Add File: ", "*** Delete File: "];
/// Argument keys naming the file a call touches, in order of preference.
const PATH_KEYS: [&str; 3] = ["file_path", "path", "notebook_path"];
/// How deep nested tool lists of a `tool_search_output` are rendered.
const MAX_TOOL_LIST_DEPTH: usize = 4;

/// A call's name, its input rendered as text (not yet cleaned or truncated), and the file it touches.
#[derive(Debug, Clone, PartialEq)]
pub struct CallParts {
    pub name: String,
    pub input: String,
    pub file_path: Option<String>,
}

impl CallParts {
    /// The file is the one a patch or a path argument names, else the first one a shell command names (Codex
    /// reads files with `sed -n`, `nl` and `cat`).
    fn new(name: &str, input: String, args: Option<&Value>) -> CallParts {
        let obj = args.and_then(Value::as_object);
        let file_path = patch_file(&input)
            .or_else(|| {
                PATH_KEYS
                    .iter()
                    .find_map(|k| obj?.get(*k).and_then(Value::as_str))
                    .map(str::to_string)
            })
            .or_else(|| file_of_shell_call(name, &input));
        CallParts {
            name: name.to_string(),
            input,
            file_path,
        }
    }
}

/// A `function_call` (arguments: a JSON string, rarely an object, or null) or a `tool_search_call`.
pub fn function_call(name: &str, arguments: Option<&Value>) -> CallParts {
    let parsed = match arguments {
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(v) => v,
            Err(_) => Value::String(s.clone()),
        },
        Some(v) => v.clone(),
        None => Value::Null,
    };
    let input = render_args(name, &parsed);
    CallParts::new(name, input, Some(&parsed))
}

/// A `custom_tool_call`: its `input` is free text (an `apply_patch` patch), or JSON for some tools.
pub fn custom_call(name: &str, input: &str) -> CallParts {
    match serde_json::from_str::<Value>(input) {
        Ok(v @ Value::Object(_)) => {
            let rendered = render_args(name, &v);
            CallParts::new(name, rendered, Some(&v))
        }
        _ => CallParts::new(name, input.to_string(), None),
    }
}

/// A `local_shell_call`: `action.command` is an argv.
pub fn local_shell_call(action: Option<&Value>) -> CallParts {
    let input = match action.and_then(|a| a.get("command")) {
        Some(Value::Array(argv)) => command_text(argv),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    CallParts::new("local_shell", input, None)
}

/// A `web_search_call`: the query (or queries), the page opened, the pattern searched for in it.
pub fn web_search_call(action: Option<&Value>) -> CallParts {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(a) = action.and_then(Value::as_object) {
        let query = a.get("query").and_then(Value::as_str);
        parts.extend(query);
        if let Some(Value::Array(qs)) = a.get("queries") {
            parts.extend(
                qs.iter()
                    .filter_map(Value::as_str)
                    .filter(|q| Some(*q) != query),
            );
        }
        parts.extend(a.get("pattern").and_then(Value::as_str));
        parts.extend(a.get("url").and_then(Value::as_str));
    }
    let input = parts
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    CallParts::new("web_search", input, None)
}

/// The input of a call whose arguments decoded to `args`.
fn render_args(name: &str, args: &Value) -> String {
    match args {
        Value::Object(o) => render_object(name, o),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn render_object(name: &str, o: &Map<String, Value>) -> String {
    match o.get("command") {
        Some(Value::Array(argv)) => return command_text(argv),
        Some(Value::String(s)) => return s.clone(),
        _ => {}
    }
    if let Some(s) = o.get("cmd").and_then(Value::as_str) {
        return s.to_string();
    }
    if let Some(s) = o.get("input").and_then(Value::as_str) {
        return s.to_string();
    }
    if name == "update_plan" {
        if let Some(plan) = render_plan(o) {
            return plan;
        }
    }
    // Any other tool: its arguments one per line, strings as they are, other values as compact JSON.
    o.iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(format!("{k}: {s}")),
            Value::Null => None,
            v => Some(format!("{k}: {v}")),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `update_plan`: the explanation, then one `- [status] step` line per step.
fn render_plan(o: &Map<String, Value>) -> Option<String> {
    let steps = o.get("plan")?.as_array()?;
    let mut lines: Vec<String> = Vec::new();
    if let Some(e) = o.get("explanation").and_then(Value::as_str) {
        if !e.trim().is_empty() {
            lines.push(e.trim().to_string());
        }
    }
    for step in steps {
        let text = step.get("step").and_then(Value::as_str).unwrap_or("");
        let status = step.get("status").and_then(Value::as_str).unwrap_or("");
        lines.push(format!("- [{status}] {text}"));
    }
    Some(lines.join("\n"))
}

/// The text of an argv: the script of `[shell, -lc|-c, script]`, else the words joined, quoted where needed.
fn command_text(argv: &[Value]) -> String {
    let words: Vec<&str> = argv.iter().filter_map(Value::as_str).collect();
    if let [_, flag, script] = words.as_slice() {
        if matches!(*flag, "-lc" | "-c" | "/c" | "-Command") {
            return (*script).to_string();
        }
    }
    words
        .iter()
        .map(|w| quote_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote_word(w: &str) -> String {
    let plain = !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%^".contains(&b));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// The first file a patch in `text` adds, updates or deletes.
pub fn patch_file(text: &str) -> Option<String> {
    if !text.contains(PATCH_BEGIN) {
        return None;
    }
    text.lines().find_map(|line| {
        let line = line.trim_start();
        PATCH_FILE_HEADERS.iter().find_map(|h| {
            let path = line.strip_prefix(h)?.trim();
            (!path.is_empty()).then(|| path.to_string())
        })
    })
}

/// The text of a tool output and whether it reports an error. `Err` names a shape not understood.
pub fn output_text(output: Option<&Value>) -> Result<(String, bool), String> {
    match output {
        None | Some(Value::Null) => Ok((String::new(), false)),
        Some(Value::String(s)) => Ok(string_output(s)),
        Some(Value::Object(o)) => object_output(o)
            .ok_or_else(|| "output is an object without text, content or output".to_string()),
        Some(Value::Array(parts)) => Ok((parts_text(parts), false)),
        Some(Value::Bool(_)) => Err("output is a boolean".to_string()),
        Some(Value::Number(_)) => Err("output is a number".to_string()),
    }
}

/// A string output: JSON `{"output": ..., "metadata": {"exit_code": N}}` (exec results), or plain text.
fn string_output(s: &str) -> (String, bool) {
    if s.trim_start().starts_with('{') {
        if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(s) {
            if let Some(found) = exec_output(&o) {
                return found;
            }
        }
    }
    // A command the sandbox refused never ran to a normal exit.
    (s.to_string(), s.starts_with("failed in sandbox"))
}

/// `{"output": "...", "metadata": {"exit_code": N}}`.
fn exec_output(o: &Map<String, Value>) -> Option<(String, bool)> {
    let text = o.get("output")?.as_str()?;
    let exit = o
        .get("metadata")
        .and_then(|m| m.get("exit_code"))
        .and_then(Value::as_i64);
    Some((text.to_string(), exit.is_some_and(|c| c != 0)))
}

fn object_output(o: &Map<String, Value>) -> Option<(String, bool)> {
    if let Some(found) = exec_output(o) {
        return Some(found);
    }
    if let Some(t) = o.get("text").and_then(Value::as_str) {
        return Some((t.to_string(), false));
    }
    let failed = o.get("success").and_then(Value::as_bool) == Some(false);
    match o.get("content") {
        Some(Value::String(s)) => Some((s.clone(), failed)),
        Some(Value::Array(parts)) => Some((parts_text(parts), failed)),
        _ => None,
    }
}

/// Content parts: text parts joined by newlines, images as `[image]`.
fn parts_text(parts: &[Value]) -> String {
    parts
        .iter()
        .filter_map(|p| match p.get("type").and_then(Value::as_str) {
            Some("input_image" | "image" | "inputImage" | "output_image") => Some("[image]"),
            _ => p.get("text").and_then(Value::as_str),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A `tool_search_output`'s `tools`: one `name: description` line per tool, nested groups indented.
pub fn tool_list(tools: Option<&Value>) -> String {
    let mut lines = Vec::new();
    if let Some(Value::Array(items)) = tools {
        push_tools(items, 0, &mut lines);
    }
    lines.join("\n")
}

fn push_tools(items: &[Value], depth: usize, lines: &mut Vec<String>) {
    for item in items {
        let name = item.get("name").and_then(Value::as_str).unwrap_or("");
        let desc = item
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        let line = match (name.is_empty(), desc.is_empty()) {
            (true, true) => None,
            (false, true) => Some(name.to_string()),
            (true, false) => Some(desc.to_string()),
            (false, false) => Some(format!("{name}: {desc}")),
        };
        if let Some(line) = line {
            lines.push(format!("{}{line}", "  ".repeat(depth)));
        }
        if depth + 1 < MAX_TOOL_LIST_DEPTH {
            if let Some(Value::Array(sub)) = item.get("tools") {
                push_tools(sub, depth + 1, lines);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_shell_call_shape_touches_the_file_its_command_reads() {
        let argv = json!({"command": ["bash", "-lc", "nl -ba src/app.ts | sed -n '1,80p'"]});
        let p = function_call("shell", Some(&Value::String(argv.to_string())));
        assert_eq!(p.file_path.as_deref(), Some("src/app.ts"));
        let p = function_call(
            "exec_command",
            Some(&json!({"cmd": "rg -n TeamSheet apps/page.tsx"})),
        );
        assert_eq!(p.file_path.as_deref(), Some("apps/page.tsx"));
        let p = local_shell_call(Some(&json!({"command": ["cat", "README.md"]})));
        assert_eq!(p.file_path.as_deref(), Some("README.md"));
        // A patch names its file first, even in a heredoc.
        let script = "cat notes.md; apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: src/lib.rs\n*** End Patch\nEOF";
        let p = function_call("shell", Some(&json!({"command": ["bash", "-lc", script]})));
        assert_eq!(p.file_path.as_deref(), Some("src/lib.rs"));
        // A tool that runs no command names no file by its text.
        let p = function_call(
            "update_plan",
            Some(&json!({"explanation": "read main.rs", "plan": []})),
        );
        assert_eq!(p.file_path, None);
    }
}
