//! Text cleaning: keep code punctuation and layout, drop base64 payloads, truncate tool output on a char boundary.

/// Runs of base64 alphabet at least this long (with no whitespace) are treated as binary payloads.
const BASE64_MIN_RUN: usize = 200;

/// Removes base64-looking runs and control characters other than newline and tab; trims the ends.
/// Everything else (braces, quotes, `#`, `$`, backticks, indentation) is kept exactly.
pub fn clean(text: &str) -> String {
    let text = strip_base64_runs(text);
    let mut out = String::new();
    // Start of the text not yet copied to `out`; dropped chars are skipped by copying the runs between them.
    let mut kept = 0;
    let mut i = 0;
    while let Some(len) = next_maybe_dropped(&text, &mut i) {
        let dropped = text
            .get(i..)
            .and_then(|rest| rest.chars().next())
            .is_some_and(is_dropped);
        if dropped {
            out.push_str(text.get(kept..i).unwrap_or(""));
            kept = i + len;
        }
        i += len;
    }
    if kept == 0 {
        return text.trim().to_string();
    }
    out.push_str(text.get(kept..).unwrap_or(""));
    let trimmed = out.trim();
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

/// Chars removed by [`clean`]: control characters other than newline and tab (so `\r` too), and the BOM.
fn is_dropped(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || c == '\u{feff}'
}

/// Advances `i` to the next byte that may start a dropped char (ASCII controls, and the lead bytes of the C1
/// controls `U+0080..=U+009F` and of the BOM `U+FEFF`), returning the byte length of the char there.
fn next_maybe_dropped(text: &str, i: &mut usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let offset = bytes
        .get(*i..)?
        .iter()
        .position(|&b| b < 0x20 || b == 0x7f || b == 0xc2 || b == 0xef)?;
    *i += offset;
    let len = text.get(*i..)?.chars().next()?.len_utf8();
    Some(len)
}

/// Bytes of the base64 alphabet (with the URL-safe `-` and `_`).
static BASE64_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'-' | b'_');
        b += 1;
    }
    table
};

fn is_base64_byte(b: u8) -> bool {
    BASE64_BYTES[usize::from(b)]
}

/// Replaces every run of >= 200 base64 bytes that contains both digits and letters of both cases with a marker.
fn strip_base64_runs(text: &str) -> std::borrow::Cow<'_, str> {
    let runs = long_base64_runs(text.as_bytes());
    if runs.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in runs {
        // Run boundaries are ASCII bytes, so these are char boundaries.
        out.push_str(&text[last..start]);
        out.push_str("[binary data omitted]");
        last = end;
    }
    out.push_str(&text[last..]);
    std::borrow::Cow::Owned(out)
}

/// The maximal runs of base64 bytes at least [`BASE64_MIN_RUN`] long that look like base64, as byte ranges.
///
/// Skips ahead like Boyer-Moore: `start` is always 0 or just after a non-base64 byte, so a long run starting at
/// `start` needs the whole window `start..start + BASE64_MIN_RUN` in the alphabet; the window is checked from its
/// end, and when a non-base64 byte is found no long run can start at or before it.
fn long_base64_runs(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = 0;
    while let Some(window) = bytes.get(start..start + BASE64_MIN_RUN) {
        if let Some(k) = window.iter().rposition(|&b| !is_base64_byte(b)) {
            start += k + 1;
            continue;
        }
        let run = bytes.get(start..).unwrap_or(&[]);
        let len = run
            .iter()
            .position(|&b| !is_base64_byte(b))
            .unwrap_or(run.len());
        let end = start + len;
        if looks_like_base64(bytes.get(start..end).unwrap_or(&[])) {
            runs.push((start, end));
        }
        // `bytes[end]` is not base64 (or is the end).
        start = end + 1;
    }
    runs
}

fn looks_like_base64(run: &[u8]) -> bool {
    let upper = run.iter().any(u8::is_ascii_uppercase);
    let lower = run.iter().any(u8::is_ascii_lowercase);
    let digit = run.iter().any(u8::is_ascii_digit);
    upper && lower && digit
}

/// `text` cut to about `max_chars` characters by dropping its middle (three fifths kept from the head, two from
/// the tail), with a marker saying how much was left out.
pub fn truncate_middle(text: &str, max_chars: usize) -> String {
    let total = text.chars().count();
    if total <= max_chars {
        return text.to_string();
    }
    let head = max_chars * 3 / 5;
    let tail = max_chars - head;
    let head_end = text.char_indices().nth(head).map_or(text.len(), |(b, _)| b);
    let tail_start = text
        .char_indices()
        .nth(total - tail)
        .map_or(text.len(), |(b, _)| b);
    format!(
        "{}\n[... {} characters omitted ...]\n{}",
        &text[..head_end],
        total - head - tail,
        &text[tail_start..]
    )
}

/// True for user-line texts that are command wrappers or interruption notices, not something the person wrote.
pub fn is_wrapper_text(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("<command-name>")
        || t.starts_with("<command-message>")
        || t.starts_with("<command-args>")
        || t.starts_with("<local-command-stdout>")
        || t.starts_with("<local-command-stderr>")
        || t.starts_with("<local-command-caveat>")
        || t.starts_with("[Request interrupted by user")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_code_punctuation() {
        let code =
            "fn main() {\n    let x = vec![1, 2]; // #[derive] $HOME `tick` \"q\" 'c' <T>\n}";
        assert_eq!(clean(code), code);
    }

    #[test]
    fn strips_base64_payloads() {
        let payload = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg"
            .repeat(4);
        let text = format!("before {payload} after");
        let cleaned = clean(&text);
        assert_eq!(cleaned, "before [binary data omitted] after");
    }

    #[test]
    fn drops_controls_and_bom_but_keeps_other_chars() {
        // U+0085 and U+009F are C1 controls (lead byte 0xC2), like "¢" (kept); U+FEFF is the BOM (lead byte 0xEF),
        // like "ﬀ" (kept).
        let text = "  a\r\nb\u{7}\u{85}c\u{9f}¢\u{feff}ﬀ\td\u{0}  ";
        assert_eq!(clean(text), "a\nbc¢ﬀ\td");
        assert_eq!(clean("\u{feff}  x  "), "x");
        assert_eq!(clean(""), "");
    }

    #[test]
    fn base64_runs_are_found_at_any_offset_and_length() {
        let unit = "aB3+"; // letters of both cases and a digit
        for (before, len) in [
            ("", 200),
            ("x ", 199),
            ("x y z ", 200),
            ("", 201),
            ("q.", 450),
        ] {
            let run: String = unit.repeat(len / 4 + 1).chars().take(len).collect();
            let text = format!("{before}{run} tail {run}");
            let expected = if len >= BASE64_MIN_RUN {
                format!("{before}[binary data omitted] tail [binary data omitted]")
            } else {
                text.clone()
            };
            assert_eq!(strip_base64_runs(&text), expected, "{before:?} {len}");
        }
    }

    #[test]
    fn long_identifiers_are_not_base64() {
        let word = "a".repeat(300);
        assert_eq!(clean(&word), word);
    }

    #[test]
    fn wrappers_are_recognised() {
        assert!(is_wrapper_text("<command-name>/mcp</command-name>"));
        assert!(is_wrapper_text("[Request interrupted by user]"));
        assert!(!is_wrapper_text("why does <command-name> appear here?"));
    }
}
