//! The running stages of one sync, mini-redis style: each stage is a struct given its input, its output and its
//! stop token, and `run(self)` returns its outcome. The orchestrator never aborts a stage: it tells them to stop
//! and waits for every one of them to end.
//!
//! Two notices stop them. *Stop intake* (SIGINT/SIGTERM, or the upsert stage gone) makes parse read nothing new
//! and embed start no new window; what was already read flows on and is committed. *Abandon* (the hard
//! deadline) also makes the embed stage give up the window it is embedding: its batch would come too late, its
//! checkpoint never moved, and the next run redoes it. The model keeps running that window on its blocking
//! thread, unwaited; that thread is why the binary ends with `_exit` (see `cli::exit_now`).

use super::publisher::SnapshotPublisher;
use super::{StopReason, SyncJob, EMBED_SPEED_KEY};
use crate::discover::PendingFile;
use crate::error::{Error, Result};
use crate::progress::Reporter;
use crate::shutdown::Shutdown;
use crate::stages::embed::{EmbedContext, EmbedEnd, EmbedOutcome, EmbedStage};
use crate::stages::enhance::EnhanceStage;
use crate::stages::parse::{FileParser, ParseOutcome, ParseStage};
use crate::stages::upsert::{UpsertOutcome, UpsertStage};
use crate::store::{snapshot, CommitBatch, Sink, SyncState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

/// The running stages and their helpers.
pub(super) struct Stages {
    /// Stop intake: parse and embed take no new work.
    stop: broadcast::Sender<()>,
    /// The hard deadline passed: the embed stage gives up the window in progress.
    abandon: broadcast::Sender<()>,
    parse: JoinHandle<ParseOutcome>,
    enhance: JoinHandle<Result<()>>,
    embed: JoinHandle<Result<EmbedOutcome>>,
    upsert: JoinHandle<Result<UpsertOutcome>>,
    /// The upsert stage's queue, closed at the deadline so that no queued batch is committed after it.
    upsert_rx: async_channel::Receiver<CommitBatch>,
    /// Set at the deadline: the upsert stage commits nothing more.
    past_deadline: Arc<AtomicBool>,
    publisher: Option<SnapshotPublisher>,
    /// Ends the progress ticker.
    ticker_stop: watch::Sender<bool>,
    ticker: JoinHandle<()>,
    /// The embedding speed remembered from earlier runs.
    known_speed: Option<f64>,
}

/// The stages once the upsert stage has ended.
pub(super) struct Supervised {
    stages: Stages,
    upserted: Result<UpsertOutcome>,
    signalled: bool,
    timed_out: bool,
}

/// How a run ended.
pub(super) struct RunEnd {
    pub(super) reason: StopReason,
    pub(super) work_left: bool,
    pub(super) upserted: UpsertOutcome,
}

impl Stages {
    /// Starts the four stages, connected by bounded channels, plus the snapshot publisher and the progress
    /// ticker.
    pub(super) fn spawn(
        job: &SyncJob,
        pending: Vec<PendingFile>,
        store: &Arc<SyncState>,
        sink: Arc<dyn Sink>,
        redactor: Option<Arc<crate::redact::Redactor>>,
        reporter: &Reporter,
        hard_deadline: Option<Instant>,
    ) -> Result<Stages> {
        let load = job.start_model_load(reporter)?;
        let redaction = redactor.as_ref().map_or_else(
            || crate::redact::OFF.to_string(),
            |r| r.version().to_string(),
        );
        let (stop, _) = broadcast::channel::<()>(1);
        let (abandon, _) = broadcast::channel::<()>(1);
        let channels = &job.config.channels;
        let (parsed_tx, parsed_rx) = async_channel::bounded(channels.parsed);
        let (enhanced_tx, enhanced_rx) = async_channel::bounded(channels.enhanced);
        let (batch_tx, batch_rx) = async_channel::bounded(channels.embedded);

        let parse = ParseStage {
            parser: FileParser {
                config: job.config.parse.clone(),
                redactor,
                store: store.clone(),
                reporter: reporter.clone(),
            },
            files: pending,
            output: parsed_tx,
            shutdown: Shutdown::new(stop.subscribe()),
        };
        let parse = tokio::task::spawn_blocking(move || parse.run());
        let enhance = tokio::spawn(
            EnhanceStage {
                input: parsed_rx,
                output: enhanced_tx,
                redaction,
            }
            .run(),
        );
        let known_speed = store
            .meta_get(EMBED_SPEED_KEY)?
            .and_then(|v| serde_json::from_slice::<f64>(&v).ok());
        let embed = tokio::spawn(
            EmbedStage {
                context: EmbedContext {
                    config: job.config.embed.clone(),
                    store: store.clone(),
                    reporter: reporter.clone(),
                    deadline: hard_deadline,
                    known_speed,
                    model_slot: job.model_slot.clone(),
                },
                load,
                input: enhanced_rx,
                output: batch_tx,
                shutdown: Shutdown::new(stop.subscribe()),
                abandon: Shutdown::new(abandon.subscribe()),
            }
            .run(),
        );
        let past_deadline = Arc::new(AtomicBool::new(false));
        let upsert = tokio::spawn(
            UpsertStage {
                sink,
                input: batch_rx.clone(),
                reporter: reporter.clone(),
                past_deadline: past_deadline.clone(),
            }
            .run(),
        );

        // Searches during this run read the snapshot: republish it now and then, away from the deadline.
        let every = job.config.snapshot.every_secs;
        let publisher = (job.publish_snapshots && every > 0).then(|| {
            let points = crate::store::EmbeddedStore::of(store);
            SnapshotPublisher::spawn(
                Duration::from_secs(every),
                job.budget,
                reporter.counters().clone(),
                move |room| snapshot::publish_refresh(points.data_dir(), &points, room),
            )
        });
        let (ticker_stop, ticker) = spawn_ticker(reporter.clone(), job.budget);
        Ok(Stages {
            stop,
            abandon,
            parse,
            enhance,
            embed,
            upsert,
            upsert_rx: batch_rx,
            past_deadline,
            publisher,
            ticker_stop,
            ticker,
            known_speed,
        })
    }

    /// Waits for the upsert stage to end, meanwhile turning a signal into a short grace period and the hard
    /// deadline into the end of the run: what is still being embedded is abandoned, nothing queued is committed,
    /// and the commit in progress (if any) finishes.
    pub(super) async fn supervise(
        mut self,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
        budget: crate::budget::Budget,
        reporter: &Reporter,
    ) -> Supervised {
        let mut hard_deadline = budget.stages_end();
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
                    let _ = self.stop.send(());
                    hard_deadline = Some(budget.stages_end_after_signal(Instant::now()));
                }
                _ = deadline_sleep => {
                    timed_out = true;
                    self.past_deadline.store(true, Ordering::SeqCst);
                    self.stop_everything();
                    break (&mut self.upsert).await;
                }
            }
        };
        let _ = self.ticker_stop.send(true);
        let _ = (&mut self.ticker).await;
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

    /// Stop intake, abandon the window in progress, commit nothing queued.
    fn stop_everything(&self) {
        let _ = self.stop.send(());
        let _ = self.abandon.send(());
        self.upsert_rx.close();
    }
}

