//! Search over the published index ([`crate::store::index_file`]), read in place: its base and, when one applies,
//! its delta, whose points replace the base's copies (those are *dead*). Filters test the documents' columns,
//! the semantic lists scan the int8 rows and re-score the best of them exactly in f32, the lexical list reads
//! the postings of the query's terms with BM25's N and document frequencies counted over live documents only,
//! and only candidates' payloads are decoded. It ranks as the in-memory [`super::SearchIndex`] over the same
//! points does (tests/search/published.rs compares them).

mod columns;
mod tree;

use super::corpus::{from_lists, top_by_id, Candidate, Corpus};
use super::filter::Filter;
use crate::error::{Error, Result};
use crate::payload::Payload;
use crate::store::index_file::read::{DocRecord, MappedIndex};
use crate::store::index_file::Tables;
use columns::Columns;
use std::collections::BTreeSet;
use uuid::Uuid;

/// How many quantized candidates per wanted one are re-scored exactly (int8 rounding moves a cosine by about
/// 0.002, far less than the gap between the best 200 and the next 600 of a real store).
const RESCORE_FACTOR: usize = 4;
const RESCORE_EXTRA: usize = 64;

/// One published file and which of its documents a later one replaced.
struct Segment {
    index: MappedIndex,
    /// Per document, replaced by the delta (empty: none).
    dead: Vec<bool>,
    /// The key of its first document: keys number the documents of all segments in turn.
    first_key: u32,
}

impl Segment {
    fn alive(&self, doc: usize) -> bool {
        !self.dead.get(doc).copied().unwrap_or(false)
    }
}

/// The published base and its delta, searched as one.
pub struct PublishedIndex {
    segments: Vec<Segment>,
    /// BM25's N: live documents with at least one term.
    docs_with_terms: f32,
    live: u64,
}

impl PublishedIndex {
    pub fn new(base: MappedIndex, delta: Option<MappedIndex>) -> Self {
        let mut dead = Vec::new();
        if let Some(d) = &delta {
            for id in d.superseded() {
                if let Some(doc) = base.doc_of(id) {
                    if dead.is_empty() {
                        dead = vec![false; base.doc_count()];
                    }
                    if let Some(d) = dead.get_mut(doc) {
                        *d = true;
                    }
                }
            }
        }
        let mut segments = vec![Segment {
            first_key: 0,
            dead,
            index: base,
        }];
        if let Some(index) = delta {
            let first_key = segments[0].index.doc_count() as u32;
            segments.push(Segment {
                index,
                dead: Vec::new(),
                first_key,
            });
        }
        let mut docs_with_terms = 0f32;
        let mut live = 0;
        for s in &segments {
            docs_with_terms += s.index.counts().docs_with_terms as f32;
            live += s.index.doc_count() as u64;
            for (doc, _) in s.dead.iter().enumerate().filter(|(_, d)| **d) {
                live -= 1;
                if MappedIndex::has_terms(&s.index.doc(doc)) {
                    docs_with_terms -= 1.0;
                }
            }
        }
        PublishedIndex {
            segments,
            docs_with_terms,
            live,
        }
    }

    /// When the newest part was published, Unix seconds.
    pub fn created_unix(&self) -> u64 {
        self.segments.last().map_or(0, |s| s.index.created_unix())
    }

    /// Whether a delta applies.
    pub fn has_delta(&self) -> bool {
        self.segments.len() > 1
    }

    /// The (name, path) of every project some live document belongs to: a segment's table, less the projects
    /// only its dead documents named.
    fn live_projects(&self) -> Vec<&(Option<String>, Option<String>)> {
        self.live_entries(|tables| &tables.projects, |doc| doc.project)
    }

    /// The id of every session some live document belongs to.
    fn live_sessions(&self) -> Vec<&String> {
        self.live_entries(|tables| &tables.sessions, |doc| doc.session)
    }

