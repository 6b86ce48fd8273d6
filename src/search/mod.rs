//! Finding things again: hybrid search over the stored points.
//!
//! Ranking: the semantic list (cosine similarity of normalized vectors) and the lexical list (BM25 over the stored
//! text, so exact identifiers, error messages and file names are found even when the embedding misses them) are
//! fused by standardized scores ([`fuse`]); a question in everyday words is also embedded with the technical
//! terms they stand for, and a chunk takes the better of its two cosines ([`expand`]). Then explicit boosts (a file
//! the query names, a text that quotes the query, recency, same project, validated solution), each shown by
//! `--explain` ([`boost`]). A write's acknowledgement found by a search stands for the call it acknowledges
//! ([`acknowledgement`]). Every filter is applied before ranking and they always combine with AND.

pub mod acknowledgement;
pub mod boost;
pub mod corpus;
pub mod expand;
pub mod filter;
pub mod fuse;
pub mod index;
pub mod mapped;
pub mod named_file;
pub mod open;
pub mod plain_question;
pub mod qdrant;
pub mod query;
pub mod quoted;
pub mod rank;
pub mod report;
pub mod window;

pub use corpus::{Candidate, Corpus};
pub use filter::{Filter, FilterError};
pub use index::{IndexSource, SearchIndex};
pub use open::{open_corpus, open_embedded};
pub use qdrant::QdrantCorpus;
pub use rank::{search, Boost, Expansion, Hit, Ranked, SearchMode, SearchRequest};
