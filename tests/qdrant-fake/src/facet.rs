//! `facet`: counts of points per distinct value of an indexed keyword/integer/bool/uuid key.

use std::collections::{BTreeMap, BTreeSet};

use qdrant_client::qdrant::{
    facet_value::Variant, value::Kind, FacetCounts, FacetHit, FacetValue, PayloadSchemaType,
};
use tonic::Status;

use crate::errors;
use crate::filter::Filter;
use crate::index;
use crate::path::Path;
use crate::state::Collection;

const DEFAULT_LIMIT: u64 = 10;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Bool(bool),
    Int(i64),
    Str(String),
}

/// A point counts once per distinct value (an array holding "a" twice counts "a" once).
/// Sorted by count descending, then value ascending. Like Qdrant, the key needs a payload index.
pub(crate) fn facet(
    collection: &Collection,
    request: &FacetCounts,
) -> Result<Vec<FacetHit>, Status> {
    let path = Path::parse(&request.key)?;
    let data_type = collection
        .indexes()
        .get(&request.key)
        .map(|index| index.data_type)
        .filter(|data_type| {
            matches!(
                data_type,
                PayloadSchemaType::Keyword
                    | PayloadSchemaType::Integer
                    | PayloadSchemaType::Bool
                    | PayloadSchemaType::Uuid
            )
        })
        .ok_or_else(|| {
            errors::bad_request(format!(
                "Index required but not found for \"{}\" of one of the following types: \
                 [keyword, integer, bool, uuid]. Help: Create an index for this key first.",
                request.key
            ))
        })?;
    let filter = Filter::compile(request.filter.as_ref())?;
    // Over all points, a keyword index already has the counts.
    let indexed = if filter.is_empty() && data_type == PayloadSchemaType::Keyword {
        collection.keywords().counts(&request.key)
    } else {
        None
    };
    let counts: BTreeMap<Key, u64> = match indexed {
        Some(indexed) => indexed
            .map(|(keyword, n)| (Key::Str(keyword.to_string()), n))
            .collect(),
        None => count(collection, &filter, &path, data_type),
    };
    let mut hits: Vec<(Key, u64)> = counts.into_iter().collect();
    hits.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let limit = usize::try_from(request.limit.unwrap_or(DEFAULT_LIMIT)).unwrap_or(usize::MAX);
    Ok(hits
        .into_iter()
        .take(limit)
        .map(|(key, count)| FacetHit {
            value: Some(FacetValue {
                variant: Some(match key {
                    Key::Str(s) => Variant::StringValue(s),
                    Key::Int(i) => Variant::IntegerValue(i),
                    Key::Bool(b) => Variant::BoolValue(b),
                }),
            }),
            count,
        })
        .collect())
}

/// How many of the points matching `filter` hold each value at `path`.
fn count(
    collection: &Collection,
    filter: &Filter,
    path: &Path,
    data_type: PayloadSchemaType,
) -> BTreeMap<Key, u64> {
    let mut counts: BTreeMap<Key, u64> = BTreeMap::new();
    for (_, point) in filter.select(collection, None) {
        let distinct: BTreeSet<Key> = index::flat_values(path, &point.payload)
            .into_iter()
            .filter(|value| index::accepts(data_type, value))
            .filter_map(|value| match &value.kind {
                Some(Kind::StringValue(s)) => Some(Key::Str(s.clone())),
                Some(Kind::IntegerValue(i)) => Some(Key::Int(*i)),
                Some(Kind::BoolValue(b)) => Some(Key::Bool(*b)),
                _ => None,
            })
            .collect();
        for key in distinct {
            *counts.entry(key).or_default() += 1;
        }
    }
    counts
}
