//! An in-memory search index over the stored points: payloads, a flat matrix of normalized vectors, a BM25
//! inverted index, and the conversation tree (message -> chunks, parent -> children) for context.

use super::corpus::{from_lists, top_by_id, Candidate, Corpus};
use super::filter::Filter;
use super::rank::dot;
use crate::error::Result;
use crate::lexical::Bm25;
use crate::payload::Payload;
use crate::store::{EmbeddedStore, StoredPoint};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// `rows` entry of a document without a vector.
const NO_VECTOR: u32 = u32::MAX;

/// Where an index was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexSource {
    /// The published index file, current (no sync was running, and none changed points after publishing it).
    Published,
    /// The database itself, loaded into memory (no sync was running, and the published index was behind).
    Store,
    /// The snapshot published by the last run, because a sync is running now.
    Snapshot { created_unix: u64 },
    /// A Qdrant collection (always current).
    Qdrant,
}

/// The embedded store's points in memory for search: payloads, the vector matrix, BM25 and the conversation
/// tree.
pub struct SearchIndex {
    pub(super) ids: Vec<Uuid>,
    pub(super) payloads: Vec<Payload>,
    /// One row of `dimension` floats per embedded document, row-major.
    pub(super) vectors: Vec<f32>,
    /// Length of every vector: the first stored vector's (a data dir holds one model's vectors).
    dimension: usize,
    /// Per document: its row in `vectors`, or `NO_VECTOR` for a chunk kept for lexical search only.
    rows: Vec<u32>,
    pub(super) bm25: Bm25,
    /// Message id -> document indices, by chunk index.
    by_message: HashMap<String, Vec<u32>>,
    /// Parent message id -> child message ids, in conversation order.
    children: HashMap<String, Vec<String>>,
}

