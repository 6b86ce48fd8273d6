//! Search over the published index file ([`crate::store::index_file`]), read in place: filters test the
//! documents' columns, the semantic lists scan the int8 rows and re-score the best of them exactly in f32, the
//! lexical list reads the postings of the query's terms, and only candidates' payloads are decoded. It ranks as
//! the in-memory [`super::SearchIndex`] does (tests/published_index.rs compares them).

use super::corpus::{from_lists, top_by_id, Candidate, Corpus};
use super::filter::Filter;
use crate::error::{Error, Result};
use crate::payload::Payload;
use crate::store::index_file::read::{DocRecord, MappedIndex};
use crate::store::index_file::write::{kind_code, topic_bit};
use crate::store::index_file::{FLAG_HAS_CODE, FLAG_SOLUTION_ATTEMPT, NONE, NO_TIME};
use std::collections::BTreeSet;

/// How many quantized candidates per wanted one are re-scored exactly (int8 rounding moves a cosine by about
/// 0.002, far less than the gap between the best 200 and the next 600 of a real store).
const RESCORE_FACTOR: usize = 4;
const RESCORE_EXTRA: usize = 64;

/// A [`Filter`] turned into tests on document records.
struct Columns {
    projects: Option<Vec<u32>>,
    kinds: Option<Vec<u8>>,
    topic: Option<u64>,
    flags: u8,
    since: Option<i64>,
    until: Option<i64>,
    session: Option<u32>,
    messages: Option<Vec<u32>>,
}

impl Columns {
    fn of(index: &MappedIndex, filter: &Filter) -> Self {
        let tables = index.tables();
        let projects = filter.project.as_ref().map(|wanted| {
            tables
                .projects
                .iter()
                .enumerate()
                .filter(|(_, (name, path))| {
                    name.as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(wanted))
                        || path.as_deref() == Some(wanted.as_str())
                })
                .map(|(i, _)| i as u32)
                .collect()
        });
        let session = filter.session.as_ref().map(|s| {
            tables
                .sessions
                .iter()
                .position(|x| x == s)
                .map_or(NONE - 1, |i| i as u32)
        });
        let mut messages = filter.uuid.as_ref().map(|u| index.uuid_messages(u));
        if let Some(m) = &mut messages {
            m.sort_unstable();
        }
        Columns {
            projects,
            kinds: (!filter.kinds.is_empty())
                .then(|| filter.kinds.iter().map(|k| kind_code(*k)).collect()),
            topic: filter.topic.as_ref().map(|t| topic_bit(t).unwrap_or(0)),
            flags: (if filter.has_code { FLAG_HAS_CODE } else { 0 })
                | (if filter.solutions {
                    FLAG_SOLUTION_ATTEMPT
                } else {
                    0
                }),
            since: filter.since,
            until: filter.until,
            session,
            messages,
        }
    }

    fn matches(&self, r: &DocRecord) -> bool {
        if self
            .projects
            .as_ref()
            .is_some_and(|p| !p.contains(&r.project))
        {
            return false;
        }
        if self.kinds.as_ref().is_some_and(|k| !k.contains(&r.kind)) {
            return false;
        }
        if self.topic.is_some_and(|bit| r.topics & bit == 0) {
            return false;
        }
        if r.flags & self.flags != self.flags {
            return false;
        }
        if self.since.is_some() || self.until.is_some() {
            if r.timestamp == NO_TIME {
                return false;
            }
            if self.since.is_some_and(|s| r.timestamp < s)
                || self.until.is_some_and(|u| r.timestamp >= u)
            {
                return false;
            }
        }
        if self.session.is_some_and(|s| s != r.session) {
            return false;
        }
        if let Some(m) = &self.messages {
            if m.binary_search(&r.message).is_err() {
                return false;
            }
        }
        true
    }
}

/// A query vector as int8 with its scale.
fn quantized_query(q: &[f32]) -> (f32, Vec<i8>) {
    crate::store::index_file::write::quantize(q)
}

fn int8_dot(row: &[u8], q: &[i8]) -> i32 {
    row.iter()
        .zip(q)
        .map(|(a, b)| i32::from(*a as i8) * i32::from(*b))
        .sum()
}

impl MappedIndex {
    /// Exact cosine of a document to `q`; for a chunk without a vector, the best of its message's embedded
    /// chunks (`None` if it has none).
    fn cosine(&self, doc: usize, q: &[f32]) -> Result<Option<f32>> {
        let r = self.doc(doc);
        if MappedIndex::has_row(&r) {
            return self.dot(r.row, q).map(Some);
        }
        let Some(m) = self.message(r.message) else {
            return Ok(None);
        };
        let mut best: Option<f32> = None;
        for d in m.first_doc..m.first_doc + m.docs {
            let r = self.doc(d as usize);
            if MappedIndex::has_row(&r) {
                let c = self.dot(r.row, q)?;
                best = Some(best.map_or(c, |b| b.max(c)));
            }
        }
        Ok(best)
    }

    fn first_payload(&self, ordinal: u32) -> Result<Option<Payload>> {
        match self.message(ordinal) {
            Some(m) if m.docs > 0 => self.payload(m.first_doc as usize).map(Some),
            _ => Ok(None),
        }
    }

