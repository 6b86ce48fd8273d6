//! Points to Qdrant and back: ids, vectors, and the payload as JSON plus the derived filter fields.

use super::schema::{DENSE, LEXICAL, PROJECT_NAME_LC, TOPIC_NAMES};
use crate::lexical;
use crate::payload::Payload;
use crate::store::StoredPoint;
use qdrant_client::qdrant::{
    point_id::PointIdOptions, vector_output, NamedVectors, PointId, PointStruct, Value, Vector,
    VectorsOutput,
};
use std::collections::HashMap;
use uuid::Uuid;

pub fn point_id(id: Uuid) -> PointId {
    PointId::from(id.to_string())
}

/// The UUID of a point id (pipeline only writes UUIDs).
pub fn uuid_of(id: Option<&PointId>) -> Result<Uuid, String> {
    match id.and_then(|p| p.point_id_options.as_ref()) {
        Some(PointIdOptions::Uuid(s)) => {
            Uuid::parse_str(s).map_err(|e| format!("point id {s}: {e}"))
        }
        Some(PointIdOptions::Num(n)) => Err(format!(
            "point id {n} is a number; this collection holds points pipeline did not write"
        )),
        None => Err("a point without an id".to_string()),
    }
}

/// The payload as stored in Qdrant: every field of [`Payload`], plus the derived filter fields.
fn payload_json(p: &Payload) -> Result<serde_json::Value, String> {
    let mut json = serde_json::to_value(p).map_err(|e| e.to_string())?;
    if let Some(map) = json.as_object_mut() {
        map.insert(
            PROJECT_NAME_LC.into(),
            p.project_name
                .as_ref()
                .map(|n| n.to_ascii_lowercase())
                .into(),
        );
        map.insert(
            TOPIC_NAMES.into(),
            p.topics
                .iter()
                .map(|t| t.topic.clone())
                .collect::<Vec<_>>()
                .into(),
        );
    }
    Ok(json)
}

fn qdrant_payload(p: &Payload) -> Result<qdrant_client::Payload, String> {
    qdrant_client::Payload::try_from(payload_json(p)?).map_err(|e| e.to_string())
}

/// A point to upsert: both vectors and the payload.
pub fn to_point(id: Uuid, p: &StoredPoint) -> Result<PointStruct, String> {
    let (indices, values) = lexical::sparse_document(&p.payload.text);
    let mut vectors = NamedVectors::default();
    // A chunk kept for lexical search only has no dense vector (named vectors may be absent).
    if !p.vector.is_empty() {
        vectors = vectors.add_vector(DENSE, Vector::new_dense(p.vector.clone()));
    }
    // A text without a single term has no lexical vector (and, as in the embedded store, does not count in N).
    if !indices.is_empty() {
        vectors = vectors.add_vector(LEXICAL, Vector::new_sparse(indices, values));
    }
    Ok(PointStruct::new(
        point_id(id),
        vectors,
        qdrant_payload(&p.payload)?,
    ))
}

/// A payload read back (the derived fields are dropped).
pub fn from_payload(map: HashMap<String, Value>) -> Result<Payload, String> {
    let json = serde_json::Value::from(qdrant_client::Payload::from(map));
    serde_json::from_value(json).map_err(|e| format!("payload does not decode: {e}"))
}

/// The dense vector of a point read back, if it was requested and is there.
pub fn dense_of(vectors: Option<VectorsOutput>) -> Option<Vec<f32>> {
    match vectors?.get_vector_by_name(DENSE)? {
        vector_output::Vector::Dense(d) => Some(d.data),
        _ => None,
    }
}
