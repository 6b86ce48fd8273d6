//! Decoding one JSONL line the way every line-based source does: without a BOM or a trailing CR, invalid UTF-8
//! replaced, and a line that serde_json rejects for lone UTF-16 surrogate escapes (seen in real transcripts)
//! repaired and decoded again.

/// A line's bytes without a BOM or a trailing CR; `None` for a blank line (nothing to decode).
pub fn content(line: &[u8]) -> Option<&[u8]> {
    let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    (!line.iter().all(u8::is_ascii_whitespace)).then_some(line)
}

/// Decodes `line` with `decode`: invalid UTF-8 is replaced first, and when `decode` fails, a line with lone
/// surrogate escapes is repaired and decoded again (so `decode` must change nothing when it fails). Returns what
/// was repaired, if anything, or `decode`'s first error.
pub fn decode_repairing<T>(
    line: &[u8],
    mut decode: impl FnMut(&str) -> Result<T, String>,
) -> Result<(T, Option<String>), String> {
    let (text, repaired): (std::borrow::Cow<'_, str>, _) = match std::str::from_utf8(line) {
        Ok(s) => (s.into(), None),
        Err(e) => (
            String::from_utf8_lossy(line).into_owned().into(),
            Some(format!(
                "invalid UTF-8 at line byte {} replaced",
                e.valid_up_to()
            )),
        ),
    };
    match decode(&text) {
        Ok(v) => Ok((v, repaired)),
        Err(err) => {
            let Some(fixed) = repair_lone_surrogates(&text) else {
                return Err(err);
            };
            let v = decode(&fixed).map_err(|_| err)?;
            let what = "lone UTF-16 surrogate escapes replaced";
            Ok((
                v,
                Some(repaired.map_or(what.to_string(), |r| format!("{r}; {what}"))),
            ))
        }
    }
}

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
