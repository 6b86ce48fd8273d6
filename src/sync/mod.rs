//! The orchestrator: plans the work, starts the four stages connected by bounded channels, enforces the time
//! budget, and reports what happened.
//!
//! Budget timeline (wall clock from process start): the embed stage starts a window only if it is expected to
//! be committed before `hard deadline = start + budget - commit_reserve`; parse and enhance stop as soon as the
//! embed stage stops reading. If a window runs late anyway, the orchestrator stops waiting at the hard deadline:
//! the batch is abandoned (its checkpoint never moved) and redone next run. SIGINT/SIGTERM stop intake at once
//! and leave a short grace for the batch in flight.

use crate::config::PipelineConfig;
use crate::discover::{self, PendingFile};
use crate::embedder::{Embedder, EmbedderSettings, ModelFiles};
use crate::error::{Error, Result};
use crate::progress::{Counters, Reporter};
use crate::shutdown::Shutdown;
use crate::stages::embed::{EmbedEnd, EmbedStage, ModelSlot};
use crate::stages::parse::ParseStage;
use crate::stages::{enhance, upsert};
use crate::store::{snapshot, EmbeddedStore, Sink};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

mod publisher;
mod session;
use publisher::SnapshotPublisher;
pub use session::{LockWait, SessionSpec, WriterSession};

/// Grace after SIGINT/SIGTERM for the batch in flight.
const SIGNAL_GRACE: Duration = Duration::from_millis(1500);
/// Where the measured embedding speed is remembered between runs (it decides whether a window fits the budget).
const EMBED_SPEED_KEY: &str = "embed_speed";
/// Kept free at the very end for the summary and process exit.
const EXIT_MARGIN: Duration = Duration::from_millis(150);

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

pub struct SyncJob {
    pub settings: RunSettings,
    pub config: PipelineConfig,
    pub model_dir: PathBuf,
    /// Process start: the budget counts from here.
    pub started: Instant,
    /// Republish the embedded store's search snapshot during the run (`snapshot.every_secs`).
    pub publish_snapshots: bool,
    /// Keep the model loaded across runs here (`pipeline watch`); `None` loads it for this run only.
    pub model_slot: Option<ModelSlot>,
}

