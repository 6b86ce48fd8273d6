//! A full sync of the real fixtures: message counts per kind (hand-checked against the files), merged
//! assistant messages, subagent files, no base64 in any payload, enrichment present, a second run is a no-op.

mod common;

use common::*;
use std::collections::BTreeMap;

#[test]
fn full_sync_of_the_fixtures() {
    let data = tempdir();
    let fixtures = fixtures();
    let out = sync_ok(data.path(), &fixtures, &["--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(summary["stop_reason"], "caught_up");
    assert_eq!(summary["files_pending_at_start"], 11);
    assert_eq!(summary["files_completed"], 11);
    assert_eq!(summary["malformed_lines"], 0);

    let points = export_json(data.path());
    let firsts: Vec<&serde_json::Value> = points
        .iter()
        .map(|p| &p["payload"])
        .filter(|p| p["chunk_index"] == 0)
        .collect();

    // Counted by hand (and by an independent Python script) from the fixture files.
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for p in &firsts {
        *kinds
            .entry(p["kind"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
    }
    let expected: BTreeMap<String, u64> = [
        ("human", 13),
        ("assistant", 123),
        ("tool_call", 94),
        ("tool_result", 246),
        ("summary", 1),
        // 3 PostToolUse reminders only the compaction log holds, 4 `Stop hook feedback` lines (distinct texts).
        ("hook_feedback", 7),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(kinds, expected);

    // The big session: 139 distinct assistant message ids from 254 lines; 150 tool results; 3 prompts.
    let big = "4d5611e5-241a-462a-8d15-5122611a9569.jsonl";
    let in_big = |kind: &str| {
        firsts
            .iter()
            .filter(|p| {
                p["source_path"].as_str().is_some_and(|s| s.ends_with(big)) && p["kind"] == kind
            })
            .count()
    };
    assert_eq!(in_big("assistant") + in_big("tool_call"), 139);
    assert_eq!(in_big("tool_result"), 150);
    assert_eq!(in_big("human"), 3);
    assert_eq!(in_big("summary"), 1);

    // A merged message: text and a tool call from separate lines of one message.id.
    let merged = firsts
        .iter()
        .filter(|p| {
            p["kind"] == "assistant" && !p["tools_used"].as_array().is_none_or(|a| a.is_empty())
        })
        .count();
    assert!(
        merged > 20,
        "assistant messages that merged prose and tool calls: {merged}"
    );

    // Subagent files: sidechain messages with their agent id, under the parent's session. The compaction log is
    // a sidechain too, but only its 3 hook reminders are stored.
    let (compaction, sidechain): (Vec<&&serde_json::Value>, Vec<_>) = firsts
        .iter()
        .filter(|p| p["is_sidechain"] == true)
        .partition(|p| p["agent_id"] == "acompact-e1f845");
    assert_eq!(compaction.len(), 3);
    assert!(compaction.iter().all(|p| p["kind"] == "hook_feedback"));
    assert_eq!(
        sidechain.len(),
        46,
        "human 1 + tool results 33 + assistant 7 + tool calls 5"
    );
    assert!(sidechain.iter().all(|p| p["agent_id"] == "a2898e3"));
    assert!(sidechain
        .iter()
        .all(|p| p["session_id"] == "4d5611e5-241a-462a-8d15-5122611a9569"));

    // No base64 payloads anywhere; code punctuation kept.
    let base64_run = regex::Regex::new(r"[A-Za-z0-9+/=]{200,}").unwrap_or_else(|e| panic!("{e}"));
    for p in &points {
        let text = p["payload"]["text"].as_str().unwrap_or_default();
        assert!(!base64_run.is_match(text), "base64-like run in {}", p["id"]);
        assert!(!text.is_empty());
    }
    assert!(points.iter().any(|p| p["payload"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("{") && t.contains("=>"))));

    // Enrichment and identity.
    assert!(firsts
        .iter()
        .all(|p| p["enhancer_version"].as_u64()
            == Some(u64::from(pipeline::enhance::ENHANCER_VERSION))));
    assert!(firsts
        .iter()
        .all(|p| p["project"].as_str().is_some_and(|s| s.starts_with('/'))));
    assert!(
        firsts
            .iter()
            .filter(|p| p["is_solution_attempt"] == true)
            .count()
            > 10
    );
    assert!(
        firsts
            .iter()
            .filter(|p| p["parent_message_id"].is_string())
            .count()
            > 400
    );
    let ids: std::collections::BTreeSet<_> = points.iter().map(|p| p["id"].to_string()).collect();
    assert_eq!(ids.len(), points.len());

    // Files with no conversation (medium-conversation.jsonl) yield nothing, without error; the compaction run
    // only its hook reminders.
    assert!(!firsts.iter().any(|p| p["source_path"]
        .as_str()
        .is_some_and(|s| s.contains("medium-conversation")
            || (s.contains("acompact") && p["kind"] != "hook_feedback"))));

    // Nothing left: a second run does nothing and exits 0.
    let again = sync_ok(data.path(), &fixtures, &["--json"]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap_or_default();
    assert_eq!(again["files_pending_at_start"], 0);
    assert_eq!(again["points_committed"], 0);

    let stats = stats_json(data.path(), &fixtures);
    assert_eq!(stats["files"]["complete"], 11);
    assert_eq!(stats["files"]["percent_done"], 100.0);
    assert_eq!(
        stats["store"]["messages"],
        477 + 7,
        "477 conversation messages and 7 hook reminders"
    );
    assert_eq!(stats["store"]["points"].as_u64(), Some(points.len() as u64));
    assert_eq!(stats["estimated_runs_left"], 0);
}
