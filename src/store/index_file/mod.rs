//! The published search index: one immutable file that a search maps into memory and reads in place, so opening
//! it costs milliseconds whatever the store's size, and a search touches only the parts it needs (the quantized
//! vectors, the postings of the query's terms, the filter columns and the payloads of its candidates).
//!
//! It is derived from the point store, which stays the source of truth: the writer builds it from every stored
//! point ([`write::write`]) and publishes it atomically (see [`super::snapshot`]). A file is never changed after
//! its rename into place (a new one replaces it), which is what makes reading it through a memory map sound.
//!
//! Layout (all integers little-endian; every section starts at a multiple of 8):
//!
//! | part | content |
//! |---|---|
//! | header | magic, format, dimension, counts, creation time, then an (offset, length) pair per [`Section`] |
//! | `Ids` | a point id (u128) per document |
//! | `Docs` | a [`DOC_RECORD`]-byte record per document: message, vector row, project, session, kind, flags, topics, time |
//! | `PayloadOffsets`, `Payloads` | bincode payloads, document `d` at `offsets[d]..offsets[d + 1]` |
//! | `Quantized`, `Scales` | an int8 row per embedded document and its scale (`value = q * scale`) |
//! | `Vectors` | the same rows in f32, for exact re-scoring of the best quantized candidates |
//! | `TermOffsets`, `TermText`, `Postings`, `PostingDocs`, `PostingWeights` | sorted terms; per term its postings' start; per posting a document and its BM25 term weight ([`crate::lexical`]) |
//! | `Messages` | a [`MESSAGE_RECORD`]-byte record per message (sorted by id): first document, documents, parent, first child |
//! | `MessageIdOffsets`, `MessageIdText` | the messages' ids, sorted |
//! | `UuidOffsets`, `UuidText`, `UuidMessages` | every line uuid, sorted, and its message |
//! | `Tables` | bincode [`Tables`]: projects, sessions, the embedding model |
//!
//! Documents are ordered by message and chunk, so a message's chunks are contiguous.

pub mod read;
pub mod write;

use serde::{Deserialize, Serialize};

pub const MAGIC: &[u8; 8] = b"PLINEIDX";
/// Bumped whenever the layout changes; a file of another format is ignored (the next run publishes a new one).
pub const FORMAT: u32 = 1;

/// `row`, `project`, `session`, `parent` or `first_child` that is absent.
pub const NONE: u32 = u32::MAX;
/// `timestamp` of a document without one.
pub const NO_TIME: i64 = i64::MIN;

/// Per document: message u32, row u32, project u32, session u32, kind u8, flags u8, 6 bytes padding, topics u64,
/// timestamp i64.
pub const DOC_RECORD: usize = 40;
/// Per message: first document u32, document count u32, parent u32, first child u32.
pub const MESSAGE_RECORD: usize = 16;

pub const FLAG_HAS_CODE: u8 = 1;
pub const FLAG_SOLUTION_ATTEMPT: u8 = 2;

/// The file's sections, in the order of the header's section table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Section {
    Ids,
    Docs,
    PayloadOffsets,
    Payloads,
    Quantized,
    Scales,
    Vectors,
    TermOffsets,
    TermText,
    Postings,
    PostingDocs,
    PostingWeights,
    Messages,
    MessageIdOffsets,
    MessageIdText,
    UuidOffsets,
    UuidText,
    UuidMessages,
    Tables,
}

pub const SECTIONS: usize = Section::Tables as usize + 1;
/// magic, format u32, dimension u32, then doc, row, message and term-bearing document counts and the creation time
/// (u64 each), then the section table.
pub const HEADER: usize = 8 + 4 + 4 + 5 * 8 + SECTIONS * 16;

/// The small tables a reader decodes whole when it opens the file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Tables {
    /// (project name, project path) per project ordinal.
    pub projects: Vec<(Option<String>, Option<String>)>,
    /// Session id per session ordinal.
    pub sessions: Vec<String>,
    /// The model of the stored vectors (`None` when no document has one).
    pub embedding_model: Option<String>,
}

/// The counts a header holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub dimension: u32,
    pub docs: u64,
    pub rows: u64,
    pub messages: u64,
    /// Documents with at least one lexical token (BM25's N).
    pub docs_with_terms: u64,
}
