//! Failure injection (refuse, delay, error on the Nth call): the fake only.

use super::*;

/// Each file's checkpointed byte offset in the data dir, and where the assistant message its checkpoint holds
/// open starts (that message lies below the offset but is stored only when it closes, by a later run).
fn checkpoint_offsets(data: &Path) -> BTreeMap<String, (u64, Option<u64>)> {
    let store = pipeline::store::SyncState::open(data).unwrap_or_else(|e| panic!("open: {e}"));
    store
        .checkpoints()
        .into_iter()
        .filter_map(|(path, cp)| {
            let cp = cp.ok()?;
            let open = match pipeline::stages::ResumeState::from_bytes(&cp.state)?.source {
                pipeline::source::SourceState::ClaudeCode(state) => {
                    state.unemitted_open_message_offset()
                }
                _ => None,
            };
            Some((path, (cp.offset, open)))
        })
        .collect()
}

/// An export line without its `embedded` flag: the checkpoint covers a point's text; its vector may still be
/// queued.
fn text_of(line: &str) -> String {
    let mut v: Value = serde_json::from_str(line).unwrap_or_default();
    if let Some(map) = v.as_object_mut() {
        map.remove("embedded");
    }
    v.to_string()
}

/// Points of the clean export that the checkpoints say are stored, and whether each is in `exported` (its text:
/// its vector may still be queued).
fn assert_checkpoints_covered_by(data: &Path, exported: &[String], what: &str) {
    let offsets = checkpoint_offsets(data);
    let have: std::collections::HashSet<String> = exported.iter().map(|l| text_of(l)).collect();
    let mut covered = 0;
    for line in clean_export() {
        let v: Value = serde_json::from_str(line).unwrap_or_default();
        let path = v["payload"]["source_path"].as_str().unwrap_or_default();
        let at = v["payload"]["line_offset"].as_u64().unwrap_or(u64::MAX);
        if offsets
            .get(path)
            .is_some_and(|(off, open)| at < *off && *open != Some(at))
        {
            covered += 1;
            assert!(
                have.contains(&text_of(line)),
                "{what}: checkpointed but not in Qdrant: {line}"
            );
        }
    }
    eprintln!("{what}: {covered} checkpointed points all stored");
}

