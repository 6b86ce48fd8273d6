//! `thread_rolled_back`: the conversation goes back, the messages stay.

use super::*;

fn rolled_back(turns: serde_json::Value) -> Vec<u8> {
    line(
        "event_msg",
        json!({"type": "thread_rolled_back", "num_turns": turns}),
    )
}

/// A run stopped after any line of `lines` and resumed from its saved state gives `out`, the unstopped run's
/// messages and parents.
fn assert_resumes_alike(lines: &[Vec<u8>], out: &[Message]) {
    let numbered: Vec<(u64, Vec<u8>)> = offsets(lines).into_iter().zip(lines.to_vec()).collect();
    for k in 1..numbered.len() {
        let (split, state) = crate::source::testing::split_run(Agent::Codex, PATH, &numbered, k);
        assert_eq!(split, out, "stopped after line {k}");
        assert!(matches!(state, SourceState::Codex(_)));
    }
}

#[test]
fn a_rollback_takes_the_next_message_back_and_keeps_the_rolled_back_ones() {
    let lines = [
        meta("s", "/p", json!("cli")),
        user_item("first"),
        user_event("first"),
        answer_item("a1"),
        user_item("second"),
        answer_item("a2"),
        user_item("third"),
        reasoning("thinking about the third"),
        rolled_back(json!(2)),
        user_item("second, again"),
        answer_item("a2 again"),
        rolled_back(json!(0)),
        answer_item("a2 more"),
        rolled_back(json!(9)),
        user_item("fresh start"),
        rolled_back(json!("two")),
    ];
    let (out, outcomes, a) = run(&lines);
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    // Rolled-back messages keep their points; the pending reasoning left with its turn.
    assert_eq!(
        texts,
        [
            "first",
            "a1",
            "second",
            "a2",
            "third",
            "second, again",
            "a2 again",
            "a2 more",
            "fresh start"
        ]
    );
    let id = |i: usize| Some(out[i].message_id);
    assert_eq!(
        out[5].parent_message_id,
        id(1),
        "after the message before `second`"
    );
    assert_eq!(out[6].parent_message_id, id(5));
    assert_eq!(
        out[7].parent_message_id,
        id(6),
        "a rollback of 0 turns changes nothing"
    );
    assert_eq!(
        out[8].parent_message_id, None,
        "rolled back past the first prompt"
    );
    assert!(
        matches!(&outcomes[15], LineOutcome::Malformed(why) if why.contains("thread_rolled_back")),
        "{:?}",
        outcomes[15]
    );
    // Resumed after any line, a run gives the same messages and parents.
    assert_resumes_alike(&lines[..lines.len() - 1], &out);
    drop(a);
}

#[test]
fn a_rollback_past_the_remembered_prompts_is_a_warning_and_changes_nothing() {
    let mut lines: Vec<Vec<u8>> = (0..=TURN_WINDOW)
        .map(|i| user_item(&format!("prompt {i}")))
        .collect();
    lines.push(rolled_back(json!(TURN_WINDOW + 1)));
    lines.push(answer_item("still after the last prompt"));
    lines.push(rolled_back(json!(2)));
    lines.push(answer_item("after prompt 510"));
    let (out, outcomes, _) = run(&lines);
    let n = out.len();
    assert!(
        matches!(&outcomes[TURN_WINDOW + 1], LineOutcome::Repaired(why) if why.contains("rollback")),
        "{:?}",
        outcomes[TURN_WINDOW + 1]
    );
    assert_eq!(out[n - 2].parent_message_id, Some(out[n - 3].message_id));
    assert_eq!(out[n - 1].parent_message_id, Some(out[n - 5].message_id));
}

#[test]
fn a_shell_command_is_not_a_turn_and_a_rollback_past_the_first_prompt_keeps_what_came_before() {
    let lines = [
        meta("s", "/p", json!("cli")),
        answer_item("a greeting before any prompt"),
        user_item("first"),
        answer_item("a1"),
        user_item("<user_shell_command>\nls -la\n</user_shell_command>"),
        user_item("second"),
        answer_item("a2"),
        // Codex drops `second` and `first`: the `!ls` between them is no turn of its own.
        rolled_back(json!(2)),
        user_item("again"),
        rolled_back(json!(5)),
        user_item("from the top"),
    ];
    let (out, outcomes, _) = run(&lines);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "a greeting before any prompt",
            "first",
            "a1",
            "ls -la",
            "second",
            "a2",
            "again",
            "from the top"
        ]
    );
    assert_eq!(
        out[3].kind,
        MessageKind::Human,
        "the command is still shown"
    );
    assert_eq!(out[6].parent_message_id, Some(out[0].message_id));
    assert_eq!(
        out[7].parent_message_id,
        Some(out[0].message_id),
        "past the first prompt: back to before it, not to nothing"
    );
    // With no prompt at all, a rollback changes nothing.
    let (out, _, _) = run(&[
        answer_item("only an answer"),
        rolled_back(json!(1)),
        answer_item("then another"),
    ]);
    assert_eq!(out[1].parent_message_id, Some(out[0].message_id));
}

