//! A data dir written by an older enhancer is re-indexed by the next runs on their own: budgeted, resumable,
//! searchable throughout, and ending exactly where a clean sync of the same files ends.

mod common;

use common::*;
use pipeline::store::{EmbeddedStore, SyncState};
use std::path::Path;
use std::time::{Duration, Instant};

fn corpus(src: &Path) {
    for rel in [
        "-tmp-claude-reliability/coverage-test-fix.jsonl",
        "-tmp-claude-reliability/python-to-rust-port.jsonl",
        "-home-user-episodic-memory/medium-conversation.jsonl",
        "-home-user-spotter/4d5611e5-241a-462a-8d15-5122611a9569/subagents/agent-a2898e3.jsonl",
    ] {
        copy_fixture(rel, &src.join(rel));
    }
}

/// Makes a synced data dir look as an older version left it: no recorded enhancer version, older text in every
/// point, no hook feedback, and an empty embedding cache (so re-embedding takes several budgeted runs).
fn age(data_dir: &Path) -> usize {
    let store = SyncState::open(data_dir).unwrap_or_else(|e| panic!("{e}"));
    let embedded = EmbeddedStore::of(&store);
    let points: Vec<_> = embedded
        .points()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut aged = Vec::new();
    for (id, mut p) in points {
        if p.payload.kind == pipeline::message::MessageKind::HookFeedback {
            continue;
        }
        p.payload.enhancer_version = 1;
        p.payload.text = format!("old {}", p.payload.text);
        p.payload.line_uuids.clear();
        aged.push((id, p));
    }
    let n = aged.len();
    let checkpoints: Vec<_> = store
        .checkpoints()
        .into_iter()
        .filter_map(|(_, c)| c.ok())
        .collect();
    assert!(!checkpoints.is_empty());
    // Everything goes (the cache, the run history and the recorded version with it) but the points and checkpoints.
    store.clear().unwrap_or_else(|e| panic!("{e}"));
    embedded.put_points(&aged).unwrap_or_else(|e| panic!("{e}"));
    for cp in &checkpoints {
        store
            .put_checkpoint_now(cp)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(store
        .meta_get(pipeline::reindex::VERSION_KEY)
        .unwrap_or_default()
        .is_none());
    n
}

#[test]
fn an_old_data_dir_is_reindexed_by_budgeted_runs_to_the_clean_result() {
    let src = tempdir();
    corpus(src.path());
    let clean = tempdir();
    sync_ok(clean.path(), src.path(), &[]);
    let expected = export(clean.path());
    assert!(
        expected
            .iter()
            .any(|l| l.contains("\"kind\":\"hook_feedback\"")),
        "the corpus has hook feedback"
    );

    let data = tempdir();
    sync_ok(data.path(), src.path(), &[]);
    let aged = age(data.path());
    assert!(aged > 0);
    let old = run(
        data.path(),
        &["search", "--json", "--limit", "1", "Stop hook feedback"],
    );
    assert_eq!(
        code(&old),
        0,
        "an old data dir is searchable: {}",
        stderr(&old)
    );

    let pipeline = fine_grained_pipeline(data.path());
    let pipeline = pipeline.to_str().unwrap_or_default();
    let budget = Duration::from_secs(3);
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs <= 30, "the re-index never finished");
        let started = Instant::now();
        let o = run(
            data.path(),
            &[
                "--pipeline",
                pipeline,
                "run",
                "--budget",
                "3s",
                "--source",
                src.path().to_str().unwrap_or_default(),
            ],
        );
        assert!(
            started.elapsed() < budget + Duration::from_secs(3),
            "run {runs} overran its budget"
        );
        match code(&o) {
            0 => break,
            75 => {
                // Mid-re-index the store still answers searches.
                let s = run(
                    data.path(),
                    &["search", "--json", "--limit", "1", "coverage"],
                );
                assert_eq!(code(&s), 0, "{}", stderr(&s));
            }
            c => panic!("run {runs} failed with {c}: {}", stderr(&o)),
        }
    }
    assert!(
        runs >= 2,
        "the re-index took {runs} run(s): the budget should have split it"
    );
    assert_same_export(
        &export(data.path()),
        &expected,
        "after the automatic re-index",
    );

    // Caught up: the next run has nothing to do.
    let o = sync_ok(data.path(), src.path(), &["--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(summary["points_committed"], 0, "{summary}");
}
