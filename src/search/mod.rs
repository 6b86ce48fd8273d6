//! Finding things again: hybrid search over the stored points.
//!
//! Ranking: the semantic list (cosine similarity of normalized vectors) and the lexical list (BM25 over the stored
//! text, so exact identifiers, error messages and file names are found even when the embedding misses them) are
//! fused with reciprocal-rank fusion, `score = Σ 1 / (60 + rank)`, which needs no score calibration between the two
//! lists. Then explicit, bounded boosts (recency, same project, validated solution), each shown by `--explain`.
//! Every filter is applied before ranking and they always combine with AND.

pub mod corpus;
pub mod filter;
pub mod fuse;
pub mod index;
pub mod lexical;
pub mod open;
pub mod query;
pub mod rank;
pub mod stopwords;

pub use corpus::{Candidate, Corpus};
pub use filter::{Filter, FilterError};
pub use index::{IndexSource, SearchIndex};
pub use open::open_corpus;
pub use rank::{search, Boost, Hit, SearchMode, SearchRequest};
