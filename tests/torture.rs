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
            let mut bytes = pipeline::checkpoint::encode(&cp);
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
    // Two growing sessions fed from the generator, line by line, sometimes split mid-line.
    let mut sessions: Vec<(std::path::PathBuf, Vec<u8>)> = (0..2u64)
        .map(|i| {
            let bytes = pipeline::synth::session_bytes(seed, i, "/home/me/live", 120);
            (
                src.path().join(format!("-home-me-live/live-{i}.jsonl")),
                bytes,
            )
        })
        .collect();
    std::fs::create_dir_all(src.path().join("-home-me-live")).unwrap_or_else(|e| panic!("{e}"));
    let mut written = vec![0usize; sessions.len()];
    let rounds = if long_mode() { 60 } else { 8 };
    let (mut kills, mut appends, mut renames) = (0u64, 0u64, 0u64);
    let args = [
        "--pipeline",
        pipeline_arg.as_str(),
        "run",
        "--source",
        src.path().to_str().unwrap_or_default(),
    ];
    for round in 0..rounds {
        // Halfway, the first session's file is renamed and keeps growing under its new name.
        if round == rounds / 2 && written[0] > 0 {
            let renamed = src.path().join("-home-me-live/live-0-renamed.jsonl");
            std::fs::rename(&sessions[0].0, &renamed).unwrap_or_else(|e| panic!("{e}"));
            sessions[0].0 = renamed;
            renames += 1;
        }
        // Append a random amount (possibly ending mid-line) to each file.
        for (i, (path, bytes)) in sessions.iter().enumerate() {
            let step = 1 + rng.below(30_000) as usize;
            let end = (written[i] + step).min(bytes.len());
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap_or_else(|e| panic!("{e}"));
            f.write_all(&bytes[written[i]..end])
                .unwrap_or_else(|e| panic!("{e}"));
            written[i] = end;
            appends += 1;
        }
        let mut child = spawn(data.path(), &args);
        std::thread::sleep(Duration::from_millis(50 + rng.below(1200)));
        if child.try_wait().ok().flatten().is_none() {
            let _ = child.kill();
            kills += 1;
        }
        let _ = child.wait();
    }
    // Finish writing everything, then sync to the end.
    for (i, (path, bytes)) in sessions.iter().enumerate() {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|e| panic!("{e}"));
        f.write_all(&bytes[written[i]..])
            .unwrap_or_else(|e| panic!("{e}"));
    }
    sync_ok(data.path(), src.path(), &[]);
    let clean = tempdir();
    sync_ok(clean.path(), src.path(), &[]);
    let checked = export(clean.path()).len();
    assert_same_export(
        &export(data.path()),
        &export(clean.path()),
        &format!("live files, seed {seed}"),
    );
    eprintln!("live files: {appends} appends, {renames} renames");
    torture_report(
        "live-files",
        rounds,
        kills,
        appends + renames,
        checked as u64,
        0.0,
        Some(seed),
    );
}

#[test]
fn tiny_budgets_exit_in_time() {
    let data = tempdir();
    let mut worst = Duration::ZERO;
    for budget in ["0s", "100ms", "1s", "2s"] {
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
    // Overshoot is measured from outside: process start and exit included.
    torture_report(
        "tiny-budgets",
        4,
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
