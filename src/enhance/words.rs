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
use std::sync::LazyLock;

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

/// FxHash of a word: fast, and good enough for the short trusted keys of the static [`Vocabulary`].
fn word_hash(word: &str) -> u64 {
    let mut hash = 0u64;
    let mut add = |w: u64| {
        hash = (hash.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    };
    let mut chunks = word.as_bytes().chunks_exact(8);
    for chunk in &mut chunks {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(chunk);
        add(u64::from_le_bytes(buf));
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut buf = [0u8; 8];
        buf[..tail.len()].copy_from_slice(tail);
        add(u64::from_le_bytes(buf));
    }
    hash
}

/// Id of a word outside the vocabulary (and of an empty table slot).
const UNKNOWN: u32 = u32::MAX;

/// Every word of the built-in phrase lists (and [`NEGATORS`]), numbered.
///
/// Looked up once per word of every text, so it is a sparse open-addressing table (at most 1/8 full): a word that
/// is not in it usually costs one hash and one empty slot.
#[derive(Debug)]
pub struct Vocabulary {
    /// `words[id]`.
    words: Vec<Box<str>>,
    /// Hash table of ids (`UNKNOWN` = empty), linear probing; the length is a power of two.
    slots: Vec<u32>,
    /// Longest word, in bytes: longer words are not looked up.
    max_len: usize,
    /// `negator[id]`: the word is in [`NEGATORS`].
    negator: Vec<bool>,
}

impl Vocabulary {
    fn new<'s>(phrases: impl IntoIterator<Item = &'s str>) -> Self {
        let mut words: Vec<Box<str>> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for phrase in NEGATORS.iter().copied().chain(phrases) {
            let norm = normalize(phrase);
            for (s, e) in tokens(&norm) {
                let word = norm.get(s..e).unwrap_or("");
                if seen.insert(word.to_string()) {
                    words.push(word.into());
                }
            }
        }
        let mut v = Vocabulary {
            slots: vec![UNKNOWN; (words.len() * 8).next_power_of_two()],
            max_len: words.iter().map(|w| w.len()).max().unwrap_or(0),
            negator: words.iter().map(|w| NEGATORS.contains(&&**w)).collect(),
            words,
        };
        for id in 0..v.words.len() {
            v.place(id);
        }
        v
    }

    /// Slot index of `hash` in the table.
    fn home(&self, hash: u64) -> usize {
        let bits = self.slots.len().trailing_zeros();
        // The high bits of FxHash are the well-mixed ones.
        (hash >> (64 - bits.max(1))) as usize & (self.slots.len() - 1)
    }

    /// Puts word `id` in the first free slot of its probe sequence.
    fn place(&mut self, id: usize) {
        let Some(word) = self.words.get(id) else {
            return;
        };
        let mut i = self.home(word_hash(word));
        let mask = self.slots.len() - 1;
        while let Some(slot) = self.slots.get_mut(i) {
            if *slot == UNKNOWN {
                *slot = u32::try_from(id).unwrap_or(UNKNOWN);
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// The id of a (normalized) word, if it is in the vocabulary.
    fn id(&self, word: &str) -> Option<u32> {
        if word.len() > self.max_len {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(word_hash(word));
        loop {
            let id = *self.slots.get(i)?;
            if id == UNKNOWN {
                return None;
            }
            if self.words.get(id as usize).is_some_and(|w| **w == *word) {
                return Some(id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// The vocabulary of every built-in list (the files under `lists/`, and the negators).
static VOCABULARY: LazyLock<Vocabulary> =
    LazyLock::new(|| Vocabulary::new(super::lists::all_phrases()));

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
            words.negator.push(
                id.and_then(|id| vocab.negator.get(id as usize))
                    .copied()
                    .unwrap_or(false),
            );
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
        // Only phrases whose first word occurs are candidates, however many distinct words the text has.
        let long = "a b c d e f g h bug stack trace";
        with_words(long, |w| {
            assert_eq!(w.candidates(&set), vec![0, 1, 3, 5]);
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
    fn normalize_matches_a_per_char_lowercase() {
        for text in [
            "plain lowercase",
            "Don't STOP",
            "ÉCOLE naïve İstanbul ΣΑΣ \u{212A}elvin ǅ",
            "it’s ʼquotedʼ ＇x＇ ‘y’",
            "日本語 🎉 ok",
            "",
        ] {
            let expected: String = text
                .chars()
                .filter(|c| !is_apostrophe(*c))
                .flat_map(char::to_lowercase)
                .collect();
            assert_eq!(normalize(text), expected, "{text:?}");
        }
        assert!(matches!(normalize("already normal"), Cow::Borrowed(_)));
    }

    #[test]
    fn words_outside_the_vocabulary_still_match() {
        assert!(VOCABULARY.id("zyxwvut").is_none());
        assert!(VOCABULARY.id("auth").is_some());
        with_words("Zyxwvut auth zyxwvut qqq, zyxwvut qqq", |w| {
            assert_eq!(w.find("zyxwvut qqq"), vec![2, 4]);
            assert_eq!(w.count("auth zyxwvut"), 1);
        });
        let set = PhraseSet::new(["zyxwvut", "auth"]);
        assert!(!set.is_fully_indexed());
        with_words("auth zyxwvut", |w| {
            assert_eq!(w.matches_in(&set), vec![(0, vec![1]), (1, vec![0])]);
        });
    }

    #[test]
    fn negators_are_flagged() {
        with_words("it doesn't work, NOT really", |w| {
            let flags: Vec<bool> = (0..w.len()).map(|i| w.is_negator(i)).collect();
            assert_eq!(flags, [false, true, false, true, false]);
            assert!(!w.is_negator(99));
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
