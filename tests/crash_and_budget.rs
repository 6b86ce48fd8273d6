//! The core promise: a run killed at any instant, or stopped by its budget, loses nothing and duplicates
//! nothing. After any sequence of SIGKILLs / budgeted runs and resumes, the export equals one clean run's
//! export byte for byte (sorted). Kill points are random; the seed is printed (`PIPELINE_TEST_SEED` replays).

mod common;

use common::*;
use std::time::{Duration, Instant};

/// The two tests below measure time: they take turns instead of competing for the two cores.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[test]
fn sigkill_at_random_points_then_resume_equals_clean_run() {
    let clean = clean_export();
    let _turn = one_at_a_time();
    let cfg_dir = tempdir();
    let pipeline = fine_grained_pipeline(cfg_dir.path());
    kill_loop(&fixtures(), &pipeline, clean, "sigkill-loop");
}

#[test]
fn codex_rollouts_killed_at_random_points_then_resumed_equal_a_clean_run() {
    let cfg_dir = tempdir();
    let pipeline = fine_grained_pipeline_of(cfg_dir.path(), "codex");
    let pipeline_arg = pipeline.to_str().unwrap_or_default();
    let clean = clean_export_of(&codex_fixtures(), &["--pipeline", pipeline_arg]);
    assert!(
        clean.len() > 500 && clean.iter().all(|l| l.contains(r#""agent":"codex""#)),
        "the clean run stores the rollouts as Codex's ({} points)",
        clean.len()
    );
    let _turn = one_at_a_time();
    kill_loop(&codex_fixtures(), &pipeline, &clean, "sigkill-loop-codex");
}

#[test]
fn gemini_chats_killed_at_random_points_then_resumed_equal_a_clean_run() {
    let cfg_dir = tempdir();
    let pipeline = fine_grained_pipeline_of(cfg_dir.path(), "gemini-cli");
    let pipeline_arg = pipeline.to_str().unwrap_or_default();
    let clean = clean_export_of(&gemini_fixtures(), &["--pipeline", pipeline_arg]);
    assert!(
        clean.len() > 50 && clean.iter().all(|l| l.contains(r#""agent":"gemini-cli""#)),
        "the clean run stores the chats as Gemini CLI's ({} points)",
        clean.len()
    );
    let _turn = one_at_a_time();
    kill_loop(&gemini_fixtures(), &pipeline, &clean, "sigkill-loop-gemini");
}

/// Syncs `fixtures` under SIGKILLs at random instants until a run finishes, then checks the export equals
/// `clean` (`make torture`: many cycles, each from scratch).
fn kill_loop(fixtures: &std::path::Path, pipeline: &std::path::Path, clean: &[String], name: &str) {
    let seed = seed();
    eprintln!("kill test seed: {seed} (replay with PIPELINE_TEST_SEED={seed})");
    let mut rng = Rng::new(seed);
    let data = tempdir();
    let args = [
        "--pipeline",
        pipeline.to_str().unwrap_or_default(),
        "run",
        "--source",
        fixtures.to_str().unwrap_or_default(),
    ];
    // `make torture` runs many cycles: each one syncs from scratch under kills, checks, then resets.
    let cycles = if std::env::var_os("PIPELINE_TORTURE").is_some() {
        16
    } else {
        1
    };
    let (mut kills, mut checked) = (0, 0);
    for cycle in 0..cycles {
        let mut finished = false;
        let kills_before = kills;
        // A small source can be synced before three kills land: then the data dir starts again and the delays
        // shrink, until the schedule kills runs at least three times.
        let mut scale = 1.0f64;
        loop {
            let attempt_kills = kills;
            for round in 0..40 {
                let mut child = spawn(data.path(), &args);
                // Early rounds kill soon (often inside model load or the first commit); later ones let more
                // through.
                let max = if round < 4 { 1500.0 } else { 4000.0 };
                let delay = Duration::from_millis(
                    (200.0 * scale) as u64 + rng.below_u64((max * scale) as u64 + 1),
                );
                match exited_or_killed(&mut child, delay) {
                    Some(s) => {
                        assert_eq!(
                            s.code(),
                            Some(0),
                            "cycle {cycle} round {round}: run failed (seed {seed})"
                        );
                        finished = true;
                        break;
                    }
                    None => kills += 1,
                }
            }
            if kills - attempt_kills >= 3 || scale < 0.05 {
                break;
            }
            let o = run(data.path(), &["reset", "--yes"]);
            assert_eq!(code(&o), 0);
            kills = attempt_kills;
            finished = false;
            scale /= 2.0;
        }
        assert!(
            kills - kills_before >= 3,
            "the schedule must actually kill runs (seed {seed})"
        );
        if !finished {
            sync_ok(
                data.path(),
                fixtures,
                &["--pipeline", pipeline.to_str().unwrap_or_default()],
            );
        }
        // Caught up: another run finds nothing to do.
        let o = sync_ok(
            data.path(),
            fixtures,
            &[
                "--pipeline",
                pipeline.to_str().unwrap_or_default(),
                "--json",
            ],
        );
        let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        assert_eq!(s["files_pending_at_start"], 0, "seed {seed}");
        let exported = export(data.path());
        assert_same_export(
            &exported,
            clean,
            &format!("cycle {cycle}, after {kills} kills (seed {seed})"),
        );
        checked += exported.len();
        let o = run(data.path(), &["reset", "--yes"]);
        assert_eq!(code(&o), 0);
    }
    torture_report(name, cycles, kills, kills, checked as u64, 0.0, Some(seed));
}

#[test]
fn budgeted_runs_stop_in_time_and_resume_to_the_clean_result() {
    let clean = clean_export();
    let _turn = one_at_a_time();
    let data = tempdir();
    let cfg_dir = tempdir();
    let pipeline = fine_grained_pipeline(cfg_dir.path());
    let pipeline = pipeline.to_str().unwrap_or_default();
    let fixtures = fixtures();
    let budget = Duration::from_secs(3);
    // Slack for process start-up and exit, measured from outside the process.
    let slack = Duration::from_millis(700);

    let start = Instant::now();
    let o = run(
        data.path(),
        &[
            "--pipeline",
            pipeline,
            "run",
            "--source",
            fixtures.to_str().unwrap_or_default(),
            "--budget",
            "3s",
            "--json",
        ],
    );
    let took = start.elapsed();
    assert_eq!(
        code(&o),
        75,
        "first budgeted run must stop with work left: {}",
        stderr(&o)
    );
    assert!(
        took < budget + slack,
        "run took {took:?} with a {budget:?} budget"
    );
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(s["stop_reason"], "budget");
    assert_eq!(s["work_left"], true);

    // Text first: the run stored the text of what it read (here, every file: parsing is thousands of times
    // faster than the model), searchable by its words, and left vectors for later.
    let stats = stats_json(data.path(), &fixtures);
    let pct = stats["files"]["percent_done"].as_f64().unwrap_or(0.0);
    assert!(pct > 0.0, "no text stored after the first run");
    let waiting = stats["embedding"]["points_awaiting_vectors"]
        .as_u64()
        .unwrap_or(0);
    assert!(
        waiting > 0,
        "3 s cannot embed the fixtures, so points must wait for their vectors: {stats}"
    );
    assert!(stats["estimated_runs_left"]
        .as_u64()
        .is_some_and(|n| n >= 1));
    let first = export_json(data.path());
    let clean_lines: Vec<serde_json::Value> = clean
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let stored: std::collections::HashSet<&str> =
        first.iter().filter_map(|p| p["id"].as_str()).collect();
    if pct >= 100.0 {
        // Without a vector: the chunks kept for lexical search only (as in a clean run), and those waiting.
        let unembedded = |lines: &[serde_json::Value]| {
            lines.iter().filter(|p| p["embedded"] == false).count() as u64
        };
        assert_eq!(
            unembedded(&first),
            unembedded(&clean_lines) + waiting,
            "the export's `embedded` flags agree with the queue"
        );
        let missing: Vec<&str> = clean_lines
            .iter()
            .filter_map(|p| p["id"].as_str())
            .filter(|id| !stored.contains(id))
            .take(3)
            .collect();
        assert!(
            missing.is_empty(),
            "every byte read, yet points missing: {missing:?}"
        );
    }
    // A message still waiting for its vector is found by its exact words.
    let words_of = |p: &serde_json::Value| -> String {
        p["payload"]["text"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .filter(|w| w.len() >= 3 && w.chars().all(char::is_alphanumeric))
            .take(12)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let unembedded = first
        .iter()
        .find(|p| {
            p["embedded"] == false
                && p["payload"]["chunk_count"] == 1
                && words_of(p).split(' ').count() >= 8
        })
        .unwrap_or_else(|| panic!("no whole unembedded message"));
    let words = words_of(unembedded);
    let hits = search_hits(
        data.path(),
        &["--mode", "lexical", "--limit", "20", "--explain", &words],
    );
    let found = hits
        .iter()
        .find(|h| h["message_id"] == unembedded["payload"]["message_id"])
        .unwrap_or_else(|| panic!("{words:?} did not find its unembedded message: {hits:?}"));
    assert_eq!(found["explain"]["awaiting_vector"], true, "{found}");

    let mut runs = 1;
    let mut worst = took;
    loop {
        let start = Instant::now();
        let o = run(
            data.path(),
            &["--pipeline", pipeline, "resume", "--budget", "3s"],
        );
        let took = start.elapsed();
        worst = worst.max(took);
        assert!(took < budget + slack, "resume took {took:?}");
        runs += 1;
        match code(&o) {
            0 => break,
            75 => assert!(runs < 150, "no convergence after {runs} runs"),
            c => panic!("resume failed with {c}: {}", stderr(&o)),
        }
    }
    eprintln!("{runs} budgeted runs of 3s, worst wall time {worst:?}");
    let overshoot = worst.saturating_sub(budget).as_secs_f64() * 1000.0;
    torture_report(
        "budgeted-runs",
        runs,
        0,
        0,
        clean.len() as u64,
        overshoot,
        None,
    );
    let o = run(data.path(), &["resume"]);
    assert_eq!(code(&o), 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("nothing to resume"));
    assert_same_export(&export(data.path()), clean, "after budgeted runs");
}

#[test]
fn budgeted_runs_over_codex_rollouts_stop_in_time_and_resume_to_the_clean_result() {
    budgeted_runs_of("codex", &codex_fixtures());
}

#[test]
fn budgeted_runs_over_gemini_chats_stop_in_time_and_resume_to_the_clean_result() {
    budgeted_runs_of("gemini-cli", &gemini_fixtures());
}

/// 2-second runs of `agent`'s pipeline over `fixtures`, resumed until caught up: each ends in time, and together
/// they store what one clean run stores.
fn budgeted_runs_of(agent: &str, fixtures: &std::path::Path) {
    let cfg_dir = tempdir();
    let pipeline = fine_grained_pipeline_of(cfg_dir.path(), agent);
    let pipeline = pipeline.to_str().unwrap_or_default();
    let clean = clean_export_of(fixtures, &["--pipeline", pipeline]);
    let _turn = one_at_a_time();
    let data = tempdir();
    let budget = Duration::from_secs(2);
    let slack = Duration::from_millis(700);
    let source = fixtures.to_str().unwrap_or_default();
    let mut args = vec![
        "--pipeline",
        pipeline,
        "run",
        "--source",
        source,
        "--budget",
        "2s",
    ];
    let (mut runs, mut worst) = (0u64, Duration::ZERO);
    loop {
        let start = Instant::now();
        let o = run(data.path(), &args);
        let took = start.elapsed();
        worst = worst.max(took);
        assert!(took < budget + slack, "run {runs} took {took:?}");
        runs += 1;
        match code(&o) {
            0 => break,
            75 => assert!(runs < 100, "no convergence after {runs} runs"),
            c => panic!("run failed with {c}: {}", stderr(&o)),
        }
        args = vec!["--pipeline", pipeline, "resume", "--budget", "2s"];
    }
    assert!(
        runs >= 2,
        "2 s cannot embed every rollout: the first run must stop"
    );
    eprintln!("{runs} budgeted runs of 2s over the {agent} fixtures, worst {worst:?}");
    torture_report(
        &format!("budgeted-runs-{agent}"),
        runs,
        0,
        0,
        clean.len() as u64,
        worst.saturating_sub(budget).as_secs_f64() * 1000.0,
        None,
    );
    assert_same_export(
        &export(data.path()),
        &clean,
        &format!("after budgeted runs ({agent})"),
    );
}
