//! `pipeline search`: known answers on the real fixtures, and every filter (alone and combined) on a store with
//! known contents.

mod common;

use common::*;
use pipeline::ids;
use pipeline::message::{MessageKind, Sentiment, TopicScore};
use pipeline::payload::{Payload, Validation};
use pipeline::store::{CommitBatch, EmbeddedStore, PointWrite, Sink, SinkOp, StoredPoint};
use std::path::Path;

/// The payload of each stored message's first chunk, by message id.
fn payloads_by_message(data: &Path) -> std::collections::HashMap<String, serde_json::Value> {
    export_json(data)
        .into_iter()
        .map(|p| p["payload"].clone())
        .filter(|p| p["chunk_index"] == 0)
        .filter_map(|p| Some((p["message_id"].as_str()?.to_string(), p)))
        .collect()
}

/// Message ids of the stored messages whose text contains `needle`.
fn messages_containing(data: &Path, needle: &str) -> Vec<String> {
    let mut ids: Vec<String> = export_json(data)
        .iter()
        .filter(|p| {
            p["payload"]["text"]
                .as_str()
                .is_some_and(|t| t.contains(needle))
        })
        .filter_map(|p| p["payload"]["message_id"].as_str().map(str::to_string))
        .collect();
    ids.dedup();
    ids
}

fn assert_in_top5(data: &Path, query: &str, expected: &[String], extra: &[&str]) {
    assert!(!expected.is_empty(), "no expected message for {query:?}");
    let mut args = vec![query, "--limit", "5"];
    args.extend_from_slice(extra);
    let hits = search_hits(data, &args);
    let got: Vec<&str> = hits
        .iter()
        .filter_map(|h| h["message_id"].as_str())
        .collect();
    assert!(
        got.iter().any(|g| expected.iter().any(|e| e == g)),
        "{query:?}: none of {expected:?} in the top 5 {got:?}"
    );
}

#[test]
fn known_answers_on_the_fixtures() {
    let data = fixture_store();
    // An exact error string, found through the lexical list.
    let expected = messages_containing(data, "x-api-key header is required");
    assert_in_top5(data, "x-api-key header is required", &expected, &[]);
    // A file name.
    let expected = messages_containing(data, "test_math_utils.py");
    assert_in_top5(data, "test_math_utils.py", &expected, &[]);
    // A paraphrased question, found through the embedding (no shared key words with the prompt).
    let expected = messages_containing(data, "multiply_numbers");
    assert_in_top5(
        data,
        "write a function returning the product of two integers",
        &expected,
        &[],
    );
    // The question a user would ask: the session that worked on coverage answers it.
    let expected = messages_containing(data, "100% line coverage");
    assert_in_top5(
        data,
        "how did we fix the failing coverage test",
        &expected,
        &[],
    );
    // An identifier in a compaction summary.
    let expected = messages_containing(
        data,
        "cannot invoke remote function Access.get/2 inside a guard",
    );
    assert_in_top5(data, "Access.get/2 inside a guard", &expected, &[]);
}

/// A question naming a file: the messages whose tool calls read or wrote it, and those calls' results, are boosted
/// (`names_the_file`), and nothing else is.
#[test]
fn a_named_file_boosts_the_calls_that_touched_it_and_their_results() {
    let data = fixture_store();
    let touches = |p: &serde_json::Value| {
        p["files_touched"].as_array().is_some_and(|files| {
            files.iter().any(|f| {
                f.as_str()
                    .is_some_and(|f| f.ends_with("/src/list_utils.rs"))
            })
        })
    };
    // The Write's result knows the file its call named.
    let created = export_json(data)
        .into_iter()
        .map(|p| p["payload"].clone())
        .find(|p| {
            p["text"].as_str().is_some_and(|t| {
                t.contains("File created successfully at") && t.ends_with("/src/list_utils.rs")
            })
        })
        .unwrap_or_else(|| panic!("the Write result of list_utils.rs is stored"));
    assert_eq!(created["kind"], "tool_result");
    assert!(touches(&created), "{created}");

    let hits = search_hits(
        data,
        &[
            "What went into src/list_utils.rs in the Rust port?",
            "--limit",
            "10",
            "--explain",
        ],
    );
    let payloads = payloads_by_message(data);
    let payload = |h: &serde_json::Value| {
        h["message_id"]
            .as_str()
            .and_then(|id| payloads.get(id))
            .cloned()
            .unwrap_or_else(|| panic!("a hit names a stored message: {h}"))
    };
    let boosted = |h: &serde_json::Value| {
        h["explain"]["boosts"]
            .as_array()
            .is_some_and(|b| b.iter().any(|b| b["name"] == "names_the_file"))
    };
    assert!(
        hits.iter().take(5).filter(|h| touches(&payload(h))).count() >= 2,
        "{hits:#?}"
    );
    for h in &hits {
        assert_eq!(boosted(h), touches(&payload(h)), "{h}");
    }
}

