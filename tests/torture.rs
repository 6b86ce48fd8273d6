//! Trying to break it: nasty lines, random mutations of real lines, damaged checkpoints, an unwritable data dir,
//! and a writer appending to files while runs are killed. `make test` runs short versions; `make torture` sets
//! `PIPELINE_TORTURE=1` for long ones and prints the table. Seeds are printed; `PIPELINE_TEST_SEED` replays.

mod common;

use common::*;
use pipeline::transcript::{Assembler, AssemblerState, LineOutcome};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

fn long_mode() -> bool {
    std::env::var_os("PIPELINE_TORTURE").is_some()
}

fn fixture_lines() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for rel in [
        "-home-user-spotter/tool_heavy.jsonl",
        "-tmp-claude-reliability/python-to-rust-port.jsonl",
        "-home-user-episodic-memory/tiny-conversation.jsonl",
    ] {
        let bytes = std::fs::read(fixtures().join(rel)).unwrap_or_default();
        out.extend(
            bytes
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    out
}

/// One random mutation of a line: byte flips, truncation, an inserted quote or brace, a spliced value of the
/// wrong type, a deep nest, or bytes that are not UTF-8.
fn mutate(line: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut l = line.to_vec();
    if l.is_empty() {
        return l;
    }
    match rng.below(8) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(l.len() as u64) as usize;
                l[i] = rng.below(256) as u8;
            }
        }
        1 => l.truncate(rng.below(l.len() as u64) as usize),
        2 => {
            let i = rng.below(l.len() as u64) as usize;
            l.insert(
                i,
                [b'"', b'{', b'}', b'[', b']', b',', b':', b'\\'][rng.below(8) as usize],
            );
        }
        3 => {
            let text = String::from_utf8_lossy(&l).into_owned();
            let replacement = [
                "1e999",
                "-0",
                "null",
                "[]",
                "{}",
                "true",
                "\"\\ud800\"",
                "18446744073709551616",
            ][rng.below(8) as usize];
            let keys = [
                "\"uuid\":",
                "\"parentUuid\":",
                "\"sessionId\":",
                "\"message\":",
                "\"content\":",
                "\"type\":",
                "\"id\":",
                "\"timestamp\":",
            ];
            let key = keys[rng.below(keys.len() as u64) as usize];
            l = match text.find(key) {
                Some(i) => format!(
                    "{}{key}{replacement},\"x\":{}",
                    &text[..i],
                    &text[i + key.len()..]
                )
                .into_bytes(),
                None => text.into_bytes(),
            };
        }
        4 => {
            let depth = 50 + rng.below(500) as usize;
            l = format!(
                "{{\"type\":\"user\",\"message\":{{\"content\":{}1{}}}}}",
                "[".repeat(depth),
                "]".repeat(depth)
            )
            .into_bytes();
        }
        5 => {
            let i = rng.below(l.len() as u64) as usize;
            l.splice(i..i, [0xff, 0xfe, 0x00, 0xc3]);
        }
        6 => {
            // Duplicate keys.
            let text = String::from_utf8_lossy(&l).into_owned();
            l = text
                .replacen("{\"", "{\"type\":\"assistant\",\"", 1)
                .into_bytes();
        }
        _ => {
            l = l
                .iter()
                .map(|b| {
                    if *b == b'"' && rng.below(10) == 0 {
                        b'\''
                    } else {
                        *b
                    }
                })
                .collect();
        }
    }
    l
}

