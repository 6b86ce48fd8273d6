//! Builds the published index file from every stored point.

use super::{
    Counts, Identity, Section, Tables, DOC_RECORD, FLAG_HAS_CODE, FLAG_HAS_TERMS,
    FLAG_SOLUTION_ATTEMPT, FORMAT, HEADER, MAGIC, NONE, NO_TIME, SECTIONS,
};
use crate::enhance::topics::TOPICS;
use crate::error::{Error, Result};
use crate::message::{Agent, MessageKind};
use crate::payload::Payload;
use crate::store::StoredPoint;
use std::collections::{BTreeMap, HashMap};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use uuid::Uuid;

/// Writes the index of `points` to `path` (created or truncated) and syncs it: a base, or with `superseded` (the
/// ids it replaces in its base, sorted) a delta. Points whose vector has another length than the first vector's
/// are left out, as the in-memory index does (a data dir holds one model's vectors).
pub fn write(
    path: &Path,
    points: impl Iterator<Item = Result<(Uuid, StoredPoint)>>,
    identity: Identity,
    superseded: &[Uuid],
) -> Result<()> {
    let io = |e: std::io::Error| Error::io(path, e);
    let mut points: Vec<(Uuid, StoredPoint)> = points.collect::<Result<_>>()?;
    let dimension = points
        .iter()
        .map(|(_, p)| p.vector.len())
        .find(|n| *n > 0)
        .unwrap_or(0);
    points.retain(|(_, p)| p.vector.is_empty() || p.vector.len() == dimension);
    points.sort_by(|a, b| {
        (
            a.1.payload.message_id.as_str(),
            a.1.payload.chunk_index,
            a.0,
        )
            .cmp(&(
                b.1.payload.message_id.as_str(),
                b.1.payload.chunk_index,
                b.0,
            ))
    });
    let file = std::fs::File::create(path).map_err(io)?;
    let mut out =
        SectionWriter::new(std::io::BufWriter::with_capacity(1 << 20, file)).map_err(io)?;
    let layout = Layout::of(&points);
    let counts = Counts {
        dimension: dimension as u32,
        docs: points.len() as u64,
        rows: layout.rows as u64,
        messages: layout.messages.len() as u64,
        docs_with_terms: 0,
    };

    out.section(Section::Ids, |w| {
        points
            .iter()
            .try_for_each(|(id, _)| w.write_all(&id.as_u128().to_le_bytes()))
    })
    .map_err(io)?;
    let postings = Postings::of(&points);
    out.section(Section::Docs, |w| {
        for (doc, (_, p)) in points.iter().enumerate() {
            let has_terms = postings.has_terms.get(doc).copied().unwrap_or(false);
            w.write_all(&layout.doc_record(doc, &p.payload, has_terms))?;
        }
        Ok(())
    })
    .map_err(io)?;
    let mut by_id: Vec<u32> = (0..points.len() as u32).collect();
    by_id.sort_by_key(|d| points[*d as usize].0);
    out.section(Section::IdOrder, |w| write_u32s(w, &by_id))
        .map_err(io)?;
    let mut superseded = superseded.to_vec();
    superseded.sort_unstable();
    superseded.dedup();
    out.section(Section::Superseded, |w| {
        superseded
            .iter()
            .try_for_each(|id| w.write_all(&id.as_u128().to_le_bytes()))
    })
    .map_err(io)?;
    let mut payload_offsets = Vec::with_capacity(points.len() + 1);
    let mut at = 0u64;
    out.section(Section::Payloads, |w| {
        for (_, p) in &points {
            let bytes = crate::codec::bincode_bytes("indexed payload", &p.payload)
                .map_err(std::io::Error::other)?;
            payload_offsets.push(at);
            at += bytes.len() as u64;
            w.write_all(&bytes)?;
        }
        payload_offsets.push(at);
        Ok(())
    })
    .map_err(io)?;
    out.section(Section::PayloadOffsets, |w| write_u64s(w, &payload_offsets))
        .map_err(io)?;
    write_vectors(&mut out, &points).map_err(io)?;
    let docs_with_terms = postings.has_terms.iter().filter(|t| **t).count() as u64;
    postings.write(&mut out).map_err(io)?;
    write_messages(&mut out, &points, &layout).map_err(io)?;
    let tables = Tables {
        projects: layout.projects.clone(),
        sessions: layout.sessions.clone(),
        embedding_model: points
            .iter()
            .find(|(_, p)| !p.vector.is_empty())
            .map(|(_, p)| p.payload.embedding_model.clone()),
    };
    let tables = crate::codec::bincode_bytes("index tables", &tables)?;
    out.section(Section::Tables, |w| w.write_all(&tables))
        .map_err(io)?;
    let counts = Counts {
        docs_with_terms,
        ..counts
    };
    let file = out.finish(counts, identity).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Writes sections one after another (each padded to a multiple of 8) and the header last.
struct SectionWriter {
    w: std::io::BufWriter<std::fs::File>,
    at: u64,
    table: [(u64, u64); SECTIONS],
}

impl SectionWriter {
    fn new(mut w: std::io::BufWriter<std::fs::File>) -> std::io::Result<Self> {
        w.write_all(&[0u8; HEADER])?;
        Ok(SectionWriter {
            w,
            at: HEADER as u64,
            table: [(0, 0); SECTIONS],
        })
    }

    fn section(
        &mut self,
        section: Section,
        body: impl FnOnce(&mut Counting<'_>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let start = self.at;
        let mut counting = Counting {
            w: &mut self.w,
            written: 0,
        };
        body(&mut counting)?;
        let len = counting.written;
        let pad = (8 - len % 8) % 8;
        self.w.write_all(&[0u8; 8][..pad as usize])?;
        self.at = start + len + pad;
        self.table[section as usize] = (start, len);
        Ok(())
    }

    fn finish(mut self, counts: Counts, identity: Identity) -> std::io::Result<std::fs::File> {
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&FORMAT.to_le_bytes());
        header.extend_from_slice(&counts.dimension.to_le_bytes());
        for n in [
            counts.docs,
            counts.rows,
            counts.messages,
            counts.docs_with_terms,
            identity.created_unix,
            identity.segment_id,
            identity.base_id,
        ] {
            header.extend_from_slice(&n.to_le_bytes());
        }
        for (offset, len) in self.table {
            header.extend_from_slice(&offset.to_le_bytes());
            header.extend_from_slice(&len.to_le_bytes());
        }
        self.w.flush()?;
        let mut file = self.w.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header)?;
        Ok(file)
    }
}

