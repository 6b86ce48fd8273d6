//! Files that change under the pipeline: appended (with a partial last line completed later), truncated and
//! rewritten, deleted; and bad input, which is reported with file and byte offset and never stops the rest.

mod common;

use common::*;
use std::path::Path;

fn fixture_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("read fixture {rel}: {e}"))
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Two small real sessions, written (not copied: the fixtures are read-only, and tests rewrite these) at `a`
/// and `b`.
fn two_small_sessions(a: &Path, b: &Path) {
    write(
        a,
        &fixture_bytes("-home-user-episodic-memory/tiny-conversation.jsonl"),
    );
    write(b, &fixture_bytes("-home-user-spotter/short.jsonl"));
}

fn summary(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("summary json: {e}; stderr: {}", stderr(o)))
}

#[test]
fn appended_lines_and_a_completed_partial_line_yield_exactly_the_new_messages() {
    let src = tempdir();
    let data = tempdir();
    let file = src.path().join("-tmp-project/session.jsonl");
    let full = fixture_bytes("-tmp-claude-reliability/python-to-rust-port.jsonl");
    // Split in the middle of line 41.
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            full.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let split_line = line_starts[40];
    let split = split_line + (line_starts[41] - split_line) / 2;
    write(&file, &full[..split]);

    let first = summary(&sync_ok(data.path(), src.path(), &["--json"]));
    let e1 = export_json(data.path());
    assert!(!e1.is_empty());
    assert!(
        e1.iter().all(|p| p["payload"]["line_offset"]
            .as_u64()
            .is_some_and(|o| (o as usize) < split_line)),
        "nothing from the partial line may be stored"
    );
    let stats = stats_json(data.path(), src.path());
    assert_eq!(
        stats["files"]["complete"], 1,
        "a partial last line is not pending work"
    );
    // ... but it is reported, and once its file has not been written to for an hour, as stale.
    let files = &stats["files"];
    assert_eq!(files["unfinished_last_lines"], 1, "{files}");
    assert_eq!(
        files["bytes_in_unfinished_lines"],
        split - split_line,
        "{files}"
    );
    assert_eq!(files["stale_unfinished_lines"], 0, "{files}");
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .append(true)
        .open(&file)
        .and_then(|f| f.set_modified(two_hours_ago))
        .unwrap_or_else(|e| panic!("set mtime: {e}"));
    // (A file whose mtime changed is looked at again: the next run finds nothing new in it.)
    sync_ok(data.path(), src.path(), &[]);
    let files = stats_json(data.path(), src.path())["files"].clone();
    assert_eq!(files["stale_unfinished_lines"], 1, "{files}");
    let o = run(
        data.path(),
        &["stats", "--source", src.path().to_str().unwrap_or_default()],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("files ending in an unfinished line: 1 (") && text.contains("over an hour"),
        "{text}"
    );

    append(&file, &full[split..]);
    let second = summary(&sync_ok(data.path(), src.path(), &["--json"]));
    let e2 = export(data.path());
    let files = stats_json(data.path(), src.path())["files"].clone();
    assert_eq!(files["unfinished_last_lines"], 0, "{files}");

    // The same file synced in one go gives the same store.
    let clean = tempdir();
    sync_ok(clean.path(), src.path(), &[]);
    assert_same_export(&e2, &export(clean.path()), "append in two steps");

    // Run 2 emitted only messages starting at or after the split line, plus at most the message that was open
    // (an assistant response continued after the split).
    let e2j = export_json(data.path());
    let new_msgs = e2j
        .iter()
        .filter(|p| p["payload"]["chunk_index"] == 0)
        .filter(|p| {
            p["payload"]["line_offset"]
                .as_u64()
                .is_some_and(|o| o as usize >= split_line)
        })
        .count() as u64;
    let emitted = second["messages"].as_u64().unwrap_or(0);
    assert!(
        emitted >= new_msgs && emitted <= new_msgs + 1,
        "emitted {emitted}, new {new_msgs}"
    );
    assert!(first["messages"].as_u64().unwrap_or(0) + new_msgs >= 79);
}