#[test]
fn random_mutations_of_real_lines_never_panic() {
    let seed = seed();
    let mut rng = Rng::new(seed);
    let lines = fixture_lines();
    assert!(lines.len() > 100);
    let rounds = if long_mode() { 200_000 } else { 20_000 };
    let (mut ok, mut repaired, mut malformed, mut messages) = (0u64, 0u64, 0u64, 0usize);
    let mut asm = Assembler::new("/fuzz/s.jsonl", AssemblerState::default());
    let mut out = Vec::new();
    for i in 0..rounds {
        let base = &lines[rng.below(lines.len() as u64) as usize];
        let line = if rng.below(4) == 0 {
            base.clone()
        } else {
            mutate(base, &mut rng)
        };
        match asm.feed(i * 100, &line, &mut out) {
            LineOutcome::Ok => ok += 1,
            LineOutcome::Repaired(_) => repaired += 1,
            LineOutcome::Malformed(why) => {
                assert!(!why.is_empty());
                malformed += 1;
            }
        }
        messages += out.len();
        out.clear();
        if i % 1000 == 0 {
            asm.flush(&mut out);
            // The state survives a save and restore whatever it went through.
            let bytes = bincode::serde::encode_to_vec(asm.state(), bincode::config::standard())
                .unwrap_or_default();
            let (state, _): (AssemblerState, usize) =
                bincode::serde::decode_from_slice(&bytes, bincode::config::standard())
                    .unwrap_or_else(|e| panic!("{e}"));
            asm = Assembler::new("/fuzz/s.jsonl", state);
        }
    }
    eprintln!(
        "mutations: ok {ok}, repaired {repaired}, malformed {malformed}, messages {messages}"
    );
    torture_report(
        "parser-mutations",
        rounds,
        0,
        repaired + malformed,
        ok + repaired + malformed,
        0.0,
        Some(seed),
    );
    assert!(malformed > 0 && ok > 0);
}

