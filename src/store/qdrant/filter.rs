//! Search filters pushed down to Qdrant, with the same meaning as [`crate::search::Filter::matches`].

use super::schema::{PROJECT_NAME_LC, TOPIC_NAMES};
use crate::message::MessageKind;
use crate::search::Filter as SearchFilter;
use qdrant_client::qdrant::r#match::MatchValue;
use qdrant_client::qdrant::{Condition, Filter, Range};
use uuid::Uuid;

/// An exact keyword match. (`Condition::matches` with a `String` turns a value containing whitespace into a
/// full-text match: project names and paths may contain spaces.)
pub fn keyword(field: &str, value: &str) -> Condition {
    Condition::matches(field, MatchValue::Keyword(value.to_string()))
}

fn kind_name(kind: MessageKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The Qdrant filter for a search filter (`None` when nothing is filtered).
pub fn to_qdrant(f: &SearchFilter) -> Option<Filter> {
    let mut must: Vec<Condition> = Vec::new();
    if let Some(project) = &f.project {
        must.push(
            Filter::should([
                keyword(PROJECT_NAME_LC, &project.to_ascii_lowercase()),
                keyword("project", project),
            ])
            .into(),
        );
    }
    if !f.kinds.is_empty() {
        let names: Vec<String> = f.kinds.iter().map(|k| kind_name(*k)).collect();
        must.push(Condition::matches("kind", names));
    }
    if let Some(topic) = &f.topic {
        must.push(keyword(TOPIC_NAMES, topic));
    }
    if f.has_code {
        must.push(Condition::matches("has_code", true));
    }
    if f.since.is_some() || f.until.is_some() {
        must.push(Condition::range(
            "timestamp_unix",
            Range {
                gte: f.since.map(|s| s as f64),
                lt: f.until.map(|u| u as f64),
                ..Default::default()
            },
        ));
    }
    if let Some(session) = &f.session {
        must.push(keyword("session_id", session));
    }
    if let Some(uuid) = &f.uuid {
        // Points written before `line_uuids` existed know only their first line's uuid.
        must.push(Filter::should([keyword("uuid", uuid), keyword("line_uuids", uuid)]).into());
    }
    if f.solutions {
        must.push(Condition::matches("is_solution_attempt", true));
    }
    (!must.is_empty()).then(|| Filter::must(must))
}

/// The chunks of one message (`session_id` + `uuid`).
pub fn message_chunks(session_id: &str, uuid: &str) -> Filter {
    Filter::must([keyword("session_id", session_id), keyword("uuid", uuid)])
}

/// Chunks of a message from `first_stale` on (left over when a message is re-emitted with fewer chunks).
pub fn stale_chunks(session_id: &str, uuid: &str, first_stale: u32) -> Filter {
    Filter::must([
        keyword("session_id", session_id),
        keyword("uuid", uuid),
        Condition::range(
            "chunk_index",
            Range {
                gte: Some(f64::from(first_stale)),
                ..Default::default()
            },
        ),
    ])
}

/// The first chunk of the message `message_id`.
pub fn first_chunk_of(message_id: &str) -> Filter {
    Filter::must([
        keyword("message_id", message_id),
        Condition::matches("chunk_index", 0i64),
    ])
}

/// Every chunk of the message `message_id`.
pub fn chunks_of(message_id: &str) -> Filter {
    Filter::must([keyword("message_id", message_id)])
}

/// Every chunk of any of these messages.
pub fn any_chunk_of<'a>(message_ids: impl Iterator<Item = &'a str>) -> Filter {
    Filter::should(message_ids.map(|m| keyword("message_id", m)))
}

/// The first chunks of the replies to `message_id`.
pub fn children_of(message_id: &str) -> Filter {
    Filter::must([
        keyword("parent_message_id", message_id),
        Condition::matches("chunk_index", 0i64),
    ])
}

/// The points with these ids.
pub fn has_ids(ids: &[Uuid]) -> Filter {
    Filter::must([Condition::has_id(
        ids.iter().map(|id| super::encode::point_id(*id)),
    )])
}
