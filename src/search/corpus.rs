//! What a search reads, whichever store holds the points: the embedded store's in-memory `SearchIndex` or a
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
    /// `cosine` is the similarity to the query's second phrasing (its expansion, see [`super::expand`]), which
    /// was the higher.
    pub cosine_from_expansion: bool,
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
            cosine_from_expansion: false,
        }
    }
}

/// Adds the semantic candidates of the query's second phrasing (see [`super::expand`]) to the query's own: a
/// chunk in both keeps the better cosine and the better semantic rank; a chunk only the second phrasing found
/// joins the list. (A chunk only the query found keeps its cosine: its similarity to the second phrasing is not
/// known, and was not among the best.)
pub fn add_second_phrasing(cands: &mut Vec<Candidate>, second: Vec<Candidate>) {
    let mut at: std::collections::HashMap<Uuid, usize> =
        cands.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    for mut c in second {
        c.cosine_from_expansion = c.has_cosine;
        match at.get(&c.id) {
            Some(&i) => {
                let kept = &mut cands[i];
                if c.has_cosine && (!kept.has_cosine || c.cosine > kept.cosine) {
                    kept.cosine = c.cosine;
                    kept.has_cosine = true;
                    kept.cosine_from_expansion = true;
                }
                kept.semantic_rank = match (kept.semantic_rank, c.semantic_rank) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            None => {
                at.insert(c.id, cands.len());
                cands.push(c);
            }
        }
    }
}

/// A candidate list entry's (1-based rank, score), if the key is in that list.
pub type Placed = Option<(usize, f32)>;

/// Candidates from one semantic list per phrasing and the lexical list (each (key, score), best first): the first
/// phrasing's list merged with the lexical one, each further one added by [`add_second_phrasing`].
/// `make(key, phrasing, semantic, lexical)` builds a candidate (`None` drops the key).
pub fn from_lists<K: Copy + Eq + std::hash::Hash>(
    semantic: &[Vec<(K, f32)>],
    lexical: &[(K, f32)],
    mut make: impl FnMut(K, usize, Placed, Placed) -> Option<Candidate>,
) -> Vec<Candidate> {
    let first = semantic.first().map(Vec::as_slice).unwrap_or_default();
    let mut cands: Vec<Candidate> = merge(first, lexical)
        .into_iter()
        .filter_map(|(k, s, l)| make(k, 0, s, l))
        .collect();
    for (phrasing, list) in semantic.iter().enumerate().skip(1) {
        let more = merge(list, &[])
            .into_iter()
            .filter_map(|(k, s, _)| make(k, phrasing, s, None))
            .collect();
        add_second_phrasing(&mut cands, more);
    }
    cands
}

/// Keeps the `k` best (document, score) pairs of `list`, best first, ties broken by the documents' point ids
/// (`id_of`), as Qdrant orders its results once re-sorted, so every store lists the same candidates.
pub fn top_by_id(list: &mut Vec<(u32, f32)>, k: usize, id_of: impl Fn(u32) -> Uuid) {
    // Preselect generously by document, then order the survivors by score and id.
    if list.len() > k {
        let cut = k.min(list.len() - 1);
        list.select_nth_unstable_by(cut, |a, b| b.1.total_cmp(&a.1));
        let threshold = list[cut].1;
        // Keep every document tied with the k-th score, so the id order decides among them.
        list.retain(|e| e.1 >= threshold);
    }
    list.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then_with(|| id_of(a.0).cmp(&id_of(b.0)))
    });
    list.truncate(k);
}

/// True when `id` starts with `prefix`, case aside (ids are shown lower case and may be typed otherwise).
pub fn abbreviates(prefix: &str, id: &str) -> bool {
    id.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// The distinct ids among `ids` that `prefix` abbreviates, sorted: what
/// [`Corpus::sessions_starting_with`] returns, whichever store lists the ids.
pub fn abbreviated<'a>(prefix: &str, ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let set: BTreeSet<&str> = ids
        .into_iter()
        .filter(|id| abbreviates(prefix, id))
        .collect();
    set.into_iter().map(str::to_string).collect()
}

