//! Synthetic-chat tests: the mapping, and the two forms agreeing. JSONL specifics are in `tests/jsonl.rs`, the
//! real chats in `tests/fixtures.rs`, bad input and redaction in `tests/robustness.rs`.

use super::*;
use crate::message::{MessageKind, ToolCall};
use serde_json::json;

mod fixtures;
mod jsonl;
mod robustness;

const SESSION: &str = "5a1c0f6e-0000-4000-8000-000000000001";
const HASH: &str = "cde655816f6d3e439a10953ef9e111dbe460d7de3bc212c414a03ede4bf0b307";
const JSON_PATH: &str = "/g/tmp/cde6/chats/session-2025-10-29T10-36-5a1c0f6e.json";
const JSONL_PATH: &str = "/g/tmp/cde6/chats/session-2025-10-29T10-36-5a1c0f6e.jsonl";
const TS: &str = "2025-10-29T10:36:24.689Z";

fn metadata() -> serde_json::Value {
    json!({"sessionId": SESSION, "projectHash": HASH, "startTime": TS, "lastUpdated": TS, "kind": "main"})
}

fn user(id: &str, content: serde_json::Value) -> serde_json::Value {
    json!({"id": id, "timestamp": TS, "type": "user", "content": content})
}

fn gemini(
    id: &str,
    content: &str,
    thoughts: &[(&str, &str)],
    calls: serde_json::Value,
) -> serde_json::Value {
    let thoughts: Vec<_> = thoughts
        .iter()
        .map(|(s, d)| json!({"subject": s, "description": d, "timestamp": TS}))
        .collect();
    json!({"id": id, "timestamp": TS, "type": "gemini", "content": content, "thoughts": thoughts,
           "toolCalls": calls, "model": "gemini-2.5-pro", "tokens": {"input": 1, "output": 2, "total": 3}})
}

fn call(
    id: &str,
    name: &str,
    args: serde_json::Value,
    response: serde_json::Value,
    status: &str,
) -> serde_json::Value {
    json!({"id": id, "name": name, "args": args, "status": status, "timestamp": TS,
           "result": [{"functionResponse": {"id": id, "name": name, "response": response}}],
           "displayName": name, "description": "a tool", "renderOutputAsMarkdown": true})
}

