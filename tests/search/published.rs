//! The published index file (read in place) against every point loaded into memory: the same candidates, the
//! same rankings under every filter, the same messages and context; and searches read it only while it is
//! current.

use crate::common;
use pipeline::message::MessageKind;
use pipeline::search::{
    open_embedded, search, Candidate, Corpus, Filter, IndexSource, SearchIndex, SearchRequest,
};
use pipeline::store::index_file::read::MappedIndex;
use pipeline::store::{snapshot, EmbeddedStore};
use std::path::Path;

fn both(data: &Path) -> (SearchIndex, MappedIndex) {
    let store = EmbeddedStore::open_reader(data).unwrap_or_else(|e| panic!("{e}"));
    let loaded = SearchIndex::load(&store).unwrap_or_else(|e| panic!("{e}"));
    drop(store);
    let mapped = MappedIndex::open(&snapshot::path(data))
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no published index in {}", data.display()));
    (loaded, mapped)
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
    let data = common::fixture_store();
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
                    assert_eq!(a_ids, b_ids, "{what}");
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
    let (loaded, mapped) = both(common::fixture_store());
    let mut ids: Vec<String> = loaded
        .payloads()
        .iter()
        .map(|p| p.message_id.clone())
        .collect();
    ids.dedup();
    ids.push("no such message".into());
    for id in ids.iter().step_by(7) {
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

    // A writer that changes points and ends without publishing (as a killed run does).
    {
        let store = EmbeddedStore::open_reader(data.path()).unwrap_or_else(|e| panic!("{e}"));
        let (id, mut point) = store
            .points()
            .next()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("no point"));
        point.payload.text.push_str(" changed after publishing");
        store
            .put_points(&[(id, point)])
            .unwrap_or_else(|e| panic!("{e}"));
    }
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