/// A writer that counts what passes through it.
struct Counting<'a> {
    w: &'a mut dyn Write,
    written: u64,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.w.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

fn write_u64s(w: &mut impl Write, values: &[u64]) -> std::io::Result<()> {
    values
        .iter()
        .try_for_each(|v| w.write_all(&v.to_le_bytes()))
}

fn write_u32s(w: &mut impl Write, values: &[u32]) -> std::io::Result<()> {
    values
        .iter()
        .try_for_each(|v| w.write_all(&v.to_le_bytes()))
}

/// Sorted strings as (count + 1) offsets and their bytes.
fn write_strings(
    out: &mut Out,
    offsets: Section,
    text: Section,
    strings: &[&str],
) -> std::io::Result<()> {
    let mut at = 0u64;
    let mut starts = Vec::with_capacity(strings.len() + 1);
    for s in strings {
        starts.push(at);
        at += s.len() as u64;
    }
    starts.push(at);
    out.section(offsets, |w| write_u64s(w, &starts))?;
    out.section(text, |w| {
        strings.iter().try_for_each(|s| w.write_all(s.as_bytes()))
    })
}

type Out = SectionWriter;

/// Int8 rows with their scales, then the f32 rows.
fn write_vectors(out: &mut Out, points: &[(Uuid, StoredPoint)]) -> std::io::Result<()> {
    let embedded = || {
        points
            .iter()
            .map(|(_, p)| &p.vector)
            .filter(|v| !v.is_empty())
    };
    let mut scales = Vec::new();
    out.section(Section::Quantized, |w| {
        let mut row = Vec::new();
        for v in embedded() {
            let (scale, q) = quantize(v);
            scales.push(scale);
            row.clear();
            row.extend(q.iter().map(|x| *x as u8));
            w.write_all(&row)?;
        }
        Ok(())
    })?;
    out.section(Section::Scales, |w| {
        scales
            .iter()
            .try_for_each(|s| w.write_all(&s.to_le_bytes()))
    })?;
    out.section(Section::Vectors, |w| {
        for v in embedded() {
            for x in v {
                w.write_all(&x.to_le_bytes())?;
            }
        }
        Ok(())
    })
}

