//! `pipeline watch`: lines appended to a session file become searchable within seconds; a partial last line is
//! only taken once complete; `run`, `search`, `export` and `stats` work beside a running watch; a watch killed
//! at random instants while sessions grow ends, after a `run`, equal to one clean run over the final files; and
//! Codex rollouts, rewritten Gemini chats and a Gemini root a later chat names are followed.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The bound a test waits for a line to become searchable (the benchmark measures the real figure: `make bench`).
const SEARCHABLE_WITHIN: Duration = Duration::from_secs(20);

/// A running `pipeline watch --json`; its cycle reports are read from stdout. Killed on drop.
struct Watch {
    child: Child,
    cycles: std::sync::mpsc::Receiver<serde_json::Value>,
}

impl Watch {
    fn start(data: &Path, source: &Path) -> Watch {
        let mut child = Command::new(bin())
            .arg("--data-dir")
            .arg(data)
            .args(["watch", "--json", "--rescan", "60s", "--source"])
            .arg(source)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn watch: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        Watch { child, cycles: rx }
    }

    /// Waits for the next cycle report.
    fn next_cycle(&self, within: Duration) -> serde_json::Value {
        self.cycles
            .recv_timeout(within)
            .unwrap_or_else(|e| panic!("no watch cycle within {within:?}: {e}"))
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A human message line in Claude Code's format, with a unique word.
fn human_line(session: &str, uuid: &str, parent: Option<&str>, word: &str) -> String {
    serde_json::json!({
        "type": "user",
        "uuid": uuid,
        "parentUuid": parent,
        "sessionId": session,
        "cwd": "/home/me/live",
        "timestamp": "2026-11-29T12:00:00.000Z",
        "message": {"role": "user", "content": format!("please look at the {word} failure in the parser")},
    })
    .to_string()
        + "\n"
}

/// Polls `search` until a hit contains `word`; how long it took.
fn searchable(data: &Path, word: &str, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let o = run(data, &["search", "--json", "--limit", "3", word]);
        if code(&o) == 0 && String::from_utf8_lossy(&o.stdout).contains(word) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{word} not searchable within {within:?}: {}",
            stderr(&o)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn appended_lines_become_searchable_and_partial_lines_wait_for_their_end() {
    let src = tempdir();
    let data = tempdir();
    let project = src.path().join("-home-me-live");
    std::fs::create_dir_all(&project).unwrap_or_else(|e| panic!("{e}"));
    let file = project.join("s1.jsonl");
    append(&file, human_line("s1", "u0", None, "warmup").as_bytes());
    let watch = Watch::start(data.path(), src.path());
    let first = watch.next_cycle(Duration::from_secs(60));
    assert_eq!(first["trigger"], "rescan", "{first}");
    assert!(
        first["summary"]["points_committed"].as_u64().unwrap_or(0) >= 1,
        "{first}"
    );

    // An appended message: searchable within the bound.
    append(
        &file,
        human_line("s1", "u1", Some("u0"), "zanzibarquux").as_bytes(),
    );
    let took = searchable(data.path(), "zanzibarquux", SEARCHABLE_WITHIN);
    eprintln!("appended line searchable after {took:?}");

    // Half a line, then a pause: never taken early.
    let line = human_line("s1", "u2", Some("u1"), "quokkaflange");
    let (head, tail) = line.split_at(line.len() / 2);
    append(&file, head.as_bytes());
    let points_before = export(data.path()).len();
    std::thread::sleep(Duration::from_millis(1500));
    let o = run(data.path(), &["search", "--json", "quokkaflange"]);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("quokkaflange"));
    assert_eq!(
        export(data.path()).len(),
        points_before,
        "a partial line was consumed"
    );
    append(&file, tail.as_bytes());
    searchable(data.path(), "quokkaflange", SEARCHABLE_WITHIN);

    // A new session file in a new project directory.
    let other = src.path().join("-home-me-other");
    std::fs::create_dir_all(&other).unwrap_or_else(|e| panic!("{e}"));
    append(
        &other.join("s2.jsonl"),
        human_line("s2", "v1", None, "blorptangle").as_bytes(),
    );
    searchable(data.path(), "blorptangle", SEARCHABLE_WITHIN);

    // Metrics: lag, events, cycles.
    let stats = stats_json(data.path(), src.path());
    let w = &stats["watch"];
    assert_eq!(w["running"], true, "{w}");
    assert!(w["events"].as_u64().unwrap_or(0) >= 3, "{w}");
    assert!(w["cycles"].as_u64().unwrap_or(0) >= 4, "{w}");
    assert!(w["lag"]["samples"].as_u64().unwrap_or(0) >= 3, "{w}");
    let p50 = w["lag"]["p50_secs"].as_f64().unwrap_or(f64::MAX);
    assert!(p50 < SEARCHABLE_WITHIN.as_secs_f64(), "{w}");
    watch.kill();
    let stats = stats_json(data.path(), src.path());
    assert_eq!(stats["watch"]["running"], false);
}

#[test]
fn run_search_export_and_stats_work_beside_a_running_watch() {
    let src = tempdir();
    let data = tempdir();
    let project = src.path().join("-home-me-live");
    std::fs::create_dir_all(&project).unwrap_or_else(|e| panic!("{e}"));
    append(
        &project.join("a.jsonl"),
        human_line("a", "u0", None, "first").as_bytes(),
    );
    let watch = Watch::start(data.path(), src.path());
    watch.next_cycle(Duration::from_secs(60));
    // A second watch on the same data dir is refused.
    let o = run(
        data.path(),
        &["watch", "--source", src.path().to_str().unwrap_or_default()],
    );
    assert_eq!(code(&o), 3, "busy, as a second writer: {}", stderr(&o));
    assert!(stderr(&o).contains("already running"), "{}", stderr(&o));
    // `run` over another directory: it takes its turn between cycles instead of failing.
    let more = tempdir();
    let p2 = more.path().join("-home-me-more");
    std::fs::create_dir_all(&p2).unwrap_or_else(|e| panic!("{e}"));
    append(
        &p2.join("b.jsonl"),
        human_line("b", "w0", None, "ostrichmango").as_bytes(),
    );
    for _ in 0..3 {
        // Keep the watch busy meanwhile.
        append(
            &project.join("a.jsonl"),
            human_line("a", &format!("u{}", rand_id()), None, "busy").as_bytes(),
        );
        let o = sync(data.path(), more.path(), &["--json"]);
        assert_eq!(code(&o), 0, "run beside watch: {}", stderr(&o));
    }
    searchable(data.path(), "ostrichmango", Duration::from_secs(5));
    assert!(!export(data.path()).is_empty());
    watch.kill();
}

fn rand_id() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Growing sessions: each file's final bytes and how much is written so far.
struct Growing {
    path: PathBuf,
    bytes: Vec<u8>,
    written: usize,
}

#[test]
fn a_watch_killed_mid_batch_while_sessions_grow_ends_equal_to_one_clean_run() {
    let seed = seed();
    eprintln!("watch kill test seed: {seed} (replay with PIPELINE_TEST_SEED={seed})");
    let mut rng = Rng::new(seed);
    let src = tempdir();
    let data = tempdir();
    let project = src.path().join("-home-me-live");
    std::fs::create_dir_all(&project).unwrap_or_else(|e| panic!("{e}"));
    let mut files: Vec<Growing> = (0..3u64)
        .map(|i| Growing {
            path: project.join(format!("live-{i}.jsonl")),
            bytes: pipeline::synth::session_bytes(seed, i, "/home/me/live", 90),
            written: 0,
        })
        .collect();
    let rounds = 12;
    let mut kills = 0;
    for round in 0..rounds {
        let watch = Watch::start(data.path(), src.path());
        // Appends in random steps, often ending mid-line, while the watch runs; then a kill at a random instant.
        let until = Instant::now() + Duration::from_millis(400 + rng.below_u64(2500));
        while Instant::now() < until {
            let f = &mut files[rng.below(3)];
            let step = 1 + rng.below(6000);
            let end = (f.written + step).min(f.bytes.len());
            append(&f.path, &f.bytes[f.written..end]);
            f.written = end;
            std::thread::sleep(Duration::from_millis(rng.below_u64(300)));
        }
        watch.kill(); // SIGKILL, often mid-cycle
        kills += 1;
        if round == rounds / 2 {
            // A plain run in between: watch and run alternate freely.
            let o = sync(data.path(), src.path(), &["--budget", "3s"]);
            assert!(matches!(code(&o), 0 | 75), "{}", stderr(&o));
        }
    }
    for f in files.iter_mut() {
        append(&f.path, &f.bytes[f.written..]);
        f.written = f.bytes.len();
    }
    sync_ok(data.path(), src.path(), &[]);
    let clean = tempdir();
    sync_ok(clean.path(), src.path(), &[]);
    assert_same_export(
        &export(data.path()),
        &export(clean.path()),
        &format!("after {kills} watch kills (seed {seed})"),
    );
}

/// A Codex CLI prompt record with a unique word.
fn codex_prompt(word: &str) -> String {
    serde_json::json!({
        "timestamp": "2026-11-29T12:00:00.000Z",
        "type": "response_item",
        "payload": {"type": "message", "role": "user",
            "content": [{"type": "input_text", "text": format!("why does the {word} job time out")}]},
    })
    .to_string()
        + "\n"
}

#[test]
fn a_growing_codex_rollout_is_followed_like_a_transcript() {
    let src = tempdir();
    let data = tempdir();
    let day = src.path().join("2026/11/29");
    std::fs::create_dir_all(&day).unwrap_or_else(|e| panic!("{e}"));
    let file = day.join("rollout-2026-11-29T12-00-00-019e0000-0000-7000-8000-000000000001.jsonl");
    let meta = serde_json::json!({
        "timestamp": "2026-11-29T12:00:00.000Z",
        "type": "session_meta",
        "payload": {"id": "019e0000-0000-7000-8000-000000000001", "cwd": "/home/me/live", "cli_version": "0.146.0"},
    });
    append(&file, format!("{meta}\n").as_bytes());
    append(&file, codex_prompt("warmupcodex").as_bytes());
    let watch = Watch::start(data.path(), src.path());
    watch.next_cycle(Duration::from_secs(60));
    append(&file, codex_prompt("xylophonequark").as_bytes());
    searchable(data.path(), "xylophonequark", SEARCHABLE_WITHIN);

    let line = codex_prompt("marmotspindle");
    let (head, tail) = line.split_at(line.len() / 2);
    append(&file, head.as_bytes());
    std::thread::sleep(Duration::from_millis(1500));
    let o = run(data.path(), &["search", "--json", "marmotspindle"]);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("marmotspindle"));
    append(&file, tail.as_bytes());
    searchable(data.path(), "marmotspindle", SEARCHABLE_WITHIN);
    let hits = search_hits(data.path(), &["marmotspindle", "--agent", "codex"]);
    assert_eq!(hits.first().map(|h| &h["agent"]), Some(&"codex".into()));
    watch.kill();
}

#[test]
fn a_gemini_chat_rewritten_in_place_is_followed() {
    let src = tempdir();
    let data = tempdir();
    let chats = src.path().join("0f0f/chats");
    std::fs::create_dir_all(&chats).unwrap_or_else(|e| panic!("{e}"));
    let file = chats.join("session-2026-11-29T12-00-abcd1234.json");
    let chat = |words: &[&str]| {
        let messages: Vec<serde_json::Value> = words
            .iter()
            .enumerate()
            .map(|(i, w)| serde_json::json!({"id": format!("m{i}"), "type": "user",
                "timestamp": "2026-11-29T12:00:00.000Z", "content": format!("why does the {w} build fail")}))
            .collect();
        serde_json::json!({"sessionId": "abcd1234", "projectHash": "0f0f", "messages": messages})
            .to_string()
    };
    std::fs::write(&file, chat(&["warmupgemini"])).unwrap_or_else(|e| panic!("{e}"));
    let watch = Watch::start(data.path(), src.path());
    watch.next_cycle(Duration::from_secs(60));
    std::fs::write(&file, chat(&["warmupgemini", "okapiwrangle"]))
        .unwrap_or_else(|e| panic!("{e}"));
    searchable(data.path(), "okapiwrangle", SEARCHABLE_WITHIN);
    let hits = search_hits(data.path(), &["okapiwrangle", "--agent", "gemini-cli"]);
    assert_eq!(
        hits.first().map(|h| &h["agent"]),
        Some(&"gemini-cli".into())
    );
    watch.kill();
}

#[test]
fn a_gemini_root_named_by_a_later_chat_is_found_by_the_running_watch() {
    let (src, data) = (tempdir(), tempdir());
    let root = "/work/heron-app";
    gemini_hash_dir_chat(src.path(), root, 1, "Plan the heron migration", None);
    let watch = Watch::start(data.path(), src.path());
    watch.next_cycle(Duration::from_secs(60));
    // A later chat reads a file under the root: the watch, without a restart, moves both chats to it.
    gemini_hash_dir_chat(
        src.path(),
        root,
        2,
        "Why does the migration stop at step two?",
        Some("/work/heron-app/src/main.rs"),
    );
    let start = Instant::now();
    loop {
        let points = export_json(data.path());
        let projects = values_of(&points, "project");
        let sessions = values_of(&points, "session_id");
        if projects == [root.to_string()].into() && sessions.len() == 2 {
            break;
        }
        assert!(
            start.elapsed() < SEARCHABLE_WITHIN,
            "not moved to the root within {SEARCHABLE_WITHIN:?}: {projects:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    watch.kill();
}
