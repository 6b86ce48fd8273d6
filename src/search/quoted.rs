//! Whether a text quotes the query: the query's words, in order and side by side, somewhere in the text (case and
//! punctuation aside). A pasted error message or command is found verbatim where it occurred, while a source line
//! that logs the same message, or a prompt that mentions the command, shares most of its words but not the run.
//! A query whose punctuation carries meaning (`2>&1 | head -80`, `phx.server`) quoted as written, punctuation and
//! all, is the strongest evidence: the words alone also run through other texts that name the same command.

/// A query of at least three words, as the run to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotedQuery {
    words: Vec<String>,
    /// The query as written (lowercase, runs of whitespace as one space, sentence punctuation and quotes at its
    /// ends trimmed), when it holds punctuation besides its words; `None` when it is words only, as then a
    /// quotation of its words is all there is to match.
    as_written: Option<String>,
}

/// Fewer words than this are too common a run to count as a quotation.
const MIN_WORDS: usize = 3;

/// How much of the query a text quotes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quotation {
    /// All of its words, as one run; `as_written` when the text also holds the whole query as written (its
    /// punctuation and spacing, case aside), not inside a longer word.
    Whole { as_written: bool },
    /// A run of at least 5 of its words and 60% of them (`MIN_PART_WORDS`, `MIN_PART_SHARE`; the share): an error
    /// message pasted with a word changed, or retold with its subject in brackets, still names where it occurred.
    Part(f32),
}

/// Fewest words, and least share of the query's words, a partial quotation runs over (set once, not tuned: 4 words
/// and half, or 6 words and 70%, measured the same on the eval set).
const MIN_PART_WORDS: usize = 5;
const MIN_PART_SHARE: f32 = 0.6;

impl QuotedQuery {
    /// The query's words, or `None` when it has fewer than three.
    pub fn of(query: &str) -> Option<Self> {
        let words = words(query);
        (words.len() >= MIN_WORDS).then(|| QuotedQuery {
            words,
            as_written: as_written(query),
        })
    }

    /// Whether, and how much of, the query `text` quotes: the longest run of the query's words, in order and side
    /// by side, that it holds (case and punctuation aside).
    pub fn quotation_in(&self, text: &str) -> Option<Quotation> {
        let longest = self.longest_run_in(text);
        let n = self.words.len();
        let share = longest as f32 / n as f32;
        if longest == n {
            // Only a text that runs through all the query's words can hold it as written: rare, so the text is
            // normalized only then.
            let as_written = self
                .as_written
                .as_ref()
                .is_some_and(|q| holds_at_word_bounds(&normalized(text), q));
            Some(Quotation::Whole { as_written })
        } else if longest >= MIN_PART_WORDS && share >= MIN_PART_SHARE {
            Some(Quotation::Part(share))
        } else {
            None
        }
    }

    /// The longest common run of words of the query and `text`. Runs once per candidate chunk of every search, so
    /// an ASCII word (most of them) is compared in place; another is lowercased once, not once per query word.
    fn longest_run_in(&self, text: &str) -> usize {
        let n = self.words.len();
        // run[j]: the length of the common run ending at the current text word and the query's word j - 1.
        let mut run = vec![0usize; n + 1];
        let mut longest = 0;
        for word in split_words(text) {
            let lower = (!word.is_ascii()).then(|| word.to_lowercase());
            for j in (1..=n).rev() {
                let wanted = &self.words[j - 1];
                let same = match &lower {
                    None => word.eq_ignore_ascii_case(wanted),
                    Some(lower) => lower == wanted,
                };
                run[j] = if same { run[j - 1] + 1 } else { 0 };
                longest = longest.max(run[j]);
            }
            if longest == n {
                break;
            }
        }
        longest
    }
}

const QUOTES: [char; 3] = ['"', '\'', '`'];

/// The query as written, for a verbatim match (see `QuotedQuery::as_written`).
fn as_written(query: &str) -> Option<String> {
    let mut trimmed = query
        .trim()
        .trim_matches(QUOTES)
        .trim_end_matches(['?', '!', '.', ',', ';', ':'])
        .trim_matches(QUOTES);
    // A command pasted with its shell prompt.
    for prompt in ["$ ", "% ", "> "] {
        trimmed = trimmed.strip_prefix(prompt).unwrap_or(trimmed).trim_start();
    }
    // Prose punctuation (an apostrophe, a comma) is no sign of a command or a log line.
    let has_punctuation = trimmed
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace() && !matches!(c, '\'' | '’' | ','));
    has_punctuation.then(|| normalized(trimmed))
}

/// Whether `text` holds `needle` with no letter or digit right before or after it (`head -80` is not in
/// `head -8000`).
fn holds_at_word_bounds(text: &str, needle: &str) -> bool {
    let alnum_at = |s: Option<char>| s.is_some_and(char::is_alphanumeric);
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        let first = needle.chars().next();
        let last = needle.chars().next_back();
        // A bound matters only where the needle itself starts or ends with a letter or digit.
        let joins_before = alnum_at(first) && alnum_at(before);
        let joins_after = alnum_at(last) && alnum_at(after);
        !joins_before && !joins_after
    })
}

