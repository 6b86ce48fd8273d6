//! Property-style checks on random data (seeded, so failures reproduce):
//!
//! * a filter answered through the keyword postings selects exactly the points a scan of every
//!   point selects, in the same order, from any starting id;
//! * the postings and the sparse-vector statistics, kept up to date write by write (insert,
//!   replace, delete, payload change, index created before or after the points, dropped,
//!   retyped), equal those rebuilt from scratch, and the IDF weights equal the ones counted over
//!   every point.

use std::collections::{BTreeMap, HashMap};

use qdrant_client::qdrant::{
    self as proto, condition::ConditionOneOf, r#match::MatchValue, value::Kind, CreateCollection,
    ListValue, PayloadSchemaType, Struct, Value,
};

use crate::convert;
use crate::filter::Filter;
use crate::score;
use crate::state::{
    Collection, FieldIndex, Point, PointKey, SparseParams, SparseVec, StoredVector, VectorSchema,
};

/// xorshift64*: small, deterministic, good enough to shuffle test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.below(WORDS.len())]
    }
}

const WORDS: &[&str] = &["a", "b", "c", "d"];
/// Keys conditions use: indexed ones, the same key spelled differently, unindexed ones.
const CONDITION_KEYS: &[&str] = &[
    "kw",
    "\"kw\"",
    "tag",
    "meta.owner",
    "items[].k",
    "free",
    "n",
    "nothing",
];
const SPARSE: &str = "sp";

fn string(s: &str) -> Value {
    Value {
        kind: Some(Kind::StringValue(s.to_string())),
    }
}

fn int(n: i64) -> Value {
    Value {
        kind: Some(Kind::IntegerValue(n)),
    }
}

fn null() -> Value {
    Value {
        kind: Some(Kind::NullValue(0)),
    }
}

fn list(values: Vec<Value>) -> Value {
    Value {
        kind: Some(Kind::ListValue(ListValue { values })),
    }
}

fn object(fields: Vec<(&str, Value)>) -> Value {
    Value {
        kind: Some(Kind::StructValue(Struct {
            fields: fields
                .into_iter()
                .map(|(key, value)| (key.to_string(), value))
                .collect(),
        })),
    }
}

/// Anything a keyword field may hold, absence included.
fn keyword_value(rng: &mut Rng) -> Option<Value> {
    Some(match rng.below(9) {
        0 => return None,
        1 => null(),
        2 => int(1),
        3 => list(Vec::new()),
        4 | 5 => {
            let n = 1 + rng.below(3);
            list((0..n).map(|_| string(rng.word())).collect())
        }
        6 => list(vec![string(rng.word()), int(2), null()]),
        _ => string(rng.word()),
    })
}

fn payload(rng: &mut Rng) -> HashMap<String, Value> {
    let mut payload = HashMap::new();
    for key in ["kw", "tag", "free"] {
        if let Some(value) = keyword_value(rng) {
            payload.insert(key.to_string(), value);
        }
    }
    if rng.chance(80) {
        payload.insert("n".to_string(), int(rng.below(5) as i64));
    }
    let owner = |rng: &mut Rng| {
        let mut fields = vec![("n", int(1))];
        if let Some(value) = keyword_value(rng) {
            fields.push(("owner", value));
        }
        object(fields)
    };
    let meta = match rng.below(4) {
        0 => None,
        1 | 2 => Some(owner(rng)),
        // `meta.owner` does not enter arrays: these owners are invisible to it.
        _ => Some(list(vec![owner(rng)])),
    };
    if let Some(meta) = meta {
        payload.insert("meta".to_string(), meta);
    }
    if rng.chance(60) {
        let n = rng.below(4);
        let items = (0..n)
            .map(|_| match keyword_value(rng) {
                Some(value) => object(vec![("k", value)]),
                None => object(Vec::new()),
            })
            .collect();
        payload.insert("items".to_string(), list(items));
    }
    payload
}

