//! What the model embeds for each chunk of a message. The embedder is the scarcest resource on a small machine
//! (tens of texts per second), so not every chunk earns a vector: lexical search covers every chunk, and the
//! embedding goes where it adds meaning that words alone miss.
//!
//! - An assistant chunk is embedded with the start of the prompt it answers after it, so a question asked weeks later in other
//!   words finds the answer through the question it shared with the prompt.
//! - A long tool result is embedded at its head (the command's output starts) and its tail (where errors and
//!   summaries land); its middle is kept for lexical search only.

use crate::message::MessageKind;

/// Longest context prefix, in characters (about 60 tokens of the model's 256).
const MAX_CONTEXT_CHARS: usize = 240;

/// Per chunk: the text to embed, or `None` to keep the chunk lexical-only.
pub fn embed_texts(
    kind: MessageKind,
    chunks: &[String],
    prompt: Option<&str>,
) -> Vec<Option<String>> {
    let last = chunks.len().saturating_sub(1);
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| match kind {
            MessageKind::ToolResult | MessageKind::ToolCall if i != 0 && i != last => None,
            MessageKind::Assistant => Some(with_context(prompt, chunk)),
            _ => Some(chunk.clone()),
        })
        .collect()
}

/// The chunk, then the context line: the model sees at most `embed.max_length` tokens and the tokenizer cuts
/// the end, so a chunk near the limit loses some of its context, never some of itself.
fn with_context(prompt: Option<&str>, chunk: &str) -> String {
    match prompt.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => format!("{chunk}\n\n{}", context_of(p)),
        None => chunk.to_string(),
    }
}

/// The start of a prompt, cut at a word boundary, as remembered for the messages that answer it.
pub fn context_of(prompt: &str) -> String {
    let flat = prompt.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX_CONTEXT_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(MAX_CONTEXT_CHARS).collect();
    match cut.rfind(' ') {
        Some(i) if i > MAX_CONTEXT_CHARS / 2 => cut[..i].to_string(),
        _ => cut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_tool_results_embed_head_and_tail_only() {
        let chunks: Vec<String> = (0..5).map(|i| format!("part {i}")).collect();
        let got = embed_texts(MessageKind::ToolResult, &chunks, Some("run the tests"));
        assert_eq!(got[0].as_deref(), Some("part 0"));
        assert_eq!(got[4].as_deref(), Some("part 4"));
        assert!(got[1..4].iter().all(Option::is_none));
        let one = embed_texts(MessageKind::ToolResult, &chunks[..1], None);
        assert_eq!(one, vec![Some("part 0".to_string())]);
    }

    #[test]
    fn assistant_chunks_carry_the_prompt_they_answer() {
        let chunks = vec!["Use a mutex.".to_string()];
        let got = embed_texts(
            MessageKind::Assistant,
            &chunks,
            Some("  why does the\ncounter race?  "),
        );
        assert_eq!(
            got,
            vec![Some(
                "Use a mutex.\n\nwhy does the counter race?".to_string()
            )]
        );
        let human = embed_texts(MessageKind::Human, &chunks, Some("x"));
        assert_eq!(human, vec![Some("Use a mutex.".to_string())]);
    }

    #[test]
    fn context_is_cut_at_a_word_boundary() {
        let long = "word ".repeat(100);
        let c = context_of(&long);
        assert!(c.chars().count() <= MAX_CONTEXT_CHARS);
        assert!(c.ends_with("word"));
    }
}
