//! Whether a query is a question in plain words: phrased as a question, and naming no identifier, command flag,
//! path, file, number, code punctuation or quoted text. Such a question was written from memory, in the asker's words; the words it shares
//! with the history are mostly common ones ("screen", "first", "cards"), which a code chunk matches as readily as
//! the answer does, so its BM25 counts only for prose, not for tool calls and outputs (`fuse::Weighing`).

use super::named_file::named_files;

/// Words that open a question.
const QUESTION_WORDS: &[&str] = &[
    "are", "can", "could", "did", "do", "does", "had", "has", "have", "how", "hows", "is",
    "should", "was", "were", "what", "whats", "when", "where", "wheres", "which", "who", "whos",
    "whose", "why", "would",
];

/// Whether `query` is a question in plain words.
pub fn is_plain_question(query: &str) -> bool {
    let query = query.trim();
    // "What's" and "whats" open a question alike.
    let first: String = query
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let asks = query.ends_with(['?', '？', '؟']) || QUESTION_WORDS.contains(&first.as_str());
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

/// A token that only code or a command line holds: `snake_case`, `camelCase`, `a.b`, `a::b`, `--flag`, `f()`,
/// `$VAR`, `a=b`, `#tag`, a path, a digit. A slash between two words ("on/off", "fold/unfold"), an abbreviation
/// ("e.g.", "U.S."), an ellipsis ("wait...why") and a capital after opening punctuation ("¿Dónde") are plain.
fn is_technical(token: &str) -> bool {
    // A call (`f()`, `render(x)`), not a bracketed aside ("(member counts)").
    let call = token.char_indices().any(|(i, c)| {
        c == '('
            && token[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
    });
    if call
        || token.contains(['=', '$', '{', '}', '<', '>', '|', '[', ']', '\\', '@'])
        || token.starts_with('#')
        || token.contains("::")
        || token.chars().any(|c| c.is_ascii_digit())
    {
        return true;
    }
    let t = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '-' && c != '/' && c != '~');
    if t.starts_with('-') && t.len() > 1 {
        return true;
    }
    let path = t.starts_with('/')
        || t.starts_with('~')
        || t.matches('/').count() > 1
        || (t.contains('/') && t.contains(['-', '.', '_']));
    let word = t.trim_start_matches(|c: char| !c.is_alphanumeric());
    t.contains('_') || dotted(t) || path || camel_case(word)
}

/// `a.b` as code writes it: parts on both sides of a dot, one of them longer than a letter ("phx.server",
/// "main.rs"), and no run of dots.
fn dotted(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() > 1
        && parts.iter().all(|p| !p.is_empty())
        && parts.iter().any(|p| p.chars().count() > 1)
}

/// A capital after the first letter, in a word that has lowercase letters too: `getTeam`, `TeamSheet`. An
/// acronym's plural ("PRs", "APIs") is plain.
fn camel_case(word: &str) -> bool {
    let acronym_plural = word
        .strip_suffix('s')
        .is_some_and(|w| !w.is_empty() && w.chars().all(|c| c.is_uppercase()));
    !acronym_plural
        && word.chars().skip(1).any(char::is_uppercase)
        && word.chars().any(char::is_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_in_everyday_words_is_plain() {
        for q in [
            "Where did I first describe wanting a screen that plots how often certain tags appear?",
            "how did we fix the flash messages not rendering",
            "Which on/off switches did the scouting findings propose for a single shared row widget, e.g. one for \
             snippets and one for debug?",
            "Why didn't the assistant's first attempt work?",
            "Why does the endpoint still return the stats (member counts) for the team?",
            "What's the name of the thing that opened the PRs, i.e. the bot",
            "¿Dónde arreglamos el error del servidor?",
            "wait...why did the build stop?",
            "服务器为什么没有启动？",
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
            "Why does unwrap() panic?",
            "Why is $HOME empty?",
            "Why is foo=bar set?",
            "Which branch, feat/dashboard-refactor or main?",
            "Where did we read src/search/rank?",
        ] {
            assert!(!is_plain_question(q), "{q}");
        }
    }
}
