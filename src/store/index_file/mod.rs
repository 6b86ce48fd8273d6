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
//! | `IdOrder` | the documents sorted by point id, to find a document by id |
//! | `ParentOffsets`, `ParentText`, `ParentChildren` | every message's parent id, sorted, and the message (children by parent) |
//! | `Superseded` | (a delta only) every point id changed since its base was built, sorted (u128) |
//!
//! Documents are ordered by message and chunk, so a message's chunks are contiguous.
//!
//! **Base and delta.** A publish rebuilds everything (a *base*) only when there is no base or many points changed
//! since it was built; otherwise it writes a *delta*: the current version of every point changed since the base
//! (listed by the store in the same transaction as the change), with their ids in `Superseded`, so a reader
//! ignores the base's copies of them (a deleted point is superseded and absent). A delta names its base's
//! `segment_id`; a reader ignores a delta of another base. Both are written by [`write::write`].

pub mod read;
pub mod write;

use serde::{Deserialize, Serialize};

pub const MAGIC: &[u8; 8] = b"PLINEIDX";
/// Bumped whenever the layout changes; a file of another format is ignored (the next run publishes a new one).
pub const FORMAT: u32 = 3;

/// `row`, `project`, `session`, `parent` or `first_child` that is absent.
pub const NONE: u32 = u32::MAX;
/// `timestamp` of a document without one.
pub const NO_TIME: i64 = i64::MIN;

/// Per document: message u32, row u32, project u32, session u32, kind u8, flags u8, agent u8, 5 bytes padding,
/// topics u64, timestamp i64.
pub const DOC_RECORD: usize = 40;
/// Per message: first document u32, document count u32, parent u32, first child u32.
pub const MESSAGE_RECORD: usize = 16;

pub const FLAG_HAS_CODE: u8 = 1;
pub const FLAG_SOLUTION_ATTEMPT: u8 = 2;
/// The document has at least one lexical token (it counts in BM25's N).
pub const FLAG_HAS_TERMS: u8 = 4;

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
    IdOrder,
    ParentOffsets,
    ParentText,
    ParentChildren,
    Superseded,
}

pub const SECTIONS: usize = Section::Superseded as usize + 1;
/// magic, format u32, dimension u32, then doc, row, message and term-bearing document counts, the creation time,
/// the segment id and the base's segment id (u64 each), then the section table.
pub const HEADER: usize = 8 + 4 + 4 + COUNTS * 8 + SECTIONS * 16;
/// The u64 fields after the dimension.
pub const COUNTS: usize = 7;

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

/// Which segment a file is: its own id and, for a delta, its base's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Identity {
    /// When it was published, Unix seconds.
    pub created_unix: u64,
    /// A number no other published file of this data dir had (nanoseconds at creation).
    pub segment_id: u64,
    /// The base a delta applies to; 0 for a base.
    pub base_id: u64,
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
