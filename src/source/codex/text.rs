//! The person's words in a `role: user` item: Codex also sends the model injected context as user text
//! (environment, AGENTS.md and permission instructions, IDE context, abort notices), which is not what the person
//! typed and is dropped here.

/// Heads of injected user-role text, matched case-insensitively after leading whitespace (as Codex itself
/// recognises its contextual fragments). The whole part is dropped.
const INJECTED_PREFIXES: [&str; 11] = [
    "<environment_context>",
    "<user_instructions>",
    "<INSTRUCTIONS>",
    "# AGENTS.md instructions",
    "<permissions instructions>",
    "<collaboration_mode>",
    "<turn_aborted>",
    "<subagent_notification>",
    "<skill>",
    "<plugins>",
    "<subagents>",
];

/// A `!command` the person ran in the Codex TUI: their own action, kept without its wrapper tags.
const SHELL_OPEN: &str = "<user_shell_command>";
const SHELL_CLOSE: &str = "</user_shell_command>";

/// The IDE extension's preamble (open tabs, active file); the request follows [`IDE_REQUEST`].
const IDE_CONTEXT: &str = "# Context from my IDE setup:";
const IDE_REQUEST: &str = "## My request for Codex:";

/// What the person wrote in one user text part, trimmed: `None` when the part is injected context (or IDE
/// context without a request heading). An empty result is possible (a blank part).
pub fn user_part(text: &str) -> Option<&str> {
    let t = text.trim();
    if INJECTED_PREFIXES.iter().any(|p| starts_with_ci(t, p)) {
        return None;
    }
    if starts_with_ci(t, SHELL_OPEN) {
        let inner = t.get(SHELL_OPEN.len()..).unwrap_or("").trim_end();
        let inner = if ends_with_ci(inner, SHELL_CLOSE) {
            inner
                .get(..inner.len() - SHELL_CLOSE.len())
                .unwrap_or(inner)
        } else {
            inner
        };
        return Some(inner.trim());
    }
    if t.starts_with(IDE_CONTEXT) {
        let at = t.find(IDE_REQUEST)?;
        return Some(t.get(at + IDE_REQUEST.len()..).unwrap_or("").trim());
    }
    Some(t)
}

/// Whether a user text part is one of Codex's contextual fragments (injected context, or a `!command` the person
/// ran): a user message holding one is not a turn of the conversation for Codex (`thread_rolled_back` counts
/// turns).
pub fn is_contextual(text: &str) -> bool {
    let t = text.trim();
    starts_with_ci(t, SHELL_OPEN) || INJECTED_PREFIXES.iter().any(|p| starts_with_ci(t, p))
}

/// `s` starts with `prefix`, ASCII case-insensitively (false when the cut is not on a char boundary).
fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.get(s.len() - suffix.len()..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
}

/// Whether `s` reads as an RFC 3339 timestamp (`YYYY-MM-DDTHH:MM...`), as Codex writes them; sanitized
/// placeholders and other values are not timestamps.
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r)
            .is_some_and(|d| !d.is_empty() && d.iter().all(u8::is_ascii_digit))
    };
    digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(b.get(10), Some(b'T' | b't' | b' '))
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_context_is_dropped() {
        for t in [
            "<environment_context>\n  <cwd>/p</cwd>\n</environment_context>",
            "  <user_instructions>be terse</user_instructions>",
            "# AGENTS.md instructions for /p\n\n<INSTRUCTIONS>\nx\n</INSTRUCTIONS>",
            "<ENVIRONMENT_CONTEXT>x</ENVIRONMENT_CONTEXT>",
            "<turn_aborted>\nThe user interrupted\n</turn_aborted>",
            "<permissions instructions>x",
            "<skill>\n<name>x</name>\n</skill>",
        ] {
            assert_eq!(user_part(t), None, "{t}");
        }
        assert_eq!(
            user_part("  fix the <environment_context> parser "),
            Some("fix the <environment_context> parser")
        );
    }

    #[test]
    fn ide_context_keeps_the_request() {
        let t = "# Context from my IDE setup:\n\n## Open tabs:\n- a.ts\n\n## My request for Codex:\nCan you present the plan now?\n";
        assert_eq!(user_part(t), Some("Can you present the plan now?"));
        assert_eq!(
            user_part("# Context from my IDE setup:\n\n## Open tabs:\n- a.ts\n"),
            None
        );
    }

    #[test]
    fn shell_commands_lose_their_tags() {
        let t = "<user_shell_command>\n<command>\nls\n</command>\n<result>\nExit code: 0\n</result>\n</user_shell_command>";
        assert_eq!(
            user_part(t),
            Some("<command>\nls\n</command>\n<result>\nExit code: 0\n</result>")
        );
        assert_eq!(user_part("<user_shell_command>"), Some(""));
    }

    #[test]
    fn timestamps_are_recognised() {
        assert!(is_timestamp("2025-09-25T02:12:23.966Z"));
        assert!(is_timestamp("2026-08-03 10:48"));
        assert!(!is_timestamp("[trimmed for fixture]"));
        assert!(!is_timestamp("2025-09-25"));
        assert!(!is_timestamp("é"));
    }
}
