//! Payload indexes: recorded (for `payload_schema` and facets), never needed for filtering.

use qdrant_client::qdrant::{
    payload_index_params::IndexParams, value::Kind, CreateFieldIndexCollection, FieldType,
    PayloadSchemaType, Value,
};
use tonic::Status;

use crate::errors;
use crate::path::Path;
use crate::state::{Collection, FieldIndex};

/// Creating an index that already exists succeeds; a different type replaces it.
pub(crate) fn create(
    collection: &mut Collection,
    request: &CreateFieldIndexCollection,
) -> Result<(), Status> {
    Path::parse(&request.field_name)?;
    let from_type = match request.field_type {
        None => None,
        Some(raw) => {
            Some(schema_type(FieldType::try_from(raw).map_err(|_| {
                errors::wrong_input(format!("Unknown field type {raw}"))
            })?))
        }
    };
    let from_params = request
        .field_index_params
        .as_ref()
        .and_then(|params| params.index_params.as_ref())
        .map(params_type);
    let data_type = match (from_type, from_params) {
        (Some(a), Some(b)) if a != b => {
            return Err(errors::wrong_input(format!(
                "Index params for `{}` do not match field type {}",
                request.field_name,
                a.as_str_name()
            )))
        }
        (Some(t), _) | (None, Some(t)) => t,
        (None, None) => {
            return Err(errors::wrong_input(format!(
                "Field type of `{}` is not specified",
                request.field_name
            )))
        }
    };
    collection.indexes.insert(
        request.field_name.clone(),
        FieldIndex {
            data_type,
            params: request.field_index_params.clone(),
        },
    );
    Ok(())
}

fn schema_type(field_type: FieldType) -> PayloadSchemaType {
    match field_type {
        FieldType::Keyword => PayloadSchemaType::Keyword,
        FieldType::Integer => PayloadSchemaType::Integer,
        FieldType::Float => PayloadSchemaType::Float,
        FieldType::Geo => PayloadSchemaType::Geo,
        FieldType::Text => PayloadSchemaType::Text,
        FieldType::Bool => PayloadSchemaType::Bool,
        FieldType::Datetime => PayloadSchemaType::Datetime,
        FieldType::Uuid => PayloadSchemaType::Uuid,
    }
}

fn params_type(params: &IndexParams) -> PayloadSchemaType {
    match params {
        IndexParams::KeywordIndexParams(_) => PayloadSchemaType::Keyword,
        IndexParams::IntegerIndexParams(_) => PayloadSchemaType::Integer,
        IndexParams::FloatIndexParams(_) => PayloadSchemaType::Float,
        IndexParams::GeoIndexParams(_) => PayloadSchemaType::Geo,
        IndexParams::TextIndexParams(_) => PayloadSchemaType::Text,
        IndexParams::BoolIndexParams(_) => PayloadSchemaType::Bool,
        IndexParams::DatetimeIndexParams(_) => PayloadSchemaType::Datetime,
        IndexParams::UuidIndexParams(_) => PayloadSchemaType::Uuid,
    }
}

/// Whether an index of `data_type` would index this (non-array) value.
pub(crate) fn accepts(data_type: PayloadSchemaType, value: &Value) -> bool {
    match (data_type, &value.kind) {
        (
            PayloadSchemaType::Keyword | PayloadSchemaType::Text | PayloadSchemaType::Datetime,
            Some(Kind::StringValue(_)),
        ) => true,
        (PayloadSchemaType::Uuid, Some(Kind::StringValue(s))) => uuid::Uuid::parse_str(s).is_ok(),
        (PayloadSchemaType::Integer, Some(Kind::IntegerValue(_))) => true,
        (PayloadSchemaType::Float, Some(Kind::IntegerValue(_) | Kind::DoubleValue(_))) => true,
        (PayloadSchemaType::Bool, Some(Kind::BoolValue(_))) => true,
        (PayloadSchemaType::Geo, Some(Kind::StructValue(s))) => {
            s.fields.contains_key("lon") && s.fields.contains_key("lat")
        }
        _ => false,
    }
}

/// Values at `path`, with one level of arrays flattened (as conditions and indexes see them).
pub(crate) fn flat_values<'a>(
    path: &Path,
    payload: &'a std::collections::HashMap<String, Value>,
) -> Vec<&'a Value> {
    path.values(payload)
        .into_iter()
        .flat_map(|value| match &value.kind {
            Some(Kind::ListValue(list)) => list.values.iter().collect(),
            _ => vec![value],
        })
        .collect()
}

/// How many points have at least one value the index would hold (`PayloadSchemaInfo.points`).
pub(crate) fn indexed_points(
    collection: &Collection,
    key: &str,
    data_type: PayloadSchemaType,
) -> u64 {
    let Ok(path) = Path::parse(key) else {
        return 0;
    };
    collection
        .points
        .values()
        .filter(|point| {
            flat_values(&path, &point.payload)
                .into_iter()
                .any(|value| accepts(data_type, value))
        })
        .count() as u64
}
