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
//!
//! Speed: every word of every built-in phrase list gets a small integer id in one static [`Vocabulary`]. Indexing a
//! text looks each of its words up once and keeps the positions of the known ones sorted by id, so finding a phrase
//! is a binary search over integers, and the phrases of a [`PhraseSet`] that can match a text are found from the
//! ids the text contains. Words outside the vocabulary still match (by a scan of the text): the vocabulary only
//! makes the built-in lists fast, it never changes a result.

use std::borrow::Cow;

mod vocabulary;
pub use vocabulary::Vocabulary;
use vocabulary::VOCABULARY;

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
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// [`is_word_char`] for an ASCII byte.
fn is_ascii_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
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

/// Whether [`normalize`] would change `text`: an ASCII uppercase letter or apostrophe, or a non-ASCII char that
/// is an apostrophe or changes when lowercased.
fn needs_normalizing(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii() {
            if b.is_ascii_uppercase() || b == b'\'' {
                return true;
            }
            i += 1;
        } else {
            let Some(c) = char_at(text, i) else {
                return false;
            };
            if needs_change(c) {
                return true;
            }
            i += c.len_utf8();
        }
    }
    false
}

/// The char starting at byte `i` of `text` (`None` at the end or inside a char).
fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|rest| rest.chars().next())
}

/// Lowercases `text` and removes apostrophes. Borrows when nothing needs to change.
pub fn normalize(text: &str) -> Cow<'_, str> {
    if !needs_normalizing(text) {
        return Cow::Borrowed(text);
    }
    // Copy the runs between chars that are removed or lowercased outside ASCII, then lowercase the ASCII letters
    // in place (lowercasing never produces an ASCII uppercase letter, so this is the same as per char).
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut kept = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii() && b != b'\'' {
            i += 1;
            continue;
        }
        let Some(c) = char_at(text, i) else {
            break;
        };
        let len = c.len_utf8();
        if c.is_ascii() || needs_change(c) {
            out.push_str(text.get(kept..i).unwrap_or(""));
            if !is_apostrophe(c) {
                out.extend(c.to_lowercase());
            }
            kept = i + len;
        }
        i += len;
    }
    out.push_str(text.get(kept..).unwrap_or(""));
    out.make_ascii_lowercase();
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

impl Tokens<'_> {
    /// Whether a word char starts at byte `i`, and the byte length of the char there (0 at the end).
    fn word_char_at(&self, i: usize) -> (bool, usize) {
        match self.text.as_bytes().get(i) {
            None => (false, 0),
            Some(&b) if b.is_ascii() => (is_ascii_word_byte(b), 1),
            Some(_) => {
                char_at(self.text, i).map_or((false, 1), |c| (is_word_char(c), c.len_utf8()))
            }
        }
    }
}

impl Iterator for Tokens<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let mut i = self.pos;
        let start = loop {
            match self.word_char_at(i) {
                (_, 0) => {
                    self.pos = self.text.len();
                    return None;
                }
                (true, _) => break i,
                (false, len) => i += len,
            }
        };
        // A word char, or one `-` directly followed by a word char, extends the word.
        let mut end = start;
        loop {
            match self.word_char_at(end) {
                (true, len) => end += len,
                (false, 1) if self.text.as_bytes().get(end) == Some(&b'-') => {
                    match self.word_char_at(end + 1) {
                        (true, len) => end += 1 + len,
                        _ => break,
                    }
                }
                _ => break,
            }
        }
        self.pos = end;
        Some((start, end))
    }
}

/// Whether the gap between two words separates clauses: a newline, or sentence punctuation and whitespace.
fn is_clause_break(gap: &str) -> bool {
    if gap == " " {
        return false;
    }
    let (mut punct, mut space) = (false, false);
    for c in gap.chars() {
        match c {
            '\n' => return true,
            '.' | ',' | ';' | ':' | '!' | '?' | '…' | '—' | '–' => punct = true,
            c if c.is_whitespace() => space = true,
            _ => {}
        }
        if punct && space {
            return true;
        }
    }
    false
}

