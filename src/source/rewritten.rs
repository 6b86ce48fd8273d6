//! Files rewritten in place on every update (Gemini CLI's JSON chats): a byte offset means nothing for them, so a
//! file is read whole each time it changes, and its checkpoint remembers each message's identity and content
//! hash. Only new and changed messages go on to be stored; a message that left the file keeps its points (the
//! store is an archive of what was seen, as for deleted files).

use crate::message::Message;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the last read of a rewritten file held: message uuid -> content hash.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeenMessages {
    hashes: BTreeMap<String, [u8; 16]>,
}

impl SeenMessages {
    /// The messages of `now` (the whole file, in order) that are new or changed since the last read, and
    /// remembers `now` as what the file holds.
    pub fn changed(&mut self, now: Vec<Message>) -> Vec<Message> {
        let mut hashes = BTreeMap::new();
        let mut out = Vec::new();
        for m in now {
            let hash = content_hash(&m);
            if self.hashes.get(&m.uuid) != Some(&hash) {
                out.push(m.clone());
            }
            hashes.insert(m.uuid, hash);
        }
        self.hashes = hashes;
        out
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

/// A hash of everything a message stores (its JSON encoding), so any change re-stores it.
fn content_hash(m: &Message) -> [u8; 16] {
    let bytes = serde_json::to_vec(m).unwrap_or_else(|_| m.text.as_bytes().to_vec());
    let mut out = [0u8; 16];
    out.copy_from_slice(&blake3::hash(&bytes).as_bytes()[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Agent, MessageKind};

    fn message(uuid: &str, text: &str) -> Message {
        Message {
            uuid: uuid.into(),
            line_uuids: vec![uuid.into()],
            session_id: "s".into(),
            message_id: crate::ids::message_id("s", uuid),
            parent_message_id: None,
            kind: MessageKind::Human,
            text: text.into(),
            cwd: None,
            git_branch: None,
            timestamp: None,
            is_sidechain: false,
            agent_id: None,
            tool_calls: Vec::new(),
            result_of_tool: None,
            result_files: Vec::new(),
            is_error: false,
            source_path: "/chat.json".into(),
            line_offset: 0,
            agent: Agent::GeminiCli,
        }
    }

    fn uuids(ms: &[Message]) -> Vec<&str> {
        ms.iter().map(|m| m.uuid.as_str()).collect()
    }

    #[test]
    fn only_new_and_changed_messages_pass_and_the_state_follows_the_file() {
        let mut seen = SeenMessages::default();
        let first = seen.changed(vec![message("a", "one"), message("b", "two")]);
        assert_eq!(uuids(&first), ["a", "b"]);
        assert!(seen
            .changed(vec![message("a", "one"), message("b", "two")])
            .is_empty());
        let next = seen.changed(vec![
            message("a", "one"),
            message("b", "two, edited"),
            message("c", "three"),
        ]);
        assert_eq!(uuids(&next), ["b", "c"]);
        // Rewound: `c` left the file; it is forgotten here (its points stay in the store).
        assert!(seen
            .changed(vec![message("a", "one"), message("b", "two, edited")])
            .is_empty());
        assert_eq!(seen.len(), 2);
        assert_eq!(uuids(&seen.changed(vec![message("c", "three")])), ["c"]);
    }
}
