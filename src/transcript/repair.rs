//! Repairs a JSON line that serde_json rejects for lone UTF-16 surrogate escapes (seen in real transcripts).

/// Replaces `\uD800`-`\uDFFF` escapes that do not form a valid pair with `\uFFFD`, so serde_json accepts the line.
pub fn repair_lone_surrogates(s: &str) -> Option<String> {
    if !s.contains("\\u") {
        return None;
    }
    let parse_hex = |h: &str| u16::from_str_radix(h, 16).ok();
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    let mut changed = false;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            if b[i + 1] == b'u' && i + 6 <= b.len() {
                if let Some(cu) = s.get(i + 2..i + 6).and_then(parse_hex) {
                    if (0xD800..0xDC00).contains(&cu) {
                        let low = s
                            .get(i + 6..i + 8)
                            .filter(|p| *p == "\\u")
                            .and_then(|_| s.get(i + 8..i + 12))
                            .and_then(parse_hex);
                        if low.is_some_and(|lo| (0xDC00..0xE000).contains(&lo)) {
                            out.push_str(&s[i..i + 12]);
                            i += 12;
                            continue;
                        }
                        out.push_str("\\uFFFD");
                        changed = true;
                        i += 6;
                        continue;
                    }
                    if (0xDC00..0xE000).contains(&cu) {
                        out.push_str("\\uFFFD");
                        changed = true;
                        i += 6;
                        continue;
                    }
                }
            }
            // Any other escape: copy both bytes so an escaped backslash is not mistaken for an escape start.
            if b[i + 1].is_ascii() {
                out.push_str(&s[i..i + 2]);
                i += 2;
            } else {
                out.push('\\');
                i += 1;
            }
            continue;
        }
        let ch_len = s[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&s[i..i + ch_len]);
        i += ch_len;
    }
    changed.then_some(out)
}
