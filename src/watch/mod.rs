//! `pipeline watch`: stays current without being asked. File-system notifications (inotify via `notify`) mark
//! transcript files dirty; after a short debounce a *cycle* runs exactly what `pipeline run` runs (the same stages,
//! checkpoints and sink), bounded by a small budget; a periodic rescan runs a cycle anyway, in case a notification
//! was missed. So `watch`, `run`, the hook and a crash can alternate freely: each resumes from the checkpoints.
//!
//! Coordination: a cycle takes the writer lock (marked as a watch cycle) and opens the database only for its own
//! duration, at most `cycle` long, then releases both. Between cycles `run`, `search`, `export` and the MCP server
//! read and write the data dir as if no watch were running; a writer that arrives during a cycle waits for it to
//! end; a search during a cycle reads the last published snapshot. The model stays loaded between cycles. One watch
//! per data dir (`watch.lock`).

pub mod events;
pub mod stats;

pub use stats::{WatchReport, WatchStats, WatchTotals};

use crate::config::PipelineConfig;
use crate::error::{Error, Result};
use crate::progress::{Counters, Reporter};
use crate::session::{SessionSpec, WriterSession};
use crate::stages::embed::ModelSlot;
use crate::store::lock::{is_locked, try_lock_file};
use crate::store::target::SinkOverrides;
use crate::store::{target, SyncState};
use crate::sync::{RunSettings, RunSummary, SyncJob};
use events::DirtyFiles;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Pause between two cycles when work is left, so other writers and readers get their turn.
const GAP: Duration = Duration::from_millis(100);

/// How `pipeline watch` runs: which directories, how long a cycle may hold the data dir, how long it lets a
/// burst of appends settle, and how often it rescans without notifications.
#[derive(Debug, Clone)]
pub struct WatchSettings {
    pub sources: Vec<PathBuf>,
    /// Longest cycle (the writer lock is held no longer).
    pub cycle: Duration,
    /// Quiet time after a notification before a cycle starts (coalesces a burst of appends).
    pub debounce: Duration,
    /// A cycle runs at least this often even without notifications.
    pub rescan: Duration,
}

/// What one cycle did (printed with `--json`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CycleReport {
    /// "events", "rescan" or "backlog" (the previous cycle left work).
    pub trigger: &'static str,
    pub events: u64,
    pub summary: RunSummary,
    /// Seconds from the first notification of a file to its lines being stored, for files caught up.
    pub lag_secs: Vec<f64>,
}

/// A watch over one data dir.
pub struct Watcher {
    pub data_dir: PathBuf,
    /// The pipeline definition (its `[sink]`, if any, names the store).
    pub config: PipelineConfig,
    /// `--sink`/`--qdrant-*`; the store is chosen again every cycle (`pipeline migrate` may move the data dir).
    pub overrides: SinkOverrides,
    pub model_dir: PathBuf,
    pub settings: WatchSettings,
}

/// Held for the life of a watch: one per data dir.
pub struct WatchLock {
    _file: std::fs::File,
}

impl WatchLock {
    pub fn acquire(data_dir: &Path) -> Result<Self> {
        crate::private::create_dir(data_dir).map_err(|e| Error::io(data_dir, e))?;
        let path = data_dir.join("watch.lock");
        match try_lock_file(&path).map_err(|e| Error::io(&path, e))? {
            Some(file) => Ok(WatchLock { _file: file }),
            None => Err(Error::WatchRunning {
                data_dir: data_dir.to_path_buf(),
            }),
        }
    }

    /// True while a watch runs for `data_dir`.
    pub fn is_held(data_dir: &Path) -> bool {
        is_locked(&data_dir.join("watch.lock"))
    }
}

