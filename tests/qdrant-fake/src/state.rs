//! The fake's in-memory data: collections, their vector schema, points and payload indexes.

use std::collections::{BTreeMap, HashMap};

use qdrant_client::qdrant::{
    CreateCollection, Distance, PayloadIndexParams, PayloadSchemaType, Value,
};
use tonic::Status;

use crate::errors;

/// A point id in Qdrant's order: every numeric id sorts before every UUID, UUIDs sort by their
/// 128-bit value (the same order as their lowercase hyphenated strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum PointKey {
    Num(u64),
    Uuid(u128),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SparseVec {
    /// Strictly increasing.
    pub(crate) indices: Vec<u32>,
    pub(crate) values: Vec<f32>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum StoredVector {
    /// Already normalised when the vector's distance is Cosine.
    Dense(Vec<f32>),
    Sparse(SparseVec),
}

#[derive(Clone, Debug)]
pub(crate) struct Point {
    pub(crate) vectors: BTreeMap<String, StoredVector>,
    pub(crate) payload: HashMap<String, Value>,
    /// Id of the last operation that changed this point.
    pub(crate) version: u64,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct DenseParams {
    pub(crate) size: usize,
    pub(crate) distance: Distance,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct SparseParams {
    pub(crate) idf: bool,
}

/// The vectors a collection accepts.
#[derive(Clone, Debug, Default)]
pub(crate) struct VectorSchema {
    /// Dense vectors by name; the unnamed vector of a `Params` config is named "".
    pub(crate) dense: BTreeMap<String, DenseParams>,
    pub(crate) sparse: BTreeMap<String, SparseParams>,
    /// Created with a single unnamed `Params` vector: points come back with a single vector.
    pub(crate) unnamed: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct FieldIndex {
    pub(crate) data_type: PayloadSchemaType,
    pub(crate) params: Option<PayloadIndexParams>,
}

#[derive(Clone, Debug)]
pub(crate) struct Collection {
    pub(crate) schema: VectorSchema,
    /// The create request, echoed back by `get_collection`.
    pub(crate) created: CreateCollection,
    pub(crate) points: BTreeMap<PointKey, Point>,
    pub(crate) indexes: BTreeMap<String, FieldIndex>,
}

/// Everything the fake stores; survives `stop`/`restart`.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) collections: BTreeMap<String, Collection>,
    last_operation: u64,
}

impl Store {
    pub(crate) fn collection(&self, name: &str) -> Result<&Collection, Status> {
        self.collections
            .get(name)
            .ok_or_else(|| errors::collection_not_found(name))
    }

    pub(crate) fn collection_mut(&mut self, name: &str) -> Result<&mut Collection, Status> {
        self.collections
            .get_mut(name)
            .ok_or_else(|| errors::collection_not_found(name))
    }

    /// A fresh, increasing operation id (returned in `UpdateResult.operation_id`).
    pub(crate) fn next_operation(&mut self) -> u64 {
        self.last_operation += 1;
        self.last_operation
    }
}
