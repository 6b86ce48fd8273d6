//! Hook output that Claude Code injects into the conversation, recognized so it can be indexed as its own kind.
//!
//! It arrives in two shapes. Older versions write it as an `isMeta` user line whose text is the rendered reminder
//! (`<system-reminder>\nPostToolUse:Edit hook additional context: [COMPILE ERROR] ...`, `Stop hook feedback:\n...`);
//! in a session with compaction, the summarizer's log (`agent-acompact-*`) may hold the only copy. Newer versions
//! write an `attachment` line (`attachment.type` = `hook_additional_context`, `hook_blocking_error`, ...) and
//! render the reminder only when the request is sent. Both become the same text.

use serde_json::Value;

/// Longest hook text kept, in characters (a hook that dumps a whole build log is cut in the middle).
pub const MAX_HOOK_CHARS: usize = 20_000;

/// The hook output carried by an `isMeta` line's text, without its `<system-reminder>` wrapper; `None` when the
/// text is not hook output (a local-command caveat, an injected file, a plain reminder).
pub fn from_meta_text(text: &str) -> Option<String> {
    let inner = unwrap_reminder(text);
    let first_line = inner.lines().next().unwrap_or("");
    is_hook_heading(first_line).then(|| inner.trim().to_string())
}

/// The text of a hook `attachment` line (`None` for other attachments and for hooks that said nothing).
pub fn from_attachment(attachment: &Value) -> Option<String> {
    let kind = attachment.get("type")?.as_str()?;
    let event = kind.strip_prefix("hook_")?;
    fn s(v: Option<&Value>) -> &str {
        v.and_then(Value::as_str).map(str::trim).unwrap_or("")
    }
    let hook = [
        s(attachment.get("hookName")),
        s(attachment.get("hookEvent")),
    ]
    .into_iter()
    .find(|h| !h.is_empty())
    .unwrap_or("hook");
    let mut parts: Vec<String> = Vec::new();
    match attachment.get("content") {
        Some(Value::Array(items)) => parts.extend(
            items
                .iter()
                .filter_map(Value::as_str)
                .map(|t| t.trim().to_string()),
        ),
        Some(Value::String(t)) => parts.push(t.trim().to_string()),
        _ => {}
    }
    let blocking = attachment.get("blockingError");
    for v in [
        attachment.get("stdout"),
        attachment.get("stderr"),
        attachment.get("message"),
        blocking.and_then(|b| b.get("blockingError")),
        blocking.filter(|b| b.is_string()),
    ] {
        let t = s(v);
        if !t.is_empty() {
            parts.push(t.to_string());
        }
    }
    parts.retain(|p| !p.is_empty());
    if parts.is_empty() {
        return None;
    }
    let label = event.replace('_', " ");
    let command = s(attachment.get("command")).to_string();
    let command = if command.is_empty() {
        s(blocking.and_then(|b| b.get("command"))).to_string()
    } else {
        command
    };
    let from = if command.is_empty() {
        String::new()
    } else {
        format!(" from command \"{command}\"")
    };
    Some(format!("{hook} hook {label}{from}: {}", parts.join("\n")))
}

/// The text inside a leading `<system-reminder>` ... `</system-reminder>`, or the text itself.
fn unwrap_reminder(text: &str) -> &str {
    let t = text.trim_start();
    match t.strip_prefix("<system-reminder>") {
        Some(rest) => rest
            .rsplit_once("</system-reminder>")
            .map_or(rest, |(inner, _)| inner)
            .trim(),
        None => t,
    }
}

/// `Stop hook feedback:`, `PostToolUse:Edit hook additional context: ...`, `PreToolUse:Bash hook blocking error
/// from command ...`, `SessionStart:startup hook success: ...`.
fn is_hook_heading(line: &str) -> bool {
    let Some((event, rest)) = line.split_once(" hook ") else {
        return false;
    };
    let event_ok = !event.is_empty()
        && event.len() <= 60
        && event.starts_with(|c: char| c.is_ascii_uppercase())
        && !event.contains(char::is_whitespace);
    let word = rest.split([':', ' ']).next().unwrap_or("");
    event_ok
        && matches!(
            word,
            "feedback"
                | "additional"
                | "blocking"
                | "success"
                | "error"
                | "stopped"
                | "non-blocking"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reminders_from_hooks_are_recognized_and_unwrapped() {
        let t = "<system-reminder>\nPostToolUse:Edit hook additional context: [COMPILE ERROR] lib/a.ex\nerror: undefined function f/1\n</system-reminder>";
        let got = from_meta_text(t).unwrap();
        assert!(got.starts_with("PostToolUse:Edit hook additional context: [COMPILE ERROR]"));
        assert!(got.ends_with("undefined function f/1"));
        let stop = "Stop hook feedback:\n[~/scripts/stop.sh]: tests failed";
        assert_eq!(from_meta_text(stop).as_deref(), Some(stop));
    }

    #[test]
    fn other_meta_text_is_not_hook_output() {
        for t in [
            "<local-command-caveat>Caveat: the messages below were generated by the user</local-command-caveat>",
            "<system-reminder>\nThe user opened the file a.rs in the IDE.\n</system-reminder>",
            "we should hook this up later: it is simple",
            "",
        ] {
            assert_eq!(from_meta_text(t), None, "{t}");
        }
    }

    #[test]
    fn attachments_render_like_the_reminders() {
        let a = json!({"type": "hook_additional_context", "hookName": "PostToolUse:Edit",
                       "content": ["[CREDO] lib/x.ex:3 nested too deep"]});
        assert_eq!(
            from_attachment(&a).as_deref(),
            Some("PostToolUse:Edit hook additional context: [CREDO] lib/x.ex:3 nested too deep")
        );
        let b = json!({"type": "hook_blocking_error", "hookName": "PreToolUse:Bash",
                       "blockingError": {"command": "guard.sh", "blockingError": "rm -rf is not allowed"}});
        let got = from_attachment(&b).unwrap();
        assert!(
            got.contains("blocking error from command \"guard.sh\": rm -rf is not allowed"),
            "{got}"
        );
        let silent =
            json!({"type": "hook_success", "hookName": "SessionStart", "stdout": "", "stderr": ""});
        assert_eq!(from_attachment(&silent), None);
        assert_eq!(
            from_attachment(&json!({"type": "file", "content": "x"})),
            None
        );
    }
}
