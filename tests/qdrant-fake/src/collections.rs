//! Collection-level operations: create, describe, list, delete.

use qdrant_client::qdrant::{
    vectors_config::Config, CollectionConfig, CollectionInfo, CollectionParams, CollectionStatus,
    CreateCollection, Distance, HnswConfigDiff, Modifier, OptimizerStatus, OptimizersConfigDiff,
    PayloadSchemaInfo, VectorParams, WalConfigDiff,
};
use tonic::Status;

use crate::errors;
use crate::index;
use crate::state::{Collection, DenseParams, SparseParams, Store, VectorSchema};

pub(crate) fn create(store: &mut Store, request: CreateCollection) -> Result<(), Status> {
    let name = &request.collection_name;
    if name.is_empty() {
        return Err(errors::wrong_input("Collection name must not be empty"));
    }
    if store.collections.contains_key(name) {
        return Err(Status::already_exists(format!(
            "Wrong input: Collection `{name}` already exists!"
        )));
    }
    let schema = schema(&request)?;
    store
        .collections
        .insert(name.clone(), Collection::new(schema, request));
    Ok(())
}

fn schema(request: &CreateCollection) -> Result<VectorSchema, Status> {
    let mut schema = VectorSchema::default();
    match request
        .vectors_config
        .as_ref()
        .and_then(|c| c.config.as_ref())
    {
        None => {}
        Some(Config::Params(params)) => {
            schema
                .dense
                .insert(String::new(), dense_params("", params)?);
            schema.unnamed = true;
        }
        Some(Config::ParamsMap(map)) => {
            for (name, params) in &map.map {
                schema
                    .dense
                    .insert(name.clone(), dense_params(name, params)?);
            }
        }
    }
    if let Some(sparse) = &request.sparse_vectors_config {
        for (name, params) in &sparse.map {
            if schema.dense.contains_key(name) {
                return Err(errors::wrong_input(format!(
                    "Vector name `{name}` is used by both a dense and a sparse vector"
                )));
            }
            let idf = match params.modifier.map(Modifier::try_from) {
                None | Some(Ok(Modifier::None)) => false,
                Some(Ok(Modifier::Idf)) => true,
                Some(Err(_)) => {
                    return Err(errors::wrong_input(format!(
                        "Unknown modifier for sparse vector `{name}`"
                    )))
                }
            };
            schema.sparse.insert(name.clone(), SparseParams { idf });
        }
    }
    Ok(schema)
}

fn dense_params(name: &str, params: &VectorParams) -> Result<DenseParams, Status> {
    if params.multivector_config.is_some() {
        return Err(errors::not_implemented("multi-vector config"));
    }
    if params.size == 0 {
        return Err(errors::wrong_input(format!(
            "Vector `{name}`: size must be at least 1"
        )));
    }
    let distance = match Distance::try_from(params.distance) {
        Ok(Distance::UnknownDistance) | Err(_) => {
            return Err(errors::wrong_input(format!(
                "Vector `{name}`: unknown distance {}",
                params.distance
            )))
        }
        Ok(distance) => distance,
    };
    let size = usize::try_from(params.size)
        .map_err(|_| errors::wrong_input(format!("Vector `{name}`: size too large")))?;
    Ok(DenseParams { size, distance })
}

/// `get_collection`: status Green, one segment, the create-time config echoed back.
pub(crate) fn info(collection: &Collection) -> CollectionInfo {
    let created = &collection.created;
    let hnsw = created.hnsw_config.unwrap_or_default();
    let optimizers = created.optimizers_config.unwrap_or_default();
    let wal = created.wal_config.unwrap_or_default();
    let payload_schema = collection
        .indexes()
        .iter()
        .map(|(key, field_index)| {
            let info = PayloadSchemaInfo {
                data_type: field_index.data_type as i32,
                params: field_index.params.clone(),
                points: Some(index::indexed_points(
                    collection,
                    key,
                    field_index.data_type,
                )),
            };
            (key.clone(), info)
        })
        .collect();
    CollectionInfo {
        status: CollectionStatus::Green as i32,
        optimizer_status: Some(OptimizerStatus {
            ok: true,
            error: String::new(),
        }),
        segments_count: 1,
        config: Some(CollectionConfig {
            params: Some(CollectionParams {
                shard_number: created.shard_number.unwrap_or(1),
                vectors_config: created.vectors_config.clone(),
                replication_factor: Some(created.replication_factor.unwrap_or(1)),
                write_consistency_factor: Some(created.write_consistency_factor.unwrap_or(1)),
                sharding_method: created.sharding_method,
                sparse_vectors_config: created.sparse_vectors_config.clone(),
                payload: created.payload,
                id_tracker: created.id_tracker,
                ..Default::default()
            }),
            hnsw_config: Some(HnswConfigDiff {
                m: hnsw.m.or(Some(16)),
                ef_construct: hnsw.ef_construct.or(Some(100)),
                full_scan_threshold: hnsw.full_scan_threshold.or(Some(10_000)),
                max_indexing_threads: hnsw.max_indexing_threads.or(Some(0)),
                ..hnsw
            }),
            optimizer_config: Some(OptimizersConfigDiff {
                deleted_threshold: optimizers.deleted_threshold.or(Some(0.2)),
                vacuum_min_vector_number: optimizers.vacuum_min_vector_number.or(Some(1000)),
                default_segment_number: optimizers.default_segment_number.or(Some(0)),
                indexing_threshold: optimizers.indexing_threshold.or(Some(10_000)),
                flush_interval_sec: optimizers.flush_interval_sec.or(Some(5)),
                ..optimizers
            }),
            wal_config: Some(WalConfigDiff {
                wal_capacity_mb: wal.wal_capacity_mb.or(Some(32)),
                wal_segments_ahead: wal.wal_segments_ahead.or(Some(0)),
                ..wal
            }),
            quantization_config: created.quantization_config,
            strict_mode_config: created.strict_mode_config.clone(),
            metadata: created.metadata.clone(),
        }),
        payload_schema,
        points_count: Some(collection.points().len() as u64),
        indexed_vectors_count: Some(0),
        ..Default::default()
    }
}
