//! Messages and the conversation tree across the base and its delta: a message's live chunks may lie in both
//! (a rewrite replaces single chunks), and a message in the delta may answer one in the base.

use super::PublishedIndex;
use crate::error::Result;
use crate::payload::Payload;
use crate::search::corpus::conversation_order;

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

    /// The first chunk of a message's first child in conversation order (time, line, id), among messages whose
    /// first chunk is live, as the in-memory index orders children.
    pub(super) fn first_child(&self, message_id: &str) -> Result<Option<Payload>> {
        let mut best: Option<Payload> = None;
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
                if best
                    .as_ref()
                    .is_none_or(|b| conversation_order(&p) < conversation_order(b))
                {
                    best = Some(p);
                }
            }
        }
        Ok(best)
    }
}
