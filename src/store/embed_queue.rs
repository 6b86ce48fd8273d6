//! The embedding queue: chunks whose text is stored (and searchable by its words) but whose vector is not yet
//! computed. A sync stores every chunk's text first, as fast as files are read, and queues the text the model
//! must embed; it then embeds the queue, newest messages first, as the budget allows. The queue is the
//! *embedded watermark*: a point is embedded when it is not queued.
//!
//! Two trees of the data dir's sled database, changed only inside the transaction that commits the points (the
//! embedded store) or, for Qdrant, the one that commits the checkpoints after Qdrant confirmed the points
//! ([`super::SyncState::commit_progress`]): `embed_queue` maps *order ++ id* to the text to embed (order: newest
//! message first), and `embed_queued` maps an id to its queue key.

use super::point::PointWrite;
use crate::error::Error;
use crate::payload::Payload;
use serde::{Deserialize, Serialize};
use sled::transaction::ConflictableTransactionError::{self, Abort};
use sled::transaction::TransactionalTree;
use uuid::Uuid;

pub(super) const QUEUE: &str = "embed_queue";
pub(super) const QUEUED: &str = "embed_queued";

type TxResult<T> = std::result::Result<T, ConflictableTransactionError<Error>>;

/// A queued chunk as stored: the text the model embeds for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct QueuedText {
    text: String,
}

/// A chunk waiting for its vector.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedChunk {
    /// Its place in the queue (a page of the queue continues after it).
    pub key: Vec<u8>,
    pub id: Uuid,
    /// What the model embeds.
    pub text: String,
}

impl QueuedChunk {
    /// The guard a vector carries back to the store: it is stored only if the chunk still waits for this text.
    pub fn text_hash(&self) -> [u8; 32] {
        text_hash(&self.text)
    }
}

pub fn text_hash(text: &str) -> [u8; 32] {
    *blake3::hash(text.as_bytes()).as_bytes()
}

/// Queue key of a point: newest message first (by its timestamp; none: last), then by id.
fn queue_key(id: Uuid, payload: &Payload) -> Vec<u8> {
    let newest_first = match payload.timestamp_unix {
        Some(t) => u64::MAX - u64::try_from(t).unwrap_or(0),
        None => u64::MAX,
    };
    let mut key = newest_first.to_be_bytes().to_vec();
    key.extend_from_slice(id.as_bytes());
    key
}

/// Queues `text` as what the model must embed for point `id` (replacing what was queued for it).
pub(super) fn enqueue(
    queue: &TransactionalTree,
    queued: &TransactionalTree,
    id: Uuid,
    payload: &Payload,
    text: &str,
) -> TxResult<()> {
    dequeue(queue, queued, id)?;
    let key = queue_key(id, payload);
    let value = crate::codec::bincode_bytes(
        "queued text",
        &QueuedText {
            text: text.to_string(),
        },
    )
    .map_err(Abort)?;
    queue.insert(key.as_slice(), value)?;
    queued.insert(id.as_bytes().as_slice(), key)?;
    Ok(())
}

/// The queue after point write `w`: its text queued if it is stored without its vector for now, else off the queue.
pub(super) fn follow(
    queue: &TransactionalTree,
    queued: &TransactionalTree,
    w: &PointWrite,
) -> TxResult<()> {
    match &w.embed_later {
        Some(text) => enqueue(queue, queued, w.id, &w.point.payload, text),
        None => dequeue(queue, queued, w.id).map(|_| ()),
    }
}

