//! The copies Codex writes of one prompt or answer, in other streams (a response item, an event, an
//! `item_completed` event): the window of recently emitted messages a copy is looked up in.

use super::decode::Stream;
use super::push_bounded;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How many recently emitted (role, text hash) pairs are remembered to skip their duplicate.
const WINDOW: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Speaker {
    User,
    Assistant,
}

/// Recently emitted prompts and answers whose copies in other streams may still come, oldest first: who said
/// it, the hash of its text, and the streams it was seen in ([`Stream::bit`]). Saved with the source's state,
/// as the list itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecentMessages(VecDeque<(Speaker, u128, u8)>);

impl RecentMessages {
    /// Whether `text` said by `who` in `stream` is the copy of a recent message written in another stream: then
    /// the streams it was seen in before ([`Stream::bit`]s); otherwise it is remembered as a new message. A
    /// message repeated in one stream is new each time.
    pub fn copy_of(&mut self, who: Speaker, stream: Stream, text: &str) -> Option<u8> {
        let mut hasher = blake3::Hasher::new();
        hasher.update(match who {
            Speaker::User => b"user\0",
            Speaker::Assistant => b"assistant\0",
        });
        hasher.update(text.as_bytes());
        let mut b = [0u8; 16];
        b.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
        let hash = u128::from_le_bytes(b);
        let bit = stream.bit();
        // The newest message with this text not yet seen in this stream: this is its copy.
        let copy_of = self
            .0
            .iter_mut()
            .rev()
            .find(|e| e.0 == who && e.1 == hash && e.2 & bit == 0);
        if let Some(entry) = copy_of {
            let earlier = entry.2;
            entry.2 |= bit;
            return Some(earlier);
        }
        if who == Speaker::User {
            // A new prompt: Codex writes a message's copies together, never across a prompt, so nothing before
            // this one waits for a copy any more (an answer said again in the next turn is a new message).
            self.0.clear();
        }
        push_bounded(&mut self.0, (who, hash, bit), WINDOW);
        None
    }
}