/// Lowercase, with every run of whitespace as one space.
fn normalized(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Alphanumeric words, in order, as written.
fn split_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Lowercase alphanumeric words, in order.
fn words(text: &str) -> Vec<String> {
    // Split first, as the text is: lowercasing can turn one letter into a letter and a combining mark.
    split_words(text).map(str::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(q: &QuotedQuery, text: &str) -> bool {
        matches!(q.quotation_in(text), Some(Quotation::Whole { .. }))
    }

    fn as_written(q: &QuotedQuery, text: &str) -> bool {
        q.quotation_in(text) == Some(Quotation::Whole { as_written: true })
    }

    #[test]
    fn a_quotation_with_the_query_s_punctuation_is_as_written() {
        let cmd =
            QuotedQuery::of("mix phx.server 2>&1 | head -80").unwrap_or_else(|| panic!("long"));
        assert!(as_written(
            &cmd,
            "[tool: Bash] MIX phx.server  2>&1 |\n head -80 Start it"
        ));
        // The same words, other punctuation: a whole quotation, not as written.
        assert!(whole(&cmd, "mix phx server 2 1 head 80"));
        assert!(!as_written(&cmd, "mix phx server 2 1 head 80"));
        // Holding the query as a string is not enough: its words must be whole, and the string must be too.
        assert!(!whole(&cmd, "mix phx.server 2>&1 | head -8000"));
        assert!(!as_written(
            &cmd,
            "mix phx.server 2>&1 | head -8000, then: mix phx server 2 1 head 80"
        ));
        // Pasted with its shell prompt.
        let prompted =
            QuotedQuery::of("$ mix phx.server 2>&1 | head -80").unwrap_or_else(|| panic!("long"));
        assert!(as_written(
            &prompted,
            "[tool: Bash] mix phx.server 2>&1 | head -80"
        ));
        // Apostrophes and commas are prose: a question that repeats an earlier prompt is only a quotation.
        let prose =
            QuotedQuery::of("why didn't the tests run, again").unwrap_or_else(|| panic!("long"));
        assert_eq!(
            prose.quotation_in("why didn't the tests run, again?"),
            Some(Quotation::Whole { as_written: false })
        );
        // A query of words only has nothing more to match; a question mark or quotes around it do not count.
        let plain = QuotedQuery::of("still compiling deps").unwrap_or_else(|| panic!("long"));
        assert_eq!(
            plain.quotation_in("Still compiling deps."),
            Some(Quotation::Whole { as_written: false })
        );
        let asked =
            QuotedQuery::of("\"why did we add .coverage?\"").unwrap_or_else(|| panic!("long"));
        assert!(as_written(&asked, "so: why did we add .coverage to it"));
        assert!(!as_written(&asked, "why did we add coverage"));
    }

    #[test]
    fn most_of_the_query_in_one_run_is_a_partial_quotation() {
        let q = QuotedQuery::of(
            "warning: Entity without __spark_metadata__ field is deprecated (AshComputer.Dsl.Computer)",
        )
        .unwrap_or_else(|| panic!("long enough"));
        // 8 of its 11 words in one run; the bracketed subject comes later in the text.
        let logged = "warning: Entity without __spark_metadata__ field is deprecated. Entity AshComputer.Dsl.Computer does not define it";
        assert_eq!(q.quotation_in(logged), Some(Quotation::Part(8.0 / 11.0)));
        // The subject and a few words: no run long enough.
        assert_eq!(
            q.quotation_in("defmodule AshComputer.Dsl.Computer do ... deprecated field"),
            None
        );
        // Five words in one run, but not 60% of a long question.
        let long = QuotedQuery::of(
            "why did we change the way the summary is built when the transcript file is missing",
        )
        .unwrap_or_else(|| panic!("long enough"));
        assert_eq!(long.quotation_in("so why did we change the plan?"), None);
        // A whole quotation is whole however long.
        assert_eq!(
            q.quotation_in("x warning Entity without spark metadata field is deprecated AshComputer Dsl Computer y"),
            Some(Quotation::Whole { as_written: false })
        );
    }

    #[test]
    fn the_query_s_words_in_one_run_are_a_quotation_whatever_the_case_and_punctuation() {
        let q =
            QuotedQuery::of("[warning] WaitingSummary: transcript parse failed: :file_not_found")
                .unwrap_or_else(|| panic!("long enough"));
        assert!(whole(
            &q,
            "21:33:40.374 [warning] WaitingSummary: transcript parse failed: :file_not_found\n..."
        ));
        assert!(whole(
            &q,
            "WARNING waitingsummary - Transcript Parse Failed (file_not_found)"
        ));
        // The source line that logs it shares the words but not the run.
        assert!(!whole(
            &q,
            r#"Logger.warning("WaitingSummary: transcript parse failed: #{inspect(reason)}")"#
        ));
        assert!(!whole(
            &q,
            "transcript parse failed: file_not_found [warning] WaitingSummary"
        ));
        let cmd =
            QuotedQuery::of("mix phx.server 2>&1 | head -80").unwrap_or_else(|| panic!("long"));
        assert!(whole(&cmd, "[tool: Bash] mix phx.server 2>&1 | head -80"));
        assert!(!whole(&cmd, "mix phx.server doesnt seem to start"));
        // Words outside ASCII compare by their lowercase; a run may start inside a repeated word.
        let q = QuotedQuery::of("Größe der Datei").unwrap_or_else(|| panic!("long"));
        assert!(whole(&q, "die GRÖSSE? nein: größe der datei."));
        let q = QuotedQuery::of("İzmir bağlantı hatası").unwrap_or_else(|| panic!("long"));
        assert!(whole(&q, "log: İzmir bağlantı hatası (retry)"));
        let q = QuotedQuery::of("go go gadget").unwrap_or_else(|| panic!("long"));
        assert!(whole(&q, "go go go gadget"));
    }

    #[test]
    fn a_short_query_is_no_quotation() {
        assert_eq!(QuotedQuery::of("git push"), None);
        assert_eq!(QuotedQuery::of("  ...  "), None);
        assert!(QuotedQuery::of("why did we").is_some());
    }
}
