//! The hook as Claude Code sees it: the installed command's latency from start to exit (Claude Code runs it on every
//! `Stop`, so it must not make anyone wait), how many syncs a burst of events starts, and how soon a just-finished
//! session is searchable after its event.

use crate::child::pipeline_bin;
use crate::corpus;
use crate::report::{percentile, Report};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Goal: p95 of the hook command's run time.
const LATENCY_GOAL_MS: f64 = 100.0;
/// Goal: a finished session searchable this soon after its event.
const SEARCHABLE_GOAL_SECS: f64 = 10.0;

/// Runs the installed hook command as Claude Code does (`sh -c`, the input on stdin); its run time.
fn fire(command: &str, input: &serde_json::Value) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let mut hook = Command::new("sh")
        .args(["-c", command])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = hook.stdin.take() {
        stdin.write_all(input.to_string().as_bytes())?;
    }
    hook.wait()?;
    Ok(start.elapsed())
}

fn searchable(bin: &Path, data: &Path, word: &str) -> anyhow::Result<bool> {
    let out = Command::new(bin)
        .arg("--data-dir")
        .arg(data)
        .args([
            "search", "--json", "--mode", "lexical", "--limit", "3", word,
        ])
        .stderr(Stdio::null())
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout).contains(word))
}

fn runs_recorded(bin: &Path, data: &Path, src: &Path) -> anyhow::Result<usize> {
    let out = Command::new(bin)
        .arg("--data-dir")
        .arg(data)
        .args(["stats", "--json", "--source"])
        .arg(src)
        .output()?;
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    Ok(stats["last_runs"].as_array().map_or(0, Vec::len))
}

fn session_with_word(path: &Path, seed: u64, word: &str) -> anyhow::Result<()> {
    let mut bytes = pipeline::synth::session_bytes(seed, 1, "/home/bench/hooked", 150);
    let line = serde_json::json!({
        "type": "user", "uuid": format!("w-{word}"), "parentUuid": null, "sessionId": format!("s{seed}"),
        "cwd": "/home/bench/hooked", "timestamp": "2026-11-29T12:00:00.000Z",
        "message": {"role": "user", "content": format!("the {word} deploy step broke again")},
    });
    bytes.extend_from_slice(format!("{line}\n").as_bytes());
    std::fs::write(path, bytes)?;
    Ok(())
}

pub fn run(
    report: &mut Report,
    out_dir: &Path,
    backlog_bytes: u64,
    trials: usize,
) -> anyhow::Result<()> {
    let bin = pipeline_bin()?;
    let src = out_dir.join("hook-src");
    let data = out_dir.join("hook-data");
    let home = out_dir.join("hook-home");
    let _ = std::fs::remove_dir_all(&home);
    corpus::synced_backlog(&src, &data, 37, backlog_bytes, 2)?;
    let installed = Command::new(&bin)
        .arg("--data-dir")
        .arg(&data)
        .args(["hooks", "install"])
        .env("HOME", &home)
        .env_remove("CLAUDE_CONFIG_DIR")
        .output()?;
    anyhow::ensure!(installed.status.success(), "hooks install failed");
    let settings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.join(".claude/settings.json"))?)?;
    let command = settings["hooks"]["Stop"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let project = src.join("-home-bench-hooked");
    std::fs::create_dir_all(&project)?;

    // A finished session: from its event to `search` finding it.
    let word = format!("hookword{}", std::process::id());
    let finished = project.join("finished.jsonl");
    session_with_word(&finished, 99, &word)?;
    let runs_before = runs_recorded(&bin, &data, &src)?;
    let start = Instant::now();
    fire(
        &command,
        &serde_json::json!({"session_id": "finished", "transcript_path": finished, "hook_event_name": "Stop"}),
    )?;
    while !searchable(&bin, &data, &word)? {
        anyhow::ensure!(
            start.elapsed() < Duration::from_secs(120),
            "the finished session never became searchable"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let to_searchable = start.elapsed().as_secs_f64();
    report.goal(
        "hook: a just-finished 150-line session searchable after its Stop event",
        format!("{to_searchable:.1} s"),
        format!("<= {SEARCHABLE_GOAL_SECS} s"),
        to_searchable <= SEARCHABLE_GOAL_SECS,
    );

    // A burst: `trials` events over a few sessions, 20 ms apart, as Claude Code fires them; each one timed.
    let sessions: Vec<_> = (0..4)
        .map(|i| {
            let path = project.join(format!("burst-{i}.jsonl"));
            session_with_word(&path, 200 + i, &format!("burst{i}x{}", std::process::id()))
                .map(|_| path)
        })
        .collect::<anyhow::Result<_>>()?;
    let drained_before = runs_recorded(&bin, &data, &src)?;
    let mut times = Vec::new();
    for i in 0..trials {
        let path = &sessions[i % sessions.len()];
        let input = serde_json::json!({"session_id": format!("burst-{}", i % sessions.len()), "transcript_path": path, "hook_event_name": "Stop"});
        times.push(fire(&command, &input)?.as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(20));
    }
    let last_word = format!("burst{}x{}", sessions.len() - 1, std::process::id());
    let burst_start = Instant::now();
    while !searchable(&bin, &data, &last_word)? {
        anyhow::ensure!(
            burst_start.elapsed() < Duration::from_secs(120),
            "the burst's sessions never became searchable"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(2));
    let syncs = runs_recorded(&bin, &data, &src)?.saturating_sub(drained_before);
    times.sort_by(f64::total_cmp);
    let (p50, p95, max) = (
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times[times.len() - 1],
    );
    report.goal(
        format!("hook: run time of the installed command as Claude Code sees it, {trials} events (p50 / p95 / max)"),
        format!("{p50:.0} / {p95:.0} / {max:.0} ms"),
        format!("p95 <= {LATENCY_GOAL_MS} ms"),
        p95 <= LATENCY_GOAL_MS,
    );
    report.row(
        format!(
            "hook: syncs started by {trials} events over {} sessions within {:.1} s",
            sessions.len(),
            trials as f64 * 0.02 + times.iter().sum::<f64>() / 1000.0
        ),
        format!("{syncs}"),
    );
    report.json(
        "hook",
        serde_json::json!({
            "searchable_after_event_s": to_searchable,
            "runs_before": runs_before,
            "latency_ms": {"p50": p50, "p95": p95, "max": max, "trials": trials},
            "burst_syncs": syncs,
        }),
    );
    Ok(())
}