fn sparse(rng: &mut Rng) -> SparseVec {
    let mut vector = SparseVec {
        indices: Vec::new(),
        values: Vec::new(),
    };
    for index in 0..8 {
        if rng.chance(40) {
            vector.indices.push(index);
            vector.values.push(*rng.pick(&[0.0, 0.5, 1.0]));
        }
    }
    vector
}

fn point(rng: &mut Rng, version: u64) -> Point {
    let mut vectors = BTreeMap::new();
    if rng.chance(80) {
        vectors.insert(SPARSE.to_string(), StoredVector::Sparse(sparse(rng)));
    }
    if rng.chance(50) {
        vectors.insert("d".to_string(), StoredVector::Dense(vec![1.0, 0.0]));
    }
    Point {
        vectors,
        payload: payload(rng),
        version,
    }
}

/// One of 60 ids, numeric and UUID.
fn key(rng: &mut Rng) -> PointKey {
    if rng.chance(50) {
        PointKey::Num(rng.below(30) as u64)
    } else {
        PointKey::Uuid(1000 + rng.below(30) as u128)
    }
}

fn field(key: &str, build: impl FnOnce(&mut proto::FieldCondition)) -> proto::Condition {
    let mut condition = proto::FieldCondition {
        key: key.to_string(),
        ..Default::default()
    };
    build(&mut condition);
    proto::Condition {
        condition_one_of: Some(ConditionOneOf::Field(condition)),
    }
}

fn matching(value: MatchValue) -> Option<proto::Match> {
    Some(proto::Match {
        match_value: Some(value),
    })
}

fn words(rng: &mut Rng) -> Vec<String> {
    let n = rng.below(4);
    (0..n)
        .map(|_| rng.pick(&["a", "b", "c", "d", "zzz"]).to_string())
        .collect()
}

fn condition(rng: &mut Rng, depth: usize) -> proto::Condition {
    let key = *rng.pick(CONDITION_KEYS);
    let word = rng.pick(&["a", "b", "c", "d", "zzz"]).to_string();
    let one = |condition| proto::Condition {
        condition_one_of: Some(condition),
    };
    match rng.below(16) {
        0..=4 => field(key, |c| c.r#match = matching(MatchValue::Keyword(word))),
        5 => {
            let list = words(rng);
            field(key, |c| {
                c.r#match = matching(MatchValue::Keywords(proto::RepeatedStrings {
                    strings: list,
                }))
            })
        }
        6 => {
            let list = words(rng);
            field(key, |c| {
                c.r#match = matching(MatchValue::ExceptKeywords(proto::RepeatedStrings {
                    strings: list,
                }))
            })
        }
        // A keyword match that also has a range: either may match, so it must not narrow.
        7 => field(key, |c| {
            c.r#match = matching(MatchValue::Keyword(word));
            c.range = Some(proto::Range {
                gte: Some(1.0),
                ..Default::default()
            });
        }),
        8 => field("n", |c| {
            c.range = Some(proto::Range {
                gte: Some(1.0),
                lt: Some(4.0),
                ..Default::default()
            })
        }),
        9 => field(key, |c| c.is_empty = Some(true)),
        10 => field(key, |c| {
            c.values_count = Some(proto::ValuesCount {
                gte: Some(2),
                ..Default::default()
            })
        }),
        11 => one(ConditionOneOf::IsEmpty(proto::IsEmptyCondition {
            key: key.to_string(),
        })),
        12 => {
            let n = rng.below(5);
            let ids = (0..n).map(|_| convert::point_id(self::key(rng))).collect();
            one(ConditionOneOf::HasId(proto::HasIdCondition { has_id: ids }))
        }
        13 => one(ConditionOneOf::Nested(proto::NestedCondition {
            key: "items".to_string(),
            filter: Some(proto::Filter {
                must: vec![field("k", |c| {
                    c.r#match = matching(MatchValue::Keyword(word))
                })],
                ..Default::default()
            }),
        })),
        _ if depth < 2 => one(ConditionOneOf::Filter(filter(rng, depth + 1))),
        _ => field(key, |c| c.r#match = matching(MatchValue::Keyword(word))),
    }
}

