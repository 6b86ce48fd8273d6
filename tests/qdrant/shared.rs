//! The tests every store must pass: run against the fake and, with `QDRANT_URL`, a real Qdrant.

use super::*;

pub(crate) fn same_export_stats_search_and_health_as_the_embedded_store(server: &Server) {
    let c = server.collection("parity");
    let embedded = tempdir();
    sync_ok(embedded.path(), &fixtures(), &[]);
    let q = tempdir();
    let o = qsync(q.path(), &c, &fixtures(), &["--json"]);
    assert_eq!(code(&o), 0, "qdrant run: {}", stderr(&o));
    let summary = json_of(&o);
    assert!(
        summary["points_committed"].as_u64().unwrap_or(0) > 0,
        "{summary}"
    );

    // The data dir remembers its store: no flags needed from now on.
    let exported = export(q.path());
    assert_same_export(
        &exported,
        &export(embedded.path()),
        "Qdrant vs embedded export",
    );
    assert_same_export(&exported, clean_export(), "Qdrant vs clean export");

    let stats = |d: &Path| {
        let mut s = stats_json(d, &fixtures());
        s["store"]["size_on_disk_bytes"] = json!(0);
        (s["store"].clone(), s["files"].clone())
    };
    assert_eq!(stats(q.path()), stats(embedded.path()), "stats differ");

    // The first exported point's value of a payload field.
    let first = |field: &str| {
        exported
            .iter()
            .find_map(|l| {
                serde_json::from_str::<Value>(l).ok()?["payload"][field]
                    .as_str()
                    .map(str::to_string)
            })
            .unwrap_or_default()
    };
    let (project, session) = (first("project_name"), first("session_id"));
    let queries: Vec<Vec<String>> = vec![
        vec!["cargo test failing".into()],
        // A session named by the eight characters a hit shows of it.
        vec![
            "test".into(),
            "--session".into(),
            session.chars().take(8).collect(),
        ],
        vec!["error".into(), "--limit".into(), "20".into()],
        vec![
            "hello world script".into(),
            "--kind".into(),
            "assistant".into(),
        ],
        vec![
            "README".into(),
            "--kind".into(),
            "tool_call".into(),
            "--kind".into(),
            "tool_result".into(),
        ],
        vec!["fix".into(), "--project".into(), project.to_uppercase()],
        vec![
            "function".into(),
            "--has-code".into(),
            "--since".into(),
            "2020-01-01".into(),
        ],
        vec!["test".into(), "--solutions".into()],
        // Expanded by the thesaurus: a second phrasing, in the same request as the query's own lists.
        vec!["the tests broke after my change".into()],
        vec![
            "memory conversation".into(),
            "--until".into(),
            "2099-01-01".into(),
            "--context".into(),
            "2".into(),
        ],
    ];
    for q_args in &queries {
        let args: Vec<&str> = q_args.iter().map(String::as_str).collect();
        let a = hits(q.path(), &args);
        let b = hits(embedded.path(), &args);
        assert!(
            !b.is_empty() || q_args.contains(&"--solutions".to_string()),
            "{q_args:?} finds nothing"
        );
        if server.fake.is_some() {
            assert_same_hits(&a, &b, &format!("search {q_args:?}"));
        } else {
            assert_similar_hits(&a, &b, &format!("search {q_args:?}"));
        }
    }
    // Context comes from the conversation tree in both stores.
    let ctx = |d: &Path| {
        search_hits(d, &["--context", "2", "memory conversation"])
            .iter()
            .map(|h| (h["before"].clone(), h["after"].clone()))
            .collect::<Vec<_>>()
    };
    if server.fake.is_some() {
        assert_eq!(ctx(q.path()), ctx(embedded.path()), "context differs");
    }
    // `--here` from /tmp: the fixture sessions run below it (a list of project paths), in both stores alike.
    let here = |d: &Path| -> Vec<(String, String)> {
        let o = command(d, &["search", "--json", "--here", "--limit", "50", "test"])
            .current_dir("/tmp")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        json_of(&o)["hits"]
            .as_array()
            .map(|hits| {
                hits.iter()
                    .map(|h| {
                        let field = |k: &str| h[k].as_str().unwrap_or_default().to_string();
                        (field("message_id"), field("project"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (in_qdrant, embedded_here) = (here(q.path()), here(embedded.path()));
    assert!(!embedded_here.is_empty(), "fixture sessions ran below /tmp");
    assert!(
        embedded_here
            .iter()
            .all(|(_, project)| project.starts_with("tmp")),
        "{embedded_here:?}"
    );
    let ids = |v: &[(String, String)]| {
        let mut ids: Vec<String> = v.iter().map(|(id, _)| id.clone()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&in_qdrant), ids(&embedded_here), "--here differs");
    // An unknown project lists the known ones, from Qdrant.
    let o = run(q.path(), &["search", "x", "--project", "no-such-project"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains(&project), "{}", stderr(&o));

    let o = run(q.path(), &["health", "--json"]);
    let h = json_of(&o);
    assert_eq!(code(&o), 0, "{h}");
    assert_eq!(h["healthy"], true, "{h}");
    assert!(
        h["store"].as_str().unwrap_or_default().contains(&c.name),
        "{h}"
    );
    assert_eq!(h["points"], json!(exported.len()), "{h}");
    assert!(
        h["qdrant_version"]
            .as_str()
            .is_some_and(|v| v.starts_with('1')),
        "{h}"
    );
}

pub(crate) fn kills_and_budgets_then_resume_equal_a_clean_run(server: &Server) {
    let c = server.collection("kills");
    let clean = clean_export();
    let seed = seed();
    eprintln!("qdrant kill test seed: {seed} (replay with PIPELINE_TEST_SEED={seed})");
    let mut rng = Rng::new(seed);
    let data = tempdir();
    let cfg = tempdir();
    let pipeline = fine_grained_pipeline(cfg.path());
    let fixtures = fixtures();
    let flags = c.flags();
    let (mut kills, mut budgeted, mut finished) = (0, 0, false);
    for round in 0..60 {
        if round % 3 == 2 {
            // A budgeted run: must end before its budget, exit 0 or 75.
            let started = Instant::now();
            let o = run(
                data.path(),
                &with_flags(
                    &flags,
                    &[
                        "--pipeline",
                        pipeline.to_str().unwrap_or_default(),
                        "run",
                        "--budget",
                        "3s",
                        "--source",
                        fixtures.to_str().unwrap_or_default(),
                    ],
                ),
            );
            let took = started.elapsed();
            assert!(
                took < Duration::from_millis(3000 + 700),
                "a 3 s budget took {took:?} (seed {seed})"
            );
            budgeted += 1;
            match code(&o) {
                0 => {
                    finished = true;
                    break;
                }
                75 => continue,
                other => panic!("budgeted run exit {other}: {} (seed {seed})", stderr(&o)),
            }
        }
        let args = with_flags(
            &flags,
            &[
                "--pipeline",
                pipeline.to_str().unwrap_or_default(),
                "run",
                "--source",
                fixtures.to_str().unwrap_or_default(),
            ],
        );
        let mut child = spawn(data.path(), &args);
        let delay = Duration::from_millis(300 + rng.below_u64(if round < 4 { 1500 } else { 4000 }));
        match exited_or_killed(&mut child, delay) {
            Some(s) => {
                assert_eq!(s.code(), Some(0), "round {round}: run failed (seed {seed})");
                finished = true;
                break;
            }
            None => kills += 1,
        }
    }
    assert!(
        kills >= 2 && budgeted >= 1,
        "kills {kills}, budgeted {budgeted} (seed {seed})"
    );
    if !finished {
        let o = qsync(data.path(), &c, &fixtures, &[]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let o = qsync(data.path(), &c, &fixtures, &["--json"]);
    assert_eq!(
        json_of(&o)["files_pending_at_start"],
        0,
        "caught up (seed {seed})"
    );
    assert_same_export(
        &export(data.path()),
        clean,
        &format!("after {kills} kills and {budgeted} budgeted runs (seed {seed})"),
    );
}

pub(crate) fn the_collection_gets_its_shape_and_indexes_and_a_foreign_one_is_refused(
    server: &Server,
) {
    use qdrant_client::qdrant::{vectors_config, Distance, Modifier};
    let c = server.collection("shape");
    let src = tempdir();
    small_corpus(src.path());
    let data = tempdir();
    let o = qsync(data.path(), &c, src.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let info = c.info();
    let params = info
        .config
        .as_ref()
        .and_then(|c| c.params.clone())
        .unwrap_or_default();
    match params.vectors_config.and_then(|v| v.config) {
        Some(vectors_config::Config::ParamsMap(m)) => {
            let dense = m.map.get("dense").cloned().unwrap_or_default();
            assert_eq!(dense.size, 384);
            assert_eq!(dense.distance, Distance::Cosine as i32);
        }
        other => panic!("vectors config {other:?}"),
    }
    let lexical = params
        .sparse_vectors_config
        .and_then(|s| s.map.get("lexical").cloned())
        .unwrap_or_default();
    assert_eq!(lexical.modifier, Some(Modifier::Idf as i32));
    for field in [
        "project",
        "session_id",
        "kind",
        "topic_names",
        "timestamp_unix",
        "has_code",
    ] {
        assert!(
            info.payload_schema.contains_key(field),
            "no index on {field}: {:?}",
            info.payload_schema.keys()
        );
    }
    assert!(info.points_count.unwrap_or(0) > 0);

    // A collection of another shape is refused, named, with what was found.
    let foreign = server.collection("foreign");
    let name = foreign.name.clone();
    foreign.client(move |cl| {
        Box::pin(async move {
            use qdrant_client::qdrant::{CreateCollectionBuilder, VectorParamsBuilder};
            cl.create_collection(
                CreateCollectionBuilder::new(name)
                    .vectors_config(VectorParamsBuilder::new(3, Distance::Dot)),
            )
            .await
            .unwrap_or_else(|e| panic!("create: {e}"));
        })
    });
    let other = tempdir();
    let o = qsync(other.path(), &foreign, src.path(), &[]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains(&foreign.name) && e.contains("384") && e.contains("3-d"),
        "{e}"
    );
}

pub(crate) fn migrate_to_qdrant_and_back_resumes_and_verifies(server: &Server) {
    let c = server.collection("migrate");
    let clean = clean_export();
    let data = tempdir();
    sync_ok(data.path(), &fixtures(), &[]);
    let flags = c.flags();

    // Killed part-way (the fake is slowed so that the kill lands mid-copy), then resumed.
    if let Some(fake) = &server.fake {
        fake.faults().delay("upsert", Duration::from_millis(300));
        let mut child = spawn(
            data.path(),
            &with_flags(&flags, &["migrate", "--to", "qdrant"]),
        );
        std::thread::sleep(Duration::from_millis(1500));
        let _ = child.kill();
        let _ = child.wait();
        fake.faults().clear();
        assert!(
            fake.point_count(&c.name) > 0,
            "the kill should land after some pages"
        );
        assert!(
            fake.point_count(&c.name) < clean.len(),
            "the kill should land before the end"
        );
    }
    let o = run(
        data.path(),
        &with_flags(&flags, &["migrate", "--to", "qdrant", "--json"]),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let report = json_of(&o);
    assert_eq!(report["done"], true, "{report}");
    assert_eq!(report["verified"], json!(clean.len()), "{report}");
    if server.fake.is_some() {
        assert_eq!(report["resumed"], true, "{report}");
        assert!(
            report["copied"].as_u64().unwrap_or(0) < clean.len() as u64,
            "{report}"
        );
    }
    // Now bound to Qdrant: export reads it, a run finds nothing to do.
    assert_same_export(&export(data.path()), clean, "after migrating to Qdrant");
    let o = sync_ok(data.path(), &fixtures(), &["--json"]);
    let s = json_of(&o);
    assert_eq!(
        (
            s["files_pending_at_start"].as_u64(),
            s["points_committed"].as_u64()
        ),
        (Some(0), Some(0)),
        "{s}"
    );
    let o = run(data.path(), &["migrate", "--to", "qdrant"]);
    assert_eq!(code(&o), 2, "already there: {}", stderr(&o));

    // And back.
    let o = run(data.path(), &["migrate", "--to", "embedded", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json_of(&o)["verified"], json!(clean.len()));
    assert_same_export(&export(data.path()), clean, "after migrating back");
    let o = run(data.path(), &["health", "--json"]);
    assert!(json_of(&o)["store"]
        .as_str()
        .unwrap_or_default()
        .contains("embedded"));
}

pub(crate) fn a_data_dir_stays_with_its_store_and_a_lost_collection_is_reported(server: &Server) {
    let c = server.collection("binding");
    let src = tempdir();
    small_corpus(src.path());
    let embedded = tempdir();
    sync_ok(embedded.path(), src.path(), &[]);
    let o = qsync(embedded.path(), &c, src.path(), &[]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("migrate"), "{}", stderr(&o));

    let q = tempdir();
    let o = qsync(q.path(), &c, src.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    c.delete();
    let o = sync(q.path(), src.path(), &[]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("reset --checkpoints-only"),
        "{}",
        stderr(&o)
    );
    // Following the advice stores everything again.
    let o = run(q.path(), &["reset", "--yes", "--checkpoints-only"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    sync_ok(q.path(), src.path(), &[]);
    assert_same_export(
        &export(q.path()),
        &export(embedded.path()),
        "re-synced after a lost collection",
    );
    // A full reset deletes the collection too.
    let o = run(q.path(), &["reset", "--yes"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(q.path(), &["export"]);
    assert_eq!(code(&o), 2, "the collection is gone: {}", stderr(&o));
}

pub(crate) fn mcp_tools_search_and_sync_against_qdrant(server: &Server) {
    let c = server.collection("mcp");
    let src = tempdir();
    small_corpus(src.path());
    let data = tempdir();
    // The first sync happens through the MCP tool: bound by the flags given to `pipeline mcp`.
    // (A run over no file only records the transcript directory, which the MCP sync then uses.)
    let o = run(
        data.path(),
        &[
            "run",
            "--source",
            src.path().to_str().unwrap_or_default(),
            "--max-files",
            "0",
        ],
    );
    assert!(matches!(code(&o), 0 | 75), "{}", stderr(&o));
    let flags = c.flags();
    let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut mcp = Mcp::start_with(data.path(), &flag_refs);
    let s = mcp.call_json(2, "force_conversation_sync", json!({"budget_seconds": 60}));
    assert_eq!(s["work_left"], false, "{s}");
    assert!(s["points_committed"].as_u64().unwrap_or(0) > 0, "{s}");
    let found = mcp.call_json(
        3,
        "search_conversations",
        json!({"query": "hello world", "limit": 5, "format": "json"}),
    );
    let via_mcp: Vec<String> = found["hits"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|h| h["message_id"].as_str().unwrap_or_default().to_string())
        .collect();
    let via_cli: Vec<String> = hits(data.path(), &["hello world", "--limit", "5"])
        .into_iter()
        .map(|h| h.0)
        .collect();
    assert!(!via_cli.is_empty());
    assert_eq!(via_mcp, via_cli);
    let first = via_cli[0].clone();
    let ctx = mcp.call_json(
        4,
        "get_conversation_context",
        json!({"message_id": first, "n": 2, "format": "json"}),
    );
    assert_eq!(ctx["message"]["message_id"], json!(first), "{ctx}");
    let h = mcp.call_json(5, "get_vector_db_health", json!({}));
    assert_eq!(h["healthy"], true, "{h}");
    assert!(
        h["store"].as_str().unwrap_or_default().contains(&c.name),
        "{h}"
    );
    let st = mcp.call_json(6, "get_sync_stats", json!({}));
    assert_eq!(st["store"]["points"], h["points"], "{st}");
    mcp.finish();
}

/// What the server holds after a sync of the planted-secrets session: no planted value in any stored payload or
/// vector (the raw points, read back with the client), and the kinds counted by `stats` as in the embedded store.
pub(crate) fn no_planted_secret_reaches_qdrant(server: &Server) {
    let c = server.collection("planted");
    let (src, q, embedded) = (tempdir(), tempdir(), tempdir());
    let project = src.path().join("-home-dev-shop");
    let subagents = project.join("planted-12").join("subagents");
    std::fs::create_dir_all(&subagents).unwrap_or_else(|e| panic!("{e}"));
    let (main, sub, placed) = pipeline::synth::secrets::planted_session(12);
    std::fs::write(project.join("planted-12.jsonl"), main.join("\n") + "\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(subagents.join("agent-a1b2c3.jsonl"), sub.join("\n") + "\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let o = qsync(q.path(), &c, src.path(), &[]);
    assert_eq!(code(&o), 0, "qdrant run: {}", stderr(&o));
    sync_ok(embedded.path(), src.path(), &[]);

    let name = c.name.clone();
    let stored = c.client(move |client| {
        Box::pin(async move {
            let points = client
                .scroll(
                    qdrant_client::qdrant::ScrollPointsBuilder::new(name)
                        .limit(10_000)
                        .with_payload(true)
                        .with_vectors(true),
                )
                .await
                .unwrap_or_else(|e| panic!("scroll: {e}"))
                .result;
            format!("{points:?}")
        })
    });
    assert!(stored.contains("REDACTED:"), "the markers are stored");
    for (p, _) in &placed {
        for piece in p.value.split('\n').filter(|piece| piece.len() >= 12) {
            assert!(
                !stored.contains(piece),
                "{} in Qdrant's stored points",
                p.kind
            );
        }
    }
    let redactions = |d: &Path| stats_json(d, src.path())["store"]["redactions"].clone();
    let counted = redactions(q.path());
    assert!(
        counted["github-pat"].as_u64().unwrap_or(0) >= 1,
        "{counted}"
    );
    assert_eq!(counted, redactions(embedded.path()));
}

/// `pipeline forget` against Qdrant: the session's points leave the collection, the rest equals the embedded
/// store after the same forget, and the next run does not bring them back.
pub(crate) fn forget_deletes_from_the_collection_and_stays_out(server: &Server) {
    let c = server.collection("forget");
    let (src, q, embedded) = (tempdir(), tempdir(), tempdir());
    small_corpus(src.path());
    let o = qsync(q.path(), &c, src.path(), &[]);
    assert_eq!(code(&o), 0, "qdrant run: {}", stderr(&o));
    sync_ok(embedded.path(), src.path(), &[]);
    let session = export_json(q.path())
        .first()
        .and_then(|p| p["payload"]["session_id"].as_str().map(str::to_string))
        .unwrap_or_default();
    let forget = |d: &Path| {
        let o = run(d, &["forget", "--yes", "--json", "--session", &session]);
        assert_eq!(code(&o), 0, "forget: {}", stderr(&o));
        json_of(&o)
    };
    let (in_q, in_embedded) = (forget(q.path()), forget(embedded.path()));
    assert!(in_q["points"].as_u64().unwrap_or(0) >= 1, "{in_q}");
    for counted in ["points", "checkpoints", "cache_entries"] {
        assert_eq!(in_q[counted], in_embedded[counted], "{in_q} {in_embedded}");
    }
    let after = export(q.path());
    assert!(!after.is_empty() && after.iter().all(|l| !l.contains(&session)));
    assert_same_export(&after, &export(embedded.path()), "after forget");
    let o = qsync(q.path(), &c, src.path(), &[]);
    assert_eq!(code(&o), 0, "qdrant run: {}", stderr(&o));
    assert_same_export(&export(q.path()), &after, "after the next run");
}
