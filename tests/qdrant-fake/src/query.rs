//! `query`: exact nearest-neighbour search over dense or sparse vectors, after the filter.

use std::collections::HashMap;

use qdrant_client::qdrant::{
    query::Variant, vector_input::Variant as Input, Distance, QueryPoints, ScoredPoint, VectorInput,
};
use tonic::Status;

use crate::convert::{self, PayloadPick, VectorPick};
use crate::errors;
use crate::filter::Filter;
use crate::score;
use crate::state::{Collection, Point, PointKey, SparseVec, StoredVector};

const DEFAULT_LIMIT: u64 = 10;

enum Scorer {
    /// No `query`: points in id order, score 0.
    IdOrder,
    Dense {
        name: String,
        distance: Distance,
        query: Vec<f32>,
    },
    Sparse {
        name: String,
        query: SparseVec,
        /// IDF weight per query index, when the sparse vector has `Modifier::Idf`.
        weights: Option<HashMap<u32, f32>>,
    },
}

impl Scorer {
    fn new(collection: &Collection, using: &str, input: &VectorInput) -> Result<Scorer, Status> {
        let schema = &collection.schema;
        let mismatch = |kind: &str| {
            errors::wrong_input(format!(
                "Conversion between sparse and regular vectors failed: `{using}` is a {kind} vector"
            ))
        };
        let missing = || errors::wrong_input(format!("Not existing vector name error: {using}"));
        match &input.variant {
            Some(Input::Dense(dense)) => {
                let Some(params) = schema.dense.get(using) else {
                    return Err(if schema.sparse.contains_key(using) {
                        mismatch("sparse")
                    } else {
                        missing()
                    });
                };
                if dense.data.len() != params.size {
                    return Err(errors::wrong_input(format!(
                        "Vector dimension error: expected dim: {}, got {}",
                        params.size,
                        dense.data.len()
                    )));
                }
                let mut query = dense.data.clone();
                if params.distance == Distance::Cosine {
                    score::normalize(&mut query);
                }
                Ok(Scorer::Dense {
                    name: using.to_string(),
                    distance: params.distance,
                    query,
                })
            }
            Some(Input::Sparse(sparse)) => {
                let Some(params) = schema.sparse.get(using) else {
                    return Err(if schema.dense.contains_key(using) {
                        mismatch("dense")
                    } else {
                        missing()
                    });
                };
                let query = convert::sparse_vec(sparse.indices.clone(), sparse.values.clone())?;
                let weights = params.idf.then(|| idf_weights(collection, using, &query));
                Ok(Scorer::Sparse {
                    name: using.to_string(),
                    query,
                    weights,
                })
            }
            Some(Input::Id(_)) => Err(errors::not_implemented("query by point id")),
            Some(Input::MultiDense(_)) => Err(errors::not_implemented("multi-vector queries")),
            Some(Input::Document(_) | Input::Image(_) | Input::Object(_)) => Err(
                errors::not_implemented("server-side inference (Document/Image/Object queries)"),
            ),
            None => Err(errors::wrong_input("Empty query vector")),
        }
    }

    fn score(&self, point: &Point) -> Option<f32> {
        match self {
            Scorer::IdOrder => Some(0.0),
            Scorer::Dense {
                name,
                distance,
                query,
            } => match point.vectors.get(name) {
                Some(StoredVector::Dense(stored)) => Some(score::dense(*distance, query, stored)),
                _ => None,
            },
            Scorer::Sparse {
                name,
                query,
                weights,
            } => match point.vectors.get(name) {
                Some(StoredVector::Sparse(stored)) => {
                    score::sparse(query, stored, weights.as_ref())
                }
                _ => None,
            },
        }
    }

    fn higher_is_better(&self) -> bool {
        match self {
            Scorer::Dense { distance, .. } => score::higher_is_better(*distance),
            Scorer::IdOrder | Scorer::Sparse { .. } => true,
        }
    }
}

/// `idf(i)` for each query index, over all points of the collection that have the vector:
/// N = how many have it, n(i) = how many of those have a nonzero value at `i`.
fn idf_weights(collection: &Collection, name: &str, query: &SparseVec) -> HashMap<u32, f32> {
    let stats = collection.sparse_stats(name);
    query
        .indices
        .iter()
        .map(|&index| (index, stats.idf(index)))
        .collect()
}

fn variant_name(variant: &Variant) -> &'static str {
    match variant {
        Variant::Nearest(_) => "nearest",
        Variant::Recommend(_) => "recommend",
        Variant::Discover(_) => "discover",
        Variant::Context(_) => "context",
        Variant::OrderBy(_) => "order_by",
        Variant::Fusion(_) => "fusion",
        Variant::Sample(_) => "sample",
        Variant::Formula(_) => "formula",
        Variant::NearestWithMmr(_) => "nearest with mmr",
        Variant::Rrf(_) => "rrf",
        Variant::RelevanceFeedback(_) => "relevance feedback",
        Variant::Text(_) => "text",
    }
}

/// Best first (ties: ascending id), `offset` skipped, `limit` kept (default 10).
/// `score_threshold` keeps scores at least as good as the threshold.
pub(crate) fn query(
    collection: &Collection,
    request: &QueryPoints,
) -> Result<Vec<ScoredPoint>, Status> {
    if !request.prefetch.is_empty() {
        return Err(errors::not_implemented("query with prefetch"));
    }
    if request.lookup_from.is_some() {
        return Err(errors::not_implemented("query with lookup_from"));
    }
    let using = request.using.as_deref().unwrap_or("");
    let scorer = match request.query.as_ref().and_then(|q| q.variant.as_ref()) {
        None => Scorer::IdOrder,
        Some(Variant::Nearest(input)) => Scorer::new(collection, using, input)?,
        Some(other) => {
            return Err(errors::not_implemented(format!(
                "query `{}`",
                variant_name(other)
            )))
        }
    };
    let filter = Filter::compile(request.filter.as_ref())?;
    let payload = PayloadPick::parse(request.with_payload.as_ref(), false)?;
    let vectors = VectorPick::parse(request.with_vectors.as_ref(), &collection.schema)?;
    let higher = scorer.higher_is_better();
    let passes = |score: f32| match request.score_threshold {
        None => true,
        Some(threshold) if higher => score >= threshold,
        Some(threshold) => score <= threshold,
    };
    let mut hits: Vec<(f32, PointKey, &Point)> = filter
        .select(collection, None)
        .filter_map(|(key, point)| {
            let score = scorer.score(point)?;
            passes(score).then_some((score, key, point))
        })
        .collect();
    hits.sort_by(|a, b| {
        let by_score = if higher {
            b.0.total_cmp(&a.0)
        } else {
            a.0.total_cmp(&b.0)
        };
        by_score.then(a.1.cmp(&b.1))
    });
    let offset = usize::try_from(request.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = usize::try_from(request.limit.unwrap_or(DEFAULT_LIMIT)).unwrap_or(usize::MAX);
    Ok(hits
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(score, key, point)| ScoredPoint {
            id: Some(convert::point_id(key)),
            payload: payload.output(&point.payload),
            score,
            version: point.version,
            vectors: vectors.output(&collection.schema, point),
            shard_key: None,
            order_value: None,
        })
        .collect())
}