/// A vector as int8 values and the scale that restores it (`v[i] ~ q[i] * scale`).
pub fn quantize(v: &[f32]) -> (f32, Vec<i8>) {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 || !max.is_finite() {
        return (0.0, vec![0; v.len()]);
    }
    let scale = max / 127.0;
    let q = v
        .iter()
        .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8)
        .collect();
    (scale, q)
}

/// The inverted index: sorted terms, each with its postings (document, BM25 term weight), and which documents
/// have any term.
struct Postings {
    terms: Vec<(String, Vec<(u32, f32)>)>,
    has_terms: Vec<bool>,
}

impl Postings {
    fn of(points: &[(Uuid, StoredPoint)]) -> Self {
        let mut postings: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        let mut has_terms = Vec::with_capacity(points.len());
        for (doc, (_, p)) in points.iter().enumerate() {
            let terms = crate::lexical::term_weights(&p.payload.text);
            has_terms.push(!terms.is_empty());
            for (term, weight) in terms {
                postings.entry(term).or_default().push((doc as u32, weight));
            }
        }
        let mut terms: Vec<(String, Vec<(u32, f32)>)> = postings.into_iter().collect();
        terms.sort_by(|a, b| a.0.cmp(&b.0));
        Postings { terms, has_terms }
    }

    fn write(&self, out: &mut Out) -> std::io::Result<()> {
        let names: Vec<&str> = self.terms.iter().map(|(t, _)| t.as_str()).collect();
        write_strings(out, Section::TermOffsets, Section::TermText, &names)?;
        let mut starts = Vec::with_capacity(self.terms.len() + 1);
        let mut at = 0u64;
        for (_, list) in &self.terms {
            starts.push(at);
            at += list.len() as u64;
        }
        starts.push(at);
        out.section(Section::Postings, |w| write_u64s(w, &starts))?;
        out.section(Section::PostingDocs, |w| {
            for (_, list) in &self.terms {
                write_u32s(w, &list.iter().map(|(d, _)| *d).collect::<Vec<_>>())?;
            }
            Ok(())
        })?;
        out.section(Section::PostingWeights, |w| {
            for (_, list) in &self.terms {
                for (_, weight) in list {
                    w.write_all(&weight.to_le_bytes())?;
                }
            }
            Ok(())
        })
    }
}

