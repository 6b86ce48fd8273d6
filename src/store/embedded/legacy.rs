//! Points as format 1 stored them (before `line_uuids`), read so that a data dir written by an older version stays
//! searchable while it is re-indexed. Data only: the fields are those of [`Payload`] at the time, in order.

use crate::enhance::solution::SolutionCategory;
use crate::message::{MessageKind, TopicScore};
use crate::payload::{Feedback, Payload, Validation};
use crate::store::StoredPoint;
use serde::Deserialize;

#[derive(Deserialize)]
struct PayloadV1 {
    message_id: String,
    parent_message_id: Option<String>,
    session_id: String,
    uuid: String,
    kind: MessageKind,
    chunk_index: u32,
    chunk_count: u32,
    text: String,
    project: Option<String>,
    project_name: Option<String>,
    git_branch: Option<String>,
    timestamp: Option<String>,
    timestamp_unix: Option<i64>,
    is_sidechain: bool,
    agent_id: Option<String>,
    source_path: String,
    line_offset: u64,
    tools_used: Vec<String>,
    files_touched: Vec<String>,
    has_code: bool,
    topics: Vec<TopicScore>,
    primary_topic: Option<String>,
    solution_quality: f32,
    is_solution_attempt: bool,
    solution_category: Option<SolutionCategory>,
    feedback: Option<Feedback>,
    validation: Option<Validation>,
    content_hash: String,
    enhancer_version: u32,
    embedding_model: String,
}

#[derive(Deserialize)]
struct PointV1 {
    vector: Vec<f32>,
    payload: PayloadV1,
}

/// Decodes the bincode body of a format-1 point.
pub fn decode_v1(body: &[u8]) -> std::result::Result<StoredPoint, String> {
    let (p, _): (PointV1, usize) =
        bincode::serde::decode_from_slice(body, bincode::config::standard())
            .map_err(|e| e.to_string())?;
    let v = p.payload;
    Ok(StoredPoint {
        vector: p.vector,
        payload: Payload {
            message_id: v.message_id,
            parent_message_id: v.parent_message_id,
            session_id: v.session_id,
            uuid: v.uuid,
            kind: v.kind,
            chunk_index: v.chunk_index,
            chunk_count: v.chunk_count,
            text: v.text,
            project: v.project,
            project_name: v.project_name,
            git_branch: v.git_branch,
            timestamp: v.timestamp,
            timestamp_unix: v.timestamp_unix,
            is_sidechain: v.is_sidechain,
            agent_id: v.agent_id,
            source_path: v.source_path,
            line_offset: v.line_offset,
            tools_used: v.tools_used,
            files_touched: v.files_touched,
            has_code: v.has_code,
            topics: v.topics,
            primary_topic: v.primary_topic,
            solution_quality: v.solution_quality,
            is_solution_attempt: v.is_solution_attempt,
            solution_category: v.solution_category,
            feedback: v.feedback,
            validation: v.validation,
            content_hash: v.content_hash,
            enhancer_version: v.enhancer_version,
            embedding_model: v.embedding_model,
            line_uuids: Vec::new(),
        },
    })
}