#[test]
fn a_message_that_holds_injected_context_is_no_turn_as_for_codex() {
    let mixed = line(
        "response_item",
        json!({"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "<environment_context>\n<cwd>/p</cwd>\n</environment_context>"},
            {"type": "input_text", "text": "and also this"}
        ]}),
    );
    let (out, _, _) = run(&[
        user_item("first"),
        answer_item("a1"),
        mixed,
        answer_item("a2"),
        rolled_back(json!(1)),
        answer_item("after"),
    ]);
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["first", "a1", "and also this", "a2", "after"]);
    // The one turn rolled back is `first`'s: the mixed message counted none.
    assert_eq!(out[4].parent_message_id, None);
}

/// A message from another agent as Codex writes it: a `message` item whose only text is the JSON envelope.
fn envelope_item(role: &str, content: &str) -> Vec<u8> {
    let envelope = json!({"author": "/root", "recipient": "/root/worker", "other_recipients": [],
        "content": content, "trigger_turn": true});
    let kind = if role == "user" {
        "input_text"
    } else {
        "output_text"
    };
    line(
        "response_item",
        json!({"type": "message", "role": role,
            "content": [{"type": kind, "text": envelope.to_string()}]}),
    )
}

#[test]
fn a_message_between_agents_is_a_turn_and_is_shown_as_its_content() {
    let lines = [
        meta("s", "/p", json!("cli")),
        user_item("first"),
        answer_item("done"),
        envelope_item("assistant", "continue"),
        // Its event copy, with the same envelope, is skipped.
        line(
            "event_msg",
            json!({"type": "agent_message", "message": json!({"author": "/root",
                "recipient": "/root/worker", "other_recipients": [], "content": "continue",
                "trigger_turn": true}).to_string()}),
        ),
        reasoning("thinking about the instruction"),
        answer_item("worker reply"),
        rolled_back(json!(1)),
        answer_item("after the rollback"),
        line(
            "response_item",
            json!({"type": "agent_message", "author": "/root", "recipient": "/root/worker",
                "content": [{"type": "input_text", "text": "check again"}]}),
        ),
        answer_item("checked"),
        envelope_item("user", "and the docs"),
        answer_item("docs too"),
        rolled_back(json!(2)),
        answer_item("back before `check again`"),
        // The older plain-text form is an ordinary answer and no turn, as in Codex.
        answer_item(
            "author: /root\nrecipient: /root/worker\nother_recipients: []\nContent: legacy",
        ),
        rolled_back(json!(1)),
        answer_item("back before `first`"),
    ];
    let (out, outcomes, _) = run(&lines);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "first",
            "done",
            "[from /root to /root/worker]\ncontinue",
            "[reasoning] thinking about the instruction\n\nworker reply",
            "after the rollback",
            "[from /root to /root/worker]\ncheck again",
            "checked",
            "[from /root to /root/worker]\nand the docs",
            "docs too",
            "back before `check again`",
            "author: /root\nrecipient: /root/worker\nother_recipients: []\nContent: legacy",
            "back before `first`",
        ]
    );
    assert!(kinds(&out)[1..]
        .iter()
        .all(|k| *k == MessageKind::Assistant));
    let id = |i: usize| Some(out[i].message_id);
    assert_eq!(
        out[4].parent_message_id,
        id(1),
        "the instruction was the turn rolled back"
    );
    assert_eq!(
        out[9].parent_message_id,
        id(4),
        "two turns, both between agents"
    );
    assert_eq!(out[10].parent_message_id, id(9));
    assert_eq!(
        out[11].parent_message_id, None,
        "the legacy form started no turn: one turn back is before `first`"
    );
    assert_resumes_alike(&lines, &out);
}

#[test]
fn every_message_between_agents_counts_as_a_turn_however_it_was_written() {
    let communication = line(
        "inter_agent_communication",
        json!({"author": "/root/worker", "recipient": "/root", "other_recipients": [],
            "content": "worker completed", "trigger_turn": false}),
    );
    let encrypted = line(
        "response_item",
        json!({"type": "agent_message", "author": "/root", "recipient": "/root/worker",
            "content": [{"type": "encrypted_content", "encrypted_content": "opaque"}]}),
    );
    let lines = [
        meta("s", "/p", json!("cli")),
        user_item("first"),
        answer_item("a1"),
        // The same envelope twice, with no event copy (Codex writes these only as items): two messages, two
        // turns.
        envelope_item("assistant", "ping"),
        answer_item("pong"),
        envelope_item("assistant", "ping"),
        answer_item("pong2"),
        rolled_back(json!(1)),
        answer_item("after the second ping left"),
        // The legacy delivery record.
        communication,
        answer_item("done"),
        rolled_back(json!(1)),
        answer_item("after the record left"),
        // Encrypted: nothing to show, still a turn.
        encrypted,
        answer_item("reply to the encrypted one"),
        rolled_back(json!(1)),
        answer_item("after the encrypted one left"),
    ];
    let (out, outcomes, _) = run(&lines);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "first",
            "a1",
            "[from /root to /root/worker]\nping",
            "pong",
            "[from /root to /root/worker]\nping",
            "pong2",
            "after the second ping left",
            "[from /root/worker to /root]\nworker completed",
            "done",
            "after the record left",
            "reply to the encrypted one",
            "after the encrypted one left",
        ]
    );
    let id = |i: usize| Some(out[i].message_id);
    assert_eq!(out[6].parent_message_id, id(3), "back to `pong`");
    assert_eq!(out[9].parent_message_id, id(6), "back to before the record");
    assert_eq!(out[10].parent_message_id, id(9));
    assert_eq!(
        out[11].parent_message_id,
        id(9),
        "back to before the encrypted message"
    );
    assert_resumes_alike(&lines, &out);
}