/// Messages (sorted by id, so their ordinals are their ranks), their ids, and every line uuid with its message.
fn write_messages(
    out: &mut Out,
    points: &[(Uuid, StoredPoint)],
    layout: &Layout,
) -> std::io::Result<()> {
    out.section(Section::Messages, |w| {
        for m in &layout.messages {
            for v in [m.first_doc, m.docs, m.parent, m.first_child] {
                w.write_all(&v.to_le_bytes())?;
            }
        }
        Ok(())
    })?;
    let ids: Vec<&str> = layout
        .messages
        .iter()
        .map(|m| points[m.first_doc as usize].1.payload.message_id.as_str())
        .collect();
    write_strings(out, Section::MessageIdOffsets, Section::MessageIdText, &ids)?;
    let mut uuids: Vec<(&str, u32)> = Vec::new();
    for (ordinal, m) in layout.messages.iter().enumerate() {
        let docs = &points[m.first_doc as usize..(m.first_doc + m.docs) as usize];
        for (_, p) in docs {
            uuids.push((p.payload.uuid.as_str(), ordinal as u32));
            uuids.extend(
                p.payload
                    .line_uuids
                    .iter()
                    .map(|u| (u.as_str(), ordinal as u32)),
            );
        }
    }
    uuids.sort_unstable();
    uuids.dedup();
    let names: Vec<&str> = uuids.iter().map(|(u, _)| *u).collect();
    write_strings(out, Section::UuidOffsets, Section::UuidText, &names)?;
    out.section(Section::UuidMessages, |w| {
        write_u32s(w, &uuids.iter().map(|(_, m)| *m).collect::<Vec<_>>())
    })?;
    // Children by parent id, whether or not the parent is in this file (a delta's new message answers one in
    // the base).
    let mut parents: Vec<(&str, u32)> = layout
        .messages
        .iter()
        .enumerate()
        .filter_map(|(ordinal, m)| {
            let first = &points[m.first_doc as usize].1.payload;
            let parent = first.parent_message_id.as_deref()?;
            Some((parent, ordinal as u32))
        })
        .collect();
    parents.sort_unstable();
    let names: Vec<&str> = parents.iter().map(|(p, _)| *p).collect();
    write_strings(out, Section::ParentOffsets, Section::ParentText, &names)?;
    out.section(Section::ParentChildren, |w| {
        write_u32s(w, &parents.iter().map(|(_, m)| *m).collect::<Vec<_>>())
    })
}

/// How children are ordered: (time, line offset, message id), and the child's ordinal.
type ChildKey<'a> = (Option<i64>, u64, &'a str, u32);

/// A message's record.
struct MessageEntry {
    first_doc: u32,
    docs: u32,
    parent: u32,
    first_child: u32,
}

/// Ordinals of messages, rows, projects and sessions, computed before anything is written.
struct Layout {
    messages: Vec<MessageEntry>,
    /// Per document: its message ordinal and vector row.
    doc_message: Vec<u32>,
    doc_row: Vec<u32>,
    rows: usize,
    projects: Vec<(Option<String>, Option<String>)>,
    project_of: HashMap<(Option<String>, Option<String>), u32>,
    sessions: Vec<String>,
    session_of: HashMap<String, u32>,
}

