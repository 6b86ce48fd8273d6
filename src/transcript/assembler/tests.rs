use super::*;
use serde_json::json;

fn line(v: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap_or_default()
}

fn user(uuid: &str, parent: Option<&str>, content: serde_json::Value) -> Vec<u8> {
    line(
        json!({"type": "user", "uuid": uuid, "parentUuid": parent, "sessionId": "s1", "cwd": "/p",
        "timestamp": "2026-01-01T00:00:00.000Z", "message": {"role": "user", "content": content}}),
    )
}

fn assistant(uuid: &str, parent: Option<&str>, id: &str, block: serde_json::Value) -> Vec<u8> {
    line(
        json!({"type": "assistant", "uuid": uuid, "parentUuid": parent, "sessionId": "s1", "cwd": "/p",
        "requestId": "req_1", "message": {"id": id, "role": "assistant", "model": "claude", "content": [block]}}),
    )
}

fn progress(uuid: &str, parent: &str) -> Vec<u8> {
    line(
        json!({"type": "progress", "uuid": uuid, "parentUuid": parent, "data": {"type": "hook_progress"}}),
    )
}

/// A conversation with a split assistant message whose second block arrives after a tool result.
fn conversation() -> Vec<Vec<u8>> {
    vec![
        user(
            "u1",
            None,
            json!("How do I fix error E0502 in src/main.rs?"),
        ),
        progress("p1", "u1"),
        assistant(
            "a1",
            Some("p1"),
            "msg_1",
            json!({"type": "text", "text": "Let me look."}),
        ),
        assistant(
            "a2",
            Some("a1"),
            "msg_1",
            json!({"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"file_path": "src/main.rs"}}),
        ),
        user(
            "t1",
            Some("a2"),
            json!([{"type": "tool_result", "tool_use_id": "toolu_1", "content": "fn main() {}"}]),
        ),
        assistant(
            "a3",
            Some("t1"),
            "msg_1",
            json!({"type": "text", "text": "Borrow `x` mutably once: `let y = &mut x;`"}),
        ),
        line(json!({"type": "file-history-snapshot", "messageId": "m", "snapshot": {}})),
        user("u2", Some("a3"), json!("that works, thanks")),
    ]
}

fn run(lines: &[Vec<u8>], split_at: Option<usize>) -> Vec<Message> {
    let mut out = Vec::new();
    let mut asm = Assembler::new("/x/s1.jsonl", AssemblerState::default());
    let mut offset = 0u64;
    for (i, l) in lines.iter().enumerate() {
        if Some(i) == split_at {
            asm.flush(&mut out);
            // Simulate a restart: serialize and restore the state.
            let bytes = bincode::serde::encode_to_vec(asm.state(), bincode::config::standard())
                .unwrap_or_default();
            let (state, _): (AssemblerState, usize) =
                bincode::serde::decode_from_slice(&bytes, bincode::config::standard())
                    .unwrap_or_default();
            asm = Assembler::new("/x/s1.jsonl", state);
        }
        assert_eq!(asm.feed(offset, l, &mut out), LineOutcome::Ok);
        offset += l.len() as u64 + 1;
    }
    asm.flush(&mut out);
    out
}

/// The final version of each message, by id.
fn final_messages(msgs: &[Message]) -> std::collections::BTreeMap<Uuid, Message> {
    msgs.iter().map(|m| (m.message_id, m.clone())).collect()
}

#[test]
fn merges_split_assistant_message_across_tool_result() {
    let out = run(&conversation(), None);
    let kinds: Vec<_> = out.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        vec![
            MessageKind::Human,
            MessageKind::ToolResult,
            MessageKind::Assistant,
            MessageKind::Human
        ]
    );
    let a = &out[2];
    assert_eq!(a.uuid, "a1");
    assert!(a.text.contains("Let me look."));
    assert!(a.text.contains("[tool: Read] src/main.rs"));
    assert!(
        a.text.contains("`let y = &mut x;`"),
        "code punctuation kept: {}",
        a.text
    );
    assert_eq!(a.tool_calls.len(), 1);
    assert_eq!(out[1].result_of_tool.as_deref(), Some("Read"));
    assert_eq!(
        out[1].result_files,
        ["src/main.rs"],
        "a result knows the file its call named"
    );
    assert!(out[1].text.starts_with("[result: Read]\nfn main() {}"));
}

#[test]
fn parents_follow_the_tree_through_noise_lines() {
    let out = run(&conversation(), None);
    let human = &out[0];
    let tool_result = &out[1];
    let assistant = &out[2];
    let feedback = &out[3];
    assert_eq!(human.parent_message_id, None);
    // a1's parent is a progress line whose parent is u1.
    assert_eq!(assistant.parent_message_id, Some(human.message_id));
    assert_eq!(tool_result.parent_message_id, Some(assistant.message_id));
    assert_eq!(feedback.parent_message_id, Some(assistant.message_id));
}

#[test]
fn restart_at_any_line_gives_the_same_final_messages() {
    let lines = conversation();
    let clean = final_messages(&run(&lines, None));
    for split in 1..lines.len() {
        let resumed = final_messages(&run(&lines, Some(split)));
        assert_eq!(resumed, clean, "restart before line {split}");
    }
}

#[test]
fn open_message_is_flushed_and_reemitted_when_it_grows() {
    let lines = conversation();
    let mut out = Vec::new();
    let mut asm = Assembler::new("/x/s1.jsonl", AssemblerState::default());
    for (i, l) in lines[..4].iter().enumerate() {
        asm.feed(i as u64 * 1000, l, &mut out);
    }
    asm.flush(&mut out);
    assert_eq!(out.last().map(|m| m.kind), Some(MessageKind::Assistant));
    let first = out.len();
    asm.flush(&mut out);
    assert_eq!(
        out.len(),
        first,
        "an unchanged open message is not emitted twice"
    );
    for (i, l) in lines[4..].iter().enumerate() {
        asm.feed(10_000 + i as u64, l, &mut out);
    }
    let again: Vec<_> = out[first..]
        .iter()
        .filter(|m| m.kind == MessageKind::Assistant)
        .collect();
    assert_eq!(again.len(), 1);
    assert!(again[0].text.contains("let y"));
}

#[test]
fn skips_meta_wrappers_synthetic_and_compaction_runs() {
    let mut out = Vec::new();
    let mut asm = Assembler::new("/x/s.jsonl", AssemblerState::default());
    let lines = [
        line(
            json!({"type": "user", "uuid": "m1", "isMeta": true, "message": {"content": "<system-reminder>x</system-reminder>"}}),
        ),
        user("c1", None, json!("<command-name>/mcp</command-name>")),
        user(
            "i1",
            None,
            json!([{"type": "text", "text": "[Request interrupted by user]"}]),
        ),
        line(
            json!({"type": "assistant", "uuid": "e1", "isApiErrorMessage": true, "message": {"id": "x", "model": "<synthetic>", "content": [{"type": "text", "text": "API Error"}]}}),
        ),
        line(
            json!({"type": "user", "uuid": "k1", "agentId": "acompact-1", "isSidechain": true, "message": {"content": "Your task is to create a detailed summary"}}),
        ),
        line(json!({"type": "queue-operation", "operation": "enqueue"})),
        line(json!({"type": "brand-new-type", "whatever": [1, 2, 3]})),
    ];
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(asm.feed(i as u64, l, &mut out), LineOutcome::Ok, "line {i}");
    }
    asm.flush(&mut out);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn compact_summary_is_a_summary_linked_through_the_boundary() {
    let mut out = Vec::new();
    let mut asm = Assembler::new("/x/s.jsonl", AssemblerState::default());
    let lines = [
        user("u1", None, json!("first prompt")),
        line(
            json!({"type": "system", "subtype": "compact_boundary", "uuid": "b1", "parentUuid": null, "logicalParentUuid": "u1"}),
        ),
        line(
            json!({"type": "user", "uuid": "s1", "parentUuid": "b1", "isCompactSummary": true, "sessionId": "s1",
            "message": {"content": "This session is being continued from a previous conversation"}}),
        ),
    ];
    for (i, l) in lines.iter().enumerate() {
        asm.feed(i as u64, l, &mut out);
    }
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].kind, MessageKind::Summary);
    assert_eq!(out[1].parent_message_id, Some(out[0].message_id));
}