#[test]
fn rewritten_file_is_resynced_and_deleted_file_keeps_its_points() {
    let src = tempdir();
    let data = tempdir();
    let a = src.path().join("-p/a.jsonl");
    let b = src.path().join("-p/b.jsonl");
    two_small_sessions(&a, &b);
    sync_ok(data.path(), src.path(), &[]);
    let before = export_json(data.path());
    let from = |pts: &[serde_json::Value], f: &Path| {
        pts.iter()
            .filter(|p| p["payload"]["source_path"] == f.to_str().unwrap_or_default())
            .count()
    };
    let a_points = from(&before, &a);
    assert!(a_points > 0);

    // Truncate and rewrite `a` with other content (shorter than the checkpoint).
    write(
        &a,
        &fixture_bytes("-tmp-claude-reliability/hello-world-script.jsonl")[..3000],
    );
    let o = sync_ok(data.path(), src.path(), &["--json"]);
    assert!(stderr(&o).contains("rewritten"), "{}", stderr(&o));
    let after = export_json(data.path());
    let texts: Vec<&str> = after
        .iter()
        .filter_map(|p| p["payload"]["text"].as_str())
        .collect();
    let hello = String::from_utf8_lossy(
        &fixture_bytes("-tmp-claude-reliability/hello-world-script.jsonl")[..3000],
    )
    .lines()
    .next()
    .map(str::to_string)
    .unwrap_or_default();
    let first_prompt: serde_json::Value = serde_json::from_str(&hello).unwrap_or_default();
    let prompt = first_prompt["message"]["content"]
        .as_str()
        .unwrap_or("")
        .trim()
        .to_string();
    if !prompt.is_empty() {
        assert!(
            texts
                .iter()
                .any(|t| t.contains(&prompt[..prompt.len().min(30)])),
            "new content synced"
        );
    }
    assert!(
        from(&after, &a) > a_points,
        "old points are kept, new ones added"
    );
    let stats = stats_json(data.path(), src.path());
    assert_eq!(stats["files"]["complete"], 2);

    // Delete `b`: its points stay.
    std::fs::remove_file(&b).unwrap_or_else(|e| panic!("{e}"));
    sync_ok(data.path(), src.path(), &[]);
    let final_export = export_json(data.path());
    assert_eq!(from(&final_export, &b), from(&before, &b));
    let stats = stats_json(data.path(), src.path());
    assert_eq!(stats["files"]["deleted"], 1);
}

#[test]
fn bad_input_is_reported_with_file_and_offset_and_the_rest_is_processed() {
    let src = tempdir();
    let data = tempdir();
    let dir = src.path().join("-p");
    let good = |uuid: &str, text: &str| {
        format!(
            r#"{{"type":"user","uuid":"{uuid}","parentUuid":null,"sessionId":"bad","cwd":"/p","timestamp":"2026-01-01T00:00:00.000Z","message":{{"role":"user","content":"{text}"}}}}"#
        )
        .into_bytes()
    };
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(good(
        "00000000-0000-4000-8000-000000000001",
        "first prompt after a BOM",
    ));
    bytes.push(b'\n');
    let malformed_at = bytes.len();
    bytes.extend_from_slice(b"{\"type\": \"user\", this is not json\n");
    let wrong_types_at = bytes.len();
    bytes.extend_from_slice(br#"{"type":"user","uuid":42,"message":{"content":["x"]}}"#);
    bytes.push(b'\n');
    // Invalid UTF-8 inside a string: repaired with U+FFFD, kept.
    let mut bad_utf8 = good("00000000-0000-4000-8000-000000000002", "caf__ au lait");
    let pos = bad_utf8.windows(2).position(|w| w == b"__").unwrap_or(0);
    bad_utf8[pos] = 0xff;
    bad_utf8[pos + 1] = 0xfe;
    bytes.extend(bad_utf8);
    bytes.push(b'\n');
    // A 5 MB line: a prompt with a base64 image.
    let image = "iVBORw0KGgo".repeat(5 * 1024 * 1024 / 11);
    bytes.extend(format!(
        r#"{{"type":"user","uuid":"00000000-0000-4000-8000-000000000003","sessionId":"bad","message":{{"content":[{{"type":"text","text":"what is in this screenshot?"}},{{"type":"image","source":{{"type":"base64","media_type":"image/png","data":"{image}"}}}}]}}}}"#
    ).into_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(
        b"\x00\x00\x00\n[1,2,3]\n\"just a string\"\n{\"type\":\"mystery-type\",\"x\":1}\n",
    );
    bytes.extend(good(
        "00000000-0000-4000-8000-000000000004",
        "last prompt still processed",
    ));
    bytes.push(b'\n');
    let bad = dir.join("bad.jsonl");
    write(&bad, &bytes);
    write(&dir.join("empty.jsonl"), b"");

    let o = sync_ok(data.path(), src.path(), &["--json"]);
    let err = stderr(&o);
    let bad_path = bad.to_str().unwrap_or_default();
    assert!(
        err.contains(&format!("{bad_path}: byte {malformed_at}")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{bad_path}: byte {wrong_types_at}")),
        "{err}"
    );
    assert!(err.contains("invalid UTF-8"), "{err}");
    let s = summary(&o);
    assert_eq!(
        s["malformed_lines"], 5,
        "not json, wrong types, NULs, array, string"
    );

    let texts: Vec<String> = export_json(data.path())
        .iter()
        .filter_map(|p| p["payload"]["text"].as_str().map(str::to_string))
        .collect();
    assert!(
        texts.iter().any(|t| t == "first prompt after a BOM"),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.starts_with("caf\u{fffd}")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t == "what is in this screenshot?\n[image]"),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t == "last prompt still processed"),
        "{texts:?}"
    );
    assert!(texts.iter().all(|t| !t.contains("iVBORw0KGgo")));
    let stats = stats_json(data.path(), src.path());
    assert_eq!(stats["malformed_lines"], 5);
    assert_eq!(
        stats["files"]["complete"], 2,
        "the empty file is complete too"
    );
}

/// Sets a path's permission bits.
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// `pipeline run --json --source <src>` with file permissions applying (see `unprivileged_command`).
fn run_unprivileged(data: &Path, src: &Path) -> Option<std::process::Output> {
    let Some(mut cmd) = unprivileged_command() else {
        eprintln!("skipped: running as root without setpriv");
        return None;
    };
    let o = cmd
        .arg("--data-dir")
        .arg(data)
        .args(["--quiet", "run", "--json", "--source"])
        .arg(src)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    Some(o)
}

/// A directory the user cannot read is reported and skipped; the rest is synced.
#[test]
fn unreadable_directory_is_reported_and_skipped() {
    let src = tempdir();
    let data = tempdir();
    two_small_sessions(
        &src.path().join("-ok/a.jsonl"),
        &src.path().join("-locked/b.jsonl"),
    );
    set_mode(&src.path().join("-locked"), 0o000);
    let o = run_unprivileged(data.path(), src.path());
    set_mode(&src.path().join("-locked"), 0o755);
    let Some(o) = o else { return };
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("-locked: cannot list directory"),
        "{}",
        stderr(&o)
    );
    let s = summary(&o);
    assert_eq!(s["files_completed"], 1);
    assert!(s["points_committed"].as_u64().unwrap_or(0) > 0);
}