impl SyncJob {
    /// Runs the pipeline once: points go to `sink`; `store` holds the checkpoints and the embedding cache (it
    /// is the sink too for the embedded store). `signal` resolves when the user asks to stop.
    pub async fn run(
        self,
        store: Arc<EmbeddedStore>,
        sink: Arc<dyn Sink>,
        reporter: Reporter,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<RunSummary> {
        let started = self.started;
        let budget = self.settings.budget;
        let reserve = Duration::from_millis(self.config.budget.commit_reserve_ms);
        let budget_end = budget.map(|b| started + b);
        let mut hard_deadline = budget_end.map(|end| {
            end.checked_sub(reserve + EXIT_MARGIN)
                .unwrap_or(started)
                .max(started)
        });

        let model = &self.config.embed.model;
        crate::store::model_record::check_or_record(&store, &model.id, model.dimension)?;
        if let crate::reindex::Reindex::Started { from } = crate::reindex::prepare(&store)? {
            reporter.info(&format!(
                "the index was written by enhancer version {from}; re-reading every transcript for version {} (resumable; searches keep working)",
                crate::enhance::ENHANCER_VERSION
            ));
        }
        let found = discover::find_files(&self.settings.sources, &reporter);
        let mut pending = discover::pending(&found, &store);
        let mut truncated = false;
        if let Some(max) = self.settings.max_files {
            if pending.len() > max {
                pending.truncate(max);
                truncated = true;
            }
        }
        let counters = reporter.counters().clone();
        counters
            .files_total
            .store(pending.len() as u64, std::sync::atomic::Ordering::Relaxed);
        let bytes_pending: u64 = pending.iter().map(|p| p.pending_bytes).sum();
        counters
            .bytes_total
            .store(bytes_pending, std::sync::atomic::Ordering::Relaxed);
        let start_offsets: Vec<(String, u64)> = pending
            .iter()
            .map(|p| (p.path.clone(), p.size - p.pending_bytes))
            .collect();
        let files_pending = pending.len() as u64;

        let mut summary_base = SummaryBase {
            started,
            budget,
            files_pending,
            bytes_pending,
            start_offsets,
        };

        if pending.is_empty() {
            return Ok(summary_base.finish(
                &reporter,
                StopReason::CaughtUp,
                false,
                &Default::default(),
            ));
        }
        if hard_deadline.is_some_and(|d| d <= Instant::now()) {
            return Ok(summary_base.finish(
                &reporter,
                StopReason::Budget,
                true,
                &Default::default(),
            ));
        }

        // Load the model on a blocking thread while parsing starts (or take the one a long-lived caller kept).
        let kept = self
            .model_slot
            .as_ref()
            .and_then(|slot| slot.lock().ok().and_then(|mut m| m.take()));
        let load = match kept {
            Some(model) => tokio::task::spawn_blocking(move || Ok(model)),
            None => {
                let files = ModelFiles::from_config(&self.model_dir, &self.config.embed.model);
                files.check()?;
                let settings = EmbedderSettings::from_config(&self.config.embed);
                let load_counters = reporter.counters().clone();
                tokio::task::spawn_blocking(move || {
                    let start = Instant::now();
                    let loaded = Embedder::load(&files, settings);
                    Counters::add(
                        &load_counters.model_load_nanos,
                        start.elapsed().as_nanos() as u64,
                    );
                    loaded
                })
            }
        };

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
        let parse_files: Vec<PendingFile> = pending;
        let parse_task =
            tokio::task::spawn_blocking(move || parse.run(parse_files, parsed_tx, parse_shutdown));
        let enhance_task = tokio::spawn(enhance::run(parsed_rx, enhanced_tx));
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
        let embed_task = tokio::spawn(embed.run(
            load,
            enhanced_rx,
            batch_tx,
            Shutdown::new(notify.subscribe()),
        ));
        let upsert_rx = batch_rx.clone();
        let past_deadline = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut upsert_task = tokio::spawn(upsert::run(
            sink,
            batch_rx,
            reporter.clone(),
            past_deadline.clone(),
        ));

        // Searches during this run read the snapshot: republish it now and then, away from the deadline.
        let publisher =
            (self.publish_snapshots && self.config.snapshot.every_secs > 0).then(|| {
                let store = store.clone();
                SnapshotPublisher::spawn(
                    Duration::from_secs(self.config.snapshot.every_secs),
                    hard_deadline,
                    counters.clone(),
                    move || snapshot::publish(store.data_dir(), &store),
                )
            });

        // Progress display.
        let ticker = {
            let reporter = reporter.clone();
            tokio::spawn(async move {
                let mut last_line = Instant::now();
                loop {
                    reporter.tick(started, budget_end, &mut last_line);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        };

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
                r = &mut upsert_task => break r,
                _ = &mut signal, if !signalled => {
                    signalled = true;
                    reporter.info("stopping: committing what is in flight");
                    let _ = notify.send(());
                    let grace = Instant::now() + SIGNAL_GRACE;
                    hard_deadline = Some(hard_deadline.map_or(grace, |d| d.min(grace)));
                }
                _ = deadline_sleep => {
                    // Abandon whatever is still being embedded or queued; let the commit in progress (if any)
                    // finish.
                    timed_out = true;
                    past_deadline.store(true, std::sync::atomic::Ordering::SeqCst);
                    let _ = notify.send(());
                    upsert_rx.close();
                    break (&mut upsert_task).await;
                }
            }
        };
        ticker.abort();
        if let Some(p) = publisher {
            p.stop().await;
        }
        reporter.finish();
        let upserted = upsert_result
            .map_err(|e| Error::stage("upsert", e))
            .and_then(|r| r);
        let upserted = match upserted {
            Ok(u) => u,
            Err(e) => {
                // The sink failed for good: stop every stage; nothing past the last confirmed batch moved.
                let _ = notify.send(());
                upsert_rx.close();
                embed_task.abort();
                return Err(e);
            }
        };
        // The sink ran out of budget confirming a batch: as if the deadline had passed.
        timed_out |= upserted.cut_by_budget;

        // The other stages have ended (or are abandoned when the deadline passed).
        let embed_end = if timed_out {
            embed_task.abort();
            EmbedEnd::Budget
        } else {
            match embed_task.await {
                Ok(r) => r?,
                Err(e) => return Err(Error::stage("embed", e)),
            }
        };
        let _ = notify.send(());
        let parse_outcome = if timed_out {
            None
        } else {
            parse_task.await.ok()
        };
        match enhance_task.await {
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
        let mut speed = f64::from_bits(
            counters
                .embed_speed_bits
                .load(std::sync::atomic::Ordering::Relaxed),
        );
        if speed <= 0.0 {
            speed = known_speed.unwrap_or(0.0);
        }
        if timed_out {
            // A window was still running at the deadline: the model is slower than planned today. Plan the next
            // run with at most 80% of the speed this window has shown so far, so that it makes progress.
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
        Ok(summary_base.finish(&reporter, reason, work_left, &upserted))
    }
}

struct SummaryBase {
    started: Instant,
    budget: Option<Duration>,
    files_pending: u64,
    bytes_pending: u64,
    start_offsets: Vec<(String, u64)>,
}

impl SummaryBase {
    fn finish(
        &mut self,
        reporter: &Reporter,
        reason: StopReason,
        work_left: bool,
        up: &upsert::UpsertOutcome,
    ) -> RunSummary {
        let c = reporter.counters();
        let duration = self.started.elapsed().as_secs_f64();
        let messages = Counters::get(&c.messages);
        let bytes_committed = self
            .start_offsets
            .iter()
            .filter_map(|(path, start)| {
                up.last_offsets
                    .get(path)
                    .map(|end| end.saturating_sub(*start))
            })
            .sum();
        RunSummary {
            stop_reason: reason,
            work_left,
            duration_secs: duration,
            budget_secs: self.budget.map(|b| b.as_secs_f64()),
            files_pending_at_start: self.files_pending,
            files_completed: up.files_completed,
            bytes_pending_at_start: self.bytes_pending,
            bytes_committed,
            lines: Counters::get(&c.lines),
            malformed_lines: Counters::get(&c.malformed_lines),
            messages,
            messages_per_sec: messages as f64 / duration.max(0.001),
            points_committed: up.points,
            texts_embedded: Counters::get(&c.texts_embedded),
            cache_hits: Counters::get(&c.cache_hits),
            embed_secs: Counters::get(&c.embed_nanos) as f64 / 1e9,
            model_load_secs: Counters::seconds(&c.model_load_nanos),
            first_embed_secs: Counters::seconds(&c.first_embed_done_ns).map(|since_epoch| {
                since_epoch
                    + c.epoch
                        .0
                        .saturating_duration_since(self.started)
                        .as_secs_f64()
            }),
            batches_committed: up.batches,
            warnings: Counters::get(&c.warnings),
            files_unreadable: Counters::get(&c.files_unreadable),
            finished_at_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            first_warnings: reporter.kept_warnings(),
        }
    }
}
