//! A tool result names the file its call read or wrote in its label: `[result: Read /repo/Justfile]`.
//!
//! What a `Read` returns is the file's lines, never its name, so a question naming the file ("what was in the
//! Justfile before we rewrote it?") found the call, whose input names it, and not what the call returned: the
//! result held none of the question's words, and the named-file boost only raises candidates. With the name in
//! the stored text, every lexical index (in memory, published, Qdrant) finds it, and a hit shows the model which
//! file the lines are of. The embedded text keeps the label as the source wrote it: a result embedded with what
//! its call did took on the call's meaning and crowded out calls and answers (docs/search-quality.md).

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
