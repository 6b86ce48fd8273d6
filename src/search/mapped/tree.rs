//! Messages and the conversation tree across the base and its delta: a message's live chunks may lie in both
//! (a rewrite replaces single chunks), and a message in the delta may answer one in the base.

use super::PublishedIndex;
use crate::error::Result;
use crate::payload::Payload;

impl PublishedIndex {
    /// The keys of a message's live chunks, in every segment.
    pub(super) fn message_keys(&self, message_id: &str) -> Vec<u32> {
        let mut keys = Vec::new();
        for s in &self.segments {
            let Some(m) = s
                .index
                .message_ordinal(message_id)
                .and_then(|o| s.index.message(o))
            else {
                continue;
            };
            keys.extend(
                (m.first_doc..m.first_doc + m.docs)
                    .filter(|d| s.alive(*d as usize))
                    .map(|d| s.first_key + d),
            );
        }
        keys
    }

    /// A message's live chunks' payloads, by chunk index.
    pub(super) fn message_chunks(&self, message_id: &str) -> Result<Vec<Payload>> {
        let mut chunks = self
            .message_keys(message_id)
            .into_iter()
            .map(|k| self.payload(k))
            .collect::<Result<Vec<_>>>()?;
        chunks.sort_by_key(|p| p.chunk_index);
        Ok(chunks)
    }

    /// The first child of a message in conversation order (time, line, id), among messages whose first chunk is
    /// live, as the in-memory index orders children.
    fn first_child(&self, message_id: &str) -> Result<Option<String>> {
        let mut best: Option<(Option<i64>, u64, String)> = None;
        for s in &self.segments {
            for ordinal in s.index.children_of(message_id) {
                let Some(m) = s.index.message(ordinal) else {
                    continue;
                };
                // A segment's documents of a message are in chunk order: its first chunk is the first document.
                let doc = m.first_doc as usize;
                if !s.alive(doc) {
                    continue;
                }
                let p = s.index.payload(doc)?;
                if p.chunk_index != 0 {
                    continue;
                }
                let key = (p.timestamp_unix, p.line_offset, p.message_id);
                if best.as_ref().is_none_or(|b| key < *b) {
                    best = Some(key);
                }
            }
        }
        Ok(best.map(|b| b.2))
    }
}

/// Up to `n` ancestors and `n` descendants of a message (following the first child), in conversation order.
pub(super) fn context(
    index: &PublishedIndex,
    message_id: &str,
    n: usize,
) -> Result<(Vec<Payload>, Vec<Payload>)> {
    let first =
        |id: &str| -> Result<Option<Payload>> { Ok(index.message_chunks(id)?.into_iter().next()) };
    let mut before = Vec::new();
    let mut cursor = first(message_id)?.and_then(|p| p.parent_message_id);
    while before.len() < n {
        let Some(id) = cursor else { break };
        let Some(p) = first(&id)? else { break };
        cursor = p.parent_message_id.clone();
        before.push(p);
    }
    before.reverse();
    let mut after = Vec::new();
    let mut cursor = message_id.to_string();
    while after.len() < n {
        let Some(next) = index.first_child(&cursor)? else {
            break;
        };
        let Some(p) = first(&next)? else { break };
        after.push(p);
        cursor = next;
    }
    Ok((before, after))
}