/// A file that cannot be read is a warning counted in the summary, not work left: the run exits 0 when
/// everything readable is caught up (a loop on exit code 75 ends), the warning names the path once, and the next
/// run reads the file once it is readable.
#[test]
fn unreadable_file_is_a_warning_not_work_left() {
    let src = tempdir();
    let data = tempdir();
    let ok = src.path().join("-p/a.jsonl");
    let locked = src.path().join("-p/b.jsonl");
    two_small_sessions(&ok, &locked);
    set_mode(&locked, 0o000);
    let o = run_unprivileged(data.path(), src.path());
    set_mode(&locked, 0o644);
    let Some(o) = o else { return };
    assert_eq!(
        code(&o),
        0,
        "caught up on everything readable: {}",
        stderr(&o)
    );
    let err = stderr(&o);
    let locked_name = locked.to_string_lossy();
    let warning = err
        .lines()
        .find(|l| l.contains(locked_name.as_ref()))
        .unwrap_or_else(|| panic!("no warning names {locked_name}: {err}"));
    assert_eq!(
        warning.matches(locked_name.as_ref()).count(),
        1,
        "{warning}"
    );
    assert!(warning.contains("Permission denied"), "{warning}");
    let s = summary(&o);
    assert_eq!(s["stop_reason"], "caught_up", "{s}");
    assert_eq!(s["work_left"], false, "{s}");
    assert_eq!(s["files_unreadable"], 1, "{s}");
    assert_eq!(s["files_completed"], 1, "{s}");

    // Readable again: the next run reads it.
    let again = summary(&sync_ok(data.path(), src.path(), &["--json"]));
    assert_eq!(again["files_unreadable"], 0, "{again}");
    assert_eq!(again["files_completed"], 1, "{again}");
    assert!(
        again["points_committed"].as_u64().unwrap_or(0) > 0,
        "{again}"
    );
}

/// Text embedded once is never embedded again: a second copy of a session (other ids, same texts) is stored
/// entirely from the content-hash cache.
#[test]
fn repeated_texts_come_from_the_embedding_cache() {
    let src = tempdir();
    let data = tempdir();
    let original = fixture_bytes("-tmp-claude-reliability/hello-world-script.jsonl");
    write(&src.path().join("-p/one.jsonl"), &original);
    let first = summary(&sync_ok(data.path(), src.path(), &["--json"]));
    assert!(first["texts_embedded"].as_u64().unwrap_or(0) > 0);

    // Same conversation under another session id and other uuids.
    let text = String::from_utf8_lossy(&original).into_owned();
    let session = serde_json::from_str::<serde_json::Value>(
        text.lines()
            .find(|l| l.contains("sessionId"))
            .unwrap_or("{}"),
    )
    .ok()
    .and_then(|v| v["sessionId"].as_str().map(str::to_string))
    .unwrap_or_default();
    assert!(!session.is_empty());
    let copy = text
        .replace(&session, "11111111-2222-4333-8444-555555555555")
        .replace("\"uuid\":\"", "\"uuid\":\"copy-")
        .replace("\"parentUuid\":\"", "\"parentUuid\":\"copy-");
    write(&src.path().join("-p/two.jsonl"), copy.as_bytes());
    let second = summary(&sync_ok(data.path(), src.path(), &["--json"]));
    assert_eq!(second["texts_embedded"], 0, "{second}");
    assert_eq!(second["cache_hits"], second["points_committed"], "{second}");
    assert_eq!(second["points_committed"], first["points_committed"]);
}
