//! Whether a query is a question in plain words: phrased as a question, and naming no identifier, command flag,
//! path, file or quoted text. Such a question was written from memory, in the asker's words; the words it shares
//! with the history are mostly common ones ("screen", "first", "cards"), which a code chunk matches as readily as
//! the answer does, so its embedding carries more of the evidence than its BM25 (`fuse`).

use super::named_file::named_files;

/// Words that open a question.
const QUESTION_WORDS: &[&str] = &[
    "are", "can", "could", "did", "do", "does", "had", "has", "have", "how", "is", "should", "was",
    "were", "what", "when", "where", "which", "who", "whose", "why", "would",
];

/// Whether `query` is a question in plain words.
pub fn is_plain_question(query: &str) -> bool {
    let query = query.trim();
    let first = query
        .split_whitespace()
        .next()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .unwrap_or_default();
    let asks = query.ends_with('?') || QUESTION_WORDS.contains(&first.as_str());
    asks && !quotes_text(query)
        && named_files(query).is_empty()
        && !query.split_whitespace().any(is_technical)
}

/// Text in double quotes or backticks, or a span opened by a single quote at the start of a word (an apostrophe
/// inside a word, "didn't", does not count).
fn quotes_text(query: &str) -> bool {
    query.contains(['"', '`'])
        || query
            .split_whitespace()
            .any(|w| w.starts_with('\'') && w.len() > 1)
}

/// A token that only code or a command line holds: `snake_case`, `camelCase`, `a.b`, `a::b`, `--flag`, a path,
/// a digit. A slash between two words ("on/off", "fold/unfold") is plain.
fn is_technical(token: &str) -> bool {
    let t = token.trim_end_matches(['?', '!', ',', ';', ':', '.', ')']);
    let t = t.trim_start_matches('(');
    if t.starts_with('-') && t.len() > 1 {
        return true;
    }
    let inner_dot = t.trim_end_matches('.').contains('.');
    let path = t.starts_with('/') || t.starts_with('~') || t.matches('/').count() > 1;
    let camel = t.chars().skip(1).any(char::is_uppercase) && t.chars().any(char::is_lowercase);
    t.contains('_')
        || inner_dot
        || path
        || t.contains("::")
        || camel
        || t.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_in_everyday_words_is_plain() {
        for q in [
            "Where did I first describe wanting a screen that plots how often certain tags appear?",
            "how did we fix the flash messages not rendering",
            "Which on/off switches did the scouting findings propose for a shared row widget?",
            "Why didn't the assistant's first attempt work?",
        ] {
            assert!(is_plain_question(q), "{q}");
        }
    }

    #[test]
    fn a_statement_or_a_question_naming_code_is_not() {
        for q in [
            // Not phrased as a question.
            "flash messages not rendering",
            "mix phx.server 2>&1 | head -80",
            // Questions naming an identifier, a flag, a file, a path, a number or quoted text.
            "Where did we add the getSingleTeamLeadDetails helper?",
            "Why did we stop instead of committing with --no-verify?",
            "What did we change in slice_builder.ex?",
            "What does useTeamLeads.ts fetch?",
            "Why is ~/.codex/sessions empty?",
            "Which commit touched lib/spotter/services/x?",
            "Why did the port 4000 stay busy?",
            "Why was every command printing 'cannot create temp file for here document'?",
            "Why does `cargo test` hang?",
            "What is AshComputer::Dsl doing?",
        ] {
            assert!(!is_plain_question(q), "{q}");
        }
    }
}
