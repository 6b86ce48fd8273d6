//! Keeping transcripts out: a `[source] exclude` glob and an opt-out marker in a project's working directory
//! leave their sessions unread; the run and `stats` count them, and nothing of them is stored.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::Path;

/// A two-line session run in `cwd`.
fn session(path: &Path, cwd: &Path, words: &str) {
    let line = |uuid: &str, parent: Option<&str>, role: &str, text: &str| {
        let mut v = serde_json::json!({
            "type": role, "uuid": uuid, "parentUuid": parent, "sessionId": "s",
            "cwd": cwd, "timestamp": "2026-11-30T10:00:00.000Z", "isSidechain": false,
            "message": {"role": role, "content": text},
        });
        if role == "assistant" {
            v["message"]["content"] = serde_json::json!([{"type": "text", "text": text}]);
            v["message"]["id"] = serde_json::json!("msg_1");
        }
        v.to_string() + "\n"
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    }
    append(
        path,
        (line("u1", None, "user", words) + &line("a1", Some("u1"), "assistant", "Done."))
            .as_bytes(),
    );
}

#[test]
fn excluded_and_opted_out_sessions_are_never_read() {
    let (src, data, work) = (tempdir(), tempdir(), tempdir());
    small_corpus(src.path());
    let (secret, other) = (work.path().join("secret"), work.path().join("other"));
    std::fs::create_dir_all(secret.join("api")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(&other).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(secret.join(".pipeline-ignore"), "").unwrap_or_else(|e| panic!("{e}"));
    let opted_out = src.path().join("-work-secret-api").join("s1.jsonl");
    session(
        &opted_out,
        &secret.join("api"),
        "the merger plans for the client",
    );
    let kept = src.path().join("-work-other").join("s2.jsonl");
    session(&kept, &other, "rename the build script");
    let pipeline = work.path().join("p.toml");
    std::fs::write(&pipeline, "[source]\nexclude = [\"**/tiny.jsonl\"]\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let p = pipeline.to_str().unwrap_or_default();

    let o = sync_ok(data.path(), src.path(), &["--pipeline", p, "--json"]);
    let summary: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary["files_excluded"], 2, "{summary}");
    let sources: BTreeSet<String> = export_json(data.path())
        .iter()
        .filter_map(|point| point["payload"]["source_path"].as_str().map(str::to_string))
        .collect();
    let name = |p: &str| {
        Path::new(p)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let names: BTreeSet<String> = sources.iter().map(|s| name(s)).collect();
    assert_eq!(
        names,
        ["hello.jsonl", "s2.jsonl"].map(str::to_string).into(),
        "{sources:?}"
    );
    let found = file_holding(data.path(), b"merger plans");
    assert!(found.is_none(), "{found:?}");

    let stats = run(data.path(), &["--pipeline", p, "stats", "--json"]);
    let stats: serde_json::Value =
        serde_json::from_slice(&stats.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stats["files"]["excluded"], 2, "{stats}");
    assert_eq!(
        stats["files"]["pending"], 0,
        "excluded files are not work left: {stats}"
    );

    // A bad glob is refused when the pipeline file loads, naming the file and the glob.
    std::fs::write(&pipeline, "[source]\nexclude = [\"a[\"]\n").unwrap_or_else(|e| panic!("{e}"));
    let o = sync(data.path(), src.path(), &["--pipeline", p]);
    assert_ne!(code(&o), 0);
    let err = stderr(&o);
    assert!(err.contains("p.toml") && err.contains("\"a[\""), "{err}");
}

#[test]
fn runs_killed_at_random_instants_with_exclusions_end_equal_to_a_clean_run_without_the_excluded() {
    let fixtures = fixtures();
    let mut projects: Vec<String> = std::fs::read_dir(&fixtures)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    projects.sort();
    let excluded = projects.first().cloned().unwrap_or_default();
    assert!(!excluded.is_empty(), "no project in {}", fixtures.display());
    let expected: Vec<String> = clean_export()
        .iter()
        .filter(|l| !l.contains(&format!("/{excluded}/")))
        .cloned()
        .collect();
    assert!(
        expected.len() < clean_export().len(),
        "{excluded} holds points"
    );

    let (data, conf) = (tempdir(), tempdir());
    let pipeline = conf.path().join("p.toml");
    std::fs::write(
        &pipeline,
        format!("[parse]\ncheckpoint_every_messages = 4\n[embed]\nwindow_texts = 16\n[source]\nexclude = [\"**/{excluded}\"]\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let p = pipeline.to_str().unwrap_or_default();
    let source = fixtures.to_str().unwrap_or_default();
    let first_seed = seed();
    let mut rng = first_seed;
    let mut kills = 0;
    for _ in 0..6 {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = std::time::Duration::from_millis(200 + (rng >> 33) % 2500);
        let mut child = spawn(data.path(), &["--pipeline", p, "run", "--source", source]);
        match exited_or_killed(&mut child, delay) {
            None => kills += 1,
            Some(status) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut err);
                }
                assert!(
                    status.success(),
                    "PIPELINE_TEST_SEED={first_seed}: {status}: {err}"
                );
            }
        }
    }
    assert!(
        kills >= 1,
        "PIPELINE_TEST_SEED={first_seed}: no run was killed"
    );
    sync_ok(data.path(), &fixtures, &["--pipeline", p]);
    assert_same_export(
        &export(data.path()),
        &expected,
        &format!("PIPELINE_TEST_SEED={first_seed}, {kills} kills"),
    );
}
