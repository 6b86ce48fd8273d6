//! Opens what a search reads, for the store a command works on.

use super::corpus::Corpus;
use super::index::{IndexSource, SearchIndex};
use super::qdrant::QdrantCorpus;
use crate::config::{SinkConfig, SinkKind};
use crate::error::Result;
use crate::store::qdrant::QdrantStore;
use std::path::Path;
use std::sync::Arc;

/// The embedded store's index (or its snapshot during a sync), or a Qdrant collection. Qdrant requests run on
/// `handle`'s runtime.
pub fn open_corpus(
    data_dir: &Path,
    sink: &SinkConfig,
    handle: tokio::runtime::Handle,
) -> Result<(Arc<dyn Corpus>, IndexSource)> {
    match sink.kind {
        SinkKind::Embedded => {
            let (index, source) = SearchIndex::open(data_dir)?;
            Ok((Arc::new(index), source))
        }
        SinkKind::Qdrant => {
            let store = Arc::new(QdrantStore::connect(sink, handle)?);
            Ok((Arc::new(QdrantCorpus::open(store)?), IndexSource::Qdrant))
        }
    }
}