/// A question in everyday words is also searched, by meaning, with the technical terms they stand for (the
/// built-in thesaurus): "upload our work to the server" reaches the `git push` the transcripts hold, and the
/// report says which terms were added and which hits owe their cosine to them.
#[test]
fn everyday_words_are_also_searched_by_their_technical_terms() {
    let data = fixture_store();
    let report = search_report(
        data,
        &[
            "how did we upload our work to the server",
            "--limit",
            "10",
            "--explain",
        ],
    );
    let added: Vec<&str> = report["expanded_with"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
        .unwrap_or_default();
    assert!(added.contains(&"push"), "{report:#}");
    let payloads = payloads_by_message(data);
    let via_expansion: Vec<&serde_json::Value> = report["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|h| h["explain"]["cosine_from_expansion"] == true)
        .collect();
    assert!(
        via_expansion.iter().any(|h| {
            h["message_id"]
                .as_str()
                .and_then(|id| payloads.get(id))
                .and_then(|p| p["text"].as_str())
                .is_some_and(|t| t.contains("git push"))
        }),
        "a `git push` message is found through the expansion: {report:#}"
    );

    // Technical words need no expansion: none is added, no cosine comes from one.
    let plain = search_report(data, &["git push", "--limit", "10", "--explain"]);
    assert!(plain.get("expanded_with").is_none(), "{plain:#}");
    assert!(plain["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|h| h["explain"].get("cosine_from_expansion").is_none()));
}

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
        (vec!["x", "--since", "someday"], "invalid time"),
    ] {
        let mut full = vec!["search"];
        full.extend(args);
        let o = run(data, &full);
        assert_eq!(code(&o), 2, "{full:?}");
        assert!(stderr(&o).contains(needle), "{full:?}: {}", stderr(&o));
    }
}

/// A store with known contents: 60 messages cycling through kinds, 2 projects, 3 sessions, topics, code,
/// solution attempts and validations, one day apart.
fn synthetic_store(dir: &Path) -> Vec<Payload> {
    let store = EmbeddedStore::open(dir).unwrap_or_else(|e| panic!("{e}"));
    let mut payloads = Vec::new();
    let mut ops = Vec::new();
    for i in 0..60u32 {
        let kind = MessageKind::ALL[(i % 5) as usize];
        let project = if i % 2 == 0 {
            "/home/me/alpha"
        } else {
            "/work/beta"
        };
        let session = format!("session-{}", i % 3);
        let uuid = format!("u{i}");
        let topic = ["debugging", "testing", "database"][(i % 3) as usize];
        let solution = matches!(kind, MessageKind::Assistant | MessageKind::ToolCall) && i % 4 != 3;
        let p = Payload {
            message_id: ids::message_id(&session, &uuid).to_string(),
            parent_message_id: None,
            session_id: session.clone(),
            uuid: uuid.clone(),
            kind,
            chunk_index: 0,
            chunk_count: 1,
            text: format!("message {i} about {topic} in {project}"),
            project: Some(project.into()),
            project_name: Path::new(project)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            git_branch: None,
            timestamp: None,
            timestamp_unix: Some(1_767_225_600 + i64::from(i) * 86_400),
            is_sidechain: false,
            agent_id: None,
            source_path: "/synthetic.jsonl".into(),
            line_offset: u64::from(i),
            tools_used: vec![],
            files_touched: vec![],
            has_code: i % 3 == 1,
            topics: vec![TopicScore {
                topic: topic.into(),
                confidence: 0.5,
            }],
            primary_topic: Some(topic.into()),
            solution_quality: 1.0,
            is_solution_attempt: solution,
            solution_category: None,
            feedback: None,
            validation: (solution && i % 5 == 1).then(|| Validation {
                feedback_message_id: "f".into(),
                sentiment: Sentiment::Positive,
                strength: (i as f32) / 100.0,
                certainty: 0.5,
            }),
            content_hash: String::new(),
            enhancer_version: 1,
            // Searched with the real model (whose id the index must carry); the vectors are deterministic stand-ins.
            embedding_model: pipeline::embedder::MODEL_ID.into(),
            line_uuids: vec![],
        };
        // A deterministic unit vector per message.
        let mut v: Vec<f32> = (0..384)
            .map(|d| (((i * 31 + d * 7) % 17) as f32) - 8.0)
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        ops.push(SinkOp::Upsert(Box::new(PointWrite {
            id: ids::point_id(&session, &uuid, 0),
            point: StoredPoint {
                vector: v,
                payload: p.clone(),
            },
            cache_key: None,
        })));
        payloads.push(p);
    }
    store
        .commit(&CommitBatch {
            ops,
            checkpoints: vec![],
        })
        .unwrap_or_else(|e| panic!("{e}"));
    payloads
}

#[test]
fn every_filter_alone_and_combined_returns_exactly_the_matching_messages() {
    let data = tempdir();
    let all = synthetic_store(data.path());
    type Pred = Box<dyn Fn(&Payload) -> bool>;
    let since = 1_767_225_600 + 20 * 86_400;
    let until = 1_767_225_600 + 40 * 86_400;
    let cases: Vec<(Vec<&str>, Pred)> = vec![
        (vec![], Box::new(|_| true)),
        (
            vec!["--project", "alpha"],
            Box::new(|p| p.project_name.as_deref() == Some("alpha")),
        ),
        (
            vec!["--project", "/work/beta"],
            Box::new(|p| p.project.as_deref() == Some("/work/beta")),
        ),
        (
            vec!["--kind", "human"],
            Box::new(|p| p.kind == MessageKind::Human),
        ),
        (
            vec!["--kind", "human", "--kind", "summary"],
            Box::new(|p| matches!(p.kind, MessageKind::Human | MessageKind::Summary)),
        ),
        (
            vec!["--topic", "testing"],
            Box::new(|p| p.primary_topic.as_deref() == Some("testing")),
        ),
        (vec!["--has-code"], Box::new(|p| p.has_code)),
        (
            vec!["--since", "2026-01-21"],
            Box::new(move |p| p.timestamp_unix.is_some_and(|t| t >= since)),
        ),
        (
            vec!["--until", "2026-02-10"],
            Box::new(move |p| p.timestamp_unix.is_some_and(|t| t < until)),
        ),
        (
            vec!["--session", "session-1"],
            Box::new(|p| p.session_id == "session-1"),
        ),
        (vec!["--solutions"], Box::new(|p| p.is_solution_attempt)),
        (
            vec![
                "--project",
                "alpha",
                "--kind",
                "assistant",
                "--kind",
                "tool_call",
                "--has-code",
            ],
            Box::new(|p| {
                p.project_name.as_deref() == Some("alpha")
                    && matches!(p.kind, MessageKind::Assistant | MessageKind::ToolCall)
                    && p.has_code
            }),
        ),
        (
            vec![
                "--topic",
                "debugging",
                "--since",
                "2026-01-21",
                "--until",
                "2026-02-10",
                "--session",
                "session-0",
            ],
            Box::new(move |p| {
                p.primary_topic.as_deref() == Some("debugging")
                    && p.timestamp_unix.is_some_and(|t| t >= since && t < until)
                    && p.session_id == "session-0"
            }),
        ),
        (
            vec!["--solutions", "--project", "beta", "--topic", "database"],
            Box::new(|p| {
                p.is_solution_attempt
                    && p.project_name.as_deref() == Some("beta")
                    && p.primary_topic.as_deref() == Some("database")
            }),
        ),
    ];
    let by_id = |h: &serde_json::Value| {
        all.iter()
            .find(|p| h["message_id"] == p.message_id.as_str())
            .unwrap_or_else(|| panic!("a hit names a stored message: {h}"))
    };
    for (args, pred) in cases {
        let mut full = vec!["message about", "--limit", "1000"];
        full.extend(args.iter().copied());
        let hits = search_hits(data.path(), &full);
        let mut got: Vec<String> = hits.iter().map(|h| by_id(h).uuid.clone()).collect();
        let mut want: Vec<String> = all
            .iter()
            .filter(|p| pred(p))
            .map(|p| p.uuid.clone())
            .collect();
        got.sort();
        want.sort();
        assert!(
            !want.is_empty() || args.len() > 4,
            "case {args:?} selects something"
        );
        assert_eq!(got, want, "filters {args:?}");
    }
    // --solutions orders the best validated first.
    let hits = search_hits(data.path(), &["message", "--solutions", "--limit", "3"]);
    let strengths: Vec<f64> = hits
        .iter()
        .map(|h| {
            by_id(h)
                .validation
                .as_ref()
                .map_or(0.0, |v| f64::from(v.strength))
        })
        .collect();
    let mut sorted = strengths.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    assert_eq!(strengths, sorted);
    assert!(strengths[0] > 0.0);
}

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
    assert!(stderr(&o).contains("no search snapshot"), "{}", stderr(&o));
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
