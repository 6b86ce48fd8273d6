//! File-system notifications: which transcript files changed, and since when.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Most files remembered as dirty between two cycles; past it, a cycle runs anyway and rescans everything.
const MAX_DIRTY: usize = 100_000;

/// Files changed since the last cycle, with the first time each was seen changing.
#[derive(Clone, Default)]
pub struct DirtyFiles {
    inner: Arc<Mutex<HashMap<PathBuf, Instant>>>,
    changed: Arc<tokio::sync::Notify>,
}

impl DirtyFiles {
    /// Marks `path` dirty (keeps the earliest time).
    pub fn mark(&self, path: &Path) {
        if let Ok(mut map) = self.inner.lock() {
            if map.len() < MAX_DIRTY {
                map.entry(path.to_path_buf()).or_insert_with(Instant::now);
            }
        }
        self.changed.notify_one();
    }

    /// Resolves once something was marked since the last call.
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    /// The dirty files, forgotten.
    pub fn take(&self) -> HashMap<PathBuf, Instant> {
        self.inner
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }
}

/// Does a notification concern a transcript (or a directory that may hold new ones)?
fn relevant(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e == "jsonl" || e == "json")
        || path.is_dir()
}

/// Watches `sources` recursively; every change to a transcript marks it dirty. Keep the returned watcher alive.
pub fn watch(sources: &[PathBuf], dirty: DirtyFiles) -> notify::Result<notify::RecommendedWatcher> {
    use notify::{EventKind, RecursiveMode, Watcher};
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else {
            // Overflow or a watch error: a cycle rescans everything anyway.
            dirty.changed.notify_one();
            return;
        };
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        for path in event.paths.iter().filter(|p| relevant(p)) {
            dirty.mark(path);
        }
    })?;
    for source in sources.iter().filter(|s| s.exists()) {
        watcher.watch(source, RecursiveMode::Recursive)?;
    }
    Ok(watcher)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_keep_the_first_time_and_take_forgets() {
        let d = DirtyFiles::default();
        d.mark(Path::new("/a.jsonl"));
        let first = d.take();
        assert_eq!(first.len(), 1);
        d.mark(Path::new("/a.jsonl"));
        let t = d.inner.lock().map(|m| m[Path::new("/a.jsonl")]).ok();
        d.mark(Path::new("/a.jsonl"));
        assert_eq!(d.inner.lock().map(|m| m[Path::new("/a.jsonl")]).ok(), t);
        assert!(d.take().len() == 1 && d.take().is_empty());
    }

    #[tokio::test]
    async fn appending_to_a_transcript_is_noticed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let d = DirtyFiles::default();
        let _w = watch(&[dir.path().to_path_buf()], d.clone()).unwrap_or_else(|e| panic!("{e}"));
        let sub = dir.path().join("-proj");
        std::fs::create_dir(&sub).unwrap_or_else(|e| panic!("{e}"));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let file = sub.join("s.jsonl");
        std::fs::write(&file, b"{}\n").unwrap_or_else(|e| panic!("{e}"));
        tokio::time::timeout(std::time::Duration::from_secs(5), async {
            loop {
                if d.inner
                    .lock()
                    .map(|m| m.contains_key(&file))
                    .unwrap_or(false)
                {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no event for {}", file.display()));
    }
}
