//! Qdrant as the store, over gRPC with `qdrant-client`.
//!
//! Layout of the collection ([`schema`]): a cosine vector named `dense` of the model's dimension, a sparse vector named `lexical`
//! holding each chunk's BM25 term weights (Qdrant multiplies in the IDF at query time), the payload as JSON plus
//! two fields derived for filtering, and payload indexes on every field search filters on.
//!
//! Writes ([`QdrantSink`]) wait for Qdrant to confirm (`wait = true`), and only then move the checkpoints, which
//! stay in the data dir's sled database with the embedding cache. Every request goes through [`retry`]: bounded
//! retries with doubling pauses, never past the run's deadline.

pub mod client;
pub mod encode;
pub mod filter;
pub mod retry;
pub mod schema;
pub mod sink;
pub mod summary;

pub use client::QdrantStore;

pub use sink::QdrantSink;
