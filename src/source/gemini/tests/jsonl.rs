//! The JSONL form's records: repeated ids, `$set`, `$rewindTo`, and the bounded state.

use super::*;

fn line(v: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap_or_default()
}

fn id_of(out: &[Message], uuid: &str) -> Option<Uuid> {
    out.iter()
        .rev()
        .find(|m| m.uuid == uuid)
        .map(|m| m.message_id)
}

#[test]
fn a_repeated_id_replaces_the_message_under_the_same_parent() {
    let running = json!([{"id": "c1", "name": "run_shell_command", "args": {"command": "ls"},
                          "status": "executing", "timestamp": TS}]);
    let done = json!([call(
        "c1",
        "run_shell_command",
        json!({"command": "ls"}),
        json!({"output": "a.txt"}),
        "success"
    )]);
    let (out, outcomes, a) = run(&[
        line(metadata()),
        line(user("u1", json!("list the files"))),
        line(gemini("g1", "Listing.", &[], running)),
        line(json!({"$set": {"lastUpdated": TS}})),
        line(gemini("g1", "Listing them.", &[], done)),
        line(user("u2", json!("thanks"))),
    ]);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    let uuids: Vec<&str> = out.iter().map(|m| m.uuid.as_str()).collect();
    assert_eq!(
        uuids,
        [
            "u1",
            "g1",
            "g1#call:c1",
            "g1",
            "g1#call:c1",
            "g1#result:c1",
            "u2"
        ]
    );
    // Same ids, later text, same parents.
    assert_eq!(out[3].message_id, out[1].message_id);
    assert_eq!(out[3].text, "Listing them.");
    assert_eq!(out[3].parent_message_id, out[1].parent_message_id);
    assert_eq!(out[4].message_id, out[2].message_id);
    assert_eq!(out[4].parent_message_id, Some(out[3].message_id));
    assert_eq!(out[5].text, "[result: run_shell_command]\na.txt");
    // The next message follows the replaced message's last one.
    assert_eq!(out[6].parent_message_id, Some(out[5].message_id));
    assert_eq!(a.state.conversation.len(), 3);
}

#[test]
fn set_patches_the_session_id_and_project_hash() {
    let (out, outcomes, a) = run(&[
        line(metadata()),
        line(user("u1", json!("before"))),
        line(
            json!({"$set": {"sessionId": "resumed-session", "projectHash": "abc", "summary": "x",
                             "directories": ["/a"], "messages": [user("m", json!("ignored"))]}}),
        ),
        line(user("u2", json!("after"))),
        line(json!({"$set": {"lastUpdated": TS}})),
        line(user("u3", json!("still"))),
    ]);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    let sessions: Vec<(&str, Option<&str>)> = out
        .iter()
        .map(|m| (m.session_id.as_str(), m.cwd.as_deref()))
        .collect();
    assert_eq!(
        sessions,
        [
            (SESSION, Some(&HASH[..12])),
            ("resumed-session", Some("abc")),
            ("resumed-session", Some("abc"))
        ]
    );
    assert_eq!(out[1].message_id, ids::message_id("resumed-session", "u2"));
    // The parent chain goes on across the change.
    assert_chain(&out);
    assert_eq!(a.state.session_id.as_deref(), Some("resumed-session"));
}