impl Layout {
    fn of(points: &[(Uuid, StoredPoint)]) -> Self {
        let mut messages: Vec<MessageEntry> = Vec::new();
        let mut ordinal_of: HashMap<&str, u32> = HashMap::new();
        let mut doc_message = Vec::with_capacity(points.len());
        let mut doc_row = Vec::with_capacity(points.len());
        let mut rows = 0usize;
        for (doc, (_, p)) in points.iter().enumerate() {
            let id = p.payload.message_id.as_str();
            let ordinal = *ordinal_of.entry(id).or_insert_with(|| {
                messages.push(MessageEntry {
                    first_doc: doc as u32,
                    docs: 0,
                    parent: NONE,
                    first_child: NONE,
                });
                (messages.len() - 1) as u32
            });
            if let Some(m) = messages.get_mut(ordinal as usize) {
                m.docs += 1;
            }
            doc_message.push(ordinal);
            if p.vector.is_empty() {
                doc_row.push(NONE);
            } else {
                doc_row.push(rows as u32);
                rows += 1;
            }
        }
        // Parents and first children, ordered as the in-memory index orders children (time, line, id).
        let mut children: BTreeMap<u32, Vec<ChildKey>> = BTreeMap::new();
        for (ordinal, m) in messages.iter_mut().enumerate() {
            let first = &points[m.first_doc as usize].1.payload;
            if let Some(parent) = first
                .parent_message_id
                .as_deref()
                .and_then(|id| ordinal_of.get(id))
            {
                m.parent = *parent;
            }
            if first.chunk_index == 0 {
                if let Some(parent) = first.parent_message_id.as_deref() {
                    if let Some(parent) = ordinal_of.get(parent) {
                        children.entry(*parent).or_default().push((
                            first.timestamp_unix,
                            first.line_offset,
                            first.message_id.as_str(),
                            ordinal as u32,
                        ));
                    }
                }
            }
        }
        for (parent, mut kids) in children {
            kids.sort();
            if let (Some(m), Some(first)) = (messages.get_mut(parent as usize), kids.first()) {
                m.first_child = first.3;
            }
        }
        let mut layout = Layout {
            messages,
            doc_message,
            doc_row,
            rows,
            projects: Vec::new(),
            project_of: HashMap::new(),
            sessions: Vec::new(),
            session_of: HashMap::new(),
        };
        for (_, p) in points {
            let key = (p.payload.project_name.clone(), p.payload.project.clone());
            if key != (None, None) && !layout.project_of.contains_key(&key) {
                layout
                    .project_of
                    .insert(key.clone(), layout.projects.len() as u32);
                layout.projects.push(key);
            }
            if !layout.session_of.contains_key(&p.payload.session_id) {
                layout
                    .session_of
                    .insert(p.payload.session_id.clone(), layout.sessions.len() as u32);
                layout.sessions.push(p.payload.session_id.clone());
            }
        }
        layout
    }

    fn doc_record(&self, doc: usize, p: &Payload, has_terms: bool) -> [u8; DOC_RECORD] {
        let mut r = [0u8; DOC_RECORD];
        let project = self
            .project_of
            .get(&(p.project_name.clone(), p.project.clone()))
            .copied()
            .unwrap_or(NONE);
        let session = self.session_of.get(&p.session_id).copied().unwrap_or(NONE);
        let fields = [
            self.doc_message.get(doc).copied().unwrap_or(NONE),
            self.doc_row.get(doc).copied().unwrap_or(NONE),
            project,
            session,
        ];
        for (i, v) in fields.iter().enumerate() {
            r[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        r[16] = kind_code(p.kind);
        r[17] = (if p.has_code { FLAG_HAS_CODE } else { 0 })
            | (if p.is_solution_attempt {
                FLAG_SOLUTION_ATTEMPT
            } else {
                0
            })
            | (if has_terms { FLAG_HAS_TERMS } else { 0 });
        r[18] = agent_code(p.agent);
        r[24..32].copy_from_slice(&topic_mask(p).to_le_bytes());
        r[32..40].copy_from_slice(&p.timestamp_unix.unwrap_or(NO_TIME).to_le_bytes());
        r
    }
}

/// A kind's code in a document record: its position in [`MessageKind::ALL`].
pub fn kind_code(kind: MessageKind) -> u8 {
    MessageKind::ALL
        .iter()
        .position(|k| *k == kind)
        .map_or(u8::MAX, |i| i as u8)
}

/// An agent's code in a document record: its position in [`Agent::ALL`].
pub fn agent_code(agent: Agent) -> u8 {
    Agent::ALL
        .iter()
        .position(|a| *a == agent)
        .map_or(u8::MAX, |i| i as u8)
}

/// A topic's bit in a document record: its position in [`TOPICS`].
pub fn topic_bit(topic: &str) -> Option<u64> {
    TOPICS.iter().position(|t| *t == topic).map(|i| 1u64 << i)
}

fn topic_mask(p: &Payload) -> u64 {
    p.topics
        .iter()
        .filter_map(|t| topic_bit(&t.topic))
        .fold(0, |m, b| m | b)
}
