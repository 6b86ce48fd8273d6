//! Whole-word phrase matching shared by every heuristic.
//!
//! A text is normalized once ([`normalize`]: lowercase, apostrophes removed so that "doesn't", "doesn’t" and
//! "doesnt" are the same word), tokenized once into words ([`Tokens`]: runs of alphanumerics and `_`, with a single
//! `-` allowed between word characters, so "end-to-end" is one word), and indexed ([`Words`]) so that many phrases
//! can be looked up cheaply. A phrase is tokenized the same way and matches only whole words in sequence: "auth"
//! matches "auth" and "Auth" but never "author" or "oauth". Plurals and variants must be listed explicitly.
//!
//! Multi-word phrases do not match across a clause break (a newline, or sentence punctuation followed by
//! whitespace), so "that works. Now" is not "works now". Punctuation inside a word-like unit without whitespace
//! (such as the dot in "next.js" or "package.json") is not a break: the phrase "package.json" matches the words
//! `package` `json`.

use std::borrow::Cow;
use std::collections::HashMap;

/// Words that negate the word or phrase that follows them (normalized: apostrophes removed).
pub const NEGATORS: &[&str] = &[
    "not", "no", "never", "dont", "doesnt", "didnt", "isnt", "wasnt", "arent", "werent", "wont",
    "cant", "cannot", "couldnt", "shouldnt", "wouldnt", "hasnt", "havent", "hadnt", "nothing",
    "nobody", "neither", "nor", "aint",
];

/// Characters treated as apostrophes (removed by [`normalize`]).
pub fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{FF07}')
}

/// Characters that make up words (besides a single inner `-`).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn needs_change(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_uppercase() || c == '\''
    } else if is_apostrophe(c) {
        true
    } else {
        let mut lower = c.to_lowercase();
        !(lower.next() == Some(c) && lower.next().is_none())
    }
}

/// Lowercases `text` and removes apostrophes. Borrows when nothing needs to change.
pub fn normalize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_change) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_apostrophe(c) {
            continue;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    Cow::Owned(out)
}

/// Iterator over the words of a (normalized) text, as byte ranges `(start, end)`.
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    text: &'a str,
    pos: usize,
}

/// Tokenizes `text` (which should already be [`normalize`]d) into byte ranges of words.
pub fn tokens(text: &str) -> Tokens<'_> {
    Tokens { text, pos: 0 }
}

impl Iterator for Tokens<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let base = self.pos;
        let rest = self.text.get(base..)?;
        let mut chars = rest.char_indices().map(|(i, c)| (i + base, c));
        let Some((start, first)) = chars.find(|&(_, c)| is_word_char(c)) else {
            self.pos = self.text.len();
            return None;
        };
        let mut end = start + first.len_utf8();
        let mut after_hyphen = false;
        for (i, c) in chars {
            if is_word_char(c) {
                end = i + c.len_utf8();
                after_hyphen = false;
            } else if c == '-' && !after_hyphen && i == end {
                after_hyphen = true;
            } else {
                break;
            }
        }
        self.pos = end;
        Some((start, end))
    }
}

/// Whether the gap between two words separates clauses.
fn is_clause_break(gap: &str) -> bool {
    if gap.contains('\n') {
        return true;
    }
    let punct = gap.contains(['.', ',', ';', ':', '!', '?', '…', '—', '–']);
    punct && gap.chars().any(char::is_whitespace)
}

/// Number of words in `phrase` after normalization (0 for a phrase with no word characters, such as "✅").
pub fn phrase_len(phrase: &str) -> usize {
    tokens(&normalize(phrase)).count()
}

/// A phrase normalized and tokenized once, for lists matched against many texts (build them in a `LazyLock`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    words: Vec<Box<str>>,
}

impl Phrase {
    pub fn new(phrase: &str) -> Self {
        let norm = normalize(phrase);
        let words = tokens(&norm)
            .map(|(s, e)| norm.get(s..e).unwrap_or("").into())
            .collect();
        Phrase { words }
    }

    /// Number of words (0 for a phrase without word characters, which never matches).
    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether the phrase has more than one word.
    pub fn is_multi_word(&self) -> bool {
        self.words.len() > 1
    }
}

/// A list of prepared phrases, indexed by first word so that a text only examines the phrases that can match it.
///
/// Build it once (in a `LazyLock`) from a static list; phrases keep their list order and are referred to by index.
#[derive(Debug, Clone)]
pub struct PhraseSet {
    phrases: Vec<Phrase>,
    /// First word -> ascending indices of the phrases starting with it. Only looked up, never iterated.
    by_first: HashMap<Box<str>, Vec<usize>>,
}

