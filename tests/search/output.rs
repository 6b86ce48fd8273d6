//! What `search` prints and how it ends: a closed pipe, no index, `--explain`, context and bad values.

use crate::common::*;
use crate::payloads_by_message;

/// `pipeline search ... | head` and `export | head`: the reader goes away before the output is written, and the
/// command ends quietly with 0 (it panicked with "failed printing to stdout: Broken pipe").
#[test]
fn a_closed_pipe_ends_search_and_export_quietly() {
    let data = fixture_store();
    for args in [
        &["search", "--limit", "50", "--explain", "error"][..],
        &["search", "--json", "--limit", "50", "error"],
        &["export"],
    ] {
        let mut child = command(data, args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        // Close the read end before the command has written anything (it is still opening the store).
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let err = stderr(&o);
        assert_eq!(code(&o), 0, "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}

/// Searching a data dir that holds no index says so, where it looked and what to run (it printed "no results"
/// and exited 0), and creates nothing there.
#[test]
fn search_without_an_index_says_what_to_run() {
    let root = tempdir();
    let missing = root.path().join("never-synced");
    for args in [&["search", "anything"][..], &["export"]] {
        let o = run(&missing, args);
        let err = stderr(&o);
        assert_eq!(code(&o), 1, "{args:?}: {err}");
        assert!(
            err.contains("no search index")
                && err.contains(missing.to_string_lossy().as_ref())
                && err.contains("pipeline run"),
            "{args:?}: {err}"
        );
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(!missing.exists(), "{args:?} created the data dir");
    }
    // A data dir whose store holds nothing (a sync of an empty source) has no index either.
    let empty_src = tempdir();
    let data = tempdir();
    sync_ok(data.path(), empty_src.path(), &[]);
    let o = run(data.path(), &["search", "anything"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("no search index"), "{}", stderr(&o));
}

#[test]
fn explain_context_and_unknown_values() {
    let data = fixture_store();
    let o = run(
        data,
        &[
            "search",
            "x-api-key header is required",
            "--limit",
            "2",
            "--explain",
            "--context",
            "1",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("explain: semantic") && out.contains("lexical #1"),
        "{out}"
    );
    assert!(out.contains("recency ×"), "{out}");
    let hits = search_hits(
        data,
        &[
            "x-api-key header is required",
            "--limit",
            "1",
            "--context",
            "2",
        ],
    );
    let before = hits[0]["before"].as_array().map_or(0, |a| a.len());
    assert!(
        before >= 1,
        "a tool result has its tool call before it: {}",
        hits[0]
    );
    // The context follows the tree: the first message before is the hit's parent.
    assert_eq!(
        hits[0]["before"][before - 1]["message_id"],
        payloads_by_message(data)[hits[0]["message_id"].as_str().unwrap_or_default()]
            ["parent_message_id"]
    );

    for (args, needle) in [
        (vec!["x", "--kind", "robot"], "valid kinds"),
        (vec!["x", "--topic", "astrology"], "valid topics"),
        (vec!["x", "--project", "nope"], "projects in the store"),
        // A project stored under its encoded directory name starts with a dash.
        (vec!["x", "--project", "-tmp-nope"], "projects in the store"),
        (vec!["x", "--since", "someday"], "invalid time"),
        (
            vec!["x", "--session", "no-such-session"],
            "no stored session id",
        ),
        (vec!["  "], "the query is empty"),
    ] {
        let mut full = vec!["search"];
        full.extend(args);
        // Refused before the model loads: the same usage error with no model installed.
        let without_model = tempdir();
        for model_dir in [None, Some(without_model.path())] {
            let mut c = command(data, &full);
            if let Some(dir) = model_dir {
                c.env("PIPELINE_MODEL_DIR", dir)
                    .env_remove("ORT_DYLIB_PATH");
            }
            let o = c.output().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(code(&o), 2, "{full:?} {model_dir:?}: {}", stderr(&o));
            assert!(stderr(&o).contains(needle), "{full:?}: {}", stderr(&o));
        }
    }
}

#[test]
fn the_session_a_hit_shows_finds_that_session() {
    let data = fixture_store();
    let o = run(
        data,
        &["search", "x-api-key header is required", "--limit", "1"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let shown = out
        .split(" session ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("a hit shows its session: {out}"));
    assert_eq!(shown.len(), 8, "{out}");
    let hits = search_hits(data, &["tests", "--session", shown, "--limit", "50"]);
    assert!(!hits.is_empty(), "the shown session has hits");
    let full = hits[0]["session_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        full.starts_with(shown) && full.len() > shown.len(),
        "{full}"
    );
    assert!(
        hits.iter().all(|h| h["session_id"] == full.as_str()),
        "every hit is of that session"
    );
    assert_eq!(
        search_hits(data, &["tests", "--session", &full, "--limit", "50"]),
        hits,
        "the abbreviation finds what the whole id finds"
    );
}

#[test]
fn a_project_name_covers_its_worktrees() {
    let data = fixture_store();
    let payloads = payloads_by_message(data);
    let hits = search_hits(
        data,
        &["mix phx.server", "--project", "spotter", "--limit", "100"],
    );
    let paths: std::collections::BTreeSet<&str> = hits
        .iter()
        .filter_map(|h| payloads.get(h["message_id"].as_str()?)?["project"].as_str())
        .collect();
    assert!(
        paths.contains("/home/marco/projects/spotter")
            && paths.contains("/home/USER/projects/spotter-worktrees/spotter-dov"),
        "the checkout and its worktree are one project: {paths:?}"
    );
    assert!(hits.iter().all(|h| h["project"] == "spotter"));
    // The worktree alone, by its path.
    let path = "/home/USER/projects/spotter-worktrees/spotter-dov";
    let hits = search_hits(
        data,
        &["mix phx.server", "--project", path, "--limit", "100"],
    );
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| payloads
        .get(h["message_id"].as_str().unwrap_or_default())
        .is_some_and(|p| p["project"] == path)));
}

#[test]
fn a_question_the_history_never_answers_gets_no_weak_matches_unless_asked() {
    let data = fixture_store();
    let query = "recipe for banana bread";
    let report = search_report(data, &[query]);
    let hidden = report["weak_hidden"].as_u64().unwrap_or(0);
    assert!(
        report["hits"].as_array().is_some_and(|h| h.is_empty()) && hidden > 0,
        "{report}"
    );
    let o = run(data, &["search", query]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("no close match") && text.contains("--weak"),
        "{text}"
    );
    let all = search_report(data, &[query, "--weak", "--explain", "--limit", "100"]);
    let hits = all["hits"].as_array().cloned().unwrap_or_default();
    assert_eq!(hits.len() as u64, hidden.min(100), "{all}");
    assert!(all.get("weak_hidden").is_none(), "{all}");
    assert!(hits.iter().all(|h| h["explain"]["lexical_rank"].is_null()
        && h["explain"]["cosine"].as_f64().is_some_and(|c| c < 0.25)));
    // A question the history does answer keeps its hits.
    let answered = search_hits(data, &["x-api-key header is required"]);
    assert!(!answered.is_empty());
}

/// The weak-match cut-off is the model's (`[embed.model] weak_cosine`): the default model's files under another
/// id hide nothing until that pipeline gives a cut-off of its own.
#[test]
fn the_weak_match_cut_off_belongs_to_the_model() {
    let dir = tempdir();
    let source = dir.path().join("projects");
    small_corpus(&source);
    let data = dir.path().join("data");
    let pipeline = |name: &str, extra: &str| {
        let path = dir.path().join(format!("{name}.toml"));
        let text = format!("name = \"{name}\"\n[embed.model]\nid = \"minilm-unmeasured\"\n{extra}");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path.to_string_lossy().into_owned()
    };
    let unmeasured = pipeline("unmeasured", "");
    let measured = pipeline("measured", "weak_cosine = 0.25\n");
    let o = run(
        &data,
        &[
            "--pipeline",
            &unmeasured,
            "run",
            "--source",
            source.to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let search = |pipeline: &str| -> serde_json::Value {
        let args = [
            "--pipeline",
            pipeline,
            "search",
            "--json",
            "--limit",
            "100",
            "recipe for banana bread",
        ];
        let o = run(&data, &args);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"))
    };
    let shown = search(&unmeasured);
    let hits = shown["hits"].as_array().map_or(0, Vec::len);
    assert!(hits > 0 && shown.get("weak_hidden").is_none(), "{shown}");
    let hidden = search(&measured);
    assert!(
        hidden["hits"].as_array().is_some_and(|h| h.is_empty())
            && hidden["weak_hidden"].as_u64() == Some(hits as u64),
        "{hidden}"
    );
}
