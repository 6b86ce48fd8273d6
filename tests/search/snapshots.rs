//! Searching while a sync writes: the published snapshot, republished as the sync goes on.

use crate::common::*;

#[test]
fn search_during_a_sync_reads_the_published_snapshot_and_never_waits() {
    let data = fixture_store();
    assert!(
        pipeline::store::snapshot::path(data).exists(),
        "a finished run publishes a snapshot"
    );
    let writer = pipeline::store::WriterLock::acquire(data).unwrap_or_else(|e| panic!("{e}"));
    let start = std::time::Instant::now();
    let o = run(
        data,
        &[
            "search",
            "--json",
            "x-api-key header is required",
            "--limit",
            "3",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("a sync is running"), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(report["from_snapshot"], true, "{report}");
    assert!(report["hits"].as_array().is_some_and(|h| !h.is_empty()));
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    // A second writer is refused while the lock is held.
    let o = run(
        data,
        &["run", "--source", fixtures().to_str().unwrap_or_default()],
    );
    assert_eq!(code(&o), 3, "busy: {}", stderr(&o));
    drop(writer);

    // No snapshot yet and a writer running: a clear error, not a hang.
    let empty = tempdir();
    let _w = pipeline::store::WriterLock::acquire(empty.path()).unwrap_or_else(|e| panic!("{e}"));
    let o = run(empty.path(), &["search", "anything"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("no search index"), "{}", stderr(&o));
}

#[test]
fn a_long_sync_republishes_the_snapshot_so_searches_see_its_progress() {
    let src = tempdir();
    let data = tempdir();
    let cfg = tempdir();
    large_synthetic_corpus(src.path(), 21);
    let pipeline_file = cfg.path().join("every1.toml");
    std::fs::write(
        &pipeline_file,
        "[snapshot]\nevery_secs = 1\n[embed]\nwindow_texts = 16\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut child = spawn(
        data.path(),
        &[
            "--pipeline",
            pipeline_file.to_str().unwrap_or_default(),
            "run",
            "--source",
            src.path().to_str().unwrap_or_default(),
        ],
    );
    let snapshot = pipeline::store::snapshot::path(data.path());
    let start = std::time::Instant::now();
    while !snapshot.exists() && start.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        snapshot.exists(),
        "a snapshot is published while the run is going"
    );
    assert!(
        child.try_wait().ok().flatten().is_none(),
        "the run is still going"
    );
    let o = run(data.path(), &["search", "--json", "the", "--limit", "5"]);
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("a sync is running"), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert!(
        report["hits"].as_array().is_some_and(|h| !h.is_empty()),
        "points committed by the running sync are searchable: {report}"
    );
}
