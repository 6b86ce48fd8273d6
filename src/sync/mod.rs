//! The orchestrator: plans the work, starts the four stages connected by bounded channels, enforces the time
//! budget, and reports what happened.
//!
//! Budget timeline (wall clock from process start): the embed stage starts a window only if it is expected to
//! be committed before `hard deadline = start + budget - commit_reserve`; parse and enhance stop as soon as the
//! embed stage stops reading. If a window runs late anyway, the orchestrator stops waiting at the hard deadline:
//! the batch is abandoned (its checkpoint never moved) and redone next run. SIGINT/SIGTERM stop intake at once
//! and leave a short grace for the batch in flight.

use crate::budget::Budget;
use crate::config::PipelineConfig;
use crate::discover::{self, PendingFile};
use crate::embedder::{Embedder, EmbedderSettings, ModelFiles};
use crate::error::{Error, Result};
use crate::progress::{Counters, Reporter};
use crate::shutdown::Shutdown;
use crate::stages::embed::{EmbedEnd, EmbedStage, ModelLoad, ModelSlot};
use crate::stages::enhance;
use crate::stages::parse::{ParseOutcome, ParseStage};
use crate::stages::upsert::{self, UpsertOutcome};
use crate::store::{snapshot, CommitBatch, Sink, SyncState};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

mod publisher;
mod summary;
use publisher::SnapshotPublisher;
use summary::SummaryBase;

/// Grace after SIGINT/SIGTERM for the batch in flight.
const SIGNAL_GRACE: Duration = Duration::from_millis(1500);
/// Where the measured embedding speed is remembered between runs (it decides whether a window fits the budget).
const EMBED_SPEED_KEY: &str = "embed_speed";

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub sources: Vec<PathBuf>,
    #[serde(with = "opt_duration_ms")]
    pub budget: Option<Duration>,
    pub max_files: Option<usize>,
}

mod opt_duration_ms {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        d.map(|d| d.as_millis() as u64).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Everything pending was stored.
    #[default]
    CaughtUp,
    /// The time budget ran out with work left.
    Budget,
    /// SIGINT or SIGTERM.
    Signal,
    /// `--max-files` left files for later.
    MaxFiles,
}

/// The end-of-run report (printed, `--json`, and kept in the run history). The default is a run that found
/// nothing to do.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub stop_reason: StopReason,
    /// Work remains for another run.
    pub work_left: bool,
    pub duration_secs: f64,
    pub budget_secs: Option<f64>,
    pub files_pending_at_start: u64,
    pub files_completed: u64,
    pub bytes_pending_at_start: u64,
    pub bytes_committed: u64,
    pub lines: u64,
    pub malformed_lines: u64,
    pub messages: u64,
    pub messages_per_sec: f64,
    pub points_committed: u64,
    pub texts_embedded: u64,
    pub cache_hits: u64,
    pub embed_secs: f64,
    /// How long loading the model took, if it was loaded (cold start, with `first_embed_secs`).
    #[serde(default)]
    pub model_load_secs: Option<f64>,
    /// From process start to the end of the first embedded window, if one was embedded.
    #[serde(default)]
    pub first_embed_secs: Option<f64>,
    pub batches_committed: u64,
    pub warnings: u64,
    /// Files skipped because they could not be read (a warning each); the next run tries them again.
    #[serde(default)]
    pub files_unreadable: u64,
    /// When the run ended, seconds since the Unix epoch (run history only; never in point payloads).
    pub finished_at_unix: u64,
    pub first_warnings: Vec<String>,
}

/// One run of the pipeline: what to read, with which settings, from when the budget counts.
pub struct SyncJob {
    pub settings: RunSettings,
    pub config: PipelineConfig,
    pub model_dir: PathBuf,
    /// The run's budget (from process start); its length is `settings.budget`.
    pub budget: Budget,
    /// Republish the embedded store's search snapshot during the run (`snapshot.every_secs`).
    pub publish_snapshots: bool,
    /// Keep the model loaded across runs here (`pipeline watch`); `None` loads it for this run only.
    pub model_slot: Option<ModelSlot>,
}