#[test]
fn nasty_files_are_reported_by_file_and_offset_and_never_stop_the_run() {
    let src = tempdir();
    let data = tempdir();
    let dir = src.path().join("-nasty");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let good = |uuid: &str, text: &str| {
        format!(
            r#"{{"type":"user","uuid":"{uuid}","sessionId":"nasty","message":{{"content":"{text}"}}}}"#
        )
    };
    let nasty: Vec<Vec<u8>> = vec![
        format!("{{\"type\":\"user\",\"message\":{{\"content\":{}\"x\"{}}}}}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
        br#"{"type":"user","uuid":"a","timestamp":1e999,"message":{"content":"x"}}"#.to_vec(),
        br#"{"type":"user","type":"assistant","uuid":"b","message":{"content":"x"}}"#.to_vec(),
        br#"{"type":"assistant"}"#.to_vec(),
        br#"{"type":"user","uuid":["x"],"sessionId":{"a":1},"message":"not an object"}"#.to_vec(),
        br#"{"type":7,"uuid":null}"#.to_vec(),
        br#"{"type":"assistant","uuid":"c","message":{"id":5,"content":[{"type":"tool_use","name":9,"input":"x"}]}}"#.to_vec(),
        b"\x00\x01\x02 binary garbage \xff\xff".to_vec(),
        b"null".to_vec(),
        b"\r".to_vec(),
    ];
    let mut bytes = Vec::new();
    let mut offsets = Vec::new();
    bytes.extend(
        good(
            "00000000-0000-4000-8000-00000000000a",
            "before the nasty lines",
        )
        .into_bytes(),
    );
    bytes.push(b'\n');
    for n in &nasty {
        offsets.push(bytes.len());
        bytes.extend_from_slice(n);
        bytes.push(b'\n');
    }
    // A 50 MB line: longer than parse.max_line_bytes (32 MiB), skipped without being buffered whole.
    let huge_at = bytes.len();
    bytes.extend(std::iter::repeat_n(b'x', 50 << 20));
    bytes.push(b'\n');
    bytes.extend(
        good(
            "00000000-0000-4000-8000-00000000000b",
            "after the nasty lines",
        )
        .into_bytes(),
    );
    bytes.push(b'\n');
    let file = dir.join("nasty.jsonl");
    std::fs::write(&file, &bytes).unwrap_or_else(|e| panic!("{e}"));

    let o = sync_ok(data.path(), src.path(), &["--json"]);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    let path = file.to_str().unwrap_or_default();
    assert!(
        err.contains(&format!("{path}: byte {huge_at}: line of")),
        "{err}"
    );
    let reported = offsets
        .iter()
        .filter(|off| err.contains(&format!("{path}: byte {off}")))
        .count();
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    let malformed = summary["malformed_lines"].as_u64().unwrap_or(0);
    assert!(
        reported >= 6,
        "most nasty lines are rejected by offset: {reported}\n{err}"
    );
    assert_eq!(
        malformed as usize,
        reported + 1,
        "every rejection is counted (plus the 50 MB line)"
    );
    let texts: Vec<String> = export_json(data.path())
        .iter()
        .filter_map(|p| p["payload"]["text"].as_str().map(str::to_string))
        .collect();
    assert!(texts.iter().any(|t| t == "before the nasty lines"));
    assert!(texts.iter().any(|t| t == "after the nasty lines"));
    torture_report(
        "nasty-lines",
        nasty.len() as u64 + 1,
        0,
        malformed,
        texts.len() as u64,
        0.0,
        None,
    );
}

#[test]
fn damaged_checkpoints_are_recovered_by_rereading_the_file() {
    let src = tempdir();
    let data = tempdir();
    let file = src.path().join("-p/s.jsonl");
    std::fs::create_dir_all(file.parent().unwrap_or(src.path())).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(
        fixtures().join("-tmp-claude-reliability/hello-world-script.jsonl"),
        &file,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    sync_ok(data.path(), src.path(), &[]);
    let clean = export(data.path());
    let key = file.to_str().unwrap_or_default().to_string();
    for damage in ["truncate", "garbage", "wrong-version"] {
        {
            let store =
                pipeline::store::EmbeddedStore::open(data.path()).unwrap_or_else(|e| panic!("{e}"));
            let cp = store
                .checkpoint(&key)
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("checkpoint"));
            let mut bytes = pipeline::checkpoint::encode(&cp).unwrap_or_else(|e| panic!("{e}"));
            match damage {
                "truncate" => bytes.truncate(bytes.len() / 2),
                "garbage" => bytes.iter_mut().skip(4).for_each(|b| *b = !*b),
                _ => bytes[0] = 99,
            }
            store
                .put_raw_checkpoint(&key, &bytes)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let o = run(data.path(), &["health", "--json"]);
        assert_eq!(
            code(&o),
            1,
            "{damage}: an unreadable checkpoint makes health fail"
        );
        let o = sync_ok(data.path(), src.path(), &[]);
        assert!(
            stderr(&o).contains("unreadable"),
            "{damage}: {}",
            stderr(&o)
        );
        assert_same_export(&export(data.path()), &clean, damage);
        let o = run(data.path(), &["health"]);
        assert_eq!(code(&o), 0, "{damage}: healthy again after the re-read");
    }
    torture_report(
        "damaged-checkpoints",
        3,
        0,
        3,
        clean.len() as u64 * 3,
        0.0,
        None,
    );
}

#[test]
fn an_unwritable_data_dir_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let Some(mut cmd) = unprivileged_command() else {
        eprintln!("skipped: root without setpriv");
        return;
    };
    let root = tempdir();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o777))
        .unwrap_or_else(|e| panic!("{e}"));
    let data = root.path().join("data");
    std::fs::create_dir_all(&data).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555))
        .unwrap_or_else(|e| panic!("{e}"));
    let o = cmd
        .arg("--data-dir")
        .arg(&data)
        .args(["run", "--source"])
        .arg(fixtures())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(data.to_str().unwrap_or_default()),
        "names the data dir: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    torture_report("read-only-data-dir", 1, 0, 1, 0, 0.0, None);
}

/// One growing session file of the live-file test: where it is, the bytes it will end with, how many are written.
struct LiveFile {
    path: std::path::PathBuf,
    bytes: Vec<u8>,
    written: usize,
}

impl LiveFile {
    fn append_up_to(&mut self, end: usize) {
        let end = end.min(self.bytes.len());
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .unwrap_or_else(|e| panic!("{e}"));
        f.write_all(&self.bytes[self.written..end])
            .unwrap_or_else(|e| panic!("{e}"));
        self.written = end;
    }

    /// The file's current content, which is about to be replaced: kept for the oracle.
    fn current_version(&self) -> (std::path::PathBuf, Vec<u8>) {
        (self.path.clone(), self.bytes[..self.written].to_vec())
    }
}