impl PhraseSet {
    pub fn new<'s>(list: impl IntoIterator<Item = &'s str>) -> Self {
        let phrases: Vec<Phrase> = list.into_iter().map(Phrase::new).collect();
        let mut by_first: HashMap<Box<str>, Vec<usize>> = HashMap::new();
        for (i, p) in phrases.iter().enumerate() {
            if let Some(first) = p.words.first() {
                by_first.entry(first.clone()).or_default().push(i);
            }
        }
        PhraseSet { phrases, by_first }
    }

    /// The phrases, in list order.
    pub fn phrases(&self) -> &[Phrase] {
        &self.phrases
    }

    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }
}

/// A phrase argument: a prepared [`Phrase`], or a `&str` tokenized on the spot.
#[derive(Debug)]
pub enum PhraseArg<'p> {
    Prepared(&'p Phrase),
    Owned(Phrase),
}

impl PhraseArg<'_> {
    fn get(&self) -> &Phrase {
        match self {
            PhraseArg::Prepared(p) => p,
            PhraseArg::Owned(p) => p,
        }
    }
}

impl<'p> From<&'p Phrase> for PhraseArg<'p> {
    fn from(p: &'p Phrase) -> Self {
        PhraseArg::Prepared(p)
    }
}

impl From<&str> for PhraseArg<'_> {
    fn from(p: &str) -> Self {
        PhraseArg::Owned(Phrase::new(p))
    }
}

impl From<&&str> for PhraseArg<'_> {
    fn from(p: &&str) -> Self {
        PhraseArg::Owned(Phrase::new(p))
    }
}

/// The words of one normalized text, indexed for fast whole-word phrase lookup.
#[derive(Debug, Clone)]
pub struct Words<'a> {
    tokens: Vec<&'a str>,
    /// `clause_start[i]`: word `i` begins a new clause (there is a clause break between word `i - 1` and `i`).
    clause_start: Vec<bool>,
    /// Every `(word, position)`, sorted, so that the positions of one word form a contiguous ascending run.
    sorted: Vec<(&'a str, usize)>,
    /// Number of distinct words.
    distinct: usize,
}

impl<'a> Words<'a> {
    /// Tokenizes and indexes `normalized`, which must come from [`normalize`] (see [`with_words`]).
    pub fn new(normalized: &'a str) -> Self {
        let mut words = Vec::new();
        let mut clause_start = Vec::new();
        let mut prev_end = 0;
        for (start, end) in tokens(normalized) {
            let gap = normalized.get(prev_end..start).unwrap_or("");
            clause_start.push(words.is_empty() || is_clause_break(gap));
            words.push(normalized.get(start..end).unwrap_or(""));
            prev_end = end;
        }
        let mut sorted: Vec<(&'a str, usize)> =
            words.iter().enumerate().map(|(i, w)| (*w, i)).collect();
        sorted.sort_unstable();
        let distinct = sorted.chunk_by(|a, b| a.0 == b.0).count();
        Words {
            tokens: words,
            clause_start,
            sorted,
            distinct,
        }
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The words in text order.
    pub fn tokens(&self) -> &[&'a str] {
        &self.tokens
    }

    /// Whether word `i` begins a clause (the first word always does; out of range is `true`).
    pub fn starts_clause(&self, i: usize) -> bool {
        self.clause_start.get(i).copied().unwrap_or(true)
    }

    /// Ascending positions of one exact word.
    fn positions(&self, word: &str) -> &[(&'a str, usize)] {
        let lo = self.sorted.partition_point(|(w, _)| *w < word);
        let hi = self.sorted.partition_point(|(w, _)| *w <= word);
        self.sorted.get(lo..hi).unwrap_or(&[])
    }

    /// Calls `f(start, len)` for each non-overlapping match of `phrase`, left to right, until `f` returns false.
    fn scan(&self, phrase: &Phrase, mut f: impl FnMut(usize, usize) -> bool) {
        let Some((first, rest)) = phrase.words.split_first() else {
            return;
        };
        let len = phrase.words.len();
        let mut next_allowed = 0;
        for &(_, p) in self.positions(first) {
            if p < next_allowed {
                continue;
            }
            if p + len > self.tokens.len() {
                break;
            }
            let rest_matches = rest.iter().enumerate().all(|(i, w)| {
                let at = p + 1 + i;
                !self.starts_clause(at) && self.tokens.get(at).is_some_and(|t| *t == &**w)
            });
            if rest_matches {
                next_allowed = p + len;
                if !f(p, len) {
                    return;
                }
            }
        }
    }

    /// Start positions of the non-overlapping whole-word matches of `phrase`.
    pub fn find<'p>(&self, phrase: impl Into<PhraseArg<'p>>) -> Vec<usize> {
        let mut out = Vec::new();
        self.scan(phrase.into().get(), |p, _| {
            out.push(p);
            true
        });
        out
    }

    /// Number of non-overlapping whole-word matches of `phrase`.
    pub fn count<'p>(&self, phrase: impl Into<PhraseArg<'p>>) -> usize {
        let mut n = 0;
        self.scan(phrase.into().get(), |_, _| {
            n += 1;
            true
        });
        n
    }

    /// Whether `phrase` occurs at least once.
    pub fn contains<'p>(&self, phrase: impl Into<PhraseArg<'p>>) -> bool {
        let mut found = false;
        self.scan(phrase.into().get(), |_, _| {
            found = true;
            false
        });
        found
    }