impl Supervised {
    /// Waits for the other stages to end (after the deadline or a failed sink, telling them to give up first),
    /// remembers the embedding speed, and says why the run ended.
    pub(super) async fn conclude(
        self,
        store: &SyncState,
        files_pending: u64,
        truncated: bool,
    ) -> Result<RunEnd> {
        let Supervised {
            stages,
            upserted,
            signalled,
            mut timed_out,
        } = self;
        // The sink ran out of budget confirming a batch: as if the deadline had passed.
        timed_out |= upserted.as_ref().is_ok_and(|u| u.cut_by_budget);
        if timed_out || upserted.is_err() {
            // A sink that failed for good: nothing past the last confirmed batch moved; stop every stage.
            stages.stop_everything();
        } else {
            // Everything embedded was committed; parse may still be reading what embed no longer takes.
            let _ = stages.stop.send(());
        }
        let embedded = stages
            .embed
            .await
            .map_err(|e| Error::stage("embed", e))
            .and_then(|r| r);
        let enhanced = stages
            .enhance
            .await
            .map_err(|e| Error::stage("enhance", e))
            .and_then(|r| r);
        let parsed = stages.parse.await.map_err(|e| Error::stage("parse", e));
        let upserted = upserted?;
        let embedded = embedded?;
        enhanced?;
        let parsed = parsed?;
        remember_embed_speed(store, &embedded, stages.known_speed)?;
        let all_read = !parsed.stopped_early
            && parsed.files_finished + parsed.files_unreadable == files_pending;
        let caught_up = all_read && embedded.end == EmbedEnd::Drained && !timed_out;
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
        })
    }
}

/// Redraws the progress about five times a second until told to stop.
fn spawn_ticker(
    reporter: Reporter,
    budget: crate::budget::Budget,
) -> (watch::Sender<bool>, JoinHandle<()>) {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        loop {
            reporter.tick(budget.started(), budget.end());
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = stopped.changed() => return,
            }
        }
    });
    (stop, task)
}

/// Remembers the embedding speed this run measured, for the next run's planning. A window abandoned at the
/// deadline means the model is slower than planned today: the next run plans with at most 80% of the speed
/// that window showed, so that it makes progress.
fn remember_embed_speed(
    store: &SyncState,
    embedded: &EmbedOutcome,
    known_speed: Option<f64>,
) -> Result<()> {
    let mut speed = embedded.measured_speed.or(known_speed).filter(|s| *s > 0.0);
    if let Some(bound) = embedded.abandoned_speed_bound {
        speed = Some(speed.map_or(bound * 0.8, |s| s.min(bound * 0.8)));
    }
    match speed {
        Some(speed) if speed > 0.0 => store.meta_put(
            EMBED_SPEED_KEY,
            &crate::codec::json_bytes("embedding speed", &speed)?,
        ),
        _ => Ok(()),
    }
}
