//! The real chats in `$PIPELINE_FIXTURES/gemini-tmp` (default `../shared/fixtures`): five legacy JSON chats
//! (Gemini CLI 0.1x, one redacted by its authors) and one JSONL chat (sanitized values, `$set` records).

use super::*;
use crate::source::testing::{self, feed_all, split_lines, split_run};

pub(super) const JSONL_STAGE0: &str = "0b7dfb1274ee51b336813b17f2ddab1f56b6591f723e7314126bbd502c69e9c9/chats/session-2026-04-29T21-39-gemstage0.jsonl";
pub(super) const JSON_981C: &str = "1b37d21d2d347dc4deb92958752b51d6f657340fc961f32748333b8ed807a684/chats/session-2025-10-27T19-55-981c87cb.json";
const JSON_453A: &str = "cde655816f6d3e439a10953ef9e111dbe460d7de3bc212c414a03ede4bf0b307/chats/session-2025-10-29T10-36-453aa339.json";
const JSON_9C9A: &str = "cde655816f6d3e439a10953ef9e111dbe460d7de3bc212c414a03ede4bf0b307/chats/session-2025-10-29T10-36-9c9a14e1.json";
const JSON_F96C: &str = "cde655816f6d3e439a10953ef9e111dbe460d7de3bc212c414a03ede4bf0b307/chats/session-2025-10-29T10-36-f96c76b0.json";
const JSON_DCBE: &str = "d30f91067027d10192e4aed3e7b03fecf08089dd3370f047f14f38b1845c8042/chats/session-2026-06-05T04-59-dcbe78d3.json";

pub(super) const JSON_FILES: [&str; 5] = [JSON_981C, JSON_453A, JSON_9C9A, JSON_F96C, JSON_DCBE];

/// Messages per kind: human, assistant, tool_call, tool_result.
///
/// Checked independently of this code: a Python script written from the rules in the module doc, before the
/// Rust ran (json.load each chat; JSONL replayed with later ids replacing earlier ones and `$rewindTo`
/// truncating), then checked by reading the chats:
/// - stage0 (JSONL): 1 prompt; `g-assistant-1` has empty content and no thoughts (no answer), one
///   `run_shell_command` call with an `output`; `g-assistant-2` is the answer; the `$set` changes nothing.
/// - 981c87cb: 18 messages, 3 of them prompts; 15 gemini messages of which only the first has empty content (its
///   thought goes to its `list_directory` call): 14 answers; 13 tool calls (messages 1, 2, 5, 7-16), each with a
///   result (the cancelled `run_shell_command` and the failed relative `list_directory` give `error`s).
/// - 453aa339: 1 prompt, three call-only gemini messages (read_file, replace, read_file) and "Done.".
/// - 9c9a14e1 and f96c76b0: 1 prompt, one call-only message (read_file / write_file) and the final answer.
/// - dcbe78d3 (redacted): a prompt in parts and an answer with one thought.
const EXPECTED: [(&str, [usize; 4]); 6] = [
    (JSONL_STAGE0, [1, 1, 1, 1]),
    (JSON_981C, [3, 14, 13, 13]),
    (JSON_453A, [1, 1, 3, 3]),
    (JSON_9C9A, [1, 1, 1, 1]),
    (JSON_F96C, [1, 1, 1, 1]),
    (JSON_DCBE, [1, 1, 0, 0]),
];

pub(super) fn fixture(rel: &str) -> (String, Vec<u8>) {
    let path = testing::fixture("gemini-tmp", rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path.to_string_lossy().into_owned(), bytes)
}

/// A JSON chat written as Gemini CLI migrates it to JSONL on resume: its metadata, then one message a line.
fn as_jsonl(bytes: &[u8]) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let messages = doc
        .as_object_mut()
        .and_then(|o| o.remove("messages"))
        .and_then(|m| m.as_array().cloned())
        .unwrap_or_default();
    let mut out = serde_json::to_vec(&doc).unwrap_or_default();
    for m in messages {
        out.push(b'\n');
        out.extend(serde_json::to_vec(&m).unwrap_or_default());
    }
    out.push(b'\n');
    out
}

fn jsonl_messages(path: &str, bytes: &[u8]) -> Vec<Message> {
    let mut a = GeminiLogAssembler::new(path, GeminiLogState::default());
    let mut out = Vec::new();
    feed_all(&mut a, &split_lines(bytes), &mut out);
    a.flush(&mut out);
    out
}