/// Takes point `id` off the queue; whether it was queued.
pub(super) fn dequeue(
    queue: &TransactionalTree,
    queued: &TransactionalTree,
    id: Uuid,
) -> TxResult<bool> {
    match queued.remove(id.as_bytes().as_slice())? {
        Some(key) => {
            queue.remove(key)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Takes point `id` off the queue if what is queued for it is the text whose hash is `text_hash` (a vector of
/// an older text must not be stored for a newer one); whether it did.
pub(super) fn take_if(
    queue: &TransactionalTree,
    queued: &TransactionalTree,
    id: Uuid,
    hash: &[u8; 32],
) -> TxResult<bool> {
    let Some(key) = queued.get(id.as_bytes())? else {
        return Ok(false);
    };
    let matches = match queue.get(&key)? {
        Some(value) => decode(&value).is_ok_and(|q| text_hash(&q.text) == *hash),
        None => false,
    };
    if matches {
        dequeue(queue, queued, id)?;
    }
    Ok(matches)
}

/// Whether `id` is queued with the text whose hash is `hash` (read outside a transaction).
pub(super) fn waits_for(
    queue: &sled::Tree,
    queued: &sled::Tree,
    id: Uuid,
    hash: &[u8; 32],
) -> bool {
    queued_text(queue, queued, id).is_ok_and(|t| t.is_some_and(|t| text_hash(&t) == *hash))
}

/// The text queued for point `id`, if any (read outside a transaction).
pub(super) fn queued_text(
    queue: &sled::Tree,
    queued: &sled::Tree,
    id: Uuid,
) -> std::result::Result<Option<String>, String> {
    let Some(key) = queued.get(id.as_bytes()).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    match queue.get(&key).map_err(|e| e.to_string())? {
        Some(value) => decode(&value).map(|q| Some(q.text)),
        None => Ok(None),
    }
}

/// Up to `limit` queued chunks after `after` (exclusive), newest first.
pub(super) fn page(
    queue: &sled::Tree,
    after: Option<&[u8]>,
    limit: usize,
) -> std::result::Result<Vec<QueuedChunk>, String> {
    let range = match after {
        Some(a) => queue.range((
            std::ops::Bound::Excluded(a.to_vec()),
            std::ops::Bound::Unbounded,
        )),
        None => queue.range::<Vec<u8>, _>(..),
    };
    let mut out = Vec::new();
    for kv in range.take(limit) {
        let (key, value) = kv.map_err(|e| e.to_string())?;
        let id = key
            .get(8..24)
            .and_then(|b| Uuid::from_slice(b).ok())
            .ok_or_else(|| format!("embedding queue key of {} bytes", key.len()))?;
        let queued = decode(&value).map_err(|e| format!("queued text of point {id}: {e}"))?;
        out.push(QueuedChunk {
            key: key.to_vec(),
            id,
            text: queued.text,
        });
    }
    Ok(out)
}

fn decode(bytes: &[u8]) -> std::result::Result<QueuedText, String> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map(|(q, _)| q)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sled::Transactional;

    fn trees() -> (sled::Db, sled::Tree, sled::Tree) {
        let db = sled::Config::new()
            .temporary(true)
            .open()
            .unwrap_or_else(|e| panic!("{e}"));
        let q = db.open_tree(QUEUE).unwrap_or_else(|e| panic!("{e}"));
        let d = db.open_tree(QUEUED).unwrap_or_else(|e| panic!("{e}"));
        (db, q, d)
    }

    fn at(t: i64) -> Payload {
        let mut p = crate::store::embedded::tests::payload("s", "u", 0, 1);
        p.timestamp_unix = Some(t);
        p
    }

    fn run(
        q: &sled::Tree,
        d: &sled::Tree,
        f: impl Fn(&TransactionalTree, &TransactionalTree) -> TxResult<bool>,
    ) -> bool {
        (q, d)
            .transaction(|(q, d)| f(q, d))
            .unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn newest_first_requeue_replaces_and_a_stale_vector_is_refused() {
        let (_db, q, d) = trees();
        let (old, new) = (Uuid::from_u128(1), Uuid::from_u128(2));
        run(&q, &d, |q, d| {
            enqueue(q, d, old, &at(100), "old text").map(|_| true)
        });
        run(&q, &d, |q, d| {
            enqueue(q, d, new, &at(200), "new text").map(|_| true)
        });
        let all = page(&q, None, 10).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            all.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![new, old],
            "newest message first"
        );
        // The older point's message grew: queued again with its new text, once.
        run(&q, &d, |q, d| {
            enqueue(q, d, old, &at(300), "old text, longer").map(|_| true)
        });
        let all = page(&q, None, 10).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].id, old);
        // A vector of the text it had is refused; one of the text it has is taken.
        assert!(!run(&q, &d, |q, d| take_if(
            q,
            d,
            old,
            &text_hash("old text")
        )));
        assert!(waits_for(&q, &d, old, &text_hash("old text, longer")));
        assert!(run(&q, &d, |q, d| take_if(
            q,
            d,
            old,
            &text_hash("old text, longer")
        )));
        assert!(!waits_for(&q, &d, old, &text_hash("old text, longer")));
        // Paging continues after a key.
        let rest = page(&q, Some(&all[0].key), 10).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rest.iter().map(|c| c.id).collect::<Vec<_>>(), vec![new]);
        assert!(run(&q, &d, |q, d| dequeue(q, d, new)));
        assert!(q.is_empty() && d.is_empty());
    }
}