fn conditions(rng: &mut Rng, depth: usize, most: usize) -> Vec<proto::Condition> {
    let n = rng.below(most + 1);
    (0..n).map(|_| condition(rng, depth)).collect()
}

fn filter(rng: &mut Rng, depth: usize) -> proto::Filter {
    proto::Filter {
        must: conditions(rng, depth, 3),
        should: conditions(rng, depth, 3),
        must_not: conditions(rng, depth, 2),
        min_should: rng.chance(20).then(|| proto::MinShould {
            conditions: conditions(rng, depth, 3),
            min_count: rng.below(3) as u64,
        }),
    }
}

fn empty_collection() -> Collection {
    let mut schema = VectorSchema::default();
    schema
        .sparse
        .insert(SPARSE.to_string(), SparseParams { idf: true });
    Collection::new(schema, CreateCollection::default())
}

fn index(data_type: PayloadSchemaType) -> FieldIndex {
    FieldIndex {
        data_type,
        params: None,
    }
}

/// One random write.
fn write(collection: &mut Collection, rng: &mut Rng, version: u64) {
    match rng.below(20) {
        0..=8 => collection.insert_point(key(rng), point(rng, version)),
        // The same point again, or with one key changed: what re-upserts mostly are.
        9 | 10 => {
            let Some((&at, old)) = collection.points().iter().nth(rng.below(60)) else {
                return;
            };
            let mut again = old.clone();
            if rng.chance(50) {
                let fresh = payload(rng);
                let changed = *rng.pick(&["kw", "tag", "meta", "items"]);
                match fresh.get(changed) {
                    Some(value) => again.payload.insert(changed.to_string(), value.clone()),
                    None => again.payload.remove(changed),
                };
            }
            collection.insert_point(at, again);
        }
        11..=13 => {
            collection.remove_point(key(rng));
        }
        14..=16 => {
            let fresh = payload(rng);
            let changed = *rng.pick(&["kw", "tag", "meta", "items", "free"]);
            collection.update_payload(key(rng), |point| {
                match fresh.get(changed) {
                    Some(value) => point.payload.insert(changed.to_string(), value.clone()),
                    None => point.payload.remove(changed),
                };
                point.version = version;
            });
        }
        17 => {
            let name = *rng.pick(&["kw", "tag", "meta.owner", "items[].k"]);
            collection.set_index(name.to_string(), index(PayloadSchemaType::Keyword));
        }
        18 => {
            let name = *rng.pick(&["kw", "tag"]);
            collection.set_index(name.to_string(), index(PayloadSchemaType::Integer));
        }
        _ => {
            let name = *rng.pick(&["kw", "tag", "meta.owner"]);
            collection.remove_index(name);
        }
    }
}

/// The derived data equals a rebuild from scratch, and IDF equals a count over every point.
fn check_derived(collection: &Collection) {
    let mut rebuilt = empty_collection();
    for (name, field_index) in collection.indexes() {
        rebuilt.set_index(name.clone(), field_index.clone());
    }
    for (key, point) in collection.points() {
        rebuilt.insert_point(*key, point.clone());
    }
    assert_eq!(collection.keywords(), rebuilt.keywords());
    assert_eq!(
        collection.sparse_stats(SPARSE),
        rebuilt.sparse_stats(SPARSE)
    );
    let stored: Vec<&SparseVec> = collection
        .points()
        .values()
        .filter_map(|point| match point.vectors.get(SPARSE) {
            Some(StoredVector::Sparse(sparse)) => Some(sparse),
            _ => None,
        })
        .collect();
    for index in 0..9 {
        let with = stored
            .iter()
            .filter(|sparse| {
                sparse
                    .indices
                    .binary_search(&index)
                    .is_ok_and(|at| sparse.values[at] != 0.0)
            })
            .count();
        assert_eq!(
            collection.sparse_stats(SPARSE).idf(index),
            score::idf(stored.len(), with),
            "idf of {index}"
        );
    }
}