#[test]
fn bad_lines_are_reported_not_fatal() {
    let mut out = Vec::new();
    let mut asm = Assembler::new("/x/s.jsonl", AssemblerState::default());
    assert!(matches!(
        asm.feed(0, b"{not json", &mut out),
        LineOutcome::Malformed(_)
    ));
    assert!(matches!(
        asm.feed(1, b"[1,2,3]", &mut out),
        LineOutcome::Malformed(_)
    ));
    assert!(matches!(
        asm.feed(
            2,
            br#"{"type":"user","uuid":5,"message":{"content":"x"}}"#,
            &mut out
        ),
        LineOutcome::Malformed(_)
    ));
    let mut bad_utf8 = br#"{"type":"user","uuid":"u9","message":{"content":"caf"#.to_vec();
    bad_utf8.extend_from_slice(b"\xff\xfe\"}}");
    assert!(matches!(
        asm.feed(3, &bad_utf8, &mut out),
        LineOutcome::Repaired(_)
    ));
    let surrogate = br#"{"type":"user","uuid":"u8","message":{"content":"bad \ud800 here"}}"#;
    assert!(matches!(
        asm.feed(4, surrogate, &mut out),
        LineOutcome::Repaired(_)
    ));
    let bom =
        b"\xef\xbb\xbf{\"type\":\"user\",\"uuid\":\"u7\",\"message\":{\"content\":\"with bom\"}}";
    assert_eq!(asm.feed(5, bom, &mut out), LineOutcome::Ok);
    let texts: Vec<_> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts[0].starts_with("caf"));
    assert!(texts[1].contains('\u{fffd}'));
    assert_eq!(texts[2], "with bom");
}

