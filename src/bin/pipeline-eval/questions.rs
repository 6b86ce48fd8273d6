//! A labelled question set (`eval/questions.jsonl`, `eval/agents/questions.jsonl`) and how a ranked list is judged
//! against it: per message. An answer names its file and either the uuid of the line holding it (Claude Code's
//! line uuids) or only a verbatim substring (Codex rollouts and Gemini chats, whose messages have no uuid of their
//! own), and resolves to the stored messages it names before any search runs. A write's acknowledgement resolves
//! to the call it acknowledges too, since a search shows it as that call.

use pipeline::payload::Payload;
use pipeline::search::{acknowledgement, Corpus, SearchIndex};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// One labelled question.
#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub id: String,
    pub style: String,
    pub question: String,
    pub answers: Vec<Answer>,
    /// The stored messages its answers name (`resolve`).
    #[serde(skip)]
    answer_ids: HashSet<String>,
}

/// A message that answers a question.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Transcript path relative to `claude-projects/` (the Claude Code set) or to the fixtures (the agents set).
    pub file: String,
    /// The uuid of the line holding the answer; without one, every message of `file` whose text holds `substring`
    /// is an answer.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The line (or chat message index) holding it, for a reader of the set; not used to judge.
    #[serde(default)]
    pub line: Option<u64>,
    /// Verbatim text of that message, to check the label against what is stored.
    pub substring: String,
}

impl Question {
    /// Whether a hit is one of the messages the answers name.
    pub fn is_answer(&self, p: &Payload) -> bool {
        self.answer_ids.contains(&p.message_id)
    }
}

/// Reads a question set, naming the line of any bad entry.
pub fn load(path: &Path) -> anyhow::Result<Vec<Question>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: Question = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1))?;
        if q.answers.is_empty() {
            anyhow::bail!(
                "{}:{}: question {} has no answer",
                path.display(),
                i + 1,
                q.id
            );
        }
        out.push(q);
    }
    Ok(out)
}

/// Resolves every answer to the stored messages it names. Each label must name a stored message whose text holds
/// the quoted substring; a miss is an indexing gap (the question then cannot be answered), returned rather than
/// hidden.
pub fn resolve(index: &SearchIndex, questions: &mut [Question]) -> Vec<String> {
    // Message ids by source file, each once, in the order stored.
    let mut by_file: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut seen = HashSet::new();
    for p in index.payloads() {
        if seen.insert(p.message_id.as_str()) {
            by_file
                .entry(p.source_path.as_str())
                .or_default()
                .push(&p.message_id);
        }
    }
    let text_holds = |message_id: &str, substring: &str| {
        index
            .message_text(message_id)
            .is_some_and(|text| contains_normalized(&text, substring))
    };
    let mut problems = Vec::new();
    for q in questions.iter_mut() {
        for a in &q.answers {
            let found: Vec<&str> = match &a.uuid {
                Some(uuid) => index
                    .payloads()
                    .iter()
                    .filter(|p| same_file(&p.source_path, &a.file) && p.has_uuid(uuid))
                    .map(|p| p.message_id.as_str())
                    .collect(),
                None => by_file
                    .iter()
                    .filter(|(path, _)| same_file(path, &a.file))
                    .flat_map(|(_, ids)| ids.iter().copied())
                    .filter(|id| text_holds(id, &a.substring))
                    .collect(),
            };
            let place = match a.line {
                Some(line) => format!("{}:{line}", a.file),
                None => a.file.clone(),
            };
            let label = format!("{}: {place} {}", q.id, a.uuid.as_deref().unwrap_or(""));
            match found.first() {
                None if a.uuid.is_some() => problems.push(format!("{label} is not in the index")),
                None => problems.push(format!("{label}no stored message holds {:?}", a.substring)),
                Some(id) => {
                    if a.uuid.is_some() && !text_holds(id, &a.substring) {
                        problems.push(format!(
                            "{label} lacks {:?} in its stored text",
                            a.substring
                        ));
                    }
                    for id in found {
                        q.answer_ids.insert(id.to_string());
                        // A search shows a write's acknowledgement as the call it acknowledges, never alone.
                        if let Some(call) = acknowledged_call(index, id) {
                            q.answer_ids.insert(call);
                        }
                    }
                }
            }
        }
    }
    problems
}

