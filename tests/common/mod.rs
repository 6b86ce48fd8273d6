//! Helpers shared by the integration tests: they drive the real `pipeline` binary with the real model and a
//! real sled store in a temporary data dir.
#![allow(dead_code)]

pub mod mcp_client;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// `$PIPELINE_FIXTURES/claude-projects` (default `../shared/fixtures`), the real transcripts.
pub fn fixtures() -> PathBuf {
    let base = std::env::var_os("PIPELINE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    let dir = base.join("claude-projects");
    assert!(
        dir.is_dir(),
        "fixtures not found at {} (set PIPELINE_FIXTURES)",
        dir.display()
    );
    dir
}

/// `$PIPELINE_FIXTURES/codex-sessions`: real Codex CLI rollouts, laid out as `~/.codex/sessions`.
pub fn codex_fixtures() -> PathBuf {
    fixtures_beside("codex-sessions")
}

/// `$PIPELINE_FIXTURES/gemini-tmp`: real Gemini CLI chats, laid out as `~/.gemini/tmp`.
pub fn gemini_fixtures() -> PathBuf {
    fixtures_beside("gemini-tmp")
}

fn fixtures_beside(name: &str) -> PathBuf {
    let dir = fixtures()
        .parent()
        .map(|p| p.join(name))
        .unwrap_or_default();
    assert!(dir.is_dir(), "fixtures not found at {}", dir.display());
    dir
}

/// `run --source` over every one of `sources` into `data_dir`, which must succeed.
pub fn run_sources(data_dir: &Path, sources: &[PathBuf]) {
    let mut args = vec!["run".to_string()];
    for s in sources {
        args.push("--source".to_string());
        args.push(s.to_string_lossy().into_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(data_dir, &args);
    assert_eq!(code(&o), 0, "run failed: {}", stderr(&o));
}

/// The agents named by the points of `data_dir`'s store.
pub fn agents_in(data_dir: &Path) -> std::collections::BTreeSet<String> {
    values_of(&export_json(data_dir), "agent")
}

/// The distinct values of the payload string `field` among exported `points`.
pub fn values_of(points: &[serde_json::Value], field: &str) -> std::collections::BTreeSet<String> {
    points
        .iter()
        .map(|p| p["payload"][field].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A legacy Gemini CLI JSON chat of the project at `root`, in `tmp/<SHA-256 of root>/chats/` as Gemini CLI named
/// project directories before short ids: session `session-<day>`, one prompt `prompt`, answered by reading the
/// file `read` (an absolute path) when one is given.
pub fn gemini_hash_dir_chat(
    tmp: &Path,
    root: &str,
    day: u32,
    prompt: &str,
    read: Option<&str>,
) -> PathBuf {
    use serde_json::json;
    let hash = pipeline::source::gemini::hash_of_root(root);
    let path = tmp.join(format!(
        "{hash}/chats/session-2025-01-{day:02}T10-00-{day:08x}.json"
    ));
    let calls: Vec<serde_json::Value> = read
        .map(|file| {
            json!({"id": format!("read-{day}"), "name": "read_file", "args": {"absolute_path": file}, "status": "success"})
        })
        .into_iter()
        .collect();
    let chat = json!({
        "sessionId": format!("session-{day}"),
        "projectHash": hash,
        "startTime": format!("2025-01-{day:02}T10:00:00Z"),
        "lastUpdated": format!("2025-01-{day:02}T10:05:00Z"),
        "messages": [
            {"id": format!("u{day}"), "timestamp": format!("2025-01-{day:02}T10:00:00Z"), "type": "user", "content": prompt},
            {"id": format!("g{day}"), "timestamp": format!("2025-01-{day:02}T10:01:00Z"), "type": "gemini", "content": "Done, as asked.", "toolCalls": calls},
        ],
    });
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(&path, chat.to_string()).unwrap_or_else(|e| panic!("{e}"));
    path
}

/// Copies the fixture transcript `rel` (relative to [`fixtures`]) to `dest`, creating its directory.
pub fn copy_fixture(rel: &str, dest: &Path) {
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    std::fs::copy(fixtures().join(rel), dest).unwrap_or_else(|e| panic!("copy {rel}: {e}"));
}

/// Two small real transcripts under one project directory of `dst`.
pub fn small_corpus(dst: &Path) {
    for (rel, to) in [
        (
            "-tmp-claude-reliability/hello-world-script.jsonl",
            "-tmp-demo/hello.jsonl",
        ),
        (
            "-home-user-episodic-memory/tiny-conversation.jsonl",
            "-tmp-demo/tiny.jsonl",
        ),
    ] {
        copy_fixture(rel, &dst.join(to));
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pipeline")
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

/// A pipeline definition with small commit windows, so kills and budgets land mid-file often.
pub fn fine_grained_pipeline(dir: &Path) -> PathBuf {
    fine_grained_pipeline_of(dir, "claude-code")
}

/// [`fine_grained_pipeline`] reading the history of `agent` (`claude-code`, `codex`).
pub fn fine_grained_pipeline_of(dir: &Path, agent: &str) -> PathBuf {
    let path = dir.join(format!("fine-{agent}.toml"));
    std::fs::write(
        &path,
        format!("[source]\nkind = \"{agent}\"\n[parse]\ncheckpoint_every_messages = 4\n[embed]\nwindow_texts = 16\n"),
    )
    .unwrap_or_else(|e| panic!("write pipeline: {e}"));
    path
}

pub fn command(data_dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.arg("--data-dir").arg(data_dir).arg("--quiet").args(args);
    c.stdin(Stdio::null());
    c
}

pub fn run(data_dir: &Path, args: &[&str]) -> Output {
    command(data_dir, args)
        .output()
        .unwrap_or_else(|e| panic!("spawn pipeline: {e}"))
}

pub fn spawn(data_dir: &Path, args: &[&str]) -> Child {
    command(data_dir, args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn pipeline: {e}"))
}

/// Waits up to `within` for `child` to exit: its status, or `None` if it was still running, in which case it is
/// killed with SIGKILL (the crash a kill-anywhere test simulates) and reaped.
pub fn exited_or_killed(
    child: &mut Child,
    within: std::time::Duration,
) -> Option<std::process::ExitStatus> {
    let start = std::time::Instant::now();
    while start.elapsed() < within {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    None
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `run --source DIR [extra...]`, whatever its exit code.
pub fn sync(data_dir: &Path, source: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--source", source.to_str().unwrap_or_default()];
    args.extend_from_slice(extra);
    run(data_dir, &args)
}

/// `run --source DIR` must succeed with exit 0.
pub fn sync_ok(data_dir: &Path, source: &Path, extra: &[&str]) -> Output {
    let o = sync(data_dir, source, extra);
    assert_eq!(code(&o), 0, "run failed: {}", stderr(&o));
    o
}

/// A seeded synthetic corpus of about 3 MB (two projects): far more than a few seconds of embedding.
pub fn large_synthetic_corpus(dir: &Path, seed: u64) {
    let spec = pipeline::synth::SynthSpec {
        seed,
        target_bytes: 3_000_000,
        projects: 2,
        lines_per_session: 600,
    };
    pipeline::synth::generate(dir, &spec).unwrap_or_else(|e| panic!("generate: {e}"));
}

/// The store's export, one JSON line per point, sorted.
pub fn export(data_dir: &Path) -> Vec<String> {
    let o = run(data_dir, &["export"]);
    assert_eq!(code(&o), 0, "export failed: {}", stderr(&o));
    let mut lines: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

/// `pipeline [pre_args] search --json args...`: the report (`hits`, `next_offset`, ...); the command must succeed.
pub fn search_report(data_dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["search", "--json"];
    full.extend_from_slice(args);
    let o = run(data_dir, &full);
    assert_eq!(code(&o), 0, "search {args:?} failed: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "search --json is not JSON ({e}): {}",
            String::from_utf8_lossy(&o.stdout)
        )
    })
}

/// The hits of [`search_report`].
pub fn search_hits(data_dir: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    search_report(data_dir, args)["hits"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The fixtures synced once per test binary, shared by its tests (read-only).
pub fn fixture_store() -> &'static Path {
    static DATA: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DATA.get_or_init(|| {
        let data = tempdir();
        sync_ok(data.path(), &fixtures(), &[]);
        data
    })
    .path()
}

/// The tools `pipeline mcp` serves, sorted.
pub const MCP_TOOLS: [&str; 5] = [
    "force_conversation_sync",
    "get_conversation_context",
    "get_sync_stats",
    "get_vector_db_health",
    "search_conversations",
];

pub fn export_json(data_dir: &Path) -> Vec<serde_json::Value> {
    export(data_dir)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad export line {l}: {e}")))
        .collect()
}

pub fn stats_json(data_dir: &Path, source: &Path) -> serde_json::Value {
    let o = run(
        data_dir,
        &[
            "stats",
            "--json",
            "--source",
            source.to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(code(&o), 0, "stats failed: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("stats json: {e}"))
}

/// Compares two exports and reports the first difference readably.
pub fn assert_same_export(actual: &[String], expected: &[String], what: &str) {
    if actual == expected {
        return;
    }
    let missing: Vec<_> = expected
        .iter()
        .filter(|l| !actual.contains(l))
        .take(2)
        .collect();
    let extra: Vec<_> = actual
        .iter()
        .filter(|l| !expected.contains(l))
        .take(2)
        .collect();
    panic!(
        "{what}: export differs ({} vs {} points)\nmissing: {missing:#?}\nextra: {extra:#?}",
        actual.len(),
        expected.len()
    );
}

/// The deterministic PRNG of test schedules (seed printed by the caller): the synthetic generator's own.
#[allow(unused_imports)] // not every test file draws random schedules
pub use pipeline::synth::Rng;

/// The seed: `$PIPELINE_TEST_SEED`, else derived from the clock.
pub fn seed() -> u64 {
    std::env::var("PIPELINE_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

/// One line of the torture summary, aggregated into a table by `make torture`. Lost, duplicated and panics are 0
/// whenever this is printed: the tests assert them before reporting.
pub fn torture_report(
    test: &str,
    rounds: u64,
    kills: u64,
    faults: u64,
    checked: u64,
    overshoot_ms: f64,
    seed: Option<u64>,
) {
    eprintln!(
        "torture: test={test} rounds={rounds} kills={kills} faults={faults} checked={checked} lost=0 duplicated=0 panics=0 overshoot_ms={overshoot_ms:.0} seed={}",
        seed.map_or("-".to_string(), |s| s.to_string())
    );
}

/// A command running the binary so that file permissions apply: the binary itself when the tests are not root;
/// when they are, through `setpriv` without the two capabilities that let root ignore permissions
/// (`CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH`). It stays uid 0, so what root owns (the model, temp dirs) stays
/// readable, while a file or directory of mode 000 is not. None when neither is possible.
pub fn unprivileged_command() -> Option<Command> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !is_root {
        return Some(Command::new(bin()));
    }
    let setpriv = Path::new("/usr/bin/setpriv");
    if !setpriv.exists() {
        return None;
    }
    let mut c = Command::new(setpriv);
    c.args([
        "--inh-caps=-dac_override,-dac_read_search",
        "--bounding-set=-dac_override,-dac_read_search",
        bin(),
    ]);
    Some(c)
}

/// The export of the fixtures synced into a fresh embedded store: what any correct sync of them must end equal to
/// (computed once per test binary).
pub fn clean_export() -> &'static Vec<String> {
    static CLEAN: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CLEAN.get_or_init(|| {
        let data = tempdir();
        sync_ok(data.path(), &fixtures(), &[]);
        export(data.path())
    })
}

/// The export of `source` synced (with `extra` arguments) into a fresh embedded store.
pub fn clean_export_of(source: &Path, extra: &[&str]) -> Vec<String> {
    let data = tempdir();
    sync_ok(data.path(), source, extra);
    export(data.path())
}

/// Appends `bytes` to the file at `path` (created if missing), as Claude Code appends to a live transcript.
pub fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    f.write_all(bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Copies the directory `from` into `to` (created), recursively: a private copy of a data dir.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for e in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        }
    }
}

/// Every regular file under `dir`, recursively.
pub fn every_file(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(every_file(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The first file under `dir` (recursively) whose bytes hold `needle`: a leak check over a whole data dir.
pub fn file_holding(dir: &Path, needle: &[u8]) -> Option<PathBuf> {
    every_file(dir).into_iter().find(|file| {
        let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        memchr::memmem::find(&bytes, needle).is_some()
    })
}

/// Every `*.jsonl` file under `dir`, recursively.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "jsonl") {
                out.push(p);
            }
        }
    }
    out
}

/// An upsert of `point` under `id`, with its vector as given (nothing cached, nothing queued).
pub fn upsert(id: uuid::Uuid, point: pipeline::store::StoredPoint) -> pipeline::store::SinkOp {
    pipeline::store::SinkOp::Upsert(Box::new(pipeline::store::PointWrite {
        id,
        point,
        cache_key: None,
        embed_later: None,
    }))
}

/// Commits `ops` to `sink` in one batch without checkpoints (panics on failure).
pub fn commit_ops(sink: &dyn pipeline::store::Sink, ops: Vec<pipeline::store::SinkOp>) {
    sink.commit(&pipeline::store::CommitBatch {
        ops,
        checkpoints: vec![],
    })
    .unwrap_or_else(|e| panic!("commit: {e}"));
}
