//! Text cleaning: keep code punctuation and layout, drop base64 payloads, truncate tool output on a char boundary.

/// Runs of base64 alphabet at least this long (with no whitespace) are treated as binary payloads.
const BASE64_MIN_RUN: usize = 200;

/// Removes base64-looking runs and control characters other than newline and tab; trims the ends.
/// Everything else (braces, quotes, `#`, `$`, backticks, indentation) is kept exactly.
pub fn clean(text: &str) -> String {
    let text = strip_base64_runs(text);
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\n' | '\t' => out.push(ch),
            '\r' => {}
            c if c.is_control() => {}
            '\u{feff}' => {}
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
}

/// Replaces every run of >= 200 base64 bytes that contains both digits and letters of both cases with a marker.
pub fn strip_base64_runs(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if is_base64_byte(bytes[i]) {
            let start = i;
            while i < bytes.len() && is_base64_byte(bytes[i]) {
                i += 1;
            }
            if i - start >= BASE64_MIN_RUN && looks_like_base64(&bytes[start..i]) {
                runs.push((start, i));
            }
        } else {
            i += 1;
        }
    }
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

fn looks_like_base64(run: &[u8]) -> bool {
    let upper = run.iter().any(u8::is_ascii_uppercase);
    let lower = run.iter().any(u8::is_ascii_lowercase);
    let digit = run.iter().any(u8::is_ascii_digit);
    upper && lower && digit
}

/// Truncates to at most `max_chars` characters, marking the cut. Never splits a UTF-8 sequence.
pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_string(),
        Some((byte, _)) => {
            let omitted = text[byte..].chars().count();
            format!("{}\n[... {omitted} more characters]", &text[..byte])
        }
    }
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
    fn long_identifiers_are_not_base64() {
        let word = "a".repeat(300);
        assert_eq!(clean(&word), word);
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        let text = "é".repeat(10);
        let t = truncate_chars(&text, 3);
        assert!(t.starts_with("ééé\n[... 7 more characters]"));
        assert_eq!(truncate_chars("short", 10), "short");
    }

    #[test]
    fn wrappers_are_recognised() {
        assert!(is_wrapper_text("<command-name>/mcp</command-name>"));
        assert!(is_wrapper_text("[Request interrupted by user]"));
        assert!(!is_wrapper_text("why does <command-name> appear here?"));
    }
}