    /// The entries of a per-segment table (projects, sessions) that some live document names by `ordinal`.
    fn live_entries<'a, T>(
        &'a self,
        table: impl Fn(&'a Tables) -> &'a Vec<T>,
        ordinal: impl Fn(&DocRecord) -> u32,
    ) -> Vec<&'a T> {
        let mut out = Vec::new();
        for s in &self.segments {
            let entries = table(s.index.tables());
            if s.dead.is_empty() {
                out.extend(entries.iter());
                continue;
            }
            let mut used = vec![false; entries.len()];
            for doc in (0..s.index.doc_count()).filter(|d| s.alive(*d)) {
                if let Some(u) = used.get_mut(ordinal(&s.index.doc(doc)) as usize) {
                    *u = true;
                }
            }
            out.extend(entries.iter().zip(used).filter(|(_, u)| *u).map(|(e, _)| e));
        }
        out
    }

    /// The segment and document of a key.
    fn locate(&self, key: u32) -> (&Segment, usize) {
        let s = self
            .segments
            .iter()
            .rev()
            .find(|s| key >= s.first_key)
            .unwrap_or(&self.segments[0]);
        (s, (key - s.first_key) as usize)
    }

    fn id(&self, key: u32) -> Uuid {
        let (s, doc) = self.locate(key);
        s.index.id(doc)
    }

    fn payload(&self, key: u32) -> Result<Payload> {
        let (s, doc) = self.locate(key);
        s.index.payload(doc)
    }

    fn dot(&self, key: u32, q: &[f32]) -> Result<Option<f32>> {
        let (s, doc) = self.locate(key);
        let r = s.index.doc(doc);
        if MappedIndex::has_row(&r) {
            // The in-memory index's product, so equal vectors tie exactly as they do there.
            Ok(Some(super::rank::dot(&s.index.vector(r.row)?, q)))
        } else {
            Ok(None)
        }
    }

    /// Exact cosine of a document to `q`; for a chunk without a vector, the best of its message's live embedded
    /// chunks (`None` if it has none).
    fn cosine(&self, key: u32, q: &[f32]) -> Result<Option<f32>> {
        if let Some(c) = self.dot(key, q)? {
            return Ok(Some(c));
        }
        let (s, doc) = self.locate(key);
        let message_id = s.index.message_id(s.index.doc(doc).message);
        let mut best: Option<f32> = None;
        for sibling in self.message_keys(&message_id) {
            if let Some(c) = self.dot(sibling, q)? {
                best = Some(best.map_or(c, |b| b.max(c)));
            }
        }
        Ok(best)
    }

    /// The semantic lists: a scan of every segment's live int8 rows per phrasing (split across the cores), the
    /// best re-scored exactly.
    fn semantic(
        &self,
        phrasings: &[&[f32]],
        filter: &Filter,
        per_list: usize,
    ) -> Result<Vec<Vec<(u32, f32)>>> {
        let queries: Vec<(f32, Vec<i8>)> = phrasings
            .iter()
            .map(|q| crate::store::index_file::write::quantize(q))
            .collect();
        let pool = per_list * RESCORE_FACTOR + RESCORE_EXTRA;
        let mut approx: Vec<Vec<(u32, f32)>> = vec![Vec::new(); phrasings.len()];
        for s in &self.segments {
            let dim = s.index.dimension();
            if dim == 0 || phrasings.iter().any(|q| q.len() != dim) {
                continue;
            }
            let columns = Columns::of(&s.index, filter);
            let docs = s.index.doc_count();
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 4)
                .min(docs / 50_000 + 1);
            let share = docs.div_ceil(threads);
            let parts: Vec<Result<Lists>> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let range = t * share..((t + 1) * share).min(docs);
                        let (columns, queries) = (&columns, &queries);
                        scope.spawn(move || self.scan(s, range, columns, queries, pool))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(Error::Store {
                                path: s.index.path().to_path_buf(),
                                message: "a search thread panicked".into(),
                            })
                        })
                    })
                    .collect()
            });
            for part in parts {
                for (list, found) in approx.iter_mut().zip(part?) {
                    list.extend(found);
                }
            }
        }
        approx
            .into_iter()
            .zip(phrasings)
            .map(|(mut list, q)| {
                top_by_id(&mut list, pool, |k| self.id(k));
                let mut exact = Vec::with_capacity(list.len());
                for (key, _) in list {
                    if let Some(c) = self.dot(key, q)? {
                        exact.push((key, c));
                    }
                }
                top_by_id(&mut exact, per_list, |k| self.id(k));
                Ok(exact)
            })
            .collect()
    }

    /// The best `pool` approximate cosines per query among documents `range` of one segment.
    fn scan(
        &self,
        s: &Segment,
        range: std::ops::Range<usize>,
        columns: &Columns,
        queries: &[(f32, Vec<i8>)],
        pool: usize,
    ) -> Result<Lists> {
        let mut lists: Lists = vec![Vec::new(); queries.len()];
        // When a list reaches this length it is trimmed; a trim that cannot shrink it (many equal scores) raises
        // the bar, so trimming never happens on every push.
        let mut trim_at: Vec<usize> = vec![4 * pool + 4096; queries.len()];
        let mut rows = s.index.row_blocks();
        let unfiltered = columns.accepts_all();
        for doc in range {
            let row = if unfiltered {
                s.index.row_of(doc)
            } else {
                let r = s.index.doc(doc);
                if !columns.matches(&r) {
                    continue;
                }
                r.row
            };
            if row == crate::store::index_file::NONE || !s.alive(doc) {
                continue;
            }
            let values = rows.row(row)?;
            let scale = s.index.scale(row);
            let key = s.first_key + doc as u32;
            for ((list, (qs, q)), at) in lists.iter_mut().zip(queries).zip(&mut trim_at) {
                list.push((key, int8_dot(values, q) as f32 * scale * qs));
                if list.len() >= *at {
                    // Keep memory bounded: the best `pool` by score (ties are settled by id later, on fewer).
                    trim(list, pool);
                    *at = (*at).max(2 * list.len());
                }
            }
        }
        for list in &mut lists {
            trim(list, pool);
        }
        Ok(lists)
    }

    /// The lexical list: BM25 over the live postings of the query's terms.
    fn lexical(&self, query: &str, filter: &Filter, per_list: usize) -> Vec<(u32, f32)> {
        let columns: Vec<Columns> = self
            .segments
            .iter()
            .map(|s| Columns::of(&s.index, filter))
            .collect();
        let keys = self
            .segments
            .last()
            .map_or(0, |s| s.first_key as usize + s.index.doc_count());
        // Dense per key: cheaper than hashing when a common term touches many documents.
        let mut scores: Vec<f32> = Vec::new();
        let mut allowed: Vec<u8> = Vec::new();
        let mut touched: Vec<u32> = Vec::new();
        for term in crate::lexical::query_terms(query) {
            let df: usize = self
                .segments
                .iter()
                .map(|s| {
                    if s.dead.is_empty() {
                        s.index.document_frequency(&term)
                    } else {
                        s.index
                            .postings(&term)
                            .filter(|(d, _)| s.alive(*d as usize))
                            .count()
                    }
                })
                .sum();
            if df == 0 {
                continue;
            }
            if scores.is_empty() {
                scores = vec![0.0; keys];
                allowed = vec![0; keys];
            }
            let idf = crate::lexical::idf(self.docs_with_terms, df as f32);
            for (s, columns) in self.segments.iter().zip(&columns) {
                for (doc, weight) in s.index.postings(&term) {
                    let key = (s.first_key + doc) as usize;
                    let Some(state) = allowed.get_mut(key) else {
                        continue;
                    };
                    if *state == 0 {
                        let ok =
                            s.alive(doc as usize) && columns.matches(&s.index.doc(doc as usize));
                        *state = if ok { 1 } else { 2 };
                    }
                    if *state == 1 {
                        if scores[key] == 0.0 {
                            touched.push(key as u32);
                        }
                        scores[key] += idf * weight;
                    }
                }
            }
        }
        let mut list: Vec<(u32, f32)> = touched
            .into_iter()
            .map(|k| (k, scores[k as usize]))
            .collect();
        top_by_id(&mut list, per_list, |k| self.id(k));
        list
    }
}