impl SyncJob {
    /// Runs the pipeline once: points go to `sink`; `store` holds the sync's state (checkpoints, the embedding
    /// cache, run metadata), whichever store the points go to. `signal` resolves when the user asks to stop.
    ///
    /// Four steps: [`plan`](Self::plan) the work, [`spawn`](Self::spawn) the stages, [`Stages::supervise`] them
    /// until the upsert stage ends (or the deadline or a signal ends the run), then [`Stages::conclude`].
    pub async fn run(
        self,
        store: Arc<SyncState>,
        sink: Arc<dyn Sink>,
        reporter: Reporter,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<RunSummary> {
        let hard_deadline = self.budget.stages_end();
        let Plan {
            pending,
            truncated,
            mut base,
        } = self.plan(&store, &reporter)?;
        if pending.is_empty() {
            return Ok(base.finish(&reporter, StopReason::CaughtUp, false, &Default::default()));
        }
        if hard_deadline.is_some_and(|d| d <= Instant::now()) {
            return Ok(base.finish(&reporter, StopReason::Budget, true, &Default::default()));
        }
        let stages = self.spawn(pending, &store, sink, &reporter, hard_deadline)?;
        let supervised = stages.supervise(signal, hard_deadline, &reporter).await;
        let end = supervised.conclude(base.files_pending, truncated).await?;
        remember_embed_speed(&store, reporter.counters(), end.known_speed, end.timed_out)?;
        Ok(base.finish(&reporter, end.reason, end.work_left, &end.upserted))
    }

    /// Checks the model against the data dir's, starts a re-index if the enhancer changed, and lists the files
    /// with bytes past their checkpoint (newest first, at most `max_files`).
    fn plan(&self, store: &SyncState, reporter: &Reporter) -> Result<Plan> {
        let model = &self.config.embed.model;
        crate::store::model_record::check_or_record(store, &model.id, model.dimension)?;
        if let crate::reindex::Reindex::Started { from } = crate::reindex::prepare(store)? {
            reporter.info(&format!(
                "the index was written by enhancer version {from}; re-reading every transcript for version {} (resumable; searches keep working)",
                crate::enhance::ENHANCER_VERSION
            ));
        }
        let found = discover::find_files(&self.settings.sources, reporter);
        let mut pending = discover::pending(&found, store);
        let mut truncated = false;
        if let Some(max) = self.settings.max_files {
            if pending.len() > max {
                pending.truncate(max);
                truncated = true;
            }
        }
        let counters = reporter.counters();
        let bytes_pending: u64 = pending.iter().map(|p| p.pending_bytes).sum();
        counters
            .files_total
            .store(pending.len() as u64, Ordering::Relaxed);
        counters.bytes_total.store(bytes_pending, Ordering::Relaxed);
        let base = SummaryBase {
            started: self.budget.started(),
            budget: self.budget.length(),
            files_pending: pending.len() as u64,
            bytes_pending,
            start_offsets: pending
                .iter()
                .map(|p| (p.path.clone(), p.size - p.pending_bytes))
                .collect(),
        };
        Ok(Plan {
            pending,
            truncated,
            base,
        })
    }

    /// Loads the model on a blocking thread while parsing starts (or takes the one a long-lived caller kept).
    fn start_model_load(&self, reporter: &Reporter) -> Result<ModelLoad> {
        let kept = self
            .model_slot
            .as_ref()
            .and_then(|slot| slot.lock().ok().and_then(|mut m| m.take()));
        if let Some(model) = kept {
            return Ok(tokio::task::spawn_blocking(move || Ok(model)));
        }
        let files = ModelFiles::from_config(&self.model_dir, &self.config.embed.model);
        files.check()?;
        let settings = EmbedderSettings::from_config(&self.config.embed);
        let counters = reporter.counters().clone();
        Ok(tokio::task::spawn_blocking(move || {
            let start = Instant::now();
            let loaded = Embedder::load(&files, settings);
            Counters::add(
                &counters.model_load_nanos,
                start.elapsed().as_nanos() as u64,
            );
            loaded
        }))
    }

    /// Starts the four stages, connected by bounded channels, plus the snapshot publisher and the progress
    /// ticker.
    fn spawn(
        &self,
        pending: Vec<PendingFile>,
        store: &Arc<SyncState>,
        sink: Arc<dyn Sink>,
        reporter: &Reporter,
        hard_deadline: Option<Instant>,
    ) -> Result<Stages> {
        let load = self.start_model_load(reporter)?;
        let (notify, _) = broadcast::channel::<()>(1);
        let (parsed_tx, parsed_rx) = async_channel::bounded(self.config.channels.parsed);
        let (enhanced_tx, enhanced_rx) = async_channel::bounded(self.config.channels.enhanced);
        let (batch_tx, batch_rx) = async_channel::bounded(self.config.channels.embedded);

        let parse = ParseStage {
            config: self.config.parse.clone(),
            store: store.clone(),
            reporter: reporter.clone(),
        };
        let parse_shutdown = Shutdown::new(notify.subscribe());
        let parse =
            tokio::task::spawn_blocking(move || parse.run(pending, parsed_tx, parse_shutdown));
        let enhance = tokio::spawn(enhance::run(parsed_rx, enhanced_tx));
        let known_speed = store
            .meta_get(EMBED_SPEED_KEY)?
            .and_then(|v| serde_json::from_slice::<f64>(&v).ok());
        let embed = EmbedStage {
            config: self.config.embed.clone(),
            store: store.clone(),
            reporter: reporter.clone(),
            deadline: hard_deadline,
            known_speed,
            model_slot: self.model_slot.clone(),
        };
        let embed = tokio::spawn(embed.run(
            load,
            enhanced_rx,
            batch_tx,
            Shutdown::new(notify.subscribe()),
        ));
        let past_deadline = Arc::new(AtomicBool::new(false));
        let upsert = tokio::spawn(upsert::run(
            sink,
            batch_rx.clone(),
            reporter.clone(),
            past_deadline.clone(),
        ));

        // Searches during this run read the snapshot: republish it now and then, away from the deadline.
        let publisher =
            (self.publish_snapshots && self.config.snapshot.every_secs > 0).then(|| {
                let points = crate::store::EmbeddedStore::of(store);
                SnapshotPublisher::spawn(
                    Duration::from_secs(self.config.snapshot.every_secs),
                    self.budget,
                    reporter.counters().clone(),
                    move || snapshot::publish(points.data_dir(), &points),
                )
            });
        let ticker = {
            let (reporter, started) = (reporter.clone(), self.budget.started());
            let budget_end = self.budget.end();
            tokio::spawn(async move {
                loop {
                    reporter.tick(started, budget_end);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        };
        Ok(Stages {
            notify,
            parse,
            enhance,
            embed,
            upsert,
            upsert_rx: batch_rx,
            past_deadline,
            publisher,
            ticker,
            known_speed,
        })
    }
}

/// The work a run found.
struct Plan {
    pending: Vec<PendingFile>,
    /// `max_files` left files for later.
    truncated: bool,
    base: SummaryBase,
}

/// The running stages and their helpers.
struct Stages {
    /// Tells the parse and embed stages to stop taking new work.
    notify: broadcast::Sender<()>,
    parse: JoinHandle<ParseOutcome>,
    enhance: JoinHandle<Result<()>>,
    embed: JoinHandle<Result<EmbedEnd>>,
    upsert: JoinHandle<Result<UpsertOutcome>>,
    /// The upsert stage's queue, closed at the deadline so that no queued batch is committed after it.
    upsert_rx: async_channel::Receiver<CommitBatch>,
    /// Set at the deadline: the upsert stage commits nothing more.
    past_deadline: Arc<AtomicBool>,
    publisher: Option<SnapshotPublisher>,
    ticker: JoinHandle<()>,
    /// The embedding speed remembered from earlier runs.
    known_speed: Option<f64>,
}

/// The stages once the upsert stage has ended.
struct Supervised {
    stages: Stages,
    upserted: Result<UpsertOutcome>,
    signalled: bool,
    timed_out: bool,
}

/// How a run ended.
struct RunEnd {
    reason: StopReason,
    work_left: bool,
    upserted: UpsertOutcome,
    timed_out: bool,
    known_speed: Option<f64>,
}

impl Stages {
    /// Waits for the upsert stage to end, meanwhile turning a signal into a short grace period and the hard
    /// deadline into the end of the run: whatever is still being embedded or queued is abandoned, and the
    /// commit in progress (if any) finishes.
    async fn supervise(
        mut self,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
        mut hard_deadline: Option<Instant>,
        reporter: &Reporter,
    ) -> Supervised {
        let mut signal = Box::pin(signal);
        let mut signalled = false;
        let mut timed_out = false;
        let upsert_result = loop {
            let deadline_sleep = async {
                match hard_deadline {
                    Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                r = &mut self.upsert => break r,
                _ = &mut signal, if !signalled => {
                    signalled = true;
                    reporter.info("stopping: committing what is in flight");
                    let _ = self.notify.send(());
                    let grace = Instant::now() + SIGNAL_GRACE;
                    hard_deadline = Some(hard_deadline.map_or(grace, |d| d.min(grace)));
                }
                _ = deadline_sleep => {
                    timed_out = true;
                    self.past_deadline.store(true, Ordering::SeqCst);
                    let _ = self.notify.send(());
                    self.upsert_rx.close();
                    break (&mut self.upsert).await;
                }
            }
        };
        self.ticker.abort();
        if let Some(p) = self.publisher.take() {
            p.stop().await;
        }
        reporter.finish();
        Supervised {
            stages: self,
            upserted: upsert_result
                .map_err(|e| Error::stage("upsert", e))
                .and_then(|r| r),
            signalled,
            timed_out,
        }
    }
}

impl Supervised {
    /// Ends the other stages (abandoning them when the deadline passed) and says why the run ended.
    async fn conclude(self, files_pending: u64, truncated: bool) -> Result<RunEnd> {
        let Supervised {
            stages,
            upserted,
            signalled,
            mut timed_out,
        } = self;
        let upserted = match upserted {
            Ok(u) => u,
            Err(e) => {
                // The sink failed for good: stop every stage; nothing past the last confirmed batch moved.
                let _ = stages.notify.send(());
                stages.upsert_rx.close();
                stages.embed.abort();
                return Err(e);
            }
        };
        // The sink ran out of budget confirming a batch: as if the deadline had passed.
        timed_out |= upserted.cut_by_budget;
        let embed_end = if timed_out {
            stages.embed.abort();
            EmbedEnd::Budget
        } else {
            match stages.embed.await {
                Ok(r) => r?,
                Err(e) => return Err(Error::stage("embed", e)),
            }
        };
        let _ = stages.notify.send(());
        let parse_outcome = if timed_out {
            None
        } else {
            stages.parse.await.ok()
        };
        match stages.enhance.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(e) => return Err(Error::stage("enhance", e)),
        }
        let all_read = parse_outcome.is_some_and(|p| {
            !p.stopped_early && p.files_finished + p.files_unreadable == files_pending
        });
        let caught_up = all_read && embed_end == EmbedEnd::Drained && !timed_out;
        let (reason, work_left) = match (caught_up, signalled, truncated) {
            (true, _, false) => (StopReason::CaughtUp, false),
            (true, _, true) => (StopReason::MaxFiles, true),
            (false, true, _) => (StopReason::Signal, true),
            (false, false, _) => (StopReason::Budget, true),
        };
        Ok(RunEnd {
            reason,
            work_left,
            upserted,
            timed_out,
            known_speed: stages.known_speed,
        })
    }
}

/// Remembers the embedding speed this run measured, for the next run's planning. A window still running at the
/// deadline means the model is slower than planned today: the next run plans with at most 80% of the speed
/// that window showed, so that it makes progress.
fn remember_embed_speed(
    store: &SyncState,
    counters: &Counters,
    known_speed: Option<f64>,
    timed_out: bool,
) -> Result<()> {
    let mut speed = f64::from_bits(counters.embed_speed_bits.load(Ordering::Relaxed));
    if speed <= 0.0 {
        speed = known_speed.unwrap_or(0.0);
    }
    if timed_out {
        if let Some(bound) = counters.inflight_speed_bound() {
            speed = if speed > 0.0 {
                speed.min(bound * 0.8)
            } else {
                bound * 0.8
            };
        }
    }
    if speed > 0.0 {
        store.meta_put(
            EMBED_SPEED_KEY,
            &crate::codec::json_bytes("embedding speed", &speed)?,
        )?;
    }
    Ok(())
}
