//! What a search reads, whichever store holds the points: the embedded store's in-memory [`SearchIndex`] or a
//! Qdrant collection ([`super::QdrantCorpus`]). A store produces the two candidate lists (it
//! applies the filters); ranking, fusion and boosts are the same code for both ([`super::rank`]).

use super::filter::Filter;
use crate::error::Result;
use crate::payload::Payload;
use std::collections::BTreeSet;
use uuid::Uuid;

/// A candidate from the semantic list, the lexical list, or both.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: Uuid,
    pub payload: Payload,
    /// Cosine similarity to the query, computed even outside the semantic list. A chunk kept for lexical search
    /// only (no vector of its own) takes the best of its message's embedded chunks; 0 when there is none.
    pub cosine: f32,
    /// Whether `cosine` is evidence at all (false only for a message with no embedded chunk).
    pub has_cosine: bool,
    /// BM25 score (0 outside the lexical list).
    pub bm25: f32,
    /// 1-based rank in the semantic list.
    pub semantic_rank: Option<usize>,
    /// 1-based rank in the lexical list.
    pub lexical_rank: Option<usize>,
}

impl Candidate {
    /// A merged entry: its (rank, score) in each list; `cosine` is asked for only when it is not in the semantic
    /// list (the similarity is still reported), and is `None` when neither the chunk nor its message has a vector.
    pub fn ranked(
        id: Uuid,
        payload: Payload,
        semantic: Option<(usize, f32)>,
        lexical: Option<(usize, f32)>,
        cosine: impl FnOnce() -> Option<f32>,
    ) -> Self {
        let cosine = semantic.map_or_else(cosine, |s| Some(s.1));
        Candidate {
            id,
            payload,
            cosine: cosine.unwrap_or(0.0),
            has_cosine: cosine.is_some(),
            bm25: lexical.map_or(0.0, |l| l.1),
            semantic_rank: semantic.map(|s| s.0),
            lexical_rank: lexical.map(|l| l.0),
        }
    }
}

pub trait Corpus: Send + Sync {
    /// Points stored.
    fn point_count(&self) -> Result<u64>;
    /// Project names present, sorted.
    fn project_names(&self) -> Result<Vec<String>>;
    /// Project paths present.
    fn project_paths(&self) -> Result<BTreeSet<String>>;
    /// The best `per_list` points by cosine similarity to `query_vector` and by BM25 for `query`, among the
    /// points `filter` accepts; each list ordered by score, ties by id.
    fn candidates(
        &self,
        query_vector: &[f32],
        query: &str,
        filter: &Filter,
        per_list: usize,
    ) -> Result<Vec<Candidate>>;
    /// The id of the model whose vectors the store holds (`None` when it holds none yet).
    fn embedding_model(&self) -> Result<Option<String>>;
    /// The first chunk of a message.
    fn message(&self, message_id: &str) -> Result<Option<Payload>>;
    /// The message's full text (its chunks joined).
    fn message_text(&self, message_id: &str) -> Result<Option<String>>;
    /// Up to `n` ancestors and `n` descendants of a message in the conversation tree (following the first
    /// child), in conversation order, the message itself excluded.
    fn context(&self, message_id: &str, n: usize) -> Result<(Vec<Payload>, Vec<Payload>)>;
}

/// A key's (1-based rank, score) in the semantic and the lexical list.
pub type Ranked<K> = (K, Option<(usize, f32)>, Option<(usize, f32)>);

/// Merges two ranked lists into candidates. `semantic` and `lexical` hold (key, score) best first.
pub fn merge<K: Copy + Eq + std::hash::Hash>(
    semantic: &[(K, f32)],
    lexical: &[(K, f32)],
) -> Vec<Ranked<K>> {
    let mut at: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
    let mut out: Vec<Ranked<K>> = Vec::new();
    for (rank, (k, s)) in semantic.iter().enumerate() {
        at.insert(*k, out.len());
        out.push((*k, Some((rank + 1, *s)), None));
    }
    for (rank, (k, s)) in lexical.iter().enumerate() {
        match at.get(k) {
            Some(i) => out[*i].2 = Some((rank + 1, *s)),
            None => {
                at.insert(*k, out.len());
                out.push((*k, None, Some((rank + 1, *s))));
            }
        }
    }
    out
}
