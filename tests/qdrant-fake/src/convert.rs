//! Conversions between the wire messages and the fake's state: point ids, vectors in and out,
//! and the `with_payload` / `with_vectors` selectors.

use std::collections::{BTreeMap, HashMap};

use qdrant_client::qdrant::{
    point_id::PointIdOptions, vector, vector_output, vectors, vectors_output,
    with_payload_selector::SelectorOptions as PayloadOptions,
    with_vectors_selector::SelectorOptions as VectorOptions, DenseVector, Distance,
    NamedVectorsOutput, PointId, SparseVector, Value, Vector, VectorOutput, Vectors, VectorsOutput,
    WithPayloadSelector, WithVectorsSelector,
};
use tonic::Status;

use crate::errors;
use crate::path::Path;
use crate::state::{Point, PointKey, SparseVec, StoredVector, VectorSchema};

// ---------------------------------------------------------------------------------------------
// Point ids

pub(crate) fn point_key(id: Option<&PointId>) -> Result<PointKey, Status> {
    match id.and_then(|id| id.point_id_options.as_ref()) {
        Some(PointIdOptions::Num(num)) => Ok(PointKey::Num(*num)),
        Some(PointIdOptions::Uuid(text)) => uuid::Uuid::parse_str(text)
            .map(|uuid| PointKey::Uuid(uuid.as_u128()))
            .map_err(|_| errors::wrong_input(format!("Unable to parse UUID: {text}"))),
        None => Err(errors::wrong_input("Empty point id")),
    }
}

pub(crate) fn point_keys(ids: &[PointId]) -> Result<Vec<PointKey>, Status> {
    ids.iter().map(|id| point_key(Some(id))).collect()
}

/// UUIDs go out lowercase and hyphenated, whatever form they came in.
pub(crate) fn point_id(key: PointKey) -> PointId {
    let options = match key {
        PointKey::Num(num) => PointIdOptions::Num(num),
        PointKey::Uuid(bits) => PointIdOptions::Uuid(uuid::Uuid::from_u128(bits).to_string()),
    };
    PointId {
        point_id_options: Some(options),
    }
}

