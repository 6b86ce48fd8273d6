//! Splits long messages into chunks that fit the embedding model instead of letting it truncate them.
//!
//! Token counts are *estimated* without the tokenizer (so parsing does not need the model): a WordPiece
//! vocabulary turns each punctuation mark into one token and splits long words into pieces of ~4 characters.
//! The estimate is deliberately high; `tests/chunking_vs_tokenizer.rs` checks it against the real tokenizer.

/// Estimated WordPiece tokens of `text` (excluding [CLS]/[SEP]).
pub fn estimate_tokens(text: &str) -> usize {
    let mut tokens = 0usize;
    let mut word_len = 0usize;
    for ch in text.chars() {
        if ch.is_alphanumeric() && ch.is_ascii() {
            word_len += 1;
            continue;
        }
        tokens += word_tokens(word_len);
        word_len = 0;
        if !ch.is_whitespace() {
            tokens += 1;
        }
    }
    tokens + word_tokens(word_len)
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
    if estimate_tokens(text) <= max_tokens {
        return vec![text.to_string()];
    }
    let mut chunks = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if estimate_tokens(rest) <= max_tokens {
            chunks.push(rest.trim().to_string());
            break;
        }
        let hard_end = prefix_within(rest, max_tokens);
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

/// Byte length of the longest prefix of `text` whose estimate is within `max_tokens` (at least one char).
fn prefix_within(text: &str, max_tokens: usize) -> usize {
    let mut tokens = 0usize;
    let mut word_len = 0usize;
    let mut last_ok = 0usize;
    for (i, ch) in text.char_indices() {
        let boundary_cost = if ch.is_alphanumeric() && ch.is_ascii() {
            word_len += 1;
            0
        } else {
            let c = word_tokens(word_len) + usize::from(!ch.is_whitespace());
            word_len = 0;
            c
        };
        tokens += boundary_cost;
        if tokens + word_tokens(word_len) > max_tokens {
            break;
        }
        last_ok = i + ch.len_utf8();
    }
    if last_ok == 0 {
        text.chars().next().map_or(0, char::len_utf8)
    } else {
        last_ok
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
    fn unbroken_non_ascii_never_splits_a_char() {
        let text = "日本語".repeat(500);
        for c in chunk_text(&text, 50) {
            assert!(!c.is_empty());
            assert!(estimate_tokens(&c) <= 50);
        }
    }
}
