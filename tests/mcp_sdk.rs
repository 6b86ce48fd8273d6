//! `pipeline mcp` driven by a real client: the official MCP TypeScript SDK (`tests/mcp-client`, installed from npm
//! by `make mcp-client`). Without it (npm unreachable) the test says "skipped" and passes.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn client_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp-client"))
}

#[test]
fn the_official_typescript_sdk_client_lists_and_calls_the_tools() {
    if !client_dir()
        .join("node_modules/@modelcontextprotocol/sdk")
        .is_dir()
    {
        eprintln!(
            "skipped: the MCP SDK client is not installed (`make mcp-client` installs it from npm)"
        );
        return;
    }
    let src = tempdir();
    let data = tempdir();
    small_corpus(src.path());
    sync_ok(data.path(), src.path(), &[]);
    let query = "hello world script";
    let out = Command::new("node")
        .arg(client_dir().join("client.mjs"))
        .arg(bin())
        .arg(data.path())
        .arg(query)
        .output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    assert!(
        out.status.success(),
        "the SDK client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "client output is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });

    assert_eq!(got["server"]["name"], "pipeline", "{got}");
    let mut names: Vec<&str> = got["tools"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    names.sort();
    assert_eq!(names, MCP_TOOLS);
    for tool in got["tools"].as_array().cloned().unwrap_or_default() {
        assert!(
            tool["description"].as_str().is_some_and(|d| d.len() > 40),
            "a model is told what {} is for: {tool}",
            tool["name"]
        );
    }

    // The default answer: compact text within 4 KB, naming messages.
    let text = got["text"]["text"].as_str().unwrap_or_default();
    assert_eq!(got["text"]["isError"], false, "{text}");
    assert!(text.len() <= 4096 && text.contains(" · id "), "{text}");

    // JSON: the structured content is the CLI's --json report.
    assert_eq!(got["json"]["isError"], false, "{got}");
    let cli = search_report(data.path(), &[query, "--limit", "3"]);
    assert_eq!(
        got["json"]["structured"], cli,
        "SDK structured content == pipeline search --json"
    );
    let as_text: Value =
        serde_json::from_str(got["json"]["text"].as_str().unwrap_or_default()).unwrap_or_default();
    assert_eq!(as_text, cli, "the text block carries the same JSON");

    // Reading the first hit.
    assert_eq!(
        got["context"]["structured"]["message"]["message_id"], cli["hits"][0]["message_id"],
        "{got}"
    );

    // A bad filter is a tool error the model can read.
    assert_eq!(got["refused"]["isError"], true, "{got}");
    assert!(got["refused"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("valid kinds")));
}
