//! The fake driven through the real qdrant-client 1.20: collections, points, search, filters.

mod collections;
#[path = "../common/mod.rs"]
mod common;
mod queries;
mod writes;

use std::collections::BTreeSet;

use common::*;
use qdrant_client::qdrant::{
    facet_value, value::Kind, vector_output, vectors_config::Config, Condition, CountPointsBuilder,
    CreateCollectionBuilder, DeletePointsBuilder, Distance, FacetCountsBuilder, Filter,
    GetPointsBuilder, Modifier, PayloadSchemaType, PointStruct, QueryPointsBuilder, Range,
    ScrollPointsBuilder, SetPayloadPointsBuilder, UpsertPointsBuilder, Vector, VectorInput,
    VectorParamsBuilder,
};
use qdrant_client::Payload;
use qdrant_fake::FakeQdrant;
use serde_json::json;
use tonic::Code;
