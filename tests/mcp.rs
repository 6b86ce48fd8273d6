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
    assert_eq!(names, MCP_TOOLS);
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

    // search_conversations with format json == pipeline search --json: one schema, the same ranking; the structured
    // content is the text content's JSON.
    let query = "hello world script";
    let result = mcp.call_result(
        3,
        "search_conversations",
        json!({"query": query, "limit": 3, "format": "json"}),
    );
    let via_mcp = result["structuredContent"].clone();
    let text: Value =
        serde_json::from_str(result["content"][0]["text"].as_str().unwrap_or_default())
            .unwrap_or_default();
    assert_eq!(text, via_mcp);
    let via_cli = search_report(data.path(), &[query, "--limit", "3"]);
    let ids = |v: &Value| -> Vec<String> {
        v["hits"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|h| h["message_id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(!ids(&via_cli).is_empty());
    assert_eq!(ids(&via_mcp), ids(&via_cli));
    assert_eq!(via_mcp, via_cli, "the same schema and values");

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
    // Compact JSON: indentation would be tokens the model pays for.
    let (err, text) = mcp.call(50, "get_sync_stats", json!({}));
    assert!(!err && !text.contains('\n'), "{text}");
    let cli_stats = stats_json(data.path(), src.path());
    assert_eq!(stats["store"]["points"], cli_stats["store"]["points"]);
    assert_eq!(stats["store"]["by_kind"], cli_stats["store"]["by_kind"]);
    assert_eq!(stats["files"]["complete"], 2);

    // get_conversation_context: the hit and its tree neighbours.
    let hit = &export_json(data.path())
        .into_iter()
        .map(|p| p["payload"].clone())
        .find(|p| p["message_id"] == via_mcp["hits"][0]["message_id"])
        .unwrap_or_default();
    let ctx = mcp.call_json(
        6,
        "get_conversation_context",
        json!({"message_id": hit["message_id"], "n": 2, "format": "json"}),
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
        json!({"query": "zebra quasar frobnicator", "limit": 1, "format": "json"}),
    );
    assert!(
        fresh["hits"][0]["snippet"]
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
    // One kind may be given alone, as models often write it.
    let (err, text) = mcp.call(
        80,
        "search_conversations",
        json!({"query": "x", "kind": "robot"}),
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

/// What a model gets from `search_conversations`: compact text within the byte budget, every hit naming its stored
/// message, a line saying how to get more, pages that continue where the last one stopped, and clear refusals.
#[test]
fn search_answers_fit_the_budget_name_their_messages_and_page() {
    let data = fixture_store();
    let stored: std::collections::HashSet<String> = export_json(data)
        .iter()
        .filter_map(|p| p["payload"]["message_id"].as_str().map(str::to_string))
        .collect();
    let mut mcp = Mcp::start(data);
    let query = "error when running the tests";

    // The default: text, at most 4 KB, for a 10-hit search over the fixtures.
    let (err, text) = mcp.call(
        2,
        "search_conversations",
        json!({"query": query, "limit": 10}),
    );
    assert!(!err, "{text}");
    assert!(text.len() <= 4096, "{} bytes:\n{text}", text.len());
    let ids: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.split_once(". [")
                .is_some_and(|(n, _)| n.parse::<usize>().is_ok())
        })
        .filter_map(|l| {
            l.rsplit_once(" · id ")
                .map(|(_, id)| id.split(' ').next().unwrap_or(id))
        })
        .collect();
    assert!(ids.len() >= 3, "several hits fit in 4 KB:\n{text}");
    for id in &ids {
        assert!(stored.contains(*id), "hit names a stored message: {id}");
    }
    let next: usize = text
        .rsplit_once("more with offset=")
        .and_then(|(_, rest)| rest.split('.').next()?.parse().ok())
        .unwrap_or_else(|| panic!("the text says how to get more:\n{text}"));
    assert_eq!(next, ids.len(), "the next page starts after the hits shown");

    // The next page, as JSON: it starts at rank next + 1, as the CLI's --offset does.
    let page = mcp.call_json(
        3,
        "search_conversations",
        json!({"query": query, "limit": 3, "offset": next, "format": "json"}),
    );
    assert_eq!(page["offset"], next);
    assert_eq!(page["hits"][0]["rank"], next + 1, "{page}");
    let cli = search_report(
        data,
        &[query, "--limit", "3", "--offset", &next.to_string()],
    );
    assert_eq!(page["hits"], cli["hits"], "MCP and CLI pages agree");
    let matched = page["matched"].as_u64().unwrap_or(0) as usize;
    assert_eq!(page["matched"], cli["matched"]);
    assert!(matched > next, "{page}");
    assert!(
        text.contains(&format!("of {matched}; more with offset={next}")),
        "the text says how many matched:\n{text}"
    );
    assert!(!ids.contains(&page["hits"][0]["message_id"].as_str().unwrap_or_default()));

    // A larger budget holds all 10; JSON is held to the budget too.
    let (_, big) = mcp.call(
        4,
        "search_conversations",
        json!({"query": query, "limit": 10, "max_bytes": 20000}),
    );
    assert!(big.len() <= 20000 && big.contains("\n10. ["), "{big}");
    let (_, as_json) = mcp.call(
        5,
        "search_conversations",
        json!({"query": query, "limit": 10, "format": "json"}),
    );
    assert!(as_json.len() <= 4096, "{} bytes", as_json.len());

    // Refusals name what is wrong.
    for (id, args, needle) in [
        (6, json!({"query": "x".repeat(1001)}), "at most 1000"),
        (
            7,
            json!({"query": query, "max_bytes": 100}),
            "max_bytes must be between",
        ),
        (
            8,
            json!({"query": query, "format": "xml"}),
            "valid formats: text, json",
        ),
    ] {
        let (err, text) = mcp.call(id, "search_conversations", args);
        assert!(err && text.contains(needle), "{needle}: {text}");
    }

    // A question the history never answers: no hit, and how to see the weak matches; include_weak shows them,
    // as the CLI's --weak does.
    let absent = "recipe for banana bread";
    let (err, text) = mcp.call(9, "search_conversations", json!({"query": absent}));
    assert!(
        !err && text.starts_with("No close match") && text.contains("include_weak=true"),
        "{text}"
    );
    let weak = mcp.call_json(
        10,
        "search_conversations",
        json!({"query": absent, "include_weak": true, "format": "json", "limit": 3}),
    );
    let cli = search_report(data, &[absent, "--weak", "--limit", "3"]);
    assert_eq!(weak["hits"], cli["hits"], "{weak}");
    assert_eq!(weak["hits"].as_array().map(Vec::len), Some(3), "{weak}");
    mcp.finish();
}

/// `get_conversation_context` as a model reads it: a long message in parts within the budget, continued from the
/// `start` it names; the neighbours asked for on each side, in short; farther ones left out (and said so) when the
/// budget is small.
#[test]
fn context_reads_a_long_message_in_parts_and_its_neighbours_within_the_budget() {
    let data = fixture_store();
    let payloads: Vec<Value> = export_json(data)
        .into_iter()
        .map(|p| p["payload"].clone())
        .collect();
    let longest = payloads
        .iter()
        .filter(|p| p["chunk_count"].as_u64() > Some(3) && p["chunk_index"] == 0)
        .max_by_key(|p| p["chunk_count"].as_u64())
        .unwrap_or_else(|| panic!("the fixtures hold a long message"));
    let id = longest["message_id"].clone();
    let mut mcp = Mcp::start(data);

    let (err, text) = mcp.call(2, "get_conversation_context", json!({"message_id": id}));
    assert!(!err, "{text}");
    assert!(text.len() <= 4096, "{} bytes:\n{text}", text.len());
    assert!(
        text.contains(&format!("id {}", id.as_str().unwrap_or_default())),
        "{text}"
    );
    let start: usize = text
        .rsplit_once("the rest with start=")
        .and_then(|(_, rest)| rest.split(']').next()?.parse().ok())
        .unwrap_or_else(|| panic!("a long message says where it continues:\n{text}"));

    let part = mcp.call_json(
        3,
        "get_conversation_context",
        json!({"message_id": id, "start": start, "before": 0, "after": 0, "format": "json"}),
    );
    let m = &part["message"];
    assert_eq!(m["text_start"], start, "{part}");
    let shown = m["text"].as_str().unwrap_or_default();
    assert!(!shown.is_empty());
    assert!(
        part["before"].as_array().is_some_and(Vec::is_empty),
        "{part}"
    );
    assert!(m["text_chars"].as_u64() > Some(start as u64));

    // Two earlier messages, none later: the nearest earlier one is the message's parent.
    let ctx = mcp.call_json(
        4,
        "get_conversation_context",
        json!({"message_id": id, "before": 2, "after": 0, "format": "json"}),
    );
    let before = ctx["before"].as_array().cloned().unwrap_or_default();
    assert!(!before.is_empty() && before.len() <= 2, "{ctx}");
    assert_eq!(
        before.last().map(|b| b["message_id"].clone()),
        Some(longest["parent_message_id"].clone())
    );
    assert!(ctx["after"].as_array().is_some_and(Vec::is_empty), "{ctx}");

    // Twenty on each side in 1 KB: the message's text keeps its room, the farthest neighbours give way.
    let (_, small) = mcp.call(
        5,
        "get_conversation_context",
        json!({"message_id": id, "before": 20, "after": 20, "max_bytes": 1024}),
    );
    assert!(small.len() <= 1024, "{} bytes:\n{small}", small.len());
    assert!(small.contains("left out for the byte budget"), "{small}");

    let (err, text) = mcp.call(
        6,
        "get_conversation_context",
        json!({"message_id": id, "format": "xml"}),
    );
    assert!(err && text.contains("valid formats"), "{text}");
    mcp.finish();
}
