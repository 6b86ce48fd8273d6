//! Synthetic-record tests; the real rollouts are exercised in `tests/fixtures.rs`, bad input and redaction in
//! `tests/robustness.rs`.

use super::*;
use serde_json::json;

mod fixtures;
mod robustness;
mod rollback;
mod streams;

const PATH: &str =
    "/s/2025/09/24/rollout-2025-09-24T19-22-20-01997e76-d124-7592-9cac-2ec05abbca08.jsonl";
const TS: &str = "2025-09-25T02:12:23.966Z";

fn line(kind: &str, payload: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"timestamp": TS, "type": kind, "payload": payload}))
        .unwrap_or_default()
}

fn meta(id: &str, cwd: &str, source: serde_json::Value) -> Vec<u8> {
    line(
        "session_meta",
        json!({"id": id, "cwd": cwd, "source": source, "git": {"branch": "main"}}),
    )
}

fn user_item(text: &str) -> Vec<u8> {
    line(
        "response_item",
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}),
    )
}

fn user_event(text: &str) -> Vec<u8> {
    line(
        "event_msg",
        json!({"type": "user_message", "message": text, "kind": "plain"}),
    )
}

fn answer_item(text: &str) -> Vec<u8> {
    line(
        "response_item",
        json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}),
    )
}

fn answer_event(text: &str) -> Vec<u8> {
    line(
        "event_msg",
        json!({"type": "agent_message", "message": text}),
    )
}

fn reasoning(text: &str) -> Vec<u8> {
    line(
        "response_item",
        json!({"type": "reasoning", "summary": [{"type": "summary_text", "text": text}],
               "content": null, "encrypted_content": "gAAAA"}),
    )
}

fn shell_call(call_id: &str, script: &str) -> Vec<u8> {
    let args = json!({"command": ["bash", "-lc", script], "workdir": "/p"}).to_string();
    line(
        "response_item",
        json!({"type": "function_call", "name": "shell", "arguments": args, "call_id": call_id}),
    )
}

fn call_output(call_id: &str, output: serde_json::Value) -> Vec<u8> {
    line(
        "response_item",
        json!({"type": "function_call_output", "call_id": call_id, "output": output}),
    )
}

/// Feeds `lines` (offsets as if they were one file) to a fresh assembler.
fn run(lines: &[Vec<u8>]) -> (Vec<Message>, Vec<LineOutcome>, CodexAssembler) {
    let mut a = CodexAssembler::new(PATH, CodexState::default());
    let mut out = Vec::new();
    let mut outcomes = Vec::new();
    let mut offset = 0u64;
    for l in lines {
        outcomes.push(a.feed(offset, l, &mut out));
        offset += l.len() as u64 + 1;
    }
    (out, outcomes, a)
}

fn offsets(lines: &[Vec<u8>]) -> Vec<u64> {
    let mut at = 0u64;
    lines
        .iter()
        .map(|l| {
            let here = at;
            at += l.len() as u64 + 1;
            here
        })
        .collect()
}

fn kinds(messages: &[Message]) -> Vec<MessageKind> {
    messages.iter().map(|m| m.kind).collect()
}

