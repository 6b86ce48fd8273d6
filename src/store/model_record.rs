//! A data dir holds the vectors of one model. The first run records the model's id and dimension; a later run, or
//! a search, with another model is refused with a clear message, since vectors of two models cannot be compared
//! (and mixing them would corrupt every ranking silently).

use super::SyncState;
use crate::embedder::{DIMENSION, MODEL_ID};
use crate::error::{Error, Result};

/// Meta key: `<model id>/<dimension>` of the vectors stored.
pub const MODEL_KEY: &str = "index.embedding_model";

/// How a model is named in the record and in errors.
pub fn describe(id: &str, dimension: usize) -> String {
    format!("{id} ({dimension}-d)")
}

/// The model whose vectors `store` holds: the recorded one, else, for a data dir with points written before the
/// record existed, the default model (the only one those versions could use); `None` for an empty data dir.
fn stored_model(store: &SyncState) -> Result<Option<String>> {
    Ok(recorded(store)?.or_else(|| unrecorded_model(store)))
}

/// The dimension of the vectors `store` holds (see `stored_model`); `None` for an empty data dir.
pub fn stored_dimension(store: &SyncState) -> Result<Option<usize>> {
    Ok(stored_model(store)?.and_then(|m| dimension_of(&m)))
}

/// The `N` of a record `id (N-d)`.
fn dimension_of(record: &str) -> Option<usize> {
    let (_, tail) = record.rsplit_once(" (")?;
    tail.strip_suffix("-d)")?.parse().ok()
}

/// Refuses a model other than the one the data dir holds; records it when the data dir holds no vectors yet
/// (an empty data dir takes whatever model it is given, even after a first run that failed to load one).
pub fn check_or_record(store: &SyncState, id: &str, dimension: usize) -> Result<()> {
    let wanted = describe(id, dimension);
    let recorded = recorded(store)?;
    if recorded.as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    if let Some(stored) = recorded.or_else(|| unrecorded_model(store)) {
        if stored != wanted && holds_vectors(store)? {
            return Err(Error::ModelMismatch {
                store: store.data_dir().display().to_string(),
                stored,
                wanted,
            });
        }
    }
    store.meta_put(MODEL_KEY, wanted.as_bytes())
}

fn recorded(store: &SyncState) -> Result<Option<String>> {
    Ok(store
        .meta_get(MODEL_KEY)?
        .map(|v| String::from_utf8_lossy(&v).into_owned()))
}

/// The data dir's vectors exist: stored here, or in the Qdrant collection its checkpoints say it filled.
fn holds_vectors(store: &SyncState) -> Result<bool> {
    if super::EmbeddedStore::of(store).point_count() > 0 {
        return Ok(true);
    }
    let in_qdrant = super::target::bound(store.data_dir())?
        .is_some_and(|sink| sink.kind == crate::config::SinkKind::Qdrant);
    Ok(in_qdrant
        && store
            .checkpoints()
            .iter()
            .any(|(_, cp)| cp.as_ref().is_ok_and(|c| c.offset > 0)))
}

/// Points written before the record existed come from the default model.
fn unrecorded_model(store: &SyncState) -> Option<String> {
    (super::EmbeddedStore::of(store).point_count() > 0).then(|| describe(MODEL_ID, DIMENSION))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dimension_is_read_back_from_the_record() {
        assert_eq!(dimension_of(&describe("all-mpnet-base-v2", 768)), Some(768));
        assert_eq!(dimension_of(&describe("a (b) c", 384)), Some(384));
        assert_eq!(dimension_of("no dimension"), None);
    }

    fn add_point(store: &SyncState, dimension: usize) {
        let p = super::super::embedded::tests::payload("s", "u", 0, 1);
        let point = crate::store::StoredPoint {
            vector: vec![0.0; dimension],
            payload: p,
        };
        crate::store::EmbeddedStore::of(store)
            .put_points(&[(uuid::Uuid::from_u128(1), point)])
            .unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn the_first_model_is_recorded_and_another_is_refused_once_vectors_exist() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = SyncState::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(stored_model(&store).ok().flatten(), None);
        check_or_record(&store, "typo", 768).unwrap_or_else(|e| panic!("{e}"));
        // No vectors yet (say the model failed to load): the record follows the model actually used.
        check_or_record(&store, "bge-small", 384).unwrap_or_else(|e| panic!("{e}"));
        add_point(&store, 384);
        check_or_record(&store, "bge-small", 384).unwrap_or_else(|e| panic!("{e}"));
        let refused = |id: &str, dim: usize| {
            check_or_record(&store, id, dim)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let err = refused("mpnet", 768);
        assert!(
            err.contains("bge-small (384-d)") && err.contains("mpnet (768-d)"),
            "{err}"
        );
        assert!(refused("bge-small", 768).contains("cannot be compared"));
    }

    #[test]
    fn an_unrecorded_data_dir_with_points_holds_the_default_model() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = SyncState::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        add_point(&store, DIMENSION);
        assert!(check_or_record(&store, "other", 384).is_err());
        check_or_record(&store, MODEL_ID, DIMENSION).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            store.meta_get(MODEL_KEY).ok().flatten().is_some(),
            "recorded from then on"
        );
    }

    #[test]
    fn a_data_dir_whose_vectors_are_in_qdrant_keeps_its_model() {
        use crate::config::{SinkConfig, SinkKind};
        let stores: Vec<_> = (0..2)
            .map(|_| tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let qdrant = SinkConfig {
            kind: SinkKind::Qdrant,
            ..SinkConfig::default()
        };
        super::super::target::bind(stores[1].path(), &qdrant).unwrap_or_else(|e| panic!("{e}"));
        let checkpoint = super::super::embedded::tests::checkpoint("/p/s.jsonl", 100);
        let [embedded, in_qdrant] = [0, 1].map(|i| {
            let store = SyncState::open(stores[i].path()).unwrap_or_else(|e| panic!("{e}"));
            check_or_record(&store, "minilm", 384).unwrap_or_else(|e| panic!("{e}"));
            store
                .put_checkpoint_now(&checkpoint)
                .unwrap_or_else(|e| panic!("{e}"));
            store
        });
        // No point here, but the checkpoints say the collection holds this model's vectors.
        let err = check_or_record(&in_qdrant, "bge-small", 384)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("minilm (384-d)") && err.contains("bge-small"),
            "{err}"
        );
        // Checkpoints of an embedded data dir without points: the files held nothing to embed.
        check_or_record(&embedded, "bge-small", 384).unwrap_or_else(|e| panic!("{e}"));
    }
}