/// Whether a stored message's source file is the label's `file` (a path relative to a fixtures directory),
/// compared by whole path components.
fn same_file(source_path: &str, file: &str) -> bool {
    Path::new(source_path).ends_with(file)
}

/// The message id of the call `message_id` acknowledges, if it is a write's acknowledgement.
fn acknowledged_call(index: &SearchIndex, message_id: &str) -> Option<String> {
    let payload = Corpus::message(index, message_id).ok().flatten()?;
    if !acknowledgement::is_write_acknowledgement(&payload) {
        return None;
    }
    let call = acknowledgement::call_of(index, &payload).ok().flatten()?;
    Some(call.message_id)
}

/// 1-based rank of the first hit that is one of the answers, among `hits` (message payloads, best first).
pub fn rank_of<'a>(question: &Question, hits: impl Iterator<Item = &'a Payload>) -> Option<usize> {
    hits.enumerate()
        .find(|(_, p)| question.is_answer(p))
        .map(|(i, _)| i + 1)
}

/// Whitespace-insensitive containment (chunk joins and cleaning may change spacing, never words).
pub fn contains_normalized(haystack: &str, needle: &str) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    squash(haystack).contains(&squash(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeline::store::StoredPoint;

    /// A stored chunk (a fake built for this test: real points come from a sync).
    fn chunk(
        message: &str,
        file: &str,
        uuid: &str,
        text: &str,
        index: u32,
        count: u32,
    ) -> StoredPoint {
        chunk_with(
            message,
            file,
            uuid,
            text,
            (index, count),
            serde_json::json!({}),
        )
    }

    /// The same, with some payload fields set (`fields`, a JSON object).
    fn chunk_with(
        message: &str,
        file: &str,
        uuid: &str,
        text: &str,
        (index, count): (u32, u32),
        fields: serde_json::Value,
    ) -> StoredPoint {
        let mut value = serde_json::json!({
            "message_id": message, "parent_message_id": null, "session_id": "s", "uuid": uuid,
            "kind": "assistant", "chunk_index": index, "chunk_count": count, "text": text,
            "project": null, "project_name": null, "git_branch": null, "timestamp": null,
            "timestamp_unix": null, "is_sidechain": false, "agent_id": null,
            "source_path": format!("/fixtures/{file}"), "line_offset": 0, "tools_used": [],
            "files_touched": [], "has_code": false, "topics": [], "primary_topic": null,
            "solution_quality": 0.0, "is_solution_attempt": false, "solution_category": null,
            "feedback": null, "validation": null, "content_hash": "", "enhancer_version": 0,
            "embedding_model": "", "line_uuids": [uuid],
        });
        if let (Some(all), Some(set)) = (value.as_object_mut(), fields.as_object()) {
            all.extend(set.clone());
        }
        let payload: Payload = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
        StoredPoint {
            vector: vec![1.0, 0.0],
            payload,
        }
    }

    fn index_of(points: Vec<StoredPoint>) -> SearchIndex {
        SearchIndex::from_points(
            points
                .into_iter()
                .enumerate()
                .map(|(i, p)| (uuid::Uuid::from_u128(i as u128 + 1), p)),
        )
    }

    fn question(answers: serde_json::Value) -> Question {
        serde_json::from_value(serde_json::json!({
            "id": "x1", "style": "paraphrase", "question": "q", "answers": answers,
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn an_answer_resolves_by_uuid_or_by_its_text_in_its_file() {
        let index = index_of(vec![
            chunk(
                "m1",
                "codex-sessions/a.jsonl",
                "codex:0",
                "ran cargo test --workspace",
                0,
                1,
            ),
            chunk(
                "m2",
                "codex-sessions/a.jsonl",
                "codex:90",
                "the first half of a long",
                0,
                2,
            ),
            chunk(
                "m2",
                "codex-sessions/a.jsonl",
                "codex:90",
                "answer, split in two",
                1,
                2,
            ),
            chunk(
                "m3",
                "codex-sessions/b.jsonl",
                "codex:0",
                "ran cargo test --workspace",
                0,
                1,
            ),
            chunk("m4", "claude/c.jsonl", "u-4", "a Claude Code line", 0, 1),
            // Another file whose name ends the same way.
            chunk(
                "m5",
                "codex-sessions/ba.jsonl",
                "codex:0",
                "a long answer,",
                0,
                1,
            ),
        ]);
        let mut qs = vec![
            // Only the named file's message counts, not the same text in another file.
            question(
                serde_json::json!([{"file": "codex-sessions/a.jsonl", "substring": "cargo test --workspace"}]),
            ),
            // A substring across two chunks, with other spacing.
            question(
                serde_json::json!([{"file": "a.jsonl", "line": 2, "substring": "a long  answer,"}]),
            ),
            question(
                serde_json::json!([{"file": "claude/c.jsonl", "uuid": "u-4", "substring": "Claude Code line"}]),
            ),
            question(
                serde_json::json!([{"file": "a.jsonl", "substring": "nowhere at all"},
                                        {"file": "claude/c.jsonl", "uuid": "u-9", "substring": "x"},
                                        {"file": "claude/c.jsonl", "uuid": "u-4", "substring": "not its text"}]),
            ),
        ];
        let problems = resolve(&index, &mut qs);
        fn ids(q: &Question) -> Vec<&str> {
            let mut v: Vec<&str> = q.answer_ids.iter().map(String::as_str).collect();
            v.sort();
            v
        }
        assert_eq!(ids(&qs[0]), ["m1"]);
        assert_eq!(ids(&qs[1]), ["m2"]);
        assert_eq!(ids(&qs[2]), ["m4"]);
        // A uuid found with the wrong text still names its message, and is reported.
        assert_eq!(ids(&qs[3]), ["m4"]);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("no stored message holds \"nowhere at all\""));
        assert!(problems[1].contains("u-9 is not in the index"));
        assert!(problems[2].contains("lacks \"not its text\""));
    }

    #[test]
    fn a_write_acknowledgement_resolves_to_its_call_too() {
        let file = "gemini-tmp/h/chats/session-1.json";
        let write = serde_json::json!({"tools_used": ["write_file"], "files_touched": ["/tmp/t/created.txt"]});
        let call = serde_json::json!({"kind": "tool_call", "tools_used": ["write_file"],
            "files_touched": ["/tmp/t/created.txt"]});
        let mut ack = write.clone();
        ack["kind"] = serde_json::json!("tool_result");
        ack["parent_message_id"] = serde_json::json!("call");
        let mut read = ack.clone();
        read["parent_message_id"] = serde_json::json!("other");
        let index = index_of(vec![
            chunk_with("call", file, "g#call:1", "[tool: write_file] /tmp/t/created.txt Hello", (0, 1), call),
            chunk_with("ack", file, "g#result:1",
                "[result: write_file]\nSuccessfully created and wrote to new file: /tmp/t/created.txt", (0, 1), ack),
            chunk_with("out", file, "g#result:2", "[result: write_file]\nHello from the file", (0, 1), read),
        ]);
        let mut qs = vec![
            question(
                serde_json::json!([{"file": file, "substring": "Successfully created and wrote to new file"}]),
            ),
            question(serde_json::json!([{"file": file, "substring": "Hello from the file"}])),
        ];
        assert!(resolve(&index, &mut qs).is_empty());
        let mut ids: Vec<&str> = qs[0].answer_ids.iter().map(String::as_str).collect();
        ids.sort();
        assert_eq!(ids, ["ack", "call"]);
        // A result that acknowledges nothing stays itself.
        assert_eq!(qs[1].answer_ids.len(), 1);
    }
}