/// A writer appends to two session files (whole lines and lines split across writes) while runs are killed at
/// random instants. Along the way one file shrinks (truncated, mid-line or not, then written on with other
/// content), one is renamed and keeps growing, and one is deleted and recreated under the same name (the inode
/// may be reused) with other content.
///
/// Oracle: every point of one clean run over the final files is stored, byte for byte; any other point comes from
/// a version of a file that was replaced (what was seen of it is kept, as for files Claude Code deletes), so its
/// id belongs to a clean run over that version, and it is never a second copy of a message under another id.
#[test]
fn appends_while_runs_are_killed_end_equal_to_one_clean_run() {
    let seed = seed();
    eprintln!("live-file kill test seed: {seed}");
    let mut rng = Rng::new(seed);
    let src = tempdir();
    let data = tempdir();
    let cfg = tempdir();
    let pipeline_file = fine_grained_pipeline(cfg.path());
    let pipeline_arg = pipeline_file.to_str().unwrap_or_default().to_string();
    let project = src.path().join("-home-me-live");
    std::fs::create_dir_all(&project).unwrap_or_else(|e| panic!("{e}"));
    let session =
        |i: u64, lines: usize| pipeline::synth::session_bytes(seed, i, "/home/me/live", lines);
    let (rounds, lines) = if long_mode() { (300, 600) } else { (10, 120) };
    let mut files: Vec<LiveFile> = (0..2u64)
        .map(|i| LiveFile {
            path: project.join(format!("live-{i}.jsonl")),
            bytes: session(i, lines),
            written: 0,
        })
        .collect();
    // Appends average the file's size over the rounds, so that most runs have new lines to read when killed.
    let step_max = (2 * files[0].bytes.len() / rounds).max(4096) as u64;
    let mut replaced: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
    let (mut kills, mut appends, mut file_events) = (0u64, 0u64, 0u64);
    let args = [
        "--pipeline",
        pipeline_arg.as_str(),
        "run",
        "--source",
        src.path().to_str().unwrap_or_default(),
    ];
    for round in 0..rounds {
        if round == rounds / 4 && files[1].written > 0 {
            // The second file shrinks: cut at a random byte, then written on with another session's lines.
            replaced.push(files[1].current_version());
            let cut = rng.below(files[1].written as u64) as usize;
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&files[1].path)
                .unwrap_or_else(|e| panic!("{e}"));
            f.set_len(cut as u64).unwrap_or_else(|e| panic!("{e}"));
            let mut bytes = files[1].bytes[..cut].to_vec();
            bytes.extend(session(7, lines * 2 / 3));
            files[1].bytes = bytes;
            files[1].written = cut;
            file_events += 1;
        }
        if round == rounds / 2 && files[0].written > 0 {
            // The first file is renamed and keeps growing under its new name.
            let renamed = project.join("live-0-renamed.jsonl");
            std::fs::rename(&files[0].path, &renamed).unwrap_or_else(|e| panic!("{e}"));
            files[0].path = renamed;
            file_events += 1;
        }
        if round == 3 * rounds / 4 && files[0].written > 0 {
            // ... then deleted and recreated under the same name with another session's lines.
            replaced.push(files[0].current_version());
            std::fs::remove_file(&files[0].path).unwrap_or_else(|e| panic!("{e}"));
            files[0].bytes = session(8, lines * 2 / 3);
            files[0].written = 0;
            file_events += 1;
        }
        // Append a random amount (possibly ending mid-line) to each file.
        for f in files.iter_mut() {
            let step = 1 + rng.below(step_max) as usize;
            f.append_up_to(f.written + step);
            appends += 1;
        }
        let mut child = spawn(data.path(), &args);
        // Every third run (the second one first) goes to its end, so replaced versions are partly stored.
        if round % 3 != 1 {
            std::thread::sleep(Duration::from_millis(30 + rng.below(800)));
            if child.try_wait().ok().flatten().is_none() {
                let _ = child.kill();
                kills += 1;
            }
        }
        let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            status.code() != Some(1),
            "round {round} failed (seed {seed})"
        );
    }
    // Finish writing everything, then sync to the end.
    for f in files.iter_mut() {
        f.append_up_to(usize::MAX);
    }
    sync_ok(data.path(), src.path(), &[]);
    let clean = tempdir();
    sync_ok(clean.path(), src.path(), &[]);
    let replaced_oracle = clean_run_over_versions(src.path(), &files, &replaced);
    let checked = assert_export_within_oracle(
        &export(data.path()),
        &export(clean.path()),
        &replaced_oracle,
        &format!("live files, seed {seed}"),
    );
    eprintln!("live files: {appends} appends, {file_events} shrinks, renames and recreations");
    torture_report(
        "live-files",
        rounds as u64,
        kills,
        appends + file_events,
        checked,
        0.0,
        Some(seed),
    );
}

