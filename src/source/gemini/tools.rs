//! Tool calls and their results: the input that matters (a command, a pattern, the text written), the file a
//! call touches, and the text and error status of a `functionResponse`.

use super::decode::what;
use crate::file_names::file_of_shell_call;
use serde_json::{Map, Value};

/// Argument keys naming the file a call touches, in order of preference; then the directory it lists or runs in.
const FILE_KEYS: [&str; 4] = ["file_path", "absolute_path", "path", "notebook_path"];
const DIRECTORY_KEYS: [&str; 1] = ["dir_path"];

/// Argument keys worth showing, in order of preference (as the Claude Code renderer shows them). The text an
/// edit replaced comes last, marked.
const SALIENT_KEYS: [&str; 11] = [
    "command",
    "pattern",
    "query",
    "url",
    "prompt",
    "description",
    "instruction",
    "fact",
    "new_string",
    "content",
    "old_string",
];

/// Heads the replaced text of an edit.
const REPLACED_MARK: &str = "[replaced]";

/// A call's name, its input rendered as text (not yet cleaned or truncated), and the file it touches.
#[derive(Debug, Clone, PartialEq)]
pub struct CallParts {
    pub name: String,
    pub input: String,
    pub file_path: Option<String>,
}

/// The text of a call's result (not yet cleaned or truncated) and whether it reports an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub text: String,
    pub is_error: bool,
}

/// A call named `name` with arguments `args` (an object; any other value is rendered as it is).
pub fn call_parts(name: &str, args: Option<&Value>) -> CallParts {
    let (input, file_path) = match args {
        None | Some(Value::Null) => (String::new(), None),
        Some(Value::Object(o)) => render_object(name, o),
        Some(Value::String(s)) => (s.clone(), None),
        Some(other) => (other.to_string(), None),
    };
    CallParts {
        name: name.to_string(),
        input,
        file_path,
    }
}

fn render_object(name: &str, o: &Map<String, Value>) -> (String, Option<String>) {
    // A path argument names the file; else a shell command's first file; else the directory a call runs in.
    let argument = |keys: &[&str]| {
        keys.iter().find_map(|k| {
            o.get(*k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
        })
    };
    let file_path = argument(&FILE_KEYS)
        .or_else(|| file_of_shell_call(name, o.get("command")?.as_str()?))
        .or_else(|| argument(&DIRECTORY_KEYS));
    let mut parts: Vec<String> = Vec::new();
    for key in SALIENT_KEYS {
        let Some(s) = o.get(key).and_then(Value::as_str).map(str::trim) else {
            continue;
        };
        if s.is_empty() {
            continue;
        }
        if key == "old_string" {
            parts.push(format!("{REPLACED_MARK}\n{s}"));
        } else {
            parts.push(s.to_string());
        }
    }
    if parts.is_empty() && file_path.is_none() {
        // Any other tool: its arguments one per line, strings as they are, other values as compact JSON.
        parts = o
            .iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) if s.trim().is_empty() => None,
                Value::String(s) => Some(format!("{k}: {}", s.trim())),
                Value::Null => None,
                v => Some(format!("{k}: {v}")),
            })
            .collect();
    }
    (parts.join("\n"), file_path)
}

/// The result of a call: `None` when it has none. Its parts are `functionResponse`s (their `response.output`,
/// else `response.error`, else the response as JSON), text parts, and inline data (a marker). An error when the
/// call's `status` is `error` or a response has an `error`. `Err` names a shape not understood.
pub fn output(result: Option<&Value>, status: Option<&str>) -> Result<Option<Output>, String> {
    let parts: &[Value] = match result {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => {
            return Ok(Some(Output {
                text: s.clone(),
                is_error: status == Some("error"),
            }))
        }
        Some(Value::Array(parts)) => parts,
        Some(part @ Value::Object(_)) => std::slice::from_ref(part),
        Some(other) => return Err(format!("`result` is {}", what(other))),
    };
    let mut texts = Vec::new();
    let mut is_error = status == Some("error");
    for part in parts {
        if let Some(fr) = part.get("functionResponse") {
            let (text, error) = response_text(fr.get("response"));
            texts.push(text);
            is_error |= error;
        } else if let Some(t) = part.get("text").and_then(Value::as_str) {
            texts.push(t.to_string());
        } else if let Some(marker) = data_marker(part) {
            texts.push(marker.to_string());
        } else if let Value::String(s) = part {
            texts.push(s.clone());
        }
    }
    Ok(Some(Output {
        text: texts
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        is_error,
    }))
}

/// A `functionResponse.response`'s text, and whether it has an `error`.
fn response_text(response: Option<&Value>) -> (String, bool) {
    let Some(response) = response else {
        return (String::new(), false);
    };
    let Value::Object(o) = response else {
        return (value_text(response), false);
    };
    let error = o.get("error").filter(|e| !e.is_null());
    if let Some(out) = o.get("output").filter(|v| !v.is_null()) {
        return (value_text(out), error.is_some());
    }
    if let Some(e) = error {
        return (value_text(e), true);
    }
    (response.to_string(), false)
}