impl SearchIndex {
    pub fn from_points(points: impl Iterator<Item = (Uuid, StoredPoint)>) -> Self {
        let mut ids = Vec::new();
        let mut payloads = Vec::new();
        let mut vectors = Vec::new();
        let mut rows = Vec::new();
        let mut dimension = 0;
        for (id, p) in points {
            if dimension == 0 {
                dimension = p.vector.len();
            }
            if !p.vector.is_empty() && p.vector.len() == dimension {
                rows.push((vectors.len() / dimension) as u32);
                vectors.extend_from_slice(&p.vector);
            } else if p.vector.is_empty() {
                rows.push(NO_VECTOR);
            } else {
                continue;
            }
            ids.push(id);
            payloads.push(p.payload);
        }
        let bm25 = Bm25::build(payloads.iter().map(|p| p.text.as_str()));
        let mut by_message: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, p) in payloads.iter().enumerate() {
            by_message
                .entry(p.message_id.clone())
                .or_default()
                .push(i as u32);
        }
        for docs in by_message.values_mut() {
            docs.sort_by_key(|d| payloads[*d as usize].chunk_index);
        }
        let mut children: HashMap<String, Vec<(String, Option<i64>, u64)>> = HashMap::new();
        for p in payloads.iter().filter(|p| p.chunk_index == 0) {
            if let Some(parent) = &p.parent_message_id {
                children.entry(parent.clone()).or_default().push((
                    p.message_id.clone(),
                    p.timestamp_unix,
                    p.line_offset,
                ));
            }
        }
        let children = children
            .into_iter()
            .map(|(k, mut v)| {
                v.sort_by(|a, b| a.1.cmp(&b.1).then(a.2.cmp(&b.2)).then(a.0.cmp(&b.0)));
                (k, v.into_iter().map(|c| c.0).collect())
            })
            .collect();
        SearchIndex {
            ids,
            payloads,
            vectors,
            dimension,
            rows,
            bm25,
            by_message,
            children,
        }
    }

    /// A cheap fingerprint of what `open` would read (sizes and modification times of the database files, the
    /// published index, its delta and the behind marker): when it is unchanged, an index already open is still
    /// current.
    pub fn freshness(data_dir: &std::path::Path) -> Vec<(u64, i128)> {
        let stat = |p: std::path::PathBuf| {
            std::fs::metadata(p).map_or((0, 0), |m| {
                let t = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos() as i128);
                (m.len(), t)
            })
        };
        use crate::store::snapshot;
        let mut out = vec![
            stat(snapshot::path(data_dir)),
            stat(snapshot::delta_path(data_dir)),
            (u64::from(snapshot::is_behind(data_dir)), 0),
        ];
        if let Ok(entries) = std::fs::read_dir(data_dir.join("store")) {
            let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            out.extend(files.into_iter().map(stat));
        }
        out
    }

    /// Reads every point of the embedded store.
    pub fn load(store: &EmbeddedStore) -> Result<Self> {
        let points: Vec<(Uuid, StoredPoint)> = store.points().collect::<Result<_>>()?;
        Ok(Self::from_points(points.into_iter()))
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Project names present, sorted.
    pub fn projects(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self
            .payloads
            .iter()
            .filter_map(|p| p.project_name.as_deref())
            .collect();
        set.into_iter().map(str::to_string).collect()
    }

    /// Project paths present.
    pub fn project_paths(&self) -> BTreeSet<String> {
        self.payloads
            .iter()
            .filter_map(|p| p.project.clone())
            .collect()
    }

    /// The first chunk of a message.
    pub fn message(&self, message_id: &str) -> Option<&Payload> {
        let doc = *self.by_message.get(message_id)?.first()?;
        self.payloads.get(doc as usize)
    }

    /// The message's full text (its chunks joined).
    pub fn message_text(&self, message_id: &str) -> Option<String> {
        super::corpus::joined_text(self.chunks(message_id))
    }

    /// A message's chunks, by chunk index.
    fn chunks(&self, message_id: &str) -> impl Iterator<Item = &Payload> {
        self.by_message
            .get(message_id)
            .into_iter()
            .flatten()
            .filter_map(|d| self.payloads.get(*d as usize))
    }

    /// The document's vector, `None` for a lexical-only chunk.
    pub(super) fn vector(&self, doc: usize) -> Option<&[f32]> {
        let row = *self.rows.get(doc)?;
        if row == NO_VECTOR {
            return None;
        }
        let row = row as usize;
        self.vectors
            .get(row * self.dimension..(row + 1) * self.dimension)
    }

    /// A document's vector (`None` for a chunk kept for lexical search only).
    pub fn vector_of(&self, doc: usize) -> Option<&[f32]> {
        self.vector(doc)
    }

    /// Every stored chunk's payload, in document order.
    pub fn payloads(&self) -> &[Payload] {
        &self.payloads
    }

    /// Cosine similarity of a document to a normalized query vector; for a lexical-only chunk, the best of its
    /// message's embedded chunks (`None` if it has none).
    fn cosine(&self, doc: usize, query_vector: &[f32]) -> Option<f32> {
        if let Some(v) = self.vector(doc) {
            return Some(dot(v, query_vector));
        }
        let siblings = self.by_message.get(&self.payloads.get(doc)?.message_id)?;
        siblings
            .iter()
            .filter_map(|d| self.vector(*d as usize))
            .map(|v| dot(v, query_vector))
            .reduce(f32::max)
    }
}

impl Corpus for SearchIndex {
    fn point_count(&self) -> Result<u64> {
        Ok(self.len() as u64)
    }

    fn project_names(&self) -> Result<Vec<String>> {
        Ok(self.projects())
    }

    fn project_paths(&self) -> Result<BTreeSet<String>> {
        Ok(SearchIndex::project_paths(self))
    }

    fn sessions_starting_with(&self, prefix: &str) -> Result<Vec<String>> {
        let ids = self.payloads.iter().map(|p| p.session_id.as_str());
        Ok(super::corpus::abbreviated(prefix, ids))
    }

