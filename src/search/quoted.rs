//! Whether a text quotes the query: the query's words, in order and side by side, somewhere in the text (case and
//! punctuation aside). A pasted error message or command is found verbatim where it occurred, while a source line
//! that logs the same message, or a prompt that mentions the command, shares most of its words but not the run.

/// A query of at least three words, as the run to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotedQuery {
    words: Vec<String>,
}

/// Fewer words than this are too common a run to count as a quotation.
const MIN_WORDS: usize = 3;

impl QuotedQuery {
    /// The query's words, or `None` when it has fewer than three.
    pub fn of(query: &str) -> Option<Self> {
        let words = words(query);
        (words.len() >= MIN_WORDS).then_some(QuotedQuery { words })
    }

    /// Whether `text` holds the query's words as one run. Runs once per candidate chunk of every search, so the
    /// text's words are compared in place, without a lowercase copy of each.
    pub fn is_quoted_in(&self, text: &str) -> bool {
        let text: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        text.windows(self.words.len()).any(|run| {
            run.iter()
                .zip(&self.words)
                .all(|(word, wanted)| same_word(word, wanted))
        })
    }
}

/// Whether `word` is `lower` (already lowercase) whatever its case.
fn same_word(word: &str, lower: &str) -> bool {
    if word.is_ascii() {
        word.eq_ignore_ascii_case(lower)
    } else {
        word.to_lowercase() == lower
    }
}

/// Lowercase alphanumeric words, in order.
fn words(text: &str) -> Vec<String> {
    // Split first, as the text is: lowercasing can turn one letter into a letter and a combining mark.
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_s_words_in_one_run_are_a_quotation_whatever_the_case_and_punctuation() {
        let q =
            QuotedQuery::of("[warning] WaitingSummary: transcript parse failed: :file_not_found")
                .unwrap_or_else(|| panic!("long enough"));
        assert!(q.is_quoted_in(
            "21:33:40.374 [warning] WaitingSummary: transcript parse failed: :file_not_found\n..."
        ));
        assert!(q.is_quoted_in("WARNING waitingsummary - Transcript Parse Failed (file_not_found)"));
        // The source line that logs it shares the words but not the run.
        assert!(!q.is_quoted_in(
            r#"Logger.warning("WaitingSummary: transcript parse failed: #{inspect(reason)}")"#
        ));
        assert!(!q.is_quoted_in("transcript parse failed: file_not_found [warning] WaitingSummary"));
        let cmd =
            QuotedQuery::of("mix phx.server 2>&1 | head -80").unwrap_or_else(|| panic!("long"));
        assert!(cmd.is_quoted_in("[tool: Bash] mix phx.server 2>&1 | head -80"));
        assert!(!cmd.is_quoted_in("mix phx.server doesnt seem to start"));
        // Words outside ASCII compare by their lowercase; a run may start inside a repeated word.
        let q = QuotedQuery::of("Größe der Datei").unwrap_or_else(|| panic!("long"));
        assert!(q.is_quoted_in("die GRÖSSE? nein: größe der datei."));
        let q = QuotedQuery::of("İzmir bağlantı hatası").unwrap_or_else(|| panic!("long"));
        assert!(q.is_quoted_in("log: İzmir bağlantı hatası (retry)"));
        let q = QuotedQuery::of("go go gadget").unwrap_or_else(|| panic!("long"));
        assert!(q.is_quoted_in("go go go gadget"));
    }

    #[test]
    fn a_short_query_is_no_quotation() {
        assert_eq!(QuotedQuery::of("git push"), None);
        assert_eq!(QuotedQuery::of("  ...  "), None);
        assert!(QuotedQuery::of("why did we").is_some());
    }
}
