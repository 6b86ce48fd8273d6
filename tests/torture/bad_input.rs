//! Bad input: random mutations of real lines, nasty files, damaged checkpoints.

use super::*;

/// One random mutation of a line: byte flips, truncation, an inserted quote or brace, a spliced value of the
/// wrong type, a deep nest, or bytes that are not UTF-8.
fn mutate(line: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut l = line.to_vec();
    if l.is_empty() {
        return l;
    }
    match rng.below(8) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(l.len());
                l[i] = rng.below(256) as u8;
            }
        }
        1 => l.truncate(rng.below(l.len())),
        2 => {
            let i = rng.below(l.len());
            l.insert(
                i,
                [b'"', b'{', b'}', b'[', b']', b',', b':', b'\\'][rng.below(8)],
            );
        }
        3 => {
            let text = String::from_utf8_lossy(&l).into_owned();
            let replacement = [
                "1e999",
                "-0",
                "null",
                "[]",
                "{}",
                "true",
                "\"\\ud800\"",
                "18446744073709551616",
            ][rng.below(8)];
            let keys = [
                "\"uuid\":",
                "\"parentUuid\":",
                "\"sessionId\":",
                "\"message\":",
                "\"content\":",
                "\"type\":",
                "\"id\":",
                "\"timestamp\":",
            ];
            let key = keys[rng.below(keys.len())];
            l = match text.find(key) {
                Some(i) => format!(
                    "{}{key}{replacement},\"x\":{}",
                    &text[..i],
                    &text[i + key.len()..]
                )
                .into_bytes(),
                None => text.into_bytes(),
            };
        }
        4 => {
            let depth = 50 + rng.below(500);
            l = format!(
                "{{\"type\":\"user\",\"message\":{{\"content\":{}1{}}}}}",
                "[".repeat(depth),
                "]".repeat(depth)
            )
            .into_bytes();
        }
        5 => {
            let i = rng.below(l.len());
            l.splice(i..i, [0xff, 0xfe, 0x00, 0xc3]);
        }
        6 => {
            // Duplicate keys.
            let text = String::from_utf8_lossy(&l).into_owned();
            l = text
                .replacen("{\"", "{\"type\":\"assistant\",\"", 1)
                .into_bytes();
        }
        _ => {
            l = l
                .iter()
                .map(|b| {
                    if *b == b'"' && rng.below(10) == 0 {
                        b'\''
                    } else {
                        *b
                    }
                })
                .collect();
        }
    }
    l
}

#[test]
fn random_mutations_of_real_lines_never_panic() {
    let seed = seed();
    let mut rng = Rng::new(seed);
    let lines = fixture_lines();
    assert!(lines.len() > 100);
    let rounds = if long_mode() { 200_000 } else { 20_000 };
    let (mut ok, mut repaired, mut malformed, mut messages) = (0u64, 0u64, 0u64, 0usize);
    let mut asm = Assembler::new("/fuzz/s.jsonl", AssemblerState::default());
    let mut out = Vec::new();
    for i in 0..rounds {
        let base = &lines[rng.below(lines.len())];
        let line = if rng.below(4) == 0 {
            base.clone()
        } else {
            mutate(base, &mut rng)
        };
        match asm.feed(i * 100, &line, &mut out) {
            LineOutcome::Ok => ok += 1,
            LineOutcome::Repaired(_) => repaired += 1,
            LineOutcome::Malformed(why) => {
                assert!(!why.is_empty());
                malformed += 1;
            }
        }
        messages += out.len();
        out.clear();
        if i % 1000 == 0 {
            asm.flush(&mut out);
            // The state survives a save and restore whatever it went through.
            let bytes = bincode::serde::encode_to_vec(asm.state(), bincode::config::standard())
                .unwrap_or_default();
            let (state, _): (AssemblerState, usize) =
                bincode::serde::decode_from_slice(&bytes, bincode::config::standard())
                    .unwrap_or_else(|e| panic!("{e}"));
            asm = Assembler::new("/fuzz/s.jsonl", state);
        }
    }
    eprintln!(
        "mutations: ok {ok}, repaired {repaired}, malformed {malformed}, messages {messages}"
    );
    torture_report(
        "parser-mutations",
        rounds,
        0,
        repaired + malformed,
        ok + repaired + malformed,
        0.0,
        Some(seed),
    );
    assert!(malformed > 0 && ok > 0);
}

