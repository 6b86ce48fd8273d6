//! Query expansion: everyday words in a question add the technical terms a transcript would use for them.
//!
//! A person looking for a past solution often no longer has its words: they ask how "the first attempt to upload
//! the work bounced" when the transcript says `git push` was rejected. Neither BM25 nor a small embedding model
//! bridges such a vocabulary gap. The thesaurus (`src/search/lists/thesaurus.txt`, data) maps everyday phrases to
//! the technical terms they stand for. It was written from general knowledge of software vocabulary, without
//! looking at the evaluation questions or the transcripts they are about, so what it gains on `make eval` is not
//! fitted to that set.
//!
//! How the terms are used was measured (`make eval`, docs/search-quality.md): the query with its terms appended is
//! embedded as a second phrasing, and a chunk's semantic evidence is the better of its two cosines. Adding the
//! terms to the BM25 query instead lost more than it found (common technical words match many chunks).
//!
//! Matching is by word stems (a crude suffix strip: "uploaded", "uploading" and "uploads" all match "upload"), as a
//! contiguous run of the query's words.

use std::sync::LazyLock;

/// The built-in thesaurus, compiled in.
const THESAURUS_TEXT: &str = include_str!("lists/thesaurus.txt");

/// Most terms one query gains: a long question can match many phrases, and each added term dilutes the others.
const MAX_EXPANSION_TERMS: usize = 12;

static THESAURUS: LazyLock<Thesaurus> = LazyLock::new(|| Thesaurus::parse(THESAURUS_TEXT));

/// The technical terms the everyday phrases of `query` stand for, in thesaurus order, without the ones the query
/// already holds; at most `MAX_EXPANSION_TERMS`.
pub fn expansion(query: &str) -> Vec<String> {
    THESAURUS.expansion(query)
}

/// The second phrasing of a query: the query, then its expansion.
pub fn expanded_query(query: &str, expansion: &[String]) -> String {
    if expansion.is_empty() {
        return query.to_string();
    }
    format!("{query} {}", expansion.join(" "))
}

/// One line of the thesaurus: technical terms, and the everyday phrases (as word stems) that stand for them.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    terms: Vec<String>,
    phrases: Vec<Vec<String>>,
}

#[derive(Debug, Default)]
struct Thesaurus {
    entries: Vec<Entry>,
}

impl Thesaurus {
    /// Parses `terms => phrases` lines (each side `|`-separated; `#` comments and blank lines skipped). A line
    /// without `=>` or with an empty side is skipped: the file is built-in data, checked by a unit test.
    fn parse(text: &str) -> Self {
        let entries = text
            .lines()
            .filter_map(|line| {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    return None;
                }
                let (terms, phrases) = line.split_once("=>")?;
                let terms: Vec<String> = split_side(terms).map(str::to_lowercase).collect();
                let phrases: Vec<Vec<String>> = split_side(phrases)
                    .map(stems)
                    .filter(|p| !p.is_empty())
                    .collect();
                (!terms.is_empty() && !phrases.is_empty()).then_some(Entry { terms, phrases })
            })
            .collect();
        Thesaurus { entries }
    }

    fn expansion(&self, query: &str) -> Vec<String> {
        let words = stems(query);
        // A term the query already holds as a whole lexical token is not re-added ("push" to "git push"), but
        // one inside a longer token is ("push" to "pushover").
        let present: std::collections::HashSet<String> =
            crate::lexical::tokens(query).into_iter().collect();
        let mut out: Vec<String> = Vec::new();
        for entry in &self.entries {
            if !entry.phrases.iter().any(|p| contains_run(&words, p)) {
                continue;
            }
            for term in &entry.terms {
                for word in term.split_whitespace() {
                    let new = !out.iter().any(|t| t == word) && !present.contains(word);
                    if new && out.len() < MAX_EXPANSION_TERMS {
                        out.push(word.to_string());
                    }
                }
            }
        }
        out
    }
}

fn split_side(side: &str) -> impl Iterator<Item = &str> {
    side.split('|').map(str::trim).filter(|s| !s.is_empty())
}