    /// Whether `phrase` occurs at least once without a negator in the `window` words before it (same clause).
    pub fn contains_unnegated<'p>(&self, phrase: impl Into<PhraseArg<'p>>, window: usize) -> bool {
        let mut found = false;
        self.scan(phrase.into().get(), |p, _| {
            found = !self.is_negated(p, window);
            !found
        });
        found
    }

    /// How many of `phrases` occur at least once (each phrase counts once however often it repeats).
    pub fn count_distinct(&self, phrases: &[Phrase]) -> usize {
        phrases.iter().filter(|p| self.contains(*p)).count()
    }

    /// Indices (ascending) of the phrases of `set` whose first word occurs in the text: the only ones that can
    /// match. Looks each distinct word of the text up, or returns every index when the text has more distinct words
    /// than the set has phrases.
    pub fn candidates(&self, set: &PhraseSet) -> Vec<usize> {
        if self.distinct > set.len() {
            return (0..set.len()).collect();
        }
        let mut out: Vec<usize> = self
            .sorted
            .chunk_by(|a, b| a.0 == b.0)
            .filter_map(|run| run.first().and_then(|(w, _)| set.by_first.get(*w)))
            .flatten()
            .copied()
            .collect();
        out.sort_unstable();
        out
    }

    /// Every phrase of `set` that occurs, in set order, with the start positions of its non-overlapping matches.
    pub fn matches_in(&self, set: &PhraseSet) -> Vec<(usize, Vec<usize>)> {
        self.candidates(set)
            .into_iter()
            .filter_map(|i| {
                let found = self.find(set.phrases.get(i)?);
                (!found.is_empty()).then_some((i, found))
            })
            .collect()
    }

    /// Whether one of the `window` words before position `pos`, within the same clause, is a negator.
    pub fn is_negated(&self, pos: usize, window: usize) -> bool {
        let mut j = pos.min(self.tokens.len());
        for _ in 0..window {
            if j == 0 || self.starts_clause(j) {
                return false;
            }
            j -= 1;
            if self.tokens.get(j).is_some_and(|w| NEGATORS.contains(w)) {
                return true;
            }
        }
        false
    }
}

/// Number of non-overlapping whole-word matches of `phrase` in `words` (see [`Words::count`]).
pub fn count_phrase<'p>(words: &Words<'_>, phrase: impl Into<PhraseArg<'p>>) -> usize {
    words.count(phrase)
}

