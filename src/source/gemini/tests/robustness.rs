//! Bad input (it will be fuzzed: nothing may panic) and redaction.

use super::fixtures::{fixture, JSONL_STAGE0, JSON_981C, JSON_FILES};
use super::*;
use crate::source::testing::split_lines;

fn chat(bytes: &[u8]) -> Result<Vec<Message>, ChatError> {
    read_chat(JSON_PATH, bytes, None, &mut Counts::new())
}

#[test]
fn a_truncated_chat_is_incomplete() {
    for rel in JSON_FILES {
        let (_, bytes) = fixture(rel);
        let whole = String::from_utf8_lossy(&bytes).trim_end().len();
        for cut in (0..whole).step_by(whole / 97 + 1).chain([1, whole - 1]) {
            let got = chat(bytes.get(..cut).unwrap_or(&[]));
            assert!(
                matches!(got, Err(ChatError::Incomplete(_))),
                "{rel} cut at {cut}: {got:?}"
            );
        }
        assert!(chat(&bytes).is_ok());
    }
    assert!(matches!(chat(b""), Err(ChatError::Incomplete(_))));
    assert!(matches!(chat(b"  \n"), Err(ChatError::Incomplete(_))));
}

#[test]
fn a_chat_of_the_wrong_shape_is_malformed() {
    for bad in [
        json!([{"sessionId": SESSION, "messages": []}]),
        json!("a string"),
        json!(null),
        json!({"sessionId": SESSION}),
        json!({"sessionId": SESSION, "messages": {"0": {}}}),
        json!({"sessionId": 7, "messages": []}),
        json!({"projectHash": ["x"], "messages": []}),
    ] {
        let got = chat(&serde_json::to_vec(&bad).unwrap_or_default());
        match got {
            Err(ChatError::Malformed(why)) => assert!(why.len() < 200, "{why}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert_eq!(chat(br#"{"messages": []}"#), Ok(Vec::new()));
}

#[test]
fn a_bad_message_is_skipped_and_the_others_kept() {
    let out = chat(&json_doc(&[
        user("u1", json!("first")),
        json!(["not", "a", "message"]),
        json!({"id": 5, "type": "user", "content": "numeric id"}),
        json!({"id": "b1", "type": 3, "content": "numeric type"}),
        json!({"id": "b2", "type": "user", "content": 42}),
        json!({"id": "b3", "type": "gemini", "content": "x", "toolCalls": "not a list"}),
        json!({"id": "b4", "type": "gemini", "content": "x", "thoughts": {"subject": "s"}}),
        json!({"id": "b5", "type": "gemini", "content": "x", "toolCalls": [7]}),
        json!({"id": "b6", "type": "gemini", "content": "x", "toolCalls": [{"name": "t", "result": true}]}),
        json!({"id": "w1", "type": "warning", "content": "a warning"}),
        json!({"id": "e1", "type": "error", "content": "an error"}),
        json!({"id": "n1", "content": "no type"}),
        json!({"id": "t1", "type": "gemini", "content": "odd fields", "timestamp": 5,
               "toolCalls": [{"args": [1, 2], "result": {"functionResponse": {"response": "plain"}}}]}),
        gemini("g1", "last", &[], json!([])),
    ]))
    .unwrap_or_else(|e| panic!("{e}"));
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "first",
            "odd fields",
            "[tool: unknown]\n[1,2]",
            "[result: unknown]\nplain",
            "last"
        ]
    );
    assert_eq!(out[2].uuid, "t1#call:0");
    assert_eq!(out[1].timestamp, None);
    assert_chain(&out);
}

#[test]
fn a_chat_with_invalid_utf8_or_lone_surrogates_is_repaired() {
    let mut bytes = json_doc(&[user("u1", json!("caf@ ok"))]);
    if let Some(at) = bytes.iter().position(|b| *b == b'@') {
        bytes[at] = 0xff;
    }
    let out = chat(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.first().map(|m| m.text.as_str()), Some("caf\u{fffd} ok"));
    let surrogate =
        br#"{"messages": [{"id": "u1", "type": "user", "content": "bad \ud800 half"}]}"#;
    assert_eq!(chat(surrogate).map(|m| m.len()), Ok(1));
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend(json_doc(&[user("u1", json!("hi"))]));
    assert_eq!(chat(&bom).map(|m| m.len()), Ok(1));
}

#[test]
fn bad_lines_are_outcomes_and_change_nothing() {
    let huge = format!("\"{}\"", "a".repeat(5_000_000));
    let deep = format!(
        "{{\"id\":\"d\",\"type\":\"user\",\"content\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let bad: Vec<Vec<u8>> = vec![
        b"{\"id\":\"u9\",\"type\":\"user\",\"content\":\"half".to_vec(),
        b"[\"u9\", \"user\"]".to_vec(),
        b"{}".to_vec(),
        b"{\"kind\": \"main\"}".to_vec(),
        br#"{"$rewindTo": 5}"#.to_vec(),
        br#"{"$set": "x"}"#.to_vec(),
        br#"{"$set": {"sessionId": 5}}"#.to_vec(),
        br#"{"sessionId": ["x"], "projectHash": "h"}"#.to_vec(),
        br#"{"id": 5, "type": "user", "content": "x"}"#.to_vec(),
        br#"{"id": "u9", "type": {"a": 1}, "content": "x"}"#.to_vec(),
        br#"{"id": "u9", "type": "user", "content": true}"#.to_vec(),
        br#"{"id": "g9", "type": "gemini", "toolCalls": {"a": 1}}"#.to_vec(),
        br#"{"id": "g9", "type": "gemini", "thoughts": "deep"}"#.to_vec(),
        br#"{"id": "g9", "type": "gemini", "toolCalls": [{"name": "t", "result": 1.5}]}"#.to_vec(),
        huge.into_bytes(),
        deep.into_bytes(),
        b"\xff\xfe{".to_vec(),
    ];
    let (_, _, mut a) = run(&[
        jsonl_lines(&[])[0].clone(),
        serde_json::to_vec(&user("u1", json!("hi"))).unwrap_or_default(),
    ]);
    let before = a.state.clone();
    let mut out = Vec::new();
    for (i, l) in bad.iter().enumerate() {
        match a.feed(100 + i as u64, l, &mut out) {
            LineOutcome::Malformed(why) => assert!(why.len() < 400, "{i}: {} chars", why.len()),
            other => panic!("line {i}: {other:?}"),
        }
        assert_eq!(a.state, before, "line {i} changed the state");
    }
    assert!(out.is_empty());
    assert_eq!(a.feed(1, b"", &mut out), LineOutcome::Ok);
    assert_eq!(a.feed(2, b" \r", &mut out), LineOutcome::Ok);
    let invalid: Vec<u8> = serde_json::to_vec(&user("u2", json!("caf@ ok")))
        .unwrap_or_default()
        .into_iter()
        .map(|b| if b == b'@' { 0xff } else { b })
        .collect();
    assert!(matches!(
        a.feed(3, &invalid, &mut out),
        LineOutcome::Repaired(_)
    ));
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend(
        serde_json::to_vec(&gemini("g2", "after the bad lines", &[], json!([])))
            .unwrap_or_default(),
    );
    bom.push(b'\r');
    assert_eq!(a.feed(4, &bom, &mut out), LineOutcome::Ok);
    let surrogate = br#"{"id": "u3", "type": "user", "content": "bad \ud800 half"}"#;
    assert!(matches!(
        a.feed(5, surrogate, &mut out),
        LineOutcome::Repaired(_)
    ));
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        ["caf\u{fffd} ok", "after the bad lines", "bad \u{fffd} half"]
    );
    assert_eq!(
        out[0].parent_message_id,
        Some(ids::message_id(SESSION, "u1"))
    );
}