/// What a search reads, whichever store holds the points.
pub trait Corpus: Send + Sync {
    /// Points stored.
    fn point_count(&self) -> Result<u64>;
    /// Project names present, sorted.
    fn project_names(&self) -> Result<Vec<String>>;
    /// Project paths present.
    fn project_paths(&self) -> Result<BTreeSet<String>>;
    /// Stored session ids that `prefix` abbreviates ([`abbreviates`]; all of them for an empty prefix), sorted.
    /// Output shows a session by the first characters of its id; this finds the id they abbreviate. When `prefix`
    /// is a whole stored id, the list may hold only it.
    fn sessions_starting_with(&self, prefix: &str) -> Result<Vec<String>>;
    /// The best `per_list` points by cosine similarity to each of `phrasings` (the query's embedding first, then
    /// any further phrasing of it, see [`super::expand`]) and by BM25 for `query`, among the points `filter`
    /// accepts, in one pass over the store; each list ordered by score, ties by id, and the lists joined by
    /// [`from_lists`].
    fn candidates(
        &self,
        phrasings: &[&[f32]],
        query: &str,
        filter: &Filter,
        per_list: usize,
    ) -> Result<Vec<Candidate>>;
    /// The id of the model whose vectors the store holds (`None` when it holds none yet).
    fn embedding_model(&self) -> Result<Option<String>>;
    /// The first chunk of a message.
    fn message(&self, message_id: &str) -> Result<Option<Payload>>;
    /// Every chunk of a message, by chunk index.
    fn message_chunks(&self, message_id: &str) -> Result<Vec<Payload>>;
    /// The first chunk of a message's first child in conversation order (time, line, message id).
    fn first_child(&self, message_id: &str) -> Result<Option<Payload>>;

    /// The message's full text (its chunks joined).
    fn message_text(&self, message_id: &str) -> Result<Option<String>> {
        Ok(joined_text(&self.message_chunks(message_id)?))
    }

    /// Up to `n` ancestors and `n` descendants of a message in the conversation tree (following the first
    /// child), in conversation order, the message itself excluded.
    fn context(&self, message_id: &str, n: usize) -> Result<(Vec<Payload>, Vec<Payload>)> {
        let mut before = Vec::new();
        let mut cursor = self.message(message_id)?.and_then(|p| p.parent_message_id);
        while before.len() < n {
            let Some(id) = cursor else { break };
            let Some(p) = self.message(&id)? else { break };
            cursor = p.parent_message_id.clone();
            before.push(p);
        }
        before.reverse();
        let mut after = Vec::new();
        let mut cursor = message_id.to_string();
        while after.len() < n {
            let Some(p) = self.first_child(&cursor)? else {
                break;
            };
            cursor.clone_from(&p.message_id);
            after.push(p);
        }
        Ok((before, after))
    }
}

/// The order of a message's children in the conversation: time, then line, then message id.
pub fn conversation_order(p: &Payload) -> (Option<i64>, u64, &str) {
    (p.timestamp_unix, p.line_offset, p.message_id.as_str())
}

/// A message's text: its chunks' texts (in chunk order) joined by newlines; `None` without chunks.
pub fn joined_text<'a>(chunks: impl IntoIterator<Item = &'a Payload>) -> Option<String> {
    let texts: Vec<&str> = chunks.into_iter().map(|p| p.text.as_str()).collect();
    (!texts.is_empty()).then(|| texts.join("\n"))
}

/// A key's (1-based rank, score) in the semantic and the lexical list.
pub type Ranked<K> = (K, Placed, Placed);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::tests::payload;

    fn candidate(
        n: u128,
        semantic: Option<(usize, f32)>,
        lexical: Option<(usize, f32)>,
    ) -> Candidate {
        Candidate::ranked(
            Uuid::from_u128(n),
            payload("s", &format!("u{n}"), 0, 1),
            semantic,
            lexical,
            || Some(0.1),
        )
    }

    #[test]
    fn the_second_phrasing_keeps_the_better_cosine_and_adds_what_only_it_found() {
        let mut cands = vec![
            candidate(1, Some((1, 0.6)), None),
            candidate(2, Some((2, 0.3)), Some((1, 5.0))),
            candidate(3, None, Some((2, 4.0))),
        ];
        let second = vec![
            candidate(2, Some((1, 0.5)), None),
            candidate(1, Some((2, 0.4)), None),
            candidate(4, Some((3, 0.35)), None),
        ];
        add_second_phrasing(&mut cands, second);
        let by_id = |n: u128| cands.iter().find(|c| c.id == Uuid::from_u128(n)).cloned();
        let one = by_id(1).expect("kept");
        assert_eq!(
            (one.cosine, one.cosine_from_expansion, one.semantic_rank),
            (0.6, false, Some(1))
        );
        let two = by_id(2).expect("kept");
        assert_eq!(
            (two.cosine, two.cosine_from_expansion, two.semantic_rank),
            (0.5, true, Some(1))
        );
        assert_eq!(
            (two.bm25, two.lexical_rank),
            (5.0, Some(1)),
            "the lexical evidence stays"
        );
        let three = by_id(3).expect("kept");
        assert!(!three.cosine_from_expansion && three.semantic_rank.is_none());
        let four = by_id(4).expect("added");
        assert_eq!(
            (four.cosine, four.cosine_from_expansion, four.lexical_rank),
            (0.35, true, None)
        );
        assert_eq!(cands.len(), 4);
    }
}
