//! Which store a data dir syncs to, and how commands open it.
//!
//! A data dir's checkpoints say which bytes of which files are stored, so they belong to one store. The data dir
//! remembers it in `sink.json` (written by the first run, and by `pipeline migrate`). Commands use, in order: the
//! `--sink`/`--qdrant-*` flags over the pipeline file's `[sink]`, else the remembered store, else the embedded
//! store. A run that names another store than the one its checkpoints belong to is refused (it would skip
//! everything already synced): `pipeline migrate` moves the points and the binding together.

use super::qdrant::{QdrantSink, QdrantStore};
use super::{EmbeddedStore, Sink, SyncState};
use crate::config::{SinkConfig, SinkKind};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The file that remembers the store of a data dir.
const BINDING_FILE: &str = "sink.json";

/// Store choices given on the command line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SinkOverrides {
    pub kind: Option<SinkKind>,
    pub qdrant_url: Option<String>,
    pub qdrant_collection: Option<String>,
}

impl SinkOverrides {
    pub fn is_empty(&self) -> bool {
        self == &SinkOverrides::default()
    }
}

/// The store to use, and whether the user named it (flags or a pipeline file with `[sink]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChosenSink {
    pub config: SinkConfig,
    pub explicit: bool,
}

fn binding_path(data_dir: &Path) -> PathBuf {
    data_dir.join(BINDING_FILE)
}

