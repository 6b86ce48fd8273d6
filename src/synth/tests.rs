use super::rng::*;
use super::*;
use serde_json::{json, Value};
use std::collections::HashSet;

fn read(root: &Path, m: &SynthManifest) -> Vec<(PathBuf, Vec<u8>)> {
    let rel = |p: &PathBuf| p.strip_prefix(root).unwrap().to_path_buf();
    m.files
        .iter()
        .map(|p| (rel(p), std::fs::read(p).unwrap()))
        .collect()
}

fn is_uuid(s: &str) -> bool {
    let lens: Vec<usize> = s.split('-').map(str::len).collect();
    let hex = |c: char| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c);
    lens == [8, 4, 4, 4, 12] && s.chars().all(hex)
}

#[test]
fn deterministic_per_seed() {
    let run = |seed| {
        let dir = tempfile::tempdir().unwrap();
        read(
            dir.path(),
            &generate(dir.path(), &SynthSpec::small(seed)).unwrap(),
        )
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
    let s = |seed, index| session_bytes(seed, index, "/tmp/x", 200);
    assert_eq!(s(1, 2), s(1, 2));
    assert_ne!(s(1, 2), s(1, 3));
    assert_ne!(s(1, 2), s(2, 2));
}

/// Recounts the manifest from the files, classifying lines like a correct parser would.
#[test]
fn corpus_is_valid_and_matches_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let spec = SynthSpec {
        target_bytes: 2_000_000,
        ..SynthSpec::small(42)
    };
    let m = generate(dir.path(), &spec).unwrap();
    assert!(
        (1_400_000..2_600_000).contains(&m.total_bytes),
        "{}",
        m.total_bytes
    );
    let mut re = SynthManifest::default();
    let (mut progress, mut interleaved, mut images, mut subagents) = (0u64, false, 0, 0);
    let (mut msg_ids, mut tool_ids) = (HashSet::new(), HashSet::new());
    for (path, data) in read(dir.path(), &m) {
        re.total_bytes += data.len() as u64;
        assert!(data.ends_with(b"\n"));
        let sub = path.to_string_lossy().contains("/subagents/");
        let sid = path.iter().nth(1).unwrap().to_string_lossy().to_string();
        subagents += usize::from(sub);
        let (mut last_id, mut result_since) = (String::new(), false);
        for line in data.split_inclusive(|&b| b == b'\n') {
            let d: Value = serde_json::from_slice(line).unwrap();
            re.total_lines += 1;
            if let Some(u) = d["uuid"].as_str() {
                assert!(is_uuid(u), "{u}");
                assert_eq!(d["timestamp"].as_str().unwrap().len(), 24);
            }
            if sub {
                assert_eq!(
                    (&d["isSidechain"], d["sessionId"].as_str()),
                    (&json!(true), Some(&*sid))
                );
                assert!(d["agentId"].is_string());
            }
            let (kind, content) = (d["type"].as_str().unwrap(), &d["message"]["content"]);
            let blocks = content.as_array().cloned().unwrap_or_default();
            let has = |t: &str| blocks.iter().any(|b| b["type"] == t);
            match kind {
                "progress" | "file-history-snapshot" | "queue-operation" | "system" | "summary" => {
                    re.noise_lines += 1;
                    progress += u64::from(kind == "progress");
                }
                "assistant" if d["isApiErrorMessage"].is_null() => {
                    let id = d["message"]["id"].as_str().unwrap().to_string();
                    assert!(
                        id.starts_with("msg_")
                            && d["requestId"].as_str().unwrap().starts_with("req_")
                    );
                    interleaved |= id == last_id && result_since;
                    result_since = false;
                    for b in blocks.iter().filter(|b| b["type"] == "tool_use") {
                        assert!(tool_ids.insert(b["id"].as_str().unwrap().to_string()));
                    }
                    if id != last_id {
                        assert!(msg_ids.insert(id.clone()), "message id reused: {id}");
                        re.assistant_messages += 1;
                    }
                    last_id = id;
                }
                "user" if has("tool_result") => {
                    assert!(!d["toolUseResult"].is_null());
                    re.tool_results += 1;
                    result_since = true;
                }
                "user" if d["isCompactSummary"] == true => re.compact_summaries += 1,
                "user" if d["isMeta"] != true => {
                    images += usize::from(has("image"));
                    let first = blocks.first().map_or(content, |b| &b["text"]);
                    let text = first.as_str().unwrap();
                    let wrappers = ["<command-", "<local-command-", "[Request interrupted"];
                    re.human_prompts += u64::from(!wrappers.iter().any(|p| text.starts_with(p)));
                }
                _ => {}
            }
        }
    }
    let counts = |m: &SynthManifest| {
        let convo = (
            m.human_prompts,
            m.assistant_messages,
            m.tool_results,
            m.compact_summaries,
        );
        (m.total_bytes, m.total_lines, convo, m.noise_lines)
    };
    assert_eq!(counts(&re), counts(&m));
    assert!(m.compact_summaries > 0 && m.human_prompts > 5);
    let share = progress as f64 / m.total_lines as f64;
    assert!((0.55..=0.85).contains(&share), "progress share {share}");
    assert!(interleaved, "no message id split around a tool_result");
    assert!(images > 0, "no base64 image block");
    assert!(subagents > 0, "no subagent files");
}

#[test]
fn helpers() {
    assert_eq!(iso(BASE_MS), "2025-06-01T00:00:00.000Z");
    assert_eq!(iso(1_770_912_143_545), "2026-02-12T16:02:23.545Z");
    assert_eq!(base64(b"hello!?"), "aGVsbG8hPw==");
    assert_eq!(
        project_dir_name("/home/user/my_proj.x"),
        "-home-user-my-proj-x"
    );
    assert!(is_uuid(&Rng::new(1).uuid()));
    assert_eq!(clip("a\u{2192}b", 2), "a");
    let mut r = Rng::new(3);
    let words: HashSet<&str> = (0..500).map(|_| r.word("a|bb|c")).collect();
    assert_eq!(words, HashSet::from(["a", "bb", "c"]));
}