fn ids<'a>(selected: impl Iterator<Item = (PointKey, &'a Point)>) -> Vec<PointKey> {
    selected.map(|(key, _)| key).collect()
}

#[test]
fn the_index_selects_what_a_scan_selects() {
    let mut narrowed = 0;
    for seed in 1..=30 {
        let mut rng = Rng::new(seed);
        let mut collection = empty_collection();
        // Some indexes exist before the points come, others are built over existing points.
        collection.set_index("kw".to_string(), index(PayloadSchemaType::Keyword));
        collection.set_index("n".to_string(), index(PayloadSchemaType::Integer));
        let mut version = 0;
        for round in 0..6 {
            for _ in 0..25 {
                version += 1;
                write(&mut collection, &mut rng, version);
            }
            if round == 0 {
                for name in ["tag", "meta.owner", "items[].k"] {
                    collection.set_index(name.to_string(), index(PayloadSchemaType::Keyword));
                }
            }
            check_derived(&collection);
            for _ in 0..60 {
                let raw = filter(&mut rng, 0);
                let filter = Filter::compile(Some(&raw)).expect("supported filter");
                let from = rng.chance(30).then(|| key(&mut rng));
                let scan = ids(filter.scan(&collection, from));
                assert_eq!(
                    ids(filter.select(&collection, from)),
                    scan,
                    "seed {seed}: {raw:?} from {from:?}"
                );
                let by_index = filter.select_by_index(&collection, from).map(ids);
                if let Some(by_index) = by_index {
                    narrowed += 1;
                    assert_eq!(by_index, scan, "seed {seed}: {raw:?} from {from:?}");
                }
            }
        }
    }
    // The index path was really taken, often.
    assert!(narrowed > 2000, "only {narrowed} filters were narrowed");
}

/// The sink's stale-chunk delete: a `should` of `must[session_id, uuid, chunk_index >= n]`.
/// Through the index it looks at one candidate per message, whatever the collection's size.
#[test]
fn stale_chunk_deletes_look_at_one_point_per_message() {
    let mut collection = empty_collection();
    for name in ["session_id", "uuid"] {
        collection.set_index(name.to_string(), index(PayloadSchemaType::Keyword));
    }
    collection.set_index("chunk_index".to_string(), index(PayloadSchemaType::Integer));
    for i in 0..5000u64 {
        let payload = HashMap::from([
            ("session_id".to_string(), string(&format!("s{}", i / 200))),
            ("uuid".to_string(), string(&format!("u{i}"))),
            ("chunk_index".to_string(), int((i % 3) as i64)),
        ]);
        collection.insert_point(
            PointKey::Num(i),
            Point {
                vectors: BTreeMap::new(),
                payload,
                version: 0,
            },
        );
    }
    let message = |i: u64| proto::Condition {
        condition_one_of: Some(ConditionOneOf::Filter(proto::Filter {
            must: vec![
                field("session_id", |c| {
                    c.r#match = matching(MatchValue::Keyword(format!("s{}", i / 200)))
                }),
                field("uuid", |c| {
                    c.r#match = matching(MatchValue::Keyword(format!("u{i}")))
                }),
                field("chunk_index", |c| {
                    c.range = Some(proto::Range {
                        gte: Some(1.0),
                        ..Default::default()
                    })
                }),
            ],
            ..Default::default()
        })),
    };
    let raw = proto::Filter {
        should: (1000..1064).map(message).collect(),
        ..Default::default()
    };
    let filter = Filter::compile(Some(&raw)).unwrap();
    assert_eq!(filter.candidates(&collection), Some(64));
    let selected = ids(filter.select(&collection, None));
    assert_eq!(selected, ids(filter.scan(&collection, None)));
    // chunk_index is i % 3: two messages in three have a chunk at 1 or more.
    assert_eq!(selected.len(), (1000..1064).filter(|i| i % 3 != 0).count());
}