/// Whether `haystack` holds `needle` as a contiguous run.
fn contains_run(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The stems of a text's words, in order.
fn stems(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(stem)
        .collect()
}

/// A crude English stem: enough that inflections of one word meet ("uploads", "uploaded", "uploading" ->
/// "upload"; "fixes" -> "fix"), not a linguistic one. A word is never cut down to a function word: "theming"
/// would become "them", and every question saying "them" would be searched for dark mode.
fn stem(word: &str) -> String {
    let stemmed = strip_suffix(word);
    if stemmed != word && crate::lexical::is_stop_word(&stemmed) {
        return word.to_string();
    }
    stemmed
}

fn strip_suffix(word: &str) -> String {
    let strip = |w: &str, suffix: &str, min_left: usize| -> Option<String> {
        w.strip_suffix(suffix)
            .filter(|rest| rest.chars().count() >= min_left)
            .map(str::to_string)
    };
    let w = word;
    let stemmed = strip(w, "ing", 3)
        .or_else(|| strip(w, "ied", 2).map(|r| r + "y"))
        .or_else(|| strip(w, "ies", 2).map(|r| r + "y"))
        .or_else(|| strip(w, "ed", 3))
        .or_else(|| strip(w, "es", 3).filter(|r| r.ends_with(['s', 'x', 'z', 'h'])))
        .or_else(|| {
            (!w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is"))
                .then(|| strip(w, "s", 3))
                .flatten()
        })
        .unwrap_or_else(|| w.to_string());
    // "stopped" -> "stopp" -> "stop"; "committed" -> "commit".
    let b = stemmed.as_bytes();
    let n = b.len();
    if stemmed.len() != w.len()
        && n >= 4
        && b[n - 1] == b[n - 2]
        && !matches!(b[n - 1], b'l' | b's' | b'z')
    {
        return stemmed[..n - 1].to_string();
    }
    stemmed
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# a comment\n\
        push | git push => upload | send up | put online\n\
        toggle => on/off switch | switch on and off\n\
        syntax highlighting | highlight => syntax coloring\n\
        broken line without an arrow\n\
        => nothing on the left\n";

    #[test]
    fn the_built_in_thesaurus_parses_every_line() {
        let lines = THESAURUS_TEXT
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .count();
        assert!(lines >= 100, "only {lines} groups");
        assert_eq!(THESAURUS.entries.len(), lines, "a line does not parse");
    }

    #[test]
    fn an_everyday_phrase_adds_its_terms_in_any_inflection() {
        let t = Thesaurus::parse(SAMPLE);
        assert_eq!(t.entries.len(), 3);
        assert_eq!(
            t.expansion("Our first attempt to upload the finished work bounced"),
            ["push", "git"]
        );
        assert_eq!(t.expansion("we uploaded it"), ["push", "git"]);
        assert_eq!(t.expansion("where is the On/Off switch?"), ["toggle"]);
        assert_eq!(
            t.expansion("syntax colouring"),
            Vec::<String>::new(),
            "only listed spellings match"
        );
        assert_eq!(
            t.expansion("how did syntax coloring work"),
            ["highlighting", "highlight"],
            "the query's own words are not repeated"
        );
    }

    #[test]
    fn words_the_query_already_has_are_not_added() {
        let t = Thesaurus::parse(SAMPLE);
        assert_eq!(t.expansion("git push: upload failed"), Vec::<String>::new());
        assert!(
            t.expansion("a switch").is_empty(),
            "a phrase matches only whole"
        );
    }

    #[test]
    fn stems_meet_across_inflections() {
        for (a, b) in [
            ("uploads", "upload"),
            ("uploaded", "upload"),
            ("uploading", "upload"),
            ("fixes", "fix"),
            ("stopped", "stop"),
            ("committed", "commit"),
            ("dependencies", "dependency"),
            ("status", "status"),
            ("class", "class"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} vs {b}");
        }
        // Never a function word: the pronoun does not meet the theme.
        assert_ne!(stem("theming"), stem("them"));
        assert_eq!(stem("theming"), "theming");
        assert!(
            expansion("Why did we add them to .gitignore instead of committing them?")
                .iter()
                .all(|t| !t.contains("theme")),
            "{:?}",
            expansion("Why did we add them to .gitignore instead of committing them?")
        );
    }

    #[test]
    fn the_expanded_query_appends_the_terms() {
        assert_eq!(expanded_query("q", &[]), "q");
        assert_eq!(
            expanded_query("upload it", &["push".into(), "git".into()]),
            "upload it push git"
        );
    }
}
