//! BM25 over stored texts. Tokens are lowercase words; compound tokens such as `main.rs`, `E0502`,
//! `std::fs::read` or `foo_bar-baz` are indexed both whole and as their parts, so an exact identifier matches
//! exactly and its parts still match loosely.

use std::collections::HashMap;

const K1: f32 = 1.2;
const B: f32 = 0.75;

/// Lexical tokens of `text` (whole compounds and their parts).
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '`' | '"'
                    | '\''
                    | '('
                    | ')'
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '<'
                    | '>'
                    | ','
                    | ';'
                    | '='
                    | '!'
                    | '?'
                    | '*'
                    | '|'
                    | '&'
                    | '$'
                    | '#'
                    | '@'
                    | '+'
                    | '\\'
            )
    }) {
        let compound = raw
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        if compound.is_empty() {
            continue;
        }
        let parts: Vec<&str> = compound
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| !p.is_empty())
            .collect();
        if parts.len() > 1 {
            out.push(compound.clone());
        }
        out.extend(parts.into_iter().map(str::to_string));
    }
    out
}

/// An inverted index with BM25 scoring.
#[derive(Debug, Default)]
pub struct Bm25 {
    postings: HashMap<String, Vec<(u32, u16)>>,
    doc_len: Vec<u32>,
    avg_len: f32,
}

impl Bm25 {
    pub fn build<'a>(texts: impl Iterator<Item = &'a str>) -> Self {
        let mut postings: HashMap<String, Vec<(u32, u16)>> = HashMap::new();
        let mut doc_len = Vec::new();
        for (doc, text) in texts.enumerate() {
            let toks = tokens(text);
            doc_len.push(toks.len() as u32);
            let mut counts: HashMap<String, u16> = HashMap::new();
            for t in toks {
                *counts.entry(t).or_default() += 1;
            }
            for (t, n) in counts {
                postings.entry(t).or_default().push((doc as u32, n));
            }
        }
        let total: u64 = doc_len.iter().map(|n| u64::from(*n)).sum();
        let avg_len = if doc_len.is_empty() {
            1.0
        } else {
            (total as f32 / doc_len.len() as f32).max(1.0)
        };
        Bm25 {
            postings,
            doc_len,
            avg_len,
        }
    }

    /// BM25 score of every document matching at least one query token, for documents `allowed` accepts.
    pub fn scores(&self, query: &str, allowed: impl Fn(u32) -> bool) -> HashMap<u32, f32> {
        let mut q = tokens(query);
        q.sort();
        q.dedup();
        let n = self.doc_len.len() as f32;
        let mut scores: HashMap<u32, f32> = HashMap::new();
        for term in q {
            let Some(list) = self.postings.get(&term) else {
                continue;
            };
            let df = list.len() as f32;
            let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
            for &(doc, tf) in list {
                if !allowed(doc) {
                    continue;
                }
                let len = self.doc_len.get(doc as usize).copied().unwrap_or(0) as f32;
                let tf = f32::from(tf);
                let s = idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / self.avg_len));
                *scores.entry(doc).or_default() += s;
            }
        }
        scores
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compounds_are_indexed_whole_and_in_parts() {
        let t = tokens("Edit `src/main.rs`: error[E0502] in std::fs::read");
        for want in [
            "src/main.rs",
            "main",
            "rs",
            "e0502",
            "std::fs::read",
            "read",
            "edit",
        ] {
            assert!(t.iter().any(|x| x == want), "{want} in {t:?}");
        }
    }

    #[test]
    fn rare_exact_terms_outrank_common_ones() {
        let docs = [
            "the build failed",
            "the test failed",
            "error E0502 cannot borrow",
            "the the the",
        ];
        let idx = Bm25::build(docs.iter().copied());
        let s = idx.scores("E0502 failed", |_| true);
        let best = s.iter().max_by(|a, b| a.1.total_cmp(b.1)).map(|(d, _)| *d);
        assert_eq!(best, Some(2));
        assert!(!s.contains_key(&3));
        let none = idx.scores("E0502", |d| d != 2);
        assert!(none.is_empty(), "filters apply");
    }
}
