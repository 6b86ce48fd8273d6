//! Point operations: upsert, update_vectors, delete, set_payload, get, scroll, count.

use std::collections::{BTreeMap, HashSet};

use qdrant_client::qdrant::{
    points_selector::PointsSelectorOneOf, CountPoints, DeletePoints, GetPoints, PointId,
    PointsSelector, RetrievedPoint, ScrollPoints, SetPayloadPoints, UpdateMode, UpdatePointVectors,
    UpsertPoints,
};
use tonic::Status;

use crate::convert::{self, PayloadPick, VectorPick};
use crate::errors;
use crate::filter::Filter;
use crate::state::{Collection, Point, PointKey, Store};

const DEFAULT_SCROLL_LIMIT: u32 = 10;

/// Replaces each point whole (vectors and payload). The batch is checked before anything is
/// written. Returns the operation id.
pub(crate) fn upsert(store: &mut Store, request: UpsertPoints) -> Result<u64, Status> {
    if request.update_filter.is_some() {
        return Err(errors::not_implemented("upsert with update_filter"));
    }
    if request
        .update_mode
        .is_some_and(|mode| mode != UpdateMode::Upsert as i32)
    {
        return Err(errors::not_implemented(
            "upsert with an update_mode other than Upsert",
        ));
    }
    let collection = store.collection(&request.collection_name)?;
    let mut prepared = Vec::with_capacity(request.points.len());
    for point in request.points {
        let key = convert::point_key(point.id.as_ref())?;
        let mut vectors = BTreeMap::new();
        for (name, input) in convert::input_vectors(point.vectors)? {
            let stored = convert::stored_vector(&collection.schema, &name, input)?;
            vectors.insert(name, stored);
        }
        prepared.push((key, vectors, point.payload));
    }
    let operation = store.next_operation();
    let collection = store.collection_mut(&request.collection_name)?;
    for (key, vectors, payload) in prepared {
        collection.insert_point(
            key,
            Point {
                vectors,
                payload,
                version: operation,
            },
        );
    }
    Ok(operation)
}

/// Sets the given vectors of existing points; their other vectors and their payloads stay. Every point must
/// exist (as in Qdrant), and the batch is checked before anything is written.
pub(crate) fn update_vectors(
    store: &mut Store,
    request: UpdatePointVectors,
) -> Result<u64, Status> {
    if request.update_filter.is_some() {
        return Err(errors::not_implemented("update_vectors with update_filter"));
    }
    let collection = store.collection(&request.collection_name)?;
    let mut prepared = Vec::with_capacity(request.points.len());
    for point in request.points {
        let key = convert::point_key(point.id.as_ref())?;
        let Some(existing) = collection.points().get(&key) else {
            return Err(Status::not_found(format!(
                "Not found: No point with id {} found",
                convert::describe(key)
            )));
        };
        let mut updated = existing.clone();
        for (name, input) in convert::input_vectors(point.vectors)? {
            let stored = convert::stored_vector(&collection.schema, &name, input)?;
            updated.vectors.insert(name, stored);
        }
        prepared.push((key, updated));
    }
    let operation = store.next_operation();
    let collection = store.collection_mut(&request.collection_name)?;
    for (key, mut point) in prepared {
        point.version = operation;
        collection.insert_point(key, point);
    }
    Ok(operation)
}

enum Selection {
    Ids(Vec<PointKey>),
    Filter(Filter),
}

fn selection(selector: Option<&PointsSelector>) -> Result<Selection, Status> {
    match selector.and_then(|s| s.points_selector_one_of.as_ref()) {
        None => Err(Status::invalid_argument("PointSelector is missing")),
        Some(PointsSelectorOneOf::Points(list)) => {
            Ok(Selection::Ids(convert::point_keys(&list.ids)?))
        }
        Some(PointsSelectorOneOf::Filter(filter)) => {
            Ok(Selection::Filter(Filter::compile(Some(filter))?))
        }
    }
}

fn matching(collection: &Collection, filter: &Filter) -> Vec<PointKey> {
    filter
        .select(collection, None)
        .map(|(key, _)| key)
        .collect()
}

/// Deleting ids that do not exist is not an error.
pub(crate) fn delete(store: &mut Store, request: &DeletePoints) -> Result<u64, Status> {
    let collection = store.collection(&request.collection_name)?;
    let selection = selection(request.points.as_ref())?;
    let keys = match selection {
        Selection::Ids(keys) => keys,
        Selection::Filter(filter) => matching(collection, &filter),
    };
    let operation = store.next_operation();
    let collection = store.collection_mut(&request.collection_name)?;
    for key in keys {
        collection.remove_point(key);
    }
    Ok(operation)
}

