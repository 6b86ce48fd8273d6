//! An in-memory FAKE of the Qdrant gRPC API, for tests and client-path benchmarks.
//!
//! **It proves the wiring, not Qdrant's behaviour.** It is built on the server traits that
//! `qdrant-client` 1.20 generates (`qdrant_server::Qdrant`, `collections_server::Collections`,
//! `points_server::Points`), so requests go through the real client, the real protobuf
//! encoding and a real HTTP/2 connection. Behind that, a few RPCs are implemented over a map in
//! memory, following Qdrant's documented semantics where we know them:
//!
//! * health: `health_check`;
//! * collections: `create_collection`, `get_collection`, `list_collections`,
//!   `delete_collection`, `collection_exists`;
//! * points: `upsert`, `delete`, `set_payload`, `get`, `scroll`, `count`, `query` (exact dense
//!   or sparse nearest, with IDF), `facet`, `create_field_index`, `delete_field_index`.
//!
//! Everything else answers `Unimplemented("qdrant-fake: <rpc> is not implemented")`, and so do
//! unsupported parts of implemented RPCs (prefetch, geo/datetime/full-text conditions, ...):
//! a test fails loudly instead of passing against behaviour the fake invented.
//!
//! Search is always exact (no HNSW), there is one segment, and writes are applied before the
//! response whatever `wait` says. Keyword payload indexes keep postings (kept up to date on
//! every write, like the sparse vectors' IDF statistics), so a filter with a keyword match on an
//! indexed key, or a `has_id`, only checks the points that can match; the answer is the same as
//! without the index. Every RPC counts its calls and can be delayed or made to
//! fail through [`Faults`].

mod collections;
mod connection;
mod convert;
mod errors;
mod facet;
mod faults;
mod filter;
mod index;
mod path;
mod points;
#[cfg(test)]
mod property_tests;
mod query;
mod score;
mod server;
mod service;
mod state;
mod tls;

pub use faults::{Faults, RPC_NAMES};
pub use server::FakeQdrant;
pub use service::FAKE_VERSION;
pub use tls::TestCertificates;
