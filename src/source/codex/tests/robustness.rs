//! Bad input (it will be fuzzed: nothing may panic) and redaction.

use super::*;

#[test]
fn bad_lines_are_outcomes_and_change_nothing() {
    let huge = format!("\"{}\"", "a".repeat(5_000_000));
    let deep = format!(
        "{{\"type\":\"response_item\",\"payload\":{{\"type\":\"message\",\"role\":\"user\",\"content\":{}{}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let invalid_utf8: Vec<u8> = user_item("caf@ ok")
        .into_iter()
        .map(|b| if b == b'@' { 0xff } else { b })
        .collect();
    let bad: Vec<Vec<u8>> = vec![
        b"{\"type\":\"response_item\",\"payload\":{\"type\":\"mess".to_vec(),
        b"[\"response_item\", \"x\", {}]".to_vec(),
        line("response_item", json!("just a string")),
        line("response_item", json!({"role": "user"})),
        line(
            "response_item",
            json!({"type": "message", "role": "user", "content": "not a list"}),
        ),
        line(
            "response_item",
            json!({"type": "function_call_output", "call_id": "c", "output": 5}),
        ),
        line(
            "response_item",
            json!({"type": "function_call", "call_id": "c"}),
        ),
        line("session_meta", json!({"id": 7})),
        line(
            "event_msg",
            json!({"type": "item_completed", "item": {"type": "UserMessage", "content": "x"}}),
        ),
        b"{\"payload\": {}}".to_vec(),
        b"{\"type\": 5}".to_vec(),
        b"{\"type\":\"event_msg\"}".to_vec(),
        huge.into_bytes(),
        deep.into_bytes(),
        b"\xff\xfe{".to_vec(),
    ];
    let mut a = CodexAssembler::new(PATH, CodexState::default());
    let mut out = Vec::new();
    a.feed(0, &reasoning("pending"), &mut out);
    let before = a.state.clone();
    for (i, l) in bad.iter().enumerate() {
        let outcome = a.feed(100 + i as u64, l, &mut out);
        match &outcome {
            LineOutcome::Malformed(why) => assert!(why.len() < 400, "{i}: {} chars", why.len()),
            other => panic!("line {i}: {other:?}"),
        }
        assert_eq!(a.state, before, "line {i} changed the state");
    }
    assert!(out.is_empty());
    assert_eq!(a.feed(1, b"", &mut out), LineOutcome::Ok);
    assert_eq!(a.feed(2, b" \r", &mut out), LineOutcome::Ok);
    assert!(matches!(
        a.feed(3, &invalid_utf8, &mut out),
        LineOutcome::Repaired(_)
    ));
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend(answer_item("after the bad lines"));
    bom.push(b'\r');
    assert_eq!(a.feed(4, &bom, &mut out), LineOutcome::Ok);
    assert_eq!(kinds(&out), [MessageKind::Human, MessageKind::Assistant]);
    assert_eq!(out[0].text, "caf\u{fffd} ok");
    assert_eq!(out[1].text, "after the bad lines");
    let surrogate =
        br#"{"type":"event_msg","payload":{"type":"user_message","message":"bad \ud800 half"}}"#;
    assert!(matches!(
        a.feed(5, surrogate, &mut out),
        LineOutcome::Repaired(_)
    ));
    assert_eq!(out.len(), 3);
}

#[test]
fn messages_the_assembler_is_fed_are_redacted_before_state_and_output() {
    let github = crate::source::testing::planted_github_token();
    let redactor = Redactor::builtin().unwrap_or_else(|e| panic!("{e}"));
    let mut a = CodexAssembler::new(PATH, CodexState::default()).with_redactor(Some(redactor));
    let mut out = Vec::new();
    let token_line = format!("export GITHUB_TOKEN={github}");
    for (i, l) in [
        user_item(&token_line),
        shell_call("c1", &token_line),
        call_output("c1", json!(token_line)),
        reasoning(&token_line),
    ]
    .iter()
    .enumerate()
    {
        a.feed(i as u64, l, &mut out);
    }
    let state =
        bincode::serde::encode_to_vec(&a.state, bincode::config::standard()).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&state).contains(&github));
    assert_eq!(out.len(), 3);
    for m in &out {
        assert!(!m.text.contains(&github), "{}", m.text);
        assert!(m.text.contains("[REDACTED:"), "{}", m.text);
    }
    let counts = a.take_redactions();
    assert_eq!(counts.values().sum::<u64>(), 4, "{counts:?}");
    assert!(a.take_redactions().is_empty());
}

#[test]
fn mangled_fixture_lines_never_panic() {
    let (path, lines) = super::fixtures::read_lines(super::fixtures::FILE_0803);
    let mut a = CodexAssembler::new(&path, CodexState::default());
    let mut out = Vec::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for (offset, l) in &lines {
        for cut in (0..l.len()).step_by(l.len() / 37 + 1) {
            a.feed(*offset, l.get(..cut).unwrap_or(&[]), &mut out);
        }
        for _ in 0..40 {
            let mut m = l.clone();
            for _ in 0..3 {
                let at = (next() % m.len().max(1) as u64) as usize;
                if let Some(b) = m.get_mut(at) {
                    *b = (next() % 256) as u8;
                }
            }
            a.feed(*offset, &m, &mut out);
        }
        a.feed(*offset, l, &mut out);
    }
    assert!(!out.is_empty());
}