/// A conversation exercising every rule: a prompt, an answer with thoughts, a call-only answer whose thoughts go
/// to its first call, an error result, a call without a result, an info message, a prompt in parts.
fn conversation() -> Vec<serde_json::Value> {
    vec![
        user("u1", json!("Read /tmp/a.txt and fix it\n\n")),
        gemini(
            "g1",
            "I will read it.",
            &[("Planning", "Read first.")],
            json!([]),
        ),
        gemini(
            "g2",
            "",
            &[("Reading the File", "Use read_file."), ("", "Then edit.")],
            json!([
                call("read_file-1", "read_file", json!({"absolute_path": "/tmp/a.txt"}),
                     json!({"output": "Hello\n"}), "success"),
                call("replace-2", "replace",
                     json!({"file_path": "/tmp/a.txt", "old_string": "Hello", "new_string": "Goodbye"}),
                     json!({"error": "old_string not found"}), "error"),
                {"id": "run-3", "name": "run_shell_command", "args": {"command": "cat /tmp/a.txt"},
                 "status": "executing", "timestamp": TS},
            ]),
        ),
        json!({"id": "i1", "timestamp": TS, "type": "info", "content": "Request cancelled."}),
        user(
            "u2",
            json!([{"text": "now this"}, {"text": "and that"},
                          {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo"}}]),
        ),
        gemini("g3", "Done.", &[], json!(null)),
    ]
}

fn json_doc(messages: &[serde_json::Value]) -> Vec<u8> {
    let mut doc = metadata();
    doc["messages"] = json!(messages);
    serde_json::to_vec_pretty(&doc).unwrap_or_default()
}

fn jsonl_lines(messages: &[serde_json::Value]) -> Vec<Vec<u8>> {
    std::iter::once(metadata())
        .chain(messages.iter().cloned())
        .map(|v| serde_json::to_vec(&v).unwrap_or_default())
        .collect()
}

fn read(bytes: &[u8]) -> Vec<Message> {
    read_chat(JSON_PATH, bytes, None, &mut Counts::new()).unwrap_or_else(|e| panic!("{e}"))
}

/// Feeds `lines` (offsets as if they were one file) to a fresh assembler.
fn run(lines: &[Vec<u8>]) -> (Vec<Message>, Vec<LineOutcome>, GeminiLogAssembler) {
    let mut a = GeminiLogAssembler::new(JSONL_PATH, GeminiLogState::default());
    let mut out = Vec::new();
    let mut outcomes = Vec::new();
    let mut offset = 0u64;
    for l in lines {
        outcomes.push(a.feed(offset, l, &mut out));
        offset += l.len() as u64 + 1;
    }
    (out, outcomes, a)
}

fn kinds(messages: &[Message]) -> Vec<MessageKind> {
    messages.iter().map(|m| m.kind).collect()
}

/// Each message's parent is the one before it.
fn assert_chain(messages: &[Message]) {
    for (i, m) in messages.iter().enumerate() {
        let before = i
            .checked_sub(1)
            .and_then(|p| messages.get(p))
            .map(|p| p.message_id);
        assert_eq!(m.parent_message_id, before, "message {i} ({})", m.uuid);
    }
}

#[test]
fn every_rule_of_the_mapping() {
    let out = read(&json_doc(&conversation()));
    assert_eq!(
        kinds(&out),
        [
            MessageKind::Human,
            MessageKind::Assistant,
            MessageKind::ToolCall,
            MessageKind::ToolResult,
            MessageKind::ToolCall,
            MessageKind::ToolResult,
            MessageKind::ToolCall,
            MessageKind::Human,
            MessageKind::Assistant,
        ]
    );
    let uuids: Vec<&str> = out.iter().map(|m| m.uuid.as_str()).collect();
    assert_eq!(
        uuids,
        [
            "u1",
            "g1",
            "g2#call:read_file-1",
            "g2#result:read_file-1",
            "g2#call:replace-2",
            "g2#result:replace-2",
            "g2#call:run-3",
            "u2",
            "g3"
        ]
    );
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts[0], "Read /tmp/a.txt and fix it");
    assert_eq!(
        texts[1],
        "[thinking] Planning: Read first.\n\nI will read it."
    );
    assert_eq!(
        texts[2],
        "[thinking] Reading the File: Use read_file.\n\n[thinking] Then edit.\n\n[tool: read_file] /tmp/a.txt"
    );
    assert_eq!(texts[3], "[result: read_file]\nHello");
    assert_eq!(
        texts[4],
        "[tool: replace] /tmp/a.txt\nGoodbye\n[replaced]\nHello"
    );
    assert_eq!(texts[5], "[result: replace, error]\nold_string not found");
    assert_eq!(texts[6], "[tool: run_shell_command]\ncat /tmp/a.txt");
    assert_eq!(texts[7], "now this\nand that\n[image]");
    assert_eq!(texts[8], "Done.");
    assert_eq!(
        out[2].tool_calls,
        [ToolCall {
            name: "read_file".into(),
            input_summary: String::new(),
            file_path: Some("/tmp/a.txt".into())
        }]
    );
    assert!(out[1].tool_calls.is_empty());
    assert_eq!(
        (out[3].result_of_tool.as_deref(), out[3].is_error),
        (Some("read_file"), false)
    );
    assert_eq!(out[3].result_files, ["/tmp/a.txt"]);
    assert!(out[5].is_error);
    assert_chain(&out);
    for m in &out {
        assert_eq!(m.session_id, SESSION);
        assert_eq!(m.message_id, ids::message_id(SESSION, &m.uuid));
        assert_eq!(m.line_uuids, vec![m.uuid.clone()]);
        assert_eq!(m.cwd.as_deref(), Some(&HASH[..12]));
        assert_eq!(m.git_branch, None);
        assert_eq!(m.timestamp.as_deref(), Some(TS));
        assert!(!m.is_sidechain);
        assert_eq!(m.agent_id, None);
        assert_eq!(m.agent, Agent::GeminiCli);
        assert_eq!(m.source_path, JSON_PATH);
        assert_eq!(m.line_offset, 0);
    }
}

#[test]
fn the_json_and_jsonl_forms_give_the_same_messages() {
    let messages = conversation();
    let from_json = read(&json_doc(&messages));
    let lines = jsonl_lines(&messages);
    let (from_jsonl, outcomes, _) = run(&lines);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    assert_eq!(from_json.len(), 9);
    // Only where they were read from differs.
    let mut offsets = Vec::new();
    let mut at = 0u64;
    for l in &lines {
        offsets.push(at);
        at += l.len() as u64 + 1;
    }
    let normalized: Vec<Message> = from_jsonl
        .iter()
        .map(|m| {
            assert_eq!(m.source_path, JSONL_PATH);
            assert!(offsets.contains(&m.line_offset) && m.line_offset > 0);
            Message {
                source_path: JSON_PATH.to_string(),
                line_offset: 0,
                ..m.clone()
            }
        })
        .collect();
    assert_eq!(normalized, from_json);
    // The call-only message's call and results share the line of their message.
    assert_eq!(from_jsonl[2].line_offset, offsets[3]);
    assert_eq!(from_jsonl[6].line_offset, offsets[3]);
}

#[test]
fn thoughts_alone_are_an_answer_and_thought_parts_are_thoughts() {
    let out = read(&json_doc(&[
        gemini("g1", "", &[("Pondering", "")], json!([])),
        json!({"id": "g2", "type": "gemini", "content": [{"text": "Hmm.", "thought": true}, {"text": "Yes."}]}),
        gemini("g3", "  ", &[], json!([])),
        user("u1", json!({"text": "one part"})),
        user(
            "u2",
            json!([{"fileData": {"mimeType": "application/pdf", "fileUri": "x"}}, "bare string"]),
        ),
        user("u3", json!(null)),
    ]));
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "[thinking] Pondering",
            "[thinking] Hmm.\n\nYes.",
            "one part",
            "[file]\nbare string"
        ]
    );
    assert_eq!(out[1].timestamp, None);
    assert_chain(&out);
}

