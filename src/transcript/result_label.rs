//! The label that opens a tool result's text, `[result: Read]` or `[result: shell, error]`, written by every
//! source ([`label`]), and the file its call read or wrote named in it ([`with_file_named`]):
//! `[result: Read /repo/Justfile]`.
//!
//! What a `Read` returns is the file's lines, never its name, so a question naming the file ("what was in the
//! Justfile before we rewrote it?") found the call, whose input names it, and not what the call returned: the
//! result held none of the question's words, and the named-file boost only raises candidates. With the name in
//! the stored text, every lexical index (in memory, published, Qdrant) finds it, and a hit shows the model which
//! file the lines are of. The embedded text keeps the label as the source wrote it: a result embedded with what
//! its call did took on the call's meaning and crowded out calls and answers (docs/search-quality.md).

/// The label of a result of the tool `tool` (`None`: its call is unknown), marked when the tool failed.
pub fn label(tool: Option<&str>, is_error: bool) -> String {
    match (tool, is_error) {
        (Some(tool), true) => format!("[result: {tool}, error]"),
        (Some(tool), false) => format!("[result: {tool}]"),
        (None, true) => "[result, error]".to_string(),
        (None, false) => "[result]".to_string(),
    }
}

/// Whether `line` is such a label (a tool result's first line, or the first line of each result in a message
/// holding several).
pub fn is_label(line: &str) -> bool {
    line == "[result]"
        || line == "[result, error]"
        || (line.starts_with("[result: ") && line.ends_with(']'))
}

/// `chunk` (a tool result's first chunk) with `file` named in its `[result: ...]` label; `None` when the chunk
/// has no such label, already holds the file's path (a write's acknowledgement names it), or `file` is empty or
/// spans lines. A path may hold brackets (`app/[slug]/page.tsx`): readers of the label look only at its
/// `[result: ` start and its `, error]` end.
pub fn with_file_named(chunk: &str, file: &str) -> Option<String> {
    let file = file.trim();
    if file.is_empty() || file.contains(['\n', '\r']) || chunk.contains(file) {
        return None;
    }
    let (label, rest) = match chunk.split_once('\n') {
        Some((label, rest)) => (label, Some(rest)),
        None => (chunk, None),
    };
    let inner = label.strip_prefix("[result: ")?.strip_suffix(']')?;
    let (tool, error) = match inner.strip_suffix(", error") {
        Some(tool) => (tool, ", error"),
        None => (inner, ""),
    };
    let named = format!("[result: {tool} {file}{error}]");
    Some(match rest {
        Some(rest) => format!("{named}\n{rest}"),
        None => named,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_names_its_tool_and_marks_an_error() {
        assert_eq!(label(Some("Read"), false), "[result: Read]");
        assert_eq!(label(Some("shell"), true), "[result: shell, error]");
        assert_eq!(label(None, false), "[result]");
        assert_eq!(label(None, true), "[result, error]");
        for tool in [Some("Read"), Some("mcp__x__y"), None] {
            assert!(is_label(&label(tool, false)) && is_label(&label(tool, true)));
        }
        assert!(!is_label("[results follow]") && !is_label("[result: Read"));
        assert_eq!(
            with_file_named(&label(Some("Read"), true), "a.rs").as_deref(),
            Some("[result: Read a.rs, error]"),
            "what label writes, with_file_named reads"
        );
    }

    #[test]
    fn the_label_names_the_file_before_the_error_mark() {
        assert_eq!(
            with_file_named("[result: Read]\n1→check:", "/repo/Justfile").as_deref(),
            Some("[result: Read /repo/Justfile]\n1→check:")
        );
        assert_eq!(
            with_file_named("[result: Read, error]\nFile does not exist.", "src/a.rs").as_deref(),
            Some("[result: Read src/a.rs, error]\nFile does not exist.")
        );
        assert_eq!(
            with_file_named("[result: shell]", "src/app.ts").as_deref(),
            Some("[result: shell src/app.ts]")
        );
    }

    #[test]
    fn a_chunk_already_naming_the_file_or_without_a_label_is_left_alone() {
        let ack = "[result: Edit]\nThe file /p/a.rs has been updated successfully.";
        assert_eq!(with_file_named(ack, "/p/a.rs"), None);
        assert_eq!(with_file_named("[result]\nok", "/p/a.rs"), None);
        assert_eq!(with_file_named("plain text", "/p/a.rs"), None);
        assert_eq!(with_file_named("[result: Read]\nx", ""), None);
        assert_eq!(with_file_named("[result: Read]\nx", "two\nlines"), None);
        assert_eq!(
            with_file_named("[result: Read]\nexport default", "app/[slug]/page.tsx").as_deref(),
            Some("[result: Read app/[slug]/page.tsx]\nexport default"),
            "a route's brackets are part of its path"
        );
    }
}