pub(super) fn messages(rel: &str) -> Vec<Message> {
    let (path, bytes) = fixture(rel);
    if rel.ends_with(".jsonl") {
        jsonl_messages(&path, &bytes)
    } else {
        read_chat(&path, &bytes, None, &mut Counts::new()).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}

#[test]
fn counts_per_kind_match_the_hand_checked_numbers() {
    let kinds = [
        MessageKind::Human,
        MessageKind::Assistant,
        MessageKind::ToolCall,
        MessageKind::ToolResult,
    ];
    for (rel, expected) in EXPECTED {
        assert_eq!(
            testing::counts_of(&messages(rel), &kinds, rel),
            expected,
            "{rel}"
        );
    }
}

#[test]
fn sessions_projects_parents_and_timestamps() {
    for (rel, _) in EXPECTED {
        let (_, bytes) = fixture(rel);
        let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
        let top: serde_json::Value = serde_json::from_slice(if rel.ends_with(".jsonl") {
            first_line
        } else {
            &bytes
        })
        .unwrap_or_default();
        let session = top["sessionId"].as_str().unwrap_or("?");
        let hash = rel.split('/').next().unwrap_or("?");
        let out = messages(rel);
        assert_chain(&out);
        for m in &out {
            assert_eq!(m.session_id, session, "{rel}");
            // No `.project_root` or `projects.json` in the fixtures: the project is the directory whose SHA-256 is
            // the hash, found above an absolute path in the project's chats (computed beside the test with
            // Python's hashlib), else named by its hash.
            let expected = match hash {
                "1b37d21d2d347dc4deb92958752b51d6f657340fc961f32748333b8ed807a684" => {
                    "/Users/jnarowski/Dev/playground/src/test-project"
                }
                // 453aa339 names only `/tmp/gemini-test/...` (macOS resolves /tmp to /private/tmp): its siblings
                // name the root.
                "cde655816f6d3e439a10953ef9e111dbe460d7de3bc212c414a03ede4bf0b307" => {
                    "/private/tmp/gemini-test"
                }
                _ => hash.get(..12).unwrap_or(hash),
            };
            assert_eq!(m.cwd.as_deref(), Some(expected), "{rel}");
            assert!(
                m.timestamp.as_deref().is_some_and(|t| t.starts_with("20")),
                "{rel}"
            );
            assert_eq!(m.agent, Agent::GeminiCli);
        }
    }
}

#[test]
fn calls_results_and_thoughts_of_the_real_chats() {
    let out = messages(JSON_9C9A);
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts[0],
        "Read the file /tmp/gemini-test/sample.txt and tell me what it contains"
    );
    assert!(texts[1]
        .starts_with("[thinking] Reading the File: I've determined that the `read_file` tool"));
    assert!(texts[1].contains("\n\n[thinking] Double-Checking the Path: "));
    assert!(texts[1].ends_with("\n\n[tool: read_file] /private/tmp/gemini-test/sample.txt"));
    assert_eq!(
        out[1].uuid,
        "2fa2459f-7fe1-4810-9412-22a30f522eb4#call:read_file-1761734190726-4dfc76eb0c846"
    );
    assert_eq!(
        texts[2],
        "[result: read_file]\ntest content from gemini research"
    );
    assert_eq!(out[2].result_files, ["/private/tmp/gemini-test/sample.txt"]);
    assert_eq!(out[3].uuid, "f0c56c55-a319-44d1-9b7a-e612fe0ea220");

    let out = messages(JSON_981C);
    let errors: Vec<&str> = out
        .iter()
        .filter(|m| m.is_error)
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(
        errors,
        [
            "[result: run_shell_command, error]\n[Operation Cancelled] Reason: User cancelled the operation.",
            "[result: list_directory, error]\nPath must be absolute: ."
        ]
    );
    let shell: Vec<&str> = out
        .iter()
        .filter(|m| m.kind == MessageKind::ToolCall)
        .filter_map(|m| m.tool_calls.first())
        .filter(|c| c.name == "run_shell_command")
        .map(|c| c.input_summary.as_str())
        .collect();
    assert_eq!(
        shell.first().copied(),
        Some("python3\nRun the python3 interpreter in interactive mode.")
    );
    assert_eq!(shell.len(), 5);

    let out = messages(JSONL_STAGE0);
    assert_eq!(
        out[1].text,
        "[tool: run_shell_command]\nls -F\nList files in the current directory."
    );
    assert_eq!(out[1].uuid, "g-assistant-1#call:run_shell_command_stage0");
    assert_eq!(out[3].text, "Hello! I listed the files.");
    assert_eq!(out[3].parent_message_id, Some(out[2].message_id));
}

#[test]
fn each_json_chat_gives_the_same_messages_as_its_jsonl_migration() {
    for rel in JSON_FILES {
        let (path, bytes) = fixture(rel);
        let from_json = messages(rel);
        let jsonl_path = format!("{path}l");
        let from_jsonl: Vec<Message> = jsonl_messages(&jsonl_path, &as_jsonl(&bytes))
            .into_iter()
            .map(|m| Message {
                source_path: path.clone(),
                line_offset: 0,
                ..m
            })
            .collect();
        assert!(from_json == from_jsonl, "{rel}");
    }
}

#[test]
fn resuming_from_a_saved_state_gives_the_same_messages() {
    let (path, bytes) = fixture(JSONL_STAGE0);
    let mut files = vec![(path, bytes)];
    // The JSON chats as JSONL too: more lines, and tool calls and thoughts.
    for rel in JSON_FILES {
        let (path, bytes) = fixture(rel);
        files.push((format!("{path}l"), as_jsonl(&bytes)));
    }
    for (path, bytes) in files {
        let lines = split_lines(&bytes);
        let whole = jsonl_messages(&path, &bytes);
        let (split, state) = split_run(Agent::GeminiCli, &path, &lines, 0);
        assert_eq!(split, whole);
        for k in 1..=lines.len() {
            let (split, split_state) = split_run(Agent::GeminiCli, &path, &lines, k);
            assert!(split == whole, "{path}: differs when split after {k} lines");
            assert_eq!(
                split_state, state,
                "{path}: state differs when split after {k} lines"
            );
        }
    }
}
