//! `pipeline mcp` spoken to as Claude Code would: initialize handshake, tools/list, every tool called and its
//! JSON checked against the CLI's, tool errors, malformed JSON-RPC, and a budgeted sync under the MCP limit.

mod common;

use common::mcp_client::Mcp;
use common::*;
use serde_json::{json, Value};
use std::io::BufRead;
use std::time::{Duration, Instant};

#[test]
fn every_tool_answers_like_the_cli() {
    let src = tempdir();
    let data = tempdir();
    small_corpus(src.path());
    sync_ok(data.path(), src.path(), &[]);
    let mut mcp = Mcp::start(data.path());

    let tools = mcp.request(2, "tools/list", json!({}));
    let mut names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    names.sort();
    assert_eq!(
        names,
        [
            "force_conversation_sync",
            "get_conversation_context",
            "get_sync_stats",
            "get_vector_db_health",
            "search_conversations"
        ]
    );
    let search_tool = tools["result"]["tools"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|t| t["name"] == "search_conversations")
                .cloned()
        })
        .unwrap_or_default();
    assert_eq!(search_tool["inputSchema"]["required"], json!(["query"]));
    for field in [
        "query",
        "limit",
        "project",
        "kind",
        "topic",
        "has_code",
        "since",
        "until",
        "session",
        "solutions",
        "context",
    ] {
        let prop = &search_tool["inputSchema"]["properties"][field];
        assert!(
            prop["description"].is_string(),
            "{field} has a described schema: {prop}"
        );
    }

    // search_conversations == pipeline search --json
    let query = "hello world script";
    let via_mcp = mcp.call_json(
        3,
        "search_conversations",
        json!({"query": query, "limit": 3}),
    );
    let o = run(data.path(), &["search", "--json", query, "--limit", "3"]);
    let via_cli: Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|h| h["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(!ids(&via_cli).is_empty());
    assert_eq!(ids(&via_mcp["hits"]), ids(&via_cli));

    // get_vector_db_health == pipeline health --json (point counts)
    let health = mcp.call_json(4, "get_vector_db_health", json!({}));
    let o = run(data.path(), &["health", "--json"]);
    assert_eq!(code(&o), 0);
    let cli_health: Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(health["healthy"], true);
    assert_eq!(health["points"], cli_health["points"]);
    assert_eq!(
        health["points"].as_u64(),
        Some(export(data.path()).len() as u64)
    );

    // get_sync_stats == pipeline stats --json (store section)
    let stats = mcp.call_json(5, "get_sync_stats", json!({}));
    let cli_stats = stats_json(data.path(), src.path());
    assert_eq!(stats["store"]["points"], cli_stats["store"]["points"]);
    assert_eq!(stats["store"]["by_kind"], cli_stats["store"]["by_kind"]);
    assert_eq!(stats["files"]["complete"], 2);

    // get_conversation_context: the hit and its tree neighbours.
    let hit = &via_mcp["hits"][0]["payload"];
    let ctx = mcp.call_json(
        6,
        "get_conversation_context",
        json!({"message_id": hit["message_id"], "n": 2}),
    );
    assert_eq!(ctx["message"]["message_id"], hit["message_id"]);
    if let Some(parent) = hit["parent_message_id"].as_str() {
        let before = ctx["before"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            before.last().map(|b| b["message_id"].clone()),
            Some(json!(parent))
        );
    }

    // A sync from a shell while the server runs: the next search sees the new messages (the server reopens
    // its index when the store changed).
    let extra = src.path().join("-tmp-demo/extra.jsonl");
    std::fs::write(
        &extra,
        concat!(
            r#"{"type":"user","uuid":"9d1f0c1e-0000-4000-8000-000000000001","sessionId":"extra","cwd":"/tmp/demo","#,
            r#""timestamp":"2026-03-01T10:00:00.000Z","message":{"role":"user","content":"zebra quasar frobnicator keeps crashing"}}"#,
            "\n"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    sync_ok(data.path(), src.path(), &[]);
    let fresh = mcp.call_json(
        13,
        "search_conversations",
        json!({"query": "zebra quasar frobnicator", "limit": 1}),
    );
    assert!(
        fresh["hits"][0]["payload"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("frobnicator")),
        "{fresh}"
    );

    // force_conversation_sync with nothing new: caught up.
    let sync = mcp.call_json(7, "force_conversation_sync", json!({"budget_seconds": 20}));
    assert_eq!(sync["work_left"], false, "{sync}");

    // Tool errors are readable MCP errors, and the server keeps serving.
    let (err, text) = mcp.call(
        8,
        "search_conversations",
        json!({"query": "x", "kind": ["robot"]}),
    );
    assert!(err && text.contains("valid kinds"), "{text}");
    let (err, text) = mcp.call(
        9,
        "get_conversation_context",
        json!({"message_id": "no-such-id"}),
    );
    assert!(err && text.contains("no stored message"), "{text}");
    let (err, text) = mcp.call(10, "force_conversation_sync", json!({"budget_seconds": -1}));
    assert!(err && text.contains("budget_seconds"), "{text}");

    // Malformed JSON-RPC: a well-formed request of the wrong shape gets a JSON-RPC error; unparsable bytes are
    // skipped (as the official SDKs do); neither ends the server.
    mcp.send_raw(r#"{"jsonrpc":"2.0","id":11,"method":17}"#);
    let mut line = String::new();
    mcp.stdout
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    let err: Value = serde_json::from_str(&line).unwrap_or_default();
    assert!(
        err["error"]["code"].is_i64(),
        "JSON-RPC error expected, got {line}"
    );
    mcp.send_raw("{this is not json");
    let again = mcp.request(12, "tools/list", json!({}));
    assert!(
        again["result"]["tools"].is_array(),
        "server still answers: {again}"
    );
    mcp.finish();
}

#[test]
fn budgeted_sync_returns_within_the_budget_and_reports_remaining_work() {
    let src = tempdir();
    let data = tempdir();
    large_synthetic_corpus(src.path(), 9);
    // Register the sources (a zero budget does no work).
    let o = sync(data.path(), src.path(), &["--budget", "0s"]);
    assert_eq!(code(&o), 75);

    let mut mcp = Mcp::start(data.path());
    let start = Instant::now();
    let summary = mcp.call_json(2, "force_conversation_sync", json!({"budget_seconds": 3}));
    let took = start.elapsed();
    assert!(took < Duration::from_millis(3700), "took {took:?}");
    assert_eq!(summary["work_left"], true, "{summary}");
    assert_eq!(summary["stop_reason"], "budget");
    // While idle, the server holds no lock: a shell run proceeds.
    let o = sync(data.path(), src.path(), &["--budget", "2s"]);
    assert!(matches!(code(&o), 0 | 75), "{}", stderr(&o));
    mcp.finish();
}