/// A string as it is, any other value as compact JSON.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The marker of an inline or file data part: `[image]` for an image, `[file]` otherwise.
pub fn data_marker(part: &Value) -> Option<&'static str> {
    let data = part.get("inlineData").or_else(|| part.get("fileData"))?;
    let image = data
        .get("mimeType")
        .and_then(Value::as_str)
        .is_some_and(|m| m.starts_with("image/"));
    Some(if image { "[image]" } else { "[file]" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shell_calls_keep_the_command_and_its_description() {
        let p = call_parts(
            "run_shell_command",
            Some(&json!({"command": "ls -F", "description": "List files.", "directory": "src"})),
        );
        assert_eq!(p.input, "ls -F\nList files.");
        assert_eq!(p.file_path, None);
        let p = call_parts(
            "run_shell_command",
            Some(&json!({"command": "cat notes.txt && wc -l data.csv", "dir_path": "/p"})),
        );
        assert_eq!(
            p.file_path.as_deref(),
            Some("notes.txt"),
            "the first file it names"
        );
        let p = call_parts(
            "run_shell_command",
            Some(&json!({"command": "npm test", "dir_path": "/p"})),
        );
        assert_eq!(p.file_path.as_deref(), Some("/p"), "else where it runs");
        let rendered = |p: CallParts| {
            crate::transcript::tools::render_call(&crate::message::ToolCall {
                name: p.name,
                input_summary: p.input,
                file_path: p.file_path,
            })
        };
        assert_eq!(rendered(p), "[tool: run_shell_command] /p\nnpm test");
        let p = call_parts(
            "run_shell_command",
            Some(&json!({"command": "cat notes.txt", "dir_path": "/p"})),
        );
        assert_eq!(
            rendered(p),
            "[tool: run_shell_command]\ncat notes.txt",
            "the command shows its file; the directory is not named"
        );
        // A tool that is not a shell takes no file from a `command` argument.
        let p = call_parts("mcp_runner", Some(&json!({"command": "cat notes.txt"})));
        assert_eq!(p.file_path, None);
    }

    #[test]
    fn paths_name_the_file_and_edits_keep_both_texts() {
        let p = call_parts(
            "read_file",
            Some(&json!({"absolute_path": "/p/a.txt", "offset": 3})),
        );
        assert_eq!(
            (p.input.as_str(), p.file_path.as_deref()),
            ("", Some("/p/a.txt"))
        );
        let p = call_parts(
            "replace",
            Some(
                &json!({"file_path": "/p/a.txt", "old_string": "Hello", "new_string": "Goodbye",
                "instruction": "Change the greeting"}),
            ),
        );
        assert_eq!(p.input, "Change the greeting\nGoodbye\n[replaced]\nHello");
        assert_eq!(p.file_path.as_deref(), Some("/p/a.txt"));
    }

    #[test]
    fn unknown_tools_list_their_arguments() {
        let p = call_parts(
            "read_many_files",
            Some(&json!({"paths": ["a.rs", "b.rs"], "recursive": true, "empty": " "})),
        );
        assert_eq!(p.input, "paths: [\"a.rs\",\"b.rs\"]\nrecursive: true");
        assert_eq!(call_parts("x", Some(&json!("raw"))).input, "raw");
        assert_eq!(call_parts("x", Some(&json!(3))).input, "3");
        assert_eq!(call_parts("x", None).input, "");
    }

    #[test]
    fn results_of_every_shape() {
        let fr = |response: Value| json!([{"functionResponse": {"id": "c", "name": "t", "response": response}}]);
        let out = |v: &Value, status| output(Some(v), status).ok().flatten();
        assert_eq!(
            out(&fr(json!({"output": "ok"})), Some("success")),
            Some(Output {
                text: "ok".into(),
                is_error: false
            })
        );
        assert_eq!(
            out(
                &fr(json!({"error": "Path must be absolute: ."})),
                Some("error")
            ),
            Some(Output {
                text: "Path must be absolute: .".into(),
                is_error: true
            })
        );
        // A cancelled call's response is an error even though its status is not.
        assert!(out(
            &fr(json!({"error": "[Operation Cancelled]"})),
            Some("cancelled")
        )
        .is_some_and(|o| o.is_error));
        assert_eq!(
            out(&fr(json!({"llmContent": "x", "n": 1})), None).map(|o| o.text),
            Some("{\"llmContent\":\"x\",\"n\":1}".to_string())
        );
        let mixed = json!([{"functionResponse": {"response": {"output": "read"}}},
            {"inlineData": {"mimeType": "image/png", "data": "AAAA"}}, {"text": "note"}]);
        assert_eq!(
            out(&mixed, None).map(|o| o.text),
            Some("read\n[image]\nnote".to_string())
        );
        assert_eq!(
            out(&json!("plain"), Some("error")).map(|o| o.is_error),
            Some(true)
        );
        assert_eq!(output(None, None), Ok(None));
        assert_eq!(output(Some(&Value::Null), None), Ok(None));
        assert!(output(Some(&json!(5)), None).is_err());
    }
}
