//! Reads a published index file in place, through a memory map.

use super::{
    Counts, Identity, Section, Tables, COUNTS, DOC_RECORD, FLAG_HAS_TERMS, FORMAT, HEADER, MAGIC,
    MESSAGE_RECORD, NONE, SECTIONS,
};
use crate::error::{Error, Result};
use crate::payload::Payload;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// A document's filter columns and links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocRecord {
    pub message: u32,
    /// Its row in the vector sections, or [`NONE`] for a chunk kept for lexical search only.
    pub row: u32,
    pub project: u32,
    pub session: u32,
    pub kind: u8,
    pub flags: u8,
    /// [`crate::store::index_file::write::agent_code`].
    pub agent: u8,
    pub topics: u64,
    pub timestamp: i64,
}

/// A message's documents and its neighbours in the conversation tree (ordinals, [`NONE`] when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageRecord {
    pub first_doc: u32,
    pub docs: u32,
    pub parent: u32,
    pub first_child: u32,
}

/// An open index file.
pub struct MappedIndex {
    map: memmap2::Mmap,
    /// The same file, for positioned reads of the large sections (vectors, payloads): bytes read into a buffer
    /// count towards a search's memory only while it holds them, pages touched through the map until it exits.
    file: std::fs::File,
    path: PathBuf,
    counts: Counts,
    identity: Identity,
    sections: [(usize, usize); SECTIONS],
    tables: Tables,
}