    /// The semantic lists: a scan of the int8 rows per phrasing, the best re-scored exactly.
    fn semantic(
        &self,
        phrasings: &[&[f32]],
        columns: &Columns,
        per_list: usize,
    ) -> Result<Vec<Vec<(u32, f32)>>> {
        let dim = self.dimension();
        let queries: Vec<(f32, Vec<i8>)> = phrasings.iter().map(|q| quantized_query(q)).collect();
        let mut approx: Vec<Vec<(u32, f32)>> = vec![Vec::new(); phrasings.len()];
        if dim > 0 && phrasings.iter().all(|q| q.len() == dim) {
            let mut rows = self.row_blocks();
            for doc in 0..self.doc_count() {
                let r = self.doc(doc);
                if !MappedIndex::has_row(&r) || !columns.matches(&r) {
                    continue;
                }
                let values = rows.row(r.row)?;
                let scale = self.scale(r.row);
                for (list, (qs, q)) in approx.iter_mut().zip(&queries) {
                    list.push((doc as u32, int8_dot(values, q) as f32 * scale * qs));
                }
            }
        }
        let pool = per_list * RESCORE_FACTOR + RESCORE_EXTRA;
        approx
            .into_iter()
            .zip(phrasings)
            .map(|(mut list, q)| {
                top_by_id(&mut list, pool, |d| self.id(d as usize));
                let mut exact = list
                    .into_iter()
                    .map(|(d, _)| Ok((d, self.dot(self.doc(d as usize).row, q)?)))
                    .collect::<Result<Vec<(u32, f32)>>>()?;
                top_by_id(&mut exact, per_list, |d| self.id(d as usize));
                Ok(exact)
            })
            .collect()
    }

    /// The lexical list: BM25 over the postings of the query's terms.
    fn lexical(&self, query: &str, columns: &Columns, per_list: usize) -> Vec<(u32, f32)> {
        let n = self.counts().docs_with_terms as f32;
        let mut scores: std::collections::HashMap<u32, f32> = std::collections::HashMap::new();
        let mut allowed: std::collections::HashMap<u32, bool> = std::collections::HashMap::new();
        for term in crate::lexical::query_terms(query) {
            let df = self.document_frequency(&term);
            if df == 0 {
                continue;
            }
            let idf = crate::lexical::idf(n, df as f32);
            for (doc, weight) in self.postings(&term) {
                let ok = *allowed
                    .entry(doc)
                    .or_insert_with(|| columns.matches(&self.doc(doc as usize)));
                if ok {
                    *scores.entry(doc).or_insert(0.0) += idf * weight;
                }
            }
        }
        let mut list: Vec<(u32, f32)> = scores.into_iter().collect();
        top_by_id(&mut list, per_list, |d| self.id(d as usize));
        list
    }
}

impl Corpus for MappedIndex {
    fn point_count(&self) -> Result<u64> {
        Ok(self.doc_count() as u64)
    }

    fn project_names(&self) -> Result<Vec<String>> {
        let set: BTreeSet<&str> = self
            .tables()
            .projects
            .iter()
            .filter_map(|(name, _)| name.as_deref())
            .collect();
        Ok(set.into_iter().map(str::to_string).collect())
    }

    fn project_paths(&self) -> Result<BTreeSet<String>> {
        Ok(self
            .tables()
            .projects
            .iter()
            .filter_map(|(_, path)| path.clone())
            .collect())
    }

    fn candidates(
        &self,
        phrasings: &[&[f32]],
        query: &str,
        filter: &Filter,
        per_list: usize,
    ) -> Result<Vec<Candidate>> {
        let columns = Columns::of(self, filter);
        let semantic = self.semantic(phrasings, &columns, per_list)?;
        let lexical = self.lexical(query, &columns, per_list);
        let mut failure: Option<Error> = None;
        let cands = from_lists(&semantic, &lexical, |d, phrasing, sem, lex| {
            let doc = d as usize;
            let payload = match self.payload(doc) {
                Ok(p) => p,
                Err(e) => {
                    failure.get_or_insert(e);
                    return None;
                }
            };
            Some(Candidate::ranked(
                self.id(doc),
                payload,
                sem,
                lex,
                || match self.cosine(doc, phrasings[phrasing]) {
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
        Ok(self.tables().embedding_model.clone())
    }

    fn message(&self, message_id: &str) -> Result<Option<Payload>> {
        match self.message_ordinal(message_id) {
            Some(m) => self.first_payload(m),
            None => Ok(None),
        }
    }

    fn message_text(&self, message_id: &str) -> Result<Option<String>> {
        let Some(m) = self
            .message_ordinal(message_id)
            .and_then(|m| self.message(m))
        else {
            return Ok(None);
        };
        let texts = (m.first_doc..m.first_doc + m.docs)
            .map(|d| self.payload(d as usize).map(|p| p.text))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(texts.join("\n")))
    }

    fn context(&self, message_id: &str, n: usize) -> Result<(Vec<Payload>, Vec<Payload>)> {
        let Some(start) = self.message_ordinal(message_id) else {
            return Ok((Vec::new(), Vec::new()));
        };
        let link = |m: u32, parent: bool| {
            self.message(m)
                .map(|r| if parent { r.parent } else { r.first_child })
                .filter(|next| *next != NONE)
        };
        let mut before = Vec::new();
        let mut cursor = link(start, true);
        while before.len() < n {
            let Some(m) = cursor else { break };
            let Some(p) = self.first_payload(m)? else {
                break;
            };
            before.push(p);
            cursor = link(m, true);
        }
        before.reverse();
        let mut after = Vec::new();
        let mut cursor = link(start, false);
        while after.len() < n {
            let Some(m) = cursor else { break };
            let Some(p) = self.first_payload(m)? else {
                break;
            };
            after.push(p);
            cursor = link(m, false);
        }
        Ok((before, after))
    }
}