#[test]
fn session_id_cwd_branch_timestamp_and_agent() {
    let (out, outcomes, _) = run(&[
        user_item("before any session_meta"),
        meta("sess-a", "/a", json!("cli")),
        line("turn_context", json!({"cwd": "/b", "model": "gpt"})),
        user_item("first prompt"),
        meta("sess-b", "/c", json!({"subagent": "review"})),
        serde_json::to_vec(&json!({"timestamp": "[trimmed for fixture]", "type": "response_item",
            "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "done"}]}}))
        .unwrap_or_default(),
    ]);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    assert_eq!(out.len(), 3);
    assert_eq!(out[0].session_id, "01997e76-d124-7592-9cac-2ec05abbca08");
    assert_eq!(out[0].cwd, None);
    assert_eq!(
        (out[1].session_id.as_str(), out[1].cwd.as_deref()),
        ("sess-a", Some("/b"))
    );
    assert_eq!(out[1].git_branch.as_deref(), Some("main"));
    assert_eq!(out[1].timestamp.as_deref(), Some(TS));
    // A later session_meta keeps the id (and the sidechain flag) but moves the cwd.
    assert_eq!(
        (out[2].session_id.as_str(), out[2].cwd.as_deref()),
        ("sess-a", Some("/c"))
    );
    assert_eq!(out[2].timestamp, None);
    for (i, m) in out.iter().enumerate() {
        assert_eq!(m.agent, Agent::Codex);
        assert!(!m.is_sidechain);
        assert_eq!(m.agent_id, None);
        assert_eq!(m.source_path, PATH);
        assert_eq!(m.uuid, format!("codex:{}", m.line_offset));
        assert_eq!(m.line_uuids, vec![m.uuid.clone()]);
        assert_eq!(m.message_id, ids::message_id(&m.session_id, &m.uuid));
        let parent = i
            .checked_sub(1)
            .and_then(|p| out.get(p))
            .map(|p| p.message_id);
        assert_eq!(m.parent_message_id, parent);
    }
}

#[test]
fn a_subagent_file_is_a_sidechain() {
    let (out, _, _) = run(&[
        meta(
            "child",
            "/a",
            json!({"subagent": {"thread_spawn": {"depth": 1}}}),
        ),
        user_item("spawned task"),
    ]);
    assert_eq!(out.len(), 1);
    assert!(out[0].is_sidechain);
    assert_eq!(out[0].session_id, "child");
}

#[test]
fn a_hook_s_report_exists_only_as_an_event_and_is_kept_a_plan_event_is_a_copy() {
    let plan = line(
        "event_msg",
        json!({"type": "item_completed", "item": {"type": "Plan", "id": "p1", "text": "1. Add the flag\n2. Test it"}}),
    );
    let answer = answer_item("<proposed_plan>\n1. Add the flag\n2. Test it\n</proposed_plan>");
    let blocked = line(
        "event_msg",
        json!({"type": "hook_completed", "turn_id": "t1", "run": {"id": "hook-1", "event_name": "stop",
               "status": "blocked", "entries": [{"kind": "stop", "text": "cargo clippy: 2 warnings"}]}}),
    );
    let silent = line(
        "event_msg",
        json!({"type": "hook_completed", "turn_id": "t1", "run": {"id": "hook-2", "event_name": "stop",
               "status": "completed", "entries": []}}),
    );
    let odd = line(
        "event_msg",
        json!({"type": "hook_completed", "run": {"entries": "not a list"}}),
    );
    let empty_plan = line(
        "event_msg",
        json!({"type": "item_completed", "item": {"type": "Plan", "text": "  "}}),
    );
    let (out, outcomes, _) = run(&[
        user_item("Add a verbose flag"),
        answer,
        plan,
        empty_plan,
        blocked,
        silent,
        odd,
    ]);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    assert_eq!(
        kinds(&out),
        [
            MessageKind::Human,
            MessageKind::Assistant,
            MessageKind::HookFeedback
        ]
    );
    assert!(
        out[1].text.contains("1. Add the flag"),
        "the plan is in the answer"
    );
    assert_eq!(
        out[2].text,
        "[hook: stop, blocked]\ncargo clippy: 2 warnings"
    );
    assert_eq!(out[2].parent_message_id, Some(out[1].message_id));
}

#[test]
fn injected_user_text_is_not_a_prompt() {
    let ide = "# Context from my IDE setup:\n\n## Active file: a.ts\n\n## My request for Codex:\nWhy is it slow?\n";
    let (out, _, _) = run(&[
        user_item("<environment_context>\n  <cwd>/p</cwd>\n</environment_context>"),
        user_item("# AGENTS.md instructions for /p\n\n<INSTRUCTIONS>\nbe nice\n</INSTRUCTIONS>"),
        line(
            "response_item",
            json!({"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "<permissions instructions>"}]}),
        ),
        user_item(ide),
        user_event(ide),
        user_item("# Context from my IDE setup:\n\n## Open tabs:\n- a.ts\n"),
        user_item("<user_shell_command>\n<command>\nls\n</command>\n</user_shell_command>"),
        line(
            "response_item",
            json!({"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "<environment_context></environment_context>"},
            {"type": "input_text", "text": "look at this"},
            {"type": "input_image", "image_url": "data:image/png;base64,AAAA"}]}),
        ),
    ]);
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Why is it slow?",
            "<command>\nls\n</command>",
            "look at this\n[image]"
        ]
    );
    assert!(out.iter().all(|m| m.kind == MessageKind::Human));
}

#[test]
fn reasoning_goes_to_the_next_answer_or_call_and_a_prompt_drops_it() {
    let (out, _, a) = run(&[
        reasoning("**Looking at the parser**"),
        shell_call("c1", "rg parse src"),
        call_output(
            "c1",
            json!("{\"output\":\"src/a.rs\\n\",\"metadata\":{\"exit_code\":0}}"),
        ),
        reasoning("**Explaining**"),
        answer_item("It is in src/a.rs."),
        reasoning("never answered"),
        user_item("thanks"),
        answer_item("You're welcome."),
    ]);
    assert_eq!(
        kinds(&out),
        [
            MessageKind::ToolCall,
            MessageKind::ToolResult,
            MessageKind::Assistant,
            MessageKind::Human,
            MessageKind::Assistant
        ]
    );
    assert_eq!(
        out[0].text,
        "[reasoning] **Looking at the parser**\n\n[tool: shell]\nrg parse src"
    );
    assert_eq!(out[0].tool_calls[0].input_summary, "rg parse src");
    assert_eq!(out[1].text, "[result: shell]\nsrc/a.rs");
    assert_eq!(
        out[2].text,
        "[reasoning] **Explaining**\n\nIt is in src/a.rs."
    );
    assert_eq!(out[4].text, "You're welcome.");
    assert!(a.state.reasoning.is_empty());
}

#[test]
fn held_reasoning_is_bounded() {
    let mut lines: Vec<Vec<u8>> = (0..12).map(|i| reasoning(&format!("step {i}"))).collect();
    lines.push(reasoning(&"x".repeat(10_000)));
    let (_, _, a) = run(&lines);
    assert_eq!(a.state.reasoning.len(), 1);
    let (_, _, b) = run(&lines[..12]);
    assert_eq!(b.state.reasoning.len(), MAX_REASONING_ITEMS);
    assert_eq!(
        b.state.reasoning.front().map(String::as_str),
        Some("step 4")
    );
}

#[test]
fn tool_calls_and_outputs_of_every_shape() {
    let patch = "*** Begin Patch\n*** Update File: src/lib.rs\n@@\n-a\n+b\n*** Add File: src/new.rs\n+x\n*** End Patch";
    let lines = [
        line(
            "response_item",
            json!({"type": "custom_tool_call", "name": "apply_patch", "input": patch, "call_id": "p1"}),
        ),
        line(
            "response_item",
            json!({"type": "custom_tool_call_output", "call_id": "p1", "output": "Success. Updated the following files:\nM src/lib.rs"}),
        ),
        shell_call("s1", &format!("apply_patch <<'PATCH'\n{patch}\nPATCH")),
        call_output(
            "s1",
            json!("{\"output\":\"boom\",\"metadata\":{\"exit_code\":2}}"),
        ),
        call_output(
            "s1",
            json!("failed in sandbox MacosSeatbelt with execution error: exit code: 1"),
        ),
        call_output("s1", json!("patch rejected by user")),
        line(
            "response_item",
            json!({"type": "function_call", "name": "update_plan", "call_id": "u1",
            "arguments": "{\"plan\":[{\"step\":\"Add API\",\"status\":\"completed\"}]}"}),
        ),
        line(
            "response_item",
            json!({"type": "local_shell_call", "call_id": "l1", "status": "completed",
            "action": {"type": "exec", "command": ["git", "commit", "-m", "fix it"]}}),
        ),
        call_output(
            "l1",
            json!({"type": "input_text", "text": "1 file changed"}),
        ),
        line(
            "response_item",
            json!({"type": "web_search_call", "status": "completed",
            "action": {"type": "search", "query": "serde borrow", "queries": ["serde borrow", "cow"]}}),
        ),
        line(
            "response_item",
            json!({"type": "function_call", "name": "mcp__x__y", "call_id": "m1", "arguments": null}),
        ),
        call_output(
            "m1",
            json!([{"type": "input_text", "text": "shot:"}, {"type": "input_image", "image_url": "data:"}]),
        ),
        call_output(
            "m1",
            json!("{\"output\":\"\",\"metadata\":{\"exit_code\":0}}"),
        ),
        call_output("unknown", json!("orphan")),
    ];
    let (out, outcomes, _) = run(&lines);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    let text: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        out[0].tool_calls[0].file_path.as_deref(),
        Some("src/lib.rs")
    );
    assert_eq!(out[1].result_of_tool.as_deref(), Some("apply_patch"));
    assert_eq!(out[1].result_files, ["src/lib.rs"]);
    assert_eq!(out[2].tool_calls[0].name, "shell");
    assert_eq!(
        out[2].tool_calls[0].file_path.as_deref(),
        Some("src/lib.rs")
    );
    assert_eq!(
        (text[3], out[3].is_error),
        ("[result: shell, error]\nboom", true)
    );
    assert_eq!(out[3].result_files, ["src/lib.rs"]);
    assert!(out[4].is_error);
    assert_eq!(
        (text[5], out[5].is_error),
        ("[result: shell]\npatch rejected by user", false)
    );
    assert_eq!(text[6], "[tool: update_plan]\n- [completed] Add API");
    assert_eq!(text[7], "[tool: local_shell]\ngit commit -m 'fix it'");
    assert_eq!(text[8], "[result: local_shell]\n1 file changed");
    assert_eq!(text[9], "[tool: web_search]\nserde borrow\ncow");
    assert_eq!(text[10], "[tool: mcp__x__y]");
    assert_eq!(text[11], "[result: mcp__x__y]\nshot:\n[image]");
    // The empty output is skipped; an output without a known call is still a result.
    assert_eq!(
        (text[12], out[12].result_of_tool.as_deref()),
        ("[result]\norphan", None)
    );
    assert_eq!(out.len(), 13);
}

#[test]
fn compaction_summaries_and_skipped_records() {
    let (out, outcomes, _) = run(&[
        line(
            "compacted",
            json!({"message": "We fixed the parser.", "replacement_history": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "old prompt"}]}]}),
        ),
        line("compacted", json!({"message": ""})),
        line("world_state", json!({"full": true})),
        line(
            "inter_agent_communication_metadata",
            json!({"trigger_turn": false}),
        ),
        line("some_future_record", json!("anything")),
        line(
            "response_item",
            json!({"type": "ghost_snapshot", "ghost_commit": {}}),
        ),
        line("event_msg", json!({"type": "token_count", "info": null})),
        line(
            "response_item",
            json!({"type": "agent_message", "author": "a", "recipient": "b",
            "content": [{"type": "input_text", "text": "from the other agent"}, {"type": "encrypted_content"}]}),
        ),
    ]);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    assert_eq!(kinds(&out), [MessageKind::Summary, MessageKind::Assistant]);
    assert_eq!(out[0].text, "We fixed the parser.");
    assert_eq!(out[1].text, "[from a to b]\nfrom the other agent");
}

#[test]
fn flush_emits_nothing_and_state_is_the_codex_arm() {
    let (_, _, mut a) = run(&[reasoning("pending"), user_item("hi")]);
    let mut out = Vec::new();
    a.flush(&mut out);
    assert!(out.is_empty());
    assert!(matches!(a.state(), SourceState::Codex(_)));
}

#[test]
fn the_stem_names_the_session_until_a_session_meta() {
    assert_eq!(stem_session(PATH), "01997e76-d124-7592-9cac-2ec05abbca08");
    assert_eq!(stem_session("/x/rollout-notes.jsonl"), "rollout-notes");
    assert_eq!(stem_session("/x/é.jsonl"), "é");
    assert_eq!(stem_session(""), "");
}
