use super::*;
use crate::checkpoint::{FileCheckpoint, CHECKPOINT_FORMAT};
use crate::message::{MessageKind, Sentiment};
use crate::payload::{Payload, Validation};
use crate::store::SyncState;
use crate::store::{PointWrite, ValidationPatch};

pub(crate) fn payload(session: &str, uuid: &str, chunk: u32, count: u32) -> Payload {
    Payload {
        message_id: ids::message_id(session, uuid).to_string(),
        parent_message_id: None,
        session_id: session.into(),
        uuid: uuid.into(),
        kind: MessageKind::Assistant,
        chunk_index: chunk,
        chunk_count: count,
        text: format!("chunk {chunk}"),
        project: None,
        project_name: None,
        git_branch: None,
        timestamp: None,
        timestamp_unix: None,
        is_sidechain: false,
        agent_id: None,
        source_path: "/p/s.jsonl".into(),
        line_offset: 0,
        tools_used: vec![],
        files_touched: vec![],
        has_code: false,
        topics: vec![],
        primary_topic: None,
        solution_quality: 1.0,
        is_solution_attempt: true,
        solution_category: None,
        feedback: None,
        validation: None,
        content_hash: String::new(),
        enhancer_version: 1,
        embedding_model: "m".into(),
        line_uuids: vec![],
        redaction_version: String::new(),
        redacted: vec![],
        agent: crate::message::Agent::ClaudeCode,
    }
}

fn upsert(session: &str, uuid: &str, chunk: u32, count: u32) -> SinkOp {
    SinkOp::Upsert(Box::new(PointWrite {
        id: ids::point_id(session, uuid, chunk),
        point: StoredPoint {
            vector: vec![0.5; 4],
            payload: payload(session, uuid, chunk, count),
        },
        cache_key: Some([chunk as u8; 32]),
        embed_later: None,
    }))
}

pub(crate) fn checkpoint(path: &str, offset: u64) -> FileCheckpoint {
    FileCheckpoint {
        version: CHECKPOINT_FORMAT,
        path: path.into(),
        dev: 1,
        inode: 1,
        head_len: 0,
        head_hash: [0; 16],
        offset,
        tail_len: 0,
        tail_hash: [0; 16],
        size: offset,
        mtime_ns: 0,
        complete: true,
        state: vec![],
        lines: 0,
        malformed_lines: 0,
        messages: 0,
        restarts: 0,
    }
}

fn open(dir: &std::path::Path) -> EmbeddedStore {
    EmbeddedStore::of(&SyncState::open(dir).unwrap_or_else(|e| panic!("open: {e}")))
}

#[test]
fn commit_stores_points_cache_and_checkpoint_together_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    {
        let store = open(dir.path());
        let batch = CommitBatch {
            ops: vec![upsert("s", "u", 0, 2), upsert("s", "u", 1, 2)],
            checkpoints: vec![checkpoint("/p/s.jsonl", 100)],
        };
        store.commit(&batch).unwrap_or_else(|e| panic!("{e}"));
    }
    let store = open(dir.path());
    assert_eq!(store.point_count(), 2);
    assert_eq!(
        store
            .state()
            .checkpoint("/p/s.jsonl")
            .ok()
            .flatten()
            .map(|c| c.offset),
        Some(100)
    );
    assert_eq!(
        store.state().cached_vector(&[1; 32]).ok().flatten(),
        Some(vec![0.5; 4])
    );
}

#[test]
fn replaying_a_batch_does_not_duplicate() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    let batch = CommitBatch {
        ops: vec![upsert("s", "u", 0, 1)],
        checkpoints: vec![],
    };
    for _ in 0..3 {
        store.commit(&batch).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(store.point_count(), 1);
}

#[test]
fn shrinking_message_deletes_its_stale_chunks() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    let three = CommitBatch {
        ops: vec![
            upsert("s", "u", 0, 3),
            upsert("s", "u", 1, 3),
            upsert("s", "u", 2, 3),
        ],
        checkpoints: vec![],
    };
    store.commit(&three).unwrap_or_else(|e| panic!("{e}"));
    let one = CommitBatch {
        ops: vec![upsert("s", "u", 0, 1)],
        checkpoints: vec![],
    };
    store.commit(&one).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.point_count(), 1);
}

#[test]
fn validation_patch_reaches_every_chunk() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    let validation = Validation {
        feedback_message_id: "f".into(),
        sentiment: Sentiment::Positive,
        strength: 1.0,
        certainty: 0.6,
    };
    let batch = CommitBatch {
        ops: vec![
            upsert("s", "u", 0, 2),
            upsert("s", "u", 1, 2),
            SinkOp::Patch(ValidationPatch {
                solution_session_id: "s".into(),
                solution_uuid: "u".into(),
                validation: validation.clone(),
            }),
        ],
        checkpoints: vec![],
    };
    store.commit(&batch).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..2 {
        let p = store
            .point(ids::point_id("s", "u", i))
            .ok()
            .flatten()
            .map(|p| p.payload.validation);
        assert_eq!(p, Some(Some(validation.clone())), "chunk {i}");
    }
}

#[test]
fn points_of_every_older_format_decode_with_the_added_fields_empty() {
    let mut p = payload("s", "u", 0, 1);
    p.text = "older".into();
    let point = StoredPoint {
        vector: vec![0.25; 4],
        payload: p,
    };
    let current = encode_point(&point).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(current[0], POINT_FORMAT);
    assert_eq!(decode_point(&current).ok(), Some(point.clone()));
    // An older point is the current encoding without the fields added since (their defaults' bytes).
    let mut body = current[1..].to_vec();
    for old in (1..POINT_FORMAT).rev() {
        body.truncate(body.len() - ADDED_FIELDS[usize::from(old) - 1].len());
        let mut bytes = vec![old];
        bytes.extend_from_slice(&body);
        assert_eq!(
            decode_point(&bytes).ok(),
            Some(point.clone()),
            "format {old}"
        );
    }
    assert!(decode_point(&[POINT_FORMAT + 1, 0]).is_err_and(|e| e.contains("unknown")));
}