#[test]
fn transient_upsert_failures_are_retried_and_lose_nothing() {
    let server = Server::fake();
    let fake = server.fake.as_ref().unwrap_or_else(|| panic!("fake"));
    let c = server.collection("transient");
    // Two failures in a row defeat the client's own single retry: pipeline's retries must take over.
    fake.faults()
        .fail_next("upsert", 3, tonic::Code::Unavailable);
    let data = tempdir();
    let o = qsync(data.path(), &c, &fixtures(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        fake.calls("upsert") >= 4,
        "retried: {} upsert calls",
        fake.calls("upsert")
    );
    assert_same_export(
        &export(data.path()),
        clean_export(),
        "after transient failures",
    );
}

#[test]
fn a_failing_qdrant_stops_the_run_with_exit_1_and_no_checkpoint_passes_it() {
    let server = Server::fake();
    let fake = server.fake.as_ref().unwrap_or_else(|| panic!("fake"));
    let c = server.collection("failing");
    let cfg = tempdir();
    let pipeline = fine_grained_pipeline(cfg.path());
    fake.faults()
        .fail_from("upsert", 4, 1_000_000, tonic::Code::Unavailable);
    let data = tempdir();
    let started = Instant::now();
    let o = qsync(
        data.path(),
        &c,
        &fixtures(),
        &[
            "--pipeline",
            pipeline.to_str().unwrap_or_default(),
            "--budget",
            "60s",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains(&server.url) && e.contains("upsert") && e.contains("attempt"),
        "{e}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "bounded retries"
    );
    fake.faults().clear();
    let partial = export(data.path());
    assert!(
        !partial.is_empty() && partial.len() < clean_export().len(),
        "{} points",
        partial.len()
    );
    assert_checkpoints_covered_by(data.path(), &partial, "after the failure");
    // Qdrant is back: the next run completes with nothing lost and nothing twice.
    let o = qsync(data.path(), &c, &fixtures(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_same_export(&export(data.path()), clean_export(), "after recovery");
}

/// A session in which the user confirms that an assistant's fix worked: the confirmation becomes a validation
/// patch of the fix's points (Qdrant `set_payload`), committed in the batch after the confirmation's own point.
fn session_with_a_confirmed_fix(dir: &Path) {
    let line = |v: Value| v.to_string() + "\n";
    let base = |kind: &str, uuid: &str, parent: Option<&str>, t: u32| {
        json!({
            "type": kind, "uuid": uuid, "parentUuid": parent, "sessionId": "5e551011-0000-4000-8000-00000000c0de",
            "cwd": "/home/me/app", "timestamp": format!("2026-11-29T12:00:{t:02}.000Z"),
        })
    };
    let with = |mut v: Value, message: Value| {
        v["message"] = message;
        v
    };
    let fix = "The login fails because the token check is inverted. Here's the fix:\n```rust\nif !valid { return Err(e); }\n```";
    let text = [
        line(with(base("user", "h1", None, 1), json!({"role": "user", "content": "login fails with 401 after the refactor"}))),
        line(with(base("assistant", "a1", Some("h1"), 2), json!({"role": "assistant", "content": [
            {"type": "text", "text": fix},
            {"type": "tool_use", "id": "tu1", "name": "Edit", "input": {"file_path": "/home/me/app/src/auth.rs", "old_string": "if valid", "new_string": "if !valid"}},
        ]}))),
        line(with(base("user", "t1", Some("a1"), 3), json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "tu1", "content": "The file has been updated."},
        ]}))),
        line(with(base("user", "h2", Some("t1"), 4), json!({"role": "user", "content": "perfect, that works now, thanks!"}))),
    ]
    .concat();
    let project = dir.join("-home-me-app");
    std::fs::create_dir_all(&project).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        project.join("5e551011-0000-4000-8000-00000000c0de.jsonl"),
        text,
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

/// The sink contract (src/store/mod.rs): a batch that fails part-way may leave some of its points stored, but no
/// checkpoint moves, and the replay by the next run leaves the store as one clean run would. Here the batch's
/// upsert succeeds and the validation patch after it fails, so the failing batch is partly applied.
#[test]
fn a_failed_batch_partly_applied_is_replayed_to_the_same_store() {
    let server = Server::fake();
    let fake = server.fake.as_ref().unwrap_or_else(|| panic!("fake"));
    let src = tempdir();
    session_with_a_confirmed_fix(src.path());
    let clean = {
        let data = tempdir();
        sync_ok(data.path(), src.path(), &[]);
        export(data.path())
    };
    assert!(
        clean.iter().any(|l| l.contains("\"validation\":{")),
        "the fix is validated in a clean run"
    );

    let c = server.collection("partial");
    fake.faults()
        .fail_from("set_payload", 1, 1_000_000, tonic::Code::Unavailable);
    let data = tempdir();
    let o = qsync(data.path(), &c, src.path(), &[]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("set_payload"), "{}", stderr(&o));
    fake.faults().clear();
    let partial = export(data.path());
    // Partly applied: Qdrant holds the confirmation's point, which no checkpoint covers yet.
    let offsets = checkpoint_offsets(data.path());
    let uncovered: Vec<&String> = partial
        .iter()
        .filter(|line| {
            let v: Value = serde_json::from_str(line).unwrap_or_default();
            let path = v["payload"]["source_path"].as_str().unwrap_or_default();
            let at = v["payload"]["line_offset"].as_u64().unwrap_or(0);
            offsets.get(path).is_none_or(|(off, _)| at >= *off)
        })
        .collect();
    assert!(
        uncovered.iter().any(|l| l.contains("that works now")),
        "the failing batch was partly applied: {uncovered:?}"
    );
    assert!(!partial.iter().any(|l| l.contains("\"validation\":{")));
    // The replay: the same store as a clean run, nothing twice.
    let o = qsync(data.path(), &c, src.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_same_export(&export(data.path()), &clean, "after the replay");
}

#[test]
fn a_slow_or_stopped_qdrant_cannot_break_the_budget() {
    let mut server = Server::fake();
    let c = server.collection("slow");
    let data = tempdir();
    {
        let fake = server.fake.as_ref().unwrap_or_else(|| panic!("fake"));
        fake.faults().delay("upsert", Duration::from_millis(2500));
    }
    let started = Instant::now();
    let o = qsync(data.path(), &c, &fixtures(), &["--budget", "4s"]);
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(4000 + 700),
        "a 4 s budget took {took:?}"
    );
    assert!(matches!(code(&o), 75 | 1), "{}: {}", code(&o), stderr(&o));
    let fake = server.fake.as_mut().unwrap_or_else(|| panic!("fake"));
    fake.faults().clear();
    let partial = export(data.path());
    assert_checkpoints_covered_by(data.path(), &partial, "after the slow run");

    // Stopped altogether: the run gives up within its budget, exit 1, and says where it tried.
    fake.stop_blocking();
    let started = Instant::now();
    let o = qsync(data.path(), &c, &fixtures(), &["--budget", "5s"]);
    assert!(started.elapsed() < Duration::from_millis(5000 + 700));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains(&server.url), "{}", stderr(&o));
    fake.restart_blocking()
        .unwrap_or_else(|e| panic!("restart: {e}"));
    let o = qsync(data.path(), &c, &fixtures(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_same_export(
        &export(data.path()),
        clean_export(),
        "after the slow and stopped server",
    );
}

#[test]
fn an_unreachable_url_fails_fast_with_exit_1_and_stores_nothing() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("port: {e}"));
    let url = format!("http://127.0.0.1:{port}");
    let src = tempdir();
    small_corpus(src.path());
    let data = tempdir();
    let started = Instant::now();
    let o = run(
        data.path(),
        &[
            "--qdrant-url",
            &url,
            "run",
            "--source",
            src.path().to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&url) && stderr(&o).contains("gRPC port"),
        "{}",
        stderr(&o)
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    let store = pipeline::store::SyncState::open(data.path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(store.checkpoints().is_empty(), "nothing checkpointed");
}

#[test]
fn the_api_key_is_sent_and_never_printed_logged_or_stored() {
    let fake = FakeQdrant::start_in_background().unwrap_or_else(|e| panic!("fake: {e}"));
    let key = "qk-7f3e9a1c5b2d4e6f8091a2b3c4d5e6f7";
    fake.require_api_key(Some(key));
    let (src, data) = (tempdir(), tempdir());
    small_corpus(src.path());
    let url = fake.url();
    let with_key = |key: Option<&str>, args: &[&str]| {
        let mut c = command(
            data.path(),
            &[&["--qdrant-url", url.as_str()], args].concat(),
        );
        match key {
            Some(k) => c.env("QDRANT_API_KEY", k),
            None => c.env_remove("QDRANT_API_KEY"),
        };
        c.output().unwrap_or_else(|e| panic!("spawn: {e}"))
    };
    let source = src.path().to_str().unwrap_or_default();
    let mut said = String::new();
    for wrong in [None, Some("qk-wrong-0000000000000000000000000")] {
        let o = with_key(wrong, &["run", "--source", source]);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        assert!(
            stderr(&o).contains("QDRANT_API_KEY"),
            "names the variable: {}",
            stderr(&o)
        );
        if let Some(w) = wrong {
            assert!(!stderr(&o).contains(w), "{}", stderr(&o));
        }
    }
    let runs: [&[&str]; 6] = [
        &["run", "--source", source, "--json"],
        &["stats", "--json"],
        &["health", "--json"],
        &["search", "hello world", "--json"],
        &["export"],
        &["search", "shell script", "--explain"],
    ];
    for args in runs {
        let o = with_key(Some(key), args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        said.push_str(&String::from_utf8_lossy(&o.stdout));
        said.push_str(&stderr(&o));
    }
    assert!(said.contains("hello"), "the commands worked: {said}");
    assert!(!said.contains(key), "the key was printed");
    let found = file_holding(data.path(), key.as_bytes());
    assert!(found.is_none(), "the key is in {found:?}");
}

#[test]
fn tls_works_with_a_trusted_certificate_and_an_untrusted_one_is_refused_clearly() {
    let fake = FakeQdrant::start_tls_in_background().unwrap_or_else(|e| panic!("fake: {e}"));
    let (src, conf) = (tempdir(), tempdir());
    small_corpus(src.path());
    let ca = conf.path().join("ca.pem");
    std::fs::write(&ca, fake.ca_pem().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    let url = fake.url();
    assert!(url.starts_with("https://"), "{url}");
    let source = src.path().to_str().unwrap_or_default();
    let sync_with = |data: &Path, trust: Option<&Path>, flags: &[&str]| {
        let mut args: Vec<&str> = flags.to_vec();
        args.extend_from_slice(&["run", "--source", source]);
        let mut c = command(data, &args);
        c.env_remove("SSL_CERT_DIR");
        match trust {
            Some(ca) => c.env("SSL_CERT_FILE", ca),
            // Another CA only (the system store does not know the fake's either).
            None => c.env("SSL_CERT_FILE", conf.path().join("other-ca.pem")),
        };
        c.output().unwrap_or_else(|e| panic!("spawn: {e}"))
    };
    let other = qdrant_fake::TestCertificates::new().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(conf.path().join("other-ca.pem"), other.ca_pem)
        .unwrap_or_else(|e| panic!("{e}"));

    let refused = tempdir();
    let o = sync_with(refused.path(), None, &["--qdrant-url", &url]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("certificate"),
        "says why: {}",
        stderr(&o)
    );

    let data = tempdir();
    let o = sync_with(data.path(), Some(&ca), &["--qdrant-url", &url]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let embedded = tempdir();
    sync_ok(embedded.path(), src.path(), &[]);
    let mut c = command(data.path(), &["export"]);
    c.env("SSL_CERT_FILE", &ca);
    let exported = c.output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code(&exported), 0, "{}", stderr(&exported));
    let mut lines: Vec<String> = String::from_utf8_lossy(&exported.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    assert_same_export(&lines, &export(embedded.path()), "over TLS");

    // `tls = true` in the pipeline file turns an http:// URL into TLS.
    let pipeline = conf.path().join("tls.toml");
    std::fs::write(
        &pipeline,
        format!(
            "[sink]\nkind = \"qdrant\"\nurl = \"{}\"\ncollection = \"via_flag\"\ntls = true\n",
            url.replace("https://", "http://")
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let flagged = tempdir();
    let o = sync_with(
        flagged.path(),
        Some(&ca),
        &["--pipeline", pipeline.to_str().unwrap_or_default()],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}