#[test]
fn every_kept_text_is_redacted_before_state_and_output() {
    let github = crate::source::testing::planted_github_token();
    let secret = format!("export GITHUB_TOKEN={github}");
    let messages = [
        user("u1", json!(secret)),
        gemini(
            "g1",
            &secret,
            &[("Token", secret.as_str())],
            json!([call(
                "c1",
                "run_shell_command",
                json!({"command": secret, "file_path": secret}),
                json!({"output": secret}),
                "success"
            )]),
        ),
    ];
    let mut meta = metadata();
    meta["projectHash"] = json!(secret);
    let redactor = Redactor::builtin().unwrap_or_else(|e| panic!("{e}"));

    let mut counts = Counts::new();
    let mut doc = meta.clone();
    doc["messages"] = json!(messages);
    let bytes = serde_json::to_vec(&doc).unwrap_or_default();
    let from_json = read_chat(JSON_PATH, &bytes, Some(&redactor), &mut counts).unwrap_or_default();
    // The prompt, the answer, the thought, the call's command and path, the result, the project hash.
    assert_eq!(counts.values().sum::<u64>(), 7, "{counts:?}");

    let mut a = GeminiLogAssembler::new(JSONL_PATH, GeminiLogState::default())
        .with_redactor(Some(redactor));
    let mut from_jsonl = Vec::new();
    let lines = std::iter::once(meta)
        .chain(messages)
        .map(|v| serde_json::to_vec(&v).unwrap_or_default());
    for (i, l) in lines.enumerate() {
        a.feed(i as u64 * 10_000, &l, &mut from_jsonl);
    }
    let state =
        bincode::serde::encode_to_vec(&a.state, bincode::config::standard()).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&state).contains(&github));
    assert_eq!(a.take_redactions().values().sum::<u64>(), 7);
    assert!(a.take_redactions().is_empty());
    for out in [&from_json, &from_jsonl] {
        assert_eq!(out.len(), 4);
        for m in out.iter() {
            let shown = format!(
                "{} {:?} {:?} {:?}",
                m.text, m.cwd, m.tool_calls, m.result_files
            );
            assert!(!shown.contains(&github), "{shown}");
            assert!(m.text.contains("[REDACTED:"), "{}", m.text);
        }
    }
}

#[test]
fn mangled_chats_and_lines_never_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (_, bytes) = fixture(JSON_981C);
    for _ in 0..300 {
        let mut m = bytes.clone();
        for _ in 0..4 {
            let at = (next() % m.len().max(1) as u64) as usize;
            if let Some(b) = m.get_mut(at) {
                *b = (next() % 256) as u8;
            }
        }
        let _ = chat(&m);
    }
    let (path, bytes) = fixture(JSONL_STAGE0);
    let mut a = GeminiLogAssembler::new(&path, GeminiLogState::default());
    let mut out = Vec::new();
    for (offset, l) in split_lines(&bytes) {
        for cut in (0..l.len()).step_by(l.len() / 37 + 1) {
            a.feed(offset, l.get(..cut).unwrap_or(&[]), &mut out);
        }
        for _ in 0..200 {
            let mut m = l.clone();
            for _ in 0..3 {
                let at = (next() % m.len().max(1) as u64) as usize;
                if let Some(b) = m.get_mut(at) {
                    *b = (next() % 256) as u8;
                }
            }
            a.feed(offset, &m, &mut out);
        }
        a.feed(offset, &l, &mut out);
    }
    assert!(!out.is_empty());
}
