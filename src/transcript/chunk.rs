//! Splits long messages into chunks that fit the embedding model instead of letting it truncate them.
//!
//! Token counts are *estimated* without the tokenizer (so parsing does not need the model): a WordPiece
//! vocabulary turns each punctuation mark into one token and splits long words into pieces of ~4 characters.
//! The estimate is deliberately high; `tests/chunking_vs_tokenizer.rs` checks it against the real tokenizer.

/// Estimated WordPiece tokens of `text` (excluding `[CLS]`/`[SEP]`).
pub fn estimate_tokens(text: &str) -> usize {
    estimate_up_to(text, usize::MAX)
}

/// Whether `text` is estimated at `max_tokens` or fewer, without reading past the point where it is not.
fn fits(text: &str, max_tokens: usize) -> bool {
    // Every token needs at least one byte, so a text this short always fits.
    text.len() <= max_tokens || estimate_up_to(text, max_tokens) <= max_tokens
}

/// [`estimate_tokens`], except that it may stop (returning a value above `limit`) once the estimate exceeds
/// `limit`: the running estimate never decreases, so the answer to "is it within `limit`" is the same.
fn estimate_up_to(text: &str, limit: usize) -> usize {
    let bytes = text.as_bytes();
    let mut tokens = 0usize;
    let mut word_len = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii_alphanumeric() {
            word_len += 1;
            i += 1;
            continue;
        }
        let Some((space, len)) = boundary_char(text, i, b) else {
            break;
        };
        tokens += word_tokens(word_len) + usize::from(!space);
        word_len = 0;
        i += len;
        if tokens > limit {
            return tokens;
        }
    }
    tokens + word_tokens(word_len)
}

/// The char at byte `i` (whose first byte is `b`), known not to be an ASCII letter or digit: whether it is
/// whitespace, and its byte length.
fn boundary_char(text: &str, i: usize, b: u8) -> Option<(bool, usize)> {
    if b.is_ascii() {
        return Some((char::from(b).is_whitespace(), 1));
    }
    let ch = text.get(i..)?.chars().next()?;
    Some((ch.is_whitespace(), ch.len_utf8()))
}

fn word_tokens(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        1 + len / 4
    }
}

/// Splits `text` into chunks of at most `max_tokens` estimated tokens, cutting preferably at a paragraph break,
/// then a line break, then a sentence end, then a space, within the last third of a chunk. Never splits a char.
/// Chunk boundaries depend only on the text before them, so a message that grows keeps its earlier chunks.
pub fn chunk_text(text: &str, max_tokens: usize) -> Vec<String> {
    let max_tokens = max_tokens.max(8);
    if fits(text, max_tokens) {
        return vec![text.to_string()];
    }
    let mut chunks = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (hard_end, whole) = prefix_within(rest, max_tokens);
        if whole {
            chunks.push(rest.trim().to_string());
            break;
        }
        let cut = best_cut(&rest[..hard_end]);
        let (head, tail) = rest.split_at(cut);
        let head = head.trim();
        if !head.is_empty() {
            chunks.push(head.to_string());
        }
        rest = tail.trim_start();
    }
    chunks.retain(|c| !c.is_empty());
    chunks
}

/// Byte length of the longest prefix of `text` whose estimate is within `max_tokens` (at least one char), and
/// whether that is the whole text (its estimate is within `max_tokens`).
fn prefix_within(text: &str, max_tokens: usize) -> (usize, bool) {
    let bytes = text.as_bytes();
    let mut tokens = 0usize;
    let mut word_len = 0usize;
    let mut end = 0usize;
    let mut whole = true;
    while let Some(&b) = bytes.get(end) {
        let len = if b.is_ascii_alphanumeric() {
            word_len += 1;
            1
        } else {
            let Some((space, len)) = boundary_char(text, end, b) else {
                break;
            };
            tokens += word_tokens(word_len) + usize::from(!space);
            word_len = 0;
            len
        };
        if tokens + word_tokens(word_len) > max_tokens {
            whole = false;
            break;
        }
        end += len;
    }
    if end == 0 {
        (text.chars().next().map_or(0, char::len_utf8), whole)
    } else {
        (end, whole)
    }
}

/// Picks a cut point in `window` (a maximal chunk), preferring natural boundaries in its last third.
fn best_cut(window: &str) -> usize {
    let min = window.len() * 2 / 3;
    for pat in ["\n\n", "\n", ". ", "? ", "! ", "; ", " "] {
        if let Some(i) = window.rfind(pat) {
            if i >= min {
                return i + pat.len();
            }
        }
    }
    window.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_chunk() {
        assert_eq!(
            chunk_text("hello world", 100),
            vec!["hello world".to_string()]
        );
    }

    #[test]
    fn estimate_counts_punctuation_and_word_pieces() {
        assert_eq!(estimate_tokens("a b"), 2);
        assert_eq!(estimate_tokens("fn()"), 3);
        assert_eq!(estimate_tokens("internationalization"), 6);
        assert_eq!(estimate_tokens(""), 0);
    }

    #[test]
    fn long_text_splits_within_budget_and_loses_nothing() {
        let para =
            "The borrow checker rejects two mutable borrows of `x` in one scope. ".repeat(20);
        let text = format!("{para}\n\n{para}\n\n{para}");
        let chunks = chunk_text(&text, 120);
        assert!(chunks.len() >= 3, "{}", chunks.len());
        for c in &chunks {
            assert!(estimate_tokens(c) <= 120, "{}", estimate_tokens(c));
        }
        let rejoined: String = chunks.concat().split_whitespace().collect();
        let original: String = text.split_whitespace().collect();
        assert_eq!(rejoined, original);
    }

    #[test]
    fn growing_text_keeps_earlier_chunks() {
        let base = "word ".repeat(400);
        let grown = format!(
            "{base} and then much more text follows here. {}",
            "more ".repeat(300)
        );
        let a = chunk_text(&base, 100);
        let b = chunk_text(&grown, 100);
        assert_eq!(a[..a.len() - 1], b[..a.len() - 1]);
    }

    #[test]
    fn fits_agrees_with_the_full_estimate() {
        for text in [
            "",
            "a b",
            "fn(){}",
            "internationalization ",
            "日本語 and\u{a0}more\u{2003}text — ok?",
            &"word, ".repeat(60),
        ] {
            let est = estimate_tokens(text);
            for max in [0, 1, 2, 3, 8, est.saturating_sub(1), est, est + 1, 500] {
                assert_eq!(fits(text, max), est <= max, "{text:?} {max}");
            }
        }
    }

    #[test]
    fn unbroken_non_ascii_never_splits_a_char() {
        let text = "日本語".repeat(500);
        for c in chunk_text(&text, 50) {
            assert!(!c.is_empty());
            assert!(estimate_tokens(&c) <= 50);
        }
    }
}