/// One list of (key, score) per phrasing.
type Lists = Vec<Vec<(u32, f32)>>;

/// Keeps the entries scoring at least the `k`th best (all of them when tied), in no order.
fn trim(list: &mut Vec<(u32, f32)>, k: usize) {
    if list.len() > k {
        let cut = k.min(list.len() - 1);
        list.select_nth_unstable_by(cut, |a, b| b.1.total_cmp(&a.1));
        let threshold = list[cut].1;
        list.retain(|e| e.1 >= threshold);
    }
}

fn int8_dot(row: &[u8], q: &[i8]) -> i32 {
    row.iter()
        .zip(q)
        .map(|(a, b)| i32::from(*a as i8) * i32::from(*b))
        .sum()
}

impl Corpus for PublishedIndex {
    fn point_count(&self) -> Result<u64> {
        Ok(self.live)
    }

    fn project_names(&self) -> Result<Vec<String>> {
        let set: BTreeSet<&str> = self
            .live_projects()
            .into_iter()
            .filter_map(|(name, _)| name.as_deref())
            .collect();
        Ok(set.into_iter().map(str::to_string).collect())
    }

    fn project_paths(&self) -> Result<BTreeSet<String>> {
        Ok(self
            .live_projects()
            .into_iter()
            .filter_map(|(_, path)| path.clone())
            .collect())
    }

    fn sessions_starting_with(&self, prefix: &str) -> Result<Vec<String>> {
        let ids = self.live_sessions().into_iter().map(String::as_str);
        Ok(super::corpus::abbreviated(prefix, ids))
    }

    fn candidates(
        &self,
        phrasings: &[&[f32]],
        query: &str,
        filter: &Filter,
        per_list: usize,
    ) -> Result<Vec<Candidate>> {
        let semantic = self.semantic(phrasings, filter, per_list)?;
        let lexical = self.lexical(query, filter, per_list);
        let mut failure: Option<Error> = None;
        let cands = from_lists(&semantic, &lexical, |key, phrasing, sem, lex| {
            let payload = match self.payload(key) {
                Ok(p) => p,
                Err(e) => {
                    failure.get_or_insert(e);
                    return None;
                }
            };
            Some(Candidate::ranked(
                self.id(key),
                payload,
                sem,
                lex,
                || match self.cosine(key, phrasings[phrasing]) {
                    Ok(c) => c,
                    Err(e) => {
                        failure.get_or_insert(e);
                        None
                    }
                },
            ))
        });
        match failure {
            Some(e) => Err(e),
            None => Ok(cands),
        }
    }

    fn embedding_model(&self) -> Result<Option<String>> {
        Ok(self
            .segments
            .iter()
            .rev()
            .find_map(|s| s.index.tables().embedding_model.clone()))
    }

    fn message(&self, message_id: &str) -> Result<Option<Payload>> {
        Ok(self.message_chunks(message_id)?.into_iter().next())
    }

    fn message_chunks(&self, message_id: &str) -> Result<Vec<Payload>> {
        PublishedIndex::message_chunks(self, message_id)
    }

    fn first_child(&self, message_id: &str) -> Result<Option<Payload>> {
        PublishedIndex::first_child(self, message_id)
    }
}