/// Number of words in `phrase` after normalization (0 for a phrase with no word characters, such as "✅").
pub fn phrase_len(phrase: &str) -> usize {
    tokens(&normalize(phrase)).count()
}

/// A phrase normalized and tokenized once, for lists matched against many texts (build them in a `LazyLock`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    words: Vec<Box<str>>,
    /// Vocabulary id of the first word, if it has one.
    first_id: Option<u32>,
}

impl Phrase {
    pub fn new(phrase: &str) -> Self {
        let norm = normalize(phrase);
        let words: Vec<Box<str>> = tokens(&norm)
            .map(|(s, e)| norm.get(s..e).unwrap_or("").into())
            .collect();
        let first_id = words.first().and_then(|w| VOCABULARY.id(w));
        Phrase { words, first_id }
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
    /// Vocabulary id of a first word -> ascending indices of the phrases starting with it.
    by_first: Vec<Vec<usize>>,
    /// Ascending indices of the phrases whose first word is outside the vocabulary (always candidates).
    unindexed: Vec<usize>,
}

impl PhraseSet {
    pub fn new<'s>(list: impl IntoIterator<Item = &'s str>) -> Self {
        let phrases: Vec<Phrase> = list.into_iter().map(Phrase::new).collect();
        let mut by_first: Vec<Vec<usize>> = vec![Vec::new(); VOCABULARY.len()];
        let mut unindexed = Vec::new();
        for (i, p) in phrases.iter().enumerate() {
            match p.first_id.and_then(|id| by_first.get_mut(id as usize)) {
                Some(list) => list.push(i),
                None if !p.is_empty() => unindexed.push(i),
                None => {}
            }
        }
        PhraseSet {
            phrases,
            by_first,
            unindexed,
        }
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

    /// Whether every phrase's first word is in the vocabulary (so lookups never scan the text).
    pub fn is_fully_indexed(&self) -> bool {
        self.unindexed.is_empty()
    }

    /// Indices of the phrases starting with vocabulary word `id`.
    fn starting_with(&self, id: u32) -> &[usize] {
        self.by_first.get(id as usize).map_or(&[], Vec::as_slice)
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
    /// `(vocabulary id, position)` of every word in the vocabulary, sorted: the positions of one word form a
    /// contiguous ascending run.
    index: Vec<(u32, usize)>,
    /// `negator[i]`: word `i` is in [`NEGATORS`].
    negator: Vec<bool>,
}

impl<'a> Words<'a> {
    /// Tokenizes and indexes `normalized`, which must come from [`normalize`] (see [`with_words`]).
    pub fn new(normalized: &'a str) -> Self {
        let vocab = &*VOCABULARY;
        // About one word per 6 bytes of text.
        let guess = normalized.len() / 6 + 1;
        let mut words = Words {
            tokens: Vec::with_capacity(guess),
            clause_start: Vec::with_capacity(guess),
            index: Vec::with_capacity(guess),
            negator: Vec::with_capacity(guess),
        };
        let mut prev_end = 0;
        for (start, end) in tokens(normalized) {
            let gap = normalized.get(prev_end..start).unwrap_or("");
            let word = normalized.get(start..end).unwrap_or("");
            let pos = words.tokens.len();
            words.clause_start.push(pos == 0 || is_clause_break(gap));
            let id = vocab.id(word);
            words
                .negator
                .push(id.is_some_and(|id| vocab.is_negator(id)));
            if let Some(id) = id {
                words.index.push((id, pos));
            }
            words.tokens.push(word);
            prev_end = end;
        }
        words.index.sort_unstable();
        words
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

    /// Whether word `i` is one of the [`NEGATORS`] (out of range is `false`).
    pub fn is_negator(&self, i: usize) -> bool {
        self.negator.get(i).copied().unwrap_or(false)
    }

    /// The `(id, position)` entries of vocabulary word `id`, positions ascending.
    fn occurrences(&self, id: u32) -> &[(u32, usize)] {
        let lo = self.index.partition_point(|&(w, _)| w < id);
        let hi = self.index.partition_point(|&(w, _)| w <= id);
        self.index.get(lo..hi).unwrap_or(&[])
    }

    /// Ascending positions of the first word of `phrase`: from the index, or by a scan for a word outside the
    /// vocabulary.
    fn first_word_positions<'s>(&'s self, phrase: &'s Phrase) -> impl Iterator<Item = usize> + 's {
        let (indexed, scanned) = match (phrase.first_id, phrase.words.first()) {
            (Some(id), _) => (self.occurrences(id), None),
            (None, first) => (&[][..], first),
        };
        let scanned = scanned.into_iter().flat_map(move |first| {
            (0..self.tokens.len())
                .filter(move |&i| self.tokens.get(i).is_some_and(|t| *t == &**first))
        });
        indexed.iter().map(|&(_, p)| p).chain(scanned)
    }

    /// Whether the words of `phrase` after the first follow position `p` in the same clause.
    fn rest_matches(&self, phrase: &Phrase, p: usize) -> bool {
        phrase.words.iter().enumerate().skip(1).all(|(i, w)| {
            let at = p + i;
            !self.starts_clause(at) && self.tokens.get(at).is_some_and(|t| *t == &**w)
        })
    }

    /// Calls `f(start, len)` for each non-overlapping match of `phrase`, left to right, until `f` returns false.
    fn scan(&self, phrase: &Phrase, mut f: impl FnMut(usize, usize) -> bool) {
        let len = phrase.words.len();
        if len == 0 {
            return;
        }
        let mut next_allowed = 0;
        for p in self.first_word_positions(phrase) {
            if p < next_allowed {
                continue;
            }
            if p + len > self.tokens.len() {
                break;
            }
            if self.rest_matches(phrase, p) {
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

    /// Indices (ascending) of the phrases of `set` that can match: those whose first word occurs in the text, and
    /// those whose first word is outside the vocabulary.
    pub fn candidates(&self, set: &PhraseSet) -> Vec<usize> {
        let mut out: Vec<usize> = set.unindexed.clone();
        for run in self.index.chunk_by(|a, b| a.0 == b.0) {
            if let Some(&(id, _)) = run.first() {
                out.extend_from_slice(set.starting_with(id));
            }
        }
        out.sort_unstable();
        out
    }

    /// Every phrase of `set` that occurs, in set order, with the start positions of its non-overlapping matches.
    pub fn matches_in(&self, set: &PhraseSet) -> Vec<(usize, Vec<usize>)> {
        let mut out = Vec::new();
        self.visit_matches(set, |i, starts| out.push((i, starts.to_vec())));
        out
    }

    /// Calls `f(phrase index, start positions)` for every phrase of `set` that occurs, in set order, with the start
    /// positions of its non-overlapping matches (what [`Words::matches_in`] returns, without allocating per phrase).
    pub fn visit_matches(&self, set: &PhraseSet, mut f: impl FnMut(usize, &[usize])) {
        let mut starts = Vec::new();
        for i in self.candidates(set) {
            let Some(phrase) = set.phrases.get(i) else {
                continue;
            };
            starts.clear();
            self.scan(phrase, |p, _| {
                starts.push(p);
                true
            });
            if !starts.is_empty() {
                f(i, &starts);
            }
        }
    }

    /// Whether one of the `window` words before position `pos`, within the same clause, is a negator.
    pub fn is_negated(&self, pos: usize, window: usize) -> bool {
        let mut j = pos.min(self.tokens.len());
        for _ in 0..window {
            if j == 0 || self.starts_clause(j) {
                return false;
            }
            j -= 1;
            if self.is_negator(j) {
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
mod tests;