#[test]
fn a_rewind_makes_the_next_message_follow_the_one_before_the_rewound_one() {
    let lines = [
        line(metadata()),
        line(user("u1", json!("first"))),
        line(gemini("g1", "answer one", &[], json!([]))),
        line(user("u2", json!("a prompt to take back"))),
        line(gemini("g2", "answer two", &[], json!([]))),
        line(json!({"$rewindTo": "u2"})),
        line(user("u3", json!("the prompt instead"))),
        line(gemini("g3", "answer three", &[], json!([]))),
        // A rewound id used again is a new message at the end.
        line(user("u2", json!("the first branch's prompt, again"))),
    ];
    let (out, outcomes, a) = run(&lines);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    let uuids: Vec<&str> = out.iter().map(|m| m.uuid.as_str()).collect();
    // The rewound messages are not emitted again.
    assert_eq!(uuids, ["u1", "g1", "u2", "g2", "u3", "g3", "u2"]);
    assert_eq!(out[4].parent_message_id, id_of(&out, "g1"));
    assert_eq!(out[5].parent_message_id, Some(out[4].message_id));
    assert_eq!(out[6].parent_message_id, Some(out[5].message_id));
    assert_eq!(out[6].message_id, out[2].message_id);
    assert_eq!(a.state.conversation.len(), 5);

    // Rewinding to the first message leaves the next one without a parent.
    let (out, _, _) = run(&[
        lines[0].clone(),
        lines[1].clone(),
        lines[2].clone(),
        line(json!({"$rewindTo": "u1"})),
        line(user("u9", json!("start over"))),
    ]);
    assert_eq!(out.last().map(|m| m.parent_message_id), Some(None));
}

#[test]
fn a_rewind_to_an_unknown_id_is_a_warning_and_changes_nothing() {
    let (out, _, mut a) = run(&[
        line(metadata()),
        line(user("u1", json!("first"))),
        line(gemini("g1", "answer", &[], json!([]))),
    ]);
    let before = a.state.clone();
    let mut more = Vec::new();
    let outcome = a.feed(1000, &line(json!({"$rewindTo": "never-seen"})), &mut more);
    assert!(
        matches!(&outcome, LineOutcome::Repaired(why) if why.contains("never-seen")),
        "{outcome:?}"
    );
    assert_eq!(a.state, before);
    let huge = "x".repeat(100_000);
    let outcome = a.feed(2000, &line(json!({"$rewindTo": huge})), &mut more);
    assert!(
        matches!(&outcome, LineOutcome::Repaired(why) if why.len() < 200),
        "{outcome:?}"
    );
    a.feed(3000, &line(user("u2", json!("next"))), &mut more);
    assert_eq!(more.len(), 1);
    assert_eq!(more[0].parent_message_id, id_of(&out, "g1"));
}

#[test]
fn a_file_may_start_with_a_message_and_meet_its_metadata_later() {
    let (out, outcomes, _) = run(&[
        line(user("u1", json!("no metadata yet"))),
        line(metadata()),
        line(user("u2", json!("now named"))),
    ]);
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Ok),
        "{outcomes:?}"
    );
    assert_eq!(out[0].session_id, "session-2025-10-29T10-36-5a1c0f6e");
    assert_eq!(out[0].cwd, None);
    assert_eq!(out[1].session_id, SESSION);
    assert_chain(&out);
}

#[test]
fn the_state_is_bounded_flush_emits_nothing_and_the_arm_is_gemini() {
    let mut lines = vec![line(metadata())];
    lines.extend((0..CONVERSATION_WINDOW + 88).map(|i| line(user(&format!("u{i}"), json!("hi")))));
    let (out, _, mut a) = run(&lines);
    assert_eq!(out.len(), CONVERSATION_WINDOW + 88);
    assert_eq!(a.state.conversation.len(), CONVERSATION_WINDOW);
    // The oldest places are forgotten: rewinding to them is a warning.
    let mut more = Vec::new();
    assert!(matches!(
        a.feed(1, &line(json!({"$rewindTo": "u0"})), &mut more),
        LineOutcome::Repaired(_)
    ));
    assert_eq!(
        a.feed(2, &line(json!({"$rewindTo": "u100"})), &mut more),
        LineOutcome::Ok
    );
    a.flush(&mut more);
    assert!(more.is_empty());
    assert!(matches!(a.state(), SourceState::GeminiLog(_)));
    // Overlong ids are not kept: a message with one is named by its offset.
    let long = "i".repeat(MAX_ID_BYTES + 1);
    let (out, _, a) = run(&[
        line(json!({"sessionId": long, "projectHash": long})),
        line(user(&long, json!("x"))),
    ]);
    assert_eq!(a.state.session_id, None);
    assert_eq!(a.state.project_hash, None);
    assert!(out.first().is_some_and(|m| m.uuid.starts_with("gemini:")));
}
