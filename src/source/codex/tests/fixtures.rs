//! The real rollouts in `$PIPELINE_FIXTURES/codex-sessions` (default `../shared/fixtures`), Codex 0.40 to 0.146.

use super::*;
use crate::source::testing::{self, feed_all, split_lines, split_run, stopping_points};

const FILE_0924A: &str =
    "2025/09/24/rollout-2025-09-24T19-22-20-01997e76-d124-7592-9cac-2ec05abbca08.jsonl";
const FILE_0924B: &str =
    "2025/09/24/rollout-2025-09-24T20-12-23-01997ea4-a70d-7da3-8c20-c736db82a7c5.jsonl";
const FILE_0925: &str =
    "2025/09/25/rollout-2025-09-25T08-02-05-0199812e-64f0-7f73-91fc-095dda01c36e.jsonl";
const FILE_0605: &str =
    "2026/06/05/rollout-2026-06-05T04-58-20-019e9625-802f-7e91-840a-cfe88d14117a.jsonl";
pub(super) const FILE_0803: &str =
    "2026/08/03/rollout-2026-08-03T10-48-56-019fc8be-3658-7ca3-9e29-000000000000.jsonl";

/// The 0.40 sessions (real, unsanitized).
const V040: [&str; 3] = [FILE_0924A, FILE_0924B, FILE_0925];
/// The sessions with real text (the 0803 catalogue is sanitized: many texts are the same placeholder).
const REAL: [&str; 4] = [FILE_0924A, FILE_0924B, FILE_0925, FILE_0605];

/// Messages per kind: human, assistant, tool_call, tool_result, summary.
///
/// Checked independently of this code: a Python script written from the rules in the module doc (not from
/// this code) counted them over the JSON, and the numbers were then checked by reading the records:
/// - 0924A: 13 `user_message` events, each paired with a `role: user` item whose IDE context has a request
///   (the 2 other user items are `<environment_context>`); 9 `agent_message` events, each paired with an
///   assistant item (4 turns were aborted); 123 `function_call`s (120 shell, 3 update_plan); 123 outputs of
///   which 2 are exec results with an empty `output`. Assistant messages also count the reasoning written
///   between an answer's event and its response item (a message of its own): 9 here, 2 in 0924B, 1 in 0925
///   (counted by a second script: a `reasoning` item with a summary whose next response item is an assistant
///   message already written as an `agent_message` event).
/// - 0924B: 2 prompts, 2 answers (+2 reasoning), 16 calls, 16 outputs of which 2 are empty.
/// - 0925: 2 prompts, 1 answer (the first turn ends without one; +1 reasoning), 57 calls, 57 outputs, none
///   empty.
/// - 0605: 1 prompt (the other user item is `<environment_context>`, the developer item is dropped), 1 answer.
/// - 0803 (catalogue, lines counted from 0; sanitizing made many texts the same placeholder): prompts: line 3's
///   event "List the files" (its line 5 item is the copy), line 70's placeholder event with a local image, and
///   line 84's identical placeholder event (a second event: a copy is only looked for in another stream), of
///   which line 100's `item_completed` UserMessage is the copy; answers: line 22 (line 23 is its event), the
///   inter-agent items of lines 32 and 115, and the `item_completed` AgentMessages of lines 101 and 109 (the
///   same placeholder twice in one stream, so two messages); calls: lines 8, 9,
///   11, 13, 42, 102, 113; results: lines 10, 12, 20, 27, 104, 114; summaries: the 5 `compacted` records
///   with a non-empty message (line 25's is empty).
const EXPECTED: [(&str, [usize; 5]); 5] = [
    (FILE_0924A, [13, 18, 123, 121, 0]),
    (FILE_0924B, [2, 4, 16, 14, 0]),
    (FILE_0925, [2, 2, 57, 57, 0]),
    (FILE_0605, [1, 1, 0, 0, 0]),
    (FILE_0803, [3, 5, 7, 6, 5]),
];

/// The file's complete lines with their byte offsets.
pub(super) fn read_lines(rel: &str) -> (String, Vec<(u64, Vec<u8>)>) {
    let path = testing::fixture("codex-sessions", rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path.to_string_lossy().into_owned(), split_lines(&bytes))
}