#[test]
fn nasty_files_are_reported_by_file_and_offset_and_never_stop_the_run() {
    let src = tempdir();
    let data = tempdir();
    let dir = src.path().join("-nasty");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let good = |uuid: &str, text: &str| {
        format!(
            r#"{{"type":"user","uuid":"{uuid}","sessionId":"nasty","message":{{"content":"{text}"}}}}"#
        )
    };
    let nasty: Vec<Vec<u8>> = vec![
        format!("{{\"type\":\"user\",\"message\":{{\"content\":{}\"x\"{}}}}}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
        br#"{"type":"user","uuid":"a","timestamp":1e999,"message":{"content":"x"}}"#.to_vec(),
        br#"{"type":"user","type":"assistant","uuid":"b","message":{"content":"x"}}"#.to_vec(),
        br#"{"type":"assistant"}"#.to_vec(),
        br#"{"type":"user","uuid":["x"],"sessionId":{"a":1},"message":"not an object"}"#.to_vec(),
        br#"{"type":7,"uuid":null}"#.to_vec(),
        br#"{"type":"assistant","uuid":"c","message":{"id":5,"content":[{"type":"tool_use","name":9,"input":"x"}]}}"#.to_vec(),
        b"\x00\x01\x02 binary garbage \xff\xff".to_vec(),
        b"null".to_vec(),
        b"\r".to_vec(),
    ];
    let mut bytes = Vec::new();
    let mut offsets = Vec::new();
    bytes.extend(
        good(
            "00000000-0000-4000-8000-00000000000a",
            "before the nasty lines",
        )
        .into_bytes(),
    );
    bytes.push(b'\n');
    for n in &nasty {
        offsets.push(bytes.len());
        bytes.extend_from_slice(n);
        bytes.push(b'\n');
    }
    // A 50 MB line: longer than parse.max_line_bytes (32 MiB), skipped without being buffered whole.
    let huge_at = bytes.len();
    bytes.extend(std::iter::repeat_n(b'x', 50 << 20));
    bytes.push(b'\n');
    bytes.extend(
        good(
            "00000000-0000-4000-8000-00000000000b",
            "after the nasty lines",
        )
        .into_bytes(),
    );
    bytes.push(b'\n');
    let file = dir.join("nasty.jsonl");
    std::fs::write(&file, &bytes).unwrap_or_else(|e| panic!("{e}"));

    let o = sync_ok(data.path(), src.path(), &["--json"]);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    let path = file.to_str().unwrap_or_default();
    assert!(
        err.contains(&format!("{path}: byte {huge_at}: line of")),
        "{err}"
    );
    let reported = offsets
        .iter()
        .filter(|off| err.contains(&format!("{path}: byte {off}")))
        .count();
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    let malformed = summary["malformed_lines"].as_u64().unwrap_or(0);
    assert!(
        reported >= 6,
        "most nasty lines are rejected by offset: {reported}\n{err}"
    );
    assert_eq!(
        malformed as usize,
        reported + 1,
        "every rejection is counted (plus the 50 MB line)"
    );
    let texts: Vec<String> = export_json(data.path())
        .iter()
        .filter_map(|p| p["payload"]["text"].as_str().map(str::to_string))
        .collect();
    assert!(texts.iter().any(|t| t == "before the nasty lines"));
    assert!(texts.iter().any(|t| t == "after the nasty lines"));
    torture_report(
        "nasty-lines",
        nasty.len() as u64 + 1,
        0,
        malformed,
        texts.len() as u64,
        0.0,
        None,
    );
}

#[test]
fn damaged_checkpoints_are_recovered_by_rereading_the_file() {
    let src = tempdir();
    let data = tempdir();
    let file = src.path().join("-p/s.jsonl");
    std::fs::create_dir_all(file.parent().unwrap_or(src.path())).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(
        fixtures().join("-tmp-claude-reliability/hello-world-script.jsonl"),
        &file,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    sync_ok(data.path(), src.path(), &[]);
    let clean = export(data.path());
    let key = file.to_str().unwrap_or_default().to_string();
    for damage in ["truncate", "garbage", "wrong-version"] {
        {
            let store =
                pipeline::store::SyncState::open(data.path()).unwrap_or_else(|e| panic!("{e}"));
            let cp = store
                .checkpoint(&key)
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("checkpoint"));
            let mut bytes = pipeline::checkpoint::encode(&cp).unwrap_or_else(|e| panic!("{e}"));
            match damage {
                "truncate" => bytes.truncate(bytes.len() / 2),
                "garbage" => bytes.iter_mut().skip(4).for_each(|b| *b = !*b),
                _ => bytes[0] = 99,
            }
            store
                .put_raw_checkpoint(&key, &bytes)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let o = run(data.path(), &["health", "--json"]);
        assert_eq!(
            code(&o),
            1,
            "{damage}: an unreadable checkpoint makes health fail"
        );
        let o = sync_ok(data.path(), src.path(), &[]);
        assert!(
            stderr(&o).contains("unreadable"),
            "{damage}: {}",
            stderr(&o)
        );
        assert_same_export(&export(data.path()), &clean, damage);
        let o = run(data.path(), &["health"]);
        assert_eq!(code(&o), 0, "{damage}: healthy again after the re-read");
    }
    torture_report(
        "damaged-checkpoints",
        3,
        0,
        3,
        clean.len() as u64 * 3,
        0.0,
        None,
    );
}