#[test]
fn messages_without_an_id_are_named_by_their_place() {
    let mut no_id = user("x", json!("no id here"));
    if let Some(o) = no_id.as_object_mut() {
        o.remove("id");
    }
    let messages = [
        user("u1", json!("first")),
        no_id,
        gemini("", "empty id", &[], json!([])),
    ];
    let out = read(&json_doc(&messages));
    let uuids: Vec<&str> = out.iter().map(|m| m.uuid.as_str()).collect();
    assert_eq!(uuids, ["u1", "gemini:1", "gemini:2"]);
    let lines = jsonl_lines(&messages);
    let (out, _, _) = run(&lines);
    let second = lines.first().map_or(0, |l| l.len() as u64 + 1)
        + lines.get(1).map_or(0, |l| l.len() as u64 + 1);
    assert_eq!(
        out.get(1).map(|m| m.uuid.clone()),
        Some(format!("gemini:{second}"))
    );
    assert_chain(&out);
}

#[test]
fn a_chat_without_a_session_id_is_named_by_its_stem() {
    let doc = json!({"messages": [user("u1", json!("hi"))]});
    let out = read(&serde_json::to_vec(&doc).unwrap_or_default());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].session_id, "session-2025-10-29T10-36-5a1c0f6e");
    assert_eq!(out[0].cwd, None);
    assert_eq!(stem_session(""), "");
}

#[test]
fn a_repeated_id_in_a_json_chat_keeps_the_later_message_in_place() {
    let out = read(&json_doc(&[
        user("u1", json!("first")),
        gemini("g1", "draft", &[], json!([])),
        gemini("g1", "final", &[], json!([])),
        user("u2", json!("next")),
    ]));
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["first", "final", "next"]);
    assert_chain(&out);
}

#[test]
fn the_recorded_project_root_is_the_cwd() {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = home.path().join(".gemini/tmp/my-app/chats");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        home.path().join(".gemini/tmp/my-app/.project_root"),
        "/src/my-app",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let json_path = dir.join("session-a.json").to_string_lossy().into_owned();
    let doc = json_doc(&[user("u1", json!("hi"))]);
    let out = read_chat(&json_path, &doc, None, &mut Counts::new()).unwrap_or_default();
    assert_eq!(
        out.first().and_then(|m| m.cwd.as_deref()),
        Some("/src/my-app")
    );
    let jsonl_path = dir.join("session-a.jsonl").to_string_lossy().into_owned();
    let mut a = GeminiLogAssembler::new(&jsonl_path, GeminiLogState::default());
    let mut out = Vec::new();
    for (i, l) in jsonl_lines(&[user("u1", json!("hi"))]).iter().enumerate() {
        a.feed(i as u64 * 1000, l, &mut out);
    }
    assert_eq!(
        out.first().and_then(|m| m.cwd.as_deref()),
        Some("/src/my-app")
    );
}
