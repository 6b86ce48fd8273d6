//! `pipeline hooks`: install and uninstall on real-looking Claude Code settings files (other hooks present, other
//! keys, old entries, broken files), idempotent and leaving everything else as it was; and the installed hook
//! command itself, run as Claude Code runs it (`sh -c` with the hook input on stdin): it queues the session and
//! returns, a background drainer syncs it, and events close together fold into one sync.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A settings file as people have them: permissions, env, another tool's hooks (one on `Stop` too), a model.
const SAMPLE: &str = r#"{
  "permissions": {
    "allow": [
      "Bash(npm run lint)",
      "Read(~/.zshrc)"
    ],
    "deny": [
      "Bash(curl:*)"
    ]
  },
  "env": {
    "CLAUDE_CODE_ENABLE_TELEMETRY": "0"
  },
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [
          {
            "type": "command",
            "command": "~/.claude/hooks/check-bash.sh",
            "timeout": 5
          }
        ]
      }
    ],
    "Stop": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "notify-send 'Claude is done'"
          }
        ]
      }
    ]
  },
  "model": "opus"
}
"#;

/// `pipeline hooks ...` with HOME pointing at `home` (user scope) and no CLAUDE_CONFIG_DIR.
fn hooks(data: &Path, home: &Path, args: &[&str]) -> Output {
    let mut c = command(data, &["hooks"]);
    c.args(args)
        .env("HOME", home)
        .env_remove("CLAUDE_CONFIG_DIR");
    c.output().unwrap_or_else(|e| panic!("spawn: {e}"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn ours(v: &Value, event: &str) -> Vec<String> {
    v["hooks"][event]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .flat_map(|g| g["hooks"].as_array().cloned().unwrap_or_default())
        .filter_map(|h| h["command"].as_str().map(str::to_string))
        .filter(|c| c.ends_with("# added by `pipeline hooks install`"))
        .collect()
}

#[test]
fn install_and_uninstall_touch_only_their_own_entries() {
    let home = tempdir();
    let data = tempdir();
    let settings = home.path().join(".claude").join("settings.json");
    std::fs::create_dir_all(settings.parent().unwrap_or(home.path()))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&settings, SAMPLE).unwrap_or_else(|e| panic!("{e}"));

    let o = hooks(data.path(), home.path(), &["install"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let installed = read(&settings);
    let v: Value = serde_json::from_str(&installed).unwrap_or_else(|e| panic!("{e}"));
    let original: Value = serde_json::from_str(SAMPLE).unwrap_or_else(|e| panic!("{e}"));
    // Everything that was there is still there, in the same order.
    for key in ["permissions", "env", "model"] {
        assert_eq!(v[key], original[key], "{key}");
    }
    let keys: Vec<&String> = v
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["permissions", "env", "hooks", "model"]);
    assert_eq!(v["hooks"]["PreToolUse"], original["hooks"]["PreToolUse"]);
    assert_eq!(
        v["hooks"]["Stop"][0], original["hooks"]["Stop"][0],
        "the other Stop hook stays first"
    );
    for event in ["Stop", "SessionEnd"] {
        let mine = ours(&v, event);
        assert_eq!(mine.len(), 1, "{event}: {installed}");
        assert!(mine[0].contains("hooks run --budget 20s"), "{}", mine[0]);
        assert!(
            mine[0].contains(&data.path().to_string_lossy().to_string()),
            "{}",
            mine[0]
        );
    }
    let hook = &v["hooks"]["SessionEnd"][0]["hooks"][0];
    assert_eq!(
        hook["async"], true,
        "Claude Code does not wait for the hook: {hook}"
    );
    assert_eq!(
        hook["timeout"].as_u64(),
        Some(10),
        "the hook process only queues the event; the sync runs in the background: {hook}"
    );

    // Idempotent: a second install changes nothing, not even the file's bytes.
    let o = hooks(data.path(), home.path(), &["install"]);
    assert_eq!(code(&o), 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("already installed"));
    assert_eq!(read(&settings), installed);

    // Uninstall gives back the original file byte for byte; a second one changes nothing.
    let o = hooks(data.path(), home.path(), &["uninstall"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(read(&settings), SAMPLE);
    let o = hooks(data.path(), home.path(), &["uninstall"]);
    assert_eq!(code(&o), 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("nothing to remove"));
    assert_eq!(read(&settings), SAMPLE);
}

#[test]
fn scopes_missing_files_old_entries_and_broken_files() {
    let home = tempdir();
    let project = tempdir();
    let data = tempdir();
    let dir = project.path().to_str().unwrap_or_default();
    // Project and local scopes, no file yet: created; uninstall leaves an empty object.
    for (scope, file) in [
        ("project", "settings.json"),
        ("local", "settings.local.json"),
    ] {
        let path = project.path().join(".claude").join(file);
        let o = hooks(
            data.path(),
            home.path(),
            &["install", "--scope", scope, "--project-dir", dir],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let v: Value = serde_json::from_str(&read(&path)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ours(&v, "Stop").len(), 1);
        let o = hooks(
            data.path(),
            home.path(),
            &["uninstall", "--scope", scope, "--project-dir", dir],
        );
        assert_eq!(code(&o), 0);
        assert_eq!(read(&path), "{}\n");
    }
    assert!(
        !home.path().join(".claude").exists(),
        "user scope untouched"
    );

    // An entry from an older install (another binary path) is replaced, not duplicated.
    let settings = home.path().join(".claude").join("settings.json");
    std::fs::create_dir_all(settings.parent().unwrap_or(home.path()))
        .unwrap_or_else(|e| panic!("{e}"));
    let old = json!({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "/old/bin/pipeline hooks run # added by `pipeline hooks install`", "timeout": 30}]}]}});
    std::fs::write(
        &settings,
        serde_json::to_string_pretty(&old).unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = hooks(data.path(), home.path(), &["install", "--budget", "15"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&read(&settings)).unwrap_or_else(|e| panic!("{e}"));
    let stop = ours(&v, "Stop");
    assert_eq!(stop.len(), 1, "{v}");
    assert!(
        !stop[0].contains("/old/bin") && stop[0].contains("--budget 15s"),
        "{}",
        stop[0]
    );
    assert_eq!(v["hooks"]["Stop"][0]["hooks"][0]["async"], true);

    // A broken file (comments are not JSON) is refused and left as it was.
    let broken = "{\n  // my settings\n  \"model\": \"opus\"\n}\n";
    std::fs::write(&settings, broken).unwrap_or_else(|e| panic!("{e}"));
    let o = hooks(data.path(), home.path(), &["install"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("settings.json") && stderr(&o).contains("not valid JSON"),
        "{}",
        stderr(&o)
    );
    assert_eq!(read(&settings), broken);
}

/// Runs the installed hook command the way Claude Code does.
fn run_hook_command(command: &str, input: &str) -> (Output, Duration) {
    let start = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("sh: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait: {e}"));
    (out, start.elapsed())
}

#[test]
fn the_installed_hook_syncs_the_finished_session_within_its_budget() {
    let home = tempdir();
    let data = tempdir();
    // The user's regular sources: one project synced by `run` first.
    let src = tempdir();
    let fx = fixtures();
    let project = src.path().join("-tmp-demo");
    std::fs::create_dir_all(&project).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(
        fx.join("-home-user-episodic-memory/tiny-conversation.jsonl"),
        project.join("tiny.jsonl"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    sync_ok(data.path(), src.path(), &[]);
    let before = export(data.path()).len();

    // A session that just ended, with a subagent log, in the same sources.
    let session = "3f1c0d2e-0000-4000-8000-000000000001";
    let transcript = project.join(format!("{session}.jsonl"));
    std::fs::copy(
        fx.join("-tmp-claude-reliability/hello-world-script.jsonl"),
        &transcript,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sub = project.join(session).join("subagents");
    std::fs::create_dir_all(&sub).unwrap_or_else(|e| panic!("{e}"));
    let subagent = fx.join(
        "-home-user-spotter/4d5611e5-241a-462a-8d15-5122611a9569/subagents/agent-a2898e3.jsonl",
    );
    std::fs::copy(&subagent, sub.join("agent-a2898e3.jsonl")).unwrap_or_else(|e| panic!("{e}"));

    let o = hooks(data.path(), home.path(), &["install", "--budget", "20"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&read(&home.path().join(".claude/settings.json")))
        .unwrap_or_else(|e| panic!("{e}"));
    let command = ours(&v, "SessionEnd")
        .pop()
        .unwrap_or_else(|| panic!("no hook in {v}"));
    let input = json!({
        "session_id": session,
        "transcript_path": transcript,
        "cwd": "/tmp/demo",
        "hook_event_name": "SessionEnd",
        "reason": "prompt_input_exit",
    })
    .to_string();
    let (out, took) = run_hook_command(&command, &input);
    wait_for_drain(data.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "a hook keeps stdout clean: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        took < Duration::from_secs(20),
        "the hook took {took:?}, over its budget"
    );

    // Exactly the session's points were added: what a clean run over the same files stores.
    let after = export(data.path());
    let clean = tempdir();
    sync_ok(clean.path(), src.path(), &[]);
    assert_same_export(&after, &export(clean.path()), "after the hook");
    assert!(after.len() > before);
    assert!(
        after.iter().any(|l| l.contains("/subagents/")),
        "subagent log synced"
    );
    // The hook does not replace the sources `resume`, `stats` and the MCP sync use.
    let o = run(data.path(), &["stats", "--json"]);
    let s: Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(s["files"]["total"], json!(count_files(src.path())), "{s}");

    // Bad input: still exit 0, nothing on stdout, the reason logged.
    let (out, _) = run_hook_command(&command, "not json");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let log = read(&data.path().join("hooks.log"));
    assert!(log.contains("hook input"), "{log}");
}

/// Waits until the hook queue is empty and no drainer runs (at most 60 s).
fn wait_for_drain(data: &Path) {
    let start = Instant::now();
    loop {
        let queued = pipeline::hooks::queue::quiet_for(data)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_some();
        if !queued && !pipeline::hooks::queue::RunnerLock::is_held(data) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the hook queue never drained (queued: {queued})"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Ten hook events within a second (five sessions, each stopping twice): one sync covers them all, and stores
/// what a clean run over the same files stores.
#[test]
fn ten_events_within_a_second_start_one_sync() {
    let home = tempdir();
    let data = tempdir();
    let src = tempdir();
    let project = src.path().join("-tmp-demo");
    std::fs::create_dir_all(&project).unwrap_or_else(|e| panic!("{e}"));
    let fx = fixtures();
    let sources = [
        "-tmp-claude-reliability/hello-world-script.jsonl",
        "-tmp-claude-reliability/coverage-test-fix.jsonl",
        "-home-user-episodic-memory/tiny-conversation.jsonl",
    ];
    let mut transcripts = Vec::new();
    for i in 0..5 {
        let session = format!("5e55{i:04}-0000-4000-8000-000000000000");
        let path = project.join(format!("{session}.jsonl"));
        let text = read(&fx.join(sources[i % sources.len()]));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        transcripts.push((session, path));
    }
    // The user's sources, remembered by a run over an empty directory first.
    let empty = tempdir();
    sync_ok(data.path(), empty.path(), &[]);
    let runs_before = runs(data.path());

    let o = hooks(data.path(), home.path(), &["install"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&read(&home.path().join(".claude/settings.json")))
        .unwrap_or_else(|e| panic!("{e}"));
    let command = ours(&v, "Stop")
        .pop()
        .unwrap_or_else(|| panic!("no hook in {v}"));
    let fired = Instant::now();
    for round in 0..2 {
        for (session, path) in &transcripts {
            let input = json!({
                "session_id": session,
                "transcript_path": path,
                "hook_event_name": "Stop",
                "stop_hook_active": round > 0,
            })
            .to_string();
            let (out, _) = run_hook_command(&command, &input);
            assert_eq!(out.status.code(), Some(0));
            assert!(out.stdout.is_empty());
        }
    }
    eprintln!("10 hook events fired in {:?}", fired.elapsed());
    wait_for_drain(data.path());
    assert_eq!(
        runs(data.path()) - runs_before,
        1,
        "one sync for the ten events"
    );
    let clean = tempdir();
    sync_ok(clean.path(), src.path(), &[]);
    assert_same_export(
        &export(data.path()),
        &export(clean.path()),
        "after the hooks",
    );
}

/// Runs recorded in the data dir's history.
fn runs(data: &Path) -> usize {
    let store = pipeline::store::SyncState::open_reader(data).unwrap_or_else(|e| panic!("{e}"));
    pipeline::history::recent_runs(&store, 1000).len()
}

fn count_files(dir: &Path) -> usize {
    walk(dir).len()
}