/// The store this data dir's checkpoints belong to, if it was recorded.
pub fn bound(data_dir: &Path) -> Result<Option<SinkConfig>> {
    let path = binding_path(data_dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Error::Config(format!(
                "{}: {e}; delete it to choose the store again with --sink",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Records the store of this data dir (atomically: a temporary file renamed over the old one).
pub fn bind(data_dir: &Path, sink: &SinkConfig) -> Result<()> {
    crate::private::create_dir(data_dir).map_err(|e| Error::io(data_dir, e))?;
    let path = binding_path(data_dir);
    let tmp = data_dir.join(format!("{BINDING_FILE}.tmp"));
    let bytes = serde_json::to_vec_pretty(sink).map_err(|e| Error::Config(e.to_string()))?;
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        if let Ok(dir) = std::fs::File::open(data_dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    };
    write().map_err(|e| Error::io(&path, e))
}

/// The store to use: flags over the pipeline file, else the data dir's store, else the embedded store.
pub fn choose(
    data_dir: &Path,
    from_file: Option<&SinkConfig>,
    overrides: &SinkOverrides,
) -> Result<ChosenSink> {
    let mut explicit = from_file.is_some();
    let mut config = match from_file {
        Some(c) => c.clone(),
        None => bound(data_dir)?.unwrap_or_default(),
    };
    let names_qdrant = overrides.qdrant_url.is_some() || overrides.qdrant_collection.is_some();
    if names_qdrant && overrides.kind != Some(SinkKind::Embedded) {
        config.kind = SinkKind::Qdrant;
    }
    if let Some(kind) = overrides.kind {
        config.kind = kind;
    }
    if let Some(url) = &overrides.qdrant_url {
        config.url = url.clone();
    }
    if let Some(c) = &overrides.qdrant_collection {
        config.collection = c.clone();
    }
    explicit |= !overrides.is_empty();
    config.validate("--sink/--qdrant-url/--qdrant-collection")?;
    Ok(ChosenSink { config, explicit })
}

/// True when both name the same store.
pub fn same_store(a: &SinkConfig, b: &SinkConfig) -> bool {
    match (a.kind, b.kind) {
        (SinkKind::Embedded, SinkKind::Embedded) => true,
        (SinkKind::Qdrant, SinkKind::Qdrant) => {
            a.effective_url().trim_end_matches('/') == b.effective_url().trim_end_matches('/')
                && a.collection == b.collection
        }
        _ => false,
    }
}

/// "the embedded store" / "Qdrant at URL, collection NAME".
pub fn describe(sink: &SinkConfig) -> String {
    match sink.kind {
        SinkKind::Embedded => "the embedded store".to_string(),
        SinkKind::Qdrant => format!(
            "Qdrant at {}, collection {:?}",
            sink.effective_url(),
            sink.collection
        ),
    }
}

/// Checks a writer's store against the data dir's checkpoints, and records it.
fn claim(data_dir: &Path, chosen: &SinkConfig, store: &SyncState) -> Result<()> {
    let has_checkpoints = !store.checkpoints().is_empty();
    let current = bound(data_dir)?;
    let owner = current.clone().unwrap_or_default();
    if has_checkpoints && !same_store(&owner, chosen) {
        return Err(Error::Config(format!(
            "the checkpoints in {} belong to {}, not {}: syncing there would skip everything already synced. Move the points with `pipeline migrate --to {}`, or start over with `pipeline reset --checkpoints-only`, or use another --data-dir",
            data_dir.display(),
            describe(&owner),
            describe(chosen),
            match chosen.kind {
                SinkKind::Embedded => "embedded",
                SinkKind::Qdrant => "qdrant",
            }
        )));
    }
    if current.as_ref() != Some(chosen) {
        bind(data_dir, chosen)?;
    }
    Ok(())
}

/// Opens the sink a run writes to. For Qdrant: connects, creates or checks the collection, and refuses to go on
/// if the collection lost the points this data dir's checkpoints say it holds. `dimension` is the model's (a new
/// collection is made for it, an existing one must match it); `handle` is the runtime Qdrant requests run on;
/// `deadline` bounds every commit.
pub fn open_sink(
    data_dir: &Path,
    chosen: &SinkConfig,
    dimension: usize,
    store: Arc<SyncState>,
    handle: tokio::runtime::Handle,
    deadline: Option<Instant>,
) -> Result<Arc<dyn Sink>> {
    claim(data_dir, chosen, &store)?;
    match chosen.kind {
        SinkKind::Embedded => Ok(Arc::new(EmbeddedStore::of(&store))),
        SinkKind::Qdrant => {
            let qdrant = QdrantStore::connect(chosen, handle)?;
            let state = qdrant.ensure_collection(deadline, dimension)?;
            let synced = store
                .checkpoints()
                .iter()
                .filter(|(_, cp)| cp.as_ref().is_ok_and(|c| c.offset > 0))
                .count();
            if state.points == 0 && synced > 0 {
                return Err(Error::Config(format!(
                    "{} is {} but this data dir's checkpoints say {synced} files were stored there; to store again what is still on disk, run `pipeline reset --checkpoints-only` (sessions Claude Code has deleted cannot be recovered)",
                    qdrant.describe(),
                    if state.created { "new (it did not exist)" } else { "empty" }
                )));
            }
            Ok(Arc::new(QdrantSink::new(Arc::new(qdrant), store, deadline)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qdrant(url: &str, collection: &str) -> SinkConfig {
        SinkConfig {
            kind: SinkKind::Qdrant,
            url: url.into(),
            collection: collection.into(),
            ..SinkConfig::default()
        }
    }

    #[test]
    fn flags_override_the_binding_which_overrides_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let none = SinkOverrides::default();
        let c = choose(dir.path(), None, &none).unwrap();
        assert_eq!(c.config.kind, SinkKind::Embedded);
        assert!(!c.explicit);

        bind(dir.path(), &qdrant("http://a:6334", "x")).unwrap();
        let c = choose(dir.path(), None, &none).unwrap();
        assert!(same_store(&c.config, &qdrant("http://a:6334", "x")));
        assert!(!c.explicit);

        let flags = SinkOverrides {
            qdrant_collection: Some("y".into()),
            ..Default::default()
        };
        let c = choose(dir.path(), None, &flags).unwrap();
        assert_eq!(
            (c.config.url.as_str(), c.config.collection.as_str()),
            ("http://a:6334", "y")
        );
        assert!(c.explicit);

        let flags = SinkOverrides {
            kind: Some(SinkKind::Embedded),
            ..Default::default()
        };
        assert_eq!(
            choose(dir.path(), None, &flags).unwrap().config.kind,
            SinkKind::Embedded
        );

        let bad = SinkOverrides {
            qdrant_url: Some("a:6334".into()),
            ..Default::default()
        };
        assert!(matches!(
            choose(dir.path(), None, &bad),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn a_writer_cannot_take_over_checkpoints_of_another_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = SyncState::open(dir.path()).unwrap();
        // No checkpoints: any store may claim the data dir.
        claim(dir.path(), &qdrant("http://a:6334", "x"), &store).unwrap();
        assert_eq!(
            bound(dir.path()).unwrap().map(|s| s.collection),
            Some("x".into())
        );
        claim(dir.path(), &SinkConfig::default(), &store).unwrap();
        store
            .put_raw_checkpoint("/t/a.jsonl", b"any bytes")
            .unwrap();
        let e = claim(dir.path(), &qdrant("http://a:6334", "x"), &store).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("the embedded store") && text.contains("migrate"),
            "{text}"
        );
        claim(dir.path(), &SinkConfig::default(), &store).unwrap();
    }
}
