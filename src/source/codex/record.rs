//! Serde shapes of rollout records: a cheap head decoded for every line (its type, timestamp and payload type,
//! skipping everything else unread), and the payload of each record kind the assembler uses.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// Longest decode error kept in a [`crate::transcript::LineOutcome::Malformed`] (serde quotes values).
const MAX_ERROR_CHARS: usize = 240;

/// The payload of a line, decoded as `P`; the error names `what` was expected.
pub(super) fn typed<'a, P: Deserialize<'a>>(line: &'a str, what: &str) -> Result<P, String> {
    serde_json::from_str::<Full<P>>(line)
        .map(|f| f.payload)
        .map_err(|e| format!("unexpected {what} payload: {}", short(&e)))
}

/// A decode error, cut short: serde quotes the offending value, which may be a whole huge string.
pub(super) fn short(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.char_indices().nth(MAX_ERROR_CHARS) {
        Some((at, _)) => format!("{}...", s.get(..at).unwrap_or("")),
        None => s,
    }
}

#[derive(Deserialize)]
struct Full<P> {
    payload: P,
}

#[derive(Deserialize)]
pub(super) struct SessionMeta {
    pub(super) id: Option<String>,
    pub(super) cwd: Option<String>,
    pub(super) git: Option<Git>,
    /// `"cli"`, `"exec"`, ... or `{"subagent": ...}`.
    pub(super) source: Option<Value>,
}

#[derive(Deserialize)]
pub(super) struct Git {
    pub(super) branch: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct TurnContext {
    pub(super) cwd: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Compacted {
    pub(super) message: Option<String>,
}

/// `message` and `agent_message` items.
#[derive(Deserialize)]
pub(super) struct MessageItem {
    pub(super) role: Option<String>,
    pub(super) content: Option<Vec<Part>>,
    /// An `agent_message`'s sender and recipient (agent paths such as `/root/worker`).
    pub(super) author: Option<String>,
    pub(super) recipient: Option<String>,
}

/// A content or summary part. Images carry no `text`; their data is skipped unread.
#[derive(Deserialize)]
pub(super) struct Part {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) text: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Reasoning {
    pub(super) summary: Option<Vec<Part>>,
}

/// Every call item: each reads the fields its kind has.
#[derive(Deserialize)]
pub(super) struct CallItem {
    pub(super) name: Option<String>,
    pub(super) call_id: Option<String>,
    /// A JSON string (`function_call`), an object (`tool_search_call`), or null.
    pub(super) arguments: Option<Value>,
    pub(super) input: Option<String>,
    pub(super) action: Option<Value>,
}

#[derive(Deserialize)]
pub(super) struct OutputItem {
    pub(super) call_id: Option<String>,
    pub(super) output: Option<Value>,
    pub(super) tools: Option<Value>,
}

/// `user_message` and `agent_message` events.
#[derive(Deserialize)]
pub(super) struct UserEvent {
    pub(super) message: Option<String>,
    pub(super) images: Option<Vec<IgnoredAny>>,
    pub(super) local_images: Option<Vec<IgnoredAny>>,
}

#[derive(Deserialize)]
pub(super) struct ItemCompleted {
    pub(super) item: Option<CompletedItem>,
}

#[derive(Deserialize)]
pub(super) struct CompletedItem {
    #[serde(rename = "type", default)]
    pub(super) kind: LenientStr,
    pub(super) content: Option<Value>,
}

/// A `thread_rolled_back` event: how many turns left the conversation.
#[derive(Deserialize)]
pub(super) struct RolledBack {
    pub(super) num_turns: u32,
}

/// A `hook_completed` event: the hook run, read leniently (only its texts are kept).
#[derive(Deserialize)]
pub(super) struct HookCompleted {
    pub(super) run: Option<Value>,
}

/// The head of every line: its type, its timestamp, and its payload's type.
#[derive(Deserialize)]
pub(super) struct Head {
    #[serde(rename = "type", default)]
    pub(super) kind: LenientStr,
    #[serde(default)]
    pub(super) timestamp: LenientStr,
    #[serde(default)]
    pub(super) payload: PayloadHead,
}

/// A string read leniently: any other JSON value reads as `None` (and is skipped unread).
#[derive(Debug, Default)]
pub(super) struct LenientStr(pub(super) Option<String>);

impl<'de> Deserialize<'de> for LenientStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor)
    }
}

struct LenientVisitor;

impl<'de> Visitor<'de> for LenientVisitor {
    type Value = LenientStr;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientStr, E> {
        Ok(LenientStr(Some(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<LenientStr, E> {
        Ok(LenientStr(Some(v)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<LenientStr, E> {
        Ok(LenientStr(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<LenientStr, E> {
        Ok(LenientStr(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<LenientStr, E> {
        Ok(LenientStr(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<LenientStr, E> {
        Ok(LenientStr(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<LenientStr, E> {
        Ok(LenientStr(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<LenientStr, E> {
        Ok(LenientStr(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LenientStr, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LenientStr(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LenientStr, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(LenientStr(None))
    }
}

/// A line's payload as far as the head needs it: whether it is an object, and its `type`.
#[derive(Debug, Default)]
pub(super) enum PayloadHead {
    #[default]
    Missing,
    NotObject(&'static str),
    Object {
        kind: Option<String>,
    },
}

impl<'de> Deserialize<'de> for PayloadHead {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PayloadVisitor)
    }
}

struct PayloadVisitor;

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = PayloadHead;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<PayloadHead, E> {
        Ok(PayloadHead::NotObject("a string"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<PayloadHead, E> {
        Ok(PayloadHead::NotObject("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<PayloadHead, E> {
        Ok(PayloadHead::NotObject("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<PayloadHead, E> {
        Ok(PayloadHead::NotObject("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<PayloadHead, E> {
        Ok(PayloadHead::NotObject("a number"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<PayloadHead, E> {
        Ok(PayloadHead::NotObject("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PayloadHead, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(PayloadHead::NotObject("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PayloadHead, A::Error> {
        let mut kind = None;
        while let Some(key) = map.next_key::<KeyIsType>()? {
            if key.0 {
                kind = map.next_value::<LenientStr>()?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(PayloadHead::Object { kind })
    }
}

/// A map key, read only as far as "is it `type`".
struct KeyIsType(bool);

impl<'de> Deserialize<'de> for KeyIsType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyIsType;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyIsType, E> {
                Ok(KeyIsType(v == "type"))
            }
        }
        d.deserialize_str(V)
    }
}
