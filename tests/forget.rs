//! `pipeline forget`: a session's or a project's points, checkpoints and cached embeddings are deleted, the
//! rest of the store is untouched, the next runs do not bring them back, `--undo` does, and a forget killed at any
//! instant finishes when run again.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// The exported points of `data` as (session id, line) pairs.
fn points_by_session(data: &Path) -> Vec<(String, String)> {
    export(data)
        .into_iter()
        .map(|line| {
            let v: Value = serde_json::from_str(&line).unwrap_or_default();
            (
                v["payload"]["session_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                line,
            )
        })
        .collect()
}

fn forget_json(data: &Path, args: &[&str]) -> Value {
    let mut all = vec!["forget", "--yes", "--json"];
    all.extend_from_slice(args);
    let o = run(data, &all);
    assert_eq!(code(&o), 0, "forget: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("forget json: {e}"))
}

fn cached_vectors(data: &Path) -> usize {
    pipeline::store::SyncState::open_reader(data)
        .map(|s| s.cached_vector_count())
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_forgotten_session_is_deleted_everywhere_and_stays_out_until_undone() {
    let (src, data) = (tempdir(), tempdir());
    small_corpus(src.path());
    sync_ok(data.path(), src.path(), &[]);
    let before = points_by_session(data.path());
    let sessions: BTreeSet<&str> = before.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let gone = sessions
        .iter()
        .next()
        .copied()
        .unwrap_or_default()
        .to_string();
    let (forgotten, kept): (Vec<_>, Vec<_>) = before.iter().cloned().partition(|(s, _)| *s == gone);
    let kept: Vec<String> = kept.into_iter().map(|(_, l)| l).collect();
    let cache_before = cached_vectors(data.path());

    let removed = forget_json(data.path(), &["--session", &gone]);
    assert_eq!(removed["points"], forgotten.len() as u64, "{removed}");
    assert_eq!(removed["checkpoints"], 1, "{removed}");
    assert!(
        removed["cache_entries"].as_u64().unwrap_or(0) >= 1,
        "{removed}"
    );
    assert_eq!(
        cached_vectors(data.path()),
        cache_before - removed["cache_entries"].as_u64().unwrap_or(0) as usize
    );
    assert_same_export(&export(data.path()), &kept, "after forget");
    // Not a byte of the forgotten messages is left in the data dir (the database was rewritten without them).
    let kept_text = kept.join("\n");
    let mut checked = 0;
    for (_, line) in &forgotten {
        let v: Value = serde_json::from_str(line).unwrap_or_default();
        let text = v["payload"]["text"].as_str().unwrap_or_default();
        let probe: String = text.chars().take(60).collect();
        if probe.len() >= 24 && !kept_text.contains(&probe) {
            checked += 1;
            let found = file_holding(data.path(), probe.as_bytes());
            assert!(found.is_none(), "{probe:?} is still in {found:?}");
        }
    }
    assert!(checked >= 3, "{checked} texts checked");
    assert!(
        removed["compacted"]["bytes_after"].as_u64().unwrap_or(0) > 0,
        "{removed}"
    );
    let hits = search_hits(data.path(), &["hello world", "--limit", "50"]);
    assert!(
        hits.iter().all(|h| h["session_id"] != gone.as_str()),
        "{hits:?}"
    );

    // The next runs do not bring it back, and say why the file is left out.
    let o = sync_ok(data.path(), src.path(), &["--json"]);
    let summary: Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(summary["files_excluded"], 1, "{summary}");
    assert_same_export(&export(data.path()), &kept, "after the next run");
    let listed = run(data.path(), &["forget", "--list", "--json"]);
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap_or_default();
    assert_eq!(listed, serde_json::json!([{"session": gone}]));

    // A reset wipes the store and the checkpoints, not what was forgotten.
    let o = run(data.path(), &["reset", "--yes"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    sync_ok(data.path(), src.path(), &[]);
    assert_same_export(&export(data.path()), &kept, "after a reset and a run");

    // Forgetting twice is harmless; --undo lets the next run read it again.
    assert_eq!(forget_json(data.path(), &["--session", &gone])["points"], 0);
    let o = run(data.path(), &["forget", "--undo", "--session", &gone]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    sync_ok(data.path(), src.path(), &[]);
    let mut all: Vec<String> = before.into_iter().map(|(_, l)| l).collect();
    all.sort();
    assert_same_export(&export(data.path()), &all, "after --undo and a run");
}

#[test]
fn a_forgotten_project_goes_with_its_subagents_and_nothing_else() {
    let data = tempdir();
    copy_dir(fixture_store(), data.path());
    let before = export_json(data.path());
    let project = before
        .iter()
        .filter(|p| p["payload"]["agent_id"].is_string())
        .find_map(|p| p["payload"]["project_name"].as_str())
        .unwrap_or_else(|| panic!("a project with subagents"))
        .to_string();
    let matches = |p: &Value| {
        p["payload"]["project_name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(&project))
    };
    let removed = forget_json(data.path(), &["--project", &project.to_uppercase()]);
    assert_eq!(
        removed["points"],
        before.iter().filter(|p| matches(p)).count() as u64
    );
    let after = export_json(data.path());
    assert_eq!(after.len(), before.iter().filter(|p| !matches(p)).count());
    assert!(after.iter().all(|p| !matches(p)));
    // Its transcripts stay out, a worktree's too (a worktree's project is its repository's).
    let worktrees = before
        .iter()
        .filter(|p| matches(p))
        .filter(|p| {
            p["payload"]["project"]
                .as_str()
                .is_some_and(|d| d.contains("-worktrees/"))
        })
        .count();
    assert!(worktrees > 0, "{project} has a worktree in the fixtures");
    sync_ok(data.path(), &fixtures(), &[]);
    assert!(
        export_json(data.path()).iter().all(|p| !matches(p)),
        "read again"
    );
}

#[test]
fn a_forget_killed_at_any_instant_finishes_when_run_again() {
    let clean = tempdir();
    copy_dir(fixture_store(), clean.path());
    let project = export_json(clean.path())
        .iter()
        .find_map(|p| p["payload"]["project_name"].as_str().map(str::to_string))
        .unwrap_or_default();
    let started = std::time::Instant::now();
    forget_json(clean.path(), &["--project", &project]);
    let whole = started.elapsed();
    let expected = export(clean.path());
    let cache = cached_vectors(clean.path());
    let first_seed = seed();
    let mut rng = first_seed;
    for trial in 0..6 {
        let data = tempdir();
        copy_dir(fixture_store(), data.path());
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = whole.mul_f64((rng >> 33) as f64 / (1u64 << 31) as f64);
        let mut child = spawn(data.path(), &["forget", "--yes", "--project", &project]);
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        forget_json(data.path(), &["--project", &project]);
        assert_same_export(
            &export(data.path()),
            &expected,
            &format!("PIPELINE_TEST_SEED={first_seed}, trial {trial}, killed after {delay:?}"),
        );
        assert_eq!(cached_vectors(data.path()), cache, "trial {trial}");
    }
}