pub(crate) fn describe(key: PointKey) -> String {
    match key {
        PointKey::Num(num) => num.to_string(),
        PointKey::Uuid(bits) => uuid::Uuid::from_u128(bits).to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Vectors in

/// A vector as sent, before it is checked against the collection's schema.
#[derive(Debug)]
pub(crate) enum InputVector {
    Dense(Vec<f32>),
    Sparse { indices: Vec<u32>, values: Vec<f32> },
}

/// Reads both encodings of `qdrant.Vector`: the 1.16+ `vector` oneof (what the 1.20 client
/// builders send) and the deprecated `data` / `indices` / `vectors_count` fields.
#[allow(deprecated)]
pub(crate) fn input_vector(vector: Vector) -> Result<InputVector, Status> {
    let Vector {
        data,
        indices,
        vectors_count,
        vector,
    } = vector;
    match vector {
        Some(vector::Vector::Dense(dense)) => Ok(InputVector::Dense(dense.data)),
        Some(vector::Vector::Sparse(sparse)) => Ok(InputVector::Sparse {
            indices: sparse.indices,
            values: sparse.values,
        }),
        Some(vector::Vector::MultiDense(_)) => Err(errors::not_implemented("multi-vectors")),
        Some(
            vector::Vector::Document(_) | vector::Vector::Image(_) | vector::Vector::Object(_),
        ) => Err(errors::not_implemented(
            "server-side inference (Document/Image/Object vectors)",
        )),
        None if vectors_count.is_some() => Err(errors::not_implemented("multi-vectors")),
        None => match indices {
            Some(indices) => Ok(InputVector::Sparse {
                indices: indices.data,
                values: data,
            }),
            None => Ok(InputVector::Dense(data)),
        },
    }
}

/// The vectors of one point, by name ("" for a single unnamed vector).
pub(crate) fn input_vectors(
    vectors: Option<Vectors>,
) -> Result<Vec<(String, InputVector)>, Status> {
    match vectors.and_then(|vectors| vectors.vectors_options) {
        None => Ok(Vec::new()),
        Some(vectors::VectorsOptions::Vector(vector)) => {
            Ok(vec![(String::new(), input_vector(vector)?)])
        }
        Some(vectors::VectorsOptions::Vectors(named)) => named
            .vectors
            .into_iter()
            .map(|(name, vector)| Ok((name, input_vector(vector)?)))
            .collect(),
    }
}

/// Checks one vector against the schema and stores it as Qdrant would (Cosine: normalised).
pub(crate) fn stored_vector(
    schema: &VectorSchema,
    name: &str,
    input: InputVector,
) -> Result<StoredVector, Status> {
    if let Some(params) = schema.dense.get(name) {
        let InputVector::Dense(mut data) = input else {
            return Err(errors::wrong_input(format!(
                "Conversion between sparse and regular vectors failed: `{name}` is a dense vector"
            )));
        };
        if data.len() != params.size {
            return Err(errors::wrong_input(format!(
                "Vector dimension error: expected dim: {}, got {}",
                params.size,
                data.len()
            )));
        }
        if params.distance == Distance::Cosine {
            crate::score::normalize(&mut data);
        }
        Ok(StoredVector::Dense(data))
    } else if schema.sparse.contains_key(name) {
        let InputVector::Sparse { indices, values } = input else {
            return Err(errors::wrong_input(format!(
                "Conversion between sparse and regular vectors failed: `{name}` is a sparse vector"
            )));
        };
        Ok(StoredVector::Sparse(sparse_vec(indices, values)?))
    } else {
        Err(errors::wrong_input(format!(
            "Not existing vector name error: {name}"
        )))
    }
}

/// Validates a sparse vector (same lengths, unique indices) and sorts it by index.
pub(crate) fn sparse_vec(indices: Vec<u32>, values: Vec<f32>) -> Result<SparseVec, Status> {
    if indices.len() != values.len() {
        return Err(errors::wrong_input(format!(
            "Sparse vector has {} indices but {} values",
            indices.len(),
            values.len()
        )));
    }
    let mut pairs: Vec<(u32, f32)> = indices.into_iter().zip(values).collect();
    pairs.sort_by_key(|(index, _)| *index);
    if pairs.windows(2).any(|pair| pair[0].0 == pair[1].0) {
        return Err(errors::wrong_input("Sparse vector indices must be unique"));
    }
    let (indices, values) = pairs.into_iter().unzip();
    Ok(SparseVec { indices, values })
}

// ---------------------------------------------------------------------------------------------
// Vectors out

/// Output form read back by the 1.20 client: the `vector` oneof, so `VectorOutput::into_vector()`
/// and `VectorsOutput::get_vector[_by_name]()` give `vector_output::Vector::Dense/Sparse`.
pub(crate) fn vector_output(stored: &StoredVector) -> VectorOutput {
    let vector = match stored {
        StoredVector::Dense(data) => {
            vector_output::Vector::Dense(DenseVector { data: data.clone() })
        }
        StoredVector::Sparse(sparse) => vector_output::Vector::Sparse(SparseVector {
            values: sparse.values.clone(),
            indices: sparse.indices.clone(),
        }),
    };
    #[allow(deprecated)]
    VectorOutput {
        data: Vec::new(),
        indices: None,
        vectors_count: None,
        vector: Some(vector),
    }
}

/// Which vectors to return (`with_vectors`; default: none).
pub(crate) enum VectorPick {
    Nothing,
    All,
    Only(Vec<String>),
}

impl VectorPick {
    pub(crate) fn parse(
        selector: Option<&WithVectorsSelector>,
        schema: &VectorSchema,
    ) -> Result<VectorPick, Status> {
        match selector.and_then(|selector| selector.selector_options.as_ref()) {
            None | Some(VectorOptions::Enable(false)) => Ok(VectorPick::Nothing),
            Some(VectorOptions::Enable(true)) => Ok(VectorPick::All),
            Some(VectorOptions::Include(names)) => {
                for name in &names.names {
                    if !schema.dense.contains_key(name) && !schema.sparse.contains_key(name) {
                        return Err(errors::wrong_input(format!(
                            "Not existing vector name error: {name}"
                        )));
                    }
                }
                Ok(VectorPick::Only(names.names.clone()))
            }
        }
    }

    pub(crate) fn output(&self, schema: &VectorSchema, point: &Point) -> Option<VectorsOutput> {
        let selected: BTreeMap<&String, &StoredVector> = match self {
            VectorPick::Nothing => return None,
            VectorPick::All => point.vectors.iter().collect(),
            VectorPick::Only(names) => point
                .vectors
                .iter()
                .filter(|(name, _)| names.contains(name))
                .collect(),
        };
        let single = schema.unnamed && schema.sparse.is_empty();
        let options = match selected.get(&String::new()) {
            Some(stored) if single => vectors_output::VectorsOptions::Vector(vector_output(stored)),
            _ => vectors_output::VectorsOptions::Vectors(NamedVectorsOutput {
                vectors: selected
                    .into_iter()
                    .map(|(name, stored)| (name.clone(), vector_output(stored)))
                    .collect(),
            }),
        };
        Some(VectorsOutput {
            vectors_options: Some(options),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Payload out

/// Which payload keys to return (`with_payload`).
pub(crate) enum PayloadPick {
    Nothing,
    All,
    Include(Vec<String>),
    Exclude(Vec<String>),
}

impl PayloadPick {
    /// `default_all`: what an absent selector means (Qdrant: scroll returns payload, get and
    /// query do not).
    pub(crate) fn parse(
        selector: Option<&WithPayloadSelector>,
        default_all: bool,
    ) -> Result<PayloadPick, Status> {
        let top_level = |fields: &[String]| -> Result<Vec<String>, Status> {
            fields
                .iter()
                .map(|field| match Path::parse(field)?.top_level_key() {
                    Some(key) => Ok(key.to_string()),
                    None => Err(errors::not_implemented(format!(
                        "with_payload on a nested key (`{field}`)"
                    ))),
                })
                .collect()
        };
        Ok(
            match selector.and_then(|selector| selector.selector_options.as_ref()) {
                None if default_all => PayloadPick::All,
                None => PayloadPick::Nothing,
                Some(PayloadOptions::Enable(true)) => PayloadPick::All,
                Some(PayloadOptions::Enable(false)) => PayloadPick::Nothing,
                Some(PayloadOptions::Include(include)) => {
                    PayloadPick::Include(top_level(&include.fields)?)
                }
                Some(PayloadOptions::Exclude(exclude)) => {
                    PayloadPick::Exclude(top_level(&exclude.fields)?)
                }
            },
        )
    }

    pub(crate) fn output(&self, payload: &HashMap<String, Value>) -> HashMap<String, Value> {
        match self {
            PayloadPick::Nothing => HashMap::new(),
            PayloadPick::All => payload.clone(),
            PayloadPick::Include(keys) => payload
                .iter()
                .filter(|(key, _)| keys.contains(key))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
            PayloadPick::Exclude(keys) => payload
                .iter()
                .filter(|(key, _)| !keys.contains(key))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_ids_are_normalised_and_ordered_after_numbers() {
        let upper = PointId::from("6B2F1B2A-8B7B-4C5E-9F0A-0123456789AB");
        let key = point_key(Some(&upper)).unwrap();
        assert_eq!(
            point_id(key),
            PointId::from("6b2f1b2a-8b7b-4c5e-9f0a-0123456789ab")
        );
        assert!(PointKey::Num(u64::MAX) < key);
        assert!(point_key(Some(&PointId::from("not-a-uuid"))).is_err());
    }

    #[test]
    fn reads_new_and_deprecated_vector_encodings() {
        match input_vector(Vector::new_sparse(vec![3, 1], vec![0.5, 0.25])).unwrap() {
            InputVector::Sparse { indices, values } => {
                assert_eq!((indices, values), (vec![3, 1], vec![0.5, 0.25]))
            }
            other => panic!("expected sparse, got {other:?}"),
        }
        #[allow(deprecated)]
        let old = Vector {
            data: vec![1.0, 2.0],
            indices: None,
            vectors_count: None,
            vector: None,
        };
        match input_vector(old).unwrap() {
            InputVector::Dense(data) => assert_eq!(data, vec![1.0, 2.0]),
            other => panic!("expected dense, got {other:?}"),
        }
    }

    #[test]
    fn sparse_vectors_are_sorted_and_validated() {
        let sparse = sparse_vec(vec![9, 2, 5], vec![0.9, 0.2, 0.5]).unwrap();
        assert_eq!(sparse.indices, vec![2, 5, 9]);
        assert_eq!(sparse.values, vec![0.2, 0.5, 0.9]);
        assert!(sparse_vec(vec![1, 1], vec![0.1, 0.2]).is_err());
        assert!(sparse_vec(vec![1], vec![0.1, 0.2]).is_err());
    }
}
