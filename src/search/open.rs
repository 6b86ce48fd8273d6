//! Opens what a search reads, for the store a command works on.

use super::corpus::Corpus;
use super::index::{IndexSource, SearchIndex};
use super::mapped::PublishedIndex;
use super::qdrant::QdrantCorpus;
use crate::config::{SinkConfig, SinkKind};
use crate::error::{Error, Result};
use crate::store::qdrant::QdrantStore;
use crate::store::{snapshot, EmbeddedStore, SyncState, WriterLock};
use std::path::Path;
use std::sync::Arc;

/// The embedded store's index, or a Qdrant collection. Qdrant requests run on `handle`'s runtime.
pub fn open_corpus(
    data_dir: &Path,
    sink: &SinkConfig,
    handle: tokio::runtime::Handle,
) -> Result<(Arc<dyn Corpus>, IndexSource)> {
    match sink.kind {
        SinkKind::Embedded => open_embedded(data_dir),
        SinkKind::Qdrant => {
            let store = Arc::new(QdrantStore::connect(sink, handle)?);
            Ok((Arc::new(QdrantCorpus::open(store)?), IndexSource::Qdrant))
        }
    }
}

/// The embedded store's points for search, without ever waiting for a sync:
/// - no writer, and the published index is current: that index, read in place (milliseconds at any size);
/// - no writer, and points changed since it was published (a run was killed or ran out of budget first): the
///   database itself, loaded into memory;
/// - a writer is running: the index it (or the run before it) last published, which holds only committed points.
pub fn open_embedded(data_dir: &Path) -> Result<(Arc<dyn Corpus>, IndexSource)> {
    let no_index = || Error::NoIndex {
        data_dir: data_dir.to_path_buf(),
    };
    let published = || {
        snapshot::open_published(data_dir)
            .map(|o| o.map(|(base, delta)| PublishedIndex::new(base, delta)))
    };
    // A watch cycle is short: a fresh read is worth a brief wait; a run is not waited for.
    if WriterLock::wait_out_watch(data_dir, std::time::Duration::from_secs(2)) {
        if !SyncState::exists(data_dir) {
            // Nobody is writing and nothing was ever stored (a reader must not create the store).
            return Err(no_index());
        }
        if !snapshot::is_behind(data_dir) {
            // An unreadable index is not fatal while the store itself can be read.
            if let Some(index) = published()
                .ok()
                .flatten()
                .filter(|i| i.point_count().unwrap_or(0) > 0)
            {
                return Ok((Arc::new(index), IndexSource::Published));
            }
        }
        match EmbeddedStore::open_reader(data_dir) {
            Ok(store) => {
                let index = SearchIndex::load(&store)?;
                if index.is_empty() {
                    return Err(no_index());
                }
                return Ok((Arc::new(index), IndexSource::Store));
            }
            Err(Error::Locked { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    match published()? {
        Some(index) => {
            let created_unix = index.created_unix();
            Ok((Arc::new(index), IndexSource::Snapshot { created_unix }))
        }
        None => Err(Error::Store {
            path: data_dir.to_path_buf(),
            message: "a sync is writing the store and no search index has been published yet; try again when it ends".into(),
        }),
    }
}
