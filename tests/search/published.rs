//! The published index (read in place) against every point loaded into memory: the same candidates, the same
//! rankings under every filter, the same messages and context, for a base alone and for a base with a delta of
//! changed, deleted and new points; and searches read it only while it is current.

use crate::common;
use pipeline::message::MessageKind;
use pipeline::search::mapped::PublishedIndex;
use pipeline::search::{
    open_embedded, search, Candidate, Corpus, Filter, IndexSource, SearchIndex, SearchRequest,
};
use pipeline::store::{snapshot, EmbeddedStore, SyncState};
use std::path::Path;

fn both(data: &Path) -> (SearchIndex, PublishedIndex) {
    let store = EmbeddedStore::open_reader(data).unwrap_or_else(|e| panic!("{e}"));
    let loaded = SearchIndex::load(&store).unwrap_or_else(|e| panic!("{e}"));
    drop(store);
    let (base, delta) = snapshot::open_published(data)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no published index in {}", data.display()));
    (loaded, PublishedIndex::new(base, delta))
}

/// A copy of the fixture store changed after publishing, then published again (as a delta): 40 chunks get new
/// text and another chunk's vector, a long message loses its chunks after the first, and a new message answers
/// an old one before its other answers (so it becomes its first child).
fn changed_store() -> tempfile::TempDir {
    let data = common::tempdir();
    common::copy_dir(common::fixture_store(), data.path());
    let state = SyncState::open(data.path()).unwrap_or_else(|e| panic!("{e}"));
    let store = EmbeddedStore::of(&state);
    let points: Vec<_> = store
        .points()
        .map(|p| p.unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let mut ops = Vec::new();
    for (i, (id, point)) in points.iter().enumerate().step_by(points.len() / 40) {
        let mut p = point.clone();
        p.payload.text.push_str(&format!(" rewritten-in-delta-{i}"));
        let other = &points[(i * 7 + 3) % points.len()].1.vector;
        if !p.vector.is_empty() && !other.is_empty() {
            p.vector = other.clone();
        }
        ops.push(common::upsert(*id, p));
    }
    let (long_id, long) = points
        .iter()
        .find(|(_, p)| p.payload.chunk_index == 0 && p.payload.chunk_count > 2)
        .unwrap_or_else(|| panic!("no message of 3 chunks"));
    let mut shortened = long.clone();
    shortened.payload.chunk_count = 1;
    ops.push(common::upsert(*long_id, shortened));
    let (_, parent) = points
        .iter()
        .find(|(_, p)| p.payload.chunk_index == 0 && p.payload.timestamp_unix.is_some())
        .unwrap_or_else(|| panic!("no timed message"));
    let mut child = parent.clone();
    child.payload.uuid = "new-line-in-delta".into();
    child.payload.message_id = "new-message-in-delta".into();
    child.payload.parent_message_id = Some(parent.payload.message_id.clone());
    child.payload.timestamp_unix = parent.payload.timestamp_unix;
    child.payload.line_offset = 0;
    child.payload.chunk_count = 1;
    child.payload.text = "a brand new answer only the delta holds".into();
    ops.push(common::upsert(uuid::Uuid::from_u128(42), child));
    common::commit_ops(&store, ops);
    let base_before = std::fs::metadata(snapshot::path(data.path()))
        .and_then(|m| m.modified())
        .ok();
    snapshot::publish_current(&store).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        snapshot::delta_path(data.path()).exists(),
        "a few changes are published as a delta"
    );
    assert_eq!(
        std::fs::metadata(snapshot::path(data.path()))
            .and_then(|m| m.modified())
            .ok(),
        base_before,
        "the base is not rebuilt"
    );
    data
}

type Summary = (String, Option<usize>, Option<usize>, bool);