fn messages(rel: &str) -> Vec<Message> {
    let (path, lines) = read_lines(rel);
    let mut a = CodexAssembler::new(&path, CodexState::default());
    let mut out = Vec::new();
    feed_all(&mut a, &lines, &mut out);
    a.flush(&mut out);
    out
}

#[test]
fn counts_per_kind_match_the_hand_checked_numbers() {
    let kinds = [
        MessageKind::Human,
        MessageKind::Assistant,
        MessageKind::ToolCall,
        MessageKind::ToolResult,
        MessageKind::Summary,
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
fn a_prompt_or_answer_written_twice_is_stored_once() {
    for rel in REAL {
        let mut seen = std::collections::HashSet::new();
        for m in messages(rel) {
            if matches!(m.kind, MessageKind::Human | MessageKind::Assistant) {
                assert!(
                    seen.insert((m.kind, m.text.clone())),
                    "{rel}: duplicate {:?} at {}",
                    m.kind,
                    m.line_offset
                );
            }
        }
    }
}

#[test]
fn prompts_hold_no_injected_context_but_keep_the_ide_request() {
    for (rel, _) in EXPECTED {
        for m in messages(rel)
            .iter()
            .filter(|m| m.kind == MessageKind::Human)
        {
            for injected in [
                "<environment_context>",
                "# Context from my IDE setup",
                "## Open tabs",
            ] {
                assert!(
                    !m.text.contains(injected),
                    "{rel} at {}: {}",
                    m.line_offset,
                    m.text
                );
            }
        }
    }
    let prompts: Vec<String> = messages(FILE_0925)
        .into_iter()
        .filter(|m| m.kind == MessageKind::Human)
        .map(|m| m.text)
        .collect();
    assert_eq!(
        prompts.last().map(String::as_str),
        Some("Can you present the plan now?")
    );
    assert!(prompts
        .first()
        .is_some_and(|p| p.starts_with("Quality score")));
    let first = messages(FILE_0924B)
        .into_iter()
        .find(|m| m.kind == MessageKind::Human)
        .map(|m| m.text)
        .unwrap_or_default();
    assert!(
        first.starts_with("When I load the dashboard, I see 4 queries."),
        "{first}"
    );
    assert!(first.ends_with("\n[image]"), "{first}");
}

#[test]
fn results_are_joined_to_their_calls() {
    for rel in V040 {
        let out = messages(rel);
        for m in out.iter().filter(|m| m.kind == MessageKind::ToolResult) {
            let tool = m.result_of_tool.as_deref();
            // 0924A also calls update_plan three times; the others only shell.
            let allowed: &[&str] = if rel == FILE_0924A {
                &["shell", "update_plan"]
            } else {
                &["shell"]
            };
            assert!(
                tool.is_some_and(|t| allowed.contains(&t)),
                "{rel} at {}: {tool:?}",
                m.line_offset
            );
        }
        for m in out.iter().filter(|m| m.kind == MessageKind::ToolCall) {
            assert_eq!(m.tool_calls.len(), 1);
            let input = &m.tool_calls[0].input_summary;
            assert!(
                !input.starts_with('{') && !input.starts_with('['),
                "{rel}: {input}"
            );
        }
    }
    let out = messages(FILE_0924A);
    let patch_file = "apps/spectora-labs/src/domain/teams/services/getTeamsWithStats.ts";
    let is_patch = |m: &Message| {
        m.tool_calls
            .first()
            .is_some_and(|c| c.input_summary.contains("*** Begin Patch"))
    };
    let call = out
        .iter()
        .position(|m| {
            is_patch(m)
                && m.tool_calls.first().and_then(|c| c.file_path.as_deref()) == Some(patch_file)
        })
        .unwrap_or_else(|| panic!("no apply_patch call"));
    assert!(out[call].tool_calls[0]
        .input_summary
        .starts_with("apply_patch <<'PATCH'\n*** Begin Patch"));
    let result = &out[call + 1];
    assert_eq!(result.kind, MessageKind::ToolResult);
    assert_eq!(result.result_files, [patch_file]);
    assert!(!result.is_error);
    assert_eq!(
        out.iter()
            .filter(|m| is_patch(m) && m.tool_calls[0].file_path.is_some())
            .count(),
        29,
        "every apply_patch heredoc names its file"
    );
    // A file read with a shell command is touched by the call and its result.
    let read = "apps/spectora-labs/src/app/(protected)/settings/teams/components/TeamSheet.tsx";
    let call = out
        .iter()
        .position(|m| {
            m.tool_calls.first().is_some_and(|c| {
                c.input_summary == format!("sed -n '1,200p' '{read}'")
                    && c.file_path.as_deref() == Some(read)
            })
        })
        .unwrap_or_else(|| panic!("no sed read of {read}"));
    assert_eq!(out[call + 1].result_files, [read]);
    assert!(
        !out[call].text.contains(&format!("] {read}")),
        "the command shows the file; it is not named again: {}",
        out[call].text
    );
    let rejected = out
        .iter()
        .filter(|m| m.text.ends_with("patch rejected by user"))
        .collect::<Vec<_>>();
    assert_eq!(rejected.len(), 2);
    assert!(rejected
        .iter()
        .all(|m| m.result_files.len() == 1 && !m.is_error));
    // Exit code 1 from sed: an error; the first result of 0924B.
    let failed = messages(FILE_0924B)
        .into_iter()
        .find(|m| m.text.contains("No such file or directory"))
        .unwrap_or_else(|| panic!("no failed sed"));
    assert!(failed.is_error);
    assert!(failed
        .text
        .starts_with("[result: shell, error]\nsed: apps/"));
}

#[test]
fn sessions_cwd_branches_and_timestamps_are_set() {
    let cases = [
        (
            FILE_0924A,
            "01997e76-d124-7592-9cac-2ec05abbca08",
            Some("fix/team-optimization-v2"),
        ),
        (
            FILE_0924B,
            "01997ea4-a70d-7da3-8c20-c736db82a7c5",
            Some("feat/dashboard-refactor"),
        ),
        (
            FILE_0925,
            "0199812e-64f0-7f73-91fc-095dda01c36e",
            Some("feat/quality-page"),
        ),
        (FILE_0605, "019e9625-802f-7e91-840a-cfe88d14117a", None),
    ];
    for (rel, session, branch) in cases {
        let out = messages(rel);
        assert!(!out.is_empty());
        for m in &out {
            assert_eq!(m.session_id, session, "{rel}");
            assert_eq!(m.git_branch.as_deref(), branch, "{rel}");
            assert!(
                m.cwd.as_deref().is_some_and(|c| c.starts_with('/')),
                "{rel}"
            );
            assert!(
                m.timestamp.as_deref().is_some_and(|t| t.starts_with("20")),
                "{rel}"
            );
            assert_eq!(m.agent, Agent::Codex);
            assert!(!m.is_sidechain);
        }
    }
    // The catalogue holds 7 session_meta records (resumes, forks, subagent spawns): the first one's id stays.
    let out = messages(FILE_0803);
    assert!(out
        .iter()
        .all(|m| m.session_id == "019fc8be-3658-7ca3-9e29-000000000000"));
    assert!(out.iter().all(|m| !m.is_sidechain));
    assert_eq!(
        out.first().and_then(|m| m.cwd.as_deref()),
        Some("/tmp/repo")
    );
    assert_eq!(
        out.first().and_then(|m| m.timestamp.as_deref()),
        Some("2026-08-03T10:48:56.000Z")
    );
    assert_eq!(out.last().and_then(|m| m.timestamp.as_deref()), None);
    assert_eq!(out.first().map(|m| m.text.as_str()), Some("List the files"));
}

#[test]
fn resuming_from_a_saved_state_gives_the_same_messages() {
    for (rel, _) in EXPECTED {
        let (path, lines) = read_lines(rel);
        let (whole, state) = split_run(Agent::Codex, &path, &lines, 0);
        assert_eq!(messages(rel), whole);
        for k in stopping_points(lines.len()) {
            let (split, split_state) = split_run(Agent::Codex, &path, &lines, k);
            assert!(split == whole, "{rel}: differs when split after {k} lines");
            assert_eq!(
                split_state, state,
                "{rel}: state differs when split after {k} lines"
            );
        }
    }
}
