//! Codex CLI rollouts beside Claude Code transcripts: one store, every payload naming its agent, search and
//! stats by agent, and bad or half-written input handled as for Claude Code.

mod common;

use common::*;
use std::path::Path;

/// The Claude Code and Codex fixtures synced into one store, once per test binary.
fn both_agents() -> &'static Path {
    static DATA: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DATA.get_or_init(|| {
        let data = tempdir();
        run_sources(data.path(), &[fixtures(), codex_fixtures()]);
        data
    })
    .path()
}

#[test]
fn every_point_names_the_agent_whose_file_it_came_from() {
    let codex_dir = codex_fixtures();
    let codex_dir = codex_dir.to_string_lossy();
    let points = export_json(both_agents());
    let mut by_agent = std::collections::BTreeMap::<String, usize>::new();
    for p in &points {
        let agent = p["payload"]["agent"].as_str().unwrap_or_default();
        let path = p["payload"]["source_path"].as_str().unwrap_or_default();
        let expected = if path.starts_with(codex_dir.as_ref()) {
            "codex"
        } else {
            "claude-code"
        };
        assert_eq!(agent, expected, "{path}");
        *by_agent.entry(agent.to_string()).or_default() += 1;
    }
    assert!(
        by_agent.get("codex").is_some_and(|n| *n > 500),
        "{by_agent:?}"
    );
    assert!(
        by_agent.get("claude-code").is_some_and(|n| *n > 500),
        "{by_agent:?}"
    );
    // Codex points carry the session's working directory as their project.
    assert!(points.iter().any(|p| p["payload"]["agent"] == "codex"
        && p["payload"]["project_name"] == "spectora-labs-monorepo-v2"));
}

