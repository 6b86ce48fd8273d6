//! Prompts and answers Codex writes in more than one stream (response items, events, `item_completed`), and
//! messages between agents in each of them.

use super::*;

#[test]
fn prompts_and_answers_written_twice_are_emitted_once_in_either_order() {
    let lines = [
        user_item("continue"),
        user_event("continue"),
        answer_event("Done."),
        answer_item("Done."),
        user_event("continue"),
        user_item("continue"),
        answer_item("Done."),
        answer_event("Done."),
    ];
    let (out, _, _) = run(&lines);
    assert_eq!(
        kinds(&out),
        [
            MessageKind::Human,
            MessageKind::Assistant,
            MessageKind::Human,
            MessageKind::Assistant
        ]
    );
    // The repeated prompt is kept; whichever record of a pair comes first is the message.
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["continue", "Done.", "continue", "Done."]);
    let at = offsets(&lines);
    let got: Vec<u64> = out.iter().map(|m| m.line_offset).collect();
    assert_eq!(got, [at[0], at[2], at[4], at[6]]);
}

#[test]
fn a_message_in_three_streams_is_one_and_one_repeated_in_a_stream_is_kept() {
    let completed = |text: &str| {
        line(
            "event_msg",
            json!({"type": "item_completed", "item": {"type": "UserMessage", "content": [{"type": "text", "text": text}]}}),
        )
    };
    let lines = [
        // One prompt as an item, an event and an `item_completed`: one message.
        user_item("go"),
        user_event("go"),
        completed("go"),
        // Said again in one stream only (an older version writes no events): each is a message.
        answer_item("ok"),
        answer_item("ok"),
        // The copies of the second "go" prompt pair with it, not with the first.
        user_event("go"),
        completed("go"),
        user_item("go"),
    ];
    let (out, _, _) = run(&lines);
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["go", "ok", "ok", "go"]);
    let at = offsets(&lines);
    let got: Vec<u64> = out.iter().map(|m| m.line_offset).collect();
    assert_eq!(got, [at[0], at[3], at[4], at[5]]);

    // An answer said again in the next turn, in a stream its first saying was not seen in, is a new message.
    let agent_completed = line(
        "event_msg",
        json!({"type": "item_completed", "item": {"type": "AgentMessage", "content": [{"type": "Text", "text": "Done."}]}}),
    );
    let (out, _, _) = run(&[
        user_event("p1"),
        user_item("p1"),
        answer_item("Done."),
        answer_event("Done."),
        user_event("p2"),
        user_item("p2"),
        agent_completed,
    ]);
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["p1", "Done.", "p2", "Done."]);
}

#[test]
fn newest_item_completed_events_are_prompts_and_answers() {
    let user = line(
        "event_msg",
        json!({"type": "item_completed", "item": {"type": "UserMessage", "content": [{"type": "text", "text": "List the files", "text_elements": []}]}}),
    );
    let agent = line(
        "event_msg",
        json!({"type": "item_completed", "item": {"type": "AgentMessage", "content": [{"type": "Text", "text": "Two files."}]}}),
    );
    let other = line(
        "event_msg",
        json!({"type": "item_completed", "item": {"type": "Reasoning", "summary_text": [], "content": {"odd": 1}}}),
    );
    let (out, outcomes, _) = run(&[
        user,
        user_item("List the files"),
        other,
        agent,
        answer_item("Two files."),
    ]);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    assert_eq!(kinds(&out), [MessageKind::Human, MessageKind::Assistant]);
}

#[test]
fn an_envelope_between_agents_in_any_stream_is_one_answer_not_a_prompt() {
    let envelope =
        json!({"author": "/root", "recipient": "/root/worker", "content": "Run the suite",
        "trigger_turn": true})
        .to_string();
    let shown = ["[from /root to /root/worker]\nRun the suite"];
    // The event first (a user event, as a turn-starting envelope is sent), then its item: one message.
    let (out, outcomes, _) = run(&[
        line(
            "event_msg",
            json!({"type": "user_message", "message": envelope}),
        ),
        line(
            "response_item",
            json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": envelope}]}),
        ),
    ]);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    assert_eq!(
        out.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
        shown
    );
    assert_eq!(kinds(&out), [MessageKind::Assistant]);
    // A top-level `inter_agent_communication` record is its own message, never a copy of the envelope.
    let (out, _, _) = run(&[
        line(
            "response_item",
            json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": envelope}]}),
        ),
        line(
            "inter_agent_communication",
            json!({"author": "/root", "recipient": "/root/worker", "content": "Run the suite", "trigger_turn": true}),
        ),
    ]);
    assert_eq!(
        out.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
        [shown[0], shown[0]]
    );
    // The newest versions' `item_completed` event, alone.
    let (out, _, _) = run(&[line(
        "event_msg",
        json!({"type": "item_completed", "item": {"type": "UserMessage", "content": [{"type": "text", "text": envelope}]}}),
    )]);
    assert_eq!(
        out.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
        shown
    );
    assert_eq!(kinds(&out), [MessageKind::Assistant]);
}

#[test]
fn reasoning_written_after_its_answer_s_event_copy_is_kept() {
    // The order Codex 0.40 writes: the answer's event, then its reasoning and its response item.
    let lines = [
        user_item("why three requests?"),
        answer_event("Because of the prefetch."),
        line("event_msg", json!({"type": "token_count", "info": null})),
        reasoning("**Explaining dashboard query prefetching**"),
        answer_item("Because of the prefetch."),
        user_item("thanks"),
    ];
    let (out, _, a) = run(&lines);
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "why three requests?",
            "Because of the prefetch.",
            "[reasoning] **Explaining dashboard query prefetching**",
            "thanks"
        ]
    );
    assert_eq!(out[2].kind, MessageKind::Assistant);
    let at = offsets(&lines);
    assert_eq!(out[2].line_offset, at[4]);
    assert_eq!(out[2].uuid, format!("codex:{}", at[4]));
    // Beside the conversation: a child of the answer, and the next prompt still answers the answer.
    assert_eq!(out[2].parent_message_id, Some(out[1].message_id));
    assert_eq!(out[3].parent_message_id, Some(out[1].message_id));
    assert!(a.state.reasoning.is_empty());

    // Only after an `agent_message` event: reasoning between an `item_completed` copy and the item waits for
    // the next call, whose it may be.
    let agent_completed = line(
        "event_msg",
        json!({"type": "item_completed", "item": {"type": "AgentMessage", "content": [{"type": "Text", "text": "Done."}]}}),
    );
    let (out, _, _) = run(&[
        user_item("go"),
        agent_completed,
        reasoning("**Next, the tests**"),
        answer_item("Done."),
        shell_call("c1", "cargo test"),
    ]);
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "go",
            "Done.",
            "[reasoning] **Next, the tests**\n\n[tool: shell]\ncargo test"
        ]
    );

    // The response item first: the reasoning before it is its own, and a later event copy takes none of the
    // reasoning held for the next call.
    let (out, _, _) = run(&[
        reasoning("**Answering**"),
        answer_item("Done."),
        reasoning("**Next, the tests**"),
        answer_event("Done."),
        shell_call("c1", "cargo test"),
    ]);
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "[reasoning] **Answering**\n\nDone.",
            "[reasoning] **Next, the tests**\n\n[tool: shell]\ncargo test"
        ]
    );
}