/// Normalizes and indexes `text` once, then runs `f` on its words.
pub fn with_words<R>(text: &str, f: impl FnOnce(&Words<'_>) -> R) -> R {
    let norm = normalize(text);
    let words = Words::new(&norm);
    f(&words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<String> {
        let norm = normalize(text);
        Words::new(&norm)
            .tokens()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn tokenizes_words_with_inner_hyphens_and_underscores() {
        assert_eq!(
            toks("Fix the end-to-end test_case -- now! foo- -bar"),
            ["fix", "the", "end-to-end", "test_case", "now", "foo", "bar"]
        );
        assert_eq!(
            toks("Doesn’t work, isn't it"),
            ["doesnt", "work", "isnt", "it"]
        );
        assert_eq!(
            toks("ÉCOLE naïve 日本語 🎉 ok"),
            ["école", "naïve", "日本語", "ok"]
        );
        assert!(toks("").is_empty());
        assert!(toks("  ✅ -- ... ").is_empty());
    }

    #[test]
    fn whole_words_only() {
        with_words("The author added OAuth, not auth.", |w| {
            assert_eq!(w.count("auth"), 1);
            assert_eq!(w.count("author"), 1);
            assert_eq!(w.count("oauth"), 1);
            assert_eq!(w.count("aut"), 0);
        });
        with_words("authentication authors", |w| assert!(!w.contains("auth")));
    }

    #[test]
    fn multi_word_phrases_and_case() {
        with_words(
            "Here is the Stack Trace; another stack\ntrace; stack trace again",
            |w| {
                assert_eq!(w.count("stack trace"), 2);
                assert_eq!(w.count("STACK TRACE"), 2);
                assert_eq!(w.find("stack trace"), vec![3, 8]);
            },
        );
        with_words("update package.json and next.js", |w| {
            assert!(w.contains("package.json"));
            assert!(w.contains("next.js"));
            assert!(w.contains("json"));
        });
    }

    #[test]
    fn phrases_do_not_cross_clause_breaks() {
        with_words("It works. Now go", |w| assert!(!w.contains("works now")));
        with_words("it works now", |w| assert!(w.contains("works now")));
    }

    #[test]
    fn matches_do_not_overlap() {
        with_words("a a a", |w| assert_eq!(w.count("a a"), 1));
        with_words("a a a a", |w| assert_eq!(w.count("a a"), 2));
    }

    #[test]
    fn apostrophe_variants_are_equal() {
        with_words("it doesn’t work", |w| {
            assert!(w.contains("doesn't work"));
            assert!(w.contains("doesnt work"));
        });
    }

    #[test]
    fn negation_window_stops_at_clause_break() {
        with_words("this is not really working", |w| {
            let p = w.find("working")[0];
            assert!(w.is_negated(p, 2));
            assert!(!w.is_negated(p, 1));
        });
        with_words("No, it is working", |w| {
            let p = w.find("working")[0];
            assert!(!w.is_negated(p, 3));
            assert!(!w.contains_unnegated("nothing", 2));
            assert!(w.contains_unnegated("working", 3));
        });
        with_words("", |w| assert!(!w.is_negated(5, 3)));
    }

    #[test]
    fn empty_phrase_and_text() {
        with_words("", |w| {
            assert!(w.is_empty());
            assert_eq!(w.count("anything"), 0);
        });
        with_words("abc", |w| {
            assert_eq!(w.count(""), 0);
            assert_eq!(w.count("✅"), 0);
        });
        assert_eq!(phrase_len("here's the fix"), 3);
        assert_eq!(phrase_len("✅"), 0);
        let p = Phrase::new("It’s Working");
        assert_eq!(p.len(), 2);
        assert!(p.is_multi_word());
        with_words("its working", |w| assert_eq!(count_phrase(w, &p), 1));
        assert!(Phrase::new("").is_empty());
    }

    #[test]
    fn phrase_set_candidates_and_matches() {
        let set = PhraseSet::new([
            "stack trace",
            "bug",
            "auth",
            "trace",
            "✅",
            "stack overflow",
        ]);
        with_words("Bug: stack trace, bug", |w| {
            assert_eq!(w.candidates(&set), vec![0, 1, 3, 5]);
            assert_eq!(
                w.matches_in(&set),
                vec![(0, vec![1]), (1, vec![0, 3]), (3, vec![2])]
            );
        });
        // More distinct words than phrases: every phrase is a candidate; the result is the same.
        let long = "a b c d e f g h bug stack trace";
        with_words(long, |w| {
            assert_eq!(w.candidates(&set), vec![0, 1, 2, 3, 4, 5]);
            assert_eq!(
                w.matches_in(&set),
                vec![(0, vec![9]), (1, vec![8]), (3, vec![10])]
            );
        });
        with_words("", |w| assert!(w.matches_in(&set).is_empty()));
        let list = [
            Phrase::new("bug"),
            Phrase::new("auth"),
            Phrase::new("stack trace"),
        ];
        with_words("bug bug stack trace", |w| {
            assert_eq!(w.count_distinct(&list), 2)
        });
    }

    #[test]
    fn large_text_is_fast_enough() {
        let text = "the quick brown fox jumps over the lazy dog. ".repeat(3000);
        with_words(&text, |w| {
            assert_eq!(w.count("lazy dog"), 3000);
            assert_eq!(w.count("dog the"), 0);
        });
    }
}
