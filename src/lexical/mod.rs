//! BM25 over stored texts. Tokens are lowercase words; compound tokens such as `main.rs`, `E0502`,
//! `std::fs::read` or `foo_bar-baz` are indexed both whole and as their parts, so an exact identifier matches
//! exactly and its parts still match loosely.
//!
//! One definition serves both stores. A document's term weight is BM25's saturated, length-normalized term
//! frequency with a *fixed* average length (`AVG_DOC_TOKENS`), so it depends on the document alone: Qdrant
//! stores it once as a sparse vector and never has to rewrite it as the corpus grows. The inverse document
//! frequency, `ln(1 + (N - n + 0.5) / (n + 0.5))`, is computed at query time over the whole store (Qdrant's `idf`
//! modifier uses the same formula), so the embedded store and Qdrant rank alike.

mod stopwords;

use std::collections::HashMap;
pub use stopwords::is_stop_word;

const K1: f32 = 1.2;
const B: f32 = 0.75;
/// The average document length BM25 normalizes by, in tokens: the mean over the chunks of the real transcripts in
/// the fixtures, measured once (50.1 over their 913 chunks; see docs/qdrant.md).
const AVG_DOC_TOKENS: f32 = 50.0;

/// BM25's weight of a term occurring `tf` times in a document of `len` tokens (before the IDF).
fn term_weight(tf: u32, len: u32) -> f32 {
    let tf = tf as f32;
    tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len as f32 / AVG_DOC_TOKENS))
}

/// The inverse document frequency of a term found in `df` of `n` documents.
pub fn idf(n: f32, df: f32) -> f32 {
    ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
}

/// A term's dimension in the sparse vector: the first four bytes of its blake3 hash (collisions among the terms
/// of one store are rare and only merge two terms' counts).
fn term_dimension(term: &str) -> u32 {
    let h = blake3::hash(term.as_bytes());
    let b = h.as_bytes();
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// A document as a sparse vector of BM25 term weights (dimensions ascending, no duplicates).
pub fn sparse_document(text: &str) -> (Vec<u32>, Vec<f32>) {
    let lower = text.to_lowercase();
    let mut dims: Vec<u32> = Vec::new();
    for_each_token(&lower, |t| dims.push(term_dimension(t)));
    let len = dims.len() as u32;
    dims.sort_unstable();
    let mut indices = Vec::new();
    let mut values = Vec::new();
    let mut i = 0;
    while i < dims.len() {
        let mut j = i;
        while j < dims.len() && dims[j] == dims[i] {
            j += 1;
        }
        indices.push(dims[i]);
        values.push(term_weight((j - i) as u32, len));
        i = j;
    }
    (indices, values)
}

/// A document's distinct terms, sorted, each with its BM25 term weight (before the IDF), as the published index
/// stores them.
pub fn term_weights(text: &str) -> Vec<(String, f32)> {
    let lower = text.to_lowercase();
    let mut terms: Vec<&str> = Vec::new();
    for_each_token(&lower, |t| terms.push(t));
    let len = terms.len() as u32;
    terms.sort_unstable();
    let mut out: Vec<(String, f32)> = Vec::new();
    let mut i = 0;
    while i < terms.len() {
        let mut j = i;
        while j < terms.len() && terms[j] == terms[i] {
            j += 1;
        }
        out.push((terms[i].to_string(), term_weight((j - i) as u32, len)));
        i = j;
    }
    out
}

/// A query as a sparse vector: weight 1 per distinct term (the store multiplies in the IDF).
pub fn sparse_query(query: &str) -> (Vec<u32>, Vec<f32>) {
    let mut dims: Vec<u32> = query_terms(query)
        .iter()
        .map(|t| term_dimension(t))
        .collect();
    dims.sort_unstable();
    dims.dedup();
    let values = vec![1.0; dims.len()];
    (dims, values)
}

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

/// The distinct terms of a query that count as evidence: its tokens without English function words ("why did
/// we ..."), unless nothing else is left (a query of only such words still searches for them).
pub fn query_terms(query: &str) -> Vec<String> {
    let mut terms = tokens(query);
    terms.sort();
    terms.dedup();
    let content: Vec<String> = terms.iter().filter(|t| !is_stop_word(t)).cloned().collect();
    if content.is_empty() {
        terms
    } else {
        content
    }
}

/// An inverted index with BM25 scoring.
#[derive(Debug, Default)]
pub struct Bm25 {
    terms: HashMap<Box<str>, u32>,
    /// Per term id: (document, term frequency).
    postings: Vec<Vec<(u32, u16)>>,
    doc_len: Vec<u32>,
    /// Documents with at least one token (what Qdrant counts as N: points that have a sparse vector).
    docs_with_terms: u32,
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
        let docs_with_terms = doc_len.iter().filter(|n| **n > 0).count() as u32;
        Bm25 {
            terms,
            postings,
            doc_len,
            docs_with_terms,
        }
    }

    /// BM25 score of every document matching at least one query token, for documents `allowed` accepts.
    pub fn scores(&self, query: &str, allowed: impl Fn(u32) -> bool) -> Vec<(u32, f32)> {
        let q = query_terms(query);
        let n = self.docs_with_terms as f32;
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
            let idf = idf(n, df);
            for &(doc, tf) in list {
                if !allowed(doc) {
                    continue;
                }
                let len = self.doc_len.get(doc as usize).copied().unwrap_or(0);
                let s = idf * term_weight(u32::from(tf), len);
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
    fn questions_lose_their_function_words_but_not_their_identifiers() {
        let q = query_terms("Why did we change the slice_builder.ex?");
        assert_eq!(
            q,
            vec!["builder", "change", "ex", "slice", "slice_builder.ex"]
        );
        assert_eq!(
            query_terms("why did we"),
            vec!["did", "we", "why"],
            "nothing else left: keep them"
        );
        let (dims, _) = sparse_query("what is the mutex for");
        assert_eq!(
            dims,
            vec![term_dimension("mutex")],
            "Qdrant's query drops the same words"
        );
    }

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

    #[test]
    fn sparse_vectors_score_like_the_inverted_index() {
        let docs = [
            "cargo build failed with E0502 in main.rs",
            "the tests pass now",
            "E0502 again: cannot borrow `x` as mutable, E0502",
        ];
        let idx = Bm25::build(docs.iter().copied());
        let query = "E0502 main.rs";
        let (qd, qv) = sparse_query(query);
        let n = docs.len() as f32;
        let sparse: Vec<(u32, f32)> = docs
            .iter()
            .enumerate()
            .map(|(d, text)| {
                let (dd, dv) = sparse_document(text);
                let mut s = 0.0;
                for (dim, w) in qd.iter().zip(&qv) {
                    if let Ok(i) = dd.binary_search(dim) {
                        let df = docs
                            .iter()
                            .filter(|t| sparse_document(t).0.binary_search(dim).is_ok())
                            .count() as f32;
                        s += w * dv[i] * idf(n, df);
                    }
                }
                (d as u32, s)
            })
            .filter(|(_, s)| *s > 0.0)
            .collect();
        let mut inverted = idx.scores(query, |_| true);
        inverted.sort_by_key(|(d, _)| *d);
        assert_eq!(sparse.len(), inverted.len());
        for (a, b) in sparse.iter().zip(&inverted) {
            assert_eq!(a.0, b.0);
            assert!((a.1 - b.1).abs() < 1e-4, "{a:?} vs {b:?}");
        }
        let (dims, _) = sparse_document("a a b");
        assert!(dims.windows(2).all(|w| w[0] < w[1]), "ascending, distinct");
    }
}
