//! A writer session: the one sequence every sync follows, whoever starts it (`run`, `resume` and the hook
//! through `cli::run::sync`, a `pipeline watch` cycle, the MCP sync tool). Take the writer lock, open the
//! store, open the sink, run the job, record the run, publish the search snapshot when it is due and fits,
//! close the store, release the lock.

use crate::budget::Budget;
use crate::config::{SinkConfig, SinkKind};
use crate::error::{Error, Result};
use crate::history;
use crate::progress::Reporter;
use crate::store::lock::Holder;
use crate::store::{snapshot, target, EmbeddedStore, Sink, SyncState, WriterLock};
use crate::sync::{RunSummary, SyncJob};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// What a session is opened with.
#[derive(Debug, Clone, Copy)]
pub struct SessionSpec<'a> {
    pub data_dir: &'a Path,
    pub sink: &'a SinkConfig,
    /// The model's vector length (a new Qdrant collection is made for it).
    pub dimension: usize,
    /// The run's budget: the sink's requests end at [`Budget::sink_end`], and a snapshot is published only if
    /// it [`fits`](Budget::fits).
    pub budget: Budget,
}

/// The data dir held for writing. Dropping it closes the store, then releases the lock.
pub struct WriterSession {
    // Drop order is declaration order: the sink and the store close before the lock is released.
    sink: Arc<dyn Sink>,
    state: Arc<SyncState>,
    embedded: bool,
    data_dir: PathBuf,
    budget: Budget,
    _lock: WriterLock,
}

impl WriterSession {
    /// Opens the session of a one-off writer (run, resume, the hook, the MCP sync): waits until `until` for a
    /// `pipeline watch` cycle to release the data dir; any other writer is refused at once ([`Error::Locked`]).
    /// Blocking: call it from `spawn_blocking` in async code; `handle` is the runtime Qdrant requests run on.
    pub fn open(
        spec: &SessionSpec<'_>,
        until: Instant,
        handle: tokio::runtime::Handle,
    ) -> Result<Self> {
        let lock = WriterLock::acquire_beside_watch(spec.data_dir, until)?;
        // A reader may still have the database open for a moment (it holds it only to load): open_writer waits.
        let store = Arc::new(SyncState::open_writer(spec.data_dir)?);
        Self::with_state(spec, lock, store, handle)
    }

    /// Opens the session of a `pipeline watch` cycle: a data dir held by another writer, or still open by a
    /// reader after a short wait, is a turn skipped (`Ok(None)`), never an error. Blocking, like [`Self::open`].
    pub fn open_for_watch(
        spec: &SessionSpec<'_>,
        handle: tokio::runtime::Handle,
    ) -> Result<Option<Self>> {
        let lock = match WriterLock::acquire_as(spec.data_dir, Holder::Watch) {
            Err(Error::Locked { .. }) => return Ok(None),
            other => other?,
        };
        let store = match SyncState::open_writer(spec.data_dir) {
            Err(Error::Locked { .. }) => return Ok(None),
            other => Arc::new(other?),
        };
        Self::with_state(spec, lock, store, handle).map(Some)
    }

    /// Opens the sink, the lock taken and the database open.
    fn with_state(
        spec: &SessionSpec<'_>,
        lock: WriterLock,
        state: Arc<SyncState>,
        handle: tokio::runtime::Handle,
    ) -> Result<Self> {
        let sink = target::open_sink(
            spec.data_dir,
            spec.sink,
            spec.dimension,
            state.clone(),
            handle,
            spec.budget.sink_end(),
        )?;
        Ok(WriterSession {
            sink,
            state,
            embedded: spec.sink.kind == SinkKind::Embedded,
            data_dir: spec.data_dir.to_path_buf(),
            budget: spec.budget,
            _lock: lock,
        })
    }

    /// The sync's state: checkpoints, the embedding cache, run history.
    pub fn state(&self) -> &Arc<SyncState> {
        &self.state
    }

    /// The points go to the embedded store (not Qdrant): it has a search snapshot.
    pub fn is_embedded(&self) -> bool {
        self.embedded
    }

