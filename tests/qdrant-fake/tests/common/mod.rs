//! Shared fixture: a collection shaped like pipeline's (named dense "dense" 384/Cosine + sparse
//! "lexical" with IDF, keyword/integer/bool indexes) and five points with UUID ids.

#![allow(dead_code)]

use qdrant_client::qdrant::{
    point_id::PointIdOptions, vector_output, CreateCollectionBuilder,
    CreateFieldIndexCollectionBuilder, Distance, FieldType, Modifier, NamedVectors, PointId,
    PointStruct, ScrollPointsBuilder, SparseVectorParamsBuilder, SparseVectorsConfigBuilder,
    UpsertPointsBuilder, Vector, VectorParamsBuilder, VectorsConfigBuilder, VectorsOutput,
};
use qdrant_client::{Payload, Qdrant, QdrantError};
use serde_json::json;

pub const COLLECTION: &str = "chats";
pub const DIM: usize = 384;

// Inserted in this order; ascending id order is P3, P1, P2, P4, P0.
pub const P0: &str = "f0000000-0000-4000-8000-000000000000";
pub const P1: &str = "10000000-0000-4000-8000-000000000000";
pub const P2: &str = "a0000000-0000-4000-8000-000000000000";
pub const P3: &str = "0a000000-0000-4000-8000-000000000000";
pub const P4: &str = "c0000000-0000-4000-8000-000000000000";
pub const SORTED: [&str; 5] = [P3, P1, P2, P4, P0];

/// The points of `collection` that `filter` (`None`: all) accepts, counted exactly; the client's error as is.
pub async fn try_count(
    client: &Qdrant,
    collection: &str,
    filter: Option<&qdrant_client::qdrant::Filter>,
) -> Result<u64, QdrantError> {
    let mut request = qdrant_client::qdrant::CountPointsBuilder::new(collection).exact(true);
    if let Some(f) = filter {
        request = request.filter(f.clone());
    }
    Ok(client
        .count(request)
        .await?
        .result
        .expect("count result")
        .count)
}

/// The points of `collection` that `filter` accepts, counted exactly.
pub async fn count(
    client: &Qdrant,
    collection: &str,
    filter: &qdrant_client::qdrant::Filter,
) -> u64 {
    try_count(client, collection, Some(filter))
        .await
        .expect("count")
}

pub fn client(url: &str) -> Qdrant {
    Qdrant::from_url(url)
        .skip_compatibility_check()
        .build()
        .expect("client")
}

/// Mostly one direction per slot, so the query `dense(slot)` ranks that point first.
pub fn dense(slot: usize) -> Vec<f32> {
    let mut v = vec![0.01; DIM];
    v[slot] = 1.0;
    v
}

pub struct Doc {
    pub id: &'static str,
    pub slot: usize,
    pub lexical: &'static [(u32, f32)],
    pub payload: serde_json::Value,
}

pub fn docs() -> Vec<Doc> {
    vec![
        Doc {
            id: P0,
            slot: 0,
            lexical: &[(1, 1.0), (2, 1.0)],
            payload: json!({"project": "alpha", "turn": 1, "archived": false,
                            "tags": ["rust", "grpc"], "text": "first"}),
        },
        Doc {
            id: P1,
            slot: 1,
            lexical: &[(3, 1.0), (1, 1.0)],
            payload: json!({"project": "alpha", "turn": 2, "archived": true, "tags": ["rust"]}),
        },
        Doc {
            id: P2,
            slot: 2,
            lexical: &[(1, 1.0), (4, 1.0)],
            payload: json!({"project": "beta", "turn": 3, "archived": false,
                            "tags": ["python", "grpc"], "score": 0.75}),
        },
        Doc {
            id: P3,
            slot: 3,
            lexical: &[(1, 1.0)],
            payload: json!({"project": "beta", "turn": 4, "archived": false, "tags": []}),
        },
        Doc {
            id: P4,
            slot: 4,
            lexical: &[(5, 2.0)],
            payload: json!({"project": "gamma", "turn": 5, "tags": ["rust", "rust"],
                            "chunks": [{"kind": "code", "lines": 10}, {"kind": "text", "lines": 3}],
                            "meta": {"lang": "en"}}),
        },
    ]
}

/// Named dense + sparse vectors, the way pipeline builds them with the 1.20 client.
pub fn point(doc: &Doc) -> PointStruct {
    let (indices, values): (Vec<u32>, Vec<f32>) = doc.lexical.iter().copied().unzip();
    let vectors = NamedVectors::default()
        .add_vector("dense", Vector::new_dense(dense(doc.slot)))
        .add_vector("lexical", Vector::new_sparse(indices, values));
    PointStruct::new(
        doc.id,
        vectors,
        Payload::try_from(doc.payload.clone()).expect("payload is an object"),
    )
}

pub async fn create_collection(client: &Qdrant) {
    let mut dense_config = VectorsConfigBuilder::default();
    dense_config.add_named_vector_params(
        "dense",
        VectorParamsBuilder::new(DIM as u64, Distance::Cosine),
    );
    let mut sparse_config = SparseVectorsConfigBuilder::default();
    sparse_config.add_named_vector_params(
        "lexical",
        SparseVectorParamsBuilder::default().modifier(Modifier::Idf),
    );
    client
        .create_collection(
            CreateCollectionBuilder::new(COLLECTION)
                .vectors_config(dense_config)
                .sparse_vectors_config(sparse_config),
        )
        .await
        .expect("create collection");
    for (field, field_type) in [
        ("project", FieldType::Keyword),
        ("tags", FieldType::Keyword),
        ("turn", FieldType::Integer),
        ("archived", FieldType::Bool),
    ] {
        client
            .create_field_index(
                CreateFieldIndexCollectionBuilder::new(COLLECTION, field, field_type).wait(true),
            )
            .await
            .expect("create index");
    }
}

pub async fn seed(client: &Qdrant) {
    create_collection(client).await;
    let points: Vec<PointStruct> = docs().iter().map(point).collect();
    client
        .upsert_points(UpsertPointsBuilder::new(COLLECTION, points).wait(true))
        .await
        .expect("upsert");
}

pub fn id_string(id: Option<&PointId>) -> String {
    match id.and_then(|id| id.point_id_options.as_ref()) {
        Some(PointIdOptions::Uuid(uuid)) => uuid.clone(),
        Some(PointIdOptions::Num(num)) => num.to_string(),
        None => panic!("point without id"),
    }
}

/// Ids of the points matching `filter`, in scroll (id) order.
pub async fn scroll_ids(client: &Qdrant, filter: qdrant_client::qdrant::Filter) -> Vec<String> {
    client
        .scroll(
            ScrollPointsBuilder::new(COLLECTION)
                .filter(filter)
                .limit(100),
        )
        .await
        .expect("scroll")
        .result
        .iter()
        .map(|p| id_string(p.id.as_ref()))
        .collect()
}

/// How a caller reads a named dense vector back with the 1.20 client.
pub fn dense_vector(vectors: Option<&VectorsOutput>, name: &str) -> Vec<f32> {
    match vectors.expect("vectors requested").get_vector_by_name(name) {
        Some(vector_output::Vector::Dense(dense)) => dense.data,
        other => panic!("expected dense vector `{name}`, got {other:?}"),
    }
}

pub fn status(error: QdrantError) -> tonic::Status {
    match error {
        QdrantError::ResponseError { status } => status,
        QdrantError::ResourceExhaustedError { status, .. } => status,
        other => panic!("expected a gRPC status, got {other}"),
    }
}
