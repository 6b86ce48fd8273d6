//! The Qdrant sink and search backend, through the real `qdrant-client` and the real `pipeline` binary.
//!
//! Every test in an `against_qdrant!` block runs twice: against the in-process FAKE Qdrant (`tests/qdrant-fake`,
//! a named test double: it proves the wiring, not Qdrant's behaviour) and against a real Qdrant 1.x when
//! `QDRANT_URL` is set (`make test-qdrant`); without it the `real` variant reports itself skipped. The tests are
//! written from Qdrant's documented semantics, never from the fake's. Tests that need failure injection (refuse,
//! delay, error on the Nth call) run against the fake only.

#[path = "../common/mod.rs"]
mod common;
mod faults;
mod model_dimension;
mod shared;

use common::mcp_client::Mcp;
use common::*;
use model_dimension::*;
use qdrant_fake::FakeQdrant;
use serde_json::{json, Value};
use shared::*;
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
    a_collection_is_made_for_the_models_dimension,
    no_planted_secret_reaches_qdrant,
    forget_deletes_from_the_collection_and_stays_out,
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
