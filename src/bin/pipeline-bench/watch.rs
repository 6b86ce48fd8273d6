//! Staying current: with `pipeline watch` running over a synced backlog, how long until a message appended to a
//! session log is found by `pipeline search` (median over trials, the model already loaded by the watch; the
//! figure includes each polling search's own start-up, so it is pessimistic) and the watch's own lag metric. The
//! hook path is `hook.rs`.

use crate::child::pipeline_bin;
use crate::corpus;
use crate::report::{percentile, Report};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Goal: median time from append to searchable.
const GOAL_SECS: f64 = 5.0;

fn human_line(session: &str, uuid: &str, word: &str) -> String {
    serde_json::json!({
        "type": "user",
        "uuid": uuid,
        "parentUuid": null,
        "sessionId": session,
        "cwd": "/home/bench/watched",
        "timestamp": "2026-11-29T12:00:00.000Z",
        "message": {"role": "user", "content": format!("why does the {word} step fail after the migration")},
    })
    .to_string()
        + "\n"
}

fn append(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

pub fn run(
    report: &mut Report,
    out_dir: &Path,
    backlog_bytes: u64,
    trials: usize,
) -> anyhow::Result<()> {
    let bin = pipeline_bin()?;
    let src = out_dir.join("watch-src");
    let data = out_dir.join("watch-data");
    let synced = corpus::synced_backlog(&src, &data, 31, backlog_bytes, 3)?;
    let points = synced.summary["points_committed"].as_u64().unwrap_or(0);

    let mut watch = Command::new(&bin)
        .arg("--data-dir")
        .arg(&data)
        .args(["watch", "--json", "--source"])
        .arg(&src)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = watch
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("watch: no stdout"))?;
    let (tx, rx) = std::sync::mpsc::channel::<serde_json::Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                let _ = tx.send(v);
            }
        }
    });
    // The first cycle loads the model and checks the backlog: not measured.
    rx.recv_timeout(Duration::from_secs(120))?;
    let watched = src.join("-home-bench-watched");
    std::fs::create_dir_all(&watched)?;
    let mut times = Vec::new();
    for i in 0..trials {
        let word = format!("zq{i}x{}", std::process::id());
        // Mostly appends to a growing session; every fourth trial a new session file.
        let file = if i % 4 == 3 {
            watched.join(format!("new-{i}.jsonl"))
        } else {
            watched.join("growing.jsonl")
        };
        let session = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("s")
            .to_string();
        std::thread::sleep(Duration::from_millis(500));
        let start = Instant::now();
        append(&file, &human_line(&session, &format!("u-{i}"), &word))?;
        loop {
            let out = Command::new(&bin)
                .arg("--data-dir")
                .arg(&data)
                .args(["search", "--json", "--limit", "3", &word])
                .stderr(Stdio::null())
                .output()?;
            if String::from_utf8_lossy(&out.stdout).contains(&word) {
                break;
            }
            anyhow::ensure!(
                start.elapsed() < Duration::from_secs(60),
                "an appended line was not searchable within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        times.push(start.elapsed().as_secs_f64());
    }
    let _ = watch.kill();
    let _ = watch.wait();
    let stats = Command::new(&bin)
        .arg("--data-dir")
        .arg(&data)
        .args(["stats", "--json", "--source"])
        .arg(&src)
        .output()?;
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap_or_default();
    let lag = &stats["watch"]["lag"];
    times.sort_by(f64::total_cmp);
    let (p50, p95, max) = (
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times[times.len() - 1],
    );
    report.goal(
        format!("watch: appended message found by `search`, {trials} trials on a {points}-point store (p50 / p95 / max)"),
        format!("{p50:.2} / {p95:.2} / {max:.2} s"),
        format!("p50 <= {GOAL_SECS} s"),
        p50 <= GOAL_SECS,
    );
    report.row(
        "watch: its own lag metric (notification to stored), p50 / p95",
        format!(
            "{:.2} / {:.2} s over {} samples",
            lag["p50_secs"].as_f64().unwrap_or(f64::NAN),
            lag["p95_secs"].as_f64().unwrap_or(f64::NAN),
            lag["samples"].as_u64().unwrap_or(0)
        ),
    );

    report.json(
        "watch",
        serde_json::json!({
            "trials": trials,
            "store_points": points,
            "searchable_p50_s": p50,
            "searchable_p95_s": p95,
            "searchable_max_s": max,
            "watch_lag": lag,
        }),
    );
    Ok(())
}
