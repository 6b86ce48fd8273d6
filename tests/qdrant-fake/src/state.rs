//! The fake's in-memory data: collections, their vector schema, points and payload indexes.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use qdrant_client::qdrant::{
    CreateCollection, Distance, PayloadIndexParams, PayloadSchemaType, Value,
};
use tonic::Status;

use crate::errors;
use crate::index::KeywordIndex;
use crate::path::Path;
use crate::score::SparseStats;

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

/// A collection: its schema, its points and payload indexes, and what is derived from them
/// (kept up to date on every write, so that no request has to recompute it from every point):
/// the postings of keyword indexes and the document frequencies of sparse vectors.
#[derive(Clone, Debug)]
pub(crate) struct Collection {
    pub(crate) schema: VectorSchema,
    /// The create request, echoed back by `get_collection`.
    pub(crate) created: CreateCollection,
    points: BTreeMap<PointKey, Point>,
    indexes: BTreeMap<String, FieldIndex>,
    keywords: KeywordIndex,
    /// By sparse vector name.
    sparse_stats: FastMap<String, SparseStats>,
}

impl Collection {
    pub(crate) fn new(schema: VectorSchema, created: CreateCollection) -> Collection {
        Collection {
            schema,
            created,
            points: BTreeMap::new(),
            indexes: BTreeMap::new(),
            keywords: KeywordIndex::default(),
            sparse_stats: FastMap::default(),
        }
    }

    pub(crate) fn points(&self) -> &BTreeMap<PointKey, Point> {
        &self.points
    }

    pub(crate) fn indexes(&self) -> &BTreeMap<String, FieldIndex> {
        &self.indexes
    }

    pub(crate) fn keywords(&self) -> &KeywordIndex {
        &self.keywords
    }

    /// IDF statistics of the sparse vector `name` (empty when no point has it).
    pub(crate) fn sparse_stats(&self, name: &str) -> &SparseStats {
        static NONE: std::sync::OnceLock<SparseStats> = std::sync::OnceLock::new();
        self.sparse_stats
            .get(name)
            .unwrap_or_else(|| NONE.get_or_init(SparseStats::default))
    }

    /// Stores `point` under `key`, replacing any point there.
    pub(crate) fn insert_point(&mut self, key: PointKey, point: Point) {
        let Some(old) = self.points.get(&key) else {
            self.account(key, &point, true);
            self.points.insert(key, point);
            return;
        };
        // Only what changed: a point upserted again mostly keeps its keywords, often its vectors.
        self.keywords.replace(key, &old.payload, &point.payload);
        for (name, vector) in &old.vectors {
            if let StoredVector::Sparse(sparse) = vector {
                if point.vectors.get(name) != Some(vector) {
                    stats_of(&mut self.sparse_stats, name).remove(sparse);
                }
            }
        }
        for (name, vector) in &point.vectors {
            if let StoredVector::Sparse(sparse) = vector {
                if old.vectors.get(name) != Some(vector) {
                    stats_of(&mut self.sparse_stats, name).add(sparse);
                }
            }
        }
        self.points.insert(key, point);
    }

    pub(crate) fn remove_point(&mut self, key: PointKey) -> Option<Point> {
        let old = self.points.remove(&key)?;
        self.account(key, &old, false);
        Some(old)
    }

    /// Changes the payload of the point at `key` (if there is one) through `change`.
    pub(crate) fn update_payload(&mut self, key: PointKey, change: impl FnOnce(&mut Point)) {
        if let Some(point) = self.points.get_mut(&key) {
            self.keywords.remove(key, &point.payload);
            change(point);
            self.keywords.add(key, &point.payload);
        }
    }

    /// Adds or replaces the payload index on `name` (already checked to be a valid key).
    pub(crate) fn set_index(&mut self, name: String, index: FieldIndex) {
        match Path::parse(&name) {
            Ok(path) if index.data_type == PayloadSchemaType::Keyword => {
                self.keywords.build(&name, path, &self.points);
            }
            _ => self.keywords.drop_field(&name),
        }
        self.indexes.insert(name, index);
    }

    pub(crate) fn remove_index(&mut self, name: &str) {
        self.keywords.drop_field(name);
        self.indexes.remove(name);
    }

    /// Adds (or takes back) what `point` contributes to the derived data.
    fn account(&mut self, key: PointKey, point: &Point, add: bool) {
        if add {
            self.keywords.add(key, &point.payload);
        } else {
            self.keywords.remove(key, &point.payload);
        }
        for (name, vector) in &point.vectors {
            if let StoredVector::Sparse(sparse) = vector {
                let stats = stats_of(&mut self.sparse_stats, name);
                if add {
                    stats.add(sparse);
                } else {
                    stats.remove(sparse);
                }
            }
        }
    }
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

fn stats_of<'a>(stats: &'a mut FastMap<String, SparseStats>, name: &str) -> &'a mut SparseStats {
    if !stats.contains_key(name) {
        stats.insert(name.to_string(), SparseStats::default());
    }
    stats.get_mut(name).expect("just inserted")
}

/// A `HashMap` with a fast non-cryptographic hash (the fake's own maps: no untrusted keys to
/// worry about, and SipHash showed up in profiles of the hot paths).
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The multiply-rotate hash of Firefox and rustc (`FxHasher`).
#[derive(Clone, Copy, Default)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(tail) ^ rest.len() as u64);
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}
