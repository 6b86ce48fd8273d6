//! The Qdrant sink and search backend, through the real `qdrant-client` and the real `pipeline` binary.
//!
//! Every test in an `against_qdrant!` block runs twice: against the in-process FAKE Qdrant (`tests/qdrant-fake`,
//! a named test double: it proves the wiring, not Qdrant's behaviour) and against a real Qdrant 1.x when
//! `QDRANT_URL` is set (`make test-qdrant`); without it the `real` variant reports itself skipped. The tests are
//! written from Qdrant's documented semantics, never from the fake's. Tests that need failure injection (refuse,
//! delay, error on the Nth call) run against the fake only.

mod common;

use common::mcp_client::Mcp;
use common::*;
use qdrant_fake::FakeQdrant;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// A Qdrant server for one test: the fake, or the real one at `QDRANT_URL`. Each test uses its own
/// collection, deleted at the end.
struct Server {
    url: String,
    fake: Option<FakeQdrant>,
}

impl Server {
    fn fake() -> Server {
        let fake = FakeQdrant::start_in_background()
            .unwrap_or_else(|e| panic!("start the fake Qdrant: {e}"));
        Server {
            url: fake.url(),
            fake: Some(fake),
        }
    }

    fn real() -> Option<Server> {
        let url = std::env::var("QDRANT_URL").ok().filter(|u| !u.is_empty())?;
        Some(Server { url, fake: None })
    }

    /// A fresh collection name for this test (unique per process and call).
    fn collection(&self, test: &str) -> Collection {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Collection {
            url: self.url.clone(),
            name: format!("pipeline_test_{test}_{}_{n}", std::process::id()),
        }
    }
}

/// A collection the test owns; deleted on drop (best effort).
struct Collection {
    url: String,
    name: String,
}

impl Collection {
    /// The global flags that point a command at this collection.
    fn flags(&self) -> Vec<String> {
        vec![
            "--qdrant-url".into(),
            self.url.clone(),
            "--qdrant-collection".into(),
            self.name.clone(),
        ]
    }

    fn client<T>(
        &self,
        f: impl FnOnce(qdrant_client::Qdrant) -> std::pin::Pin<Box<dyn std::future::Future<Output = T>>>,
    ) -> T {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"));
        let client = qdrant_client::Qdrant::from_url(&self.url)
            .api_key(std::env::var("QDRANT_API_KEY").ok())
            .skip_compatibility_check()
            .build()
            .unwrap_or_else(|e| panic!("client: {e}"));
        rt.block_on(f(client))
    }

    fn info(&self) -> qdrant_client::qdrant::CollectionInfo {
        let name = self.name.clone();
        self.client(move |c| {
            Box::pin(async move {
                c.collection_info(name)
                    .await
                    .unwrap_or_else(|e| panic!("collection_info: {e}"))
                    .result
                    .unwrap_or_default()
            })
        })
    }

    fn delete(&self) {
        let name = self.name.clone();
        self.client(move |c| {
            Box::pin(async move {
                let _ = c.delete_collection(name).await;
            })
        });
    }
}

impl Drop for Collection {
    fn drop(&mut self) {
        self.delete();
    }
}

macro_rules! against_qdrant {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn fake() {
                    super::$name(&super::Server::fake());
                }

                #[test]
                fn real() {
                    match super::Server::real() {
                        Some(server) => super::$name(&server),
                        None => eprintln!(
                            "skipped: QDRANT_URL is not set (`make test-qdrant` runs this against a real Qdrant)"
                        ),
                    }
                }
            }
        )*
    };
}

against_qdrant!(
    same_export_stats_search_and_health_as_the_embedded_store,
    kills_and_budgets_then_resume_equal_a_clean_run,
    the_collection_gets_its_shape_and_indexes_and_a_foreign_one_is_refused,
    migrate_to_qdrant_and_back_resumes_and_verifies,
    a_data_dir_stays_with_its_store_and_a_lost_collection_is_reported,
    mcp_tools_search_and_sync_against_qdrant,
);

