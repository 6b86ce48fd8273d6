//! Every filter, alone and combined, on a store with known contents.

use crate::common::*;
use pipeline::ids;
use pipeline::message::{MessageKind, Sentiment, TopicScore};
use pipeline::payload::{Payload, Validation};
use pipeline::store::{EmbeddedStore, StoredPoint, SyncState};
use std::path::Path;

/// A store with known contents: 60 messages cycling through kinds, 2 projects, 3 sessions, topics, code,
/// solution attempts and validations, one day apart.
fn synthetic_store(dir: &Path) -> Vec<Payload> {
    synthetic_store_in(dir, &["/home/me/alpha", "/work/beta"])
}

/// [`synthetic_store`] with messages run in `projects`, in turn.
fn synthetic_store_in(dir: &Path, projects: &[&str]) -> Vec<Payload> {
    let store = EmbeddedStore::of(&SyncState::open(dir).unwrap_or_else(|e| panic!("{e}")));
    let mut payloads = Vec::new();
    let mut ops = Vec::new();
    for i in 0..60u32 {
        let kind = MessageKind::ALL[(i % 5) as usize];
        let project = projects[i as usize % projects.len()];
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
            redaction_version: String::new(),
            redacted: vec![],
            agent: pipeline::message::Agent::ClaudeCode,
        };
        // A deterministic unit vector per message.
        let mut v: Vec<f32> = (0..384)
            .map(|d| (((i * 31 + d * 7) % 17) as f32) - 8.0)
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        ops.push(upsert(
            ids::point_id(&session, &uuid, 0),
            StoredPoint {
                vector: v,
                payload: p.clone(),
            },
        ));
        payloads.push(p);
    }
    commit_ops(&store, ops);
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
    // "session-1" is a whole id (it is not ambiguous); "session-" abbreviates all three.
    let o = run(data.path(), &["search", "x", "--session", "session-"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("abbreviates 3"), "{}", stderr(&o));
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

/// `--here` covers the checkout the current directory is in, its repository's other worktrees and sessions run
/// below them, and nothing else (not a look-alike name, not the directory above).
#[test]
fn here_covers_the_checkout_its_worktrees_and_the_directories_below() {
    let root = tempdir();
    let code_dir = root.path().join("code");
    let at = |rel: &str| code_dir.join(rel).to_string_lossy().into_owned();
    let projects = [
        at("app"),
        at("app-worktrees/feat"),
        at("app/backend"),
        at("app-2"),
        at("other"),
    ];
    let project_refs: Vec<&str> = projects.iter().map(String::as_str).collect();
    let data = root.path().join("data");
    let all = synthetic_store_in(&data, &project_refs);
    let feat_src = code_dir.join("app-worktrees/feat/src");
    std::fs::create_dir_all(&feat_src).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(code_dir.join("other")).unwrap_or_else(|e| panic!("{e}"));
    // The project of every hit, in rank order.
    let here = |dir: &Path| -> Vec<String> {
        let o = command(
            &data,
            &[
                "search",
                "--json",
                "--here",
                "--limit",
                "1000",
                "message about",
            ],
        )
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let report: serde_json::Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
        report["hits"]
            .as_array()
            .map(|hits| {
                hits.iter()
                    .filter_map(|h| {
                        let id = h["message_id"].as_str()?;
                        all.iter().find(|p| p.message_id == id)?.project.clone()
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let distinct = |v: Vec<String>| v.into_iter().collect::<std::collections::BTreeSet<_>>();
    // A `.git` above, where no session ran (one repository holding many checkouts), is no checkout.
    std::fs::create_dir_all(root.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
    let from_worktree = here(&feat_src);
    assert_eq!(from_worktree.len(), 36, "3 of 5 projects' 60 messages");
    assert_eq!(
        distinct(from_worktree),
        distinct(projects[..3].to_vec()),
        "the worktree, the main checkout and a session run below it"
    );
    assert_eq!(
        distinct(here(&code_dir.join("other"))),
        distinct(vec![projects[4].clone()])
    );
    // Above every project: all of them.
    assert_eq!(distinct(here(&code_dir)), distinct(projects.to_vec()));
    // A git checkout's root is the checkout, whichever stored project the directory is in: from the main
    // checkout's subdirectory where sessions ran, the whole repository.
    std::fs::create_dir_all(code_dir.join("app/.git")).unwrap_or_else(|e| panic!("{e}"));
    let backend_src = code_dir.join("app/backend/src");
    std::fs::create_dir_all(&backend_src).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        distinct(here(&backend_src)),
        distinct(projects[..3].to_vec())
    );
    // Nowhere near a project: a usage error naming the directory.
    let elsewhere = tempdir();
    let o = command(&data, &["search", "--here", "x"])
        .current_dir(elsewhere.path())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no stored project contains"),
        "{}",
        stderr(&o)
    );
}