/// The export of one clean run over the replaced versions of files, each put back at its own path (the final
/// files are moved aside meanwhile and restored afterwards).
fn clean_run_over_versions(
    src: &Path,
    finals: &[LiveFile],
    versions: &[(std::path::PathBuf, Vec<u8>)],
) -> Vec<String> {
    let aside = tempdir();
    for (i, f) in finals.iter().enumerate() {
        std::fs::rename(&f.path, aside.path().join(i.to_string()))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for (path, bytes) in versions {
        std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    let oracle = tempdir();
    sync_ok(oracle.path(), src, &[]);
    for (path, _) in versions {
        std::fs::remove_file(path).unwrap_or_else(|e| panic!("{e}"));
    }
    for (i, f) in finals.iter().enumerate() {
        std::fs::rename(aside.path().join(i.to_string()), &f.path)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    export(oracle.path())
}

/// Checks the live-file oracle (see the test above) and returns how many points it checked.
fn assert_export_within_oracle(
    actual: &[String],
    clean: &[String],
    replaced: &[String],
    what: &str,
) -> u64 {
    use std::collections::{HashMap, HashSet};
    let id_of = |line: &String| -> String {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        v["id"].as_str().unwrap_or_default().to_string()
    };
    let stored: HashMap<String, &String> = actual.iter().map(|l| (id_of(l), l)).collect();
    assert_eq!(
        stored.len(),
        actual.len(),
        "{what}: an id is exported twice"
    );
    let missing: Vec<&String> = clean
        .iter()
        .filter(|l| stored.get(&id_of(l)) != Some(l))
        .take(2)
        .collect();
    assert!(
        missing.is_empty(),
        "{what}: lost or stale points: {missing:#?}"
    );
    let clean_ids: HashSet<String> = clean.iter().map(id_of).collect();
    let replaced_ids: HashSet<String> = replaced.iter().map(id_of).collect();
    let invented: Vec<&&String> = stored
        .iter()
        .filter(|(id, _)| !clean_ids.contains(*id) && !replaced_ids.contains(*id))
        .map(|(_, l)| l)
        .take(2)
        .collect();
    assert!(
        invented.is_empty(),
        "{what}: points from no version of any file: {invented:#?}"
    );
    let kept = actual.len() - clean.len();
    eprintln!(
        "{what}: {} points as a clean run, {kept} kept from replaced versions",
        clean.len()
    );
    actual.len() as u64
}

#[test]
fn tiny_budgets_exit_in_time() {
    let data = tempdir();
    let mut worst = Duration::ZERO;
    // Budgets below the model's load time, then a few just above it: those must make progress on a fresh data
    // dir, where neither the load time nor the embedding speed is known yet.
    for budget in ["0s", "100ms", "1s", "2s", "2s", "2s"] {
        let wanted = humantime::parse_duration(budget).unwrap_or_default();
        let start = Instant::now();
        let o = sync(data.path(), &fixtures(), &["--budget", budget]);
        let took = start.elapsed();
        assert!(matches!(code(&o), 0 | 75), "{budget}: {}", stderr(&o));
        worst = worst.max(took.saturating_sub(wanted));
        assert!(
            took < wanted + Duration::from_millis(700),
            "{budget} budget took {took:?}"
        );
    }
    let stored = stats_json(data.path(), &fixtures())["store"]["points"]
        .as_u64()
        .unwrap_or(0);
    assert!(stored > 0, "2-second budgets stored nothing");
    // Overshoot is measured from outside: process start and exit included.
    torture_report(
        "tiny-budgets",
        6,
        0,
        0,
        0,
        worst.as_secs_f64() * 1000.0,
        None,
    );
}

/// A data dir on a tiny tmpfs fills up mid-run: a clear error, no panic, and once there is room again the next run
/// ends equal to a clean one (nothing committed was lost or duplicated). Needs root for `mount`; skipped otherwise.
#[test]
fn a_full_disk_fails_cleanly_and_the_next_run_recovers() {
    let src = tempdir();
    let mnt = tempdir();
    std::fs::create_dir_all(src.path().join("-p")).unwrap_or_else(|e| panic!("{e}"));
    for f in ["python-to-rust-port.jsonl", "coverage-test-fix.jsonl"] {
        std::fs::copy(
            fixtures().join("-tmp-claude-reliability").join(f),
            src.path().join("-p").join(f),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let mount = |opts: &str| {
        std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(mnt.path())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !mount("size=1m") {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(mnt.path());
    let data = mnt.path().join("data");
    let o = run(
        &data,
        &["run", "--source", src.path().to_str().unwrap_or_default()],
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 1, "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let remounted = std::process::Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(mnt.path())
        .status()
        .is_ok_and(|s| s.success());
    assert!(remounted);
    sync_ok(&data, src.path(), &[]);
    let clean = tempdir();
    sync_ok(clean.path(), src.path(), &[]);
    assert_same_export(&export(&data), &export(clean.path()), "after a full disk");
    let leftovers: Vec<_> = std::fs::read_dir(&data)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no half-written snapshot is left behind"
    );
    torture_report("full-disk", 1, 0, 1, export(&data).len() as u64, 0.0, None);
}

/// A file deleted and recreated under the same name (the inode may well be reused) with the same first line but
/// other content: the checkpoint is not trusted (the bytes before its offset changed), the file is read again and
/// its new messages are stored.
#[test]
fn a_recreated_file_with_the_same_head_is_read_again() {
    use std::os::unix::fs::MetadataExt;
    let src = tempdir();
    let data = tempdir();
    let file = src.path().join("-p/s.jsonl");
    std::fs::create_dir_all(file.parent().unwrap_or(src.path())).unwrap_or_else(|e| panic!("{e}"));
    let first = std::fs::read(fixtures().join("-tmp-claude-reliability/hello-world-script.jsonl"))
        .unwrap_or_default();
    std::fs::write(&file, &first).unwrap_or_else(|e| panic!("{e}"));
    let inode_before = std::fs::metadata(&file).map(|m| m.ino()).unwrap_or(0);
    sync_ok(data.path(), src.path(), &[]);
    let before = export(data.path()).len();

    let head_end = first
        .iter()
        .position(|b| *b == b'\n')
        .map_or(first.len(), |i| i + 1);
    let mut second = first[..head_end].to_vec();
    second.extend(
        std::fs::read(fixtures().join("-tmp-claude-reliability/coverage-test-fix.jsonl"))
            .unwrap_or_default(),
    );
    std::fs::remove_file(&file).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&file, &second).unwrap_or_else(|e| panic!("{e}"));
    let inode_after = std::fs::metadata(&file).map(|m| m.ino()).unwrap_or(0);
    let o = sync_ok(data.path(), src.path(), &["--json"]);
    assert!(stderr(&o).contains("rewritten"), "{}", stderr(&o));
    let texts: Vec<String> = export_json(data.path())
        .iter()
        .filter_map(|p| p["payload"]["text"].as_str().map(str::to_string))
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("multiply_numbers")),
        "content of the new file is stored"
    );
    assert!(texts.len() > before);
    eprintln!(
        "recreated file: inode {}",
        if inode_before == inode_after {
            "reused"
        } else {
            "new"
        }
    );
    torture_report("recreated-file", 1, 0, 1, texts.len() as u64, 0.0, None);
}

/// libfaketime, if installed (Debian's `libfaketime`; `.ci/run` installs it): it makes the wall clock of a process
/// read from a file, so a test can make it jump while the process runs.
fn libfaketime() -> Option<std::path::PathBuf> {
    [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    ]
    .iter()
    .map(std::path::PathBuf::from)
    .find(|p| p.exists())
}

/// The wall clock jumps back and forth by hours and days while budgeted runs go on (as with an NTP step or a
/// manual clock change): every run still ends within its budget plus a small slack, as the budget is measured on
/// the monotonic clock, and the runs end equal to one clean run.
#[test]
fn a_jumping_wall_clock_changes_neither_the_budget_nor_the_result() {
    let Some(faketime) = libfaketime() else {
        eprintln!("skipped: libfaketime is not installed (apt-get install libfaketime)");
        return;
    };
    let src = tempdir();
    std::fs::create_dir_all(src.path().join("-p")).unwrap_or_else(|e| panic!("{e}"));
    for f in [
        "hello-world-script.jsonl",
        "coverage-test-fix.jsonl",
        "python-to-rust-port.jsonl",
    ] {
        std::fs::copy(
            fixtures().join("-tmp-claude-reliability").join(f),
            src.path().join("-p").join(f),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let clock = tempdir();
    let offset_file = clock.path().join("offset");
    let set_offset = |offset: &str| {
        std::fs::write(&offset_file, offset).unwrap_or_else(|e| panic!("{e}"));
    };
    let faked = |mut c: std::process::Command| {
        c.env("LD_PRELOAD", &faketime)
            .env("FAKETIME_TIMESTAMP_FILE", &offset_file)
            .env("FAKETIME_NO_CACHE", "1")
            .env("DONT_FAKE_MONOTONIC", "1");
        c
    };
    // The harness itself must work: a faked `date` is three days ahead.
    set_offset("+3d");
    let date = |c: &mut std::process::Command| -> i64 {
        c.arg("+%s")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(0)
    };
    let ahead = date(&mut faked(std::process::Command::new("date")))
        - date(&mut std::process::Command::new("date"));
    assert!(
        ahead > 2 * 86_400,
        "libfaketime does not move the clock ({ahead} s)"
    );

    let data = tempdir();
    let budget = Duration::from_secs(3);
    let offsets = ["-2h", "+3d", "+0", "-40d", "+1h"];
    let (mut runs, mut jumps, mut worst) = (0u64, 0u64, Duration::ZERO);
    let source = src.path().to_str().unwrap_or_default();
    loop {
        set_offset("+0");
        let mut child = faked(command(
            data.path(),
            &["run", "--source", source, "--budget", "3s"],
        ))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
        let start = Instant::now();
        let status = loop {
            if let Ok(Some(s)) = child.try_wait() {
                break s;
            }
            assert!(
                start.elapsed() < budget * 4,
                "a run under a jumping clock does not stop"
            );
            std::thread::sleep(Duration::from_millis(200));
            set_offset(offsets[(jumps % offsets.len() as u64) as usize]);
            jumps += 1;
        };
        let took = start.elapsed();
        worst = worst.max(took.saturating_sub(budget));
        runs += 1;
        assert!(
            took < budget + Duration::from_millis(700),
            "run {runs} took {took:?} for a {budget:?} budget"
        );
        match status.code() {
            Some(0) => break,
            Some(75) => assert!(runs < 30, "no progress under a jumping clock"),
            other => panic!("run {runs} failed with {other:?}"),
        }
    }
    let clean = tempdir();
    sync_ok(clean.path(), src.path(), &[]);
    let expected = export(clean.path());
    assert_same_export(
        &export(data.path()),
        &expected,
        "runs under a jumping clock",
    );
    torture_report(
        "clock-jumps",
        runs,
        0,
        jumps,
        expected.len() as u64,
        worst.as_secs_f64() * 1000.0,
        None,
    );
}