    /// Runs `job` into this session's sink; `signal` resolves when the user asks to stop.
    pub async fn run(
        &self,
        job: SyncJob,
        reporter: Reporter,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<RunSummary> {
        job.run(self.state.clone(), self.sink.clone(), reporter, signal)
            .await
    }

    /// Records the run in the data dir's history and makes it durable. A resumable session (one that saved its
    /// settings for `pipeline resume`) forgets them once no work is left.
    pub fn record(&self, summary: &RunSummary, resumable: bool) -> Result<()> {
        history::record_run(&self.state, summary)?;
        if resumable && !summary.work_left {
            history::clear_resume(&self.state)?;
        }
        self.state.flush()
    }

    /// Publishes the search snapshot (embedded store only) when it is stale (points were committed, or there is
    /// none yet), not before `not_before` (a watch publishes at most every `snapshot.every_secs`), and only if it
    /// fits before the end of the budget (estimated from the last snapshot's size). Returns whether it did.
    pub fn publish_snapshot(
        &self,
        summary: &RunSummary,
        not_before: Option<Instant>,
    ) -> Result<bool> {
        if !self.embedded {
            return Ok(false);
        }
        let stale = summary.points_committed > 0
            || summary.reapplied.rewritten > 0
            || !snapshot::is_published(&self.data_dir)
            || self.state.index_behind();
        let now = Instant::now();
        let points = EmbeddedStore::of(&self.state);
        // A rebuild when it fits the budget, else a delta (however large) when that fits.
        let (how, cost, delta_cost) = snapshot::plan(&points);
        let how = if self.budget.fits(now, cost) {
            Some(how)
        } else {
            delta_cost
                .filter(|c| self.budget.fits(now, *c))
                .map(|_| snapshot::Publish::Delta)
        };
        let Some(how) = how.filter(|_| stale && not_before.is_none_or(|t| now >= t)) else {
            if summary.reapplied.changed > 0 {
                // The old snapshot still holds text the rules now redact: better none than that one.
                snapshot::remove(&self.data_dir)?;
            }
            return Ok(false);
        };
        snapshot::publish_current_as(&points, how)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn spec<'a>(data_dir: &'a Path, sink: &'a SinkConfig) -> SessionSpec<'a> {
        SessionSpec {
            data_dir,
            sink,
            dimension: crate::embedder::DIMENSION,
            budget: Budget::unlimited(Instant::now()),
        }
    }

    #[test]
    fn a_watch_cycle_skips_a_busy_data_dir_and_a_writer_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
        let sink = SinkConfig::default();
        let spec = spec(dir.path(), &sink);
        let now = Instant::now();
        let first = WriterSession::open(&spec, now, rt.handle().clone())
            .unwrap_or_else(|e| panic!("opened: {e}"));
        assert!(first.is_embedded());
        let watch = WriterSession::open_for_watch(&spec, rt.handle().clone());
        assert!(matches!(watch, Ok(None)), "a watch turn is skipped");
        let writer = WriterSession::open(&spec, now, rt.handle().clone());
        assert!(matches!(writer, Err(Error::Locked { .. })));
        drop(first);
        let again = WriterSession::open_for_watch(&spec, rt.handle().clone());
        assert!(matches!(again, Ok(Some(_))), "closed and released on drop");
    }

    #[test]
    fn the_snapshot_is_published_when_stale_due_and_in_time() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
        let sink = SinkConfig::default();
        let open = |budget: Budget| {
            let mut s = spec(dir.path(), &sink);
            s.budget = budget;
            WriterSession::open_for_watch(&s, rt.handle().clone())
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("opened"))
        };
        let idle = RunSummary::default();
        let busy = RunSummary {
            points_committed: 3,
            ..RunSummary::default()
        };
        let later = Some(Instant::now() + Duration::from_secs(3600));
        let ok = |r: Result<bool>| r.unwrap_or_else(|e| panic!("{e}"));

        let session = open(Budget::new(
            Instant::now(),
            Some(Duration::ZERO),
            Duration::ZERO,
        ));
        assert!(!ok(session.publish_snapshot(&busy, None)), "no time left");
        drop(session);
        let session = open(Budget::unlimited(Instant::now()));
        assert!(!ok(session.publish_snapshot(&busy, later)), "not due yet");
        assert!(ok(session.publish_snapshot(&idle, None)), "none exists yet");
        assert!(snapshot::path(dir.path()).exists());
        assert!(!ok(session.publish_snapshot(&idle, None)), "nothing new");
        assert!(
            ok(session.publish_snapshot(&busy, None)),
            "points committed"
        );
    }
}