/// (id, semantic rank, lexical rank, from the expansion), sorted; and the scores of each id (cosine, BM25), which
/// may differ in the last bits (sums taken in another order).
fn summary(c: &[Candidate]) -> (Vec<Summary>, Vec<(f32, f32)>) {
    let mut out: Vec<_> = c
        .iter()
        .map(|c| {
            (
                (
                    c.id.to_string(),
                    c.semantic_rank,
                    c.lexical_rank,
                    c.cosine_from_expansion,
                ),
                (c.cosine, c.bm25),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().unzip()
}

/// Query vectors: stored vectors (a chunk's own neighbourhood) and their mix with the next (somewhere between).
fn query_vectors(loaded: &SearchIndex) -> Vec<Vec<f32>> {
    let vectors: Vec<Vec<f32>> = (0..loaded.len())
        .step_by(50)
        .filter_map(|d| loaded.vector_of(d).map(<[f32]>::to_vec))
        .collect();
    let mut out = vectors.clone();
    for pair in vectors.windows(2) {
        let mixed: Vec<f32> = pair[0]
            .iter()
            .zip(&pair[1])
            .map(|(a, b)| a + 0.5 * b)
            .collect();
        let n = mixed.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        out.push(mixed.iter().map(|x| x / n).collect());
    }
    out
}

fn filters(loaded: &SearchIndex) -> Vec<Filter> {
    let first = &loaded.payloads()[0];
    let project = loaded.projects().into_iter().next();
    let paths = loaded.project_paths();
    let with_time = loaded
        .payloads()
        .iter()
        .filter_map(|p| p.timestamp_unix)
        .collect::<Vec<_>>();
    let middle = with_time.get(with_time.len() / 2).copied();
    let merged = loaded
        .payloads()
        .iter()
        .find(|p| p.line_uuids.len() > 1)
        .map(|p| p.line_uuids[1].clone());
    vec![
        Filter::default(),
        Filter {
            project,
            kinds: vec![MessageKind::Assistant, MessageKind::ToolResult],
            ..Filter::default()
        },
        Filter {
            session: Some(first.session_id.clone()),
            ..Filter::default()
        },
        Filter {
            since: middle,
            has_code: true,
            ..Filter::default()
        },
        Filter {
            until: middle,
            solutions: true,
            ..Filter::default()
        },
        Filter {
            topic: Some("testing".into()),
            ..Filter::default()
        },
        Filter {
            uuid: merged,
            ..Filter::default()
        },
        Filter {
            session: Some("no such session".into()),
            ..Filter::default()
        },
        // `--here`: a list of project paths, alone and with a project name that is one of them.
        Filter {
            project_paths: paths.iter().take(2).cloned().collect(),
            ..Filter::default()
        },
        Filter {
            project: paths.iter().next().map(|p| {
                std::path::Path::new(p)
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            }),
            project_paths: paths.iter().take(1).cloned().collect(),
            ..Filter::default()
        },
    ]
}

const QUERIES: [&str; 6] = [
    "error: cannot find module",
    "why did we change the test",
    "src/main.rs",
    "flash messages layout",
    "git push origin",
    "",
];

#[test]
fn the_published_index_finds_what_the_loaded_store_finds() {
    finds_the_same(common::fixture_store());
}

#[test]
fn a_base_and_its_delta_find_what_the_loaded_store_finds() {
    let data = changed_store();
    let (_, published) = both(data.path());
    assert!(published.has_delta());
    finds_the_same(data.path());
    same_messages_and_context(data.path(), true);
    let found = common::search_hits(
        data.path(),
        &["brand new answer only the delta holds", "--mode", "lexical"],
    );
    assert!(
        found
            .iter()
            .any(|h| h["message_id"] == "new-message-in-delta"),
        "{found:?}"
    );
}

fn finds_the_same(data: &Path) {
    let (loaded, mapped) = both(data);
    assert_eq!(loaded.len(), mapped.point_count().unwrap_or(0) as usize);
    assert_eq!(
        loaded.project_names().ok(),
        mapped.project_names().ok(),
        "projects"
    );
    assert_eq!(loaded.embedding_model().ok(), mapped.embedding_model().ok());
    let vectors = query_vectors(&loaded);
    assert!(vectors.len() > 20, "{} query vectors", vectors.len());
    let mut compared = 0;
    for filter in filters(&loaded) {
        for (i, v) in vectors.iter().enumerate() {
            let query = QUERIES[i % QUERIES.len()];
            let second = &vectors[(i + 1) % vectors.len()];
            for phrasings in [vec![v.as_slice()], vec![v.as_slice(), second.as_slice()]] {
                for per_list in [5, 200] {
                    let a = loaded.candidates(&phrasings, query, &filter, per_list);
                    let b = mapped.candidates(&phrasings, query, &filter, per_list);
                    let (a, b) = (
                        a.unwrap_or_else(|e| panic!("{e}")),
                        b.unwrap_or_else(|e| panic!("{e}")),
                    );
                    let ((a_ids, a_scores), (b_ids, b_scores)) = (summary(&a), summary(&b));
                    let what = format!("query {query:?}, filter {filter:?}, per_list {per_list}");
                    let only = |x: &[Summary], y: &[Summary]| -> Vec<Summary> {
                        x.iter()
                            .filter(|e| !y.contains(e))
                            .take(8)
                            .cloned()
                            .collect()
                    };
                    assert!(
                        a_ids == b_ids,
                        "{what}: only loaded {:?}; only published {:?}",
                        only(&a_ids, &b_ids),
                        only(&b_ids, &a_ids)
                    );
                    for (x, y) in a_scores.iter().zip(&b_scores) {
                        assert!(
                            (x.0 - y.0).abs() < 1e-4 && (x.1 - y.1).abs() < 1e-3,
                            "{what}: {x:?} vs {y:?}"
                        );
                    }
                    compared += a.len();
                }
            }
            let req = SearchRequest {
                query: query.to_string(),
                expansion: None,
                mode: Default::default(),
                limit: 10,
                filter: filter.clone(),
                context: 2,
                current_project: None,
                now_unix: 1_800_000_000,
                weak_cosine: None,
            };
            let ids = |c: &dyn Corpus| {
                search(c, v, &req)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .hits
                    .into_iter()
                    .map(|h| (h.id, h.context_before.len(), h.context_after.len()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                ids(&loaded),
                ids(&mapped),
                "ranking of {query:?} under {filter:?}"
            );
        }
    }
    assert!(compared > 1000, "only {compared} candidates compared");
}

#[test]
fn the_published_index_returns_the_same_messages_and_context() {
    same_messages_and_context(common::fixture_store(), false);
}

fn same_messages_and_context(data: &Path, every: bool) {
    let (loaded, mapped) = both(data);
    let mut ids: Vec<String> = loaded
        .payloads()
        .iter()
        .map(|p| p.message_id.clone())
        .collect();
    ids.dedup();
    ids.push("no such message".into());
    for id in ids.iter().step_by(if every { 1 } else { 7 }) {
        assert_eq!(
            Corpus::message(&loaded, id).ok(),
            Corpus::message(&mapped, id).ok(),
            "{id}"
        );
        assert_eq!(
            Corpus::message_text(&loaded, id).ok(),
            Corpus::message_text(&mapped, id).ok(),
            "{id}"
        );
        assert_eq!(
            Corpus::context(&loaded, id, 3).ok(),
            Corpus::context(&mapped, id, 3).ok(),
            "{id}"
        );
    }
}

#[test]
fn searches_read_the_published_index_only_while_it_is_current() {
    let data = common::tempdir();
    let source = common::tempdir();
    common::small_corpus(source.path());
    common::sync_ok(data.path(), source.path(), &[]);
    let source_of = |data: &Path| {
        open_embedded(data)
            .map(|(_, s)| s)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(source_of(data.path()), IndexSource::Published);

    // A writer that commits a change and ends without publishing (as a killed run does).
    {
        let store = EmbeddedStore::open_reader(data.path()).unwrap_or_else(|e| panic!("{e}"));
        let (id, mut point) = store
            .points()
            .next()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("no point"));
        point.payload.text.push_str(" changed after publishing");
        let ops = vec![common::upsert(id, point)];
        common::commit_ops(&store, ops);
    }
    assert!(
        snapshot::path(data.path()).exists(),
        "the index stays, marked as behind"
    );
    assert_eq!(
        source_of(data.path()),
        IndexSource::Store,
        "an index behind the points is not read while no writer runs"
    );
    let found = common::search_hits(
        data.path(),
        &["changed after publishing", "--mode", "lexical"],
    );
    assert!(!found.is_empty(), "the change is found");

    // The next run publishes again, although it commits nothing.
    let o = common::sync_ok(data.path(), source.path(), &[]);
    assert!(o.status.success());
    assert_eq!(source_of(data.path()), IndexSource::Published);
    let found = common::search_hits(
        data.path(),
        &["changed after publishing", "--mode", "lexical"],
    );
    assert!(!found.is_empty(), "the change is in the published index");
}

/// 12,000 points whose vectors crowd around one direction, far more than real embeddings do (every cosine
/// to a query is about 0.94, and the 200th best differs from the 800th by about 0.002, a few times what int8
/// rounding moves a cosine): the quantized scan must still hand the exact re-score every chunk of the top 200.
#[test]
fn the_int8_scan_keeps_the_exact_top_of_a_crowded_store() {
    let data = common::tempdir();
    let template = {
        let (loaded, _) = both(common::fixture_store());
        loaded.payloads()[0].clone()
    };
    let state = SyncState::open(data.path()).unwrap_or_else(|e| panic!("{e}"));
    let store = EmbeddedStore::of(&state);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f32 / (1u64 << 53) as f32 - 0.5
    };
    let dim = 384;
    let center: Vec<f32> = (0..dim).map(|_| next()).collect();
    let unit = |v: Vec<f32>| {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        v.into_iter().map(|x| x / n).collect::<Vec<f32>>()
    };
    let words = [
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
    ];
    let mut ops = Vec::new();
    let mut queries = Vec::new();
    for i in 0..12_000u32 {
        let vector = unit(center.iter().map(|c| c + 0.25 * next()).collect());
        if i % 600 == 0 {
            queries.push(unit(vector.iter().map(|c| c + 0.02 * next()).collect()));
        }
        let mut p = template.clone();
        p.uuid = format!("crowd-{i}");
        p.message_id = format!("crowd-message-{i}");
        p.parent_message_id = None;
        p.line_uuids = vec![p.uuid.clone()];
        p.chunk_index = 0;
        p.chunk_count = 1;
        p.text = format!(
            "{} {} {i}",
            words[i as usize % 8],
            words[(i as usize / 8) % 8]
        );
        p.project_name = Some(["north", "south"][i as usize % 2].into());
        ops.push(common::upsert(
            uuid::Uuid::from_u128(u128::from(i) + 1),
            pipeline::store::StoredPoint { vector, payload: p },
        ));
    }
    common::commit_ops(&store, ops);
    snapshot::publish_current(&store).unwrap_or_else(|e| panic!("{e}"));
    drop(store);
    drop(state);
    let (loaded, published) = both(data.path());
    let filters = [
        Filter::default(),
        Filter {
            project: Some("north".into()),
            ..Filter::default()
        },
    ];
    for filter in &filters {
        for (i, q) in queries.iter().enumerate() {
            let second = &queries[(i + 1) % queries.len()];
            for phrasings in [vec![q.as_slice()], vec![q.as_slice(), second.as_slice()]] {
                let query = "alpha gamma";
                let a = loaded.candidates(&phrasings, query, filter, 200);
                let b = published.candidates(&phrasings, query, filter, 200);
                let (a, b) = (
                    summary(&a.unwrap_or_else(|e| panic!("{e}"))).0,
                    summary(&b.unwrap_or_else(|e| panic!("{e}"))).0,
                );
                assert!(a.len() >= 200, "{} candidates", a.len());
                let missing: Vec<_> = a.iter().filter(|e| !b.contains(e)).take(5).collect();
                assert!(
                    missing.is_empty(),
                    "query {i}, {filter:?}: the published index lost {missing:?}"
                );
            }
        }
    }
}
