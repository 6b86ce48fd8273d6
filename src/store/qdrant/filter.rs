//! Qdrant filters for the store's own requests (a message's chunks, stale chunks, a set of ids). Search filters are
//! translated where search runs, in `crate::search::qdrant`.

use qdrant_client::qdrant::r#match::MatchValue;
use qdrant_client::qdrant::{Condition, Filter, Range};
use uuid::Uuid;

/// An exact keyword match. (`Condition::matches` with a `String` turns a value containing whitespace into a
/// full-text match: project names and paths may contain spaces.)
pub fn keyword(field: &str, value: &str) -> Condition {
    Condition::matches(field, MatchValue::Keyword(value.to_string()))
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