    fn candidates(
        &self,
        phrasings: &[&[f32]],
        query: &str,
        filter: &Filter,
        per_list: usize,
    ) -> Result<Vec<Candidate>> {
        let allowed: Vec<bool> = self.payloads.iter().map(|p| filter.matches(p)).collect();
        // Semantic lists, one per phrasing, in one pass: cosine = dot product of normalized vectors. Ties are
        // broken by point id, as in Qdrant's results once re-sorted, so both stores list the same candidates.
        let mut semantic: Vec<Vec<(u32, f32)>> = vec![Vec::new(); phrasings.len()];
        for doc in (0..self.len()).filter(|d| allowed[*d]) {
            let Some(v) = self.vector(doc) else { continue };
            for (list, phrasing) in semantic.iter_mut().zip(phrasings) {
                list.push((doc as u32, dot(v, phrasing)));
            }
        }
        for list in &mut semantic {
            top_by_id(list, per_list, |d| self.ids[d as usize]);
        }
        let mut lexical: Vec<(u32, f32)> = self
            .bm25
            .scores(query, |d| allowed.get(d as usize).copied().unwrap_or(false));
        top_by_id(&mut lexical, per_list, |d| self.ids[d as usize]);
        Ok(from_lists(&semantic, &lexical, |d, phrasing, sem, lex| {
            let doc = d as usize;
            Some(Candidate::ranked(
                self.ids[doc],
                self.payloads[doc].clone(),
                sem,
                lex,
                || self.cosine(doc, phrasings[phrasing]),
            ))
        }))
    }

    fn embedding_model(&self) -> Result<Option<String>> {
        Ok((0..self.len())
            .find(|d| self.vector(*d).is_some())
            .map(|d| self.payloads[d].embedding_model.clone()))
    }

    fn message(&self, message_id: &str) -> Result<Option<Payload>> {
        Ok(SearchIndex::message(self, message_id).cloned())
    }

    fn message_chunks(&self, message_id: &str) -> Result<Vec<Payload>> {
        Ok(self.chunks(message_id).cloned().collect())
    }

    fn first_child(&self, message_id: &str) -> Result<Option<Payload>> {
        Ok(self
            .children
            .get(message_id)
            .and_then(|c| c.first())
            .and_then(|child| SearchIndex::message(self, child))
            .cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::corpus::add_second_phrasing;
    use crate::store::embedded::tests::payload;

    /// Chunks with 2-d unit vectors at `angles` (radians), plus one without a vector, each with some text.
    fn index(angles: &[f32]) -> SearchIndex {
        let points = angles
            .iter()
            .enumerate()
            .map(|(i, a)| (vec![a.cos(), a.sin()], format!("chunk {i} about deploy")))
            .chain(std::iter::once((Vec::new(), "deploy log tail".to_string())))
            .enumerate()
            .map(|(i, (vector, text))| {
                let mut p = payload("s", &format!("u{i}"), 0, 1);
                p.text = text;
                (
                    Uuid::from_u128(i as u128 + 1),
                    StoredPoint { vector, payload: p },
                )
            });
        SearchIndex::from_points(points)
    }

    /// (id, cosine to 5 places, semantic rank, lexical rank, cosine from the expansion).
    type Summary = (Uuid, String, Option<usize>, Option<usize>, bool);

    fn summary(cands: &[Candidate]) -> Vec<Summary> {
        let mut out: Vec<_> = cands
            .iter()
            .map(|c| {
                let cosine = format!("{:.5}", c.cosine);
                (
                    c.id,
                    cosine,
                    c.semantic_rank,
                    c.lexical_rank,
                    c.cosine_from_expansion,
                )
            })
            .collect();
        out.sort_by_key(|s| s.0);
        out
    }

    #[test]
    fn two_phrasings_in_one_pass_equal_two_searches_joined() {
        let index = index(&[0.0, 0.4, 0.9, 1.3, 1.6, 2.2, 3.0]);
        let (query, second) = ([1.0f32, 0.0], [0.0f32, 1.0]);
        let filter = Filter::default();
        for per_list in [2, 3, 10] {
            let one_pass = index
                .candidates(&[&query, &second], "deploy", &filter, per_list)
                .unwrap_or_else(|e| panic!("{e}"));
            let mut joined = index
                .candidates(&[&query], "deploy", &filter, per_list)
                .unwrap_or_else(|e| panic!("{e}"));
            let more = index
                .candidates(&[&second], "", &filter, per_list)
                .unwrap_or_else(|e| panic!("{e}"));
            add_second_phrasing(&mut joined, more);
            assert_eq!(summary(&one_pass), summary(&joined), "per_list {per_list}");
            assert!(
                one_pass.iter().any(|c| c.cosine_from_expansion),
                "the second phrasing found chunks near it"
            );
        }
    }
}