fn with_flags<'a>(flags: &'a [String], args: &[&'a str]) -> Vec<&'a str> {
    flags
        .iter()
        .map(String::as_str)
        .chain(args.iter().copied())
        .collect()
}

fn qsync(data: &Path, c: &Collection, source: &Path, extra: &[&str]) -> Output {
    let flags = c.flags();
    let mut args = with_flags(
        &flags,
        &["run", "--source", source.to_str().unwrap_or_default()],
    );
    args.extend_from_slice(extra);
    run(data, &args)
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

/// `search --json --explain` hits as (message id, score, semantic rank, lexical rank).
fn hits(data: &Path, args: &[&str]) -> Vec<(String, f64, Value, Value)> {
    let mut all = vec!["--explain"];
    all.extend_from_slice(args);
    search_hits(data, &all)
        .into_iter()
        .map(|h| {
            (
                h["message_id"].as_str().unwrap_or_default().to_string(),
                h["score"].as_f64().unwrap_or_default(),
                h["explain"]["semantic_rank"].clone(),
                h["explain"]["lexical_rank"].clone(),
            )
        })
        .collect()
}

/// The same hits in the same order; where they differ, the scores must be tied (a real server may order equal
/// scores differently).
fn assert_same_hits(
    a: &[(String, f64, Value, Value)],
    b: &[(String, f64, Value, Value)],
    what: &str,
) {
    assert_eq!(
        a.len(),
        b.len(),
        "{what}: hit counts differ: {a:?} vs {b:?}"
    );
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x.0 != y.0 {
            assert!(
                (x.1 - y.1).abs() < 1e-4,
                "{what}: hit {i} differs: {x:?} vs {y:?}\nall: {a:?}\nvs {b:?}"
            );
        }
    }
}

/// Against a real server: Qdrant renormalizes stored vectors (float noise can swap near-equal cosines, which moves
/// ranks and so fused scores) and its HNSW search is approximate on large collections. The lists must still agree:
/// the same best hit, unless the first two are near-tied, and at least 80% of the same messages.
fn assert_similar_hits(
    a: &[(String, f64, Value, Value)],
    b: &[(String, f64, Value, Value)],
    what: &str,
) {
    assert_eq!(
        a.len(),
        b.len(),
        "{what}: hit counts differ: {a:?} vs {b:?}"
    );
    if a.is_empty() {
        return;
    }
    let near_tie = b.len() > 1 && (b[0].1 - b[1].1).abs() < 1e-3;
    assert!(
        a[0].0 == b[0].0 || near_tie,
        "{what}: best hits differ: {a:?} vs {b:?}"
    );
    let shared = a.iter().filter(|x| b.iter().any(|y| y.0 == x.0)).count();
    assert!(
        shared * 5 >= a.len() * 4,
        "{what}: only {shared} of {} shared: {a:?} vs {b:?}",
        a.len()
    );
}

fn same_export_stats_search_and_health_as_the_embedded_store(server: &Server) {
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

    let project = exported
        .iter()
        .find_map(|l| {
            serde_json::from_str::<Value>(l).ok()?["payload"]["project_name"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_default();
    let queries: Vec<Vec<String>> = vec![
        vec!["cargo test failing".into()],
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

fn kills_and_budgets_then_resume_equal_a_clean_run(server: &Server) {
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
        let delay = Duration::from_millis(300 + rng.below(if round < 4 { 1500 } else { 4000 }));
        match exited_within(&mut child, delay) {
            Some(s) => {
                assert_eq!(s.code(), Some(0), "round {round}: run failed (seed {seed})");
                finished = true;
                break;
            }
            None => {
                let _ = child.kill(); // SIGKILL
                let _ = child.wait();
                kills += 1;
            }
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

fn the_collection_gets_its_shape_and_indexes_and_a_foreign_one_is_refused(server: &Server) {
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

fn migrate_to_qdrant_and_back_resumes_and_verifies(server: &Server) {
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

fn a_data_dir_stays_with_its_store_and_a_lost_collection_is_reported(server: &Server) {
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

fn mcp_tools_search_and_sync_against_qdrant(server: &Server) {
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

// ---- Failure injection: the fake only. ----

/// Each file's checkpointed byte offset in the data dir.
fn checkpoint_offsets(data: &Path) -> BTreeMap<String, u64> {
    let store = pipeline::store::EmbeddedStore::open(data).unwrap_or_else(|e| panic!("open: {e}"));
    store
        .checkpoints()
        .into_iter()
        .filter_map(|(path, cp)| Some((path, cp.ok()?.offset)))
        .collect()
}

/// Points of the clean export that the checkpoints say are stored, and whether each is in `exported`.
fn assert_checkpoints_covered_by(data: &Path, exported: &[String], what: &str) {
    let offsets = checkpoint_offsets(data);
    let have: std::collections::HashSet<&str> = exported.iter().map(String::as_str).collect();
    let mut covered = 0;
    for line in clean_export() {
        let v: Value = serde_json::from_str(line).unwrap_or_default();
        let path = v["payload"]["source_path"].as_str().unwrap_or_default();
        let at = v["payload"]["line_offset"].as_u64().unwrap_or(u64::MAX);
        if offsets.get(path).is_some_and(|off| at < *off) {
            covered += 1;
            assert!(
                have.contains(line.as_str()),
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
            offsets.get(path).is_none_or(|off| at >= *off)
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
    let store = pipeline::store::EmbeddedStore::open(data.path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(store.checkpoints().is_empty(), "nothing checkpointed");
}