fn u32_at(bytes: &[u8], i: usize) -> u32 {
    bytes
        .get(i * 4..i * 4 + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

fn u64_at(bytes: &[u8], i: usize) -> u64 {
    bytes
        .get(i * 8..i * 8 + 8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

fn f32_at(bytes: &[u8], i: usize) -> f32 {
    f32::from_bits(u32_at(bytes, i))
}

impl MappedIndex {
    /// Opens the index at `path`; `None` when there is none or it has another format (a newer run replaces it).
    pub fn open(path: &Path) -> Result<Option<Self>> {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        // SAFETY: an index file is written under a temporary name and renamed into place; nothing writes to it
        // afterwards (a newer index replaces it by another rename, which leaves this mapping's file intact).
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        if map.len() < HEADER || &map[..8] != MAGIC {
            return Ok(None);
        }
        let corrupt = |what: &str| Error::Store {
            path: path.to_path_buf(),
            message: format!("unreadable search index: {what}"),
        };
        if u32_at(&map[8..12], 0) != FORMAT {
            return Ok(None);
        }
        const SECTION_TABLE: usize = 16 + COUNTS * 8;
        let counts_at = |i: usize| u64_at(&map[16..SECTION_TABLE], i);
        let counts = Counts {
            dimension: u32_at(&map[12..16], 0),
            docs: counts_at(0),
            rows: counts_at(1),
            messages: counts_at(2),
            docs_with_terms: counts_at(3),
        };
        let identity = Identity {
            created_unix: counts_at(4),
            segment_id: counts_at(5),
            base_id: counts_at(6),
        };
        let mut sections = [(0usize, 0usize); SECTIONS];
        for (i, s) in sections.iter_mut().enumerate() {
            let start = u64_at(&map[SECTION_TABLE..HEADER], i * 2) as usize;
            let len = u64_at(&map[SECTION_TABLE..HEADER], i * 2 + 1) as usize;
            if start.checked_add(len).is_none_or(|end| end > map.len()) {
                return Err(corrupt(&format!("section {i} lies outside the file")));
            }
            *s = (start, len);
        }
        let mut index = MappedIndex {
            map,
            file,
            path: path.to_path_buf(),
            counts,
            identity,
            sections,
            tables: Tables::default(),
        };
        index.check_sizes().map_err(|what| corrupt(&what))?;
        index.advise();
        let (tables, _): (Tables, usize) = bincode::serde::decode_from_slice(
            index.section(Section::Tables),
            bincode::config::standard(),
        )
        .map_err(|e| corrupt(&format!("tables: {e}")))?;
        index.tables = tables;
        Ok(Some(index))
    }

    /// Tells the kernel that the mapped parts are read at random, so a fault maps the page it needs and not a
    /// read-ahead window around it (8 MiB on some machines). Advice only; a refusal changes nothing.
    fn advise(&self) {
        let _ = self.map.advise(memmap2::Advice::Random);
    }

    /// `len` bytes at `at` within `section`, read from the file (not through the map).
    fn read(&self, section: Section, at: usize, len: usize) -> Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let (start, section_len) = self.sections[section as usize];
        if at.checked_add(len).is_none_or(|end| end > section_len) {
            return Err(self.corrupt(format!("{section:?} read past its end")));
        }
        let mut buf = vec![0u8; len];
        self.file
            .read_exact_at(&mut buf, (start + at) as u64)
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(buf)
    }

    /// Every section has the size its counts imply, and every list's last offset lies within what it indexes,
    /// so the accessors below stay in bounds (a damaged file is an error, never a panic or an endless loop).
    fn check_sizes(&self) -> std::result::Result<(), String> {
        let too_large = || "counts too large".to_string();
        let n = |v: u64| usize::try_from(v).map_err(|_| too_large());
        let (docs, rows, dim, messages) = (
            n(self.counts.docs)?,
            n(self.counts.rows)?,
            n(self.counts.dimension.into())?,
            n(self.counts.messages)?,
        );
        if docs >= (u32::MAX / 2) as usize || rows > docs || messages > docs {
            return Err(too_large());
        }
        let mul = |a: usize, b: usize| a.checked_mul(b).ok_or_else(too_large);
        let lists = |offsets: Section| (self.section(offsets).len() / 8).saturating_sub(1);
        let (terms, uuids, parents) = (
            lists(Section::TermOffsets),
            lists(Section::UuidOffsets),
            lists(Section::ParentOffsets),
        );
        let expect = [
            (Section::Ids, mul(docs, 16)?),
            (Section::Docs, mul(docs, DOC_RECORD)?),
            (Section::PayloadOffsets, mul(docs + 1, 8)?),
            (Section::Quantized, mul(rows, dim)?),
            (Section::Scales, mul(rows, 4)?),
            (Section::Vectors, mul(mul(rows, dim)?, 4)?),
            (Section::Messages, mul(messages, MESSAGE_RECORD)?),
            (Section::MessageIdOffsets, mul(messages + 1, 8)?),
            (Section::IdOrder, mul(docs, 4)?),
            (Section::Postings, mul(terms + 1, 8)?),
            (Section::TermOffsets, mul(terms + 1, 8)?),
            (Section::UuidMessages, mul(uuids, 4)?),
            (Section::UuidOffsets, mul(uuids + 1, 8)?),
            (Section::ParentChildren, mul(parents, 4)?),
            (Section::ParentOffsets, mul(parents + 1, 8)?),
        ];
        for (section, len) in expect {
            if self.section(section).len() != len {
                return Err(format!(
                    "{section:?} holds {} bytes, not {len}",
                    self.section(section).len()
                ));
            }
        }
        let postings = self.section(Section::PostingDocs).len() / 4;
        if self.section(Section::PostingWeights).len() != postings * 4 {
            return Err("postings and weights differ in length".into());
        }
        let last = |offsets: Section| u64_at(self.section(offsets), lists(offsets));
        let within = [
            (Section::PayloadOffsets, Section::Payloads, 1),
            (Section::TermOffsets, Section::TermText, 1),
            (Section::MessageIdOffsets, Section::MessageIdText, 1),
            (Section::UuidOffsets, Section::UuidText, 1),
            (Section::ParentOffsets, Section::ParentText, 1),
            (Section::Postings, Section::PostingDocs, 4),
        ];
        for (offsets, target, unit) in within {
            if last(offsets) > (self.section(target).len() / unit) as u64 {
                return Err(format!("{offsets:?} points past the end of {target:?}"));
            }
        }
        Ok(())
    }

    fn section(&self, s: Section) -> &[u8] {
        let (start, len) = self.sections[s as usize];
        self.map.get(start..start + len).unwrap_or_default()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    pub fn doc_count(&self) -> usize {
        self.counts.docs as usize
    }

    pub fn dimension(&self) -> usize {
        self.counts.dimension as usize
    }

    /// When it was published, Unix seconds.
    pub fn created_unix(&self) -> u64 {
        self.identity.created_unix
    }

    pub fn identity(&self) -> Identity {
        self.identity
    }

    /// The document holding point `id`.
    pub fn doc_of(&self, id: Uuid) -> Option<usize> {
        let order = self.section(Section::IdOrder);
        let n = order.len() / 4;
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let doc = u32_at(order, mid) as usize;
            if doc >= self.doc_count() {
                return None;
            }
            match self.id(doc).cmp(&id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(doc),
            }
        }
        None
    }

    /// The point ids a delta replaces in its base (empty for a base).
    pub fn superseded(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.section(Section::Superseded)
            .chunks_exact(16)
            .filter_map(|b| b.try_into().ok())
            .map(|b| Uuid::from_u128(u128::from_le_bytes(b)))
    }

    /// Whether the document has any lexical token (counts in BM25's N).
    pub fn has_terms(record: &DocRecord) -> bool {
        record.flags & FLAG_HAS_TERMS != 0
    }

    /// The messages whose parent is `parent_id` (ordinals).
    pub fn children_of(&self, parent_id: &str) -> Vec<u32> {
        self.all_equal(
            Section::ParentOffsets,
            Section::ParentText,
            Section::ParentChildren,
            parent_id,
        )
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    pub fn id(&self, doc: usize) -> Uuid {
        let bytes = self.section(Section::Ids);
        let v = bytes
            .get(doc * 16..doc * 16 + 16)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u128::from_le_bytes);
        Uuid::from_u128(v)
    }

    /// A document's vector row ([`NONE`] without one), without decoding the rest of its record.
    pub fn row_of(&self, doc: usize) -> u32 {
        self.section(Section::Docs)
            .get(doc * DOC_RECORD + 4..doc * DOC_RECORD + 8)
            .and_then(|b| b.try_into().ok())
            .map_or(NONE, u32::from_le_bytes)
    }

    pub fn doc(&self, doc: usize) -> DocRecord {
        let r = self
            .section(Section::Docs)
            .get(doc * DOC_RECORD..(doc + 1) * DOC_RECORD)
            .unwrap_or(&[0u8; DOC_RECORD]);
        let i64_at = |at: usize| {
            r.get(at..at + 8)
                .and_then(|b| b.try_into().ok())
                .map_or(0, i64::from_le_bytes)
        };
        DocRecord {
            message: u32_at(r, 0),
            row: u32_at(r, 1),
            project: u32_at(r, 2),
            session: u32_at(r, 3),
            kind: r.get(16).copied().unwrap_or(u8::MAX),
            flags: r.get(17).copied().unwrap_or(0),
            agent: r.get(18).copied().unwrap_or(u8::MAX),
            topics: u64_at(r, 3),
            timestamp: i64_at(32),
        }
    }

    pub fn payload(&self, doc: usize) -> Result<Payload> {
        let offsets = self.section(Section::PayloadOffsets);
        let (start, end) = (
            u64_at(offsets, doc) as usize,
            u64_at(offsets, doc + 1) as usize,
        );
        if end < start {
            return Err(self.corrupt(format!("payload {doc} has a negative length")));
        }
        let bytes = self.read(Section::Payloads, start, end - start)?;
        bincode::serde::decode_from_slice(&bytes, bincode::config::standard())
            .map(|(p, _)| p)
            .map_err(|e| self.corrupt(format!("payload {doc}: {e}")))
    }

    fn corrupt(&self, what: String) -> Error {
        Error::Store {
            path: self.path.clone(),
            message: format!("unreadable search index: {what}"),
        }
    }

    /// A reader of int8 rows for a scan in row order: it reads blocks of rows (about 1 MiB) from the file into
    /// one buffer, so a scan of any size holds one block.
    pub fn row_blocks(&self) -> RowBlocks<'_> {
        RowBlocks {
            index: self,
            first: 0,
            rows: 0,
            buf: Vec::new(),
        }
    }

    /// The row's scale (`value = int8 * scale`).
    pub fn scale(&self, row: u32) -> f32 {
        f32_at(self.section(Section::Scales), row as usize)
    }

    /// A row's f32 vector.
    pub fn vector(&self, row: u32) -> Result<Vec<f32>> {
        let len = self.dimension() * 4;
        let bytes = self.read(Section::Vectors, row as usize * len, len)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    /// The `i`th of a sorted string list.
    fn string(&self, offsets: Section, text: Section, i: usize) -> &[u8] {
        let o = self.section(offsets);
        let (start, end) = (u64_at(o, i) as usize, u64_at(o, i + 1) as usize);
        self.section(text).get(start..end).unwrap_or_default()
    }

    /// Position of `key` in a sorted string list, or of the first entry not below it.
    fn search(
        &self,
        offsets: Section,
        text: Section,
        key: &str,
    ) -> std::result::Result<usize, usize> {
        let n = (self.section(offsets).len() / 8).saturating_sub(1);
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.string(offsets, text, mid).cmp(key.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// The postings of a term: (document, BM25 term weight) pairs.
    pub fn postings(&self, term: &str) -> impl Iterator<Item = (u32, f32)> + '_ {
        let range = self
            .search(Section::TermOffsets, Section::TermText, term)
            .ok()
            .map_or(0..0, |t| self.posting_range(t));
        let docs = self.section(Section::PostingDocs);
        let weights = self.section(Section::PostingWeights);
        range.map(move |i| (u32_at(docs, i), f32_at(weights, i)))
    }

    /// How many documents hold `term`.
    pub fn document_frequency(&self, term: &str) -> usize {
        self.search(Section::TermOffsets, Section::TermText, term)
            .ok()
            .map_or(0, |t| self.posting_range(t).len())
    }

    /// The postings of term `t`, clamped to the postings there are (the last offset was checked at open; a
    /// damaged inner one yields fewer postings, never a read out of bounds).
    fn posting_range(&self, t: usize) -> std::ops::Range<usize> {
        let starts = self.section(Section::Postings);
        let count = self.section(Section::PostingDocs).len() / 4;
        let end = (u64_at(starts, t + 1) as usize).min(count);
        let start = (u64_at(starts, t) as usize).min(end);
        start..end
    }

    pub fn message(&self, ordinal: u32) -> Option<MessageRecord> {
        let i = ordinal as usize;
        let r = self
            .section(Section::Messages)
            .get(i * MESSAGE_RECORD..(i + 1) * MESSAGE_RECORD)?;
        let record = MessageRecord {
            first_doc: u32_at(r, 0),
            docs: u32_at(r, 1),
            parent: u32_at(r, 2),
            first_child: u32_at(r, 3),
        };
        // A damaged record must not name documents that do not exist.
        let end = u64::from(record.first_doc) + u64::from(record.docs);
        (end <= self.counts.docs).then_some(record)
    }

    /// The id of a message.
    pub fn message_id(&self, ordinal: u32) -> String {
        String::from_utf8_lossy(self.string(
            Section::MessageIdOffsets,
            Section::MessageIdText,
            ordinal as usize,
        ))
        .into_owned()
    }

    /// The ordinal of the message with this id.
    pub fn message_ordinal(&self, message_id: &str) -> Option<u32> {
        self.search(
            Section::MessageIdOffsets,
            Section::MessageIdText,
            message_id,
        )
        .ok()
        .map(|i| i as u32)
    }

    /// The messages one of whose lines has this uuid.
    pub fn uuid_messages(&self, uuid: &str) -> Vec<u32> {
        self.all_equal(
            Section::UuidOffsets,
            Section::UuidText,
            Section::UuidMessages,
            uuid,
        )
    }

    /// The values (u32) of every entry of a sorted string list equal to `key`.
    fn all_equal(&self, offsets: Section, text: Section, values: Section, key: &str) -> Vec<u32> {
        let first = match self.search(offsets, text, key) {
            Ok(i) | Err(i) => i,
        };
        let n = (self.section(offsets).len() / 8).saturating_sub(1);
        let values = self.section(values);
        // Equal keys are adjacent, but `search` may land on any of them.
        let mut start = first;
        while start > 0 && self.string(offsets, text, start - 1) == key.as_bytes() {
            start -= 1;
        }
        (start..n)
            .take_while(|i| self.string(offsets, text, *i) == key.as_bytes())
            .map(|i| u32_at(values, i))
            .collect()
    }

    /// `rows` int8 rows from `first`, read from the file.
    fn quantized_block(&self, first: usize, rows: usize) -> Result<Vec<u8>> {
        let dim = self.dimension();
        self.read(Section::Quantized, first * dim, rows * dim)
    }

    /// Whether the row is real (`NONE` marks a document without a vector).
    pub fn has_row(record: &DocRecord) -> bool {
        record.row != NONE
    }
}

/// See [`MappedIndex::row_blocks`].
pub struct RowBlocks<'a> {
    index: &'a MappedIndex,
    first: usize,
    rows: usize,
    buf: Vec<u8>,
}

impl RowBlocks<'_> {
    /// Rows per block: about 1 MiB.
    const BLOCK_BYTES: usize = 1 << 20;

    /// A row's int8 values (bytes: cast each with `as i8`). Reading rows in ascending order reads each block once.
    pub fn row(&mut self, row: u32) -> Result<&[u8]> {
        let dim = self.index.dimension().max(1);
        let row = row as usize;
        if row < self.first || row >= self.first + self.rows {
            let total = self.index.counts().rows as usize;
            let rows = (Self::BLOCK_BYTES / dim)
                .max(1)
                .min(total.saturating_sub(row));
            self.buf = self.index.quantized_block(row, rows)?;
            self.first = row;
            self.rows = rows;
        }
        let at = (row - self.first) * dim;
        self.buf
            .get(at..at + dim)
            .ok_or_else(|| self.index.corrupt(format!("int8 row {row} is missing")))
    }
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