/// Merges into the payload at top level: given keys overwrite, a null value removes the key.
/// Ids that do not exist are an error (as in Qdrant); a filter selects whatever matches.
pub(crate) fn set_payload(store: &mut Store, request: SetPayloadPoints) -> Result<u64, Status> {
    if request.key.is_some() {
        return Err(errors::not_implemented(
            "set_payload with `key` (nested path)",
        ));
    }
    let collection = store.collection(&request.collection_name)?;
    let selection = selection(request.points_selector.as_ref())?;
    let keys = match selection {
        Selection::Ids(keys) => {
            if let Some(missing) = keys
                .iter()
                .find(|key| !collection.points().contains_key(key))
            {
                return Err(Status::not_found(format!(
                    "Not found: No point with id {} found",
                    convert::describe(*missing)
                )));
            }
            keys
        }
        Selection::Filter(filter) => matching(collection, &filter),
    };
    let operation = store.next_operation();
    let collection = store.collection_mut(&request.collection_name)?;
    for key in keys {
        collection.update_payload(key, |point| {
            for (field, value) in &request.payload {
                if matches!(
                    value.kind,
                    None | Some(qdrant_client::qdrant::value::Kind::NullValue(_))
                ) {
                    point.payload.remove(field);
                } else {
                    point.payload.insert(field.clone(), value.clone());
                }
            }
            point.version = operation;
        });
    }
    Ok(operation)
}

pub(crate) fn retrieved(
    collection: &Collection,
    key: PointKey,
    point: &Point,
    payload: &PayloadPick,
    vectors: &VectorPick,
) -> RetrievedPoint {
    RetrievedPoint {
        id: Some(convert::point_id(key)),
        payload: payload.output(&point.payload),
        vectors: vectors.output(&collection.schema, point),
        shard_key: None,
        order_value: None,
    }
}

/// Found points in request order, each once; missing ids are skipped.
/// Payload and vectors are returned only when asked for.
pub(crate) fn get(store: &Store, request: &GetPoints) -> Result<Vec<RetrievedPoint>, Status> {
    let collection = store.collection(&request.collection_name)?;
    let payload = PayloadPick::parse(request.with_payload.as_ref(), false)?;
    let vectors = VectorPick::parse(request.with_vectors.as_ref(), &collection.schema)?;
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for key in convert::point_keys(&request.ids)? {
        if !seen.insert(key) {
            continue;
        }
        if let Some(point) = collection.points().get(&key) {
            found.push(retrieved(collection, key, point, &payload, &vectors));
        }
    }
    Ok(found)
}

/// Ascending id order from `offset` (inclusive); payload is returned unless disabled.
pub(crate) fn scroll(
    store: &Store,
    request: &ScrollPoints,
) -> Result<(Vec<RetrievedPoint>, Option<PointId>), Status> {
    if request.order_by.is_some() {
        return Err(errors::not_implemented("scroll with order_by"));
    }
    let collection = store.collection(&request.collection_name)?;
    let filter = Filter::compile(request.filter.as_ref())?;
    let payload = PayloadPick::parse(request.with_payload.as_ref(), true)?;
    let vectors = VectorPick::parse(request.with_vectors.as_ref(), &collection.schema)?;
    let limit = request.limit.unwrap_or(DEFAULT_SCROLL_LIMIT);
    if limit == 0 {
        return Err(errors::bad_request("scroll limit must be at least 1"));
    }
    let start = match &request.offset {
        Some(offset) => Some(convert::point_key(Some(offset))?),
        None => None,
    };
    let mut page = Vec::new();
    let mut next = None;
    for (key, point) in filter.select(collection, start) {
        if page.len() == limit as usize {
            next = Some(convert::point_id(key));
            break;
        }
        page.push(retrieved(collection, key, point, &payload, &vectors));
    }
    Ok((page, next))
}

/// Always exact.
pub(crate) fn count(store: &Store, request: &CountPoints) -> Result<u64, Status> {
    let collection = store.collection(&request.collection_name)?;
    let filter = Filter::compile(request.filter.as_ref())?;
    if filter.is_empty() {
        return Ok(collection.points().len() as u64);
    }
    Ok(filter.select(collection, None).count() as u64)
}
