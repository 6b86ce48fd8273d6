//! Exit codes and the edges of the command line: usage errors, missing model, nothing to resume, reset,
//! a second writer, SIGTERM, a zero budget.

mod common;

use common::*;
use std::time::{Duration, Instant};

#[test]
fn usage_errors_exit_2() {
    let data = tempdir();
    let o = run(data.path(), &["run", "--budget", "soon"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("invalid duration"), "{}", stderr(&o));

    let cfg = data.path().join("bad.toml");
    std::fs::write(&cfg, "[embed]\nthreadz = 1\n").unwrap_or_else(|e| panic!("{e}"));
    let o = run(
        data.path(),
        &["--pipeline", cfg.to_str().unwrap_or_default(), "stats"],
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("bad.toml") && stderr(&o).contains("threadz"),
        "{}",
        stderr(&o)
    );

    let o = run(data.path(), &["run", "--source", "/definitely/not/here"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));

    // A --project whose value was forgotten does not take the next option as a project.
    for args in [
        &["search", "x", "--project", "--json"][..],
        &["forget", "--project", "--yes"][..],
    ] {
        let o = run(data.path(), args);
        assert_eq!(code(&o), 2, "{args:?}");
        assert!(
            stderr(&o).contains("needs a value"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn missing_model_names_the_make_target() {
    let data = tempdir();
    let o = command(
        data.path(),
        &["run", "--source", fixtures().to_str().unwrap_or_default()],
    )
    .env("PIPELINE_MODEL_DIR", data.path().join("no-models"))
    .env_remove("ORT_DYLIB_PATH")
    .output()
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("make model"), "{}", stderr(&o));
}

#[test]
fn health_is_unhealthy_without_the_model() {
    let data = tempdir();
    let o = command(data.path(), &["health", "--json"])
        .env("PIPELINE_MODEL_DIR", data.path().join("no-models"))
        .env_remove("ORT_DYLIB_PATH")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code(&o), 1);
    let h: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(h["healthy"], false);
    assert_eq!(h["model_found"], false);
    assert!(h["problems"].to_string().contains("make model"), "{h}");
    // With the model, a data dir nothing has synced into is unhealthy and says what to run; it is not created.
    let missing = data.path().join("mistyped");
    for args in [&["health"][..], &["stats"]] {
        let o = run(&missing, args);
        assert_eq!(code(&o), 1, "{args:?}");
        let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
        assert!(said.contains("pipeline run"), "{args:?}: {said}");
    }
    let o = run(&missing, &["resume"]);
    assert_eq!(code(&o), 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("no sync has run"));
    assert!(
        !missing.exists(),
        "looking at a data dir does not create it"
    );
    // After a sync (of an empty source), an empty store is healthy.
    let empty = tempdir();
    let o = run(
        data.path(),
        &["run", "--source", empty.path().to_str().unwrap_or_default()],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(data.path(), &["health"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn resume_with_nothing_to_resume_and_reset() {
    let data = tempdir();
    let o = run(data.path(), &["resume"]);
    assert_eq!(code(&o), 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("nothing to resume"));

    let o = run(data.path(), &["reset"]);
    assert_eq!(code(&o), 2, "reset asks; without a terminal it refuses");
    let o = run(data.path(), &["reset", "--yes"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn zero_budget_exits_75_at_once_and_stores_nothing() {
    let data = tempdir();
    let start = Instant::now();
    let o = sync(data.path(), &fixtures(), &["--budget", "0s"]);
    assert_eq!(code(&o), 75, "{}", stderr(&o));
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(export(data.path()).is_empty());
}

#[test]
fn a_second_writer_fails_fast_and_sigterm_stops_cleanly() {
    let data = tempdir();
    let fixtures = fixtures();
    let mut first = spawn(
        data.path(),
        &["run", "--source", fixtures.to_str().unwrap_or_default()],
    );
    // Wait until the first run holds the store.
    let started = Instant::now();
    while !data.path().join("store").exists() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let second = run(
        data.path(),
        &["run", "--source", fixtures.to_str().unwrap_or_default()],
    );
    assert_eq!(code(&second), 3, "busy: {}", stderr(&second));
    assert!(
        stderr(&second).contains("another `pipeline` process"),
        "{}",
        stderr(&second)
    );
    assert!(t.elapsed() < Duration::from_secs(3), "refusal must be fast");

    // SIGTERM: commit what is in flight and exit with 75 within the signal grace.
    std::thread::sleep(Duration::from_secs(2));
    let t = Instant::now();
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(first.id().to_string())
        .status();
    let status = first.wait().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.code(), Some(75));
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "took {:?} after SIGTERM",
        t.elapsed()
    );
    let o = run(data.path(), &["resume"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}