#[test]
fn lines_without_uuid_use_the_documented_fallback() {
    let mut out = Vec::new();
    let mut asm = Assembler::new("/x/old.jsonl", AssemblerState::default());
    asm.feed(
        42,
        br#"{"type":"user","message":{"content":"old format prompt"}}"#,
        &mut out,
    );
    assert_eq!(out[0].uuid, "line:/x/old.jsonl:42");
    assert_eq!(out[0].session_id, "old");
}

#[test]
fn a_merged_message_knows_every_line_uuid() {
    let out = run(&conversation(), None);
    let a = out.iter().find(|m| m.kind == MessageKind::Assistant);
    assert_eq!(
        a.map(|m| m.line_uuids.clone()),
        Some(vec!["a1".to_string(), "a2".to_string(), "a3".to_string()])
    );
    assert_eq!(out[0].line_uuids, vec!["u1".to_string()]);
    // The same after a restart between the lines of the merged message.
    let resumed = final_messages(&run(&conversation(), Some(4)));
    let again = resumed.values().find(|m| m.kind == MessageKind::Assistant);
    assert_eq!(again.map(|m| m.line_uuids.len()), Some(3));
}

fn meta_user(uuid: &str, parent: &str, agent: Option<&str>, text: &str) -> Vec<u8> {
    line(
        json!({"type": "user", "uuid": uuid, "parentUuid": parent, "sessionId": "s1", "isMeta": true,
                "agentId": agent, "isSidechain": agent.is_some(), "message": {"role": "user", "content": text}}),
    )
}

#[test]
fn hook_output_is_its_own_kind_in_sessions_compaction_logs_and_attachments() {
    let reminder = "<system-reminder>\nPostToolUse:Edit hook additional context: [COMPILE ERROR] lib/a.ex\nerror: undefined function find_transcript_file/1\n</system-reminder>";
    let lines = vec![
        user("u1", None, json!("fix the build")),
        meta_user(
            "h1",
            "u1",
            None,
            "Stop hook feedback:\n[stop.sh]: 3 tests failed",
        ),
        meta_user("h2", "h1", Some("acompact-9f"), reminder),
        // The compaction log replays the conversation: its other lines stay skipped.
        line(
            json!({"type": "user", "uuid": "k1", "parentUuid": "h2", "agentId": "acompact-9f",
                    "message": {"content": "Your task is to create a detailed summary"}}),
        ),
        line(
            json!({"type": "attachment", "uuid": "t1", "parentUuid": "h1", "sessionId": "s1",
                    "attachment": {"type": "hook_blocking_error", "hookName": "PreToolUse:Bash",
                                   "blockingError": {"command": "guard.sh", "blockingError": "no force pushes"}}}),
        ),
        line(
            json!({"type": "attachment", "uuid": "t2", "parentUuid": "t1", "sessionId": "s1",
                    "attachment": {"type": "file", "filename": "a.rs", "content": "fn x() {}"}}),
        ),
        // A second copy of the same reminder (the session itself): stored under the same id.
        meta_user("h3", "t2", None, reminder),
    ];
    let out = run(&lines, None);
    let hooks: Vec<&Message> = out
        .iter()
        .filter(|m| m.kind == MessageKind::HookFeedback)
        .collect();
    assert_eq!(hooks.len(), 4, "{out:#?}");
    assert!(hooks[0].text.starts_with("Stop hook feedback:"));
    assert!(hooks[1]
        .text
        .contains("undefined function find_transcript_file/1"));
    assert!(!hooks[1].text.contains("system-reminder"));
    assert_eq!(hooks[1].line_uuids, vec!["h2".to_string()]);
    assert!(hooks[2]
        .text
        .contains("blocking error from command \"guard.sh\": no force pushes"));
    assert_eq!(
        hooks[1].message_id, hooks[3].message_id,
        "copies share one id"
    );
    assert!(hooks[1].uuid.starts_with("hook:"));
    assert_eq!(
        hooks[0].parent_message_id,
        Some(out[0].message_id),
        "linked into the conversation tree"
    );
    assert_eq!(
        out.len(),
        5,
        "the replayed prompt and the file attachment are skipped"
    );
}

#[test]
fn long_tool_results_keep_their_tail() {
    let log = format!(
        "{}\nerror: linker `cc` not found",
        "compiling crate\n".repeat(20_000)
    );
    let lines = vec![
        assistant(
            "a1",
            None,
            "m1",
            json!({"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "cargo build"}}),
        ),
        user(
            "t1",
            Some("a1"),
            json!([{"type": "tool_result", "tool_use_id": "toolu_1", "content": log}]),
        ),
    ];
    let out = run(&lines, None);
    let result = out.iter().find(|m| m.kind == MessageKind::ToolResult);
    let text = result.map(|m| m.text.as_str()).unwrap_or("");
    assert!(
        text.ends_with("error: linker `cc` not found"),
        "{}",
        &text[text.len().saturating_sub(200)..]
    );
    assert!(text.contains("characters omitted"));
    assert!(text.chars().count() <= MAX_TOOL_RESULT_CHARS + 100);
}
