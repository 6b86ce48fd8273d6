//! A Qdrant collection is made for the model's dimension, not a fixed 384: the vectors of a 768-d model (here,
//! real 384-d vectors padded with zeros, which keeps every cosine) are migrated, stored and searched, and a run
//! whose model has another dimension or id is refused with both named.

use super::*;
use pipeline::store::model_record::{describe, MODEL_KEY};
use pipeline::store::qdrant::schema::DENSE;
use pipeline::store::qdrant::QdrantStore;
use pipeline::store::{EmbeddedStore, SyncState};
use qdrant_client::qdrant::{vectors_config, VectorInput};

const WIDE: usize = 768;

/// Pads every stored vector of `data` to [`WIDE`] floats and records a 768-d model.
fn widen_to_768(data: &Path) -> Vec<(uuid::Uuid, Vec<f32>)> {
    let store = SyncState::open(data).unwrap_or_else(|e| panic!("open: {e}"));
    let embedded = EmbeddedStore::of(&store);
    let mut points: Vec<_> = embedded
        .points()
        .map(|p| p.unwrap_or_else(|e| panic!("read: {e}")))
        .collect();
    assert!(!points.is_empty(), "the sync stored nothing");
    for (_, p) in points.iter_mut() {
        if !p.vector.is_empty() {
            p.vector.resize(WIDE, 0.0);
        }
    }
    embedded
        .put_points(&points)
        .unwrap_or_else(|e| panic!("write: {e}"));
    store
        .meta_put(MODEL_KEY, describe("padded-minilm", WIDE).as_bytes())
        .unwrap_or_else(|e| panic!("record: {e}"));
    store.flush().unwrap_or_else(|e| panic!("flush: {e}"));
    points
        .into_iter()
        .filter(|(_, p)| !p.vector.is_empty())
        .map(|(id, p)| (id, p.vector))
        .collect()
}

pub(crate) fn a_collection_is_made_for_the_models_dimension(server: &Server) {
    let c = server.collection("wide");
    let src = tempdir();
    small_corpus(src.path());
    let data = tempdir();
    sync_ok(data.path(), src.path(), &[]);
    let vectors = widen_to_768(data.path());

    let flags = c.flags();
    let o = run(
        data.path(),
        &with_flags(&flags, &["migrate", "--to", "qdrant", "--json"]),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json_of(&o)["done"], true);
    let info = c.info();
    match info
        .config
        .and_then(|c| c.params)
        .and_then(|p| p.vectors_config)
        .and_then(|v| v.config)
    {
        Some(vectors_config::Config::ParamsMap(m)) => {
            let dense = m.map.get(DENSE).cloned().unwrap_or_default();
            assert_eq!(
                dense.size, WIDE as u64,
                "the collection takes the model's size"
            );
        }
        other => panic!("vectors config {other:?}"),
    }

    // Stored and searched at 768-d: each point is its own nearest neighbour.
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("runtime: {e}"));
    let sink = pipeline::config::SinkConfig {
        kind: pipeline::config::SinkKind::Qdrant,
        url: c.url.clone(),
        collection: c.name.clone(),
        ..Default::default()
    };
    let q = QdrantStore::connect(&sink, rt.handle().clone()).unwrap_or_else(|e| panic!("{e}"));
    for (id, vector) in vectors.iter().take(3) {
        let hits = q
            .query(DENSE, VectorInput::new_dense(vector.clone()), None, 1)
            .unwrap_or_else(|e| panic!("query: {e}"));
        let best = hits.first().unwrap_or_else(|| panic!("no hit for {id}"));
        assert_eq!(best.id, *id);
        assert!(best.score > 0.99, "cosine with itself: {}", best.score);
    }
    drop(q);
    drop(rt);

    // The data dir now lives in Qdrant: a run with the default (384-d) model is refused, both sizes named.
    let o = qsync(data.path(), &c, src.path(), &[]);
    assert_ne!(code(&o), 0, "a 384-d run into 768-d vectors must fail");
    let e = stderr(&o);
    assert!(e.contains("768") && e.contains("384-d"), "{e}");

    // So is a fresh data dir whose run would write 384-d vectors into the 768-d collection.
    let other = tempdir();
    let o = qsync(other.path(), &c, src.path(), &[]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains(&c.name) && e.contains("768 dimensions") && e.contains("384-d"),
        "{e}"
    );
}
