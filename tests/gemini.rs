//! Gemini CLI chats: a JSON chat is rewritten in place on every update, so it is read whole each time it changes
//! and only its new and changed messages are stored; a chat read mid-rewrite (not valid JSON) is retried, never
//! a failure; a message that left the chat keeps its points. The JSONL form is read like the other logs.

mod common;

use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const CHAT: &str =
    "1b37d21d2d347dc4deb92958752b51d6f657340fc961f32748333b8ed807a684/chats/session-2025-10-27T19-55-981c87cb.json";

/// A copy of the largest fixture chat under `<root>/<hash>/chats/`, and its JSON.
fn chat_copy(root: &Path) -> (PathBuf, Value) {
    let to = root.join(CHAT);
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    }
    let text =
        std::fs::read_to_string(gemini_fixtures().join(CHAT)).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&to, &text).unwrap_or_else(|e| panic!("{e}"));
    (
        to,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}")),
    )
}

/// Rewrites the chat in place, as Gemini CLI does on every update.
fn rewrite(path: &Path, chat: &Value) {
    let text = serde_json::to_string_pretty(chat).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
}

fn summary(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("run --json: {e}: {}", stderr(o)))
}

fn texts(data: &Path) -> Vec<String> {
    export_json(data)
        .iter()
        .map(|p| {
            p["payload"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn messages(chat: &mut Value) -> &mut Vec<Value> {
    chat["messages"]
        .as_array_mut()
        .unwrap_or_else(|| panic!("no messages"))
}

#[test]
fn a_rewritten_chat_stores_only_its_new_and_changed_messages() {
    let root = tempdir();
    let data = tempdir();
    let (path, mut chat) = chat_copy(root.path());
    let first = summary(&sync_ok(data.path(), root.path(), &["--json"]));
    let stored = first["messages"].as_u64().unwrap_or(0);
    assert!(stored >= 40, "{first}");
    let points_before = export(data.path()).len();

    // Gemini CLI appends a prompt and an answer, and rewrites the whole file.
    messages(&mut chat).push(
        json!({"id": "added-user-1", "timestamp": "2025-10-27T21:00:00.000Z", "type": "user",
        "content": "how do I make the pangolin agent remember earlier inputs"}),
    );
    messages(&mut chat).push(
        json!({"id": "added-gemini-1", "timestamp": "2025-10-27T21:00:05.000Z", "type": "gemini",
        "content": "Keep a history list in the pangolin loop and append every input to it."}),
    );
    rewrite(&path, &chat);
    let second = summary(&sync_ok(data.path(), root.path(), &["--json"]));
    assert_eq!(
        second["messages"], 2,
        "only the two new messages go on: {second}"
    );
    let now = texts(data.path());
    assert!(now.iter().any(|t| t.contains("remember earlier inputs")));
    assert_eq!(export(data.path()).len(), points_before + 2);

    // An edited message is stored again under its own id: no duplicate, the new text.
    messages(&mut chat)[0]["content"] = json!("Can you make me a quokka agent in python instead");
    rewrite(&path, &chat);
    let third = summary(&sync_ok(data.path(), root.path(), &["--json"]));
    assert_eq!(third["messages"], 1, "{third}");
    let now = texts(data.path());
    assert!(now.iter().any(|t| t.contains("quokka agent in python")));
    assert!(
        !now.iter()
            .any(|t| t.contains("ai agent in python that I can execute")),
        "the old text was replaced"
    );
    assert_eq!(export(data.path()).len(), points_before + 2);

    // Unchanged (touched only): nothing goes on.
    rewrite(&path, &chat);
    let fourth = summary(&sync_ok(data.path(), root.path(), &["--json"]));
    assert_eq!(fourth["messages"], 0, "{fourth}");

    // A message that leaves the chat keeps its points: the store is an archive of what was seen.
    messages(&mut chat).truncate(3);
    rewrite(&path, &chat);
    sync_ok(data.path(), root.path(), &[]);
    assert_eq!(export(data.path()).len(), points_before + 2);
    assert!(texts(data.path())
        .iter()
        .any(|t| t.contains("remember earlier inputs")));
}

#[test]
fn a_chat_read_mid_rewrite_is_retried_and_loses_nothing() {
    let root = tempdir();
    let data = tempdir();
    let (path, mut chat) = chat_copy(root.path());
    sync_ok(data.path(), root.path(), &[]);
    let before = export(data.path());

    // Half of the new file written when the run reads it.
    messages(&mut chat).push(
        json!({"id": "late-1", "type": "user", "timestamp": "2025-10-27T22:00:00.000Z",
        "content": "why does the narwhal import fail"}),
    );
    let whole = serde_json::to_string_pretty(&chat).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&path, &whole[..whole.len() / 2]).unwrap_or_else(|e| panic!("{e}"));
    let o = sync(data.path(), root.path(), &["--json"]);
    assert_eq!(
        code(&o),
        0,
        "a chat being rewritten is not a failure: {}",
        stderr(&o)
    );
    let err = stderr(&o);
    assert!(
        err.contains(&path.display().to_string()) && err.contains("not valid JSON yet"),
        "{err}"
    );
    assert_eq!(export(data.path()), before, "nothing stored is lost");

    std::fs::write(&path, &whole).unwrap_or_else(|e| panic!("{e}"));
    let s = summary(&sync_ok(data.path(), root.path(), &["--json"]));
    assert_eq!(s["messages"], 1, "{s}");
    assert!(texts(data.path())
        .iter()
        .any(|t| t.contains("narwhal import")));
}

#[test]
fn gemini_chats_are_searched_by_agent_beside_the_other_agents() {
    let data = tempdir();
    let gemini = gemini_fixtures();
    run_sources(data.path(), &[fixtures(), gemini.clone()]);
    let hits = search_hits(
        data.path(),
        &[
            "ai agent that executes python code",
            "--agent",
            "gemini-cli",
        ],
    );
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["agent"] == "gemini-cli"), "{hits:?}");
    let stats = stats_json(data.path(), &gemini);
    assert!(
        stats["store"]["by_agent"]["gemini-cli"]
            .as_u64()
            .is_some_and(|n| n >= 60),
        "{stats}"
    );
    // The JSONL form is read too.
    assert!(export_json(data.path())
        .iter()
        .any(|p| p["payload"]["source_path"]
            .as_str()
            .is_some_and(|s| s.ends_with(".jsonl"))
            && p["payload"]["agent"] == "gemini-cli"));
}

#[test]
fn a_plain_run_indexes_every_agent_found_in_the_home_directory() {
    let home = tempdir();
    copy_fixture(
        "-home-user-episodic-memory/tiny-conversation.jsonl",
        &home.path().join(".claude/projects/-home-me-app/tiny.jsonl"),
    );
    copy_dir(
        &codex_fixtures().join("2026/06/05"),
        &home.path().join(".codex/sessions/2026/06/05"),
    );
    copy_dir(
        &gemini_fixtures().join("d30f91067027d10192e4aed3e7b03fecf08089dd3370f047f14f38b1845c8042"),
        &home
            .path()
            .join(".gemini/tmp/d30f91067027d10192e4aed3e7b03fecf08089dd3370f047f14f38b1845c8042"),
    );
    let data = tempdir();
    let o = command(data.path(), &["run", "--json"])
        .env("HOME", home.path())
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("CODEX_HOME")
        .env_remove("GEMINI_CLI_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        agents_in(data.path()),
        ["claude-code", "codex", "gemini-cli"]
            .map(String::from)
            .into(),
        "no --source: every agent's default directory is read"
    );
    // CODEX_HOME moves Codex's directory: the default one is no longer read.
    let elsewhere = tempdir();
    let data = tempdir();
    let o = command(data.path(), &["run"])
        .env("HOME", home.path())
        .env("CODEX_HOME", elsewhere.path())
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("GEMINI_CLI_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(export_json(data.path())
        .iter()
        .all(|p| p["payload"]["agent"] != "codex"));
}

fn projects(data: &Path) -> BTreeSet<String> {
    values_of(&export_json(data), "project")
}

#[test]
fn chats_stored_under_a_hash_move_to_the_root_once_a_later_chat_names_it() {
    let (tmp, data) = (tempdir(), tempdir());
    let root = "/work/lantern-app";
    gemini_hash_dir_chat(
        tmp.path(),
        root,
        1,
        "Sketch the colour palette for the landing page",
        None,
    );
    sync_ok(data.path(), tmp.path(), &[]);
    let short = pipeline::source::gemini::short_hash_of_root(root);
    assert_eq!(
        projects(data.path()),
        [short.clone()].into(),
        "no path names the root yet"
    );

    // A later chat of the same directory reads a file under the root: every chat of it moves there.
    let naming = gemini_hash_dir_chat(
        tmp.path(),
        root,
        2,
        "Why does the palette panic on an empty list?",
        Some("/work/lantern-app/src/palette.rs"),
    );
    let o = sync_ok(data.path(), tmp.path(), &["--json"]);
    assert_eq!(summary(&o)["files_pending_at_start"], 2, "{}", stderr(&o));
    assert_eq!(projects(data.path()), [root.to_string()].into());
    let hits = search_hits(data.path(), &["colour palette", "--project", "lantern-app"]);
    assert!(
        hits.iter().any(|h| h["snippet"]
            .as_str()
            .is_some_and(|t| t.contains("colour palette"))),
        "the first chat is found under the root: {hits:?}"
    );

    // Once: the next run reads nothing again.
    let o = sync_ok(data.path(), tmp.path(), &["--json"]);
    assert_eq!(summary(&o)["files_pending_at_start"], 0, "{}", stderr(&o));

    // The chat that named the root is deleted (Gemini CLI prunes old chats); a new one names no path. The store
    // remembers the root, so the new chat joins its project instead of going back under the hash.
    std::fs::remove_file(&naming).unwrap_or_else(|e| panic!("{e}"));
    gemini_hash_dir_chat(
        tmp.path(),
        root,
        3,
        "Add a dark variant of the palette",
        None,
    );
    sync_ok(data.path(), tmp.path(), &[]);
    assert_eq!(projects(data.path()), [root.to_string()].into());
}
