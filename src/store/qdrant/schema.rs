//! The collection's shape: what is created on first use, and what an existing collection must look like.

use qdrant_client::qdrant::{
    vectors_config, CollectionInfo, CreateCollectionBuilder, Distance, FieldType, Modifier,
    SparseVectorParamsBuilder, SparseVectorsConfigBuilder, VectorParamsBuilder,
    VectorsConfigBuilder,
};

/// The dense (semantic) vector.
pub const DENSE: &str = "dense";
/// The sparse (lexical, BM25) vector.
pub const LEXICAL: &str = "lexical";

/// Derived payload field: the project name, ASCII-lowercased (project filters ignore case).
pub const PROJECT_NAME_LC: &str = "project_name_lc";
/// Derived payload field: the names of the message's topics (a keyword array).
pub const TOPIC_NAMES: &str = "topic_names";

/// Payload indexes: every field a search filter, a context lookup or a stale-chunk delete matches on.
const PAYLOAD_INDEXES: &[(&str, FieldType)] = &[
    ("project", FieldType::Keyword),
    ("project_name", FieldType::Keyword),
    (PROJECT_NAME_LC, FieldType::Keyword),
    ("session_id", FieldType::Keyword),
    ("kind", FieldType::Keyword),
    ("agent", FieldType::Keyword),
    (TOPIC_NAMES, FieldType::Keyword),
    ("timestamp_unix", FieldType::Integer),
    ("has_code", FieldType::Bool),
    ("is_solution_attempt", FieldType::Bool),
    ("message_id", FieldType::Keyword),
    ("parent_message_id", FieldType::Keyword),
    ("uuid", FieldType::Keyword),
    ("chunk_index", FieldType::Integer),
    ("redaction_version", FieldType::Keyword),
    ("redacted", FieldType::Keyword),
];

/// The request that creates the collection, for vectors of `dimension` floats (the model's).
pub fn create_request(collection: &str, dimension: usize) -> CreateCollectionBuilder {
    let mut dense = VectorsConfigBuilder::default();
    dense.add_named_vector_params(
        DENSE,
        VectorParamsBuilder::new(dimension as u64, Distance::Cosine),
    );
    let mut sparse = SparseVectorsConfigBuilder::default();
    sparse.add_named_vector_params(
        LEXICAL,
        SparseVectorParamsBuilder::default().modifier(Modifier::Idf as i32),
    );
    CreateCollectionBuilder::new(collection)
        .vectors_config(dense)
        .sparse_vectors_config(sparse)
}

/// Why an existing collection cannot be used, if it cannot. `dimension` is the model's, when known (a writer);
/// a reader accepts any size, since the data dir's model record already guards the query's model.
pub fn mismatch(
    collection: &str,
    info: &CollectionInfo,
    dimension: Option<usize>,
) -> Option<String> {
    let params = info.config.as_ref().and_then(|c| c.params.as_ref());
    let dense = params
        .and_then(|p| p.vectors_config.as_ref())
        .and_then(|v| v.config.as_ref());
    let size = dimension.map(|d| format!("{d}-d ")).unwrap_or_default();
    let want = format!(
        "pipeline needs a {size}cosine vector named {DENSE:?} and a sparse vector named {LEXICAL:?} with the idf modifier"
    );
    let found_dense = match dense {
        Some(vectors_config::Config::ParamsMap(map)) => map.map.get(DENSE).map(|p| {
            (
                p.size,
                Distance::try_from(p.distance).unwrap_or(Distance::UnknownDistance),
            )
        }),
        Some(vectors_config::Config::Params(p)) => {
            return Some(format!(
                "collection {collection:?} has a single unnamed {}-d {:?} vector; {want}. Use another collection (sink.collection or --qdrant-collection)",
                p.size,
                Distance::try_from(p.distance).unwrap_or(Distance::UnknownDistance)
            ))
        }
        None => None,
    };
    match found_dense {
        Some((size, Distance::Cosine)) if dimension.is_none_or(|d| size == d as u64) => {}
        Some((size, distance)) => {
            return Some(format!(
                "collection {collection:?} has vector {DENSE:?} with {size} dimensions and {distance:?} distance; {want}. Use another collection (sink.collection or --qdrant-collection)"
            ))
        }
        None => {
            return Some(format!(
                "collection {collection:?} has no vector named {DENSE:?}; {want}. Use another collection (sink.collection or --qdrant-collection)"
            ))
        }
    }
    let lexical = params
        .and_then(|p| p.sparse_vectors_config.as_ref())
        .and_then(|s| s.map.get(LEXICAL));
    match lexical {
        Some(p) if p.modifier == Some(Modifier::Idf as i32) => None,
        Some(_) => Some(format!(
            "collection {collection:?} has sparse vector {LEXICAL:?} without the idf modifier; {want}"
        )),
        None => Some(format!(
            "collection {collection:?} has no sparse vector named {LEXICAL:?}; {want}. Use another collection (sink.collection or --qdrant-collection)"
        )),
    }
}

/// Payload indexes the collection lacks.
pub fn missing_indexes(info: &CollectionInfo) -> Vec<(&'static str, FieldType)> {
    PAYLOAD_INDEXES
        .iter()
        .filter(|(name, _)| !info.payload_schema.contains_key(*name))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use qdrant_client::qdrant::{CollectionConfig, CollectionParams};

    /// The collection a server would report after `create_request`.
    fn created(dimension: usize) -> CollectionInfo {
        let request = create_request("c", dimension).build();
        CollectionInfo {
            config: Some(CollectionConfig {
                params: Some(CollectionParams {
                    vectors_config: request.vectors_config,
                    sparse_vectors_config: request.sparse_vectors_config,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_collection_is_made_for_the_models_dimension_and_checked_against_it() {
        let wide = created(768);
        assert_eq!(mismatch("c", &wide, Some(768)), None);
        assert_eq!(mismatch("c", &wide, None), None, "a reader takes any size");
        let problem = mismatch("c", &wide, Some(384)).unwrap_or_default();
        assert!(
            problem.contains("768 dimensions") && problem.contains("384-d"),
            "{problem}"
        );
        assert_eq!(mismatch("c", &created(384), Some(384)), None);
    }
}
