//! The vocabulary: every word of the built-in phrase lists, numbered, in a table built for fast lookups.

use super::{normalize, tokens, NEGATORS};
use std::sync::LazyLock;

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
    pub(super) fn id(&self, word: &str) -> Option<u32> {
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

    /// Whether word `id` is one of [`NEGATORS`].
    pub(super) fn is_negator(&self, id: u32) -> bool {
        self.negator.get(id as usize).copied().unwrap_or(false)
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
pub(super) static VOCABULARY: LazyLock<Vocabulary> =
    LazyLock::new(|| Vocabulary::new(crate::enhance::lists::all_phrases()));
