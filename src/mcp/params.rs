//! Tool parameters, with a JSON schema for every field (the doc comments become the descriptions).

use rmcp::schemars::{self, JsonSchema};
use serde::Deserialize;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// What to look for: a few distinctive words, an error line, an identifier, a file name, or a short question
    /// (at most 1,000 characters; do not paste whole prompts).
    pub query: String,
    /// Most hits to return (1-100, default 10); fewer when `max_bytes` is reached.
    pub limit: Option<usize>,
    /// Skip this many of the best hits: pass the `offset` a previous answer gave to see the next ones.
    pub offset: Option<usize>,
    /// Byte budget of the answer (default 4096, 1024-20000): hits that do not fit are left for the next page.
    pub max_bytes: Option<usize>,
    /// "text" (default): one short block per hit. "json": the documented hit schema (also as structured content).
    pub format: Option<String>,
    /// Only this project: its name (last path component) or full path.
    pub project: Option<String>,
    /// Only these kinds (one, or a list): human, assistant, tool_call, tool_result, summary, hook_feedback.
    pub kind: Option<OneOrMany>,
    /// Only messages about this topic: debugging, performance, authentication, deployment, testing, styling,
    /// database, api, state_management, configuration, framework, devtools.
    pub topic: Option<String>,
    /// Only messages containing code.
    pub has_code: Option<bool>,
    /// Only messages at or after this date (2026-01-31), time (RFC 3339) or this long ago (7d, 12h).
    pub since: Option<String>,
    /// Only messages before this date or time.
    pub until: Option<String>,
    /// Only this session: its id, or the first characters of it that hits show (if no other id starts so).
    pub session: Option<String>,
    /// Only the message containing the transcript line with this uuid (any line of a merged message).
    pub uuid: Option<String>,
    /// Ranking: hybrid (default), semantic or lexical.
    pub mode: Option<String>,
    /// Only assistant solution attempts, best validated first.
    pub solutions: Option<bool>,
    /// Only this agent's history: claude-code, codex or gemini-cli.
    pub agent: Option<String>,
    /// Neighbouring messages to include on each side of each hit (0-10).
    pub context: Option<usize>,
    /// Also show weak matches: messages holding none of the query's words and little alike in meaning (hidden by
    /// default; the answer says how many).
    pub include_weak: Option<bool>,
    /// The caller's working directory: hits from that project get a small boost.
    pub cwd: Option<String>,
}

/// A value given alone or as a list: a model writes `"kind": "human"` as often as `"kind": ["human"]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(v) => vec![v],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncParams {
    /// Time budget in seconds (default 100, at most 110).
    pub budget_seconds: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextParams {
    /// The `message_id` of a stored message (every search hit names one).
    pub message_id: String,
    /// Messages to show on each side (default 3, at most 20); `before` and `after` override it per side.
    pub n: Option<usize>,
    /// Earlier messages (ancestors) to show, at most 20.
    pub before: Option<usize>,
    /// Later messages (replies) to show, at most 20.
    pub after: Option<usize>,
    /// First character of the message's text to show: pass the `start` a previous answer gave to read on.
    pub start: Option<usize>,
    /// Byte budget of the answer (default 4096, 1024-20000): a long message is shown in parts.
    pub max_bytes: Option<usize>,
    /// "text" (default) or "json" (also as structured content).
    pub format: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_taken_alone_or_as_a_list() {
        let kinds = |json: &str| {
            serde_json::from_str::<SearchParams>(json)
                .unwrap_or_else(|e| panic!("{json}: {e}"))
                .kind
                .map(OneOrMany::into_vec)
        };
        assert_eq!(
            kinds(r#"{"query": "x", "kind": "human"}"#),
            Some(vec!["human".to_string()])
        );
        assert_eq!(
            kinds(r#"{"query": "x", "kind": ["human", "assistant"]}"#),
            Some(vec!["human".to_string(), "assistant".to_string()])
        );
        assert_eq!(kinds(r#"{"query": "x"}"#), None);
        assert!(serde_json::from_str::<SearchParams>(r#"{"query": "x", "kind": 3}"#).is_err());
    }
}