#[test]
fn search_by_agent_finds_codex_only_content_and_leaves_it_out_for_claude_code() {
    let data = both_agents();
    // `useTeamWithStats` is a hook the Codex sessions read and edit; no Claude Code fixture names it.
    let hits = search_hits(
        data,
        &["useTeamWithStats hook", "--agent", "codex", "--limit", "5"],
    );
    assert!(!hits.is_empty(), "no Codex hit");
    for h in &hits {
        assert_eq!(h["agent"], "codex", "{h}");
    }
    assert!(hits.iter().any(|h| h["snippet"]
        .as_str()
        .is_some_and(|s| s.contains("useTeamWithStats"))));
    let claude = search_hits(
        data,
        &[
            "useTeamWithStats hook",
            "--agent",
            "claude-code",
            "--limit",
            "20",
        ],
    );
    assert!(
        claude.iter().all(|h| h["agent"] == "claude-code"),
        "{claude:?}"
    );
    let unfiltered = search_hits(data, &["useTeamWithStats hook", "--limit", "3"]);
    assert_eq!(
        unfiltered.first().map(|h| &h["agent"]),
        Some(&"codex".into())
    );
    let o = run(data, &["search", "x", "--agent", "cursor"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("valid agents: claude-code, codex, gemini-cli"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn stats_count_messages_by_agent() {
    let data = both_agents();
    let stats = stats_json(data, &codex_fixtures());
    let by_agent = &stats["store"]["by_agent"];
    let messages = stats["store"]["messages"].as_u64().unwrap_or(0);
    let codex = by_agent["codex"].as_u64().unwrap_or(0);
    let claude = by_agent["claude-code"].as_u64().unwrap_or(0);
    assert!(codex > 0 && claude > 0, "{by_agent}");
    assert_eq!(codex + claude, messages, "{stats}");
    let first_chunks = export_json(data)
        .iter()
        .filter(|p| p["payload"]["agent"] == "codex" && p["payload"]["chunk_index"] == 0)
        .count() as u64;
    assert_eq!(codex, first_chunks);
}

/// A rollout of real records: the first `lines` lines of the kvsankar fixture (Codex 0.135).
fn small_rollout(lines: usize) -> Vec<u8> {
    let path = codex_fixtures()
        .join("2026/06/05/rollout-2026-06-05T04-58-20-019e9625-802f-7e91-840a-cfe88d14117a.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    text.lines()
        .take(lines)
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect()
}

fn prompt_line(text: &str) -> String {
    serde_json::json!({
        "timestamp": "2026-06-05T05:00:00.000Z",
        "type": "response_item",
        "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    })
    .to_string()
}

#[test]
fn a_half_written_last_record_waits_and_a_bad_one_is_reported_with_file_and_byte() {
    let home = tempdir();
    let sessions = home.path().join("sessions/2026/06/05");
    std::fs::create_dir_all(&sessions).unwrap_or_else(|e| panic!("{e}"));
    let file =
        sessions.join("rollout-2026-06-05T04-58-20-019e9625-802f-7e91-840a-cfe88d14117a.jsonl");
    let mut bytes = small_rollout(11);
    let bad_at = bytes.len();
    bytes.extend_from_slice(
        b"{\"timestamp\":\"x\",\"type\":\"response_item\",\"payload\":\"not an object\"}\n",
    );
    bytes.extend_from_slice(prompt_line("quokka migration plan for the ledger service").as_bytes());
    bytes.push(b'\n');
    let whole = prompt_line("wombat rollback checklist");
    let (head, tail) = whole.split_at(whole.len() / 2);
    bytes.extend_from_slice(head.as_bytes());
    std::fs::write(&file, &bytes).unwrap_or_else(|e| panic!("{e}"));

    let data = tempdir();
    let root = home.path().join("sessions");
    let o = sync_ok(data.path(), &root, &[]);
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{}: byte {bad_at}", file.display())),
        "the bad record is named by file and byte: {err}"
    );
    let texts = |data: &Path| -> Vec<String> {
        export_json(data)
            .iter()
            .map(|p| {
                p["payload"]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    let stored = texts(data.path());
    assert!(
        stored.iter().any(|t| t.contains("quokka migration plan")),
        "a good record after a bad one is kept"
    );
    assert!(
        !stored.iter().any(|t| t.contains("wombat")),
        "a half-written record is not read"
    );

    append(&file, format!("{tail}\n").as_bytes());
    sync_ok(data.path(), &root, &[]);
    let stored = texts(data.path());
    assert!(
        stored
            .iter()
            .any(|t| t.contains("wombat rollback checklist")),
        "the completed record is read"
    );
    assert_eq!(
        stored
            .iter()
            .filter(|t| t.contains("quokka migration plan"))
            .count(),
        1,
        "resuming mid-file duplicates nothing"
    );
}

#[test]
fn a_claude_code_pipeline_leaves_rollouts_alone_and_a_codex_one_reads_only_them() {
    let root = tempdir();
    copy_dir(
        &codex_fixtures().join("2026/06/05"),
        &root.path().join("codex/2026/06/05"),
    );
    copy_fixture(
        "-home-user-episodic-memory/tiny-conversation.jsonl",
        &root.path().join("claude/-home-user-x/tiny.jsonl"),
    );
    let cfg = tempdir();
    let agents = |pipeline: &str| -> std::collections::BTreeSet<String> {
        let data = tempdir();
        let p = fine_grained_pipeline_of(cfg.path(), pipeline);
        sync_ok(
            data.path(),
            root.path(),
            &["--pipeline", p.to_str().unwrap_or_default()],
        );
        agents_in(data.path())
    };
    assert_eq!(agents("claude-code"), ["claude-code".to_string()].into());
    assert_eq!(agents("codex"), ["codex".to_string()].into());
    let data = tempdir();
    sync_ok(data.path(), root.path(), &[]);
    assert_eq!(
        agents_in(data.path()),
        ["claude-code".to_string(), "codex".to_string()].into(),
        "the built-in pipeline reads both"
    );
}

#[test]
fn a_forgotten_codex_session_and_a_forgotten_gemini_project_are_never_read_again() {
    let root = tempdir();
    copy_dir(
        &codex_fixtures().join("2026/06/05"),
        &root.path().join("codex/2026/06/05"),
    );
    let hash = "d30f91067027d10192e4aed3e7b03fecf08089dd3370f047f14f38b1845c8042";
    copy_dir(
        &gemini_fixtures().join(hash),
        &root.path().join("gemini").join(hash),
    );
    let data = tempdir();
    sync_ok(data.path(), root.path(), &[]);
    let agents = agents_in;
    assert!(agents(data.path()).contains("codex"));
    assert!(agents(data.path()).contains("gemini-cli"));
    for args in [
        [
            "forget",
            "--yes",
            "--session",
            "019e9625-802f-7e91-840a-cfe88d14117a",
        ],
        ["forget", "--yes", "--project", &hash[..12]],
    ] {
        let o = run(data.path(), &args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
    }
    assert!(agents(data.path()).is_empty(), "{:?}", agents(data.path()));
    // Runs after the forget leave them out: the rollout by its name, the chat by its project hash.
    sync_ok(data.path(), root.path(), &[]);
    assert!(
        agents(data.path()).is_empty(),
        "read again: {:?}",
        agents(data.path())
    );
}
