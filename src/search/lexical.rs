//! BM25 over stored texts. Tokens are lowercase words; compound tokens such as `main.rs`, `E0502`,
//! `std::fs::read` or `foo_bar-baz` are indexed both whole and as their parts, so an exact identifier matches
//! exactly and its parts still match loosely.

use std::collections::HashMap;

const K1: f32 = 1.2;
const B: f32 = 0.75;

fn is_separator(c: char) -> bool {
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
}

/// Calls `f` with every token of an already lowercased text, without allocating.
fn for_each_token<'a>(lower: &'a str, mut f: impl FnMut(&'a str)) {
    for raw in lower.split(is_separator) {
        let compound = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if compound.is_empty() {
            continue;
        }
        let mut parts = compound
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| !p.is_empty());
        let first = parts.next();
        let mut second = parts.next();
        if second.is_some() {
            f(compound);
        }
        if let Some(p) = first {
            f(p);
        }
        while let Some(p) = second {
            f(p);
            second = parts.next();
        }
    }
}

/// Lexical tokens of `text` (whole compounds and their parts).
pub fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    for_each_token(&lower, |t| out.push(t.to_string()));
    out
}

/// An inverted index with BM25 scoring.
#[derive(Debug, Default)]
pub struct Bm25 {
    terms: HashMap<Box<str>, u32>,
    /// Per term id: (document, term frequency).
    postings: Vec<Vec<(u32, u16)>>,
    doc_len: Vec<u32>,
    avg_len: f32,
}

impl Bm25 {
    pub fn build<'a>(texts: impl Iterator<Item = &'a str>) -> Self {
        let mut terms: HashMap<Box<str>, u32> = HashMap::new();
        let mut postings: Vec<Vec<(u32, u16)>> = Vec::new();
        let mut doc_len = Vec::new();
        let mut ids: Vec<u32> = Vec::new();
        for (doc, text) in texts.enumerate() {
            let lower = text.to_lowercase();
            ids.clear();
            for_each_token(&lower, |t| {
                let id = match terms.get(t) {
                    Some(id) => *id,
                    None => {
                        let id = postings.len() as u32;
                        terms.insert(t.into(), id);
                        postings.push(Vec::new());
                        id
                    }
                };
                ids.push(id);
            });
            doc_len.push(ids.len() as u32);
            ids.sort_unstable();
            let mut i = 0;
            while i < ids.len() {
                let id = ids[i];
                let mut j = i;
                while j < ids.len() && ids[j] == id {
                    j += 1;
                }
                let tf = u16::try_from(j - i).unwrap_or(u16::MAX);
                if let Some(list) = postings.get_mut(id as usize) {
                    list.push((doc as u32, tf));
                }
                i = j;
            }
        }
        let total: u64 = doc_len.iter().map(|n| u64::from(*n)).sum();
        let avg_len = if doc_len.is_empty() {
            1.0
        } else {
            (total as f32 / doc_len.len() as f32).max(1.0)
        };
        Bm25 {
            terms,
            postings,
            doc_len,
            avg_len,
        }
    }

    /// BM25 score of every document matching at least one query token, for documents `allowed` accepts.
    pub fn scores(&self, query: &str, allowed: impl Fn(u32) -> bool) -> Vec<(u32, f32)> {
        let mut q = tokens(query);
        q.sort();
        q.dedup();
        let n = self.doc_len.len() as f32;
        // Dense accumulators: cheaper than hashing when common terms touch many documents.
        let mut scores = vec![0f32; self.doc_len.len()];
        let mut touched: Vec<u32> = Vec::new();
        for term in q {
            let Some(list) = self
                .terms
                .get(term.as_str())
                .and_then(|id| self.postings.get(*id as usize))
            else {
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
                if let Some(slot) = scores.get_mut(doc as usize) {
                    if *slot == 0.0 {
                        touched.push(doc);
                    }
                    *slot += s;
                }
            }
        }
        touched
            .into_iter()
            .map(|d| (d, scores[d as usize]))
            .collect()
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
        let best = s.iter().max_by(|a, b| a.1.total_cmp(&b.1)).map(|(d, _)| *d);
        assert_eq!(best, Some(2));
        assert!(!s.iter().any(|(d, _)| *d == 3));
        let none = idx.scores("E0502", |d| d != 2);
        assert!(none.is_empty(), "filters apply");
    }
}