impl Watcher {
    /// Watches until `stop` resolves; `on_cycle` hears about every cycle that ran.
    pub async fn run(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
        mut on_cycle: impl FnMut(&CycleReport),
    ) -> Result<()> {
        let _one_watch = WatchLock::acquire(&self.data_dir)?;
        let dirty = DirtyFiles::default();
        let _fs_watch = match events::watch(&self.settings.sources, dirty.clone()) {
            Ok(w) => Some(w),
            Err(e) => {
                eprintln!(
                    "warning: file notifications unavailable ({e}); relying on rescans every {}",
                    humantime::format_duration(self.settings.rescan)
                );
                None
            }
        };
        let model: ModelSlot = Arc::new(std::sync::Mutex::new(None));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            stop.await;
            let _ = stop_tx.send(true);
        });
        let mut stats = WatchStats::starting();
        let mut last_snapshot = Instant::now();
        let mut next_rescan = Instant::now(); // a first cycle at once catches up what happened while not watching
        let mut backlog = false;
        let mut carried: HashMap<PathBuf, Instant> = HashMap::new();
        loop {
            let mut stop_wait = stop_rx.clone();
            if *stop_wait.borrow() {
                return Ok(());
            }
            let trigger = if backlog {
                tokio::time::sleep(GAP).await;
                "backlog"
            } else {
                tokio::select! {
                    _ = dirty.changed() => {
                        tokio::time::sleep(self.settings.debounce).await;
                        "events"
                    }
                    _ = tokio::time::sleep_until(tokio::time::Instant::from_std(next_rescan)) => "rescan",
                    _ = stop_wait.changed() => return Ok(()),
                }
            };
            let fresh = dirty.take();
            let events = fresh.len() as u64;
            if trigger == "events" && events == 0 && carried.is_empty() {
                continue; // a wake-up left over from a burst the last cycle already handled
            }
            for (path, at) in fresh {
                carried.entry(path).or_insert(at);
            }
            let cycle = self
                .cycle(
                    &model,
                    &stop_rx,
                    &mut carried,
                    &mut stats,
                    trigger,
                    events,
                    &mut last_snapshot,
                )
                .await;
            let (summary, lag_secs) = match cycle {
                Ok(Some(done)) => done,
                Ok(None) => {
                    // Another writer holds the data dir: it is doing this work; look again shortly.
                    backlog = true;
                    continue;
                }
                Err(e) => {
                    eprintln!("warning: watch cycle failed: {e}");
                    next_rescan = Instant::now() + self.settings.rescan;
                    backlog = false;
                    continue;
                }
            };
            if trigger == "rescan" {
                next_rescan = Instant::now() + self.settings.rescan;
            }
            backlog = summary.work_left;
            on_cycle(&CycleReport {
                trigger,
                events,
                summary,
                lag_secs,
            });
        }
    }

    /// One cycle: lock, open, run the pipeline for at most `cycle`, measure the lag of the files it caught up,
    /// save the metrics, close, unlock. `None` when another writer holds the data dir.
    #[allow(clippy::too_many_arguments)]
    async fn cycle(
        &self,
        model: &ModelSlot,
        stop: &tokio::sync::watch::Receiver<bool>,
        carried: &mut HashMap<PathBuf, Instant>,
        stats: &mut WatchStats,
        trigger: &'static str,
        events: u64,
        last_snapshot: &mut Instant,
    ) -> Result<Option<(RunSummary, Vec<f64>)>> {
        let started = Instant::now();
        let chosen = target::choose(&self.data_dir, self.config.sink.as_ref(), &self.overrides)?;
        let (data_dir, sink_config) = (self.data_dir.clone(), chosen.config);
        let dimension = self.config.embed.model.vectors_dimension();
        let handle = tokio::runtime::Handle::current();
        let budget = self
            .config
            .budget
            .budget(started, Some(self.settings.cycle));
        let session = tokio::task::spawn_blocking(move || {
            let spec = SessionSpec {
                data_dir: &data_dir,
                sink: &sink_config,
                dimension,
                budget,
            };
            WriterSession::open_for_watch(&spec, handle)
        })
        .await
        .map_err(|e| Error::stage("watch", e))??;
        // Another writer holds the data dir, or a reader still has it open: a turn for later.
        let Some(session) = session else {
            return Ok(None);
        };
        let job = SyncJob {
            settings: RunSettings {
                sources: self.settings.sources.clone(),
                budget: Some(self.settings.cycle),
                max_files: None,
            },
            config: self.config.clone(),
            model_dir: self.model_dir.clone(),
            budget,
            publish_snapshots: false,
            model_slot: Some(model.clone()),
        };
        let reporter = Reporter::quiet(Arc::new(Counters::default()));
        let mut stop = stop.clone();
        let signal = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let summary = session.run(job, reporter, signal).await?;
        let lags = caught_up(session.state(), carried);
        stats.record(trigger, events, &summary, &lags);
        stats.save(session.state())?;
        // Searches during later cycles read the snapshot: keep it reasonably fresh, not on every cycle, and only
        // when it fits in what is left of the cycle.
        let every = Duration::from_secs(self.config.snapshot.every_secs.max(1));
        if session.publish_snapshot(&summary, Some(*last_snapshot + every))? {
            *last_snapshot = Instant::now();
        }
        drop(session);
        Ok(Some((summary, lags)))
    }
}

/// Files noticed dirty whose lines are now all stored: their lag; they are forgotten.
fn caught_up(store: &SyncState, carried: &mut HashMap<PathBuf, Instant>) -> Vec<f64> {
    let now = Instant::now();
    let mut lags = Vec::new();
    carried.retain(|path, at| {
        let size = std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        let offset = store
            .checkpoint(&path.to_string_lossy())
            .ok()
            .flatten()
            .map(|cp| cp.offset);
        match (size, offset) {
            // Stored up to the end of the last complete line (a partial last line waits for its end).
            (Some(size), Some(offset)) if offset >= size || ends_mid_line(path, offset) => {
                lags.push(now.duration_since(*at).as_secs_f64());
                false
            }
            (None, _) => false, // deleted, or a directory
            _ => true,
        }
    });
    lags
}

/// True when everything after `offset` is an unfinished last line (no newline yet). Reads until the first
/// newline only.
fn ends_mid_line(path: &Path, offset: u64) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    if f.seek(SeekFrom::Start(offset)).is_err() {
        return false;
    }
    let mut block = vec![0u8; 64 << 10];
    loop {
        match f.read(&mut block) {
            Ok(0) => return true,
            Ok(n) if block[..n].contains(&b'\n') => return false,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
